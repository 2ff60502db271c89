"""Read depth per bin, its GC correction and the log2 ratio of a sample against the matched normal."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ith.copynumber.bins import interval_dict
from ith.io.bamscan import interval_coverage
from ith.io.reference import contig_class

LOG2_FLOOR = -6.0  # homozygous deletions: zero depth would give -inf
# the mitochondrion (binned only when exclude_contigs lets it in) is no chromosome arm to call
# copy number on: it goes with the other contigs, which no ploidy or sex model uses
_KIND = {"autosome": "A", "X": "X", "Y": "Y", "mitochondrion": "O", "other": "O"}


def chrom_kind(names: pd.Series) -> np.ndarray:
    """'A' autosome, 'X', 'Y' or 'O' (other: mitochondrion, unplaced, decoys) per contig name."""
    return np.array([_KIND[contig_class(n)] for n in names], dtype=object)


def bin_depth(bam: str, bins: pd.DataFrame, threads: int = 1, min_mapq: int = 20,
              reference: str | None = None) -> tuple[pd.DataFrame, dict]:
    """Mean depth over the sequence (non-N) bases of every bin, and read counts, in one pass of a
    BAM or of a CRAM (decoded against `reference`)."""
    cov = interval_coverage(bam, interval_dict(bins), threads=threads, min_mapq=min_mapq, reference=reference)
    eff = (bins["end"] - bins["start"] + 1).to_numpy() * bins["mappable"].to_numpy()
    depth = np.where(eff > 0, cov.bases / np.maximum(eff, 1), 0.0)
    out = bins[["chrom", "start", "end"]].assign(reads=cov.reads, depth=np.round(depth, 3))
    return out, {"records": cov.n_records, "used": cov.n_used}


def biweight(residuals: np.ndarray) -> np.ndarray:
    """Tukey's biweight of each residual (tuning constant 4.685 robust SDs, the SD from the MAD):
    the weights of the GC curves' iteratively reweighted least squares."""
    scale = 1.4826 * np.median(np.abs(residuals)) + 1e-9
    u = residuals / (4.685 * scale)
    return np.where(np.abs(u) < 1, (1 - u ** 2) ** 2, 0.0)


def gc_trend(depth: np.ndarray, gc: np.ndarray, use: np.ndarray, degree: int = 2) -> np.ndarray:
    """Expected depth of every bin given its GC: a polynomial in GC fitted to log depth by
    iteratively reweighted least squares with Tukey's biweight, so copy-number changes (which are
    outliers to the GC curve) barely move it. A low-degree curve in log space matches the smooth,
    unimodal shape of library GC bias and extrapolates sanely to the few bins at extreme GC,
    where local medians run out of data."""
    idx = np.flatnonzero(use & np.isfinite(gc) & (depth > 0))
    if len(idx) < 5 * (degree + 1):
        med = float(np.median(depth[idx])) if len(idx) else 1.0
        return np.full(len(depth), max(med, 1e-9))
    x, y = gc[idx], np.log(depth[idx])
    centre = float(np.median(x))
    design = np.vander(x - centre, degree + 1)
    w = np.ones(len(idx))
    for _ in range(8):
        coef = np.linalg.lstsq(design * w[:, None], y * w, rcond=None)[0]
        w = np.sqrt(biweight(y - design @ coef))
    g = np.where(np.isfinite(gc), gc, centre)
    g = np.clip(g, x.min(), x.max())  # never extrapolate a polynomial beyond the data
    return np.exp(np.vander(g - centre, degree + 1) @ coef)


def assay_trend(depth: np.ndarray, bins: pd.DataFrame, use: np.ndarray) -> np.ndarray:
    """GC trend fitted separately to capture targets and to off-target bins: their depths differ
    by orders of magnitude and follow different GC curves (WGS bins are all one group)."""
    target = bins["target"].to_numpy(bool) if "target" in bins else np.zeros(len(bins), bool)
    gc = bins["gc"].to_numpy()
    out = np.ones(len(depth))
    for group in (False, True):
        members = target == group
        if members.any():
            out[members] = gc_trend(depth, gc, use & members)[members]
    return out


@dataclass
class NormalModel:
    """What the matched normal says about the bins: which to trust and the sex it shows."""

    usable: np.ndarray  # bool per bin
    depth: np.ndarray  # GC-corrected normal depth relative to the autosomal median
    x_dosage: float  # median relative depth on chrX (~1 female, ~0.5 male)
    y_dosage: float
    sex: str  # female, male or unknown, as the coverage shows it


def normal_model(bins: pd.DataFrame, depth: np.ndarray, min_mappable: float, depth_range: tuple[float, float],
                 male_max_x: float = 0.75) -> NormalModel:
    kind = chrom_kind(bins["chrom"])
    base = (bins["mappable"].to_numpy() >= min_mappable) & (kind != "O")
    auto = base & (kind == "A")
    rel = depth / assay_trend(depth, bins, auto & (depth > 0))
    x_dos = float(np.median(rel[base & (kind == "X")])) if (base & (kind == "X")).any() else np.nan
    y_dos = float(np.median(rel[base & (kind == "Y")])) if (base & (kind == "Y")).any() else np.nan
    sex = "unknown" if not np.isfinite(x_dos) else ("male" if x_dos <= male_max_x else "female")
    expected = np.where(kind == "A", 1.0, np.where(kind == "X", 0.5 if sex == "male" else 1.0, 0.5))
    lo, hi = depth_range
    usable = base & (rel >= lo * expected) & (rel <= hi * expected)
    if sex == "female" or (np.isfinite(y_dos) and y_dos < 0.1):
        usable &= kind != "Y"  # no Y in this individual: its bins hold only mismapped reads
    return NormalModel(usable, rel, x_dos, y_dos, sex)


def smooth_normal(normal: NormalModel, bins: pd.DataFrame, window: int) -> np.ndarray:
    """Running median of the normal's relative depth over `window` usable bins of a contig.

    One normal's counting noise is shared by every tumour's ratio, so the joint segmentation
    sees it in all samples at once and places breakpoints on it. Bins whose depth departs from
    the running median by more than counting noise (3 robust SDs: a collapsed repeat, a
    segmental duplication) keep their own depth: that bias is what the matched normal is for."""
    out = normal.depth.copy()
    if window <= 1:
        return out
    idx = np.flatnonzero(normal.usable)
    chrom = bins["chrom"].to_numpy()[idx]
    series = pd.Series(normal.depth[idx])
    med = series.groupby(chrom, sort=False).transform(
        lambda x: x.rolling(window, center=True, min_periods=1).median())
    dev = normal.depth[idx] - med.to_numpy()
    sd = 1.4826 * np.median(np.abs(dev - np.median(dev))) if len(dev) else 0.0
    noise = np.abs(dev) <= 3 * sd
    out[idx[noise]] = med.to_numpy()[noise]
    return out


def log2_ratio(tumour_depth: np.ndarray, normal: NormalModel, bins: pd.DataFrame, normal_window: int = 1) -> np.ndarray:
    """GC-corrected log2(tumour / normal), scaled so the mean ratio over usable autosomal bins is 1
    (the normalisation under which R = (p C + 2(1-p)) / (p psi + 2(1-p)) holds)."""
    kind = chrom_kind(bins["chrom"])
    usable = normal.usable
    normal_depth = smooth_normal(normal, bins, normal_window)
    auto = usable & (kind == "A")
    rel = tumour_depth / assay_trend(tumour_depth, bins, auto & (tumour_depth > 0))
    ratio = np.full(len(rel), np.nan)
    ratio[usable] = rel[usable] / normal_depth[usable]
    # the tumour's and the normal's GC curves differ in shape; what is left shows in the ratio
    ok = usable & np.isfinite(ratio) & (ratio > 0)
    resid = assay_trend(np.where(ok, ratio, 0.0), bins, ok & (kind == "A"))
    ratio = ratio / resid
    mean = float(np.nanmean(ratio[auto])) if auto.any() else np.nan
    if not np.isfinite(mean) or mean <= 0:
        return np.full(len(rel), np.nan)
    with np.errstate(divide="ignore"):
        out = np.log2(ratio / mean)
    return np.where(usable, np.maximum(out, LOG2_FLOOR), np.nan)


def segment_gc_trend(log2r: np.ndarray, gc: np.ndarray, segment: np.ndarray, use: np.ndarray, degree: int = 2,
                     min_bins: int = 3, min_wald: float = 0.0) -> tuple[np.ndarray, float]:
    """The GC curve left in a sample's log2 ratios, learnt with one free level per copy-number
    segment: per bin, in log2 units, the polynomial part (no constant) of

        log2r = level[segment] + sum_j b_j (gc - centre)^j + noise,

    fitted by iteratively reweighted least squares with Tukey's biweight. The levels are profiled
    out (each segment's bins centred on their weighted mean), so the curve is learnt only from GC
    variation inside segments and never from the difference between them: a gain that happens
    to hold most of the high-GC bins cannot be read as GC bias, as it is by a curve fitted across
    segments. Segments with fewer than `min_bins` usable bins say nothing about the curve and are
    left out. Zero everywhere when too few bins are left for a curve, or when the curve's Wald
    statistic against no curve (chi-square with `degree` degrees of freedom) is below `min_wald`:
    the ratios then keep the correction they came with. Returns the curve and that statistic
    (NaN without a fit)."""
    out = np.zeros(len(log2r))
    ok = use & np.isfinite(log2r) & np.isfinite(gc) & (segment >= 0)
    seg = np.where(ok, segment, -1)
    counts = np.bincount(seg[ok], minlength=int(seg.max()) + 1 if ok.any() else 0)
    ok &= counts[np.clip(seg, 0, None)] >= min_bins if len(counts) else np.zeros(len(ok), bool)
    idx = np.flatnonzero(ok)
    if len(idx) < 5 * (degree + 1):
        return out, np.nan
    _, k = np.unique(seg[idx], return_inverse=True)
    x = gc[idx]
    centre = float(np.median(x))
    design = np.vander(x - centre, degree + 1)[:, :-1]  # the constant is the segment's level
    y = log2r[idx]
    w = np.ones(len(idx))
    coef = np.zeros(degree)
    for _ in range(10):
        sw = np.maximum(np.bincount(k, weights=w), 1e-12)
        yc = y - (np.bincount(k, weights=w * y) / sw)[k]
        dc = design - np.stack([np.bincount(k, weights=w * design[:, j]) / sw for j in range(degree)], axis=1)[k]
        sq = np.sqrt(w)
        coef = np.linalg.lstsq(dc * sq[:, None], yc * sq, rcond=None)[0]
        r = yc - dc @ coef
        w = biweight(r)
    # Wald statistic of the curve against none: the curve's coefficients over their covariance
    # (robust scale, the biweight's weights); the segments' levels cost their degrees of freedom
    sq = np.sqrt(w)
    info = (dc * sq[:, None]).T @ (dc * sq[:, None])
    dof = max(int((w > 0).sum()) - len(np.unique(k[w > 0])) - degree, 1)
    s2 = float(np.sum(w * r ** 2) / dof)
    wald = float(coef @ info @ coef / s2) if s2 > 0 else np.inf
    if wald < min_wald:
        return out, wald
    g = np.clip(np.where(np.isfinite(gc), gc, centre), x.min(), x.max())
    return np.vander(g - centre, degree + 1)[:, :-1] @ coef, wald
