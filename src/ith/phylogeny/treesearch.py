"""Finding the clone trees whose constrained fit costs the reads least (fit.py), every cluster in.

Clusters are placed one at a time in decreasing order of their summed free-fit frequency (an
ancestor's frequency is at least its descendant's in every sample), each under an earlier
cluster, or under the root when several founders are allowed. A partial tree's cost (its
placed clusters fitted under their constraints, the others free) only grows as clusters are
added, so it bounds every completion from below:

- branch and bound: every placement is scored, the cheapest first explored, and a branch is cut
  when its bound exceeds the `max_trees`-th cheapest complete tree found or the best by more
  than `window` nats. When it ends within `max_fits` fits, the reported trees are exactly the
  cheapest of all trees that respect the order.
- beyond that budget, a beam search (the `beam_width` cheapest partial trees, every placement
  scored; Orchard's strategy without its sampling), repeated from orders perturbed by a seeded
  random draw, then hill climbing from the three best trees by moving subtrees (prune and
  regraft).

Either way, swapping a cluster with its parent while it helps reaches trees the order excludes
(a child whose free frequencies sum above its parent's). Every complete tree fitted goes into
the pool the ranking and the edge support are read from.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ith.phylogeny.fit import ROOT, UNPLACED, TreeFitter


@dataclass(frozen=True)
class SearchParams:
    one_founder: bool = True  # a single cluster under the root
    max_trees: int = 20  # trees reported
    pool: int = 200  # cheapest trees kept for edge support (and the exact search's cut)
    window: float = 30.0  # trees more than this many nats above the best carry no weight
    max_fits: int = 10000  # tree fits the exact search may spend before the heuristic search takes over
    beam_width: int = 20
    restarts: int = 1  # extra beam searches from perturbed orders
    seed: int = 1


class _Budget(Exception):
    pass


@dataclass
class SearchOutcome:
    trees: list[tuple[tuple[int, ...], float]]  # (parents, cost), cheapest first, at most `pool`
    exact: bool  # the branch and bound finished within its budget
    method: str
    fits: int
    seconds: float
    notes: list[str] = field(default_factory=list)


def _key(item: tuple[tuple[int, ...], float]) -> tuple:
    return (round(item[1], 6), item[0])


class _Pool:
    """The cheapest complete trees found (at most `size`, within `window` of the best); `limit`
    is the cost a branch of the exact search must stay below: the `top`-th cheapest so far."""

    def __init__(self, size: int, window: float, top: int):
        self.size, self.window, self.top = size, window, top
        self.trees: dict[tuple[int, ...], float] = {}
        self._limit = np.inf

    def add(self, parents: np.ndarray | tuple, cost: float) -> None:
        key = tuple(int(p) for p in parents)
        if key in self.trees or (self.trees and cost > min(self.trees.values()) + self.window):
            return
        self.trees[key] = cost
        if len(self.trees) > 2 * self.size:
            self._trim()
        self._update()

    def _trim(self) -> None:
        kept = sorted(self.trees.items(), key=_key)[: self.size]
        self.trees = dict(kept)

    def _update(self) -> None:
        costs = sorted(self.trees.values())
        lim = costs[0] + self.window
        if len(costs) >= self.top:
            lim = min(lim, costs[self.top - 1])
        self._limit = lim

    @property
    def limit(self) -> float:
        return self._limit

    def ranked(self) -> list[tuple[tuple[int, ...], float]]:
        out = sorted(self.trees.items(), key=_key)[: self.size]
        best = out[0][1] if out else 0.0
        return [t for t in out if t[1] <= best + self.window]


def placement_options(placed: np.ndarray, one_founder: bool) -> list[int]:
    return [int(p) for p in placed] + ([] if one_founder else [ROOT])


def order_by_frequency(mle: np.ndarray, noise: np.ndarray | None = None) -> np.ndarray:
    """Clusters by decreasing summed free-fit frequency (ties: lower index first)."""
    total = np.round(mle.sum(axis=0), 9)
    if noise is not None:
        total = total * np.exp(noise)
    return np.lexsort((np.arange(mle.shape[1]), -total)).astype(np.int64)


def branch_and_bound(fitter: TreeFitter, order: np.ndarray, params: SearchParams, pool: _Pool) -> bool:
    """Fills the pool; True when the search ended within its budget (exact)."""
    n_k = len(order)
    parents = np.full(n_k, UNPLACED, dtype=np.int64)
    parents[order[0]] = ROOT
    start = fitter.calls

    def visit(i: int, init: np.ndarray) -> None:
        node = order[i]
        scored = []
        for p in placement_options(order[:i], params.one_founder):
            if fitter.calls - start >= params.max_fits:
                raise _Budget
            parents[node] = p
            phi, cost = fitter.fit(parents, init)
            scored.append((float(cost.sum()), p, phi))
        scored.sort(key=lambda t: (round(t[0], 9), t[1]))
        for cost, p, phi in scored:
            parents[node] = p
            if i + 1 == n_k:
                pool.add(parents, cost)  # every complete tree fitted counts towards the support
            elif cost <= pool.limit:
                visit(i + 1, phi)
            else:
                break
        parents[node] = UNPLACED

    try:
        if n_k == 1:
            pool.add(parents, float(fitter.fit(parents)[1].sum()))
        elif n_k > 1:
            visit(1, fitter.reads.mle)
    except _Budget:
        return False
    return True


def beam_search(fitter: TreeFitter, order: np.ndarray, params: SearchParams, pool: _Pool) -> None:
    n_k = len(order)
    start = np.full(n_k, UNPLACED, dtype=np.int64)
    start[order[0]] = ROOT
    beam = [(0.0, start, fitter.reads.mle)]
    for i in range(1, n_k):
        node = order[i]
        cands: dict[tuple[int, ...], tuple[float, np.ndarray, np.ndarray]] = {}
        for _, parents, phi in beam:
            for p in placement_options(order[:i], params.one_founder):
                nxt = parents.copy()
                nxt[node] = p
                key = tuple(nxt.tolist())
                if key not in cands:
                    phi2, cost = fitter.fit(nxt, phi)
                    cands[key] = (float(cost.sum()), nxt, phi2)
        ranked = sorted(cands.items(), key=lambda kv: (round(kv[1][0], 9), kv[0]))
        beam = [v for _, v in ranked[: params.beam_width]]
    for cost, parents, _ in beam:
        pool.add(parents, cost)


def subtree(parents: np.ndarray, k: int) -> set[int]:
    out = {k}
    grew = True
    while grew:
        grew = False
        for c, p in enumerate(parents):
            if p in out and c not in out:
                out.add(c)
                grew = True
    return out


def neighbours(parents: np.ndarray, one_founder: bool, regraft: bool = True) -> list[np.ndarray]:
    """Trees one move away: a cluster swapped with its parent (it takes the parent's place and
    the parent becomes its child), and with `regraft` a subtree moved under another cluster (or
    the root, with several founders allowed)."""
    out = []
    n = len(parents)
    for k in range(n):
        p = parents[k]
        if p != ROOT:
            nxt = parents.copy()
            nxt[k] = parents[p]
            nxt[p] = k
            out.append(nxt)
        if not regraft:
            continue
        below = subtree(parents, k)
        targets = [p for p in range(n) if p not in below and p != parents[k]]
        if not one_founder and parents[k] != ROOT:
            targets.append(ROOT)
        if one_founder and parents[k] == ROOT:
            targets = []
        for p in targets:
            nxt = parents.copy()
            nxt[k] = p
            out.append(nxt)
    return out


def hill_climb(fitter: TreeFitter, parents: np.ndarray, cost: float, params: SearchParams, pool: _Pool,
               regraft: bool = True, max_rounds: int = 50) -> tuple[np.ndarray, float]:
    """Steepest descent in cost over neighbours() until no move helps."""
    best, best_cost = parents.copy(), cost
    phi = fitter.fit(best)[0]
    for _ in range(max_rounds):
        moved = None
        for nxt in neighbours(best, params.one_founder, regraft):
            key = tuple(nxt.tolist())
            if key in pool.trees:  # fitted before: its cost is known
                c, phi_n = pool.trees[key], None
            else:
                phi_n, cost_n = fitter.fit(nxt, phi)
                c = float(cost_n.sum())
                pool.add(nxt, c)
            if c < best_cost - 1e-9 and (moved is None or (round(c, 9), key) < (round(moved[1], 9), tuple(moved[0]))):
                moved = (nxt, c, phi_n)
        if moved is None:
            break
        best, best_cost, phi = moved
        if phi is None:
            phi = fitter.fit(best)[0]
    return best, best_cost


def search(fitter: TreeFitter, params: SearchParams) -> SearchOutcome:
    t0 = time.perf_counter()
    reads = fitter.reads
    n_k = len(reads.clusters)
    pool = _Pool(max(params.pool, params.max_trees), params.window, params.max_trees)
    if n_k == 0:
        return SearchOutcome([], True, "none", 0, 0.0)
    order = order_by_frequency(reads.mle)
    exact = branch_and_bound(fitter, order, params, pool)
    method = "branch and bound (exact)"
    notes = []
    if not exact:
        method = "beam search + hill climbing (branch and bound over budget)"
        notes.append(f"the exact search stopped after {params.max_fits} tree fits")
        beam_search(fitter, order, params, pool)
        rng = np.random.default_rng(params.seed)
        for _ in range(params.restarts):
            beam_search(fitter, order_by_frequency(reads.mle, rng.normal(0.0, 0.2, n_k)), params, pool)
    # The order excludes trees in which a child's free frequencies sum above its parent's: after
    # the exact search, swaps of a cluster with its parent reach them; after the heuristic one,
    # subtree moves too.
    for parents, cost in pool.ranked()[: 1 if exact else 3]:
        hill_climb(fitter, np.array(parents, dtype=np.int64), cost, params, pool, regraft=not exact)
    return SearchOutcome(pool.ranked(), exact, method, fitter.calls, time.perf_counter() - t0, notes)


def tree_weights(costs: np.ndarray) -> np.ndarray:
    """Each tree's share of the likelihood among the trees given."""
    if len(costs) == 0:
        return np.zeros(0)
    w = np.exp(-(np.asarray(costs) - np.min(costs)))
    return w / w.sum()


def edge_support(trees: list[tuple[tuple[int, ...], float]], clusters: np.ndarray) -> list[dict]:
    """Per edge (parent cluster or None for the root, child cluster): the likelihood-weighted
    share of the trees that hold it."""
    if not trees:
        return []
    w = tree_weights(np.array([c for _, c in trees]))
    edges: dict[tuple, float] = {}
    for (parents, _), wt in zip(trees, w):
        for k, p in enumerate(parents):
            key = (None if p == ROOT else int(clusters[p]), int(clusters[k]))
            edges[key] = edges.get(key, 0.0) + float(wt)
    rows = [dict(parent=k[0], child=k[1], support=round(v, 6)) for k, v in edges.items()]
    return sorted(rows, key=lambda r: (-r["support"], r["child"], -1 if r["parent"] is None else r["parent"]))
