"""Subclonal segments read as two states the patient's other regions show clonally.

A region that holds a lineage in part of its tumour cells reads, where that lineage changed the
copy number, a level between the two states; the fit flags the segment `subclonal` and rounds it
to the nearest integer state, which is often neither (a 2+2 with a 4+0 minority reads 3+1). Where
other regions of the patient show both states clonally in the same segment, the region is read
as their mixture (as Battenberg reads a subclonal segment as two states and a fraction): the
state of most of its tumour cells becomes `major_cn`/`minor_cn`, the other and the share of tumour
cells carrying it `major_cn_2`/`minor_cn_2`/`fraction_2`, and the segment stays `subclonal`.
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
    """Per segment, the (major, minor) states the regions call without the subclonal flag."""
    out: list[set[tuple[int, int]]] = [set() for _ in range(n_seg)]
    for fit in fits.values():
        for k in np.flatnonzero(~fit.subclonal & (fit.major >= 0)):
            out[k].add((int(fit.major[k]), int(fit.minor[k])))
    return out


def _mixture_chi2(seg: Segments, k: int, p: float, psi: float, a: tuple[int, int], b: tuple[int, int]) -> np.ndarray:
    """Chi-square of segment k's log2 ratio and BAF for every share of state `a` (SHARES), the rest `b`."""
    c = SHARES * sum(a) + (1 - SHARES) * sum(b)
    chi = ((seg.log2r[k] - expected_log2r(p, psi, float(seg.n0[k]), c)) / seg.se_log2r[k]) ** 2
    if np.isfinite(seg.baf[k]):
        nb = SHARES * a[1] + (1 - SHARES) * b[1]
        chi = chi + ((seg.baf[k] - expected_baf(p, c, nb)) / seg.se_baf[k]) ** 2
    return chi


def read_mixtures(seg: Segments, fit: Fit, seen: list[set[tuple[int, int]]], params: FitParams) -> Mixtures:
    """A region's flagged segments read as a mixture of two states other regions show clonally,
    where the best mixture fits (chi-square at most `subclonal_chi2`, and below the integer
    state's) and its majority state holds at least `mixture_min_share` of the tumour cells (0.5:
    always; a higher bar keeps the integer call nearer an even split)."""
    n = len(seg.log2r)
    out = Mixtures(fit.major.copy(), fit.minor.copy(), np.full(n, -1), np.full(n, -1), np.full(n, np.nan))
    if not params.two_state_mixtures or not np.isfinite(fit.purity):
        return out
    for k in np.flatnonzero(fit.subclonal & (seg.n0 == 2) & np.isfinite(seg.log2r)):
        states = sorted(seen[k])
        best = (np.inf, 0.0, None, None)
        for i, a in enumerate(states):
            for b in states[i + 1:]:
                chi = _mixture_chi2(seg, k, fit.purity, fit.ploidy_grid, a, b)
                j = int(np.argmin(chi))
                if chi[j] < best[0]:
                    best = (float(chi[j]), float(SHARES[j]), a, b)
        chi2, share, a, b = best
        if a is None or chi2 > params.subclonal_chi2 or chi2 >= fit.chi2[k]:
            continue
        if max(share, 1 - share) < params.mixture_min_share:
            continue
        first, second, minority = (a, b, 1 - share) if share >= 0.5 else (b, a, share)
        out.major[k], out.minor[k] = first
        out.major2[k], out.minor2[k] = second
        out.fraction2[k] = round(minority, 2)
    return out
