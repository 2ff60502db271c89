"""Genome-wide copy-number figure of a patient: one panel per sample, regions stacked."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ith.io.figures import save_figure  # noqa: E402


def plot_patient(res, bins: pd.DataFrame, log2r: dict[str, np.ndarray], path: str) -> None:
    """Per sample: bin log2 ratios (grey), segment means (black) and, for fitted tumours, the
    integer total (red) and minor (blue) copy number on a second axis."""
    names = list(log2r)
    contigs = list(pd.unique(bins["chrom"]))
    length = bins.groupby("chrom", sort=False)["end"].max()
    offset = dict(zip(contigs, np.concatenate([[0], np.cumsum(length[contigs].to_numpy())[:-1]])))
    fig, axes = plt.subplots(max(len(names), 1), 1, figsize=(12, 1.8 * max(len(names), 1) + 0.6), sharex=True,
                             squeeze=False)
    x = bins["start"].to_numpy() + bins["chrom"].map(offset).to_numpy()
    pur = res.purity.set_index("sample") if len(res.purity) else pd.DataFrame()
    for ax, name in zip(axes[:, 0], names):
        ax.scatter(x, log2r[name], s=1, c="0.6", rasterized=True)
        seg = res.segments[res.segments["sample"] == name]
        sx0 = seg["start"].to_numpy() + seg["chrom"].map(offset).to_numpy()
        sx1 = seg["end"].to_numpy() + seg["chrom"].map(offset).to_numpy()
        ax.hlines(seg["log2r"].to_numpy(float), sx0, sx1, colors="k", lw=2)
        ax.set_ylim(-2, 2)
        ax.set_ylabel("log2 ratio", fontsize=7)
        title = name
        if name in pur.index and np.isfinite(pur.loc[name, "purity"]):
            title += f"  purity {pur.loc[name, 'purity']:.2f}  ploidy {pur.loc[name, 'ploidy']:.2f}"
            if bool(pur.loc[name, "wgd"]):
                title += "  WGD"
        ax.set_title(title, fontsize=8, loc="left")
        called = seg["total_cn"].notna().to_numpy()
        if called.any():
            ax2 = ax.twinx()
            tot = seg["total_cn"].to_numpy(float)
            mnr = seg["minor_cn"].to_numpy(float)
            ax2.hlines(np.minimum(tot[called], 8) + 0.05, sx0[called], sx1[called], colors="tab:red", lw=2)
            ax2.hlines(mnr[called] - 0.05, sx0[called], sx1[called], colors="tab:blue", lw=2)
            ax2.set_ylim(-0.5, 8.5)
            ax2.set_ylabel("copies", fontsize=7)
        for c in contigs[1:]:
            ax.axvline(offset[c], c="0.85", lw=0.5)
    axes[-1, 0].set_xticks([offset[c] + length[c] / 2 for c in contigs])
    axes[-1, 0].set_xticklabels(contigs, fontsize=7, rotation=90 if len(contigs) > 30 else 0)
    save_figure(fig, path)


def plot_segments(segments: pd.DataFrame, purity: pd.DataFrame, path: str) -> None:
    """Imported copy number (no bins): per tumour sample the integer total (red) and minor (blue)
    copy number along the genome; a subclonal segment's second state dashed."""
    names = list(pd.unique(segments["sample"]))
    contigs = list(pd.unique(segments["chrom"]))
    length = segments.groupby("chrom", sort=False)["end"].max()
    offset = dict(zip(contigs, np.concatenate([[0], np.cumsum(length[contigs].to_numpy())[:-1]]))) if contigs else {}
    n = max(len(names), 1)
    fig, axes = plt.subplots(n, 1, figsize=(12, 1.6 * n + 0.6), sharex=True, squeeze=False)
    pur = purity.set_index("sample") if len(purity) else pd.DataFrame()
    for ax, name in zip(axes[:, 0], names):
        seg = segments[segments["sample"] == name]
        x0 = seg["start"].to_numpy() + seg["chrom"].map(offset).to_numpy()
        x1 = seg["end"].to_numpy() + seg["chrom"].map(offset).to_numpy()
        tot = pd.to_numeric(seg["total_cn"], errors="coerce").to_numpy(float)
        mnr = pd.to_numeric(seg["minor_cn"], errors="coerce").to_numpy(float)
        ax.hlines(np.minimum(tot, 8) + 0.05, x0, x1, colors="tab:red", lw=2)
        ax.hlines(mnr - 0.05, x0, x1, colors="tab:blue", lw=2)
        if "major_cn_2" in seg:
            t2 = (pd.to_numeric(seg["major_cn_2"], errors="coerce") + pd.to_numeric(seg["minor_cn_2"], errors="coerce"))
            t2 = t2.to_numpy(float)
            ok = np.isfinite(t2)
            ax.hlines(np.minimum(t2[ok], 8) + 0.15, x0[ok], x1[ok], colors="tab:red", lw=1, linestyles="dashed")
        ax.set_ylim(-0.5, 8.5)
        ax.set_ylabel("copies", fontsize=7)
        title = f"{name} (imported)"
        if name in pur.index and np.isfinite(pur.loc[name, "purity"]):
            title += f"  purity {pur.loc[name, 'purity']:.2f}  ploidy {pur.loc[name, 'ploidy']:.2f}"
            if bool(pur.loc[name, "wgd"]):
                title += "  WGD"
        ax.set_title(title, fontsize=8, loc="left")
        for c in contigs[1:]:
            ax.axvline(offset[c], c="0.85", lw=0.5)
    if contigs:
        axes[-1, 0].set_xticks([offset[c] + length[c] / 2 for c in contigs])
        axes[-1, 0].set_xticklabels(contigs, fontsize=7, rotation=90 if len(contigs) > 30 else 0)
    save_figure(fig, path)
