"""Cross-individual contamination of one sample from its allele counts at common germline SNPs.

A fraction c of a contaminated sample's DNA comes from another person. At a site where the
sample's person is homozygous, every read of the other allele is either a sequencing error or
comes from the contaminant, whose genotype there is unknown but drawn from the population: with
q the population frequency of the other allele, the contaminant carries h = 0, 1, 2 copies of it
with Hardy-Weinberg probabilities (1-q)^2, 2q(1-q), q^2, and then a read is of the other allele
with probability c h / 2 (plus errors). The likelihood of the other-allele reads over all
homozygous sites, the contaminant's genotype summed out per site, is maximised over c (as GATK
CalculateContamination and Conpair do); the 95% interval is where twice the log-likelihood lies
within 3.84 of its maximum (likelihood ratio, one parameter).

Which sites are homozygous:

- With `reference` counts of the same person (the matched normal): sites the reference calls
  homozygous confidently (its other-allele reads too few for a heterozygote: binomial tail below
  `het_tail` and a fraction below `max_reference_fraction`). The sample's own reads play no part
  in the choice, so no selection bias, and a tumour's homozygous sites stay homozygous whatever
  its copy number (loss of heterozygosity makes heterozygous sites look homozygous, never the
  reverse): the estimate does not depend on purity or copy number. A site the reference wrongly
  calls homozygous (a heterozygote with few reads) would add half its reads to the other allele,
  so every site also has a small `outlier` probability of any allele fraction (uniform).
- Without: the sample's own genotype is summed out per site as well (homozygous reference,
  homozygous alternative with the contamination term, or heterozygous at any allele fraction,
  uniform, in Hardy-Weinberg proportions). No threshold is applied to the sample's own reads, so
  a contaminant's reads can never push a homozygous site out of the set (a threshold would cut
  the upper tail of the contaminant's reads and bias the estimate down). This is right for a
  normal or a plasma sample (diploid); for a tumour without its normal, heterozygous sites under
  loss of heterozygosity at high purity sit at a few percent and are partly read as
  contamination, so the estimate is then an upper bound.

The error rate (per read, of a given wrong base) is estimated from the same counts: reads of the
two bases that are neither the reference nor the alternative allele, halved. Sites on X, Y and
the mitochondrion are left out (one copy in males; heteroplasmy).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from scipy.optimize import brentq, minimize_scalar
from scipy.special import gammaln, logsumexp
from scipy.stats import binom

from ith.io.reference import contig_class

BASES = ("A", "C", "G", "T")
MAX_CONTAMINATION = 0.5
CHI2_95 = 3.841458820694124  # chi-square, 1 degree of freedom, 95%


@dataclass(frozen=True)
class Contamination:
    """A sample's estimated contamination (fraction of its DNA from another person)."""

    estimate: float
    low: float  # 95% likelihood-ratio interval
    high: float
    n_sites: int  # homozygous sites used (reference mode) or all sites (self mode)
    error_rate: float  # per read, of one given wrong base, as used in the model
    mode: str  # "reference" (homozygous sites from another sample of the person) or "self"
    flag: str  # "pass", "flagged" (estimate >= flag_at), "unusable" (estimate > unusable_at), "not_assessable"

    @property
    def flagged(self) -> bool:
        return self.flag in ("flagged", "unusable")

    def columns(self) -> dict[str, object]:
        """The QC table's columns of this result (contamination, contamination_low, ...)."""
        return {"contamination": self.estimate, "contamination_low": self.low, "contamination_high": self.high,
                "contamination_sites": self.n_sites, "contamination_mode": self.mode,
                "contamination_flag": self.flag}


def _bases(counts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reads of the reference allele, of the alternative allele and of the two other bases."""
    acgt = counts[list(BASES)].to_numpy(np.int64)
    ref_i = np.array([BASES.index(b) for b in counts["ref"].astype(str)], dtype=np.int64)
    alt_i = np.array([BASES.index(b) for b in counts["alt"].astype(str)], dtype=np.int64)
    rows = np.arange(len(counts))
    n_ref, n_alt = acgt[rows, ref_i], acgt[rows, alt_i]
    return n_ref, n_alt, acgt.sum(axis=1) - n_ref - n_alt


def _usable(counts: pd.DataFrame) -> pd.DataFrame:
    """Biallelic SNPs of A/C/G/T with a population frequency, off X, Y and the mitochondrion."""
    ok = counts["ref"].astype(str).isin(BASES) & counts["alt"].astype(str).isin(BASES) \
        & (counts["ref"].astype(str) != counts["alt"].astype(str)) & counts["af"].notna()
    ok &= np.array([contig_class(str(c)) in ("autosome", "other") for c in counts["chrom"]], dtype=bool)
    return counts.loc[ok].reset_index(drop=True)


def _read_prob(f: np.ndarray, e: float) -> np.ndarray:
    """Probability that a read counted as ref or alt shows the allele whose DNA fraction is f,
    with errors at rate e to each wrong base (those to the two other bases are not counted)."""
    return (f * (1 - 3 * e) + (1 - f) * e) / (1 - 2 * e)


def _log_choose(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


def _log_binom(k: np.ndarray, n: np.ndarray, p: np.ndarray, log_choose: np.ndarray) -> np.ndarray:
    return log_choose + k * np.log(p) + (n - k) * np.log1p(-p)


def _hwe(q: np.ndarray) -> np.ndarray:
    """(sites, 3) log probabilities of 0, 1, 2 copies of an allele at population frequency q."""
    return np.log(np.stack([(1 - q) ** 2, 2 * q * (1 - q), q ** 2], axis=1))


def _hom_loglik(c: float, k: np.ndarray, n: np.ndarray, log_h: np.ndarray, e: float,
                log_choose: np.ndarray) -> np.ndarray:
    """Per site: log P(k other-allele reads of n | homozygous person, contamination c), the
    contaminant's copies of the other allele summed out (log_h: their log prior)."""
    terms = [log_h[:, h] + _log_binom(k, n, _read_prob(np.full(len(k), c * h / 2), e), log_choose) for h in range(3)]
    return logsumexp(np.stack(terms, axis=1), axis=1)


def _interval(loglik, c_hat: float, top: float) -> tuple[float, float]:
    """Where 2 (max - loglik) <= CHI2_95, bracketed by [0, MAX_CONTAMINATION]."""
    target = top - CHI2_95 / 2

    def gap(c: float) -> float:
        return loglik(c) - target

    low = 0.0 if gap(0.0) >= 0 else brentq(gap, 0.0, c_hat, xtol=1e-7)
    high = MAX_CONTAMINATION if gap(MAX_CONTAMINATION) >= 0 else brentq(gap, c_hat, MAX_CONTAMINATION, xtol=1e-7)
    return float(low), float(high)


def _maximise(loglik) -> tuple[float, float]:
    """The c in [0, MAX_CONTAMINATION] maximising loglik (unimodal in practice): a bounded search
    on a log scale of c from a grid's best cell, so a 0.1% contamination is found as precisely
    as a 30% one; c = 0 stands when it beats every other point."""
    grid = np.concatenate([[0.0], np.geomspace(1e-5, MAX_CONTAMINATION, 60)])
    vals = np.array([loglik(c) for c in grid])
    i = int(np.argmax(vals))
    lo, hi = grid[max(i - 1, 1)], grid[min(i + 1, len(grid) - 1)]
    if i == 0:
        lo, hi = grid[1] / 10, grid[1]
    res = minimize_scalar(lambda x: -loglik(float(np.exp(x))), bounds=(np.log(lo), np.log(hi)), method="bounded",
                          options={"xatol": 1e-6})
    c, best = float(np.exp(res.x)), -float(res.fun)
    if vals[0] >= best:
        return 0.0, float(vals[0])
    return c, best


def _flag(estimate: float, flag_at: float, unusable_at: float) -> str:
    if estimate > unusable_at:
        return "unusable"
    return "flagged" if estimate >= flag_at else "pass"


def estimate_contamination(counts: pd.DataFrame, reference: pd.DataFrame | None = None, *,
                           flag_at: float = 0.02, unusable_at: float = 0.05, min_depth: int = 10,
                           het_tail: float = 1e-3, max_reference_fraction: float = 0.15,
                           outlier: float = 1e-3, error_rate: float | None = None,
                           min_error_rate: float = 1e-5) -> Contamination:
    """Contamination of the sample whose allele counts are `counts`.

    counts: one row per SNP with chrom, pos, ref, alt, A, C, G, T (reads or fragments of each
    base) and af (population frequency of alt); other columns are ignored. reference: the same
    columns (af not needed) for another sample of the same person, usually the matched normal,
    whose homozygous sites are then used (see the module's notes); None estimates from the
    sample alone. Sites with fewer than `min_depth` ref + alt reads (in either table) are left
    out. error_rate: per read, of one given wrong base; None estimates it from the reads of the
    two bases that are neither ref nor alt, floored at min_error_rate. The result is flagged at
    `flag_at` (estimate >= 2% by default: noticeable) and called unusable above `unusable_at`
    (5%: subclonal VAFs are no longer trustworthy)."""
    sites = _usable(counts)
    n_ref, n_alt, n_other = _bases(sites)
    depth = n_ref + n_alt
    if error_rate is None:
        total = int((depth + n_other).sum())
        error_rate = float(n_other.sum()) / (2 * total) if total else 0.0
    e = float(max(error_rate, min_error_rate))
    q_alt = np.clip(sites["af"].to_numpy(float), 1e-4, 1 - 1e-4)
    keep = depth >= min_depth
    if reference is not None:
        mode = "reference"
        ref_sites = reference[["chrom", "pos", "ref", "alt", *BASES]].copy()
        ref_sites["chrom"] = ref_sites["chrom"].astype(str)
        key = sites[["chrom", "pos", "ref", "alt"]].assign(chrom=sites["chrom"].astype(str), row=np.arange(len(sites)))
        merged = key.merge(ref_sites, on=["chrom", "pos", "ref", "alt"], how="inner")
        r_ref, r_alt, _ = _bases(merged)
        r_depth = r_ref + r_alt
        rows = merged["row"].to_numpy(np.int64)
        good = keep[rows] & (r_depth >= min_depth)
        # homozygous in the reference: too few reads of the other allele for a heterozygote
        hom_ref = good & (binom.cdf(r_alt, r_depth, 0.5) < het_tail) & (r_alt < max_reference_fraction * r_depth)
        hom_alt = good & (binom.cdf(r_ref, r_depth, 0.5) < het_tail) & (r_ref < max_reference_fraction * r_depth)
        rows_ref, rows_alt = rows[hom_ref], rows[hom_alt]
        k = np.concatenate([n_alt[rows_ref], n_ref[rows_alt]]).astype(float)
        n = np.concatenate([depth[rows_ref], depth[rows_alt]]).astype(float)
        q = np.concatenate([q_alt[rows_ref], 1 - q_alt[rows_alt]])  # population frequency of the other allele
        log_h = _hwe(q)
        log_out = np.log(outlier) - np.log(n + 1)  # any allele fraction, uniform
        log_in = np.log1p(-outlier)
        log_choose = _log_choose(k, n)

        def loglik(c: float) -> float:
            return float(np.logaddexp(log_in + _hom_loglik(c, k, n, log_h, e, log_choose), log_out).sum())
    else:
        mode = "self"
        k = n_alt[keep].astype(float)
        n = depth[keep].astype(float)
        q = q_alt[keep]
        log_g = _hwe(q)  # the person's own copies of alt: hom-ref, het, hom-alt
        log_h_alt, log_h_ref = _hwe(q), _hwe(1 - q)
        log_out = np.log(outlier) - np.log(n + 1)
        log_in = np.log1p(-outlier)
        log_choose = _log_choose(k, n)  # the same for k and n - k

        def loglik(c: float) -> float:
            hom_ref = _hom_loglik(c, k, n, log_h_alt, e, log_choose)
            hom_alt = _hom_loglik(c, n - k, n, log_h_ref, e, log_choose)
            het = logsumexp(np.stack([log_h_alt[:, h] + _log_binom(k, n, _read_prob(np.full(len(k), (1 - c) / 2 + c * h / 2), e),
                                                                 log_choose) for h in range(3)], axis=1), axis=1)
            terms = np.stack([log_g[:, 0] + hom_ref, log_g[:, 1] + het, log_g[:, 2] + hom_alt], axis=1)
            return float(np.logaddexp(log_in + logsumexp(terms, axis=1), log_out).sum())

    if len(k) == 0:
        return Contamination(float("nan"), float("nan"), float("nan"), 0, e, mode, "not_assessable")
    c_hat, top = _maximise(loglik)
    low, high = _interval(loglik, c_hat, top)
    return Contamination(round(c_hat, 6), round(low, 6), round(high, 6), int(len(k)), e, mode,
                         _flag(c_hat, flag_at, unusable_at))


@dataclass(frozen=True)
class ContaminationParams:
    """The config's qc.contamination."""

    flag_at: float = 0.02
    unusable_at: float = 0.05
    min_depth: int = 10


COLUMNS = ["contamination", "contamination_low", "contamination_high", "contamination_sites",
           "contamination_mode", "contamination_flag"]


def patient_contamination(samples: list[str], counts: list[pd.DataFrame] | None, normal_index: int | None,
                          params: ContaminationParams) -> pd.DataFrame:
    """One row per sample (COLUMNS): the normal on its own, every other sample at the normal's
    homozygous sites (without a normal, `normal_index` None: every sample on its own). `counts` None (no population frequencies: the identity sites came from the
    normal, not from known_sites) gives `not_assessable` rows."""
    rows = []
    for i, s in enumerate(samples):
        if counts is None:
            rows.append({"sample": s, "contamination": np.nan, "contamination_low": np.nan,
                         "contamination_high": np.nan, "contamination_sites": 0, "contamination_mode": "none",
                         "contamination_flag": "not_assessable"})
            continue
        own = normal_index is None or i == normal_index
        est = estimate_contamination(counts[i], None if own else counts[normal_index],
                                     **{f.name: getattr(params, f.name) for f in fields(params)})
        rows.append({"sample": s, **est.columns()})
    return pd.DataFrame(rows, columns=["sample", *COLUMNS])
