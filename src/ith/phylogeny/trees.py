"""Clone trees of one patient: which clusters go in, the search, what to say when no tree fits,
and the consensus over the trees kept."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from ith.phylogeny.data import CloneData, smooth
from ith.phylogeny.score import ROOT
from ith.phylogeny.search import (SearchOptions, SearchResult, Tree, ancestry_probability, beam_search,
                                  enumerate_trees)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TreeParams:
    ccf_error_sd: float = 0.03  # CCF error beyond the read counts' (purity, copy number), added to every posterior
    search: SearchOptions = field(default_factory=SearchOptions)
    remove_offender: bool = True  # when no tree fits, rank the trees without the clusters of fewest mutations that break it
    max_removed: int = 2  # clusters left out at most


@dataclass
class TreeReport:
    data: CloneData  # the clusters in the trees
    post: np.ndarray  # their posteriors with the CCF error added
    result: SearchResult
    alpha: float  # least sum-rule probability per sample of a consistent tree
    excluded: dict[int, str] = field(default_factory=dict)  # cluster id -> why it is not in the trees
    violation: dict | None = None
    consensus: list[dict] = field(default_factory=list)

    @property
    def best(self) -> Tree | None:
        return self.result.trees[0] if self.result.trees else None


def search(post: np.ndarray, opts: SearchOptions) -> SearchResult:
    """Exhaustive when the clone count allows, else beam; a best-effort beam over every
    placement when nothing is consistent."""
    n_k = post.shape[1]
    if n_k <= opts.exhaustive_max_clones:
        res = enumerate_trees(post, opts)
        if res.trees:
            return res
        fallback = beam_search(post, opts)
        fallback.exhaustive, fallback.method = True, "enumeration found none; beam over every placement"
        fallback.seconds += res.seconds
        return fallback
    res = beam_search(post, opts, admissible=ancestry_probability(post) >= opts.alpha)
    if res.n_consistent:
        return res
    fallback = beam_search(post, opts)
    fallback.method = "beam found none consistent; beam over every placement"
    fallback.seconds += res.seconds
    return fallback


def tree_weights(trees: list[Tree]) -> np.ndarray:
    """Each tree's share of the evidence among the trees given."""
    if not trees:
        return np.zeros(0)
    ls = np.array([t.log_score for t in trees])
    w = np.exp(ls - ls.max())
    return w / w.sum()


def consensus_edges(trees: list[Tree], clusters: np.ndarray) -> list[dict]:
    """Edges over the trees: support = share of trees with the edge, weight = evidence share."""
    if not trees:
        return []
    w = tree_weights(trees)
    edges: dict[tuple, list[float]] = {}
    for t, wt in zip(trees, w):
        for k, p in enumerate(t.parents):
            key = (None if p == ROOT else int(clusters[p]), int(clusters[k]))
            e = edges.setdefault(key, [0.0, 0.0])
            e[0] += 1.0 / len(trees)
            e[1] += float(wt)
    rows = [dict(parent=k[0], child=k[1], support=round(v[0], 6), weight=round(v[1], 6)) for k, v in edges.items()]
    return sorted(rows, key=lambda r: (-r["weight"], -r["support"], r["child"], -1 if r["parent"] is None else r["parent"]))


def parent_map(parents: np.ndarray, clusters: np.ndarray) -> dict[str, int | None]:
    """{cluster id: parent cluster id, None for the root}."""
    return {str(int(clusters[k])): (None if p == ROOT else int(clusters[p])) for k, p in enumerate(parents)}


def _violation(best: Tree, data: CloneData, alpha: float) -> dict:
    """Which samples and clusters break the sum rule in the best tree, and by how much."""
    err = best.sum_rule_error  # (S, K)
    bad_samples = [data.samples[s] for s in np.flatnonzero(best.sample_log_scores < np.log(alpha))]
    worst = np.unravel_index(int(np.argmax(err)), err.shape)
    out = {"samples": bad_samples, "clusters": [int(data.clusters[k]) for k in np.flatnonzero(err.max(axis=0) > 0)],
           "max_error": round(float(err.max()), 4),
           "worst": {"sample": data.samples[worst[0]], "cluster": int(data.clusters[worst[1]])},
           "best_with_all": parent_map(best.parents, data.clusters), "removed": []}
    kids = [int(data.clusters[c]) for c in np.flatnonzero(best.parents == worst[1])]
    out["message"] = (f"no tree satisfies the sum rule within the CCF uncertainty in sample(s) {', '.join(bad_samples)}; "
                      f"in the best tree the children of cluster {out['worst']['cluster']} ({kids}) exceed its CCF "
                      f"by {out['max_error']:.3f} in {out['worst']['sample']}")
    return out


def _offenders(post: np.ndarray, data: CloneData, params: TreeParams) -> tuple[np.ndarray, SearchResult] | None:
    """The sets of at most max_removed clusters, fewest mutations first (then fewest clusters),
    tried until one's removal leaves a consistent tree. Counting mutations, not clusters, keeps a
    62-mutation clone in the tree when two small clusters of lost or mis-estimated mutations are
    what breaks it. Returns the clusters kept and the search without the others, or None."""
    alpha = params.search.alpha
    n_k = len(data.clusters)
    sets = [c for r in range(1, params.max_removed + 1) if n_k - r >= 2 for c in combinations(range(n_k), r)]
    sets.sort(key=lambda c: (int(sum(data.n_mutations[k] for k in c)), len(c), c))
    for gone in sets:
        trial = np.ones(n_k, bool)
        trial[list(gone)] = False
        res = search(post[:, trial], params.search)
        if res.trees and res.trees[0].consistent(alpha):
            return trial, res
    return None


def build_trees(data: CloneData, params: TreeParams, excluded: dict[int, str] | None = None) -> TreeReport:
    alpha = params.search.alpha
    post = smooth(data.post, data.grid, params.ccf_error_sd)
    res = search(post, params.search) if len(data.clusters) else SearchResult([], 0, True, True, "none")
    report = TreeReport(data, post, res, alpha, dict(excluded or {}))
    if report.best is not None and not report.best.consistent(alpha):
        report.violation = _violation(report.best, data, alpha)
        log.warning(report.violation["message"])
        # each removal is a new search: only where the enumeration applies, as the search costs more beyond
        small = len(data.clusters) <= params.search.exhaustive_max_clones + params.max_removed
        found = _offenders(post, data, params) if params.remove_offender and small else None
        if found is not None:
            keep, report.result = found
            report.data, report.post = data.subset(keep), post[:, keep]
            gone = [int(c) for c in data.clusters[~keep]]
            for g in gone:
                report.excluded[g] = ("breaks the sum rule in every tree with it (the best tree with all clusters "
                                      f"misses by {report.violation['max_error']:.3f}); trees are ranked without it")
            report.violation["removed"] = gone
            log.warning("cluster(s) %s left out of the trees: %d consistent tree(s) without them", gone,
                        report.result.n_consistent)
    trees = [t for t in report.result.trees if t.consistent(alpha)] or report.result.trees[:1]
    report.consensus = consensus_edges(trees, report.data.clusters)
    res = report.result
    log.info("%d clusters, %d excluded; %s: %d consistent tree(s)%s, %d kept, %.2f s", len(report.data.clusters),
             len(report.excluded), res.method, res.n_consistent, "" if res.complete else " (enumeration capped)",
             len(res.trees), res.seconds)
    return report
