"""Clusters of a patient at a glance: cluster CCF per region, and every mutation's own CCF."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ith.io.figures import clone_colour, save_figure  # noqa: E402


def plot_clusters(patient: str, mutations: pd.DataFrame, summary: pd.DataFrame, path: str) -> None:
    """Left: heatmap of cluster CCF (rows: clusters with size, flags marked *). Right: per region,
    each mutation's own CCF, coloured by cluster, with the cluster CCF as a bar."""
    samples = list(dict.fromkeys(summary["sample"])) if len(summary) else list(dict.fromkeys(mutations["sample"]))
    ids = list(dict.fromkeys(summary["cluster_id"])) if len(summary) else []
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(4 + 1.6 * max(len(samples), 1), 0.35 * max(len(ids), 4) + 2),
                                   gridspec_kw={"width_ratios": [1, 2]})
    if ids:
        ccf = summary.pivot(index="cluster_id", columns="sample", values="ccf").loc[ids, samples]
        ax0.imshow(ccf.to_numpy(float), vmin=0, vmax=1, cmap="viridis", aspect="auto")
        for (i, j), v in np.ndenumerate(ccf.to_numpy(float)):
            ax0.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="w" if v < 0.6 else "k")
        first = summary.drop_duplicates("cluster_id").set_index("cluster_id")
        ax0.set_yticks(range(len(ids)), [f"{c} (n={first.loc[c, 'n_mutations']}){' *' if first.loc[c, 'flags'] else ''}"
                                         for c in ids], fontsize=7)
        ax0.set_xticks(range(len(samples)), samples, rotation=45, ha="right", fontsize=7)
        rng = np.random.default_rng(0)
        for j, s in enumerate(samples):
            m = mutations[(mutations["sample"] == s) & mutations["ccf"].notna()]
            for k, c in enumerate(ids):
                mc = m[m["cluster_id"] == c]
                x = j + (k - (len(ids) - 1) / 2) * 0.8 / max(len(ids), 1)
                ax1.scatter(x + rng.uniform(-0.02, 0.02, len(mc)), mc["ccf"], s=4, color=clone_colour(c), alpha=0.6)
                ax1.plot([x - 0.03, x + 0.03], [ccf.loc[c, s]] * 2, color="k", lw=1.5)
    else:
        ax0.text(0.5, 0.5, "no clusters", ha="center", va="center")
        ax0.set_axis_off()
    ax1.set_xticks(range(len(samples)), samples, rotation=45, ha="right", fontsize=7)
    ax1.set_ylim(-0.03, 1.03)
    ax1.set_ylabel("CCF (each mutation's own; bars: cluster)")
    ax0.set_title(f"{patient}: cluster CCF", fontsize=9)
    save_figure(fig, path)
