"""Subclonal segments read as two states of the patient.

A region that holds a lineage in part of its tumour cells reads, where that lineage changed the
copy number, a level between the two states; the fit flags the segment `subclonal` and rounds it
to the nearest integer state, which is often neither (a 2+2 with a 4+0 minority reads 3+1). Such
a segment is read as a mixture (as Battenberg reads a subclonal segment as two states and a
fraction): the state of most of its tumour cells becomes `major_cn`/`minor_cn`, the other and the
share of tumour cells carrying it `major_cn_2`/`minor_cn_2`/`fraction_2`, and the segment stays
`subclonal`.

One region alone cannot tell which two states: its level and BAF lie on a line through several
pairs (2+2 with 4+0 at 60:40 is 2+2 with 3+1 at 20:80). The candidates come from the patient: the
states other regions show clonally in the segment and the patient's ground state (the clonal
state covering most of its regions' autosomes, 2+2 after a doubling, else 1+1: the state a
lineage's event starts from). Where no such pair fits, the regions flagged in the segment are
read together: one pair must explain all of them (a lineage at different shares in different
regions draws out the line's ends), one state of it a candidate and the other any integer state
next to a region's own level, at a cost of one chi-square unit per copy between the two states
(of two pairs that explain the regions alike, the nearer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ith.copynumber.fit import Fit, FitParams, Segments, expected_baf, expected_log2r

SHARES = np.round(np.arange(0.05, 0.951, 0.01), 2)  # share of tumour cells in the first state


@dataclass
class Mixtures:
    """Per segment of one region: the state of most tumour cells, the other state and its share
    (NaN where the segment is not read as a mixture)."""

    major: np.ndarray
    minor: np.ndarray
    major2: np.ndarray
    minor2: np.ndarray
    fraction2: np.ndarray

    @property
    def mixed(self) -> np.ndarray:
        return np.isfinite(self.fraction2)


def clonal_states(fits: dict[str, Fit], n_seg: int) -> list[set[tuple[int, int]]]:
    """Per segment, the (major, minor) states the regions call without the subclonal flag (on
    segments with data: a region without a log2 ratio there has no state)."""
    out: list[set[tuple[int, int]]] = [set() for _ in range(n_seg)]
    for fit in fits.values():
        for k in np.flatnonzero(_clonal(fit)):
            out[k].add((int(fit.major[k]), int(fit.minor[k])))
    return out


def _clonal(fit: Fit) -> np.ndarray:
    """Segments the fit calls an integer state without the subclonal flag, on data."""
    return ~fit.subclonal & (fit.major >= 0) & np.isfinite(fit.chi2)


def _mixture_chi2(seg: Segments, k: int, p: float, psi: float, a: tuple[int, int], b: tuple[int, int]) -> np.ndarray:
    """Chi-square of segment k's log2 ratio and BAF for every share of state `a` (SHARES), the rest `b`."""
    c = SHARES * sum(a) + (1 - SHARES) * sum(b)
    chi = ((seg.log2r[k] - expected_log2r(p, psi, float(seg.n0[k]), c)) / seg.se_log2r[k]) ** 2
    if np.isfinite(seg.baf[k]):
        nb = SHARES * a[1] + (1 - SHARES) * b[1]
        chi = chi + ((seg.baf[k] - expected_baf(p, c, nb)) / seg.se_baf[k]) ** 2
    return chi


def ground_state(fits: dict[str, Fit], weights: dict[str, np.ndarray]) -> tuple[int, int] | None:
    """The (major, minor) state the regions call clonally over most of their genome (`weights`:
    each region's segment lengths, autosomes only, 0 elsewhere)."""
    cover: dict[tuple[int, int], float] = {}
    for name, fit in fits.items():
        w = weights[name]
        for k in np.flatnonzero(_clonal(fit) & (w > 0)):
            key = (int(fit.major[k]), int(fit.minor[k]))
            cover[key] = cover.get(key, 0.0) + float(w[k])
    return max(sorted(cover), key=lambda s: cover[s]) if cover else None


def _best_share(seg: Segments, k: int, fit: Fit, a: tuple[int, int], b: tuple[int, int]) -> tuple[float, float]:
    """The least chi-square of segment k as a mixture of `a` and `b`, and the share of `a` there."""
    chi = _mixture_chi2(seg, k, fit.purity, fit.ploidy_grid, a, b)
    j = int(np.argmin(chi))
    return float(chi[j]), float(SHARES[j])


def _level(seg: Segments, k: int, fit: Fit) -> tuple[float, float] | None:
    """Segment k's continuous (major, minor) copy numbers at the fit's purity and grid ploidy (the
    inverse of expected_log2r and expected_baf), or None without a BAF."""
    p, n0 = fit.purity, float(seg.n0[k])
    if not np.isfinite(seg.baf[k]) or p <= 0:
        return None
    norm = p * fit.ploidy_grid + 2.0 * (1.0 - p)
    c = max((2.0 ** seg.log2r[k] * n0 / 2.0 * norm - n0 * (1.0 - p)) / p, 0.0)
    nb = min(max((seg.baf[k] * (p * c + 2.0 * (1.0 - p)) - (1.0 - p)) / p, 0.0), c / 2.0)
    return c - nb, nb


def _neighbours(level: tuple[float, float], max_cn: int) -> set[tuple[int, int]]:
    """The integer states at the corners around a continuous (major, minor) level."""
    major, minor = level
    out = set()
    for a in {int(np.floor(major)), int(np.ceil(major))}:
        for b in {int(np.floor(minor)), int(np.ceil(minor))}:
            if 0 <= b <= a and a + b <= max_cn:
                out.add((a, b))
    return out


def _fits(fit: Fit, k: int, chi2: float, params: FitParams) -> bool:
    """Whether a mixture's chi-square on segment k is at most `subclonal_chi2` and below the
    integer state's."""
    return chi2 <= params.subclonal_chi2 and chi2 < fit.chi2[k]


def _accept(out: Mixtures, k: int, fit: Fit, chi2: float, share: float, a, b, params: FitParams) -> None:
    """Record the mixture of `a` (share) and `b` on segment k where it fits (`_fits`) and its
    majority holds `mixture_min_share`."""
    if not _fits(fit, k, chi2, params) or max(share, 1 - share) < params.mixture_min_share:
        return
    first, second, minority = (a, b, 1 - share) if share >= 0.5 else (b, a, share)
    out.major[k], out.minor[k] = first
    out.major2[k], out.minor2[k] = second
    out.fraction2[k] = round(minority, 2)


def _unread(fit: Fit, seg: Segments, out: Mixtures) -> np.ndarray:
    return fit.subclonal & (seg.n0 == 2) & np.isfinite(seg.log2r) & ~out.mixed


def read_mixtures(seg: Segments, fit: Fit, seen: list[set[tuple[int, int]]], params: FitParams,
                  ground: tuple[int, int] | None = None) -> Mixtures:
    """A region's flagged segments read as a mixture of two states other regions show clonally
    there or the patient's `ground` state, where the best such mixture fits (chi-square at most
    `subclonal_chi2`, and below the integer state's) and its majority state holds at least
    `mixture_min_share` of the tumour cells (0.5: always; a higher bar keeps the integer call
    nearer an even split)."""
    n = len(seg.log2r)
    out = Mixtures(fit.major.copy(), fit.minor.copy(), np.full(n, -1), np.full(n, -1), np.full(n, np.nan))
    if not params.two_state_mixtures or not np.isfinite(fit.purity):
        return out
    for k in np.flatnonzero(_unread(fit, seg, out)):
        states = sorted(seen[k] | ({ground} if ground is not None else set()))
        best = (np.inf, 0.0, None, None)
        for i, a in enumerate(states):
            for b in states[i + 1:]:
                chi2, share = _best_share(seg, k, fit, a, b)
                if chi2 < best[0]:
                    best = (chi2, share, a, b)
        chi2, share, a, b = best
        if a is not None:
            _accept(out, k, fit, chi2, share, a, b, params)
    return out


def read_patient_mixtures(regions: dict[str, tuple[Segments, Fit]], params: FitParams) -> dict[str, Mixtures]:
    """Every region's mixtures (`read_mixtures` with the clonal and ground states of the regions
    whose purity is identifiable), then, on segments where at least two flagged regions of
    those are left unread, the one pair of states that explains them best (`_joint_pair`). A
    state no region shows clonally is taken only where it holds at least `mixture_unseen_share`
    of the tumour cells of some region the pair fits: short of that, the pairs on one line
    through the regions' levels (2+2 with 3+1 or with 4+0) fit alike and the nearer would be
    taken by default."""
    usable = {n: (seg, fit) for n, (seg, fit) in regions.items() if np.isfinite(fit.purity)}
    n_seg = len(next(iter(regions.values()))[0].log2r) if regions else 0
    known = {n: (seg, fit) for n, (seg, fit) in usable.items() if fit.identifiable}
    seen = clonal_states({n: f for n, (_, f) in known.items()}, n_seg)
    ground = ground_state({n: f for n, (_, f) in known.items()},
                          {n: np.where(s.autosome & (s.n0 == 2), s.weight, 0.0) for n, (s, _) in known.items()})
    out = {n: read_mixtures(seg, fit, seen, params, ground) for n, (seg, fit) in regions.items()}
    if not params.two_state_mixtures:
        return out
    unread = {n: _unread(fit, seg, out[n]) for n, (seg, fit) in known.items()}
    for k in range(n_seg):
        names = [n for n in known if unread[n][k]]
        if len(names) < 2:
            continue
        anchored = seen[k] | ({ground} if ground is not None else set())
        pair = _joint_pair([known[n] for n in names], k, anchored, params)
        if pair is None:
            continue
        a, b = pair
        reads = {n: _best_share(known[n][0], k, known[n][1], a, b) for n in names}
        fitting = [share for n, (chi2, share) in reads.items() if _fits(known[n][1], k, chi2, params)]
        if b not in anchored and max((1 - share for share in fitting), default=0.0) < params.mixture_unseen_share:
            continue  # a state no region holds in most of its cells: collinear pairs fit alike
        for n in names:
            seg, fit = known[n]
            chi2, share = reads[n]
            _accept(out[n], k, fit, chi2, share, a, b, params)
    return out


def _joint_pair(regions: list[tuple[Segments, Fit]], k: int, anchored: set[tuple[int, int]], params: FitParams
                ) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The pair of states (a, b) that best explains segment k in all `regions`: `a` one of the
    `anchored` candidates, `b` another or an integer state at the corners of a region's level;
    the least sum of their chi-squares (each capped at `chi2_cap`) plus the copies between a and b."""
    others = set(anchored)
    for seg, fit in regions:
        level = _level(seg, k, fit)
        if level is not None:
            others |= _neighbours(level, params.max_cn)
    best, pair = np.inf, None
    for a in sorted(anchored):
        for b in sorted(others - {a}):
            cost = sum(min(_best_share(seg, k, fit, a, b)[0], params.chi2_cap) for seg, fit in regions)
            cost += abs(a[0] - b[0]) + abs(a[1] - b[1])
            if cost < best:
                best, pair = cost, (a, b)
    return pair
