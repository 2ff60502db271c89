"""Liquid-biopsy benchmarks.

  detection  simulated counts (src/ith/simulate/plasma.py): per patient, loci whose error rates
             vary ~10-fold (gamma, shape 1), 20 control samples at 100x that teach the
             background, then plasma samples over a grid of tumour fractions x depths x numbers
             of loci. Prints sensitivity (and the false-positive rate at TF 0) per cell, and the
             tumour-fraction error, against the configured rate.
  null       the null without calibration controls (a panel of 10-50 loci, plasma at 1000x):
             per patient, the background from its normal alone at 300x (which does not calibrate)
             or from 20 other patients' controls at 300x (which do); the limit of detection per
             patient, then plasma samples at it, at half of it, at TF 1% and without ctDNA.
             Prints the detected fractions and the false-positive rate with its standard error
             against the configured rate.
  workflow   a finished workflow run on a simulated cohort: every plasma sample's call and
             tumour fraction against the truth, and the copy-number stage's estimate beside it.

    python bench/liquid.py detection --patients 40 --per-patient 10
    python bench/liquid.py null --patients 100 --negatives 5
    python bench/liquid.py workflow --results results --truth demo/truth
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ith.liquid.detect import DetectParams, LociModel, limit_of_detection, tumour_fraction
from ith.liquid.null import call_sample, null_model
from ith.simulate.plasma import draw_counts, draw_loci


def bench_detection(n_patients: int, per_patient: int, tfs: list[float], depths: list[float], loci: list[int],
                    seed: int) -> None:
    p = DetectParams()
    rows = []
    t0 = time.perf_counter()
    for n_loci in loci:
        for depth in depths:
            rng = np.random.default_rng([seed, n_loci, int(depth)])
            for _ in range(n_patients):
                truth = draw_loci(rng, n_loci)
                loci = LociModel(truth.ccf, truth.mult, truth.cn, truth.normal_cn, truth.truncal)
                ca, cd = zip(*(draw_counts(rng, truth, 100.0, 0.0) for _ in range(20)))
                ca, cd = np.array(ca).T, np.array(cd).T
                null = null_model(ca, cd, cd > 0, truth.cls, 0, loci, p)
                for tf in tfs:
                    for _ in range(per_patient):
                        a, d = draw_counts(rng, truth, depth, tf)
                        call = call_sample(a, d, null, loci, p)
                        est = tumour_fraction(a, d, null.background.rates(), loci, call.detection.used)[0]
                        rows.append(dict(loci=n_loci, depth=depth, tf=tf, detected=call.detected, estimate=est))
    t = pd.DataFrame(rows)
    t["abs_error"] = (t["estimate"] - t["tf"]).abs()
    t["rel_error"] = t["abs_error"] / t["tf"].where(t["tf"] > 0)
    table = t.groupby(["loci", "depth", "tf"]).agg(samples=("detected", "size"), detected=("detected", "mean"),
                                                   median_abs_error=("abs_error", "median"),
                                                   p90_rel_error=("rel_error", lambda x: x.quantile(0.9)))
    pd.set_option("display.width", 200)
    print(f"configured false-positive rate {p.fpr}; 'detected' at tf 0 is the observed false-positive rate")
    print(table.round(4).to_string())
    neg = t[t["tf"] == 0]
    print(f"false positives: {int(neg['detected'].sum())}/{len(neg)} = {neg['detected'].mean():.3f} "
          f"(configured {p.fpr}); {time.perf_counter() - t0:.1f} s")
    must = t[(t["tf"] == 0.005) & (t["loci"] >= 50) & (t["depth"] >= 300)]
    if len(must):
        print(f"sensitivity at TF 0.5%, >= 50 loci, >= 300x: {must['detected'].mean():.3f} over {len(must)} samples")


def bench_null(n_patients: int, per_patient: int, negatives: int, loci: list[int], controls: list[int],
               seed: int) -> None:
    """controls 1: the patient's normal alone (column 0, j_normal: teaches, never calibrates);
    more: other patients' samples, every one a calibration control."""
    p = DetectParams()
    rows = []
    t0 = time.perf_counter()
    for n_ctrl in controls:
        for n_loci in loci:
            rng = np.random.default_rng([seed, n_ctrl, n_loci])
            for _ in range(n_patients):
                truth = draw_loci(rng, n_loci, truncal_fraction=0.7)
                model = LociModel(truth.ccf, truth.mult, truth.cn, truth.normal_cn, truth.truncal)
                ca, cd = zip(*(draw_counts(rng, truth, 300.0, 0.0) for _ in range(n_ctrl)))
                ca, cd = np.array(ca).T, np.array(cd).T
                null = null_model(ca, cd, cd > 0, truth.cls, 0 if n_ctrl == 1 else None, model, p)
                # the limit at a 1000x sample's depths on the loci the null keeps, as patient.py
                # computes it (there on the loci the sample used)
                u = null.usable_locus
                lod = limit_of_detection(rng.poisson(1000, int(u.sum())), null.rates[u], model.subset(u), p.fpr)
                for label, tf, n in (("at LoD", lod, per_patient), ("at LoD/2", lod / 2, per_patient),
                                     ("at TF 1%", 0.01, per_patient), ("at TF 0", 0.0, negatives)):
                    for _ in range(n if np.isfinite(tf) else 0):
                        a, d = draw_counts(rng, truth, 1000.0, tf)
                        rows.append(dict(loci=n_loci, controls="normal only" if n_ctrl == 1 else n_ctrl,
                                         lod=lod, what=label, detected=call_sample(a, d, null, model, p).detected))
    t = pd.DataFrame(rows)
    det = t.pivot_table(index=["loci", "controls"], columns="what", values="detected", aggfunc="mean", sort=False)
    neg = t[t["what"] == "at TF 0"].groupby(["loci", "controls"], sort=False)["detected"]
    det["median LoD"] = t.groupby(["loci", "controls"], sort=False)["lod"].median()
    det["FP samples"] = neg.size()
    det["FP s.e."] = np.sqrt(p.fpr * (1 - p.fpr) / neg.size())
    pd.set_option("display.width", 200)
    print(f"configured false-positive rate {p.fpr}; 'at TF 0' is the observed false-positive rate, "
          f"'FP s.e.' its binomial standard error at the configured rate")
    print(det[["median LoD", "at LoD", "at LoD/2", "at TF 1%", "at TF 0", "FP samples", "FP s.e."]].round(4).to_string())
    print(f"{time.perf_counter() - t0:.1f} s")


def bench_workflow(results: Path, truth: Path) -> None:
    rows = []
    for f in sorted(results.glob("liquid/*/ctdna.tsv")):
        ct = pd.read_csv(f, sep="\t")
        tr = pd.read_csv(truth / f.parent.name / "ctdna.tsv", sep="\t")
        rows.append(tr.merge(ct, on=["patient", "sample"], suffixes=("_true", "")))
    t = pd.concat(rows)
    t["rel_error"] = (t["tumour_fraction"] - t["tumour_fraction_true"]) / t["tumour_fraction_true"]
    t["rel_error_cn"] = (t["tumour_fraction_cn"] - t["tumour_fraction_true"]) / t["tumour_fraction_true"]
    cols = ["sample", "tumour_fraction_true", "tumour_fraction", "tf_low", "tf_high", "rel_error",
            "tumour_fraction_cn", "rel_error_cn", "detected_true", "detected", "limit_of_detection", "coverage_ratio"]
    print(t[cols].round(4).to_string(index=False))
    print(f"mean |relative error|: liquid {t['rel_error'].abs().mean():.3f}, "
          f"copy-number stage {t['rel_error_cn'].abs().mean():.3f}; "
          f"truth inside the 95% interval: {((t['tf_low'] <= t['tumour_fraction_true']) & (t['tumour_fraction_true'] <= t['tf_high'])).mean():.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["detection", "null", "workflow"])
    ap.add_argument("--patients", type=int, default=40)
    ap.add_argument("--per-patient", type=int, default=10)
    ap.add_argument("--tfs", type=float, nargs="+", default=[0.0, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05])
    ap.add_argument("--depths", type=float, nargs="+", default=[100.0, 300.0, 1000.0])
    ap.add_argument("--loci", type=int, nargs="+", default=None, help="default 20 50 200; null: 10 30 50")
    ap.add_argument("--negatives", type=int, default=5, help="null: plasma samples without ctDNA per patient")
    ap.add_argument("--controls", type=int, nargs="+", default=[1, 20],
                    help="null: 1 = the patient's normal alone, n = n other patients' controls")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--results", type=Path, default=Path("results"))
    ap.add_argument("--truth", type=Path, default=Path("demo/truth"))
    a = ap.parse_args()
    if a.mode == "detection":
        bench_detection(a.patients, a.per_patient, a.tfs, a.depths, a.loci or [20, 50, 200], a.seed)
    elif a.mode == "null":
        bench_null(a.patients, a.per_patient, a.negatives, a.loci or [10, 30, 50], a.controls, a.seed)
    else:
        bench_workflow(a.results, a.truth)


if __name__ == "__main__":
    main()
