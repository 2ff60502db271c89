"""Fragment sizes of plasma cfDNA: the sample's length profile (from QC) and mutant versus
wild-type fragments at the tumour's loci. cfDNA peaks near 167 bp (one nucleosome plus linker);
tumour-derived fragments are enriched at 90-150 bp (DELFI's short/long ratio counts 100-150
against 151-220 bp)."""

from __future__ import annotations

import numpy as np
from scipy import stats

SHORT = (100, 150)
LONG = (151, 220)


def pooled(histograms) -> np.ndarray:
    """The sum of length histograms of different lengths."""
    hs = [np.asarray(h) for h in histograms]
    out = np.zeros(max([len(h) for h in hs] or [1]), dtype=np.int64)
    for h in hs:
        out[: len(h)] += h.astype(np.int64)
    return out


def _band(lengths: np.ndarray, counts: np.ndarray, band: tuple[int, int]) -> float:
    return float(counts[(lengths >= band[0]) & (lengths <= band[1])].sum())


def profile(histogram: list[list[int]]) -> dict:
    """Mode, median, short fraction (< 150 bp) and DELFI short/long ratio of a length histogram."""
    if not histogram:
        return {"fragments": 0, "mode": np.nan, "median": np.nan, "fraction_short": np.nan, "short_long_ratio": np.nan}
    h = np.asarray(histogram, dtype=float)
    lengths, counts = h[:, 0], h[:, 1]
    n = counts.sum()
    cum = np.cumsum(counts)
    long = _band(lengths, counts, LONG)
    return {"fragments": int(n), "mode": int(lengths[int(np.argmax(counts))]),
            "median": int(lengths[int(np.searchsorted(cum, n / 2))]),
            "fraction_short": float(counts[lengths < SHORT[1]].sum() / n),
            "short_long_ratio": _band(lengths, counts, SHORT) / long if long > 0 else np.nan}


def mutant_vs_wildtype(mutant: np.ndarray, wildtype_hist: np.ndarray) -> dict:
    """Lengths of fragments carrying the tumour allele against the reference-carrying fragments
    at the same loci (`wildtype_hist[length]` = count): medians, short fractions and the one-sided
    Mann-Whitney p-value that mutant fragments are shorter."""
    mutant = np.asarray(mutant, dtype=float)
    mutant = mutant[(mutant > 0) & (mutant <= 1000)]  # as the reference histogram (pileup.MAX_LENGTH): no chimeras
    lengths = np.arange(len(wildtype_hist), dtype=float)
    n_wt = int(wildtype_hist.sum())
    out = {"mutant_fragments": int(len(mutant)), "wildtype_fragments": n_wt,
           "mutant_median": float(np.median(mutant)) if len(mutant) else np.nan,
           "wildtype_median": np.nan, "mutant_fraction_short": np.nan, "wildtype_fraction_short": np.nan,
           "shorter_p_value": np.nan}
    if n_wt:
        cum = np.cumsum(wildtype_hist)
        out["wildtype_median"] = float(lengths[int(np.searchsorted(cum, n_wt / 2))])
        out["wildtype_fraction_short"] = float(wildtype_hist[: SHORT[1]].sum() / n_wt)
    if len(mutant):
        out["mutant_fraction_short"] = float((mutant < SHORT[1]).mean())
    if len(mutant) >= 5 and n_wt >= 5:
        wt = np.repeat(lengths, wildtype_hist.astype(np.int64))
        out["shorter_p_value"] = float(stats.mannwhitneyu(mutant, wt, alternative="less").pvalue)
    return out
