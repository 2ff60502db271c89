"""The clusters' frequencies that a tree allows and the read counts like best.

A tree asks, in every sample, that a clone's frequency is at least the sum of its children's,
that frequencies are >= 0 and that the clones under the root (the founders) sum to at most 1.
Given a tree, each sample's frequencies are fitted by maximising the binomial log-likelihood of
the clusters' reads (reads.py) over that polytope. The objective is separable and concave, so a
projected Newton method converges in a few steps: at the current frequencies each cluster's
log-likelihood is replaced by its quadratic model, the model's optimum is projected onto the
tree polytope in the metric of the curvatures, and a backtracking line search keeps the step.

The projection (weighted least squares on the tree polytope) is exact and takes O(K^2): each
clone's derivative of its subtree's best cost, as a function of its own frequency, is
piecewise linear; a parent's comes from its children's by inverting and summing them at a
common Lagrange multiplier (the price of the parent's sum rule). One pass up the tree builds
these functions; one pass down reads the frequencies off. (The problem is the weighted
projection on the perfect phylogeny polytope of Jia et al. 2018, which Pairtree and Orchard
use; this derivation is ours.)

Parents are codes: k's parent index, ROOT (-1) for a founder, UNPLACED (-2) for a cluster not
in a partial tree; an unplaced cluster keeps its free fit, so a partial tree's cost is a lower
bound on the cost of every tree that completes it.
"""

from __future__ import annotations

import numba
import numpy as np

from ith.phylogeny.reads import ClusterReads, cluster_ll

ROOT = -1
UNPLACED = -2
MIN_CURV = 1e-6  # curvature given to a cluster without reads in a sample (its frequency is then free)


@numba.njit(cache=True)
def _inverse(kx: np.ndarray, kv: np.ndarray, n: int, slope: float, u: float) -> float:
    """The frequency at which a clone's derivative h equals u (0 below h(0)): h is given by n
    knots (kx, kv) and rises with `slope` beyond the last one."""
    if u <= kv[0]:
        return 0.0
    if u >= kv[n - 1]:
        return kx[n - 1] + (u - kv[n - 1]) / slope
    lo, hi = 0, n - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if kv[mid] <= u:
            lo = mid
        else:
            hi = mid
    t = (u - kv[lo]) / (kv[hi] - kv[lo])
    return kx[lo] + t * (kx[hi] - kx[lo])


@numba.njit(cache=True)
def _children_sum(kids: np.ndarray, n_kids: int, kx: np.ndarray, kv: np.ndarray, nk: np.ndarray,
                  w: np.ndarray, u: float) -> float:
    tot = 0.0
    for j in range(n_kids):
        c = kids[j]
        tot += _inverse(kx[c], kv[c], nk[c], w[c], u)
    return tot


@numba.njit(cache=True)
def _knots_of_children(kids: np.ndarray, n_kids: int, kv: np.ndarray, nk: np.ndarray, buf: np.ndarray) -> int:
    """The multipliers (as u = -lambda <= 0) at which the children's summed frequency bends,
    sorted, from the lowest child derivative at 0 up to 0."""
    u0 = 0.0
    for j in range(n_kids):
        u0 = min(u0, kv[kids[j], 0])
    m = 0
    buf[m] = u0
    m += 1
    for j in range(n_kids):
        c = kids[j]
        for i in range(nk[c]):
            if u0 < kv[c, i] < 0.0:
                buf[m] = kv[c, i]
                m += 1
    buf[m] = 0.0
    m += 1
    srt = np.sort(buf[:m])
    out = 0
    for i in range(m):
        if out == 0 or srt[i] > buf[out - 1]:
            buf[out] = srt[i]
            out += 1
    return out


@numba.njit(cache=True)
def project(parents: np.ndarray, order: np.ndarray, w: np.ndarray, y: np.ndarray, out: np.ndarray) -> None:
    """out = argmin sum_k w_k (x_k - y_k)^2 / 2 over the tree polytope of the placed clusters
    (`order`: placed clusters, every parent before its children). w > 0."""
    n = parents.shape[0]
    kids, n_kids = child_lists(parents, order)
    kx, kv, nk, buf = workspace(n)
    project_into(kids, n_kids, order, w, y, out, kx, kv, nk, buf)


@numba.njit(cache=True)
def child_lists(parents: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each placed cluster's children (row n: the founders), in placement order."""
    n = parents.shape[0]
    kids = np.zeros((n + 1, n), np.int64)
    n_kids = np.zeros(n + 1, np.int64)
    for q in range(order.shape[0]):
        k = order[q]
        p = parents[k]
        row = n if p == ROOT else p
        kids[row, n_kids[row]] = k
        n_kids[row] += 1
    return kids, n_kids


@numba.njit(cache=True)
def workspace(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    width = 2 * n + 3
    return np.empty((n, width)), np.empty((n, width)), np.empty(n, np.int64), np.empty(2 * width * n + 4)


@numba.njit(cache=True)
def project_into(kids: np.ndarray, n_kids: np.ndarray, order: np.ndarray, w: np.ndarray, y: np.ndarray,
                 out: np.ndarray, kx: np.ndarray, kv: np.ndarray, nk: np.ndarray, buf: np.ndarray) -> None:
    n = kids.shape[1]
    n_p = order.shape[0]
    for q in range(n_p - 1, -1, -1):  # children before parents
        k = order[q]
        if n_kids[k] == 0:
            nk[k] = 1
            kx[k, 0] = 0.0
            kv[k, 0] = -w[k] * y[k]
            continue
        m = _knots_of_children(kids[k], n_kids[k], kv, nk, buf)
        if m == 1:  # every child's best is 0: the sum rule never binds
            nk[k] = 1
            kx[k, 0] = 0.0
            kv[k, 0] = -w[k] * y[k]
            continue
        for i in range(m):
            x = _children_sum(kids[k], n_kids[k], kx, kv, nk, w, buf[i])
            kx[k, i] = x
            kv[k, i] = w[k] * (x - y[k]) + buf[i]
        nk[k] = m
    # the founders share at most 1
    u = 0.0
    if _children_sum(kids[n], n_kids[n], kx, kv, nk, w, 0.0) > 1.0:
        m = _knots_of_children(kids[n], n_kids[n], kv, nk, buf)
        prev_u, prev_x = buf[0], 0.0
        u = 0.0
        for i in range(1, m):
            x = _children_sum(kids[n], n_kids[n], kx, kv, nk, w, buf[i])
            if x >= 1.0:
                u = prev_u + (1.0 - prev_x) / (x - prev_x) * (buf[i] - prev_u)
                break
            prev_u, prev_x = buf[i], x
    for j in range(n_kids[n]):
        c = kids[n, j]
        out[c] = _inverse(kx[c], kv[c], nk[c], w[c], u)
    for q in range(n_p):  # parents before children: each clone's multiplier from its frequency
        k = order[q]
        if n_kids[k] == 0:
            continue
        x = out[k]
        m = nk[k]
        if m == 1 or x >= kx[k, m - 1]:
            uk = 0.0
        else:
            i = 0
            while kx[k, i + 1] < x:
                i += 1
            u_lo = kv[k, i] - w[k] * (kx[k, i] - y[k])
            u_hi = kv[k, i + 1] - w[k] * (kx[k, i + 1] - y[k])
            t = (x - kx[k, i]) / (kx[k, i + 1] - kx[k, i])
            uk = u_lo + t * (u_hi - u_lo)
        for j in range(n_kids[k]):
            c = kids[k, j]
            out[c] = _inverse(kx[c], kv[c], nk[c], w[c], uk)


@numba.njit(cache=True)
def _sample_ll(s: int, order: np.ndarray, phi: np.ndarray, start: np.ndarray, stop: np.ndarray, omega: np.ndarray,
               var: np.ndarray, total: np.ndarray, error: float) -> float:
    tot = 0.0
    for q in range(order.shape[0]):
        k = order[q]
        tot += cluster_ll(start[s, k], stop[s, k], omega, var, total, error, phi[k])[0]
    return tot


@numba.njit(cache=True, parallel=True)
def fit_tree(parents: np.ndarray, order: np.ndarray, start: np.ndarray, stop: np.ndarray, omega: np.ndarray,
             var: np.ndarray, total: np.ndarray, error: float, init: np.ndarray, max_iter: int,
             tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Per sample, the placed clusters' frequencies under the tree that maximise the reads'
    log-likelihood (projected Newton from `init`, (S, K)), and that log-likelihood summed over
    the placed clusters. Returns (phi (S, K), ll (S,))."""
    n_s, n_k = start.shape
    phi = np.zeros((n_s, n_k))
    ll = np.zeros(n_s)
    kids, n_kids = child_lists(parents, order)
    for s in numba.prange(n_s):
        phi[s], ll[s] = _fit_sample(s, kids, n_kids, order, start, stop, omega, var, total, error, init[s],
                                    max_iter, tol)
    return phi, ll


@numba.njit(cache=True)
def _fit_sample(s: int, kids: np.ndarray, n_kids: np.ndarray, order: np.ndarray, start: np.ndarray,
                stop: np.ndarray, omega: np.ndarray, var: np.ndarray, total: np.ndarray, error: float,
                init: np.ndarray, max_iter: int, tol: float) -> tuple[np.ndarray, float]:
    n_k = start.shape[1]
    kx, kv, nk, buf = workspace(n_k)
    w = np.ones(n_k)
    y = np.zeros(n_k)
    cur = np.zeros(n_k)
    new = np.zeros(n_k)
    trial = np.zeros(n_k)
    # the first Newton step from `init` (which need not be feasible) lands in the polytope
    for q in range(order.shape[0]):
        k = order[q]
        x = min(max(init[k], 0.0), 1.0)
        _, g, c = cluster_ll(start[s, k], stop[s, k], omega, var, total, error, x)
        c = max(c, MIN_CURV)
        w[k] = c
        y[k] = x + g / c
    project_into(kids, n_kids, order, w, y, cur, kx, kv, nk, buf)
    f = _sample_ll(s, order, cur, start, stop, omega, var, total, error)
    for _ in range(max_iter):
        for q in range(order.shape[0]):
            k = order[q]
            _, g, c = cluster_ll(start[s, k], stop[s, k], omega, var, total, error, cur[k])
            c = max(c, MIN_CURV)
            w[k] = c
            y[k] = cur[k] + g / c
        project_into(kids, n_kids, order, w, y, new, kx, kv, nk, buf)
        step = 1.0
        f_new = f
        while step > 1e-6:
            for q in range(order.shape[0]):
                k = order[q]
                trial[k] = cur[k] + step * (new[k] - cur[k])
            f_new = _sample_ll(s, order, trial, start, stop, omega, var, total, error)
            if f_new >= f - 1e-12:
                break
            step *= 0.5
        if f_new < f - 1e-12:
            break
        for q in range(order.shape[0]):
            k = order[q]
            cur[k] = trial[k]
        gain = f_new - f
        f = f_new
        if gain < tol:
            break
    out = np.zeros(n_k)
    for q in range(order.shape[0]):
        k = order[q]
        out[k] = cur[k]
    return out, f


def placement_order(parents: np.ndarray) -> np.ndarray:
    """The placed clusters, every parent before its children."""
    parents = np.asarray(parents)
    placed = np.flatnonzero(parents != UNPLACED)
    order: list[int] = []
    frontier = sorted(int(k) for k in placed if parents[k] == ROOT)
    while frontier:
        order.extend(frontier)
        nxt = set(frontier)
        frontier = sorted(int(k) for k in placed if parents[k] in nxt)
    if len(order) != len(placed):
        raise ValueError(f"parents {parents.tolist()} do not form a forest")
    return np.asarray(order, dtype=np.int64)


class TreeFitter:
    """Fits trees of one patient's clusters; the cost of a tree is the log-likelihood the tree's
    constraints take away from the clusters' free fits, summed over samples (>= 0)."""

    def __init__(self, reads: ClusterReads, max_iter: int = 50, tol: float = 1e-6):
        self.reads = reads
        self.max_iter = max_iter
        self.tol = tol
        self.calls = 0

    def fit(self, parents: np.ndarray, init: np.ndarray | None = None,
            order: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(phi (S, K), per-sample cost (S,)) of a (partial) tree; unplaced clusters keep their free fit."""
        r = self.reads
        parents = np.asarray(parents, dtype=np.int64)
        order = placement_order(parents) if order is None else order
        init = r.mle if init is None else init
        phi, ll = fit_tree(parents, order, r.start, r.stop, r.omega, r.var, r.total, r.error, init,
                           self.max_iter, self.tol)
        self.calls += 1
        free = r.ll_max[:, order].sum(axis=1)
        unplaced = parents == UNPLACED
        phi[:, unplaced] = r.mle[:, unplaced]
        return phi, np.maximum(free - ll, 0.0)

    def cost(self, parents: np.ndarray, init: np.ndarray | None = None) -> float:
        return float(self.fit(parents, init)[1].sum())
