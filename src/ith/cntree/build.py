"""One patient's copy-number tree: distances, tree, agreement with the SNV region tree."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ith.cntree.distance import directed_distance, distance_matrix, profile_distance
from ith.errors import InputError
from ith.cntree.profiles import ROOT, shared_segments
from ith.cntree.tree import Tree, informative, neighbour_joining, newick, robinson_foulds

DISTANCE_COLUMNS = ["patient", "sample_1", "sample_2", "events"]


@dataclass(frozen=True)
class CnTreeParams:
    """`cntree`."""
    engine: str = "own"
    wgd: bool = True
    min_segment_bp: int = 0
    boundary_bins: int = 3
    min_branch_events: float = 0.5
    clade_support: bool = True
    doubled_root: bool = True

    @classmethod
    def from_config(cls, cfg: dict) -> "CnTreeParams":
        from ith.params import from_section

        params = from_section(cls, cfg, "cntree")
        if params.engine == "medicc2":
            raise InputError("cntree.engine medicc2: MEDICC2 is not installed with ith (it needs OpenFst, "
                             "docs/methods/cntree.md); set cntree.engine to own")
        return params


@dataclass
class CnTree:
    distances: pd.DataFrame
    tree: Tree | None
    newick: str
    clades: dict[frozenset[str], float]
    metrics: dict


def snv_clades(branches: pd.DataFrame, regions: list[str]) -> set[frozenset[str]]:
    """The SNV region tree's clades (branches.tsv rows that are compatible), as region sets."""
    rows = branches[branches["compatible"].astype(str).str.lower().isin(["true", "1"])]
    clades = [frozenset(str(r).split(",")) & frozenset(regions) for r in rows["regions"]]
    return informative(clades, len(regions))


def cn_tree(patient: str, segments: pd.DataFrame, tumours: list[str], params: CnTreeParams,
            branches: pd.DataFrame | None = None) -> CnTree:
    table, profiles = shared_segments(segments, tumours, params.min_segment_bp, params.boundary_bins)
    n_boundary = len(shared_segments(segments, tumours, params.min_segment_bp)[0]) - len(table)
    regions = [s for s in tumours if s in profiles]
    normal = profiles[ROOT]
    from_diploid = {r: directed_distance(normal, profiles[r], params.wgd) for r in regions}
    doubled = params.doubled_root and params.wgd and len(table) > 0 and all_doubled(profiles, regions, from_diploid)
    if doubled:
        # the doubling is on the trunk: root the tree at the doubled normal (2 + 2), so every
        # region's events after it are counted along the tree; from 1 + 1 an LOH after the
        # doubling is cheaper on a path that bypasses the doubled trunk (non-additive distances)
        profiles = dict(profiles, **{ROOT: {c: 2 * v for c, v in normal.items()}})
    # with the doubling on the trunk a second one is not modelled: losing one copy of every
    # chromosome and doubling again would undercut an LOH's four events in a small genome
    wgd = params.wgd and not doubled
    names, m = distance_matrix(profiles, wgd, ROOT) if len(table) else ([ROOT] + regions, np.zeros((len(regions) + 1,) * 2))
    if not np.isfinite(m).all():
        bad = [f"{names[i]}-{names[j]}" for i, j in zip(*np.nonzero(~np.isfinite(m)))]
        raise ValueError(f"no event path between {bad[0]}")
    rows = [dict(patient=patient, sample_1=names[i], sample_2=names[j],
                 events=float(from_diploid[names[i] if names[j] == ROOT else names[j]]
                              if ROOT in (names[i], names[j]) else m[i, j]))
            for i in range(len(names)) for j in range(len(names)) if i < j]
    distances = pd.DataFrame(rows, columns=DISTANCE_COLUMNS)
    metrics: dict = dict(engine=params.engine, n_regions=len(regions), n_segments=int(len(table)),
                         n_boundary_segments=int(n_boundary),
                         wgd_allowed=params.wgd, root="doubled" if doubled else "diploid",
                         events_from_diploid=from_diploid)
    if len(regions) < 2:
        metrics.update(n_clades=0, newick="", snv_clades=None, robinson_foulds=None,
                       robinson_foulds_normalised=None, same_topology=None, note="fewer than 2 regions")
        return CnTree(distances, None, "", {}, metrics)
    tree = neighbour_joining(names, m)
    clades = tree.clades(ROOT, params.min_branch_events)
    unsupported = []
    if params.clade_support:
        unsupported = [c for c in informative(clades, len(regions))
                       if not shares_derived_state(c, regions, profiles, wgd)]
        clades = {c: v for c, v in clades.items() if c not in unsupported}
    text = newick(clades, ROOT, regions)
    mine = informative(clades, len(regions))
    metrics.update(n_clades=len(mine), newick=text,
                   clades_without_support=sorted(",".join(r for r in regions if r in c) for c in unsupported),
                   clades=sorted(",".join(r for r in regions if r in c) for c in mine))
    if branches is not None:
        theirs = snv_clades(branches, regions)
        rf, norm = robinson_foulds(mine, theirs)
        metrics.update(snv_clades=sorted(",".join(r for r in regions if r in c) for c in theirs),
                       robinson_foulds=rf, robinson_foulds_normalised=round(norm, 6), same_topology=rf == 0)
    return CnTree(distances, tree, text, clades, metrics)


def all_doubled(profiles: dict[str, dict[str, np.ndarray]], regions: list[str], from_diploid: dict[str, float]
                ) -> bool:
    """Whether every region is reached from the diploid normal (`ROOT` of `profiles`) more cheaply
    through a whole-genome doubling than without one (a doubling on the trunk); `from_diploid`:
    each region's distance with the doubling allowed."""
    normal = profiles[ROOT]
    return bool(regions) and all(from_diploid[r] < profile_distance(normal, profiles[r]) for r in regions)


def shares_derived_state(clade: frozenset[str], regions: list[str], profiles: dict[str, dict[str, np.ndarray]],
                         wgd: bool) -> bool:
    """Whether some piece holds one allele-specific state in every region of `clade`, held by no
    region outside it, and at least as many events from the tree's root (`ROOT` of `profiles`:
    the diploid normal, or the doubled one) as each of the states outside (a state the clade
    gained, not the ancestral state it kept).

    Minimum-event distances are not additive along a tree (the cheapest path from 1+1 to a
    doubled genome's 4+0 bypasses the doubled trunk's 2+2), and neighbour joining then gives the
    regions that kept the trunk's profile a branch of their own; such a clade shares only the
    ancestral state and is dropped (contracted)."""
    inside = [r for r in regions if r in clade]
    outside = [r for r in regions if r not in clade]
    if not inside or not outside:
        return True
    cost: dict[tuple[tuple[int, int], tuple[int, int]], float] = {}

    def from_root(root: tuple[int, int], state: tuple[int, int]) -> float:
        if (root, state) not in cost:
            cost[root, state] = directed_distance({"x": np.array([root], dtype=np.int64)},
                                                  {"x": np.array([state], dtype=np.int64)}, wgd)
        return cost[root, state]

    for chrom in profiles[inside[0]]:
        a = np.stack([profiles[r][chrom] for r in inside])  # (regions, pieces, 2)
        b = np.stack([profiles[r][chrom] for r in outside])
        same = (a == a[:1]).all(axis=(0, 2))
        for i in np.flatnonzero(same):
            state = (int(a[0, i, 0]), int(a[0, i, 1]))
            others = {(int(x[0]), int(x[1])) for x in b[:, i]}
            if state in others:
                continue
            root = (int(profiles[ROOT][chrom][i, 0]), int(profiles[ROOT][chrom][i, 1]))
            if all(from_root(root, state) >= from_root(root, o) for o in others):
                return True
    return False


def plot(result: CnTree, patient: str, path: str) -> None:
    """The rooted tree (branch lengths in events) beside the distance matrix."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    if result.tree is None:
        ax1.text(0.5, 0.5, "no tree (fewer than 2 regions)", ha="center")
        ax1.axis("off")
    else:
        _draw_tree(ax1, result.clades, [n for n in result.tree.names if n != ROOT])
        ax1.set_title(f"{patient}: copy-number tree (events)")
    names = list(dict.fromkeys(list(result.distances["sample_1"]) + list(result.distances["sample_2"])))
    mat = np.zeros((len(names), len(names)))
    for r in result.distances.itertuples():
        i, j = names.index(r.sample_1), names.index(r.sample_2)
        mat[i, j] = mat[j, i] = r.events
    im = ax2.imshow(mat, cmap="viridis")
    ax2.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
    ax2.set_yticks(range(len(names)), names, fontsize=7)
    for i in range(len(names)):
        for j in range(len(names)):
            ax2.text(j, i, f"{mat[i, j]:g}", ha="center", va="center", fontsize=6, color="white")
    fig.colorbar(im, ax=ax2, label="events")
    ax2.set_title("minimum-event distances")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _draw_tree(ax, clades: dict[frozenset[str], float], tips: list[str]) -> None:
    everything = frozenset(tips)
    order: list[str] = []

    def children(c):
        inside = [k for k in clades if k < c]
        return sorted([k for k in inside if not any(k < o for o in inside)], key=lambda k: (-len(k), sorted(k)))

    def walk(c, x0):
        x1 = x0 + clades.get(c, 0.0)
        if len(c) == 1:
            order.append(next(iter(c)))
            y = len(order) - 1
            ax.plot([x0, x1], [y, y], color="k")
            ax.plot([x1], [y], "o", color="k", ms=3)
            ax.text(x1, y, " " + next(iter(c)), va="center", fontsize=8)
            return y
        ys = [walk(k, x1) for k in children(c)]
        y = float(np.mean(ys))
        ax.plot([x0, x1], [y, y], color="k")
        ax.plot([x1, x1], [min(ys), max(ys)], color="k")
        return y

    y = walk(everything, 0.0)
    ax.plot([-0.5, 0], [y, y], color="grey")
    ax.text(-0.5, y, f"{ROOT} ", ha="right", va="center", fontsize=8)
    ax.set_yticks([])
    ax.set_xlabel("events from the diploid normal")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
