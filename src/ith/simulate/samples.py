"""Which cells each sequenced sample contains: regions, the normal and plasma over time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ith.simulate.tumour import Germline, Tumour


@dataclass
class SampleSpec:
    sample: str
    type: str  # normal, tumour, plasma
    purity: float  # tumour cell (or ctDNA) fraction
    clone_props: np.ndarray  # fraction of tumour cells in each clone, sums to 1 (or 0 if purity 0)
    depth: float
    region: str = ""
    timepoint: int | None = None
    x: float | None = None
    y: float | None = None
    growing_clone: int | None = None
    # fraction of the sample's DNA (autosomal mean) from another person, whose genotypes are
    # `contaminant` (drawn as a patient's are, from the same population frequencies)
    contamination: float = 0.0
    contaminant: Germline | None = None
    contaminant_cells: float = 0.0  # the contaminant's cells per cell of the person's (reads.contaminant_weight)


def region_compositions(rng: np.random.Generator, tumour: Tumour, purities: np.ndarray) -> np.ndarray:
    """(n_regions, n_clones) tumour-cell proportions. At least one clone is private to a region,
    and one minor clone is shared by several regions at a share that puts its heterozygous
    mutations at 2.5-4.5% VAF there, the case only pooling across regions can call."""
    n_regions = len(purities)
    k = tumour.n_clones
    present = np.zeros((n_regions, k), dtype=bool)
    children = {c: [d for d in range(k) if tumour.parents[d] == c] for c in range(k)}
    leaves = [c for c in range(1, k) if not children[c]]
    # one leaf private to a region, another (when the tree has two) shared at a minor share
    order = [int(c) for c in rng.permutation(leaves)] if leaves else []
    private_leaf = order[0] if len(order) >= 2 else None
    minor_leaf = order[1] if len(order) >= 2 else (order[0] if order else None)
    for c in range(1, k):
        if c == private_leaf:
            n_in = 1
        else:
            n_in = 1 if rng.random() < 0.3 else int(rng.integers(2, n_regions + 1)) if n_regions > 1 else 1
        present[rng.choice(n_regions, n_in, replace=False), c] = True
    present[:, 0] = rng.random(n_regions) < 0.3
    for r in range(n_regions):
        if not present[r].any():
            present[r, int(rng.choice(leaves or [0]))] = True
    props = np.zeros((n_regions, k))
    for r in range(n_regions):
        idx = np.flatnonzero(present[r])
        w = rng.dirichlet(np.full(len(idx), 2.0))
        w = np.maximum(w, 0.1)
        props[r, idx] = w / w.sum()
    if n_regions >= 2 and minor_leaf is not None:
        m = minor_leaf
        regions = rng.choice(n_regions, int(rng.integers(2, n_regions + 1)), replace=False)
        props[:, m] = 0.0
        ploidy = 4.0 if tumour.wgd else 2.0
        for r in range(n_regions):
            if props[r].sum() == 0:  # the region held only the minor clone: give it truncal cells
                props[r, 0] = 1.0
            rest = props[r].sum()
            p = purities[r]
            # share s with VAF = p s / (p ploidy + 2 (1 - p)) in the target range
            share = min(0.3, rng.uniform(0.025, 0.045) * (p * ploidy + 2 * (1 - p)) / p) if r in regions else 0.0
            props[r] = props[r] / rest * (1 - share)
            props[r, m] = share
    return props


def clone_separation(tumour: Tumour, props: np.ndarray, purities: np.ndarray, depth: float) -> float:
    """Smallest distance between two clones in standard errors of a heterozygous mutation's VAF
    at `depth`, combined over regions: how well any method could tell their mutations apart."""
    ploidy = 4.0 if tumour.wgd else 2.0
    ccf = region_ccfs(tumour, props)
    p = purities[:, None]
    vaf = p * ccf / (p * ploidy + 2 * (1 - p))
    i, j = np.triu_indices(tumour.n_clones, 1)
    if not len(i):
        return float("inf")
    mean = np.clip((vaf[:, i] + vaf[:, j]) / 2, 0.01, 0.99)
    z2 = ((vaf[:, i] - vaf[:, j]) ** 2 / (mean * (1 - mean) / depth)).sum(axis=0)
    return float(np.sqrt(z2.min()))


def trees_fitting(ccf: np.ndarray, margin: float = 0.0, limit: int | None = None) -> list[list[int]]:
    """Trees (parent index per clone, -1 for the root) whose sum rule the CCFs (samples x clones)
    hold in every sample, a parent's CCF allowed to fall short of its children's sum by up to
    `margin` (plus 1e-9 of rounding: a clone without cells of its own has exactly its children's
    CCF); at most `limit` of them. Clones are placed in decreasing order of summed CCF, so of two
    clones with equal CCFs only the earlier can be the other's parent."""
    k = ccf.shape[1]
    margin = margin + 1e-9
    order = [int(c) for c in np.argsort(-ccf.sum(axis=0), kind="stable")]
    parents = [-1] * k
    kids = np.zeros_like(ccf)
    found: list[list[int]] = []

    def place(i: int) -> None:
        if limit is not None and len(found) >= limit:
            return
        if i == k:
            found.append(list(parents))
            return
        c = order[i]
        for j in order[:i]:
            if np.all(kids[:, j] + ccf[:, c] <= ccf[:, j] + margin):
                parents[c] = j
                kids[:, j] += ccf[:, c]
                place(i + 1)
                kids[:, j] -= ccf[:, c]
        parents[c] = -1

    if k and np.all(ccf[:, order[0]] <= 1 + margin):
        place(1)
    return found


def has_rival_tree(tumour: Tumour, props: np.ndarray, margin: float) -> bool:
    """Whether the regions' true CCFs fit a tree other than the true one within `margin`
    (trees_fitting). With a rival the CCFs cannot tell the true tree from it (two clones that may
    be siblings or parent and child, say), only a prior could pick the truth, so no method can
    be scored on it. A clone whose CCFs match its parent's in every region is a rival too: the
    two could swap."""
    ccf = region_ccfs(tumour, props)
    for c in range(1, tumour.n_clones):
        if np.all(np.abs(ccf[:, c] - ccf[:, tumour.parents[c]]) <= margin):
            return True
    truth = list(tumour.parents)
    return any(t != truth for t in trees_fitting(ccf, margin, limit=2))


def separable_compositions(rng: np.random.Generator, tumour: Tumour, purities: np.ndarray, depth: float,
                           min_separation: float, tree_margin: float | None = None,
                           max_draws: int = 500) -> tuple[np.ndarray, float, bool]:
    """Region compositions whose clones are at least `min_separation` apart (clone_separation)
    and, with a `tree_margin`, whose true CCFs fit no other tree within that margin
    (has_rival_tree), else the best of `max_draws`. Two clones closer than the read counts can
    resolve are one clone in the data under any method, and a tree with a rival is a guess
    under any method, so neither truth would be scoreable. Returns the compositions, their
    separation and whether the tree is identifiable (True when not asked for)."""
    best, best_key = None, None
    for _ in range(max_draws):
        props = region_compositions(rng, tumour, purities)
        z = clone_separation(tumour, props, purities, depth)
        unique = tree_margin is None or not has_rival_tree(tumour, props, tree_margin)
        key = (unique, min(z, min_separation), z)
        if best_key is None or key > best_key:
            best, best_key = props, key
        if unique and z >= min_separation:
            break
    return best, best_key[2], best_key[0]


def plasma_series(rng: np.random.Generator, n_timepoints: int, growing: bool) -> np.ndarray:
    """Tumour fractions over timepoints: 0 to ~10%, rising for the patient with a growing clone."""
    tf = np.zeros(n_timepoints)
    level = float(np.exp(rng.uniform(np.log(0.005), np.log(0.06))))
    for t in range(n_timepoints):
        if growing:
            level = min(0.1, level * rng.uniform(1.3, 2.0)) if t else level
        elif t:
            level = float(np.clip(level * np.exp(rng.normal(0, 0.8)), 0.002, 0.1))
        tf[t] = 0.0 if (not growing and t and rng.random() < 0.2) else level
    return np.round(tf, 4)


def plasma_compositions(rng: np.random.Generator, tumour: Tumour, regions: np.ndarray, n_timepoints: int,
                        growing: bool) -> tuple[np.ndarray, int | None]:
    """Clone shares of ctDNA: the regions' average, with one subclone expanding over time if growing."""
    base = regions.mean(axis=0)
    out = np.tile(base, (n_timepoints, 1))
    if not growing or n_timepoints < 2 or tumour.n_clones < 2:
        return out, None
    # expand a clone that is minor in tissue, as a resistant subclone would
    candidates = [c for c in range(1, tumour.n_clones) if 0 < base[c] < 0.5] or list(range(1, tumour.n_clones))
    g = int(rng.choice(candidates))
    shares = np.linspace(max(base[g], 0.05), 0.7, n_timepoints)
    for t, s in enumerate(shares):
        others = base.copy()
        others[g] = 0
        others = others / others.sum() * (1 - s) if others.sum() > 0 else others
        others[g] = s
        out[t] = others
    return out, g


def clone_ccf(tumour: Tumour, props: np.ndarray) -> np.ndarray:
    """Cancer cell fraction of each clone = its cells plus its descendants' cells."""
    return np.array([props[tumour.descendants(c)].sum() for c in range(tumour.n_clones)])


def region_ccfs(tumour: Tumour, props: np.ndarray) -> np.ndarray:
    """(regions, clones) cancer cell fractions from (regions, clones) compositions."""
    return np.array([clone_ccf(tumour, row) for row in props])
