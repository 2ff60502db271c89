"""A tree from a distance matrix (neighbour joining), rooted at the diploid normal, its clades,
and the Robinson-Foulds distance between two rooted trees given as clade sets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Tree:
    """Unrooted tree: `edges` maps node -> {neighbour: length}; leaves are 0..n-1 (`names`)."""

    names: list[str]
    edges: dict[int, dict[int, float]]

    def leaf(self, name: str) -> int:
        return self.names.index(name)

    def _below(self, root: int) -> dict[int, list[int]]:
        """Children of every node when hung from leaf `root`."""
        kids: dict[int, list[int]] = {}
        stack, seen = [root], {root}
        while stack:
            u = stack.pop()
            kids[u] = []
            for v in sorted(self.edges[u]):
                if v not in seen:
                    seen.add(v)
                    kids[u].append(v)
                    stack.append(v)
        return kids

    def clades(self, root: str, min_length: float = 0.0) -> dict[frozenset[str], float]:
        """Every edge's leaf set on the side away from `root` with the edge's length; internal
        edges shorter than `min_length` are contracted (their clade is dropped)."""
        r = self.leaf(root)
        kids = self._below(r)
        out: dict[frozenset[str], float] = {}
        n_tips = len(self.names) - 1

        def leaves(u: int) -> frozenset[str]:
            if not kids[u]:
                return frozenset([self.names[u]])
            return frozenset().union(*(leaves(v) for v in kids[u]))

        for u, vs in kids.items():
            for v in vs:
                s = leaves(v)
                length = self.edges[u][v]
                if 1 < len(s) < n_tips and length < min_length:
                    continue
                out[s] = out.get(s, 0.0) + length
        return out

    def newick(self, root: str, min_length: float = 0.0) -> str:
        """Rooted at leaf `root`: (root:0,(...):length); branch lengths in events, internal
        edges shorter than `min_length` contracted."""
        return newick(self.clades(root, min_length), root, [n for n in self.names if n != root])


def newick(clades: dict[frozenset[str], float], root: str, tips: list[str]) -> str:
    """The rooted tree of `clades` (leaf sets with their edge lengths, as Tree.clades gives them;
    a clade left out is contracted) as Newick: (root:0,(...):length)."""
    everything = frozenset(tips)

    def children(c: frozenset[str]) -> list[frozenset[str]]:
        inside = [k for k in clades if k < c]
        return sorted([k for k in inside if not any(k < o for o in inside)], key=lambda k: (-len(k), sorted(k)))

    def render(c: frozenset[str]) -> str:
        if len(c) == 1:
            (name,) = tuple(c)
            return f"{_quote(name)}:{_fmt(clades.get(c, 0.0))}"
        return f"({','.join(render(k) for k in children(c))}):{_fmt(clades.get(c, 0.0))}"

    return f"({_quote(root)}:0,{render(everything)});"


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _quote(name: str) -> str:
    return f"'{name}'" if any(ch in name for ch in " ,:;()[]'") else name


def neighbour_joining(names: list[str], dist: np.ndarray) -> Tree:
    """Saitou & Nei's neighbour joining; negative branch lengths are set to 0 (the difference
    moved to the sister branch). Ties are broken by the lowest index, so the result is fixed."""
    d = np.array(dist, dtype=float)
    n = len(names)
    if d.shape != (n, n):
        raise ValueError("distance matrix does not match the names")
    edges: dict[int, dict[int, float]] = {i: {} for i in range(n)}
    active = list(range(n))
    nxt = n
    big = np.zeros((2 * n, 2 * n))
    big[:n, :n] = d

    def join(u: int, v: int, length: float) -> None:
        edges.setdefault(u, {})[v] = length
        edges.setdefault(v, {})[u] = length

    while len(active) > 2:
        m = len(active)
        sub = big[np.ix_(active, active)]
        r = sub.sum(axis=1)
        q = (m - 2) * sub - r[:, None] - r[None, :]
        np.fill_diagonal(q, np.inf)
        i, j = np.unravel_index(int(np.argmin(q)), q.shape)
        a, b = active[i], active[j]
        la = 0.5 * sub[i, j] + (r[i] - r[j]) / (2 * (m - 2))
        lb = sub[i, j] - la
        if la < 0:
            la, lb = 0.0, max(sub[i, j], 0.0)
        if lb < 0:
            la, lb = max(sub[i, j], 0.0), 0.0
        u = nxt
        nxt += 1
        for k in active:
            if k not in (a, b):
                big[u, k] = big[k, u] = 0.5 * (big[a, k] + big[b, k] - big[a, b])
        join(u, a, la)
        join(u, b, lb)
        active = [k for k in active if k not in (a, b)] + [u]
    if len(active) == 2:
        a, b = active
        join(a, b, max(big[a, b], 0.0))
    return Tree(list(names), edges)


def informative(clades, n_leaves: int) -> set[frozenset[str]]:
    """The clades that say something about topology: more than one and fewer than all leaves."""
    return {frozenset(c) for c in clades if 1 < len(c) < n_leaves}


def robinson_foulds(a: set[frozenset[str]], b: set[frozenset[str]]) -> tuple[int, float]:
    """Clades in one rooted tree but not the other, and that count over both trees' clades
    (0 when neither has any: both are stars)."""
    rf = len(a ^ b)
    total = len(a) + len(b)
    return rf, (rf / total if total else 0.0)
