"""Does the copy-number purity absorb another person's DNA, so that expected VAFs and CCFs need no
second correction for contamination?

A sample with a share c of another person's (normal, diploid) DNA looks, in its depth ratios, like
one with more normal cells: the fitted purity should be about (1 - c) x the person's own tumour
share, and a somatic VAF p m / (p C + 2 (1 - p)) with that p is the contaminated sample's VAF.
Scaling the expected VAFs by (1 - c) again would count the contaminant twice and raise every CCF
by 1 / (1 - c).

The same simulated cohort (preset `test`, seed 1) is written with P1-R1 at 5% and P1-R2 at 2%
contamination and the workflow run to P1's clonal tables; printed per region: the true purity,
(1 - c) x it, the fitted purity, and the median and mean absolute CCF error of the region's
truncal (truth CCF 1) and all present mutations against the truth, with the CCF a second
(1 - c) correction would give beside it.

    python bench/contamination.py --out contamination-bench
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ith.io.mutations import split_ids
from ith.simulate.cohort import simulate

ROOT = Path(__file__).resolve().parents[1]
CONTAMINATION = (("P1-R1", 0.05), ("P1-R2", 0.02))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cores", type=int, default=2)
    args = ap.parse_args()
    out = Path(args.out).resolve()
    cohort = out / "sim"
    if not (cohort / "config.yaml").exists():
        t0 = time.time()
        simulate("test", seed=args.seed, out=str(cohort), threads=args.cores, contamination=CONTAMINATION)
        print(f"simulated in {time.time() - t0:.0f} s")
    work = out / "run"
    targets = ["results/clonal/P1/mutations.tsv", "results/copynumber/P1/purity_ploidy.tsv",
               "results/qc/P1/identity_samples.tsv"]
    t0 = time.time()
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--configfile",
                           str(cohort / "config.yaml"), "--directory", str(work), "--cores", str(args.cores),
                           *targets], capture_output=True, text=True)
    if proc.returncode:
        sys.exit(proc.stderr[-4000:])
    print(f"workflow to P1's clonal tables in {time.time() - t0:.0f} s")

    truth_pp = pd.read_csv(cohort / "truth" / "P1" / "purity_ploidy.tsv", sep="\t")
    fitted = pd.read_csv(work / "results" / "copynumber" / "P1" / "purity_ploidy.tsv", sep="\t")
    qc = pd.read_csv(work / "results" / "qc" / "P1" / "identity_samples.tsv", sep="\t")
    truth = pd.read_csv(cohort / "truth" / "P1" / "mutations.tsv", sep="\t")
    muts = pd.read_csv(work / "results" / "clonal" / "P1" / "mutations.tsv", sep="\t")
    parts = split_ids(muts["mutation_id"])
    muts = muts.assign(chrom=parts["chrom"].to_numpy(), pos=parts["pos"].to_numpy())
    merged = muts.merge(truth[["chrom", "pos", "sample", "ccf"]].rename(columns={"ccf": "true_ccf"}),
                        on=["chrom", "pos", "sample"])
    share = dict(CONTAMINATION)
    print("| region | c | est. c | true purity | (1-c) x purity | fitted purity | truncal CCF median | "
          "\\|CCF err\\| mean, present | same with a 2nd (1-c) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in truth_pp.itertuples():
        c = share.get(r.sample, 0.0)
        est = qc.loc[qc["sample"] == r.sample, "contamination"]
        fit = fitted.loc[fitted["sample"] == r.sample, "purity"]
        m = merged[(merged["sample"] == r.sample) & merged["clustered"].astype(bool) & (merged["true_ccf"] > 0)]
        trunc = m[m["true_ccf"] >= 0.999]
        err = np.abs(m["cluster_ccf"] - m["true_ccf"]).mean()
        twice = np.abs(np.minimum(m["cluster_ccf"] / (1 - c), 1.0) - m["true_ccf"]).mean()
        print(f"| {r.sample} | {c:.2f} | {float(est.iloc[0]) if len(est) else float('nan'):.4f} | {r.purity:.3f} | "
              f"{(1 - c) * r.purity:.3f} | {float(fit.iloc[0]):.3f} | {trunc['cluster_ccf'].median():.3f} | "
              f"{err:.3f} | {twice:.3f} |")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
