"""Heterogeneity metrics of one patient (docs/methods/report.md), each a plain function of tables that
both the workflow's results and the simulator's truth provide, so the same code scores both.

Definitions (also shown in the report):
- clonal / subclonal fraction: share of the patient's mutations that are clonal in every region
  where present and present everywhere (truncal), and the rest;
- truncal / shared / private: present in every region / in more than one but not all / in one;
- MATH: 100 x MAD / median of the sample's tumour VAFs (MAD scaled by 1.4826, Mroz & Rocco);
- Shannon (natural log) and Simpson (1 - sum p^2) diversity of the clone proportions of a sample
  (the fractions of its tumour cells that are each clone's own);
- clones per sample: clones with at least `min_fraction` of the sample's tumour cells;
- pairwise divergence: Jaccard distance of two regions' mutation sets;
- wGII: per sample, the fraction of each autosome whose total copy number differs from the
  sample's rounded ploidy, averaged over autosomes (Burrell 2013);
- region-discordant copy number: fraction of the autosomal genome whose total copy number is not
  the same in every region;
- genetic vs physical distance: Spearman correlation of pairwise divergence with the Euclidean
  distance between region coordinates (NaN with fewer than three regions with coordinates).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy import stats

MAD_SCALE = 1.4826


def mutation_classes(presence: pd.DataFrame) -> pd.Series:
    """presence: mutations x regions (bool). truncal / shared / private / absent per mutation."""
    n = presence.sum(axis=1)
    k = presence.shape[1]
    out = np.where(n == 0, "absent", np.where(n == k, "truncal", np.where(n == 1, "private", "shared")))
    if k == 1:
        out = np.where(n == 1, "truncal", "absent")
    return pd.Series(out, index=presence.index)


def class_counts(presence: pd.DataFrame) -> dict:
    """Counts of truncal / shared / private mutations, and per region its private ones."""
    cls = mutation_classes(presence)
    out = {f"mutations_{c}": int((cls == c).sum()) for c in ("truncal", "shared", "private")}
    out["private_by_region"] = {str(r): int((presence[r] & (cls == "private")).sum()) for r in presence.columns}
    return out


def clonal_fraction(presence: pd.DataFrame, clonal: pd.DataFrame) -> float:
    """Share of present mutations that are clonal in every region (clonal: mutations x regions)."""
    present = presence.any(axis=1)
    if not present.any():
        return float("nan")
    everywhere = (presence & clonal).sum(axis=1) == presence.shape[1]
    return float(everywhere[present].mean())


def math_score(vaf: np.ndarray) -> float:
    vaf = np.asarray(vaf, dtype=float)
    vaf = vaf[np.isfinite(vaf) & (vaf > 0)]
    if len(vaf) < 2:
        return float("nan")
    med = float(np.median(vaf))
    return 100.0 * MAD_SCALE * float(np.median(np.abs(vaf - med))) / med


def diversity(fractions: np.ndarray) -> tuple[float, float]:
    """(Shannon, Simpson) of proportions (renormalised; zeros ignored)."""
    p = np.asarray(fractions, dtype=float)
    p = p[p > 0]
    if not len(p):
        return float("nan"), float("nan")
    p = p / p.sum()
    return float(-(p * np.log(p)).sum()), float(1.0 - (p ** 2).sum())


def jaccard_distance(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(1.0 - np.logical_and(a, b).sum() / union) if union else float("nan")


def pairwise_divergence(presence: pd.DataFrame) -> dict[str, float]:
    return {f"{a}|{b}": jaccard_distance(presence[a].to_numpy(), presence[b].to_numpy())
            for a, b in itertools.combinations(presence.columns, 2)}


def _autosomes(segments: pd.DataFrame) -> pd.DataFrame:
    chrom = segments["chrom"].astype(str).str.replace("chr", "", regex=False)
    return segments[~chrom.isin(["X", "Y", "M", "MT"])]


def wgii(segments: pd.DataFrame, ploidy: float) -> float:
    """segments of one sample: chrom, start, end (1-based inclusive), total_cn."""
    seg = _autosomes(segments)
    if seg.empty or not np.isfinite(ploidy):
        return float("nan")
    base = int(round(ploidy))
    length = (seg["end"] - seg["start"] + 1).astype(float)
    altered = length * (seg["total_cn"].round().astype(int) != base)
    per_chrom = altered.groupby(seg["chrom"]).sum() / length.groupby(seg["chrom"]).sum()
    return float(per_chrom.mean())


def discordant_cn_fraction(segments: pd.DataFrame) -> float:
    """Fraction of the autosomal genome whose total copy number differs between regions
    (segments of every region: sample, chrom, start, end, total_cn)."""
    seg = _autosomes(segments)
    if seg["sample"].nunique() < 2:
        return float("nan")
    total = discordant = 0.0
    for chrom, c in seg.groupby("chrom"):
        edges = np.unique(np.concatenate([c["start"].to_numpy(), c["end"].to_numpy() + 1]))
        mids = (edges[:-1] + edges[1:]) / 2
        widths = np.diff(edges).astype(float)
        states = []
        for _, s in c.groupby("sample"):
            i = np.searchsorted(s["start"].to_numpy(), mids, side="right") - 1
            ok = (i >= 0) & (mids <= s["end"].to_numpy()[np.clip(i, 0, None)])
            states.append(np.where(ok, s["total_cn"].round().to_numpy()[np.clip(i, 0, None)], np.nan))
        states = np.array(states)
        covered = np.isfinite(states).all(axis=0)
        st = states[:, covered]
        total += widths[covered].sum()
        discordant += widths[covered][st.max(axis=0) != st.min(axis=0)].sum() if st.size else 0.0
    return float(discordant / total) if total else float("nan")


def pair_distances(divergence: dict[str, float], coords: pd.DataFrame) -> tuple[list[float], list[float]]:
    """(genetic divergence, physical distance) of every pair of regions that both have x/y
    coordinates and a finite divergence (coords: sample, x, y)."""
    xy = coords.dropna(subset=["x", "y"]).set_index("sample")
    g, d = [], []
    for pair, div in divergence.items():
        a, b = pair.split("|")
        if a in xy.index and b in xy.index and np.isfinite(div):
            g.append(div)
            d.append(float(np.hypot(xy.at[a, "x"] - xy.at[b, "x"], xy.at[a, "y"] - xy.at[b, "y"])))
    return g, d


def distance_correlation(divergence: dict[str, float], coords: pd.DataFrame) -> float:
    """Spearman correlation of genetic divergence with physical distance (coords: sample, x, y)."""
    g, d = pair_distances(divergence, coords)
    if len(g) < 3 or len(set(g)) < 2 or len(set(d)) < 2:
        return float("nan")
    return float(stats.spearmanr(g, d).statistic)


def sample_metrics(vaf: pd.DataFrame, proportions: pd.DataFrame, min_fraction: float = 0.05) -> pd.DataFrame:
    """Per sample: MATH (vaf: sample, vaf of present mutations), Shannon, Simpson and clones
    present (proportions: sample, clone, fraction of tumour cells that are the clone's own)."""
    rows = []
    for s in sorted(set(vaf["sample"]) | set(proportions["sample"])):
        p = proportions.loc[proportions["sample"] == s, "fraction"].to_numpy(float)
        sh, si = diversity(p)
        rows.append(dict(sample=s, math=math_score(vaf.loc[vaf["sample"] == s, "vaf"].to_numpy()),
                         shannon=sh, simpson=si, clones=int((p / p.sum() >= min_fraction).sum()) if p.sum() else 0))
    return pd.DataFrame(rows, columns=["sample", "math", "shannon", "simpson", "clones"])
