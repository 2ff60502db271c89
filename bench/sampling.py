"""Sampling-adequacy benchmark (docs/methods/sampling.md, docs/benchmarks.md).

Simulated patients with 8 regions each (the test preset's genome and tumour model, regions=(8, 8),
4-10 clones), table level: per-region calls made from the truth with read-count noise at the
preset's depth (ith.simulate.regioncalls), no reads. For each patient and k = 2, 3:

- prediction: over the k-subsets of its regions (all 28 / 56), the richness estimator's
  extrapolation to 8 regions from the k regions alone (--estimator: jackknife, the workflow's
  default, or chao2) vs the clones the other regions actually add; a patient passes when the
  mean prediction is within one clone of the mean actual gain. Also the share of single subsets
  (single studies) within one clone, and the naive guess "no more clones" for comparison;
- the verdict each k-region study would print, against whether the other regions added a clone;
- single-biopsy false truncal rate: from the calls (curves at k = 1) vs from the truth's CCFs.

    python bench/sampling.py --seeds 1 2 3 4 5 --patients 10
    python bench/sampling.py --seeds 1 2 3 4 5 --patients 10 --estimator chao2
    python bench/sampling.py --seeds 1 2 3 4 5 --patients 10 --estimator chao2 --bias-corrected
    python bench/sampling.py --seeds 1 2 3 4 5 --patients 10 --depth 40
    python bench/sampling.py --seeds 1 2 3 4 5 --patients 10 --clones 8 12 --snvs 300 400
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from ith.sampling.curves import ESTIMATORS, SamplingParams, calls_from_tables, curves
from ith.sampling.validate import added_clones, false_truncal_single, prediction_summary
from ith.simulate.regioncalls import calls_from_truth, truth_false_truncal, truth_tables


def simulated_calls(seeds: list[int], patients: int, clones: tuple[int, int], depth: float | None,
                    snvs: tuple[int, int] | None):
    """(seed, patient, truth mutations, per-region calls, clusters, regions) of each simulated
    patient with 8 regions: the table-level calls both sampling benchmarks score."""
    for seed in seeds:
        over = dict(regions=(8, 8), n_patients=patients, clones=clones)
        if depth:
            over["tumour_depth"] = depth
        if snvs:
            over["snvs"] = snvs
        for pid, (muts, dep) in truth_tables("test", seed, **over).items():
            regions = list(dep)
            mu, cl = calls_from_truth(muts, dep, np.random.default_rng([seed, int(pid[1:])]))
            yield seed, pid, muts, mu, cl, regions


def run(seeds: list[int], patients: int, clones: tuple[int, int], depth: float | None,
        bias_corrected: bool = False, snvs: tuple[int, int] | None = None,
        estimator: str = "jackknife") -> pd.DataFrame:
    params = SamplingParams(estimator=estimator)
    rows = []
    for seed, pid, muts, mu, cl, regions in simulated_calls(seeds, patients, clones, depth, snvs):
        calls = calls_from_tables(mu, cl, regions)
        curve = curves(calls, params)
        ft_curve = float(curve.loc[(curve["metric"] == "false_truncal") & (curve["k"] == 1), "mean"].iloc[0])
        row = dict(seed=seed, patient=pid, clones=len(calls.clones), ft_calls=ft_curve,
                   ft_calls_direct=false_truncal_single(calls), ft_truth=truth_false_truncal(muts, regions))
        for k in (2, 3):
            s = prediction_summary(added_clones(calls, k, params, bias_corrected))
            row.update({f"k{k}_{key}": v for key, v in s.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    ap.add_argument("--patients", type=int, default=10)
    ap.add_argument("--clones", type=int, nargs=2, default=[4, 10])
    ap.add_argument("--snvs", type=int, nargs=2, default=None,
                    help="mutations per patient (default: the preset's; each clone has at least 12)")
    ap.add_argument("--depth", type=float, default=None, help="tumour depth (default: the preset's)")
    ap.add_argument("--estimator", choices=list(ESTIMATORS), default="jackknife",
                    help="richness estimator of the prediction and the verdict (sampling.estimator)")
    ap.add_argument("--bias-corrected", action="store_true",
                    help="Chao2's bias-corrected form throughout (the comparison in docs/benchmarks.md)")
    a = ap.parse_args()
    t0 = time.time()
    df = run(a.seeds, a.patients, tuple(a.clones), a.depth, a.bias_corrected,
             tuple(a.snvs) if a.snvs else None, a.estimator)
    pd.set_option("display.width", 200)
    print(df.round(3).to_string(index=False))
    n = len(df)
    name = "Chao2, bias-corrected" if a.bias_corrected else a.estimator
    print(f"\n{name}: {n} patients with 8 regions, {df['clones'].mean():.1f} clones on average ({time.time() - t0:.0f} s)")
    for k in (2, 3):
        print(f"k={k}: mean prediction within one clone of the mean gain in {df[f'k{k}_within'].mean():.0%} of "
              f"patients; single {k}-region studies within one clone {df[f'k{k}_single_within'].mean():.0%}; "
              f"naive 'no more clones' within one clone in {df[f'k{k}_naive_within'].mean():.0%}; mean predicted "
              f"{df[f'k{k}_predicted'].mean():.2f} vs added {df[f'k{k}_added'].mean():.2f}")
        ad, adg = df[f"k{k}_adequate"].sum(), df[f"k{k}_adequate_gained"].sum()
        na, nag = df[f"k{k}_inadequate"].sum(), df[f"k{k}_inadequate_gained"].sum()
        print(f"  verdict of the {k}-region studies: 'adequate' {ad} (the other regions added a clone to "
              f"{adg / max(ad, 1):.0%}), 'more regions would change the picture' {na} (added a clone to "
              f"{nag / max(na, 1):.0%})")
    diff = df["ft_calls"] - df["ft_truth"]
    print(f"single-biopsy false truncal rate: calls {df['ft_calls'].mean():.3f} vs truth {df['ft_truth'].mean():.3f} "
          f"(cohort means); per patient |difference| median {diff.abs().median():.3f}, 90th percentile "
          f"{diff.abs().quantile(0.9):.3f}, within 0.05 in {(diff.abs() <= 0.05).mean():.0%}")


if __name__ == "__main__":
    main()
