"""Joint segmentation of several samples: one set of breakpoints, a level per sample and feature.

Exact penalised least squares (what multi-sample PCF optimises) solved with PELT pruning, so it is
linear in practice: the cost of a segment is the sum over features of the squared deviations
from the feature's mean, every feature scaled to unit noise. Missing values (a bin without
heterozygous SNPs has no BAF) simply do not contribute; that is why this is our own compiled
loop rather than a library, none of which we found accepting gaps in a multi-feature signal.
"""

from __future__ import annotations

import numba
import numpy as np


def noise_sd(x: np.ndarray, lag: int = 1) -> float:
    """Robust noise level of a piecewise-constant signal: MAD of lag-`lag` differences / sqrt(2).
    A lag as long as any smoothing the signal went through sees the whole noise variance, not
    only its fast part."""
    v = x[np.isfinite(x)]
    if len(v) < lag + 2:
        return np.nan
    d = v[lag:] - v[:-lag]
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2))


@numba.njit(cache=True)
def _pelt(s1: np.ndarray, s2: np.ndarray, cnt: np.ndarray, pos: np.ndarray, beta: float, min_size: int) -> np.ndarray:
    """Optimal segmentation with breakpoints restricted to `pos` (increasing indices into the
    cumulative sums s1, s2, cnt of shape (n+1, d): sums of x, x^2 and non-missing flags).
    Returns the chosen ends as indices into `pos`."""
    m_pos = len(pos)
    d = s1.shape[1]
    f = np.full(m_pos, np.inf)
    f[0] = -beta
    last = np.zeros(m_pos, dtype=np.int64)
    cand = np.empty(m_pos, dtype=np.int64)
    costs = np.empty(m_pos)
    n_cand = 0
    nxt = 0
    for t in range(1, m_pos):
        while nxt < t and pos[t] - pos[nxt] >= min_size:  # starts far enough back become admissible
            cand[n_cand] = nxt
            n_cand += 1
            nxt += 1
        best = np.inf
        arg = 0
        for k in range(n_cand):
            s = cand[k]
            if not np.isfinite(f[s]):
                costs[k] = np.inf
                continue
            c = 0.0
            a_i, b_i = pos[s], pos[t]
            for j in range(d):
                m = cnt[b_i, j] - cnt[a_i, j]
                if m > 0:
                    a = s1[b_i, j] - s1[a_i, j]
                    c += (s2[b_i, j] - s2[a_i, j]) - a * a / m
            costs[k] = f[s] + c
            if costs[k] + beta < best:
                best = costs[k] + beta
                arg = s
        f[t] = best
        last[t] = arg
        keep = 0  # PELT pruning: a start that does worse than f[t] now never wins later
        for k in range(n_cand):
            if costs[k] <= best:
                cand[keep] = cand[k]
                keep += 1
        n_cand = keep
    count = 0
    t = m_pos - 1
    while t > 0:
        count += 1
        t = last[t]
    out = np.empty(count, dtype=np.int64)
    t = m_pos - 1
    for i in range(count - 1, -1, -1):
        out[i] = t
        t = last[t]
    return out


def segment_matrix(x: np.ndarray, penalty: float, min_size: int = 2, block: int = 400) -> np.ndarray:
    """Segment ends (exclusive) of an (n, d) signal whose features have unit noise; NaN = missing.
    A breakpoint must reduce the squared error by more than `penalty`.

    PELT is quadratic where breakpoints are rare, so long signals are solved in two exact steps:
    blocks of `block` bins give candidate breakpoints (block edges included), then the optimum
    over all candidates is found on the whole signal, which drops the edges that do not pay."""
    n = x.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n < 2 * min_size:
        return np.array([n], dtype=np.int64)
    ok = np.isfinite(x)
    z = np.where(ok, x, 0.0)
    pad = np.zeros((1, x.shape[1]))
    s1 = np.concatenate([pad, np.cumsum(z, axis=0)])
    s2 = np.concatenate([pad, np.cumsum(z * z, axis=0)])
    cnt = np.concatenate([pad, np.cumsum(ok, axis=0)]).astype(np.float64)
    if n <= 2 * block:
        pos = np.arange(n + 1, dtype=np.int64)
        return pos[_pelt(s1, s2, cnt, pos, float(penalty), int(min_size))]
    cands = [np.zeros(1, dtype=np.int64)]
    for a in range(0, n, block):
        b = min(n, a + block)
        if n - b < min_size:  # no runt block at the end
            b = n
        pos = np.arange(a, b + 1, dtype=np.int64)
        cands.append(pos[_pelt(s1, s2, cnt, pos, float(penalty), int(min_size))])
        if b == n:
            break
    pos = np.unique(np.concatenate(cands))
    return pos[_pelt(s1, s2, cnt, pos, float(penalty), int(min_size))]


def default_penalty(n: int, d: int, scale: float) -> float:
    """BIC-like: the noise of d unit-variance features maximised over n positions gains about
    d + 2 log n for a spurious breakpoint; `scale` > 1 keeps those out."""
    return scale * (d + 2.0 * np.log(max(n, 2)))
