"""GC correction of the copy-number stage against the simulator's truth, re-run from the coverage
files of finished `bench/evolution_bam.py` runs (no BAM is read, no Snakemake is run).

For every patient of every run folder given, the per-sample log2 ratios are recomputed from the
bin depths (ith.copynumber.call.sample_bins, matched normal) and the patient is called again
(ith.copynumber.call.call_patient, as rule copynumber_call does), once per setting of
`copynumber.gc_refit` compared (off; on, at the config's `gc_refit_min_wald` or at each of
`--min-wald`). Per region it prints the base-weighted mean absolute error of the
segments' log2r against the truth's expected log2r (autosomes) and the share of autosomal bases
whose major/minor copy numbers are the truth's.

    python bench/gc_correction.py RUN [RUN ...] [--out table.tsv]

RUN: a run folder of bench/evolution_bam.py (cohort/ and work/results/ inside), or
COHORT:RESULTS, a simulated cohort's folder and the results/ folder of a workflow run on it
(e.g. the exome preset's, as bench/cnref.py takes them).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

import numpy as np
import pandas as pd

from ith.config import load_config
from ith.copynumber.call import CnSample, PatientCn, call_patient, sample_bins
from ith.copynumber.params import cn_params
from ith.io.tables import read_tsv
from ith.io.segments import shared_states


def region_scores(called: pd.DataFrame, truth: pd.DataFrame, sample: str) -> tuple[float, float]:
    """(mean |log2r - true log2r| weighted by bases, share of bases with the true major/minor)."""
    both = pd.concat([called[called["sample"] == sample].assign(sample="called"),
                      truth[truth["sample"] == sample].assign(sample="true")])
    pieces, vals = shared_states(both, ["called", "true"], columns=("log2r",))
    w = (pieces["end"] - pieces["start"] + 1).to_numpy(float)
    mae = float(np.sum(w * np.abs(vals["called"][:, 0] - vals["true"][:, 0])) / w.sum()) if len(w) else np.nan
    pieces, vals = shared_states(both, ["called", "true"])
    w = (pieces["end"] - pieces["start"] + 1).to_numpy(float)
    ok = (vals["called"] == vals["true"]).all(axis=1) if len(w) else np.zeros(0, bool)
    return mae, float(w[ok].sum() / w.sum()) if len(w) else np.nan


def folders(run: str) -> tuple[str, str]:
    """(cohort, results) of a RUN argument."""
    if ":" in run:
        cohort, res = run.split(":", 1)
        return cohort, res
    return os.path.join(run, "cohort"), os.path.join(run, "work", "results")


def run_name(run: str) -> str:
    """A RUN's label: its folder's name, or the cohort's with its parent's (a cohort folder is
    often just `sim`)."""
    if ":" not in run:
        return os.path.basename(run.rstrip("/"))
    parts = os.path.normpath(folders(run)[0]).split(os.sep)
    return "/".join(parts[-2:])


def patient_inputs(run: str, patient: str, config: dict):
    cohort, res = folders(run)
    sheet = read_tsv(os.path.join(cohort, "samples.tsv"), dtype=str)
    sheet = sheet[sheet["patient"] == patient]
    samples = [CnSample(r["sample"], r["type"], float(r["purity"]) if "purity" in r and r["purity"] == r["purity"]
                        else None) for _, r in sheet.iterrows()]
    bins = read_tsv(os.path.join(res, "copynumber", "bins.tsv"), dtype={"chrom": str})
    cov = {s.name: read_tsv(os.path.join(res, "copynumber", patient, "coverage", f"{s.name}.tsv"), dtype={"chrom": str})
           for s in samples}
    baf = read_tsv(os.path.join(res, "copynumber", patient, "baf.tsv"), dtype={"chrom": str, "ref": str, "alt": str})
    counts = read_tsv(os.path.join(res, "variants", patient, "counts.tsv"))
    sexes = [x for x in sheet.get("sex", pd.Series(dtype=str)) if isinstance(x, str) and x]
    return samples, bins, cov, baf, counts, (sexes[0] if sexes else None)


def call_from_files(patient: str, params, inputs) -> PatientCn:
    """The patient's copy-number call from a run's files (`patient_inputs`) under `params`, as the
    workflow makes it, without reading a BAM."""
    samples, bins, cov, baf, counts, sex = inputs
    normal = next(s.name for s in samples if s.type == "normal")
    log2r = {s.name: sample_bins(patient, s.name, bins, cov[normal]["depth"].to_numpy(float),
                                 cov[s.name]["depth"].to_numpy(float), params)["log2r"].to_numpy(float)
             for s in samples if s.type != "normal"}
    return call_patient(patient, bins, {k: v["depth"].to_numpy(float) for k, v in cov.items()},
                        {k: v["reads"].to_numpy(float) for k, v in cov.items()}, samples, baf, params, sex=sex,
                        mutations=counts, log2r=log2r)


def score_patient(run: str, patient: str, config: dict, settings: dict[str, dict]) -> list[dict]:
    inputs = patient_inputs(run, patient, config)
    samples = inputs[0]
    base = cn_params(config["copynumber"])
    truth = read_tsv(os.path.join(folders(run)[0], "truth", patient, "segments.tsv"), dtype={"chrom": str})
    rows = []
    for label, change in settings.items():
        params = dataclasses.replace(base, **change)
        t0 = time.perf_counter()
        res = call_from_files(patient, params, inputs)
        secs = time.perf_counter() - t0
        for s in samples:
            if s.type != "tumour":
                continue
            mae, right = region_scores(res.segments, truth, s.name)
            rows.append(dict(run=run_name(run), patient=patient, sample=s.name, setting=label,
                             mae_log2r=round(mae, 4), cn_right=round(right, 3), call_seconds=round(secs, 2)))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="evolution_bam run folders (cohort/ and work/results/ inside)")
    ap.add_argument("--out", help="write the per-region table here (TSV)")
    ap.add_argument("--min-wald", default=None,
                    help="comma-separated copynumber.gc_refit_min_wald values to compare (default: the config's)")
    args = ap.parse_args(argv)
    settings = {"off": {"gc_refit": False}}
    if args.min_wald is None:
        settings["on"] = {"gc_refit": True}
    else:
        settings.update({f"on@{v}": {"gc_refit": True, "gc_refit_min_wald": float(v)} for v in args.min_wald.split(",")})
    rows = []
    for run in args.runs:
        cohort, res = folders(run)
        config = load_config(os.path.join(cohort, "config.yaml"))
        cn = os.path.join(res, "copynumber")
        patients = sorted(p for p in os.listdir(cn) if os.path.exists(os.path.join(cn, p, "segments.tsv")))
        for patient in patients:
            rows += score_patient(run, patient, config, settings)
            done = pd.DataFrame(rows)
            print(done[done["patient"] == patient].tail(len(settings) * 10).to_string(index=False), flush=True)
    table = pd.DataFrame(rows)
    if args.out:
        table.to_csv(args.out, sep="\t", index=False)
    wide = table.pivot_table(index=["run", "patient", "sample"], columns="setting", values=["mae_log2r", "cn_right"])
    print(wide.to_string())
    summary = table.groupby("setting")[["mae_log2r", "cn_right"]].mean()
    print("\nmean over regions:\n" + summary.to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
