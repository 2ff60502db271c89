"""trees.json and the tree figure."""

from __future__ import annotations

import numpy as np

from ith import __version__
from ith.io.figures import clone_colour, save_figure
from ith.phylogeny.score import ROOT
from ith.phylogeny.trees import TreeParams, TreeReport, parent_map, tree_weights


def _r(x: float, n: int = 6) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), n)


def trees_json(patient: str, report: TreeReport, params: TreeParams) -> dict:
    d, res = report.data, report.result
    alpha = report.alpha
    mean = d.mean if len(d.clusters) else np.zeros((len(d.samples), 0))
    weights = tree_weights(res.trees)
    trees = []
    for rank, (t, w) in enumerate(zip(res.trees, weights), start=1):
        trees.append({
            "rank": rank,
            "parents": parent_map(t.parents, d.clusters),
            "log_evidence": _r(t.log_score, 4),
            "weight": _r(w),
            "consistent": t.consistent(alpha),
            "sum_rule_probability": {s: _r(np.exp(v)) for s, v in zip(d.samples, t.sample_log_scores)},
            "sum_rule_error": _r(t.sum_rule_error.max() if t.sum_rule_error.size else 0.0, 4),
            "sum_rule_error_by_sample": {s: _r(v, 4) for s, v in
                                         zip(d.samples, t.sum_rule_error.max(axis=1) if t.sum_rule_error.size
                                             else np.zeros(len(d.samples)))},
        })
    return {
        "patient": patient,
        "ith_version": __version__,
        "samples": d.samples,
        "clusters": [{"id": int(c), "n_mutations": int(n), "drivers": d.drivers.get(int(c), []),
                      "ccf": {s: _r(mean[i, k], 4) for i, s in enumerate(d.samples)}}
                     for k, (c, n) in enumerate(zip(d.clusters, d.n_mutations))],
        "excluded": [{"cluster": k, "reason": v} for k, v in sorted(report.excluded.items())],
        "search": {"method": res.method, "exhaustive": res.exhaustive, "complete": res.complete,
                   "n_consistent": res.n_consistent, "n_kept": len(res.trees),
                   "parameters": {"ccf_error_sd": params.ccf_error_sd, "alpha": alpha,
                                  "absent_prior": params.search.absent_prior, "max_trees": params.search.max_trees,
                                  "exhaustive_max_clones": params.search.exhaustive_max_clones,
                                  "max_enumerated": params.search.max_enumerated,
                                  "beam_width": params.search.beam_width}},
        "trees": trees,
        "consensus": report.consensus,
        "violation": report.violation,
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


def plot_tree(path: str, patient: str, report: TreeReport, eta: np.ndarray | None) -> None:
    """Left: the best clone tree (edge labels: mutations gained, drivers). Right: each sample's
    tumour cells split over the clones."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = report.data
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [1.2, 1]})
    colours = [clone_colour(c) for c in d.clusters]
    best = report.best
    if best is None:
        ax.text(0.5, 0.5, "no clusters to build a tree from", ha="center", va="center")
        ax.axis("off")
        bx.axis("off")
    else:
        pos = _layout(best.parents)
        ax.plot([0], [1], "k^", ms=8)
        for k, (x, y) in pos.items():
            p = best.parents[k]
            px, py = (pos[p] if p != ROOT else (pos[k][0], 1))
            ax.plot([px, x], [py, y], "-", color="0.4", lw=1.5, zorder=1)
            label = f"{int(d.n_mutations[k])}"
            drv = d.drivers.get(int(d.clusters[k]), [])
            if drv:
                label += "\n" + ",".join(drv[:3])
            ax.text((px + x) / 2 + 0.05, (py + y) / 2, label, fontsize=7, color="0.2")
            ax.scatter([x], [y], s=380, color=colours[k], edgecolor="k", zorder=2)
            ax.text(x, y, str(int(d.clusters[k])), ha="center", va="center", fontsize=8, zorder=3)
        status = "consistent" if best.consistent(report.alpha) else "violates the sum rule"
        ax.set_title(f"{patient}: best clone tree ({status}; {report.result.n_consistent} consistent)", fontsize=9)
        ax.axis("off")
        if eta is not None and eta.size:
            bottom = np.zeros(len(d.samples))
            for k in range(len(d.clusters)):
                bx.bar(d.samples, eta[:, k], bottom=bottom, color=colours[k], edgecolor="white",
                       label=f"clone {int(d.clusters[k])}")
                bottom += eta[:, k]
            bx.set_ylim(0, 1)
            bx.set_ylabel("fraction of tumour cells")
            bx.tick_params(axis="x", rotation=45, labelsize=7)
            bx.legend(fontsize=6, frameon=False, bbox_to_anchor=(1.0, 1.0), loc="upper left")
            bx.set_title("clone proportions (best tree)", fontsize=9)
    save_figure(fig, path)
