"""Sample-identity (swap) check: germline genotypes of every sample of a patient at common SNPs.

Sites are common SNPs from a known-sites VCF (most informative AFs), or, without one, SNPs found
in the normal. With a known-sites VCF the sites are chosen once for the cohort, and each sample's
alleles there are counted inside its QC pass (ith.qc.onepass carrying an ith.io.sitecount
counter: fragments, each once), so no BAM is read again for the check. Without one, the sites
come from the normal's own pileup and all samples are genotyped in one `bcftools mpileup` pass
(streamed, or through the index when the sites are sparse). Two samples
of one person never show opposite homozygotes (IBS0) at a site, even across tumour LOH (which
only turns heterozygous sites homozygous), while unrelated people do at a few percent of common
sites; so IBS0 is the swap criterion and plain concordance is reported beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
import pysam

from ith.io.alignments import reach_by_index
from ith.io.naming import resource_naming
from ith.io.pileup import PileupParams, pileup_counts
from ith.io.reference import contig_class, is_autosome, read_fai
from ith.qc.sitecounts import MIN_BASEQ


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




def _thin(df: pd.DataFrame, n: int) -> pd.DataFrame:
    if len(df) <= n:
        return df.reset_index(drop=True)
    idx = np.unique(np.linspace(0, len(df) - 1, n).round().astype(int))
    return df.iloc[idx].reset_index(drop=True)


def _identity_contigs(fasta: str) -> list[tuple[str, int]]:
    """The autosomes; a reference without numbered ones (a custom assembly) falls back on its
    contigs that are neither sex chromosome nor mitochondrion (heteroplasmy is no genotype)."""
    with pysam.FastaFile(fasta) as fa:
        return [(n, ln) for n, ln in zip(fa.references, fa.lengths) if is_autosome(n)] or \
            [(n, ln) for n, ln in zip(fa.references, fa.lengths) if contig_class(n) == "other"]


def sites_from_known(vcf: str, fasta: str, params: IdentityParams) -> pd.DataFrame:
    """Biallelic autosomal SNPs with population AF in [min_af, 1-min_af], thinned evenly (chrom,
    pos, ref, alt, af); read in the VCF's contig naming, returned in the reference's."""
    contigs = [n for n, _ in _identity_contigs(fasta)]
    to_resource = resource_naming(vcf, "known_sites", read_fai(fasta, "reference"), "vcf").to_resource
    rows = []
    with pysam.VariantFile(vcf) as fh:
        for contig in contigs:
            if contig not in to_resource:
                continue
            for rec in fh.fetch(to_resource[contig]):
                if rec.alts is None or len(rec.alts) != 1 or len(rec.ref) != 1 or len(rec.alts[0]) != 1:
                    continue
                af = rec.info.get("AF")
                af = af[0] if isinstance(af, tuple) else af
                if af is None or not (params.min_af <= af <= 1 - params.min_af):
                    continue
                rows.append((contig, rec.pos, rec.ref, rec.alts[0], float(af)))
    return _thin(pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt", "af"]), params.max_sites)


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


def _pileup_params(min_mapq: int) -> PileupParams:
    # no BAQ: genotypes at known SNPs do not need it, and it is the slow part on deep samples
    return PileupParams(min_mapq=min_mapq, min_baseq=MIN_BASEQ, baq=False)


def discover_sites(normal_bam: str, fasta: str, params: IdentityParams, min_mapq: int) -> pd.DataFrame:
    """Heterozygous and homozygous-alt SNPs of the normal, in evenly spaced windows."""
    windows = [(name, start + 1, end) for name, start, end in _windows(fasta, params)]
    c = pileup_counts([normal_bam], ["normal"], fasta, _pileup_params(min_mapq), tumour_idx=[0],
                      include="SUM(FMT/AD[0:1-])>=2", regions=windows)
    snv = ~c.sites["indel"].to_numpy() & (c.sites["ref"].str.len() == 1).to_numpy() & \
        (c.sites["alt"].str.len() == 1).to_numpy()
    depth = (c.ref + c.alt)[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        vaf = np.where(depth > 0, c.alt[:, 0] / depth, 0.0)
    keep = snv & (depth >= params.min_depth) & (vaf >= 0.25)
    return _thin(c.sites.loc[keep, ["chrom", "pos", "ref", "alt"]], params.max_sites)


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


def _verdicts(patient: str, samples: list[str], ref: np.ndarray, alt: np.ndarray, params: IdentityParams
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pairs and per-sample verdicts from (sites, samples) reference and alt counts."""
    g = np.stack([genotype(ref[:, i], alt[:, i], params.min_depth) for i in range(len(samples))], axis=1) \
        if len(ref) else np.full((0, len(samples)), -1)
    pairs = pairwise_identity(patient, samples, g, params)
    return pairs, suspects(pairs, samples)


def identity_check(patient: str, samples: list[str], bams: list[str], normal_index: int, fasta: str,
                   known_sites: str | None, params: IdentityParams, min_mapq: int
                   ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The check from the BAMs themselves (the workflow's path without known sites)."""
    sites = sites_from_known(known_sites, fasta, params) if known_sites else \
        discover_sites(bams[normal_index], fasta, params, min_mapq)
    info = {"sites_source": "known_sites" if known_sites else "normal", "sites": len(sites)}
    if sites.empty:
        pairs, verdicts = _verdicts(patient, samples, np.zeros((0, len(samples))), np.zeros((0, len(samples))), params)
        return pairs, verdicts, info
    jump = reach_by_index(len(sites), sum(ln for _, ln in _identity_contigs(fasta)))
    info["reads"] = "through the index (-R)" if jump else "streamed (-T)"
    c = pileup_counts(bams, samples, fasta, _pileup_params(min_mapq), tumour_idx=[], sites=sites, jump=jump)
    info["sites_covered"] = len(c)
    pairs, verdicts = _verdicts(patient, samples, c.ref, c.alt, params)
    return pairs, verdicts, info


def identity_from_counts(patient: str, samples: list[str], counts: list[pd.DataFrame], params: IdentityParams
                         ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The check from each sample's fragment counts at the same known sites (the tables QC's pass
    writes, ith.qc.sitecounts.COUNT_COLUMNS, one per sample in `samples` order)."""
    keys = counts[0][["chrom", "pos", "ref", "alt"]].reset_index(drop=True) if counts else None
    for s, c in zip(samples, counts):
        if not c[["chrom", "pos", "ref", "alt"]].reset_index(drop=True).equals(keys):
            raise ValueError(f"sample {s}: its identity counts are at other sites than sample {samples[0]}'s; "
                             "both must come from the same results/qc/identity_sites.tsv (re-run qc_sample)")
    n = len(keys) if keys is not None else 0
    ref = np.zeros((n, len(samples)), dtype=np.int64)
    alt = np.zeros((n, len(samples)), dtype=np.int64)
    for i, c in enumerate(counts):
        m = c[list("ACGT")].to_numpy()
        ref[:, i] = m[np.arange(n), c["ref"].map("ACGT".index).to_numpy()]
        alt[:, i] = m[np.arange(n), c["alt"].map("ACGT".index).to_numpy()]
    # sites no sample reaches at depth are not 'covered', as bcftools would not report them
    covered = int(((ref + alt).max(axis=1) > 0).sum()) if n else 0
    info = {"sites_source": "known_sites", "sites": n, "reads": "counted in each sample's QC pass",
            "sites_covered": covered}
    pairs, verdicts = _verdicts(patient, samples, ref, alt, params)
    return pairs, verdicts, info
