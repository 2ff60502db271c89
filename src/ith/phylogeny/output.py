"""trees.json and the tree figure."""

from __future__ import annotations

import numpy as np

from ith import __version__
from ith.io.figures import clone_colour, save_figure
from ith.phylogeny.fit import ROOT
from ith.phylogeny.formats import parent_vector
from ith.phylogeny.ranking import PhylogenyParams, TreeResult


def _r(x: float, n: int = 6) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), n)


def parent_map(parents, clusters: np.ndarray) -> dict[str, int | None]:
    """{cluster id: parent cluster id, None for a founder}."""
    return {str(int(clusters[k])): (None if p == ROOT else int(clusters[p])) for k, p in enumerate(parents)}


def trees_json(patient: str, res: TreeResult, params: PhylogenyParams, excluded: dict[int, str]) -> dict:
    r, out = res.reads, res.outcome
    weights = res.weights
    flagged = {f["cluster"] for f in res.flagged}
    seen = r.stop > r.start  # (S, K): the cluster has reads in the sample
    clusters = []
    for k, (c, n) in enumerate(zip(r.clusters, r.n_mutations)):
        clusters.append({"id": int(c), "n_mutations": int(n), "drivers": r.drivers.get(int(c), []),
                         "flagged": int(c) in flagged,
                         "frequency": {s: (_r(r.mle[i, k], 4) if seen[i, k] else None) for i, s in enumerate(r.samples)},
                         "fitted": ({s: _r(res.phi[i, k], 4) for i, s in enumerate(r.samples)}
                                    if res.phi is not None else {})})
    best = res.best
    return {
        "patient": patient,
        "ith_version": __version__,
        "method": "read-count likelihood",
        "samples": r.samples,
        "clusters": clusters,
        "excluded": [{"cluster": k, "reason": v} for k, v in sorted(excluded.items())],
        "search": {"method": out.method, "exact": out.exact, "fits": out.fits, "n_kept": len(out.trees),
                   "notes": out.notes, "parameters": {k: v for k, v in params.__dict__.items() if k != "presence"}},
        "trees": [{"rank": i + 1, "parents": parent_map(t, r.clusters), "cost": _r(c, 4), "weight": _r(w)}
                  for i, ((t, c), w) in enumerate(zip(out.trees[: params.max_trees], weights))],
        "edge_support": res.support,
        "flagged": res.flagged,
        "parent_vector": ({"clusters": [int(c) for c in r.clusters],
                           "parents": parent_vector(parent_map(best, r.clusters), [int(c) for c in r.clusters])}
                          if best is not None else None),
    }


def _layout(parents: np.ndarray) -> dict[int, tuple[float, float]]:
    """x by leaf order (children sorted by index), y by depth."""
    kids = {k: [c for c in range(len(parents)) if parents[c] == k] for k in range(len(parents))}
    pos: dict[int, tuple[float, float]] = {}
    nxt = [0.0]

    def place(k: int, depth: int) -> float:
        if not kids[k]:
            x = nxt[0]
            nxt[0] += 1.0
        else:
            xs = [place(c, depth + 1) for c in kids[k]]
            x = float(np.mean(xs))
        pos[k] = (x, -depth)
        return x

    for r in [k for k in range(len(parents)) if parents[k] == ROOT]:
        place(r, 0)
    return pos


def plot_tree(path: str, patient: str, res: TreeResult, eta: np.ndarray | None) -> None:
    """Left: the best clone tree (edge labels: mutations gained, drivers, support below 1;
    flagged clusters ringed in red). Right: each sample's tumour cells split over the clones."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = res.reads
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [1.2, 1]})
    colours = [clone_colour(c) for c in r.clusters]
    best = res.best
    support = {(e["parent"], e["child"]): e["support"] for e in res.support}
    flagged = {f["cluster"] for f in res.flagged}
    if best is None:
        ax.text(0.5, 0.5, "no clusters to build a tree from", ha="center", va="center")
        ax.axis("off")
        bx.axis("off")
    else:
        pos = _layout(best)
        ax.plot([0], [1], "k^", ms=8)
        for k, (x, y) in pos.items():
            p = best[k]
            px, py = (pos[p] if p != ROOT else (pos[k][0], 1))
            cid = int(r.clusters[k])
            sup = support.get((None if p == ROOT else int(r.clusters[p]), cid), 1.0)
            ax.plot([px, x], [py, y], "-" if sup >= 0.95 else "--", color="0.4", lw=1.5, zorder=1)
            label = f"{int(r.n_mutations[k])}"
            drv = r.drivers.get(cid, [])
            if drv:  # one driver a line (gene and protein change), at most three
                label += "\n" + "\n".join(drv[:3]) + (f"\n+{len(drv) - 3} more" if len(drv) > 3 else "")
            if sup < 0.995:
                label += f"\nsupport {sup:.2f}"
            ax.text((px + x) / 2 + 0.05, (py + y) / 2, label, fontsize=7, color="0.2")
            ax.scatter([x], [y], s=380, color=colours[k], edgecolor="red" if cid in flagged else "k",
                       linewidths=2.5 if cid in flagged else 1.0, zorder=2)
            ax.text(x, y, str(cid), ha="center", va="center", fontsize=8, zorder=3)
        w = res.weights[0] if len(res.weights) else 1.0
        extra = f"; flagged: {', '.join(str(c) for c in sorted(flagged))}" if flagged else ""
        ax.set_title(f"{patient}: best clone tree (weight {w:.2f} of {len(res.outcome.trees)} kept{extra})",
                     fontsize=9)
        ax.axis("off")
        if eta is not None and eta.size:
            bottom = np.zeros(len(r.samples))
            for k in range(len(r.clusters)):
                bx.bar(r.samples, eta[:, k], bottom=bottom, color=colours[k], edgecolor="white",
                       label=f"clone {int(r.clusters[k])}")
                bottom += eta[:, k]
            bx.set_ylim(0, 1)
            bx.set_ylabel("fraction of tumour cells")
            bx.tick_params(axis="x", rotation=45, labelsize=7)
            bx.legend(fontsize=6, frameon=False, bbox_to_anchor=(1.0, 1.0), loc="upper left")
            bx.set_title("clone proportions (best tree)", fontsize=9)
    save_figure(fig, path)
