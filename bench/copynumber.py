"""Copy-number benchmarks, each against a baseline measured in the same run.

  binning   our one-pass bin depth (ith.copynumber.depth.bin_depth) vs `mosdepth --by` on the
            same BAMs and bins: wall-time ratio and agreement of the depths.
  scale     segmentation + purity/ploidy fit of a synthetic 3 Gb genome at 10 kb bins x 10
            tumour samples (the whole patient-level step, from bin depths on).
  cnvkit    accuracy on the simulated demo cohort: our purity and integer copy number vs CNVkit
            (coverage/reference/fix/segment/call, given the TRUE purity, which it cannot
            estimate) against the simulator's truth.

    python bench/copynumber.py binning --cohort demo
    python bench/copynumber.py scale
    python bench/copynumber.py cnvkit --cohort demo --results .     # after `make demo`
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # bench.cn_baselines

from bench.cn_baselines import make_snp_vcf, run_cnvkit, run_mosdepth  # noqa: E402
from ith.copynumber.bins import make_bins  # noqa: E402
from ith.copynumber.call import CnParams, CnSample, call_patient  # noqa: E402
from ith.copynumber.depth import bin_depth  # noqa: E402
from ith.io.reference import included_contigs, read_fai  # noqa: E402


def _bed(bins: pd.DataFrame, path: str) -> str:
    out = bins[["chrom", "start", "end"]].copy()
    out["start"] -= 1
    out.to_csv(path, sep="\t", header=False, index=False)
    return path


def bench_binning(cohort: Path, bin_size: int, threads: int) -> None:
    fasta = str(cohort / "reference" / "genome.fa")
    bins = make_bins(fasta, included_contigs(read_fai(fasta, "x"), None), bin_size)
    bams = sorted(str(p) for p in (cohort / "bams").glob("*/*.bam"))
    size = sum(Path(b).stat().st_size for b in bams) / 1e9
    print(f"{len(bams)} BAMs, {size:.2f} GB, {len(bins)} bins of {bin_size} bp, {threads} threads")
    bin_depth(bams[0], bins.head(10), threads=threads)  # compile the walker outside the timing
    ours = mos = 0.0
    agree = []
    with tempfile.TemporaryDirectory() as tmp:
        bed = _bed(bins, f"{tmp}/bins.bed")
        for b in bams:
            t0 = time.perf_counter()
            table, _ = bin_depth(b, bins, threads=threads, min_mapq=20)
            ours += time.perf_counter() - t0
            secs, m = run_mosdepth(b, bed, f"{tmp}/m", threads=threads, min_mapq=20)
            mos += secs
            ok = m["depth"].to_numpy() > 1
            agree.append(np.median(np.abs(table["depth"].to_numpy()[ok] / m["depth"].to_numpy()[ok] - 1)))
    print(f"ours {ours:.1f} s, mosdepth --by -n --fast-mode {mos:.1f} s: ratio {ours / mos:.2f}x "
          f"({size / ours * 1e3:.0f} MB/s of BAM)")
    print(f"median |ours / mosdepth - 1| per bin: {np.median(agree):.4f} (mosdepth counts supplementary pieces, "
          "we do not)")


def _synthetic_patient(rng: np.random.Generator, n_samples: int, bin_size: int):
    """A human-sized genome with clonal and subclonal events, a normal and n tumour regions."""
    lengths = [248, 242, 198, 190, 181, 171, 159, 145, 138, 134, 135, 133, 114, 107, 102, 90, 83, 80, 59, 64, 47,
               51, 156]
    names = [f"chr{i}" for i in range(1, 23)] + ["chrX"]
    frames = []
    for name, mb in zip(names, lengths):
        starts = np.arange(0, mb * 1_000_000, bin_size)
        frames.append(pd.DataFrame({"chrom": name, "start": starts + 1, "end": starts + bin_size}))
    bins = pd.concat(frames, ignore_index=True)
    n = len(bins)
    bins["target"] = False
    bins["gc"] = np.clip(rng.normal(0.41, 0.05, n), 0.25, 0.7)
    bins["mappable"] = 1.0
    # truncal states: ~40 events of 2-40 Mb; then subclonal ones per sample
    major, minor = np.ones(n, int), np.ones(n, int)
    for _ in range(40):
        a = int(rng.integers(0, n - 4000))
        b = a + int(rng.integers(200, 4000))
        kind = rng.integers(0, 3)
        if kind == 0:
            major[a:b] += 1
        elif kind == 1:
            minor[a:b] = 0
        else:
            major[a:b], minor[a:b] = major[a:b] + minor[a:b], 0
    depth, reads = {}, {}
    gc_bias = np.exp(-0.5 * ((bins["gc"].to_numpy() - 0.42) / 0.2) ** 2)
    depth["N"] = rng.poisson(3000 * gc_bias) / 100.0
    purities = rng.uniform(0.4, 0.9, n_samples)
    het_pos = np.flatnonzero(rng.random(n) < 0.8)  # ~one het SNP per bin
    baf_rows = [pd.DataFrame({"chrom": bins["chrom"].to_numpy()[het_pos], "pos": bins["start"].to_numpy()[het_pos] + 5,
                              "sample": "N", "ref_counts": 15, "alt_counts": 15})]
    for s in range(n_samples):
        p = purities[s]
        c = (major + minor).astype(float)
        sub = rng.integers(0, n - 2000)
        c2 = c.copy()
        c2[sub:sub + 1500] += 1  # one subclonal gain per sample
        psi = c[(bins["chrom"] != "chrX").to_numpy()].mean()  # ploidy is over the autosomes
        r = (p * c2 + 2 * (1 - p)) / (p * psi + 2 * (1 - p))
        depth[f"T{s}"] = rng.poisson(6000 * r * gc_bias) / 100.0
        bfrac = (p * minor + (1 - p)) / (p * c + 2 * (1 - p))
        tot = rng.poisson(40, len(het_pos))
        alt = rng.binomial(tot, np.where(rng.random(len(het_pos)) < 0.5, bfrac[het_pos], 1 - bfrac[het_pos]))
        baf_rows.append(pd.DataFrame({"chrom": bins["chrom"].to_numpy()[het_pos],
                                      "pos": bins["start"].to_numpy()[het_pos] + 5, "sample": f"T{s}",
                                      "ref_counts": tot - alt, "alt_counts": alt}))
    for k in depth:
        reads[k] = depth[k] * bin_size / 100
    samples = [CnSample("N", "normal")] + [CnSample(f"T{s}", "tumour") for s in range(n_samples)]
    return bins, depth, reads, samples, pd.concat(baf_rows, ignore_index=True), purities


def bench_scale(n_samples: int, bin_size: int) -> None:
    rng = np.random.default_rng(7)
    bins, depth, reads, samples, baf, purities = _synthetic_patient(rng, n_samples, bin_size)
    print(f"synthetic genome {bins['end'].groupby(bins['chrom']).max().sum() / 1e9:.2f} Gb, {len(bins)} bins of "
          f"{bin_size} bp, {n_samples} tumour samples, {baf['pos'].nunique()} het SNPs")
    t0 = time.perf_counter()
    res = call_patient("S", bins, depth, reads, samples, baf, CnParams(), sex="female")
    secs = time.perf_counter() - t0
    pp = res.purity.set_index("sample")
    err = np.abs(pp.loc[[f"T{s}" for s in range(n_samples)], "purity"].to_numpy() - purities)
    print(pd.DataFrame({"purity_true": np.round(purities, 3), "purity": pp.loc[[f"T{s}" for s in range(n_samples)], "purity"].to_numpy(),
                        "ploidy": pp.loc[[f"T{s}" for s in range(n_samples)], "ploidy"].to_numpy()}).T.to_string())
    print(f"log2 ratios + joint segmentation + {n_samples} purity/ploidy fits: {secs:.1f} s "
          f"(target < 120 s); {res.segments['sample'].eq('T0').sum()} segments; purity error max {err.max():.3f}")


def bench_cnvkit(cohort: Path, results: Path, method: str, threads: int) -> None:
    fasta = str(cohort / "reference" / "genome.fa")
    truth_pp = pd.concat([pd.read_csv(p, sep="\t") for p in sorted((cohort / "truth").glob("*/purity_ploidy.tsv"))])
    truth_seg = pd.concat([pd.read_csv(p, sep="\t") for p in sorted((cohort / "truth").glob("*/segments.tsv"))])
    ours_pp = pd.concat([pd.read_csv(p, sep="\t") for p in sorted((results / "results" / "copynumber").glob("*/purity_ploidy.tsv"))])
    ours_seg = pd.concat([pd.read_csv(p, sep="\t") for p in sorted((results / "results" / "copynumber").glob("*/segments.tsv"))])
    bins = pd.read_csv(results / "results" / "copynumber" / "bins.tsv", sep="\t")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        bed = _bed(bins, f"{tmp}/bins.bed")
        for t in truth_pp[truth_pp["sample"].str.contains("-R")].itertuples():
            normal = str(cohort / "bams" / t.patient / f"{t.patient}-N.bam")
            tumour = str(cohort / "bams" / t.patient / f"{t.sample}.bam")
            _, vcf = make_snp_vcf(normal, tumour, fasta, f"{tmp}/{t.sample}.vcf.gz",
                                  sites=str(cohort / "reference" / "population.vcf.gz"))
            secs, calls = run_cnvkit(tumour, normal, fasta, bed, f"{tmp}/{t.sample}", purity=float(t.purity), vcf=vcf,
                                     sample_in_vcf=t.sample, normal_in_vcf=f"{t.patient}-N", method=method,
                                     threads=threads, ploidy=4 if t.wgd else 2)
            tseg = truth_seg[truth_seg["sample"] == t.sample]
            ours = ours_seg[ours_seg["sample"] == t.sample]
            calls = calls.rename(columns={"cn": "total_cn", "cn1": "major_cn", "cn2": "minor_cn"})
            o = ours_pp[ours_pp["sample"] == t.sample].iloc[0]
            rows.append(dict(sample=t.sample, purity_true=t.purity, purity_ours=o["purity"],
                             ploidy_true=round(t.ploidy, 2), ploidy_ours=o["ploidy"], wgd_true=t.wgd, wgd_ours=o["wgd"],
                             total_ours=_agree(ours, tseg, True, calls), allelic_ours=_agree(ours, tseg, False, calls),
                             total_cnvkit=_agree(calls, tseg, True, ours), allelic_cnvkit=_agree(calls, tseg, False, ours),
                             cnvkit_seconds=round(secs, 1)))
    df = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print(df.to_string(index=False))
    print(f"CNVkit ({method}, given the true purity and ploidy class): total CN right on "
          f"{df['total_cnvkit'].mean():.3f} of the clonal genome, major/minor on {df['allelic_cnvkit'].mean():.3f}")
    print(f"ours (purity estimated): total CN {df['total_ours'].mean():.3f}, major/minor {df['allelic_ours'].mean():.3f}, "
          f"purity error mean {np.abs(df['purity_ours'] - df['purity_true']).mean():.3f} "
          f"max {np.abs(df['purity_ours'] - df['purity_true']).max():.3f}")


def _called(calls: pd.DataFrame, chrom: str, length: int) -> np.ndarray:
    got = np.zeros(length, bool)
    for r in calls[(calls["chrom"] == chrom) & calls["total_cn"].notna()].itertuples():
        got[int(r.start):min(int(r.end), length - 1) + 1] = True
    return got


def _agree(calls: pd.DataFrame, truth: pd.DataFrame, total: bool, other: pd.DataFrame | None = None) -> float:
    """Fraction of the genome with clonal truth where the call equals the truth, over the
    positions both tools called (bins dropped as unmappable by either are not counted)."""
    tot = ok = 0
    for chrom, tt in truth.groupby("chrom"):
        length = int(tt["end"].max()) + 1
        want = np.full((length, 2), -9)
        clonal = np.zeros(length, bool)
        for r in tt.itertuples():
            want[r.start:r.end + 1] = (r.total_cn, r.minor_cn)
            clonal[r.start:r.end + 1] = not r.subclonal
        got = np.full((length, 2), -1.0)
        for r in calls[calls["chrom"] == chrom].itertuples():
            minor = getattr(r, "minor_cn", np.nan)
            got[int(r.start):min(int(r.end), length - 1) + 1] = (r.total_cn, minor if pd.notna(minor) else -1)
        m = clonal & (want[:, 0] >= 0) & _called(calls, chrom, length)
        if other is not None:
            m &= _called(other, chrom, length)
        same = got[:, 0] == want[:, 0] if total else (got == want).all(axis=1)
        tot += m.sum()
        ok += (m & same).sum()
    return round(ok / tot, 4) if tot else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["binning", "scale", "cnvkit"])
    ap.add_argument("--cohort", default="demo", type=Path)
    ap.add_argument("--results", default=".", type=Path, help="directory holding the workflow's results/")
    ap.add_argument("--bin-size", type=int, default=None)
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--method", default="hmm", help="CNVkit segmentation method (hmm, haar, none, cbs)")
    a = ap.parse_args()
    if a.what == "binning":
        bench_binning(a.cohort, a.bin_size or 5000, a.threads)
    elif a.what == "scale":
        bench_scale(a.samples, a.bin_size or 10_000)
    else:
        bench_cnvkit(a.cohort.resolve(), a.results.resolve(), a.method, a.threads)


if __name__ == "__main__":
    main()
