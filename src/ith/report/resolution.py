"""What the mutation counts can resolve: an exome or a panel gives tens to a few hundred somatic
mutations where a genome gives thousands, and that bounds the clones that can be seen at all and
how close in cell fraction two of them can be and still be told apart.

Two numbers per patient and region, both from the clonal stage's mutation table:
- the smallest clone the clustering can report carries `min_cluster_size` mutations (smaller
  clusters are merged or dropped), i.e. a share min_cluster_size / mutations of the patient's
  mutations;
- the smallest CCF difference at which two clusters of that size in a region are told apart:
  the pooled VAF of k mutations at depth d has standard error sqrt(v (1 - v) / (k d)), a CCF
  step moves the VAF by p / (p C + n0 (1 - p)), and a difference is seen with 80% power at the
  5% level (two-sided) when it exceeds (1.96 + 0.84) x sqrt(2) standard errors. Binomial
  counting only: over-dispersion and copy-number uncertainty make the real separation wider.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

Z_SEPARATION = (1.959964 + 0.841621) * np.sqrt(2.0)  # 5% two-sided test, 80% power, two estimates


@dataclass(frozen=True)
class RegionResolution:
    region: str
    mutations: int  # present in the region
    median_depth: float  # at those mutations
    purity: float
    total_cn: float  # median total copy number at those mutations (2 where none is known)
    ccf_separation: float  # at min_cluster_size mutations per cluster, worst case (CCF 0.5)


def ccf_separation(k: int, depth: float, purity: float, total_cn: float = 2.0, normal_cn: float = 2.0,
                   ccf: float = 0.5) -> float:
    """Smallest CCF difference between two clusters of k mutations each, at `ccf`, seen with 80%
    power (binomial counting); inf when nothing is measurable."""
    if k <= 0 or not depth > 0 or not purity > 0:
        return float("inf")
    denom = purity * total_cn + normal_cn * (1.0 - purity)
    v = purity * ccf / denom
    se_vaf = np.sqrt(v * (1.0 - v) / (k * depth))
    return float(Z_SEPARATION * se_vaf * denom / purity)


def _median(x: pd.Series, default: float) -> float:
    x = pd.to_numeric(x, errors="coerce").dropna()
    return float(x.median()) if len(x) else default


def region_resolution(mutations: pd.DataFrame, regions: list[str], k: int) -> list[RegionResolution]:
    """Per region, from the clonal stage's mutation table (one row per mutation and sample)."""
    out = []
    for r in regions:
        rows = mutations[(mutations["sample"] == r) & (mutations["present"].astype(str).str.lower() == "true")] \
            if not mutations.empty else mutations
        if rows.empty:
            out.append(RegionResolution(r, 0, float("nan"), float("nan"), float("nan"), float("inf")))
            continue
        depth = _median(rows["depth"], float("nan"))
        purity = _median(rows["purity"], float("nan"))
        cn = pd.to_numeric(rows["major_cn"], errors="coerce") + pd.to_numeric(rows["minor_cn"], errors="coerce")
        total = _median(cn, 2.0)
        normal = _median(rows["normal_cn"], 2.0) if "normal_cn" in rows else 2.0
        out.append(RegionResolution(r, int(rows["mutation_id"].nunique()), depth, purity, total,
                                    ccf_separation(k, depth, purity, total, normal)))
    return out


def resolution(mutations: pd.DataFrame, regions: list[str], n_mutations: int, min_cluster_size: int) -> dict:
    """The metrics.json block: smallest resolvable clone share and per-region CCF separation."""
    per = region_resolution(mutations, regions, min_cluster_size)
    return {"mutations": n_mutations, "min_cluster_size": min_cluster_size,
            "smallest_clone_share": (min_cluster_size / n_mutations) if n_mutations else None,
            "regions": {x.region: {"mutations": x.mutations, "median_depth": x.median_depth, "purity": x.purity,
                                   "total_cn": x.total_cn, "ccf_separation": x.ccf_separation} for x in per}}


def resolution_limits(res: dict, max_share: float, max_separation: float) -> list[str]:
    """Sentences for the limitations box when the counts limit what the clones can show."""
    out = []
    share, n, k = res.get("smallest_clone_share"), res["mutations"], res["min_cluster_size"]
    if share is not None and share > max_share:
        out.append(f"Only {n} mutations (as few as an exome or a panel yields): a clone is reported only if it carries at least {k} "
                   f"of them, i.e. {share:.0%} of the patient's mutations; clones with fewer are not resolved.")
    coarse = {r: v["ccf_separation"] for r, v in res["regions"].items() if v["ccf_separation"] > max_separation}
    if coarse:
        worst = ", ".join(f"{r} {s:.2f}" if np.isfinite(s) else f"{r} (no mutations)" for r, s in coarse.items())
        out.append(f"Clusters of {k} mutations are told apart only when their cancer cell fractions differ by more than "
                   f"{max_separation:g} in: {worst} (80% power at these depths and purities); closer subclones merge.")
    return out
