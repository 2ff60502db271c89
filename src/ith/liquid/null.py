"""What the detection statistic does without ctDNA: the background fitted to the controls, the
loci it rules out, each control's statistic (which calibrates a plasma sample's), the optional
fragment-length weights; and one plasma sample's detection call against it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ith.liquid.background import POOLED, Background, fit_background
from ith.liquid.detect import Detection, DetectParams, LociModel, detect, null_pvalue, pvalue
from ith.liquid.model import LengthWeights, length_weights

log = logging.getLogger(__name__)


@dataclass
class NullModel:
    """The background and what the detection statistic does without ctDNA."""

    background: Background
    reason: np.ndarray  # (L,) why a locus is not used ("" when used)
    usable_locus: np.ndarray  # (L,) bool
    control_llr: np.ndarray  # (J,) detection statistic of each control (NaN: not a calibration control)
    weights: LengthWeights | None = None  # fragment-length weighting, when on and learnable

    per_locus: np.ndarray | None = None  # (L,) bool: loci weighed by their own rate (else their class')

    def __post_init__(self) -> None:
        self.rates = self.background.rates(self.per_locus)  # the loci's error rates, as every fit uses them


def per_locus_rates(usable: np.ndarray, p: DetectParams) -> np.ndarray:
    """(L,) the loci whose controls are enough to weigh them by their own error rate: covered
    by at least `per_locus_min_controls` control samples. A locus' own rate from fewer (one
    normal: 0-2 errors) is mostly the luck of its controls' few errors, and a test that takes
    the loci whose controls happened to be clean at their low rates reads their plasma
    background as tumour; such loci are taken at their substitution class' rate, which the
    Monte Carlo null draws from its posterior and spreads them around by the prior
    (Background.rates)."""
    return usable.sum(axis=1) >= p.per_locus_min_controls


def detection_classes(ca: np.ndarray, usable: np.ndarray, cls: np.ndarray, per_locus: np.ndarray,
                      p: DetectParams) -> np.ndarray:
    """(L,) the class each locus' background is learned in: its substitution class, but for the
    loci taken at their class' rate (not per_locus) whose class has fewer than
    `class_min_errors` control errors, which share one pooled class. A class' rate from a few
    errors is the luck of those errors as a locus' is, one level up: with 3-4 errors a class in
    a normal that happened to be clean is read at a third of its rate (its Gamma posterior puts
    little weight on the truth), and the test reads its plasma background as tumour."""
    errors = np.where(usable, ca, 0).sum(axis=1)
    out = np.asarray(cls, dtype=object).copy()
    for c in set(out[~per_locus].tolist()):
        m = (cls == c) & ~per_locus
        if errors[cls == c].sum() < p.class_min_errors:
            out[m] = POOLED
    return out.astype(str)


def null_model(ca: np.ndarray, cd: np.ndarray, usable: np.ndarray, cls: np.ndarray, j_normal: int | None,
               model: LociModel, p: DetectParams, weights: LengthWeights | None = None,
               control_frags: list | None = None, ch: np.ndarray | None = None) -> NullModel:
    """ca, cd, usable: (L, J) control alt and depth at the loci and the entries that may serve;
    j_normal: the column of the patient's own normal: its alt reads exclude a locus, and it
    teaches the background but does not calibrate (clonal haematopoiesis or tumour cells in
    the blood would make it no negative for this patient); ch: (L,) loci found to be clonal
    haematopoiesis (ith.liquid.ch), not used."""
    per_locus = per_locus_rates(usable, p)
    bg = fit_background(ca, cd, usable, detection_classes(ca, usable, cls, per_locus, p), p.error_floor)
    normal_alt = ca[:, j_normal] if j_normal is not None else np.zeros(len(cls), dtype=np.int64)
    is_ch = np.zeros(len(cls), dtype=bool) if ch is None else ch
    reason = np.where(is_ch, "clonal haematopoiesis",
                      np.where(normal_alt >= p.max_normal_alt, "alt reads in the normal",
                               np.where(bg.error > p.max_error, "noisy locus", "")))
    usable_locus = reason == ""
    # each control scored against a background refitted without it
    llr = np.full(ca.shape[1], np.nan)
    for j in range(ca.shape[1]):
        if j == j_normal:
            continue
        rest = np.arange(ca.shape[1]) != j
        own = per_locus_rates(usable[:, rest], p)
        err = fit_background(ca[:, rest], cd[:, rest], usable[:, rest],
                             detection_classes(ca[:, rest], usable[:, rest], cls, own, p), p.error_floor).rates(own)
        ok = usable_locus & usable[:, j] & (err.rate <= p.max_error)
        frags = _weighted(control_frags[j], weights) if weights is not None and control_frags \
            and control_frags[j] is not None else None
        llr[j] = detect(ca[:, j], cd[:, j], err, model, ok, p, frags=frags).llr
    log.info("detection weighs %d of %d loci by their own error rate (>= %d controls), the rest by their "
             "substitution class'", int(per_locus.sum()), len(per_locus), p.per_locus_min_controls)
    return NullModel(bg, reason, usable_locus, llr, weights, per_locus)


def _weighted(frags: tuple, weights: LengthWeights) -> tuple:
    """(locus index, length) of tumour-allele fragments -> (locus index, length weight)."""
    return frags[0], weights.of(frags[1])


@dataclass
class SampleCall:
    detection: Detection
    assessable: bool
    p_value: float  # asymptotic, widened by the controls' dispersion
    p_value_mc: float  # Monte Carlo under the background's uncertainty (NaN: not needed)
    dispersion: float
    calibration: str
    detected: bool


def call_sample(alt: np.ndarray, depth: np.ndarray, null: NullModel, model: LociModel, p: DetectParams,
                frags: tuple | None = None) -> SampleCall:
    """Detection in one plasma sample: fit, calibrated p-value, call. A call needs both the
    asymptotic p-value and, for every candidate, the Monte Carlo one at or below fpr (the
    latter resolves to 1/1001 at best, so the asymptotic one is what ranks samples). No
    fragment at any used locus: not assessable (never 'negative')."""
    weighted = _weighted(frags, null.weights) if null.weights is not None and frags is not None else None
    det = detect(alt, depth, null.rates, model, null.usable_locus, p, frags=weighted)
    if det.informative_reads == 0:
        return SampleCall(det, False, float("nan"), float("nan"), float("nan"), "", False)
    controls = null.control_llr[np.isfinite(null.control_llr)]
    pv, disp, method = pvalue(det.llr, controls, p)
    mc = float("nan")
    if pv <= p.fpr:
        mc = null_pvalue(depth, null.rates, model, det.used, alt, p.fpr / 5, frags=weighted,
                         weights=null.weights)
        method += "+monte_carlo"
    return SampleCall(det, True, pv, mc, disp, method, bool(pv <= p.fpr and not mc > p.fpr))


def learn_length_weights(tumour_lengths: np.ndarray, normal_hist: np.ndarray) -> LengthWeights | None:
    """Length weights for fragment-length weighting: tumour fragments' lengths from the control
    plasma samples at their own patients' loci (never the patient's own, whose detection they
    weigh), normal ones from the patient's plasma reference fragments at its loci."""
    w = length_weights(tumour_lengths, normal_hist)
    log.info("fragment-length weighting: %s", f"learned from {len(tumour_lengths)} tumour-allele fragments of the "
             "control plasma" if w is not None else
             f"off (only {len(tumour_lengths)} tumour-allele fragments in the control plasma)")
    return w
