"""The clusters the previous (sum-rule) ranking builds trees from: their CCF posteriors per
sample on a grid, from the clonal stage's cluster_posteriors.tsv. Kept as the benchmarks'
baseline (bench/phylogeny.py); the workflow ranks trees by the read counts (ranking.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ith.errors import InputError

PYCLONE_COLUMNS = ["mutation_id", "sample_id", "cluster_id", "cellular_prevalence", "cellular_prevalence_std"]
POSTERIOR_COLUMNS = ["cluster_id", "sample", "ccf", "probability"]


@dataclass
class CloneData:
    clusters: np.ndarray  # (K,) cluster ids
    samples: list[str]
    grid: np.ndarray  # (G,) CCF grid, uniform on 0..1
    post: np.ndarray  # (S, K, G) posterior of each cluster's CCF in each sample
    n_mutations: np.ndarray  # (K,)
    drivers: dict[int, list[str]] = field(default_factory=dict)

    @property
    def mean(self) -> np.ndarray:
        """(S, K) posterior mean CCF."""
        return self.post @ self.grid

    @property
    def sd(self) -> np.ndarray:
        return np.sqrt(np.maximum(self.post @ self.grid**2 - self.mean**2, 0.0))

    def subset(self, keep: np.ndarray) -> "CloneData":
        keep = np.asarray(keep, dtype=bool)
        ids = set(self.clusters[keep].tolist())
        return CloneData(self.clusters[keep], self.samples, self.grid, self.post[:, keep], self.n_mutations[keep],
                         {k: v for k, v in self.drivers.items() if k in ids})


def _uniform_grid(values: np.ndarray, source: str) -> np.ndarray:
    grid = np.sort(np.unique(np.round(values, 6)))
    if len(grid) < 11 or abs(grid[0]) > 1e-6 or abs(grid[-1] - 1) > 1e-6 or np.ptp(np.diff(grid)) > 1e-4:
        raise InputError(f"{source}: column 'ccf' must hold one uniform grid from 0 to 1 (at least 11 points) "
                         f"for every cluster and sample; found {len(grid)} distinct values")
    return np.linspace(0.0, 1.0, len(grid))


def from_posteriors(table: pd.DataFrame, source: str = "cluster_posteriors.tsv",
                    n_mutations: dict[int, int] | None = None) -> CloneData:
    """From the clonal stage's grid posteriors (cluster_id, sample, ccf, probability)."""
    missing = [c for c in POSTERIOR_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"{source}: missing column(s) {', '.join(missing)}; expected {', '.join(POSTERIOR_COLUMNS)}")
    if table.empty:
        return _empty()
    grid = _uniform_grid(table["ccf"].to_numpy(float), source)
    samples = list(dict.fromkeys(table["sample"].astype(str)))
    clusters = np.array(sorted(table["cluster_id"].astype(int).unique()))
    g = len(grid)
    t = table.assign(cluster_id=table["cluster_id"].astype(int), sample=table["sample"].astype(str),
                     i=np.rint(table["ccf"].to_numpy(float) * (g - 1)).astype(int))
    counts = t.groupby(["sample", "cluster_id"]).size()
    if (counts != g).any():
        bad = counts[counts != g].index[0]
        raise InputError(f"{source}: cluster {bad[1]} in sample {bad[0]} has {counts[bad]} grid rows, expected {g}")
    post = np.zeros((len(samples), len(clusters), g))
    si = pd.Index(samples).get_indexer(t["sample"])
    ki = pd.Index(clusters).get_indexer(t["cluster_id"])
    post[si, ki, t["i"].to_numpy()] = t["probability"].to_numpy(float)
    if (post < 0).any() or not np.isfinite(post).all():
        raise InputError(f"{source}: column 'probability' must be finite and non-negative")
    post = _normalise(post, source)
    n = np.array([(n_mutations or {}).get(int(k), 0) for k in clusters])
    return CloneData(clusters, samples, grid, post, n)


def _normalise(post: np.ndarray, source: str) -> np.ndarray:
    tot = post.sum(axis=2, keepdims=True)
    if (tot <= 0).any():
        s, k, _ = np.argwhere(tot <= 0)[0]
        raise InputError(f"{source}: a cluster has no posterior mass in a sample (sample #{s + 1}, cluster #{k + 1})")
    return post / tot


def _empty() -> CloneData:
    return CloneData(np.zeros(0, int), [], np.linspace(0, 1, 101), np.zeros((0, 0, 101)), np.zeros(0, int))


def smooth(post: np.ndarray, grid: np.ndarray, sd: float) -> np.ndarray:
    """Widen every posterior by a normal error of `sd` in CCF: purity, copy number and
    multiplicity errors move a cluster's CCF more than its read counts say."""
    if sd <= 0:
        return post
    d = grid[:, None] - grid[None, :]
    kernel = np.exp(-0.5 * (d / sd) ** 2)
    out = post @ kernel  # kernel is symmetric
    return out / out.sum(axis=-1, keepdims=True)
