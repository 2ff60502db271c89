"""The somatic model on allele depths: tumour evidence with a free VAF per region, a clean
normal, and artefact filters. Everything is vectorised over sites x samples.

Tumour log-odds (TLOD): for each tumour sample s with a alt of n reads, the log10 likelihood
ratio of VAF f = a/n against f = 0 under per-base error e, where e comes from the mean quality
of the sample's alt bases (10^(-Q/10)/3, floored at min_error_rate as Mutect2 caps base
qualities at the PCR error rate), so low-quality alt bases weigh less; TLOD sums the positive per-sample
terms. This is the likelihood ratio of "present at some VAF in some regions" against "absent
everywhere"; it equals Mutect2's pooled tumour log-odds when the VAF is the same in every region,
and is larger when it is not, so a subclonal mutation at 3% in three regions is found though no
single region passes. Normal log-odds (NLOD): reference-only against a heterozygous germline
variant, as Mutect2's normal log-odds; plus VarScan2-style depth and VAF limits on the normal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ith.io.pileup import SiteCounts


@dataclass(frozen=True)
class SomaticParams:
    min_error_rate: float = 1e-4
    indel_error_rate: float = 1e-3
    min_tumour_lod: float = 6.3  # MuTect (Cibulskis 2013) tumour LOD threshold
    emit_lod: float = 3.0
    min_tumour_depth: int = 6
    min_normal_depth: int = 8
    max_normal_vaf: float = 0.05
    min_normal_lod: float = 2.2
    strand_bias_p: float = 1e-3
    max_alt_strand_fraction: float = 0.1
    max_read_pos_z: float = 5.0
    max_mapq_bias_z: float = 5.0
    min_alt_baseq: float = 20.0
    max_mq0_fraction: float = 0.1
    multiallelic_fraction: float = 0.3
    cluster_window: int = 50
    cluster_max: int = 2
    max_population_af: float = 0.01


def log_odds(alt: np.ndarray, depth: np.ndarray, error: np.ndarray | float) -> np.ndarray:
    """log10 L(f = alt/depth) - log10 L(f = 0) for binomial reads with per-base error `error`."""
    alt = np.asarray(alt, dtype=float)
    depth = np.asarray(depth, dtype=float)
    e = np.broadcast_to(np.asarray(error, dtype=float), alt.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(depth > 0, alt / depth, 0.0)
        q = f * (1 - e) + (1 - f) * e
        ref = depth - alt
        lod = alt * np.log10(q / e) + np.where(ref > 0, ref * np.log10((1 - q) / (1 - e)), 0.0)
    return np.where((depth > 0) & (f > e), lod, 0.0)


def normal_log_odds(alt: np.ndarray, depth: np.ndarray, error: np.ndarray | float) -> np.ndarray:
    """log10 L(normal is reference) - log10 L(normal is heterozygous for the allele)."""
    alt = np.asarray(alt, dtype=float)
    ref = np.asarray(depth, dtype=float) - alt
    e = np.asarray(error, dtype=float)
    return alt * np.log10(e / 0.5) + ref * np.log10((1 - e) / 0.5)


def strand_bias_pvalue(ref_fwd, ref_rev, alt_fwd, alt_rev) -> np.ndarray:
    """Two-sided binomial test of the alt reads' forward fraction against the site's ref reads."""
    n_alt = alt_fwd + alt_rev
    n_ref = ref_fwd + ref_rev
    expected = np.where(n_ref > 0, (ref_fwd + 1) / (n_ref + 2), 0.5)
    lo = stats.binom.cdf(alt_fwd, n_alt, expected)
    hi = stats.binom.sf(alt_fwd - 1, n_alt, expected)
    return np.where(n_alt > 0, np.minimum(1.0, 2 * np.minimum(lo, hi)), 1.0)


def score_sites(c: SiteCounts, normal: int | None, tumours: list[int], p: SomaticParams) -> pd.DataFrame:
    """Per site: TLOD, NLOD, summary counts and the list of failed filters (empty = PASS).
    `normal` None (a tumour-only patient): no normal filters, NLOD and the normal's counts empty."""
    indel = c.sites["indel"].to_numpy()
    depth = c.ref + c.alt
    t_alt, t_depth = c.alt[:, tumours], depth[:, tumours]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_q = np.where(t_alt > 0, c.alt_qsum[:, tumours] / t_alt, 30.0)
    e_t = np.where(indel[:, None], p.indel_error_rate, np.clip(10 ** (-mean_q / 10) / 3, p.min_error_rate, 0.25))
    tlod = np.clip(log_odds(t_alt, t_depth, e_t), 0, None).sum(axis=1)
    e = np.where(indel, p.indel_error_rate, p.min_error_rate)
    if normal is None:
        n_alt = n_depth = np.zeros(len(c.sites), dtype=np.int64)
        nlod = np.full(len(c.sites), np.nan)
    else:
        n_alt, n_depth = c.alt[:, normal], depth[:, normal]
        nlod = normal_log_odds(n_alt, n_depth, e)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_vaf = np.where(n_depth > 0, n_alt / n_depth, 0.0)
        alt_bq = np.where(t_alt.sum(axis=1) > 0, c.alt_qsum[:, tumours].sum(axis=1) / t_alt.sum(axis=1), np.nan)
    a_f, a_r = c.alt_fwd[:, tumours].sum(1), c.alt_rev[:, tumours].sum(1)
    sb = strand_bias_pvalue(c.ref_fwd[:, tumours].sum(1), c.ref_rev[:, tumours].sum(1), a_f, a_r)
    with np.errstate(divide="ignore", invalid="ignore"):
        minor = np.where(a_f + a_r > 0, np.minimum(a_f, a_r) / (a_f + a_r), 0.5)
    s = c.sites
    checks = {
        "low_tlod": tlod < p.min_tumour_lod,
        "tumour_depth": t_depth.max(axis=1) < p.min_tumour_depth,
        "normal_depth": (n_depth < p.min_normal_depth) & (normal is not None),
        "normal_evidence": ((n_vaf > p.max_normal_vaf) | (nlod < p.min_normal_lod)) & (normal is not None),
        "strand_bias": (sb < p.strand_bias_p) & (minor < p.max_alt_strand_fraction),
        "read_position": s["RPBZ"].abs().to_numpy() > p.max_read_pos_z,
        "mapq_bias": s["MQBZ"].abs().to_numpy() > p.max_mapq_bias_z,
        "base_quality": alt_bq < p.min_alt_baseq,
        "mq0": s["MQ0F"].fillna(0).to_numpy() > p.max_mq0_fraction,
        "multiallelic": (s["alt2_tumour"].to_numpy() >= 3) &
                        (s["alt2_tumour"].to_numpy() >= p.multiallelic_fraction * t_alt.sum(axis=1)),
    }
    filters = [";".join(k for k, v in checks.items() if v[i]) for i in range(len(s))]
    return pd.DataFrame({"tlod": np.round(tlod, 3), "nlod": np.round(nlod, 3), "tumour_alt": t_alt.sum(axis=1),
                         "tumour_depth": t_depth.sum(axis=1), "normal_alt": n_alt, "normal_depth": n_depth,
                         "alt_baseq": np.round(alt_bq, 2), "strand_p": sb, "filters": filters})


def clustered(chrom: pd.Series, pos: pd.Series, candidate: np.ndarray, window: int, max_events: int) -> np.ndarray:
    """Sites with more than `max_events` candidate events within `window` bp (both sides)."""
    out = np.zeros(len(pos), dtype=bool)
    pos = pos.to_numpy()
    for c in pd.unique(chrom):
        idx = np.flatnonzero((chrom.to_numpy() == c) & candidate)
        if len(idx) <= max_events:
            continue
        p = pos[idx]
        lo = np.searchsorted(p, p - window)
        hi = np.searchsorted(p, p + window, side="right")
        out[idx[(hi - lo) > max_events]] = True
    return out


def add_filter(filters: list[str], mask: np.ndarray, name: str) -> list[str]:
    return [";".join(x for x in (f, name) if x) if m else f for f, m in zip(filters, mask)]
