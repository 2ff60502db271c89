"""Purity, ploidy and integer allele-specific copy number of a tumour sample (ASCAT's model).

With purity p, ploidy psi and tumour copies nA + nB = C over a normal with n0 copies:
    R   = (p C + n0 (1-p)) / (p psi + 2 (1-p)) * 2 / n0      (log2 R is the segment's log2 ratio)
    BAF = (p nB + (1-p)) / (p C + 2 (1-p))                    (n0 = 2)
For every (p, psi) of a grid, each segment's nearest integer states are scored by chi-square
against the segment's measured log2 ratio and minor-allele BAF with their standard errors; the
per-segment chi-square is capped, so segments that fit no integer state (subclonal copy number)
cost a fixed amount instead of dragging the fit. The best grid point wins; ties between
equivalent solutions (all copies doubled at half the tumour DNA fraction) go to the lower ploidy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numba
import numpy as np


SUBCLONAL_VAF_GRID = np.linspace(0.005, 0.6, 120)
INCONSISTENT = 1e7  # score added to a purity/ploidy point whose states do not average to its ploidy


@dataclass(frozen=True)
class FitParams:
    purity_min: float = 0.1
    purity_max: float = 1.0
    purity_step: float = 0.01
    ploidy_min: float = 1.5
    ploidy_max: float = 5.5
    ploidy_step: float = 0.02
    max_cn: int = 8
    log2r_sd_floor: float = 0.03  # systematic error of a segment's log2 ratio (GC, normalisation)
    baf_sd_floor: float = 0.015
    chi2_cap: float = 16.0  # cost of a segment that fits no integer state
    subclonal_chi2: float = 9.0  # above this a segment is flagged subclonal
    prior_sd: float = 0.1  # of the sample sheet's purity, when given
    anchor_cost: float = 4.0  # chi-square a region pays per segment to differ from the anchor region's state
    min_aberrant: float = 0.01  # genome fraction that must depart from 1+1 for purity to be identifiable
    wgd_major_fraction: float = 0.5  # WGD if major CN >= 2 over more than this fraction
    snv_weight: float = 1.0  # weight of the mutations' mean -2 log-likelihood against the segments' chi-square
    min_snvs: int = 10  # fewer mutations than this and purity rests on copy number alone
    ploidy_parsimony: float = 0.25  # -2 log-likelihood per segment and unit of ploidy
    two_state_mixtures: bool = True  # read flagged segments as two states other regions show clonally
    mixture_min_share: float = 0.5  # share of tumour cells the majority state of such a mixture needs (0.5: any)
    mixture_unseen_share: float = 0.6  # share a state no region shows clonally must hold in some region, jointly read
    ploidy_tolerance: float = 0.1  # |ploidy - the states' mean| of a solution at most (0: no check)
    doubling_share: float = 0.95  # autosome share a doubled fit must double exactly to be the undoubled one's equal
    doubling_purity_tolerance: float = 0.03  # |doubled purity - p / (2 - p)| at most, for that


@dataclass
class Segments:
    """Per segment of one sample: normal copies, log2 ratio, minor BAF, their SEs, weight."""

    n0: np.ndarray  # int
    log2r: np.ndarray
    se_log2r: np.ndarray
    baf: np.ndarray  # minor-allele fraction or NaN
    se_baf: np.ndarray
    weight: np.ndarray  # genome length
    autosome: np.ndarray  # bool
    snv_seg: np.ndarray | None = None  # segment index of each somatic mutation present in the sample
    snv_alt: np.ndarray | None = None
    snv_depth: np.ndarray | None = None
    snv_mult: np.ndarray | None = None  # multiplicity of truncal mutations (from the anchor region), 0 = unknown
    n_bins: np.ndarray | None = None  # usable bins per segment: the log2 ratios average 0 over the bins, not the length


def ploidy_weights(seg: Segments) -> np.ndarray:
    """What a grid point's ploidy averages over: the usable bins of each segment (the log2 ratios
    are scaled to a mean ratio of 1 over the usable autosomal bins, so the ploidy of the grid is
    the bins' mean copy number; in an exome the targets outnumber the off-target bins by far);
    the segment's length where the bins are not known."""
    return (seg.n_bins if seg.n_bins is not None else seg.weight).astype(float)


@numba.njit(cache=True)
def expected_log2r(p, psi, n0, c):
    """The model's log2 ratio of total copy number `c` (scalar or array; a mixture's cell-weighted
    mean) at purity p and grid ploidy psi, with n0 normal copies."""
    return np.log2((p * c + n0 * (1.0 - p)) / (p * psi + 2.0 * (1.0 - p)) * 2.0 / n0)


@numba.njit(cache=True)
def expected_baf(p, c, nb):
    """The model's minor-allele BAF of total `c` with `nb` minor copies at purity p (two normal copies)."""
    return (p * nb + (1.0 - p)) / (p * c + 2.0 * (1.0 - p))


@numba.njit(cache=True)
def _state_chi2(l: float, sl: float, b: float, sb: float, n0: int, p: float, psi: float, max_cn: int,
                anchor_c: int = -1, anchor_b: int = -1, anchor_cost: float = 0.0):
    """Best integer (C, nB) near the continuous solution and its chi-square (plus `anchor_cost`
    when the state differs from the anchor's state, if one is given)."""
    norm = p * psi + 2.0 * (1.0 - p)
    r = 2.0 ** l
    c_cont = (r * n0 / 2.0 * norm - n0 * (1.0 - p)) / p
    has_b = n0 == 2 and not np.isnan(b)
    nb_cont = (b * (p * c_cont + 2.0 * (1.0 - p)) - (1.0 - p)) / p if has_b else 0.0
    best = np.inf
    best_c = 0
    best_b = 0
    c_lo = max(0, int(np.floor(c_cont)) - 1)
    c_hi = min(max_cn, int(np.floor(c_cont)) + 2)
    for c in range(c_lo, c_hi + 1):
        depth = p * c + n0 * (1.0 - p)
        if depth <= 0:
            continue
        lhat = expected_log2r(p, psi, n0, c)
        chi = ((l - lhat) / sl) ** 2
        if anchor_c >= 0 and c != anchor_c:
            chi += anchor_cost
        if n0 != 2:
            if chi < best:
                best, best_c, best_b = chi, c, 0
            continue
        b_lo = max(0, int(np.floor(nb_cont)) - 1) if has_b else 0
        b_hi = min(c // 2, int(np.floor(nb_cont)) + 2) if has_b else c // 2
        if b_lo > b_hi:
            b_lo = b_hi
        for nb in range(b_lo, b_hi + 1):
            extra = anchor_cost if (anchor_c >= 0 and c == anchor_c and nb != anchor_b) else 0.0
            if has_b:
                extra += ((b - expected_baf(p, c, nb)) / sb) ** 2
            if chi + extra < best:
                best, best_c, best_b = chi + extra, c, nb
    return best, best_c, best_b


@numba.njit(cache=True)
def _clonal_vaf(p: float, c: int) -> float:
    """VAF of a clonal mutation on one of `c` tumour copies at purity p (two normal copies)."""
    denom = p * c + 2.0 * (1.0 - p)
    return p / denom if denom > 0 else 0.0


@numba.njit(cache=True)
def _subclonal_ll(cum_bg: np.ndarray, grid: np.ndarray, v1: float) -> float:
    """Log-likelihood of the subclonal part: the VAF spread cut at the clonal VAF v1."""
    k = np.searchsorted(grid, v1, side="right")
    return cum_bg[k - 1] if k > 0 else -np.inf


@numba.njit(cache=True)
def _binom_ll(alt: float, dep: float, v: float) -> float:
    """Binomial log-likelihood of `alt` of `dep` reads at VAF v (constant terms dropped)."""
    v = min(max(v, 1e-4), 1 - 1e-4)
    return alt * np.log(v) + (dep - alt) * np.log(1 - v)


@numba.njit(cache=True)
def _snv_nll(alt: float, dep: float, p: float, c: int, na: int, cum_bg: np.ndarray, grid: np.ndarray,
             fixed_m: int) -> float:
    """-2 log-likelihood of one mutation's reads: half clonal (multiplicity 1..major, equally
    likely; binomial, constant terms dropped), half subclonal: a fixed spread of VAFs, cut at the
    clonal VAF (no cell carries more than all cells) but not renormalised, so a lower purity
    gains nothing by squeezing the subclonal mutations while mutations above the clonal VAF
    cost it dearly."""
    v1 = _clonal_vaf(p, c)
    background = _subclonal_ll(cum_bg, grid, v1)
    if fixed_m > 0:
        # a truncal mutation whose multiplicity the anchor region showed; some such "truncal"
        # mutations are subclones near-clonal in the anchor, hence the subclonal alternative
        a = _binom_ll(alt, dep, v1 * fixed_m) + np.log(0.8)
        b = background + np.log(0.2)
        top = max(a, b)
        return -2.0 * (top + np.log(np.exp(a - top) + np.exp(b - top)))
    n_m = max(na, 1)
    logs = np.empty(n_m + 1)
    for m in range(1, n_m + 1):
        logs[m - 1] = _binom_ll(alt, dep, v1 * m) + np.log(0.5 / n_m)
    logs[n_m] = background + np.log(0.5)
    lmax = logs.max()
    total = 0.0
    for x in logs:
        total += np.exp(x - lmax)
    return -2.0 * (lmax + np.log(total))


@numba.njit(cache=True)
def _snv_terms(alt, dep, p, c, na, cum_bg, grid, max_m):
    """`_snv_nll`'s parts for many mutations, before its prior weights: the subclonal
    log-likelihood and the clonal one of each multiplicity 1..max_m (-inf above max(major, 1))."""
    sub = np.empty(len(alt))
    clonal = np.full((len(alt), max_m), -np.inf)
    for q in range(len(alt)):
        v1 = _clonal_vaf(p, c[q])
        sub[q] = _subclonal_ll(cum_bg[q], grid, v1)
        for m in range(1, min(max(na[q], 1), max_m) + 1):
            clonal[q, m - 1] = _binom_ll(alt[q], dep[q], v1 * m)
    return sub, clonal


def snv_background(alt: np.ndarray, dep: np.ndarray) -> np.ndarray:
    """(mutations, grid) log of the cumulative mean likelihood over VAFs spread evenly on
    0.005-0.6 (same constant terms dropped as in the clonal part)."""
    v = SUBCLONAL_VAF_GRID[None, :]
    ll = alt[:, None] * np.log(v) + (dep - alt)[:, None] * np.log1p(-v)
    return np.logaddexp.accumulate(ll, axis=1) - np.log(len(SUBCLONAL_VAF_GRID))


@numba.njit(cache=True)
def _grid_scores(l, sl, b, sb, n0, w, purities, ploidies, max_cn, cap, snv_seg, snv_alt, snv_dep, snv_bg, snv_m,
                 snv_w, anchor_c, anchor_b, anchor_cost, pw, tolerance, subclonal_chi2, hold_mixed):
    out = np.empty((len(purities), len(ploidies)))
    cs = np.zeros(len(l), dtype=np.int64)
    clean = np.zeros(len(l), dtype=np.bool_)
    nbs = np.zeros(len(l), dtype=np.int64)
    total_pw = pw.sum()
    for i in range(len(purities)):
        for j in range(len(ploidies)):
            s = 0.0
            mean_c = 0.0
            departed = 0.0
            for k in range(len(l)):
                chi, c, nb = _state_chi2(l[k], sl[k], b[k], sb[k], n0[k], purities[i], ploidies[j], max_cn,
                                         anchor_c[k], anchor_b[k], anchor_cost)
                cs[k] = c
                nbs[k] = nb
                s += w[k] * min(chi, cap)
                mean_c += pw[k] * c
                clean[k] = chi <= subclonal_chi2
                if anchor_c[k] >= 0 and (c != anchor_c[k] or nb != anchor_b[k]):
                    departed += pw[k]
                    clean[k] = chi - anchor_cost <= subclonal_chi2
            # where most of the genome departs from the anchor's states the point is another
            # solution of the whole genome (another ploidy), which the anchor's multiplicities
            # are there to refute: they then hold on every segment
            release = departed <= 0.5 * total_pw
            if tolerance > 0 and total_pw > 0:
                off = abs(mean_c / total_pw - ploidies[j]) - tolerance
                if off > 0:
                    # not a solution: its states do not average to its ploidy (kept ordered, so a
                    # sample where no point is consistent still gets the least inconsistent)
                    s += INCONSISTENT * (1.0 + off)
            if len(snv_seg):
                t = 0.0
                for q in range(len(snv_seg)):
                    k = snv_seg[q]
                    # a multiplicity read in the anchor region holds where this region has the
                    # anchor's state; where it differs on a few segments (a CN-LOH or gain in
                    # this region after the mutation) the copies carrying it may differ too, so
                    # there a mutation is scored at the anchor's multiplicity or, where that fits
                    # worse, at any (the free model alone would price a right multiplicity about
                    # 1 + 2 ln(major) higher, a cost of departing that moved other regions'
                    # fits). With `hold_mixed`, a segment fitting no integer state (a mixture
                    # rounded to some state, which says nothing of the copies) keeps them: the
                    # first fit of fit_region, whose flagged segments' mutations the second
                    # leaves out
                    same = (anchor_c[k] < 0 or not release or (hold_mixed and not clean[k])
                            or (cs[k] == anchor_c[k] and nbs[k] == anchor_b[k]))
                    nll = _snv_nll(snv_alt[q], snv_dep[q], purities[i], cs[k], cs[k] - nbs[k], snv_bg[q],
                                   SUBCLONAL_VAF_GRID, snv_m[q])
                    if not same and snv_m[q] > 0:
                        nll = min(nll, _snv_nll(snv_alt[q], snv_dep[q], purities[i], cs[k], cs[k] - nbs[k], snv_bg[q],
                                                SUBCLONAL_VAF_GRID, 0))
                    t += nll
                s += snv_w * t
            out[i, j] = s
    return out


@dataclass
class Fit:
    purity: float
    ploidy_grid: float  # the psi of the grid point
    score: float
    identifiable: bool
    major: np.ndarray
    minor: np.ndarray
    chi2: np.ndarray
    subclonal: np.ndarray
    ploidy: float  # length-weighted mean total CN of the autosomes
    goodness_of_fit: float  # autosomal genome fraction that fits an integer state
    wgd: bool
    aberrant_fraction: float


def aberrant_fraction(seg: Segments) -> float:
    """Autosomal genome fraction whose log2 ratio or BAF departs clearly from a balanced diploid."""
    a = seg.autosome & np.isfinite(seg.log2r)
    if not a.any():
        return 0.0
    z_l = np.abs(seg.log2r - np.average(seg.log2r[a], weights=seg.weight[a])) / seg.se_log2r
    z_b = np.where(np.isfinite(seg.baf), (0.5 - seg.baf) / seg.se_baf, 0.0)
    off = a & ((z_l > 4) | (z_b > 4))
    return float(seg.weight[off].sum() / seg.weight[a].sum())


@dataclass(frozen=True)
class Anchor:
    """Integer states of the patient's best-fitted region: clonal states are shared by the regions
    of one tumour, so another region pays `cost` (chi-square units) per segment to differ."""

    major: np.ndarray
    minor: np.ndarray
    cost: float
    hold_mixed: bool = True  # its multiplicities hold on departing segments that fit no integer state


def _anchor_arrays(seg: Segments, a: np.ndarray, anchor: Anchor | None):
    n = int(a.sum())
    if anchor is None:
        return np.full(n, -1, np.int64), np.full(n, -1, np.int64), 0.0
    return ((anchor.major + anchor.minor)[a].astype(np.int64), anchor.minor[a].astype(np.int64), float(anchor.cost))


def states_at(seg: Segments, p: float, psi: float, params: FitParams, anchor: Anchor | None = None):
    """Best integer state of every segment and its chi-square (without any anchor cost)."""
    n = len(seg.log2r)
    major, minor, chi = np.zeros(n, np.int64), np.zeros(n, np.int64), np.full(n, np.nan)
    ac, ab, cost = _anchor_arrays(seg, np.ones(n, bool), anchor)
    for k in range(n):
        if not np.isfinite(seg.log2r[k]):
            continue
        c2, c, nb = _state_chi2(seg.log2r[k], seg.se_log2r[k], seg.baf[k], seg.se_baf[k], int(seg.n0[k]), p, psi,
                                params.max_cn, ac[k], ab[k], cost)
        if ac[k] >= 0 and (c != ac[k] or nb != ab[k]):
            c2 -= cost
        major[k], minor[k], chi[k] = c - nb, nb, c2
    return major, minor, chi


def _snv_selection(seg: Segments, a: np.ndarray, params: FitParams):
    """The mutations the fit uses: (index into the fitted segments, mask over seg's mutations,
    held multiplicities), or None where it uses none. Only the anchor's truncal mutations where
    at least `min_snvs` of them lie on fitted segments (they say it all, without a mixture)."""
    if seg.snv_seg is None or len(seg.snv_seg) < params.min_snvs or params.snv_weight <= 0:
        return None
    remap = np.full(len(a), -1, dtype=np.int64)
    remap[a] = np.arange(int(a.sum()))
    k = remap[seg.snv_seg]
    use = k >= 0
    if use.sum() < params.min_snvs:
        return None
    mult = seg.snv_mult.astype(np.int64) if seg.snv_mult is not None else np.zeros(len(k), np.int64)
    if (use & (mult > 0)).sum() >= params.min_snvs:
        use &= mult > 0
    else:
        mult = np.zeros(len(k), np.int64)
    return k[use], use, mult[use]


def _snv_args(seg: Segments, a: np.ndarray, params: FitParams):
    """Mutations on the fitted (autosomal) segments, re-indexed to them (`_snv_selection`)."""
    chosen = _snv_selection(seg, a, params)
    if chosen is None:
        return (np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros((0, len(SUBCLONAL_VAF_GRID))),
                np.zeros(0, np.int64), 0.0)
    k, use, mult = chosen
    alt, dep = seg.snv_alt[use].astype(float), seg.snv_depth[use].astype(float)
    return k, alt, dep, snv_background(alt, dep), mult, float(params.snv_weight)


def _scores(seg: Segments, params: FitParams, purities: np.ndarray, ploidies: np.ndarray,
            anchor: Anchor | None) -> np.ndarray:
    a = seg.autosome & np.isfinite(seg.log2r)
    w = np.ones(int(a.sum()))  # each segment's chi-square already weighs its precision
    scores = _grid_scores(seg.log2r[a], seg.se_log2r[a], seg.baf[a], seg.se_baf[a], seg.n0[a].astype(np.int64), w,
                          purities, ploidies, params.max_cn, params.chi2_cap, *_snv_args(seg, a, params),
                          *_anchor_arrays(seg, a, anchor), ploidy_weights(seg)[a], float(params.ploidy_tolerance),
                          float(params.subclonal_chi2), anchor is None or anchor.hold_mixed)
    # parsimony: all copies doubled at half the tumour DNA fraction fits the clonal segments
    # exactly as well and turns half-way (subclonal) levels into integers; a doubled genome has
    # about twice the states to choose from per segment, so it pays per segment and unit ploidy
    return scores + params.ploidy_parsimony * len(w) * ploidies[None, :]


def without_mutations(seg: Segments, drop: np.ndarray) -> Segments:
    """`seg` without the mutations marked in `drop`."""
    keep = ~drop
    return replace(seg, **{f: getattr(seg, f)[keep] for f in ("snv_seg", "snv_alt", "snv_depth", "snv_mult")
                           if getattr(seg, f) is not None})


def fit_region(seg: Segments, params: FitParams, prior: float | None = None, anchor: Anchor | None = None,
               wgd: bool | None = None) -> Fit:
    """`fit_sample`, then again without the mutations on the segments that fit flags subclonal
    and with the anchor's multiplicities released on every segment where the region departs
    from its state. Where a lineage changed the copy number in part of a region's cells, a
    mutation's copies differ between its cells (a CN-LOH in half of them leaves a truncal
    mutation at 2 copies or none there, 1 elsewhere), so its reads say nothing of the purity at
    any one multiplicity, and many such reads pull it (above the clonal VAF they can be read
    only at a higher purity). The first fit holds the anchor's multiplicities on departing
    segments that fit no integer state: released there, a point where most of the genome fits
    none (its mutations then free) can win. The first fit is kept where leaving the mutations
    out would change which of them the fit uses (too few left to use, or too few of the
    anchor's truncal ones, so all would be taken at free multiplicities) or make its purity
    unidentifiable.
    wgd: the patient's doubling, for its anchor region (fitted with no anchor): both fits are
    taken of that kind where one exists. The patient chose it over all its regions; the anchor's
    refit without some of its mutations re-estimates its purity, and alone it can flip to the
    other kind by a few units (seed 27's P4, doubled at purity 0.89 and ploidy 4.2, refitted
    undoubled at 0.95 and 2.15), halving every state the other regions are read against."""
    fit = fit_of_kind(seg, params, prior, anchor, wgd)
    if seg.snv_seg is None:
        return fit
    drop = fit.subclonal[seg.snv_seg]
    if anchor is None and not drop.any():
        return fit
    kept = without_mutations(seg, drop)
    if _snv_use(kept, params) != _snv_use(seg, params):
        return fit
    released = replace(anchor, hold_mixed=False) if anchor is not None else None
    second = fit_of_kind(kept, params, prior, released, wgd)
    if wgd is not None and second.wgd != wgd and fit.wgd == wgd:  # no refit of the patient's kind
        return fit
    return fit if fit.identifiable and not second.identifiable else second


def fit_of_kind(seg: Segments, params: FitParams, prior: float | None, anchor: Anchor | None, wgd: bool | None) -> Fit:
    """The best fit, of the doubling `wgd` where one of that kind exists."""
    hyps = fit_hypotheses(seg, params, prior, anchor)
    best = min(hyps.values(), key=lambda f: f.score)
    return best if wgd is None else hyps.get(wgd, best)


def _snv_use(seg: Segments, params: FitParams) -> tuple[bool, bool]:
    """Whether the fit uses the sample's mutations, and whether only the anchor's truncal ones."""
    chosen = _snv_selection(seg, seg.autosome & np.isfinite(seg.log2r), params)
    return chosen is not None, chosen is not None and bool((chosen[2] > 0).any())


def fit_sample(seg: Segments, params: FitParams, prior: float | None = None, anchor: Anchor | None = None) -> Fit:
    """Grid fit of purity and ploidy, then integer states of every segment at the optimum."""
    return fit_of_kind(seg, params, prior, anchor, None)


def fit_hypotheses(seg: Segments, params: FitParams, prior: float | None = None, anchor: Anchor | None = None
                   ) -> dict[bool, Fit]:
    """The best fit without and with a whole-genome doubling (keyed by `Fit.wgd`; a key is missing
    when no ploidy band gives such a fit). The regions of a tumour share the truncal doubling, so
    the patient compares the sums of these scores over its regions (anchor.anchor_region)."""
    a = seg.autosome & np.isfinite(seg.log2r)
    ab = aberrant_fraction(seg)
    n_snv = len(_snv_args(seg, a, params)[0])
    identifiable = ab >= params.min_aberrant or n_snv >= params.min_snvs
    out: dict[bool, Fit] = {}
    for p, psi, score in _band_optima(seg, params, prior, anchor):
        major, minor, chi = states_at(seg, p, psi, params, anchor)
        fit = _summarise(seg, p, psi, score, identifiable, major, minor, chi, params, ab)
        if fit.wgd not in out or score < out[fit.wgd].score:
            out[fit.wgd] = fit
    return out


def _band_optima(seg, params, prior, anchor) -> list[tuple[float, float, float]]:
    """(purity, ploidy, score) of the coarse grid's best point in each ploidy band of width 0.5,
    each refined on a 10x finer local grid. Without refinement the grid's rounding alone can
    favour a doubled solution, whose ploidy is resolved twice as finely."""
    purities = np.round(np.arange(params.purity_min, params.purity_max + 1e-9, params.purity_step), 6)
    ploidies = np.round(np.arange(params.ploidy_min, params.ploidy_max + 1e-9, params.ploidy_step), 6)

    def total(ps, qs):
        sc = _scores(seg, params, ps, qs, anchor)
        if prior is not None:  # scores are -2 log-likelihoods; so is a normal prior
            sc = sc + ((ps[:, None] - prior) / params.prior_sd) ** 2
        return sc
    coarse = total(purities, ploidies)
    band = np.floor(ploidies / 0.5).astype(int)
    out = []
    for b in np.unique(band):
        cols = np.flatnonzero(band == b)
        i, j = np.unravel_index(int(np.argmin(coarse[:, cols])), (len(purities), len(cols)))
        p0, q0 = purities[i], ploidies[cols[j]]
        ps = np.unique(np.round(np.clip(p0 + np.linspace(-params.purity_step, params.purity_step, 11),
                                        params.purity_min, params.purity_max), 6))
        qs = np.unique(np.round(np.clip(q0 + np.linspace(-params.ploidy_step, params.ploidy_step, 11),
                                        params.ploidy_min, params.ploidy_max), 6))
        fine = total(ps, qs)
        k, m = np.unravel_index(int(np.argmin(fine)), fine.shape)
        out.append((float(ps[k]), float(qs[m]), float(fine[k, m])))
    return out


def states_of(seg: Segments, fit: Fit, params: FitParams, anchor: Anchor | None = None) -> Fit:
    """`fit` with its states read on the segments `seg` (other cuts of the same sample) at its
    purity and ploidy, against the anchor's states there. Its doubling stays (the solution is
    the same; a share of major >= 2 near `wgd_major_fraction` could tip on other cuts); its
    score stays that of the segments it was fitted on."""
    major, minor, chi = states_at(seg, fit.purity, fit.ploidy_grid, params, anchor)
    return replace(_summarise(seg, fit.purity, fit.ploidy_grid, fit.score, fit.identifiable, major, minor, chi,
                              params, aberrant_fraction(seg)), wgd=fit.wgd)


def _summarise(seg, p, psi, score, identifiable, major, minor, chi, params, ab) -> Fit:
    a = seg.autosome & np.isfinite(seg.log2r)
    wa = seg.weight[a]
    total = (major + minor).astype(float)
    ploidy = float(np.average(total[a], weights=wa)) if a.any() else np.nan
    subclonal = np.isfinite(chi) & (chi > params.subclonal_chi2)
    fit_frac = float(wa[~subclonal[a]].sum() / wa.sum()) if a.any() else np.nan
    wgd = bool(a.any() and wa[major[a] >= 2].sum() / wa.sum() > params.wgd_major_fraction)
    return Fit(p, psi, score, identifiable, major, minor, chi, subclonal, ploidy, fit_frac, wgd, ab)


def copies_carrying(seg: Segments, fit: Fit) -> np.ndarray:
    """Each mutation's VAF turned into the number of copies per tumour cell carrying it, were it
    in every tumour cell: VAF x (p C + n0 (1 - p)) / p at the fit's purity and states."""
    p, k = fit.purity, seg.snv_seg
    c = (fit.major + fit.minor)[k].astype(float)
    return seg.snv_alt / np.maximum(seg.snv_depth, 1) * (p * c + seg.n0[k] * (1 - p)) / p


def truncal_multiplicity(seg: Segments, fit: Fit, present_everywhere: np.ndarray, tolerance: float = 0.2) -> np.ndarray:
    """Multiplicity of each of the anchor region's mutations that looks clonal there (its
    copy-number-corrected VAF near an integer 1..major) and is present in every region: the
    truncal mutations, whose VAFs in the other regions then pin those regions' purities."""
    out = np.zeros(len(seg.snv_seg), np.int64) if seg.snv_seg is not None else np.zeros(0, np.int64)
    if seg.snv_seg is None or not np.isfinite(fit.purity):
        return out
    k = seg.snv_seg
    x = copies_carrying(seg, fit)
    m = np.rint(x)
    ok = present_everywhere & (m >= 1) & (m <= fit.major[k]) & (np.abs(x - m) <= tolerance * m) & ~fit.subclonal[k]
    out[ok] = m[ok].astype(np.int64)
    return out


def anchor_multiplicity(seg: Segments, fit: Fit) -> np.ndarray:
    """Each mutation's multiplicity if clonal: its copy-number-corrected VAF rounded to 1..major
    (0 on segments with no tumour copy or flagged subclonal)."""
    if seg.snv_seg is None or not np.isfinite(fit.purity):
        return np.zeros(0 if seg.snv_seg is None else len(seg.snv_seg), np.int64)
    k = seg.snv_seg
    m = np.clip(np.rint(copies_carrying(seg, fit)), 1, np.maximum(fit.major[k], 1)).astype(np.int64)
    return np.where((fit.major[k] >= 1) & ~fit.subclonal[k], m, 0)


def clonal_in_region(seg: Segments, fit: Fit, mult: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """Whether each of a region's mutations, given the multiplicity `mult` it has where it looks
    truncal (0: none), has as many alt reads as a clonal mutation would at this region's purity
    and states (two-sided binomial test at `alpha`): a subclone that the anchor region holds
    near-clonally reads far lower in a region that has little of it."""
    from scipy.stats import binom

    out = np.zeros(len(mult), bool)
    if seg.snv_seg is None or not np.isfinite(fit.purity) or not len(mult):
        return out
    p = fit.purity
    k = seg.snv_seg
    c = (fit.major + fit.minor)[k].astype(float)
    n0 = seg.n0[k].astype(float)
    ok = (mult >= 1) & (mult <= fit.major[k]) & ~fit.subclonal[k]
    v = np.clip(p * mult / np.maximum(p * c + n0 * (1 - p), 1e-9), 1e-4, 1 - 1e-4)
    low = binom.cdf(seg.snv_alt, seg.snv_depth, v)
    high = binom.sf(seg.snv_alt - 1, seg.snv_depth, v)
    out[ok] = (np.minimum(low, high)[ok] >= alpha / 2)
    return out


def fixed_purity_states(seg: Segments, p: float, params: FitParams, anchor: Anchor | None = None) -> Fit:
    """Integer states when purity is given (not identifiable from the data): the ploidy that
    fits best at that purity."""
    ploidies = np.round(np.arange(params.ploidy_min, params.ploidy_max + 1e-9, params.ploidy_step), 6)
    scores = _scores(seg, params, np.array([p]), ploidies, anchor)[0]
    j = int(np.argmin(scores))
    major, minor, chi = states_at(seg, p, float(ploidies[j]), params, anchor)
    return _summarise(seg, p, float(ploidies[j]), float(scores[j]), False, major, minor, chi, params,
                      aberrant_fraction(seg))


def snv_likelihoods(seg: Segments, fit: Fit, params: FitParams, max_m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per mutation the fit scores (`_snv_args`'s, at `fit`'s purity and states, free
    multiplicity): its index among the sample's mutations, the log-likelihood of the subclonal
    part (cut at the clonal VAF) and of each multiplicity 1..max_m (mutations x max_m; -inf above
    the segment's major copy number, or above 1 where it is 0), constant terms dropped as in
    `_snv_nll` (with its prior weights, -2 times the log of 0.5 e^sub + sum_m 0.5/n_m e^clonal
    summed over the mutations is the fit's mutation score). Empty when the fit
    uses no mutations or holds them to the anchor's multiplicities (a second pass)."""
    a = seg.autosome & np.isfinite(seg.log2r)
    k, alt, dep, bg, fixed, _ = _snv_args(seg, a, params)
    if not len(k) or (fixed > 0).any():
        return np.zeros(0, np.int64), np.zeros(0), np.zeros((0, max_m))
    rows = np.flatnonzero(a)[k]  # the segments of the sample
    keep = np.flatnonzero(a[seg.snv_seg])  # _snv_args keeps the mutations on fitted segments, in order
    sub, clonal = _snv_terms(alt, dep, float(fit.purity), (fit.major + fit.minor)[rows].astype(np.int64),
                             fit.major[rows].astype(np.int64), bg, SUBCLONAL_VAF_GRID, max_m)
    return keep, sub, clonal
