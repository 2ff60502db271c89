"""Tumour-informed detection of ctDNA in one plasma sample, its tumour fraction and its limit of
detection.

Detection integrates every usable locus of the patient (INVAR): the ctDNA level is fitted by
maximum likelihood with each locus weighted by its tissue CCF, multiplicity and copy number,
and scored by the likelihood ratio against no ctDNA. Loci whose counts the fitted level cannot
explain (a clonal haematopoiesis variant, a mismapped read pile) are suppressed one round at a
time. The p-value is that of the boundary likelihood-ratio test, widened by the dispersion the
same statistic shows on control samples, and with enough controls also ranked among theirs.
The tumour fraction is then fitted on the truncal loci alone (CCF 1 in every cell), with its
95% profile-likelihood interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from ith.liquid.model import (CI_DROP, ErrorRates, LengthWeights, as_rates, boundary_pvalue, fragment_log_lik,
                              log_lik, log_lik_rows, maximise, mutant_fraction, pearson_dispersion, profile_interval,
                              read_prob)


DISPERSION_PSEUDO_CONTROLS = 5  # null controls the controls' dispersion is shrunk with
TF_BACKGROUND_DRAWS = 200  # class background rates the tumour fraction's likelihood averages over


@dataclass(frozen=True)
class DetectParams:
    fpr: float = 0.05  # false-positive rate the detection threshold controls
    error_floor: float = 1e-5
    max_error: float = 0.01  # loci with a higher background are not used
    max_normal_alt: int = 2  # loci with this many alt fragments in the patient's normal are not used
    outlier_alpha: float = 0.01  # per-sample outlier suppression level (Bonferroni over loci)
    # above: flagged low sensitivity. The limit of detection, not a read count, since the same
    # reads give a panel's few deep loci and a genome's many shallow ones very different limits
    # once the background is counted
    max_lod: float = 0.001
    min_controls_dispersion: int = 5  # controls needed before their dispersion widens the null
    # control samples covering a locus (the patient's normal included) before detection weighs
    # it by its own error rate; below, by its substitution class' rate (null.null_model)
    per_locus_min_controls: int = 5
    # control errors a substitution class needs before its loci taken at their class' rate get
    # that class' own rate; below, they share one pooled class with the other such classes
    class_min_errors: int = 10
    # loci needed before their scatter around the tumour fraction's fit widens its interval
    min_dispersion_loci: int = 10


@dataclass
class LociModel:
    """What the tissue says of each locus (arrays of length L)."""

    ccf: np.ndarray  # mean CCF over the tumour regions
    mult: np.ndarray  # multiplicity
    cn: np.ndarray  # tumour total copy number (mean over regions)
    normal_cn: np.ndarray
    truncal: np.ndarray  # bool
    coverage: float = 1.0  # how likely a tumour copy is read at a locus over a normal one (model.coverage_ratio)

    def subset(self, m: np.ndarray) -> "LociModel":
        return LociModel(self.ccf[m], self.mult[m], self.cn[m], self.normal_cn[m], self.truncal[m], self.coverage)

    def fraction(self, tf: float, ccf: np.ndarray) -> np.ndarray:
        """Expected fraction of fragments carrying the allele at each locus."""
        return mutant_fraction(tf, ccf, self.mult, self.cn, self.normal_cn, self.coverage)


@dataclass
class Detection:
    level: float  # fitted ctDNA level (tumour fraction if the tissue CCFs hold in plasma)
    llr: float
    used: np.ndarray  # (L,) loci used in the final fit
    outliers: np.ndarray  # (L,) loci suppressed as outliers
    informative_reads: int
    alt_reads: int
    background_reads: float  # expected error fragments at the used loci


def _ll_level(alt, depth, err: ErrorRates, loci: LociModel, ccf: np.ndarray, frags: "Frags | None" = None):
    def ll(tf: float) -> float:
        v = loci.fraction(tf, ccf)
        q = read_prob(v, err)
        out = log_lik(alt, depth, q, err)
        if frags is not None:
            out += fragment_log_lik(v, err.rate, q, frags[0], frags[1])
        return out
    return ll


Frags = tuple  # (locus index (F,), length weight (F,)) of the tumour-allele fragments


def _subset_frags(frags: "Frags | None", m: np.ndarray) -> "Frags | None":
    """The fragments at the loci of mask m, their locus indices renumbered within m."""
    if frags is None:
        return None
    locus, w = frags
    keep = m[locus]
    return (np.cumsum(m)[locus[keep]] - 1, w[keep])


def detect(alt: np.ndarray, depth: np.ndarray, err: np.ndarray, loci: LociModel, usable: np.ndarray,
           p: DetectParams, max_rounds: int = 5, frags: "Frags | None" = None) -> Detection:
    """Fit the ctDNA level on the usable loci, suppressing outlier loci round by round. With
    `frags`, the tumour-allele fragments' lengths weigh in (fragment-length weighting)."""
    err = as_rates(err)
    used = usable & (depth > 0)
    outliers = np.zeros_like(used)
    level, llr = 0.0, 0.0
    for round_ in range(max_rounds + 1):
        m = used & ~outliers
        if not m.any():
            level, llr = 0.0, 0.0
            break
        sub = loci.subset(m)
        ll = _ll_level(alt[m], depth[m], err[m], sub, sub.ccf, _subset_frags(frags, m))
        level, best = maximise(ll, 0.0, 1.0)
        llr = max(0.0, 2.0 * (best - ll(0.0)))
        if round_ == max_rounds:  # the fit on the final loci; no more suppression
            break
        # an outlier is a locus the level cannot explain even were its clone in every tumour
        # cell: a clone that grew since the tissue was taken is not suppressed
        q = read_prob(loci.fraction(level, np.ones_like(loci.ccf)), err)
        tail = stats.binom.sf(alt - 1, depth, q)
        new = m & (tail < p.outlier_alpha / max(int(m.sum()), 1)) & (alt >= 2)
        if not new.any():
            break
        outliers |= new
    m = used & ~outliers
    return Detection(level, llr, m, outliers, int(depth[m].sum()), int(alt[m].sum()), float((depth[m] * err.rate[m]).sum()))


def pvalue(llr: float, control_llrs: np.ndarray, p: DetectParams) -> tuple[float, float, str]:
    """(p-value, dispersion, calibration) of a detection statistic given the same statistic on
    ctDNA-negative control samples. The null mean of the boundary statistic is 1/2; controls that
    average more widen it. With at least 1/fpr - 1 controls, the sample must also outrank them."""
    controls = np.asarray(control_llrs, dtype=float)
    dispersion = 1.0
    method = "parametric"
    if len(controls) >= p.min_controls_dispersion:
        # the controls' mean statistic over its null mean 1/2, shrunk towards 1 with the weight
        # of DISPERSION_PSEUDO_CONTROLS null controls and robust to one control: its largest
        # statistic is capped at the next largest
        c = np.sort(controls)
        if len(c) >= 2:
            c[-1] = min(c[-1], c[-2])
        dispersion = max(1.0, (float(c.sum()) + 0.5 * DISPERSION_PSEUDO_CONTROLS)
                         / (0.5 * (len(c) + DISPERSION_PSEUDO_CONTROLS)))
        method = "parametric+dispersion"
    pv = float(boundary_pvalue(llr, dispersion))
    if len(controls) >= int(np.ceil(1.0 / p.fpr)) - 1:
        empirical = (1.0 + float((controls >= llr).sum())) / (1.0 + len(controls))
        pv = max(pv, empirical)
        method += "+empirical"
    return pv, dispersion, method


def _grid_llr(alt: np.ndarray, depth: np.ndarray, err: ErrorRates, loci: LociModel, grid: np.ndarray,
              frags: tuple | None = None) -> np.ndarray:
    """(B,) largest log-likelihood ratio over the level grid for B count vectors (B, L) at once;
    frags: (draw index, locus index, length weight) of every tumour-allele fragment."""
    ll = np.empty((alt.shape[0], len(grid)))
    for g, tf in enumerate(grid):
        v = loci.fraction(float(tf), loci.ccf)
        q = read_prob(v, err)
        ll[:, g] = log_lik_rows(alt, depth, q, err)
        if frags is not None and len(frags[0]):
            pi = (v * (1.0 - err.rate) / q)[frags[1]]
            ll[:, g] += np.bincount(frags[0], weights=np.log(pi * frags[2] + 1.0 - pi), minlength=alt.shape[0])
    return np.maximum(2.0 * (ll.max(axis=1) - ll[:, 0]), 0.0)


def null_pvalue(depth: np.ndarray, err: ErrorRates, loci: LociModel, used: np.ndarray, alt: np.ndarray,
                clear_below: float, draws: int = 1000, batch: int = 100, seed: int = 0,
                frags: "Frags | None" = None, weights: "LengthWeights | None" = None) -> float:
    """Monte Carlo p-value of the detection statistic under no ctDNA, on the loci `used`: alt
    counts drawn at error rates drawn from their posteriors (ErrorRates.draw), at the sample's depths, the
    statistic taken on a fixed level grid for the sample and every draw alike. For few loci or
    low error counts, where the chi-square limit is too optimistic. Stops early once 10 draws
    reach the sample's statistic or the p-value is surely below `clear_below`."""
    rng = np.random.default_rng(seed)
    err = as_rates(err)[used]
    d, sub = depth[used], loci.subset(used)
    grid = np.concatenate([[0.0], np.geomspace(1e-5, 1.0, 60)])
    weighted = frags is not None and weights is not None
    own = _subset_frags(frags, used) if weighted else None
    observed = _grid_llr(alt[used][None, :], d, err, sub, grid,
                         (np.zeros(len(own[0]), dtype=np.int64), *own) if weighted else None)[0]
    hits = n = 0
    while n < draws:  # in batches, stopping once the answer is clear either way
        a = rng.binomial(d, err.draw(rng, batch))
        drawn = None
        if weighted:  # every error fragment gets a length from the normal profile
            row, col = np.nonzero(a)
            reps = a[row, col]
            drawn = (np.repeat(row, reps), np.repeat(col, reps), weights.draw(rng, int(reps.sum())))
        hits += int((_grid_llr(a, d, err, sub, grid, drawn) >= observed - 1e-9).sum())
        n += batch
        if hits >= 10 or (1.0 + hits) / (1.0 + n) < clear_below:
            break
    return (1.0 + hits) / (1.0 + n)


@dataclass
class TumourFraction:
    tf: float
    low: float  # 95% interval
    high: float
    loci: int
    dispersion: float  # the loci's scatter around the fit over the model's (>= 1 widens the interval)


def _ll_marginal(alt: np.ndarray, depth: np.ndarray, draws: np.ndarray, loci: LociModel, ccf: np.ndarray):
    """Log likelihood of the level, binomial at each drawn set of rates (B, L), averaged over
    the draws."""
    def ll(tf: float) -> float:
        v = loci.fraction(tf, ccf)[None, :]
        q = np.clip(v * (1.0 - draws) + (1.0 - v) * draws, 1e-12, 1.0 - 1e-12)
        rows = (alt * np.log(q) + (depth - alt) * np.log1p(-q)).sum(axis=1)
        return float(special.logsumexp(rows) - np.log(len(rows)))
    return ll


def tumour_fraction_fit(alt, depth, err, loci: LociModel, used: np.ndarray,
                        min_dispersion_loci: int = DetectParams.min_dispersion_loci) -> TumourFraction:
    """Tumour fraction and 95% interval from the truncal loci (CCF 1); all used loci weighted by
    their tissue CCF when no truncal locus is usable. With the background's posterior (`err`
    from Background.rates), each locus is taken at its substitution class' rate and the
    likelihood averaged over the classes' rates drawn from it (seeded: the same inputs give
    the same fit): weighing the loci by their own rates, learned from a few control errors
    each, would give the loci whose controls happened to be clean the most weight and read
    their background as tumour, and the classes' uncertainty is shared by their loci, which no
    per-locus spread holds. The interval is the profile likelihood's,
    widened as quasi-likelihood does when the loci scatter around the fit more than the model
    allows (Pearson chi-square over its degrees of freedom, from `min_dispersion_loci` loci;
    never narrowed): loci differ in ways no count model holds (mapping, capture, the tissue's
    multiplicities and copy numbers), and each locus' own depth would otherwise set the width."""
    err = as_rates(err)
    m = used & loci.truncal
    ccf_one = True
    if not m.any():
        m, ccf_one = used, False
    if not m.any():
        return TumourFraction(float("nan"), float("nan"), float("nan"), 0, float("nan"))
    sub = loci.subset(m)
    ccf = np.ones(int(m.sum())) if ccf_one else sub.ccf
    rates = err[m]
    if rates.hyper is not None and rates.class_index is not None:
        # each locus at its class' rate, the likelihood averaged over the classes' posterior
        draws = rates.draw_classes(np.random.default_rng(0), TF_BACKGROUND_DRAWS)
        ll = _ll_marginal(alt[m], depth[m], draws, sub, ccf)
        rates = ErrorRates(draws.mean(axis=0), np.full(int(m.sum()), np.inf))
    else:
        ll = _ll_level(alt[m], depth[m], rates, sub, ccf)
    tf, best = maximise(ll, 0.0, 1.0)
    disp = float("nan")
    if int((depth[m] > 0).sum()) >= max(min_dispersion_loci, 2):
        disp = pearson_dispersion(alt[m], depth[m], read_prob(sub.fraction(tf, ccf), rates), rates)
    widen = disp if np.isfinite(disp) and disp > 1.0 else 1.0
    low, high = profile_interval(ll, tf, best, 0.0, 1.0, drop=CI_DROP * widen)
    return TumourFraction(tf, low, high, int(m.sum()), disp)


def tumour_fraction(alt, depth, err, loci: LociModel, used: np.ndarray,
                    min_dispersion_loci: int = DetectParams.min_dispersion_loci) -> tuple[float, float, float, int]:
    """(tumour fraction, 95% low, high, loci) of tumour_fraction_fit."""
    f = tumour_fraction_fit(alt, depth, err, loci, used, min_dispersion_loci)
    return f.tf, f.low, f.high, f.loci


def limit_of_detection(depth: np.ndarray, err: "ErrorRates | np.ndarray", loci: LociModel, fpr: float,
                       power: float = 0.95, dispersion: float = 1.0, draws: int = 2000, seed: int = 0) -> float:
    """The tumour fraction detected with probability `power` when the loci's fragments are
    pooled: the pooled alt count must pass the count that background alone reaches with
    probability `fpr` (under the background's uncertainty, its excess over the expected count
    widened by the controls' dispersion). Conservative beside the per-locus likelihood test;
    about 3 / informative reads for clonal heterozygous loci on a diploid genome with little
    background."""
    if depth.sum() == 0:
        return float("nan")
    rates = as_rates(err)
    err = rates.rate
    background = float((depth * err).sum())
    if rates.hyper is not None or np.isfinite(rates.strength).any():
        rng = np.random.default_rng(seed)
        totals = rng.poisson(rates.draw(rng, draws) @ depth)
        crit = float(np.quantile(totals, 1 - fpr))
    else:
        crit = float(stats.poisson.isf(fpr, background))
    k = int(np.ceil(background + max(dispersion, 1.0) * (crit - background))) + 1

    def detected_prob(tf: float) -> float:
        q = read_prob(loci.fraction(tf, loci.ccf), err)
        return float(stats.poisson.sf(k - 1, float((depth * q).sum())))

    if detected_prob(1.0) < power:
        return float("nan")
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if detected_prob(mid) < power else (lo, mid)
    return hi
