"""Matched normal, pooled reference or both (copynumber.reference.mode) on a simulated capture
cohort (or genome), against its truth: per tumour region the purity error, whether WGD is right,
the share of targeted bases (a genome: of all bases) whose clonal major/minor copy number is
right, and the noise of its log2 ratios (robust SD of
bin-to-bin differences / sqrt 2, over the usable autosomal bins).

The workflow must have run on the cohort up to copy number (its coverage, BAF and counts files
are read from --run); the ratios and calls are then redone here per mode, at the function level
(ith.copynumber.call.sample_bins and call_patient, as the rules call them). The pool holds every
normal of the cohort (the matched one too, as the workflow builds it), or with --leave-out all
but the patient's own.

    python bench/cnref.py --cohort exome6 --run run6 [--leave-out]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ith.copynumber.call import CnParams, CnSample, call_patient, sample_bins
from ith.copynumber.depth import chrom_kind
from ith.copynumber.reference import ReferenceParams, build_reference
from ith.copynumber.segment import noise_sd


def targeted_agreement(seg: pd.DataFrame, truth: pd.DataFrame, targets: pd.DataFrame) -> float:
    """Share of the targeted bases with a clonal true state whose called major/minor equal it."""
    tot = ok = 0
    for t in targets.itertuples():
        pos = np.arange(t.start, t.end + 1)
        tt = truth[(truth["chrom"] == t.chrom) & (truth["start"] <= t.end) & (truth["end"] >= t.start)]
        cs = seg[(seg["chrom"] == t.chrom) & (seg["start"] <= t.end) & (seg["end"] >= t.start)]
        tm, tn, cl = (np.full(len(pos), -9) for _ in range(3))
        for r in tt.itertuples():
            m = (pos >= r.start) & (pos <= r.end)
            tm[m], tn[m], cl[m] = r.major_cn, r.minor_cn, 0 if r.subclonal else 1
        sm, sn = np.full(len(pos), -1), np.full(len(pos), -1)
        for r in cs.itertuples():
            m = (pos >= r.start) & (pos <= r.end)
            sm[m] = -1 if pd.isna(r.major_cn) else r.major_cn
            sn[m] = -1 if pd.isna(r.minor_cn) else r.minor_cn
        keep = (cl == 1) & (tm >= 0)
        tot += keep.sum()
        ok += (keep & (tm == sm) & (tn == sn)).sum()
    return ok / tot if tot else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cohort", type=Path, required=True)
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--leave-out", action="store_true", help="pool every normal but the patient's own")
    ap.add_argument("--modes", default="matched,pooled,hybrid")
    ap.add_argument("--max-spread", type=float, default=ReferenceParams().max_spread)
    ap.add_argument("--patients", default=None, help="comma-separated; default all")
    args = ap.parse_args()
    sheet = pd.read_csv(args.cohort / "samples.tsv", sep="\t")
    res = args.run / "results" / "copynumber"
    bins = pd.read_csv(res / "bins.tsv", sep="\t", dtype={"chrom": str})
    # a genome (no targets): every base with a true state counts
    targets_file = args.cohort / "truth" / "targets.tsv"
    targets = pd.read_csv(targets_file, sep="\t") if targets_file.exists() else None
    normals = sheet[sheet["type"] == "normal"]
    cov = {s: pd.read_csv(res / p / "coverage" / f"{s}.tsv", sep="\t") for p, s in zip(sheet["patient"], sheet["sample"])}
    params = CnParams()
    pool_params = ReferenceParams(min_normals=2, max_spread=args.max_spread)
    auto = chrom_kind(bins["chrom"]) == "A"
    rows = []
    full_ref, _ = build_reference(bins, {s: cov[s]["depth"].to_numpy(float) for s in normals["sample"]}, pool_params,
                                  params.min_mappable, params.normal_depth_range)
    print(f"pool of {len(normals)} normals: {int(full_ref['usable'].sum())}/{len(bins)} bins usable, median spread "
          f"{full_ref['spread'].median():.3f} (targets {full_ref.loc[full_ref['target'], 'spread'].median():.3f})")
    for patient, rows_p in sheet.groupby("patient"):
        if args.patients and patient not in args.patients.split(","):
            continue
        normal = rows_p.loc[rows_p["type"] == "normal", "sample"].iloc[0]
        ref = full_ref
        if args.leave_out:
            ref, _ = build_reference(bins, {s: cov[s]["depth"].to_numpy(float) for s in normals["sample"] if s != normal},
                                     pool_params, params.min_mappable, params.normal_depth_range)
        tumours = rows_p.loc[rows_p["type"] == "tumour", "sample"].tolist()
        samples = [CnSample(s, t) for s, t in zip(rows_p["sample"], rows_p["type"])]
        baf = pd.read_csv(res / patient / "baf.tsv", sep="\t", dtype={"chrom": str, "ref": str, "alt": str},
                          keep_default_na=False, na_values=["NA"])
        counts = pd.read_csv(args.run / "results" / "variants" / patient / "counts.tsv", sep="\t",
                             keep_default_na=False, na_values=["NA"])
        truth_pp = pd.read_csv(args.cohort / "truth" / patient / "purity_ploidy.tsv", sep="\t").set_index("sample")
        truth_seg = pd.read_csv(args.cohort / "truth" / patient / "segments.tsv", sep="\t")
        for mode in args.modes.split(","):
            t0 = time.process_time()
            ratios = {s: sample_bins(patient, s, bins, cov[normal]["depth"].to_numpy(float),
                                     cov[s]["depth"].to_numpy(float), params, mode=mode, reference=ref)["log2r"]
                      .to_numpy(float) for s in tumours}
            out = call_patient(patient, bins, {s: cov[s]["depth"].to_numpy(float) for s in rows_p["sample"]},
                               {s: cov[s]["reads"].to_numpy(float) for s in rows_p["sample"]}, samples, baf, params,
                               mutations=counts, log2r=ratios)
            cpu = time.process_time() - t0
            pp = out.purity.set_index("sample")
            for s in tumours:
                x = ratios[s]
                rows.append(dict(mode=mode, patient=patient, sample=s, purity=pp.loc[s, "purity"],
                                 purity_true=truth_pp.loc[s, "purity"],
                                 purity_err=round(abs(pp.loc[s, "purity"] - truth_pp.loc[s, "purity"]), 3),
                                 wgd_right=bool(pp.loc[s, "wgd"] == truth_pp.loc[s, "wgd"]),
                                 cn_right=round(targeted_agreement(out.segments[out.segments["sample"] == s],
                                                                   truth_seg[truth_seg["sample"] == s],
                                                                   targets if targets is not None else
                                                                   truth_seg[truth_seg["sample"] == s]), 3),
                                 noise_target=round(noise_sd(x[auto & bins["target"].to_numpy(bool)]), 3),
                                 noise_off=round(noise_sd(x[auto & ~bins["target"].to_numpy(bool)]), 3),
                                 usable_bins=int(np.isfinite(x).sum()), segments=int((out.segments["sample"] == s).sum()),
                                 cpu_s=round(cpu, 1)))
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print(table.to_string(index=False))
    summary = table.groupby("mode", sort=False).agg(
        max_purity_err=("purity_err", "max"), mean_purity_err=("purity_err", "mean"), min_cn_right=("cn_right", "min"),
        mean_cn_right=("cn_right", "mean"), wgd_wrong=("wgd_right", lambda x: int((~x).sum())), noise_target=("noise_target", "median"), noise_off=("noise_off", "median"),
        segments=("segments", "median"), usable_bins=("usable_bins", "median"))
    print(summary.round(3).to_string())


if __name__ == "__main__":
    main()
