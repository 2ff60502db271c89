"""Clusters as real data give them to a tree builder: a patient's clone tree, many samples of
mixed clones at their own purity and depth, every mutation's read counts, and the imperfections
of a real pipeline: copy number wrong for some mutations in some samples, purity misestimated,
overdispersed libraries, coverage gaps, samples of another scale (low purity: a xenograft, a
relapse, blood), and clusters that merge two clones whose frequencies a clustering cannot tell
apart. The truth is the tree over the clusters: a merged cluster stands where its higher clone
stands. Used by bench/phylogeny.py (imperfect) and the tree stage's tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

def _random_tree(rng: np.random.Generator, n: int) -> np.ndarray:
    """A random recursive tree: clone 0 is the founder, each later clone descends from an earlier one."""
    parents = np.full(n, -1)
    for k in range(1, n):
        parents[k] = int(rng.integers(0, k))
    return parents


def _ccf(parents: np.ndarray, own: np.ndarray) -> np.ndarray:
    ccf = own.copy()
    for k in range(len(parents) - 1, 0, -1):  # children have higher indices than parents
        ccf[:, parents[k]] += ccf[:, k]
    return ccf


def _merge_pairs(rng: np.random.Generator, parents: np.ndarray, ccf: np.ndarray, n_merge: int) -> np.ndarray:
    """Cluster label of each clone: n_merge disjoint pairs of related clones (parent and child, or
    siblings) with the closest CCFs over the samples share a label, as a clustering would merge them."""
    n = len(parents)
    pairs = []
    for a in range(1, n):
        for b in range(a + 1, n):
            if parents[b] == a or parents[a] == b or parents[a] == parents[b]:
                pairs.append((float(np.abs(ccf[:, a] - ccf[:, b]).mean()), a, b))
    pairs.sort()
    label = np.arange(n)
    used: set[int] = set()
    for _, a, b in pairs:
        if n_merge == 0:
            break
        if a in used or b in used:
            continue
        label[b] = a
        used |= {a, b}
        n_merge -= 1
    _, label = np.unique(label, return_inverse=True)
    return label


def _cluster_tree(parents: np.ndarray, label: np.ndarray) -> np.ndarray:
    """Parent of each cluster: the cluster of the parent of its highest member clone."""
    n_c = label.max() + 1
    depth = np.zeros(len(parents), int)
    for k in range(1, len(parents)):
        depth[k] = depth[parents[k]] + 1
    out = np.full(n_c, -1)
    for c in range(n_c):
        members = np.flatnonzero(label == c)
        top = members[np.argmin(depth[members])]
        p = parents[top]
        while p >= 0 and label[p] == c:  # a merged parent and child: go above both
            p = parents[p]
        out[c] = -1 if p < 0 else label[p]
    return out


def imperfect_patient(seed: int, clusters: tuple[int, int] = (10, 30), samples: tuple[int, int] = (10, 90),
                      depth: tuple[float, float] = (30.0, 1000.0)) -> dict:
    """One patient: `clusters` and `samples` drawn uniformly in their ranges, each sample's mean
    depth log-uniform in `depth`. Returns the read table a tree builder takes (mutation_id,
    sample, cluster_id, var_reads, total_reads, var_read_prob), the true parent of each cluster
    (-1 for the founder), the clusters' true frequencies (samples x clusters: their mutations'
    mean CCF) and counts."""
    rng = np.random.default_rng([19, seed])
    n_clusters = int(rng.integers(clusters[0], clusters[1] + 1))
    n_merge = int(rng.binomial(n_clusters, 0.1))
    n_clones = n_clusters + n_merge
    n_samples = int(rng.integers(samples[0], samples[1] + 1))
    parents = _random_tree(rng, n_clones)
    present = rng.random((n_samples, n_clones)) < 0.3
    present[np.arange(n_samples), rng.integers(0, n_clones, n_samples)] = True
    own = rng.dirichlet(np.full(n_clones, 0.7), size=n_samples) * present
    own /= own.sum(axis=1, keepdims=True)
    ccf = _ccf(parents, own)
    label = _merge_pairs(rng, parents, ccf, n_merge)
    truth = _cluster_tree(parents, label)
    purity = rng.uniform(0.2, 0.9, n_samples)
    low = rng.random(n_samples) < 0.1  # samples of another scale: low purity (xenograft, relapse, blood)
    purity[low] = rng.uniform(0.05, 0.2, low.sum())
    purity_given = np.clip(purity * np.exp(rng.normal(0, 0.1, n_samples)), 0.02, 1.0)
    mean_depth = np.exp(rng.uniform(np.log(depth[0]), np.log(depth[1]), n_samples))
    n_mut = np.exp(rng.uniform(np.log(5), np.log(200), n_clones)).astype(int)
    clone = np.repeat(np.arange(n_clones), n_mut)
    m = len(clone)
    cn = rng.choice([1, 2, 3, 4], size=m, p=[0.08, 0.7, 0.15, 0.07])
    mult = np.where((cn >= 3) & (clone == 0) & (rng.random(m) < 0.5), 2, 1)
    d = rng.poisson(mean_depth[None, :] * rng.gamma(20, 1 / 20, (m, n_samples)))
    d[rng.random((m, n_samples)) < 0.05] = 0  # no coverage in some samples (capture gaps)
    om = purity[None, :] * mult[:, None] / (purity[None, :] * cn[:, None] + 2 * (1 - purity[None, :]))
    p = 1e-3 + (1 - 2e-3) * om * ccf[:, clone].T
    rho = 500.0  # overdispersion of real libraries (capture and amplification)
    p = rng.beta(p * rho, (1 - p) * rho)
    v = rng.binomial(d, p)
    # what a pipeline gives the tree builder: copy number wrong for 10% of mutation x samples
    cn_given = np.repeat(cn[:, None], n_samples, axis=1)
    wrong = rng.random((m, n_samples)) < 0.1
    cn_given[wrong] = np.maximum(1, cn_given[wrong] + rng.choice([-1, 1], wrong.sum()))
    mult_given = np.minimum(mult[:, None], cn_given)
    om_given = purity_given[None, :] * mult_given / (purity_given[None, :] * cn_given
                                                      + 2 * (1 - purity_given[None, :]))
    samples = [f"S{s + 1}" for s in range(n_samples)]
    table = pd.DataFrame({"mutation_id": np.repeat([f"m{i}" for i in range(m)], n_samples),
                          "sample": np.tile(samples, m), "cluster_id": np.repeat(label[clone], n_samples),
                          "var_reads": v.ravel(), "total_reads": d.ravel(),
                          "var_read_prob": np.clip(om_given, 0, 1).ravel()})
    # the clusters' true frequencies: their mutations' mean CCF (a merged cluster mixes two clones)
    freq = np.stack([np.average(ccf[:, clone[label[clone] == c]], axis=1) for c in range(n_clusters)], axis=1)
    return dict(table=table, truth=truth, freq=freq, clones=n_clones, clusters=n_clusters, merged=n_merge,
                samples=n_samples)
