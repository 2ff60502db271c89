"""B-allele fractions at the normal's heterozygous SNPs (selected by ith.germline): per-bin
summaries for the segmentation, and the allelic imbalance of a segment."""

from __future__ import annotations

import numpy as np
import pandas as pd

BAF_GRID = np.linspace(0.0, 0.5, 201)


def snp_bins(baf: pd.DataFrame, bins: pd.DataFrame) -> np.ndarray:
    """Index of the bin holding each SNP (-1 if none)."""
    out = np.full(len(baf), -1, dtype=np.int64)
    for chrom, idx in baf.groupby("chrom", sort=False).indices.items():
        b = np.flatnonzero(bins["chrom"].to_numpy() == chrom)
        if not len(b):
            continue
        starts, ends = bins["start"].to_numpy()[b], bins["end"].to_numpy()[b]
        pos = baf["pos"].to_numpy()[idx]
        k = np.searchsorted(starts, pos, side="right") - 1
        ok = (k >= 0) & (pos <= ends[np.clip(k, 0, None)])
        out[idx[ok]] = b[k[ok]]
    return out


def bin_mirrored_baf(alt: np.ndarray, depth: np.ndarray, bin_of: np.ndarray, n_bins: int) -> np.ndarray:
    """Mean |BAF - 0.5| of the SNPs in each bin (NaN where a bin has none)."""
    ok = (bin_of >= 0) & (depth > 0)
    m = np.abs(alt[ok] / depth[ok] - 0.5)
    s = np.bincount(bin_of[ok], weights=m, minlength=n_bins)
    c = np.bincount(bin_of[ok], minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(c > 0, s / np.maximum(c, 1), np.nan)


def _log_binom_kernel(alt: np.ndarray, depth: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """(snps, grid) log-likelihood of the symmetric mixture 0.5 Bin(b) + 0.5 Bin(1 - b)."""
    g = np.clip(grid, 1e-6, 1 - 1e-6)[None, :]
    a, n = alt[:, None], depth[:, None]
    l1 = a * np.log(g) + (n - a) * np.log1p(-g)
    l2 = a * np.log1p(-g) + (n - a) * np.log(g)
    return np.logaddexp(l1, l2) + np.log(0.5)


def segment_baf(alt: np.ndarray, depth: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood minor-allele fraction of a segment (the BAF of the less frequent
    allele, phase unknown) and its standard error from the likelihood's curvature. Unlike the
    mean mirrored BAF, it is not pushed above 0.5's mirror by sampling noise at low depth."""
    ok = depth > 0
    if not ok.any():
        return np.nan, np.nan
    ll = _log_binom_kernel(alt[ok].astype(float), depth[ok].astype(float), BAF_GRID).sum(axis=0)
    k = int(np.argmax(ll))
    inside = BAF_GRID[ll >= ll[k] - 1.92]  # 95% likelihood interval
    floor = 0.25 / np.sqrt(depth[ok].sum())
    if inside.max() >= 0.5:
        # balance is not rejected: the phase-free maximum always sits below 0.5 by sampling noise
        # alone (the mixture soaks up chance extra spread), so call it balanced
        return 0.5, float(max((0.5 - inside.min()) / 1.96, floor))
    return float(BAF_GRID[k]), float(max((inside.max() - inside.min()) / 3.92, floor))
