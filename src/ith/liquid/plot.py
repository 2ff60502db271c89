"""Figures of the liquid-biopsy stage: tumour fraction over time, clone trajectories in plasma,
fragment sizes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ith.io.figures import clone_colour, save_figure  # noqa: E402
from ith.liquid.fragments import pooled  # noqa: E402


def _x(table: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    samples = list(dict.fromkeys(table["sample"]))
    return np.arange(len(samples)), [f"{s}\n{t}" if str(t) not in ("", "nan") else s
                                     for s, t in table.drop_duplicates("sample")[["sample", "timepoint"]].to_numpy()]


def plot_tumour_fraction(patient: str, ctdna: pd.DataFrame, path: str) -> None:
    """Tumour fraction with 95% interval per plasma sample in time order; open circles: not
    detected; crosses: limit of detection; squares: the copy-number estimate."""
    fig, ax = plt.subplots(figsize=(2 + 1.2 * max(len(ctdna), 1), 3.2))
    if len(ctdna):
        x, labels = _x(ctdna)
        tf = ctdna["tumour_fraction"].to_numpy(float)
        err = np.vstack([tf - ctdna["tf_low"].to_numpy(float), ctdna["tf_high"].to_numpy(float) - tf])
        det = ctdna["detected"].to_numpy(bool)
        ax.errorbar(x, tf, yerr=np.nan_to_num(np.clip(err, 0, None)), fmt="none", ecolor="k", capsize=3)
        ax.scatter(x[det], tf[det], color="C3", zorder=3, label="detected")
        ax.scatter(x[~det], tf[~det], facecolor="w", edgecolor="C3", zorder=3, label="not detected")
        ax.scatter(x, ctdna["limit_of_detection"], marker="x", color="grey", label="limit of detection")
        if ctdna["tumour_fraction_cn"].notna().any():
            ax.scatter(x, ctdna["tumour_fraction_cn"], marker="s", s=14, color="C0", label="copy-number estimate")
        ax.plot(x, tf, color="C3", lw=0.8)
        ax.set_xticks(x, labels, fontsize=7)
        ax.set_yscale("symlog", linthresh=1e-3)
        ax.legend(fontsize=6, loc="best")
    ax.set_ylabel("tumour fraction")
    ax.set_title(f"{patient}: ctDNA", fontsize=9)
    save_figure(fig, path)


def plot_clones(patient: str, clones: pd.DataFrame, path: str) -> None:
    """Each clone's CCF in plasma over timepoints with 95% intervals; emerging clones bold."""
    fig, ax = plt.subplots(figsize=(2.5 + 1.2 * max(clones["sample"].nunique() if len(clones) else 1, 1), 3.4))
    if len(clones):
        x, labels = _x(clones)
        pos = {s: i for i, s in enumerate(dict.fromkeys(clones["sample"]))}
        for i, (k, c) in enumerate(clones.groupby("clone", sort=True)):
            xs = c["sample"].map(pos).to_numpy() + (i - clones["clone"].nunique() / 2) * 0.03
            em = bool(c["emerging"].any())
            ax.errorbar(xs, c["ccf"], yerr=np.nan_to_num(np.clip(np.vstack([c["ccf"] - c["ccf_low"],
                                                                            c["ccf_high"] - c["ccf"]]), 0, None)),
                        color=clone_colour(k), lw=2.5 if em else 1, marker="o", ms=4, capsize=2,
                        label=f"clone {k}{' (emerging)' if em else ''}")
        ax.set_xticks(x, labels, fontsize=7)
        ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(1, 0.5))
    ax.set_ylim(-0.03, 1.05)
    ax.set_ylabel("CCF in plasma")
    ax.set_title(f"{patient}: clones in plasma", fontsize=9)
    save_figure(fig, path)


def plot_fragments(patient: str, qc: dict[str, dict], lengths: dict[str, tuple[np.ndarray, np.ndarray]],
                   path: str) -> None:
    """Left: fragment length density of each plasma sample. Right: fragments carrying the
    tumour allele against reference fragments at the same loci (all plasma samples pooled)."""
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9, 3.2))
    for s, q in qc.items():
        h = np.asarray(q.get("fragment_histogram") or [[0, 0]], dtype=float)
        if h[:, 1].sum() > 0:
            ax0.plot(h[:, 0], h[:, 1] / h[:, 1].sum(), lw=1, label=s)
    ax0.axvspan(100, 150, color="grey", alpha=0.15)
    ax0.set_xlim(50, 400)
    ax0.set_xlabel("fragment length (bp)")
    ax0.set_ylabel("density")
    ax0.legend(fontsize=6)
    mut = np.concatenate([m for m, _ in lengths.values()]) if lengths else np.zeros(0)
    wt = pooled(w for _, w in lengths.values())
    bins = np.arange(50, 401, 10)
    if np.sum(wt) > 0:
        ax1.hist(np.arange(len(wt)), bins=bins, weights=wt, density=True, histtype="step", color="k",
                 label=f"reference allele (n={int(np.sum(wt))})")
    if len(mut):
        ax1.hist(mut, bins=bins, density=True, histtype="stepfilled", alpha=0.5, color="C3",
                 label=f"tumour allele (n={len(mut)})")
    ax1.set_xlabel("fragment length (bp)")
    ax1.legend(fontsize=6)
    ax1.set_title("at the tumour's loci", fontsize=8)
    fig.suptitle(f"{patient}: plasma fragment sizes", fontsize=9)
    save_figure(fig, path)
