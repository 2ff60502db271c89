"""Per-sample evidence at known mutations: `present` (alt reads beyond the site's background
error) and `detectable` (would a clonal heterozygous mutation have been seen here), so that
"absent" is said only where absence is informative."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class PresenceParams:
    alpha: float = 0.01  # one-sided binomial p-value below which alt reads are more than error
    background_error_rate: float = 5e-4  # floor of a site's background error rate (per base, per alt)
    power: float = 0.95  # detection probability for a clonal heterozygous mutation to call the site informative


def background(normal_alt: np.ndarray, normal_depth: np.ndarray, floor: np.ndarray | float) -> np.ndarray:
    """Site background error: the normal's alt fraction, never below the per-base error floor."""
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(normal_depth > 0, normal_alt / normal_depth, 0.0)
    return np.maximum(f, floor)


def presence(alt: np.ndarray, depth: np.ndarray, error: np.ndarray, p: PresenceParams) -> tuple[np.ndarray, np.ndarray]:
    """(present, p-value) per site x sample."""
    pval = np.where(depth > 0, stats.binom.sf(alt - 1, depth, error), 1.0)
    return (alt > 0) & (pval < p.alpha), pval


def min_alt_for_presence(depth: np.ndarray, error: np.ndarray, alpha: float) -> np.ndarray:
    """Smallest alt count that would be called present at this depth and background."""
    return stats.binom.isf(alpha, depth, error).astype(np.int64) + 1


def detectable(depth: np.ndarray, error: np.ndarray, purity: np.ndarray, p: PresenceParams) -> np.ndarray:
    """A clonal heterozygous mutation (VAF purity/2 on a diploid genome) would be called present
    with probability >= power."""
    k = min_alt_for_presence(depth, error, p.alpha)
    vaf = np.broadcast_to(purity / 2.0, depth.shape)
    prob = np.where(vaf > 0, stats.binom.sf(k - 1, depth, np.clip(vaf, 1e-12, 1.0)), 0.0)
    return (depth > 0) & (prob >= p.power)


def estimate_purity(alt: np.ndarray, depth: np.ndarray, present: np.ndarray, min_mutations: int = 10) -> float:
    """Tumour sample purity from its mutations: twice the upper-quartile VAF of those present
    (clonal heterozygous mutations on a diploid genome sit at purity/2). NaN when too few."""
    ok = present & (depth > 0)
    if ok.sum() < min_mutations:
        return float("nan")
    return float(min(1.0, 2 * np.quantile(alt[ok] / depth[ok], 0.75)))


def estimate_plasma_fraction(alt: np.ndarray, depth: np.ndarray, truncal: np.ndarray) -> float:
    """ctDNA fraction from mutations present in every tumour region: 2 x pooled VAF."""
    d = depth[truncal].sum()
    return float(min(1.0, 2 * alt[truncal].sum() / d)) if d > 0 else 0.0
