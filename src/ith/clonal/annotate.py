"""Post-processing the field does by hand, and the per-mutation and per-cluster tables.

Small clusters are merged into the cluster that explains their mutations best (or dropped,
or kept with a flag); clusters that look like artefacts are flagged; every mutation x sample
gets its own CCF with an interval, its multiplicity given its cluster, and a call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ith.clonal.data import ClonalData
from ith.clonal.likelihood import multiplicity
from ith.clonal.results import (Clusters, assign, clusters_from_labels, grid_quantiles, grid_summary,
                                own_log_posterior, relabel, results_frame)

log = logging.getLogger(__name__)


@dataclass
class PostParams:
    min_cluster_size: int = 1
    small_clusters: str = "merge"   # merge | drop | keep
    clonal_ccf: float = 0.9         # cluster CCF median at or above: clonal in that sample
    absent_ccf: float = 0.05        # cluster CCF median below: absent in that sample
    artefact_ccf: float = 0.1       # upper 95% bound below this in every sample: near zero everywhere
    low_depth_fraction: float = 0.5  # median depth below this fraction of the patient's: low depth
    mix_weight_prior: float = 1.0


@dataclass
class Annotated:
    labels: np.ndarray      # (N,) final cluster ids 0.. by size, -1 = dropped
    assign_prob: np.ndarray  # (N,)
    clusters: Clusters
    merged: dict[int, int]  # original cluster id -> cluster it went into (-1 dropped)


def postprocess(L: np.ndarray, labels: np.ndarray, prob: np.ndarray, n_samples: int, n_grid: int,
                params: PostParams) -> Annotated:
    """Apply the minimum cluster size, one cluster at a time from the smallest, and relabel by size."""
    if params.small_clusters not in ("merge", "drop", "keep"):
        raise ValueError("small_clusters must be merge, drop or keep")
    labels = labels.copy()
    prob = prob.copy()
    merged: dict[int, int] = {}
    while params.small_clusters != "keep":
        clusters = clusters_from_labels(L, labels, n_samples, n_grid)
        small = clusters.sizes < params.min_cluster_size
        # never remove the last cluster
        if not small.any() or clusters.ids.size <= 1:
            break
        victim = int(clusters.ids[np.lexsort((-clusters.ids, clusters.sizes))[0]])
        members = labels == victim
        if params.small_clusters == "drop":
            labels[members] = -1
            prob[members] = np.nan
            merged[victim] = -1
            continue
        keep = clusters.ids != victim
        rest = Clusters(clusters.ids[keep], clusters.log_post[keep], clusters.sizes[keep])
        new, p = assign(L[members], rest, params.mix_weight_prior)
        labels[members] = new
        prob[members] = p
        merged[victim] = int(np.bincount(new).argmax())
    final = relabel(labels)
    mapping = {int(o): int(f) for o, f in zip(labels, final) if o >= 0}
    merged = {o: mapping.get(t, -1) if t >= 0 else -1 for o, t in merged.items()}
    return Annotated(labels=final, assign_prob=prob,
                     clusters=clusters_from_labels(L, final, n_samples, n_grid), merged=merged)


def pyclone_output(data: ClonalData, ann: Annotated, grid: np.ndarray) -> pd.DataFrame:
    """The PyClone-VI results file (kept mutations only), CCFs from the final clusters."""
    mean, std = grid_summary(ann.clusters.log_post, grid)
    keep = np.flatnonzero(ann.labels >= 0)
    idx = np.searchsorted(ann.clusters.ids, ann.labels[keep])
    return results_frame(np.asarray(data.mutation_ids, dtype=object)[keep], data.sample_ids, ann.labels[keep],
                         ann.assign_prob[keep], mean[idx], std[idx])


def _median_depth(data: ClonalData, rows: np.ndarray) -> float:
    depth = (data.ref + data.alt)[rows][data.observed[rows]]
    return float(np.median(depth)) if depth.size else 0.0


def cluster_table(data: ClonalData, ann: Annotated, grid: np.ndarray, params: PostParams) -> pd.DataFrame:
    """Per cluster x sample: size, CCF mean/std/95% interval, call, median depth and flags."""
    cl = ann.clusters
    mean, std = grid_summary(cl.log_post, grid)
    low, median, high = grid_quantiles(cl.log_post, grid, (0.025, 0.5, 0.975))
    all_depth = _median_depth(data, np.ones(data.n_mutations, bool))
    rows = []
    for i, cid in enumerate(cl.ids.tolist()):
        members = ann.labels == cid
        depth = _median_depth(data, members)
        flags = []
        near_zero = bool((high[i] < params.artefact_ccf).all())
        if near_zero:
            flags.append("near_zero")
        if depth < params.low_depth_fraction * all_depth:
            flags.append("low_depth")
        if cl.sizes[i] < params.min_cluster_size:
            flags.append("small")
        # near zero everywhere is an artefact only with a second sign (few mutations, or low depth as
        # at mapping artefacts): a minor clone seen at a few % VAF in every region, which only
        # pooling the regions could call, has as many mutations at full depth
        artefact = near_zero and ("low_depth" in flags or "small" in flags)
        for j, sample in enumerate(data.sample_ids):
            rows.append({
                "cluster_id": cid, "sample_id": sample, "n_mutations": int(cl.sizes[i]),
                "ccf": mean[i, j], "ccf_std": std[i, j], "ccf_low": low[i, j], "ccf_high": high[i, j],
                "call": _call(median[i, j], params), "median_depth": depth,
                "artefact": artefact, "flags": ",".join(flags),
            })
    return pd.DataFrame(rows, columns=["cluster_id", "sample_id", "n_mutations", "ccf", "ccf_std", "ccf_low",
                                       "ccf_high", "call", "median_depth", "artefact", "flags"])


def _call(median: np.ndarray | float, params: PostParams):
    return np.where(np.asarray(median) >= params.clonal_ccf, "clonal",
                    np.where(np.asarray(median) < params.absent_ccf, "absent", "subclonal"))[()]


def posterior_table(data: ClonalData, clusters: Clusters, grid: np.ndarray) -> pd.DataFrame:
    """Long table of every cluster's CCF posterior per sample, for the tree search."""
    k, d, g = clusters.log_post.shape
    return pd.DataFrame({
        "cluster_id": np.repeat(clusters.ids, d * g),
        "sample_id": np.tile(np.repeat(data.sample_ids, g), k),
        "ccf": np.tile(grid, k * d),
        "probability": np.exp(clusters.log_post).reshape(-1),
    })


def mutation_table(data: ClonalData, L: np.ndarray, ann: Annotated, grid: np.ndarray, density: str,
                   precision: float, params: PostParams, state_prior: str = "uniform") -> pd.DataFrame:
    """Per mutation x sample: own CCF (mean, 95% interval), cluster CCF, multiplicity and call."""
    n, d, g = data.n_mutations, data.n_samples, grid.size
    own = own_log_posterior(L, d, g)
    ccf, _ = grid_summary(own, grid)
    low, high = grid_quantiles(own, grid, (0.025, 0.975))
    cl = ann.clusters
    has = ann.labels >= 0
    idx = np.searchsorted(cl.ids, np.where(has, ann.labels, cl.ids[0] if cl.ids.size else 0))
    c_mean, _ = grid_summary(cl.log_post, grid) if cl.ids.size else (np.zeros((1, d)), None)
    c_median = grid_quantiles(cl.log_post, grid, (0.5,))[0] if cl.ids.size else np.zeros((1, d))
    # multiplicity: integrate the genotype states over the cluster's CCF posterior, or the
    # mutation's own one when it has no cluster
    weights = np.where(has[:, None, None], np.exp(cl.log_post[idx]) if cl.ids.size else 0.0,
                       np.exp(own)).reshape(n, d * g)
    mult, mult_p = multiplicity(data, grid, np.ascontiguousarray(weights), density, precision, state_prior)
    call = np.where(has[:, None], _call(c_median[idx], params), "unassigned")
    call = np.where(data.observed, call, np.where(has[:, None], call, "no_data"))
    truncal = has & (call == "clonal").all(axis=1)
    minor = np.where(data.major >= 0, data.total - data.major, -1)
    table = pd.DataFrame({
        "mutation_id": np.repeat(data.mutation_ids, d),
        "sample_id": np.tile(data.sample_ids, n),
        "cluster_id": np.repeat(ann.labels, d),
        "cluster_assignment_prob": np.repeat(ann.assign_prob, d),
        "ref_counts": data.ref.reshape(-1), "alt_counts": data.alt.reshape(-1),
        "major_cn": data.major.reshape(-1), "minor_cn": minor.reshape(-1), "total_cn": data.total.reshape(-1),
        "normal_cn": data.normal.reshape(-1), "tumour_content": data.purity.reshape(-1),
        "observed": data.observed.reshape(-1),
        "ccf": np.where(data.observed, ccf, np.nan).reshape(-1),
        "ccf_low": np.where(data.observed, low, np.nan).reshape(-1),
        "ccf_high": np.where(data.observed, high, np.nan).reshape(-1),
        "cluster_ccf": np.where(has[:, None], c_mean[idx], np.nan).reshape(-1),
        "multiplicity": mult.reshape(-1), "multiplicity_prob": mult_p.reshape(-1),
        "call": call.reshape(-1),
        "truncal": np.repeat(truncal, d),
    })
    for col in ("major_cn", "minor_cn", "multiplicity", "cluster_id"):
        table[col] = table[col].astype("Int64").mask(table[col] < 0)
    return table
