"""The minimum-event distance between allele-specific copy-number profiles (MEDICC2's model).

An event adds or removes one copy of one allele over a run of adjacent segments of one
chromosome. A copy number once 0 stays 0: a gain over a segment at 0 leaves it at 0, and so does
a loss (so a profile with 0 where the other has copies cannot be its ancestor).

Without zeros, the least number of +-1 interval events turning vector a into b is half the total
variation of the difference d = b - a padded with a 0 at both ends, sum |d[i] - d[i-1]| / 2:
an event changes two of those jumps by one each, so no fewer will do, and pairing each rise of d
with the next fall reaches it (docs/methods/cntree.md). Zeros make some differences free:
where a is 0 (and so b is 0) the segment takes whatever the events over it do, so d there may be
anything; where b is 0 but a is not, enough losses must reach it, so d <= -a. The least total
variation under these per-segment bounds is a small dynamic programme over the values d can take
(0 and the bounds suffice). It is exact when a segment that ends at 0 takes its gains before its
losses; a loss to 0 done first could let a gain spanning it cost nothing there, so with new
zeros the distance can exceed the true minimum (by how much is measured against brute force in
tests/test_cntree.py).
"""

from __future__ import annotations

import numpy as np

INF = float("inf")


def vector_distance(a: np.ndarray, b: np.ndarray) -> float:
    """The least number of +-1 interval events turning `a` into `b` (one allele of one
    chromosome, integer copies >= 0 on the same segments); inf when b has copies where a has 0."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if a.shape != b.shape:
        raise ValueError("profiles on different segments")
    if ((a == 0) & (b > 0)).any():
        return INF
    if len(a) == 0:
        return 0.0
    d = b - a
    free = a == 0
    below = (b == 0) & (a > 0)
    if not (free | below).any():
        padded = np.concatenate([[0], d, [0]])
        return float(np.abs(np.diff(padded)).sum() / 2)
    lo = np.where(free, -np.inf, np.where(below, -np.inf, d)).astype(float)
    hi = np.where(free, np.inf, np.where(below, -a, d)).astype(float)
    # candidate values: 0 and every finite bound (the optimum of a total-variation problem with
    # box constraints takes its values there)
    vals = np.unique(np.concatenate([[0.0], d[~(free | below)], -a[below]]).astype(float))
    cost = np.where((vals >= lo[0]) & (vals <= hi[0]), np.abs(vals), np.inf)
    step = np.abs(vals[:, None] - vals[None, :])
    for i in range(1, len(d)):
        ok = (vals >= lo[i]) & (vals <= hi[i])
        cost = np.where(ok, (cost[:, None] + step).min(axis=0), np.inf)
    return float((cost + np.abs(vals)).min() / 2)


def profile_distance(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    """Events turning profile a into b: per chromosome an (n_segments, 2) array of the two
    alleles' copies; the sum over chromosomes and alleles."""
    total = 0.0
    for chrom in a:
        for k in range(a[chrom].shape[1]):
            total += vector_distance(a[chrom][:, k], b[chrom][:, k])
    return total


def _halves(a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    """Candidate states just before a doubling that ends at b: a itself (the doubling first),
    b halved down, halved up, and per segment whichever half is nearer a (a state with copies
    where b has some)."""
    lo, hi = b // 2, b - b // 2
    lo = np.where(b > 0, np.maximum(lo, 1), 0)
    near = np.where(np.abs(lo - a) <= np.abs(hi - a), lo, hi)
    return [a, lo, hi, near]


def wgd_distance(a: np.ndarray, b: np.ndarray) -> float:
    """One allele of one chromosome through a doubling: the fewest events a -> x, then x doubled
    (the doubling counted once for the genome, by the caller), then 2x -> b, over the candidate
    states x of `_halves` (events before the doubling are doubled with it)."""
    return min(vector_distance(a, x) + vector_distance(2 * x, b) for x in _halves(a, b))


def directed_distance(a: dict[str, np.ndarray], b: dict[str, np.ndarray], wgd: bool) -> float:
    """a -> b; with `wgd`, one whole-genome doubling (one event) may happen, with events before
    and after it."""
    d = profile_distance(a, b)
    if wgd:
        through = 1.0
        for chrom in a:
            for k in range(a[chrom].shape[1]):
                through += wgd_distance(a[chrom][:, k], b[chrom][:, k])
        d = min(d, through)
    return d


def _ancestor(a: dict[str, np.ndarray], b: dict[str, np.ndarray], take_a: bool) -> dict[str, np.ndarray]:
    """A common ancestor of a and b: where one is 0 and the other not, the other (zeros are
    final); where both have copies and differ, a's (or b's)."""
    out = {}
    for c in a:
        x, y = a[c], b[c]
        out[c] = np.where(x == 0, y, np.where(y == 0, x, x if take_a else y))
    return out


def pair_distance(a: dict[str, np.ndarray], b: dict[str, np.ndarray], wgd: bool) -> float:
    """Symmetric distance between two regions: the fewer events of a -> b, b -> a, or both from a
    common ancestor (needed when each has a zero the other lacks)."""
    best = min(directed_distance(a, b, wgd), directed_distance(b, a, wgd))
    for take_a in (True, False):
        x = _ancestor(a, b, take_a)
        best = min(best, directed_distance(x, a, wgd) + directed_distance(x, b, wgd))
    return best


def distance_matrix(profiles: dict[str, dict[str, np.ndarray]], wgd: bool, root: str) -> tuple[list[str], np.ndarray]:
    """Pairwise distances between the named profiles; distances from `root` (the diploid normal)
    are directed (root -> region), the others symmetric."""
    names = list(profiles)
    n = len(names)
    m = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            a, b = profiles[names[i]], profiles[names[j]]
            if names[i] == root:
                d = directed_distance(a, b, wgd)
            elif names[j] == root:
                d = directed_distance(b, a, wgd)
            else:
                d = pair_distance(a, b, wgd)
            m[i, j] = m[j, i] = d
    return names, m
