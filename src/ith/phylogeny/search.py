"""Finding the clone trees that the clusters' CCF posteriors allow, and ranking them.

Clones are placed one at a time in decreasing order of their summed CCF (an ancestor's CCF is
at least its descendant's in every sample, so parents come first), each under an earlier
clone it may descend from. Up to `exhaustive_max_clones` every such tree is visited, with
branches cut as soon as a sample's sum-rule probability (score.py) falls below `alpha`: the
cut is exact because adding clones only lowers it. Beyond that, or when no tree is
consistent, a beam search keeps the best partial trees and a local search re-hangs subtrees.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field

import numpy as np

from ith.phylogeny.score import (ROOT, UNPLACED, placement_order, sum_rule_errors, tree_log_evidence,
                                 tree_log_scores)
from ith.phylogeny.treesearch import subtree


@dataclass(frozen=True)
class SearchOptions:
    alpha: float = 0.01  # a tree is consistent when every sample's sum-rule probability is >= alpha
    max_trees: int = 20  # trees kept and reported
    exhaustive_max_clones: int = 12
    max_enumerated: int = 100_000  # consistent trees counted before the enumeration stops
    beam_width: int = 20
    search_grid: int = 51  # grid points the beam search scores on (the final trees use the full grid)
    absent_prior: float = 0.5  # prior probability that a clone has no own cells in a sample (ranking)


@dataclass
class Tree:
    parents: np.ndarray  # (K,) index of each clone's parent in the clusters' order, ROOT for the root
    sample_log_scores: np.ndarray  # (S,) log of the least per-clone sum-rule probability (consistency)
    sum_rule_error: np.ndarray  # (S, K) by how much each clone's children exceed it (point CCFs)
    sample_log_evidence: np.ndarray  # (S,) log evidence (ranking)

    @property
    def log_score(self) -> float:
        """Log evidence summed over samples: what trees are ranked by."""
        return float(self.sample_log_evidence.sum())

    def consistent(self, alpha: float) -> bool:
        return bool(np.all(self.sample_log_scores >= np.log(alpha)))

    def key(self) -> tuple:
        """Rank key: evidence first, then the smaller sum-rule error, then a fixed tie-break."""
        return (-round(self.log_score, 9), round(float(self.sum_rule_error.sum()), 9), tuple(self.parents.tolist()))


@dataclass
class SearchResult:
    trees: list[Tree]  # ranked, at most max_trees
    n_consistent: int  # consistent trees seen (a lower bound when `complete` is False)
    exhaustive: bool  # every tree allowed by the CCF order was considered
    complete: bool  # the enumeration was not stopped by max_enumerated
    method: str
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def clone_order(mean: np.ndarray) -> np.ndarray:
    """Clones by decreasing summed CCF over samples (ties: lower index first)."""
    total = np.round(mean.sum(axis=0), 9)
    return np.lexsort((np.arange(mean.shape[1]), -total)).astype(np.int64)


def ancestry_probability(post: np.ndarray) -> np.ndarray:
    """(K, K) least over samples of P(CCF_a >= CCF_b): a can only be b's ancestor when it is
    not clearly below b in some sample (the crossing rule)."""
    cdf = np.cumsum(post, axis=2)  # P(CCF_b <= x)
    # P(a >= b) = sum_x P(a = x) P(b <= x)
    pab = np.einsum("sax,sbx->sab", post, cdf)
    return pab.min(axis=0)


def rebin(post: np.ndarray, n: int) -> np.ndarray:
    """The same posteriors on a coarser uniform grid of n points."""
    g = post.shape[-1]
    if n >= g:
        return post
    idx = np.rint(np.linspace(0.0, 1.0, g) * (n - 1)).astype(int)
    out = np.zeros(post.shape[:-1] + (n,))
    np.add.at(out, (..., idx), post)
    return out


def _make_tree(post: np.ndarray, mean: np.ndarray, parents: np.ndarray, absent: float) -> Tree:
    parents = np.asarray(parents, dtype=np.int64).copy()
    order = placement_order(parents)
    return Tree(parents, tree_log_scores(post, parents, order), sum_rule_errors(mean, parents),
                tree_log_evidence(post, parents, order, absent))


def enumerate_trees(post: np.ndarray, opts: SearchOptions, admissible: np.ndarray | None = None,
                    order: np.ndarray | None = None) -> SearchResult:
    """Every consistent tree (up to max_enumerated), best `max_trees` kept, ranked."""
    t0 = time.perf_counter()
    n_k = post.shape[1]
    mean = post @ np.linspace(0.0, 1.0, post.shape[2])
    order = clone_order(mean) if order is None else order
    if admissible is None:
        admissible = ancestry_probability(post) >= opts.alpha
    floor = np.log(opts.alpha)
    parents = np.full(n_k, UNPLACED, dtype=np.int64)
    parents[order[0]] = ROOT
    kept: list[tuple] = []  # min-heap on rank: (neg key parts) so the worst kept tree pops first
    count = 0
    stopped = False

    def visit(i: int) -> None:
        nonlocal count, stopped
        if stopped:
            return
        if i == n_k:
            count += 1
            tree = _make_tree(post, mean, parents, opts.absent_prior)
            item = (_heap_key(tree), count, tree)
            if len(kept) < opts.max_trees:
                heapq.heappush(kept, item)
            elif item[0] > kept[0][0]:
                heapq.heapreplace(kept, item)
            if count >= opts.max_enumerated:
                stopped = True
            return
        node = order[i]
        for p in order[:i]:
            if not admissible[p, node]:
                continue
            parents[node] = p
            if tree_log_scores(post, parents, order[: i + 1]).min() >= floor:
                visit(i + 1)
            if stopped:
                break
        parents[node] = UNPLACED

    if n_k:
        if tree_log_scores(post, parents, order[:1]).min() >= floor:
            visit(1)
    trees = sorted((t for _, _, t in kept), key=Tree.key)
    return SearchResult(trees, count, True, not stopped, "enumeration", time.perf_counter() - t0)


def _heap_key(tree: Tree) -> tuple:
    """Larger is better, for a min-heap that drops the worst tree."""
    neg_ls, err, parents = tree.key()
    return (-neg_ls, -err, tuple(-x for x in parents))


def beam_search(post: np.ndarray, opts: SearchOptions, admissible: np.ndarray | None = None,
                order: np.ndarray | None = None) -> SearchResult:
    """The best trees found by placing clones in CCF order, keeping the `beam_width` best
    partial trees (scored on a coarse grid), then re-hanging subtrees while it helps."""
    t0 = time.perf_counter()
    _, n_k, g = post.shape
    mean = post @ np.linspace(0.0, 1.0, g)
    order = clone_order(mean) if order is None else order
    coarse = rebin(post, opts.search_grid)
    allowed = np.ones((n_k, n_k), bool) if admissible is None else admissible
    start = np.full(n_k, UNPLACED, dtype=np.int64)
    if n_k == 0:
        return SearchResult([], 0, False, True, "beam", 0.0)
    start[order[0]] = ROOT
    beam = [start]
    for i in range(1, n_k):
        node = order[i]
        cands = []
        for parents in beam:
            options = [p for p in order[:i] if allowed[p, node]] or list(order[:i])
            for p in options:
                nxt = parents.copy()
                nxt[node] = p
                score = float(tree_log_evidence(coarse, nxt, order[: i + 1], opts.absent_prior).sum())
                cands.append((-round(score, 9), tuple(nxt.tolist()), nxt))
        cands.sort(key=lambda c: (c[0], c[1]))
        beam, seen = [], set()
        for _, key, nxt in cands:
            if key not in seen:
                seen.add(key)
                beam.append(nxt)
            if len(beam) >= opts.beam_width:
                break
    trees = {tuple(p.tolist()): _make_tree(post, mean, p, opts.absent_prior) for p in beam}
    best = min(trees.values(), key=Tree.key)
    improved = _rehang(post, mean, best, opts.absent_prior)
    trees[tuple(improved.parents.tolist())] = improved
    ranked = sorted(trees.values(), key=Tree.key)[: opts.max_trees]
    n_cons = sum(t.consistent(opts.alpha) for t in ranked)
    return SearchResult(ranked, n_cons, False, True, "beam", time.perf_counter() - t0)


def _rehang(post: np.ndarray, mean: np.ndarray, tree: Tree, absent: float, max_rounds: int = 20) -> Tree:
    """Move one subtree at a time under another clone while the tree's score rises."""
    best = tree
    for _ in range(max_rounds):
        moved = False
        for k in range(len(best.parents)):
            if best.parents[k] == ROOT:
                continue
            below = subtree(best.parents, k)
            for p in range(len(best.parents)):
                if p in below or p == best.parents[k]:
                    continue
                cand = best.parents.copy()
                cand[k] = p
                t = _make_tree(post, mean, cand, absent)
                if Tree.key(t) < Tree.key(best):
                    best, moved = t, True
                    below = subtree(best.parents, k)
        if not moved:
            break
    return best
