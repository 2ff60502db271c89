"""The report's own figures (the stages' figures are inlined as they are). Each function takes
tables and returns a matplotlib Figure, or None when there is nothing to draw."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: E402
from matplotlib.patches import Patch, Wedge  # noqa: E402

from ith.io.figures import clone_colour  # noqa: E402
from ith.report.metrics import pair_distances  # noqa: E402

CALL_LEVEL = {"absent": 0, "subclonal": 1, "clonal": 2}
CALL_COLOURS = ["#f4f4f4", "#9ecae1", "#08519c"]
CN_COLOURS = ["#2166ac", "#92c5de", "#e0e0e0", "#f4a582", "#d6604d", "#b2182b", "#67001f"]  # 0 .. 6+


def _short(sample: str, patient: str) -> str:
    return sample[len(patient) + 1:] if sample.startswith(patient + "-") else sample


def sharing_heatmap(mutations: pd.DataFrame, regions: list[str], patient: str):
    """Mutations (rows, grouped by cluster) x regions: absent / subclonal / clonal."""
    m = mutations[mutations["sample"].isin(regions)]
    if m.empty or len(regions) < 2:  # one region: the CCF figures say the same
        return None
    calls = m.pivot_table(index="mutation_id", columns="sample", values="call", aggfunc="first")
    calls = calls.reindex(columns=regions).fillna("absent")
    level = calls.apply(lambda c: c.map(CALL_LEVEL)).fillna(0).astype(int)
    level = level[level.sum(axis=1) > 0]
    if level.empty:
        return None
    cluster = m.groupby("mutation_id")["cluster_id"].first().reindex(level.index)
    order = pd.DataFrame({"cluster": cluster.fillna(-1), "n": (level > 0).sum(axis=1), "id": level.index})
    order = order.sort_values(["cluster", "n", "id"], ascending=[True, False, True])
    level = level.loc[order.index]
    fig, (ax_c, ax) = plt.subplots(1, 2, figsize=(1.6 + 0.7 * len(regions), 6.0), sharey=True,
                                   gridspec_kw={"width_ratios": [0.25, max(1, len(regions))]})
    ax.imshow(level.to_numpy(), aspect="auto", interpolation="nearest", cmap=ListedColormap(CALL_COLOURS),
              vmin=0, vmax=2)
    ax.set_xticks(range(len(regions)), [_short(r, patient) for r in regions], rotation=90)
    ax.set_yticks([])
    cl = order["cluster"].to_numpy()
    colours = [matplotlib.colors.to_rgb(clone_colour(int(c)) if c >= 0 else "#ffffff") for c in cl]
    ax_c.imshow(np.array(colours)[:, None, :], aspect="auto", interpolation="nearest")
    ax_c.set_xticks([])
    ax_c.set_ylabel(f"{len(level)} mutations, grouped by cluster")
    starts = np.r_[0, np.flatnonzero(np.diff(cl)) + 1]
    ax_c.set_yticks(starts + np.diff(np.r_[starts, len(cl)]) / 2, [str(int(c)) if c >= 0 else "–" for c in cl[starts]],
                    fontsize=7)
    ax.legend(handles=[Patch(color=c, label=k) for k, c in zip(CALL_LEVEL, CALL_COLOURS)], loc="upper center",
              bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=8, frameon=False)
    ax.set_title(f"{patient}: mutations by region", fontsize=10)
    return fig


def upset(presence: pd.DataFrame, patient: str, max_sets: int = 20):
    """Counts of mutations per exact set of regions (upset-style), largest first."""
    present = presence[presence.any(axis=1)]
    if present.empty or presence.shape[1] < 2:
        return None
    regions = list(presence.columns)
    keys = present.apply(lambda r: tuple(bool(v) for v in r), axis=1)
    counts = keys.value_counts()
    counts = counts.sort_values(ascending=False, kind="stable")
    shown = counts.iloc[:max_sets]
    fig, (ax, ax_m) = plt.subplots(2, 1, figsize=(max(4.5, 0.45 * len(shown) + 2), 2.6 + 0.3 * len(regions)),
                                   sharex=True, gridspec_kw={"height_ratios": [2.2, 0.3 * len(regions) + 0.3]})
    x = np.arange(len(shown))
    nreg = np.array([sum(k) for k in shown.index])
    bar_colours = ["#08519c" if n == len(regions) else "#6baed6" if n > 1 else "#fd8d3c" for n in nreg]
    ax.bar(x, shown.to_numpy(), color=bar_colours)
    for xi, v in zip(x, shown.to_numpy()):
        ax.text(xi, v, str(int(v)), ha="center", va="bottom", fontsize=7)
    ax.set_ylabel("mutations")
    extra = f" ({len(counts) - len(shown)} smaller sets not shown)" if len(counts) > len(shown) else ""
    ax.set_title(f"{patient}: mutations shared by exactly these regions{extra}", fontsize=10)
    ax.legend(handles=[Patch(color="#08519c", label="all regions"), Patch(color="#6baed6", label="shared"),
                       Patch(color="#fd8d3c", label="private")], fontsize=8, frameon=False)
    for xi, key in enumerate(shown.index):
        on = [i for i, v in enumerate(key) if v]
        ax_m.scatter([xi] * len(regions), range(len(regions)), s=18, color="#d9d9d9")
        ax_m.scatter([xi] * len(on), on, s=22, color="#252525")
        if len(on) > 1:
            ax_m.plot([xi, xi], [min(on), max(on)], color="#252525", lw=1.2)
    ax_m.set_yticks(range(len(regions)), [_short(r, patient) for r in regions], fontsize=8)
    ax_m.set_ylim(len(regions) - 0.5, -0.5)
    ax_m.set_xticks([])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def ccf_heatmap(clusters: pd.DataFrame, samples: list[str], patient: str):
    """Clusters x samples: mean cancer cell fraction, with its call."""
    c = clusters[clusters["sample"].isin(samples)]
    if c.empty:
        return None
    ccf = c.pivot_table(index="cluster_id", columns="sample", values="ccf", aggfunc="first").reindex(columns=samples)
    n = c.groupby("cluster_id")["n_mutations"].first().reindex(ccf.index)
    art = c.groupby("cluster_id")["artefact"].first().astype(str).str.lower().eq("true").reindex(ccf.index)
    fig, ax = plt.subplots(figsize=(1.8 + 0.75 * len(samples), 0.9 + 0.38 * len(ccf)))
    im = ax.imshow(ccf.to_numpy(float), aspect="auto", cmap="Purples", vmin=0, vmax=1)
    for i in range(ccf.shape[0]):
        for j in range(ccf.shape[1]):
            v = ccf.iat[i, j]
            if np.isfinite(v):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="white" if v > 0.6 else "black")
    ax.set_xticks(range(len(samples)), [_short(s, patient) for s in samples], rotation=90)
    ax.set_yticks(range(len(ccf)), [f"{k} (n={int(n[k])}){' artefact' if art[k] else ''}" for k in ccf.index],
                  fontsize=8)
    for lab, k in zip(ax.get_yticklabels(), ccf.index):
        lab.set_color(clone_colour(int(k)))
    fig.colorbar(im, ax=ax, fraction=0.04, label="cancer cell fraction")
    ax.set_title(f"{patient}: cluster CCF per sample", fontsize=10)
    return fig


def composition(proportions: pd.DataFrame, samples: list[str], patient: str):
    """Stacked bars per sample: each clone's own share of all cells, normal cells in grey."""
    p = proportions[proportions["sample"].isin(samples)]
    if p.empty:
        return None
    wide = p.pivot_table(index="sample", columns="clone", values="fraction", aggfunc="first").reindex(samples)
    wide = wide.fillna(0.0)
    clones = sorted([c for c in wide.columns if c not in ("normal", "unassigned")], key=int)
    clones += [c for c in ("unassigned", "normal") if c in wide.columns]
    fig, ax = plt.subplots(figsize=(2.5 + 0.6 * len(samples), 3.6))
    bottom = np.zeros(len(samples))
    for c in clones:
        v = wide[c].to_numpy(float)
        ax.bar(range(len(samples)), v, bottom=bottom, color=clone_colour(c),
               label=f"clone {c}" if c not in ("normal", "unassigned") else c, edgecolor="white", linewidth=0.3)
        bottom += v
    ax.set_xticks(range(len(samples)), [_short(s, patient) for s in samples], rotation=90)
    ax.set_ylabel("fraction of cells")
    ax.set_ylim(0, 1.0)
    ax.legend(fontsize=7, frameon=False, bbox_to_anchor=(1.01, 1), loc="upper left")
    ax.set_title(f"{patient}: clone composition", fontsize=10)
    return fig


def _genome_offsets(segments: pd.DataFrame) -> tuple[dict[str, int], list[tuple[str, int, int]]]:
    ends = segments.groupby("chrom", sort=False)["end"].max()
    order = sorted(ends.index, key=_chrom_key)
    offsets, spans, pos = {}, [], 0
    for c in order:
        offsets[c] = pos
        spans.append((c, pos, pos + int(ends[c])))
        pos += int(ends[c])
    return offsets, spans


def _chrom_key(c: str):
    s = str(c).replace("chr", "")
    return (0, int(s), "") if s.isdigit() else (1, 0, s)


def cn_genome(segments: pd.DataFrame, samples: list[str], patient: str):
    """One row per region: total copy number along the genome (subclonal segments hatched)."""
    seg = segments[segments["sample"].isin(samples)]
    if seg.empty:
        return None
    offsets, spans = _genome_offsets(seg)
    fig, ax = plt.subplots(figsize=(10, 0.8 + 0.42 * len(samples)))
    for i, s in enumerate(samples):
        for r in seg[seg["sample"] == s].itertuples(index=False):
            cn = int(min(round(r.total_cn), len(CN_COLOURS) - 1)) if np.isfinite(r.total_cn) else None
            colour = CN_COLOURS[cn] if cn is not None else "white"
            sub = str(getattr(r, "subclonal", "False")).lower() == "true"
            ax.broken_barh([(offsets[r.chrom] + r.start, r.end - r.start + 1)], (i - 0.4, 0.8), facecolors=colour,
                           hatch="///" if sub else None, edgecolor="#555555" if sub else colour, linewidth=0)
    for c, a, b in spans:
        ax.axvline(a, color="black", lw=0.5)
        ax.text((a + b) / 2, -0.75, c.replace("chr", ""), ha="center", va="bottom", fontsize=7)
    ax.set_xlim(0, spans[-1][2])
    ax.set_ylim(len(samples) - 0.5, -0.9)
    ax.set_yticks(range(len(samples)), [_short(s, patient) for s in samples], fontsize=8)
    ax.set_xticks([])
    cmap = ListedColormap(CN_COLOURS)
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=BoundaryNorm(np.arange(-0.5, len(CN_COLOURS)), cmap.N))
    cb = fig.colorbar(sm, ax=ax, fraction=0.03, ticks=range(len(CN_COLOURS)))
    cb.ax.set_yticklabels([str(k) for k in range(len(CN_COLOURS) - 1)] + [f"{len(CN_COLOURS) - 1}+"], fontsize=7)
    cb.set_label("total copy number", fontsize=8)
    ax.set_title(f"{patient}: total copy number of every region (hatched: subclonal)", fontsize=10)
    return fig


def spatial(coords: pd.DataFrame, proportions: pd.DataFrame, patient: str):
    """Regions at their x/y coordinates, each a pie of its clone composition (tumour cells)."""
    xy = coords.dropna(subset=["x", "y"])
    if len(xy) < 2:
        return None
    p = proportions[~proportions["clone"].isin(["normal", "unassigned"])]
    span = max(float(np.ptp(xy["x"].astype(float))), float(np.ptp(xy["y"].astype(float))), 1e-9)
    radius = 0.06 * span
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    shown = set()
    for r in xy.itertuples(index=False):
        x0, y0 = float(r.x), float(r.y)
        f = p[p["sample"] == r.sample].sort_values("clone", key=lambda c: c.astype(int))
        total = float(f["tumour_fraction"].sum())
        start = 90.0
        for c, v in zip(f["clone"], f["tumour_fraction"].astype(float)):
            if total <= 0 or v <= 0:
                continue
            sweep = 360.0 * v / total
            ax.add_patch(Wedge((x0, y0), radius, start, start + sweep, facecolor=clone_colour(c), edgecolor="white",
                               linewidth=0.4))
            shown.add(c)
            start += sweep
        if total <= 0:
            ax.add_patch(Wedge((x0, y0), radius, 0, 360, facecolor="white", edgecolor="#999999"))
        ax.text(x0, y0 + radius * 1.25, _short(r.sample, patient), ha="center", va="bottom", fontsize=8)
    pad = radius * 2.2
    ax.set_xlim(xy["x"].astype(float).min() - pad, xy["x"].astype(float).max() + pad)
    ax.set_ylim(xy["y"].astype(float).min() - pad, xy["y"].astype(float).max() + pad)
    ax.set_aspect("equal")
    ax.set_xlabel("x (mm)")
    ax.set_ylabel("y (mm)")
    ax.legend(handles=[Patch(color=clone_colour(c), label=f"clone {c}") for c in sorted(shown, key=int)],
              fontsize=7, frameon=False, bbox_to_anchor=(1.01, 1), loc="upper left")
    ax.set_title(f"{patient}: regions in space, clone composition", fontsize=10)
    return fig


def distance_scatter(divergence: dict[str, float], coords: pd.DataFrame, rho: float, patient: str):
    """Genetic divergence of each pair of regions against their physical distance."""
    div, dist = pair_distances(divergence, coords)
    if len(div) < 2:
        return None
    fig, ax = plt.subplots(figsize=(4.2, 3.4))
    ax.scatter(dist, div, s=22, color="#3182bd")
    ax.set_xlabel("physical distance (mm)")
    ax.set_ylabel("divergence (Jaccard)")
    ax.set_title(f"{patient}: Spearman rho = {rho:.2f}" if np.isfinite(rho) else f"{patient}: too few pairs for rho",
                 fontsize=10)
    return fig


def parse_newick(text: str) -> dict:
    """A Newick tree as nested dicts {name, length, children} (names without quotes or spaces)."""
    s = text.strip().rstrip(";")
    if not s:
        return {"name": "", "length": 0.0, "children": []}
    pos = 0

    def node() -> dict:
        nonlocal pos
        children = []
        if s[pos] == "(":
            pos += 1
            children.append(node())
            while pos < len(s) and s[pos] == ",":
                pos += 1
                children.append(node())
            if pos >= len(s) or s[pos] != ")":
                raise ValueError(f"bad Newick at {pos}: {text!r}")
            pos += 1
        start = pos
        while pos < len(s) and s[pos] not in ",():":
            pos += 1
        name = s[start:pos]
        length = 0.0
        if pos < len(s) and s[pos] == ":":
            pos += 1
            start = pos
            while pos < len(s) and s[pos] not in ",()":
                pos += 1
            length = float(s[start:pos])
        return {"name": name, "length": length, "children": children}

    tree = node()
    if pos != len(s):
        raise ValueError(f"bad Newick at {pos}: {text!r}")
    return tree


def region_tree(newick: str, patient: str):
    """The region phylogeny drawn rectangular: horizontal branch lengths in mutations."""
    tree = parse_newick(newick)
    tips: list[tuple[str, float, float]] = []
    lines: list[tuple[float, float, float, float, float]] = []  # x0, x1, y, length shown, vertical span

    def place(n: dict, x0: float) -> float:
        x1 = x0 + n["length"]
        if not n["children"]:
            y = float(len(tips))
            tips.append((n["name"], x1, y))
        else:
            ys = [place(c, x1) for c in n["children"]]
            y = (min(ys) + max(ys)) / 2
            lines.append((x1, x1, min(ys), -1.0, max(ys)))
        lines.append((x0, x1, y, n["length"], y))
        return y

    place(tree, 0.0)
    if len(tips) < 2:
        return None
    width = max(t[1] for t in tips) or 1.0
    fig, ax = plt.subplots(figsize=(6.5, 0.9 + 0.42 * len(tips)))
    for x0, x1, y, length, y2 in lines:
        if length < 0:
            ax.plot([x0, x1], [y, y2], color="#333333", lw=1.3)
        else:
            ax.plot([x0, x1], [y, y], color="#333333", lw=1.3)
            if length > 0:
                ax.text((x0 + x1) / 2, y - 0.12, f"{length:g}", ha="center", va="bottom", fontsize=7, color="#08519c")
    for name, x, y in tips:
        ax.text(x + 0.01 * width, y, _short(name, patient), va="center", fontsize=8)
    ax.set_ylim(len(tips) - 0.4, -0.8)
    ax.set_xlim(-0.02 * width, width * 1.15)
    ax.set_yticks([])
    ax.set_xlabel("mutations")
    for side in ("left", "top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"{patient}: region tree (branch lengths: mutations gained)", fontsize=10)
    return fig
