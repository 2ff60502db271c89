"""Sample-identity (swap) check: germline genotypes of every sample of a patient at common SNPs.

Sites are common SNPs from a known-sites VCF (most informative AFs), or, without one, SNPs found
in the normal. All samples are genotyped in one streaming `bcftools mpileup -T` pass. Two samples
of one person never show opposite homozygotes (IBS0) at a site, even across tumour LOH (which
only turns heterozygous sites homozygous), while unrelated people do at a few percent of common
sites; so IBS0 is the swap criterion and plain concordance is reported beside it.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
import pysam
import pysam.bcftools

from ith.qc.bamstats import AUTOSOME, X_NAMES


@dataclass(frozen=True)
class IdentityParams:
    max_sites: int = 5000
    min_af: float = 0.2
    discovery_windows: int = 200
    discovery_window_size: int = 20_000
    min_depth: int = 15
    min_sites: int = 30
    max_ibs0: float = 0.03
    min_concordance: float = 0.6
    min_mapq: int = 20
    min_baseq: int = 20


def _thin(df: pd.DataFrame, n: int) -> pd.DataFrame:
    if len(df) <= n:
        return df.reset_index(drop=True)
    idx = np.unique(np.linspace(0, len(df) - 1, n).round().astype(int))
    return df.iloc[idx].reset_index(drop=True)


def _identity_contigs(fasta: str) -> list[tuple[str, int]]:
    with pysam.FastaFile(fasta) as fa:
        return [(n, ln) for n, ln in zip(fa.references, fa.lengths) if AUTOSOME.match(n)] or \
            [(n, ln) for n, ln in zip(fa.references, fa.lengths) if n not in X_NAMES and n not in {"chrY", "Y"}]


def sites_from_known(vcf: str, fasta: str, params: IdentityParams) -> pd.DataFrame:
    """Biallelic autosomal SNPs with population AF in [min_af, 1-min_af], thinned evenly."""
    contigs = [n for n, _ in _identity_contigs(fasta)]
    rows = []
    with pysam.VariantFile(vcf) as fh:
        available = set(fh.header.contigs)
        for contig in contigs:
            if contig not in available:
                continue
            for rec in fh.fetch(contig):
                if rec.alts is None or len(rec.alts) != 1 or len(rec.ref) != 1 or len(rec.alts[0]) != 1:
                    continue
                af = rec.info.get("AF")
                af = af[0] if isinstance(af, tuple) else af
                if af is None or not (params.min_af <= af <= 1 - params.min_af):
                    continue
                rows.append((rec.chrom, rec.pos, rec.ref, rec.alts[0]))
    return _thin(pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt"]), params.max_sites)


def _windows(fasta: str, params: IdentityParams) -> list[tuple[str, int, int]]:
    contigs = _identity_contigs(fasta)
    total = sum(ln for _, ln in contigs)
    step = max(total // params.discovery_windows, params.discovery_window_size)
    out, offset = [], 0
    for name, length in contigs:
        start = (step - offset % step) % step
        while start < length:
            out.append((name, start, min(length, start + params.discovery_window_size)))
            start += step
        offset += length
    return out


def mpileup_ad(bams: list[str], fasta: str, params: IdentityParams, targets: str | None = None,
               regions: str | None = None) -> pysam.VariantFile:
    """Allele depths of every BAM (one column each, in order) at the target sites or regions."""
    tmp = tempfile.NamedTemporaryFile(suffix=".vcf", delete=False)
    tmp.close()
    args = ["-f", fasta, "-a", "AD,DP", "-q", str(params.min_mapq), "-Q", str(params.min_baseq),
            "-d", "100000", "-B", "--ignore-RG", "-Ov", "-o", tmp.name]
    if targets:
        args += ["-T", targets]
    if regions:
        args += ["-R", regions]
    pysam.bcftools.mpileup(*args, *bams, catch_stdout=False)
    return tmp.name


def _read_ad(path: str, sites: pd.DataFrame | None, n_samples: int) -> pd.DataFrame:
    """(chrom, pos, ref, alt) + ref/alt depth per sample; alt is the known alt or the top observed one."""
    want = None if sites is None else {(c, int(p)): (r, a) for c, p, r, a in sites[["chrom", "pos", "ref", "alt"]].itertuples(index=False)}
    rows = []
    with pysam.VariantFile(path) as fh:
        for rec in fh:
            alleles = list(rec.alleles)
            ad = np.array([[x if x is not None else 0 for x in rec.samples[i]["AD"]] for i in range(n_samples)])
            if want is not None:
                key = (rec.chrom, rec.pos)
                if key not in want or want[key][0] != rec.ref:
                    continue
                alt = want[key][1]
                ai = alleles.index(alt) if alt in alleles else None
            else:
                cand = [i for i, a in enumerate(alleles[1:], 1) if a != "<*>" and len(a) == 1 and len(rec.ref) == 1]
                if not cand:
                    continue
                ai = max(cand, key=lambda i: ad[:, i].sum())
                alt = alleles[ai]
            alt_counts = ad[:, ai] if ai is not None else np.zeros(n_samples, dtype=int)
            rows.append((rec.chrom, rec.pos, rec.ref, alt, *ad[:, 0], *alt_counts))
    cols = ["chrom", "pos", "ref", "alt"] + [f"ref{i}" for i in range(n_samples)] + [f"alt{i}" for i in range(n_samples)]
    return pd.DataFrame(rows, columns=cols)


def discover_sites(normal_bam: str, fasta: str, params: IdentityParams) -> pd.DataFrame:
    """Heterozygous and homozygous-alt SNPs of the normal, in evenly spaced windows."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as fh:
        for name, start, end in _windows(fasta, params):
            fh.write(f"{name}\t{start + 1}\t{end}\n")
        regions = fh.name
    bcf = mpileup_ad([normal_bam], fasta, params, regions=regions)
    try:
        ad = _read_ad(bcf, None, 1)
    finally:
        os.remove(bcf)
        os.remove(regions)
    depth = ad["ref0"] + ad["alt0"]
    vaf = ad["alt0"] / depth.where(depth > 0)
    keep = (depth >= params.min_depth) & (vaf >= 0.25)
    return _thin(ad.loc[keep, ["chrom", "pos", "ref", "alt"]], params.max_sites)


def genotype(ref: np.ndarray, alt: np.ndarray, min_depth: int) -> np.ndarray:
    """0/1/2 alt alleles from the alt fraction; -1 below min_depth."""
    depth = ref + alt
    with np.errstate(invalid="ignore", divide="ignore"):
        f = alt / depth
    g = np.where(f < 0.1, 0, np.where(f > 0.9, 2, 1))
    return np.where(depth >= min_depth, g, -1)


def pairwise_identity(patient: str, samples: list[str], genotypes: np.ndarray, params: IdentityParams) -> pd.DataFrame:
    rows = []
    for a, b in combinations(range(len(samples)), 2):
        ga, gb = genotypes[:, a], genotypes[:, b]
        both = (ga >= 0) & (gb >= 0)
        n = int(both.sum())
        conc = float((ga[both] == gb[both]).mean()) if n else np.nan
        ibs0 = float((np.abs(ga[both] - gb[both]) == 2).mean()) if n else np.nan
        if n < params.min_sites:
            verdict = "not_assessable"
        elif ibs0 > params.max_ibs0 or conc < params.min_concordance:
            verdict = "different_person"
        else:
            verdict = "same_person"
        rows.append(dict(patient=patient, sample_a=samples[a], sample_b=samples[b], n_sites=n,
                         concordance=round(conc, 4) if n else np.nan, ibs0=round(ibs0, 4) if n else np.nan,
                         verdict=verdict))
    return pd.DataFrame(rows, columns=["patient", "sample_a", "sample_b", "n_sites", "concordance", "ibs0", "verdict"])


def suspects(pairs: pd.DataFrame, samples: list[str]) -> pd.DataFrame:
    """A sample is suspect when it looks like a different person from most samples it was compared with."""
    rows = []
    for s in samples:
        mine = pairs[(pairs.sample_a == s) | (pairs.sample_b == s)]
        assessed = mine[mine.verdict != "not_assessable"]
        n_diff = int((assessed.verdict == "different_person").sum())
        if len(assessed) == 0:
            status = "not_assessable"
        elif n_diff * 2 > len(assessed) or (len(assessed) == 1 and n_diff == 1):
            status = "suspect"
        else:
            status = "ok"
        rows.append(dict(sample=s, compared=len(assessed), mismatches=n_diff, status=status))
    return pd.DataFrame(rows)


def identity_check(patient: str, samples: list[str], bams: list[str], normal_index: int, fasta: str,
                   known_sites: str | None, params: IdentityParams) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    sites = sites_from_known(known_sites, fasta, params) if known_sites else \
        discover_sites(bams[normal_index], fasta, params)
    info = {"sites_source": "known_sites" if known_sites else "normal", "sites": len(sites)}
    if sites.empty:
        pairs = pairwise_identity(patient, samples, np.full((0, len(samples)), -1), params)
        return pairs, suspects(pairs, samples), info
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as fh:
        sites[["chrom", "pos"]].to_csv(fh, sep="\t", header=False, index=False)
        targets = fh.name
    bcf = mpileup_ad(bams, fasta, params, targets=targets)
    try:
        ad = _read_ad(bcf, sites, len(bams))
    finally:
        os.remove(bcf)
        os.remove(targets)
    g = np.stack([genotype(ad[f"ref{i}"].to_numpy(), ad[f"alt{i}"].to_numpy(), params.min_depth)
                  for i in range(len(bams))], axis=1) if len(ad) else np.full((0, len(bams)), -1)
    info["sites_covered"] = len(ad)
    pairs = pairwise_identity(patient, samples, g, params)
    return pairs, suspects(pairs, samples), info
