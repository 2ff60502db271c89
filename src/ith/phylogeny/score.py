"""How well a clone tree fits the clusters' CCF posteriors.

Every cluster k has, in every sample s, a posterior over its cancer cell fraction on a grid
0..1 (`post[s, k, :]`). A tree asks that in every sample a clone's CCF is at least the sum of
its children's (the sum rule).

Consistency is judged clone by clone: in each sample, the probability that CCFs drawn from
the posteriors of a clone and of its children, independently, satisfy the clone's sum rule.
A tree is consistent when no clone in no sample falls below a threshold. Adding a clone to a
tree only raises its parent's children's sum, so a partial tree's least probability bounds
every completion of it from above, which makes pruning exact. (The joint probability of all
constraints would shrink with the number of tight ones, and reject true trees with many.)

Trees are ranked by their evidence: the probability of the posteriors when each clone's own
cells in a sample (its CCF minus its children's) are absent with prior probability `absent`
and else spread evenly, computed exactly on the grid by one upward pass of convolutions.
"""

from __future__ import annotations

import numba
import numpy as np

from ith.phylogeny.fit import ROOT, UNPLACED, placement_order  # noqa: F401 (re-exported for the baseline)



@numba.njit(cache=True)
def _conv_trunc(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """out = (a * b)[:G], the distribution of a sum on the same uniform grid (mass above 1 is
    dropped: a sum above 1 exceeds any parent's CCF)."""
    g = a.shape[0]
    for i in range(g):
        out[i] = 0.0
    for i in range(g):
        ai = a[i]
        if ai == 0.0:
            continue
        for j in range(g - i):
            out[i + j] += ai * b[j]


@numba.njit(cache=True)
def tree_log_scores(post: np.ndarray, parents: np.ndarray, order: np.ndarray) -> np.ndarray:
    """(samples,) log of the least probability, over the (partial) tree's clones with children,
    that a clone's CCF is at least its children's summed CCF (0 when no clone has children).
    `order`: the placed clones."""
    n_s, n_k, g = post.shape
    out = np.zeros(n_s)
    acc = np.empty((n_k, g))
    tmp = np.empty(g)
    has_kids = np.zeros(n_k, dtype=np.bool_)
    for q in range(order.shape[0]):
        p = parents[order[q]]
        if p >= 0:
            has_kids[p] = True
    for s in range(n_s):
        for q in range(order.shape[0]):
            k = order[q]
            acc[k, :] = 0.0
            acc[k, 0] = 1.0
        for q in range(order.shape[0]):
            k = order[q]
            p = parents[k]
            if p >= 0:
                _conv_trunc(acc[p], post[s, k], tmp)
                for i in range(g):
                    acc[p, i] = tmp[i]
        least = 1.0
        for q in range(order.shape[0]):
            k = order[q]
            if not has_kids[k]:
                continue
            cum = 0.0
            prob = 0.0
            for i in range(g):
                cum += acc[k, i]
                prob += post[s, k, i] * cum
            least = min(least, prob)
        out[s] = np.log(least) if least > 0.0 else -np.inf
    return out


@numba.njit(cache=True)
def tree_log_evidence(post: np.ndarray, parents: np.ndarray, order: np.ndarray, absent: float) -> np.ndarray:
    """(samples,) log evidence of the tree when each clone's own cells in a sample are absent
    with prior probability `absent` and else spread evenly: a clone whose CCF equals its
    children's sum in a sample (no own cells there, as when a subclone fills a region) is then
    explained, not a coincidence, which is what tells a chain from two siblings.
    `order`: the placed clones, every parent before its children."""
    n_s, n_k, g = post.shape
    slab = (1.0 - absent) / (g - 1)  # probability of one grid step of own cells under the even part
    out = np.zeros(n_s)
    acc = np.empty((n_k, g))
    msg = np.empty(g)
    tmp = np.empty(g)
    for s in range(n_s):
        for q in range(order.shape[0]):
            k = order[q]
            acc[k, :] = 0.0
            acc[k, 0] = 1.0  # no children yet: their sum is 0
        log_scale = 0.0
        for q in range(order.shape[0] - 1, -1, -1):
            k = order[q]
            cum = 0.0
            norm = 0.0
            for i in range(g):  # own cells exactly none (children's sum = own CCF), or some
                msg[i] = post[s, k, i] * (absent * acc[k, i] + slab * cum)
                cum += acc[k, i]
                norm += msg[i]
            if norm <= 0.0:
                log_scale = -np.inf
                break
            log_scale += np.log(norm)
            for i in range(g):
                msg[i] /= norm
            p = parents[k]
            if p >= 0:  # a root's message needs nothing more: its CCF is free in 0..1
                _conv_trunc(acc[p], msg, tmp)
                for i in range(g):
                    acc[p, i] = tmp[i]
        out[s] = log_scale
    return out


def tree_log_score(post: np.ndarray, parents: np.ndarray, absent: float | None = None) -> np.ndarray:
    """Per sample: the least per-clone sum-rule log probability, or with `absent` the log evidence."""
    parents = np.asarray(parents, dtype=np.int64)
    if absent is None:
        return tree_log_scores(post, parents, placement_order(parents))
    return tree_log_evidence(post, parents, placement_order(parents), absent)


def sum_rule_errors(ccf: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """(samples, clones) by how much the children's point CCFs exceed the clone's (0 if not)."""
    parents = np.asarray(parents)
    n_s, n_k = ccf.shape
    kids = np.zeros((n_s, n_k))
    for k in range(n_k):
        if parents[k] >= 0:
            kids[:, parents[k]] += ccf[:, k]
    return np.maximum(kids - ccf, 0.0)
