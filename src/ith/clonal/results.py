"""From a fit to tables: PyClone-VI's results file, cluster posteriors and per-mutation CCFs.

Everything after the fit works from hard cluster labels and the input, so it applies the
same way to our engine's labels and to a real PyClone-VI results file: a cluster's CCF
posterior in a sample is the normalised product of its mutations' grid likelihoods
(the exact q(theta) update given the labels), and a mutation's own CCF posterior is its
likelihood under a flat prior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from ith.clonal.data import ClonalData
from ith.clonal.vi import VIFit


def relabel(labels: np.ndarray) -> np.ndarray:
    """Cluster ids 0.. by decreasing size, ties by first appearance; -1 stays -1."""
    used = [c for c in dict.fromkeys(labels.tolist()) if c >= 0]
    sizes = {c: int((labels == c).sum()) for c in used}
    order = sorted(used, key=lambda c: (-sizes[c], used.index(c)))
    mapping = {c: i for i, c in enumerate(order)}
    return np.array([mapping.get(c, -1) for c in labels.tolist()], dtype=np.int64)


def grid_summary(log_post: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of grid posteriors (..., G) given as logs."""
    p = np.exp(log_post - logsumexp(log_post, axis=-1, keepdims=True))
    mean = p @ grid
    var = np.maximum(p @ grid ** 2 - mean ** 2, 0.0)
    return mean, np.sqrt(var)


def grid_quantiles(log_post: np.ndarray, grid: np.ndarray, qs: tuple[float, ...]) -> list[np.ndarray]:
    """Quantiles of grid posteriors: the first grid point whose cumulative mass reaches q."""
    p = np.exp(log_post - logsumexp(log_post, axis=-1, keepdims=True))
    cdf = np.cumsum(p, axis=-1)
    return [grid[np.minimum((cdf < q - 1e-12).sum(axis=-1), grid.size - 1)] for q in qs]


def results_frame(mutation_ids, sample_ids: list[str], labels: np.ndarray, prob: np.ndarray,
                  mean: np.ndarray, std: np.ndarray) -> pd.DataFrame:
    """PyClone-VI's results file: one row per mutation x sample with its cluster, the cluster's
    CCF mean/std in that sample ((N, D) arrays) and the assignment probability."""
    n, d = len(mutation_ids), len(sample_ids)
    return pd.DataFrame({
        "mutation_id": np.repeat(np.asarray(mutation_ids, dtype=object), d),
        "sample_id": np.tile(sample_ids, n),
        "cluster_id": np.repeat(labels, d),
        "cellular_prevalence": mean.reshape(-1),
        "cellular_prevalence_std": std.reshape(-1),
        "cluster_assignment_prob": np.repeat(prob, d),
    })


def pyclone_table(data: ClonalData, fit: VIFit, grid: np.ndarray) -> pd.DataFrame:
    """PyClone-VI's results file from our fit: MAP cluster, its CCF mean/std, assignment probability."""
    raw = fit.resp.argmax(axis=1)
    mean, std = grid_summary(fit.log_theta, grid)  # (K, D)
    return results_frame(data.mutation_ids, data.sample_ids, relabel(raw), fit.resp[np.arange(raw.size), raw],
                         mean[raw], std[raw])


def labels_from_table(data: ClonalData, table: pd.DataFrame, path: str = "clusters") -> np.ndarray:
    """Cluster label per input mutation from a PyClone-VI results file; -1 where absent."""
    need = {"mutation_id", "cluster_id"}
    if not need <= set(table.columns):
        raise ValueError(f"{path}: a PyClone-VI results file needs columns {sorted(need)}")
    first = table.drop_duplicates("mutation_id").set_index("mutation_id")["cluster_id"]
    labels = first.reindex(data.mutation_ids)
    return labels.fillna(-1).astype(np.int64).to_numpy()


@dataclass
class Clusters:
    """Clusters given hard labels: their grid posteriors per sample and sizes."""

    ids: np.ndarray        # (K,) cluster ids as labelled
    log_post: np.ndarray   # (K, D, G)
    sizes: np.ndarray      # (K,)


def clusters_from_labels(L: np.ndarray, labels: np.ndarray, n_samples: int, n_grid: int) -> Clusters:
    ids = np.array(sorted(c for c in set(labels.tolist()) if c >= 0), dtype=np.int64)
    onehot = (labels[None, :] == ids[:, None]).astype(float)  # (K, N)
    log_post = (onehot @ L).reshape(ids.size, n_samples, n_grid)
    log_post -= logsumexp(log_post, axis=2, keepdims=True)
    return Clusters(ids=ids, log_post=log_post, sizes=onehot.sum(axis=1).astype(np.int64))


def assign(L: np.ndarray, clusters: Clusters, alpha0: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Most probable cluster of each mutation given fixed clusters (the q(z) update) and its probability."""
    k = clusters.ids.size
    theta = np.exp(clusters.log_post).reshape(k, -1)
    score = L @ theta.T + np.log(clusters.sizes + alpha0)[None, :]
    resp = np.exp(score - logsumexp(score, axis=1, keepdims=True))
    best = resp.argmax(axis=1)
    return clusters.ids[best], resp[np.arange(best.size), best]


def own_log_posterior(L: np.ndarray, n_samples: int, n_grid: int) -> np.ndarray:
    """log CCF posterior (N, D, G) of each mutation from its own reads under a flat prior.

    (With its cluster as the prior, leave-one-out, a member's posterior would be the
    cluster's; the point of a per-mutation CCF is the mutation's own evidence.)
    """
    lp = L.reshape(L.shape[0], n_samples, n_grid)
    return lp - logsumexp(lp, axis=2, keepdims=True)
