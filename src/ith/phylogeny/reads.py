"""The read counts a clone tree is scored on: every mutation's variant and total reads in every
sample, with its variant-read probability, pooled per cluster and sample.

A mutation i in a sample with cell fraction phi of its clone shows a variant read with
probability q = e + (1 - 2e) * omega_i * phi, where omega_i is the variant-read probability of a
cell that carries it (purity x multiplicity / the sample's average copy number, as the clonal
stage computes it; 0.5 for a heterozygous diploid mutation when phi counts all cells, as in
Pairtree's files) and e a sequencing error rate. The binomial log-likelihood of a cluster in a
sample then depends on its mutations only through the variant and total reads summed over the
mutations that share an omega, so a cluster x sample is a handful of (omega, V, N) groups however
many mutations it holds: fitting a tree costs the same for 10 or 10,000 mutations.

Overdispersion (a beta-binomial of precision rho) is taken in its moment-matched form: each
mutation's reads are weighted by (1 + rho) / (n + rho), the share of its reads that carry
independent information, which keeps the sufficient statistics (a quasi-likelihood).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np
import pandas as pd

from ith.errors import InputError

READ_COLUMNS = ["mutation_id", "sample", "cluster_id", "var_reads", "total_reads", "var_read_prob"]


@dataclass
class ClusterReads:
    clusters: np.ndarray  # (K,) cluster ids
    samples: list[str]
    n_mutations: np.ndarray  # (K,)
    start: np.ndarray  # (S, K) first group of cluster k in sample s
    stop: np.ndarray  # (S, K) one past its last group
    omega: np.ndarray  # (G,) variant-read probability of the group's mutations in a carrier cell
    var: np.ndarray  # (G,) variant reads (weighted)
    total: np.ndarray  # (G,) total reads (weighted)
    error: float
    mle: np.ndarray = field(init=False)  # (S, K) each cluster's frequency fitted alone, in 0..1
    ll_max: np.ndarray = field(init=False)  # (S, K) its log-likelihood there
    drivers: dict[int, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.mle, self.ll_max = free_fit(self.start, self.stop, self.omega, self.var, self.total, self.error)


def from_table(table: pd.DataFrame, source: str, precision: float | None = None, error: float = 1e-3,
               samples: list[str] | None = None) -> ClusterReads:
    """From a long table with READ_COLUMNS (one row per mutation x sample). Rows with no reads or
    a variant-read probability of 0 (no tumour copy) carry no information and are dropped."""
    missing = [c for c in READ_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"{source}: missing column(s) {', '.join(missing)}; expected {', '.join(READ_COLUMNS)}")
    t = table[READ_COLUMNS].copy()
    t["sample"] = t["sample"].astype(str)
    for col in ("var_reads", "total_reads", "var_read_prob"):
        t[col] = pd.to_numeric(t[col], errors="coerce")
        bad = ~np.isfinite(t[col].to_numpy(float))
        if bad.any():
            r = t[bad].iloc[0]
            raise InputError(f"{source}: mutation {r['mutation_id']} in sample {r['sample']}: column '{col}' is not "
                             f"a number; fix or drop that row")
    t["cluster_id"] = pd.to_numeric(t["cluster_id"], errors="coerce")
    bad = t["cluster_id"].isna() | (t["cluster_id"] != np.round(t["cluster_id"]))
    if bad.any():
        r = t[bad].iloc[0]
        raise InputError(f"{source}: mutation {r['mutation_id']}: column 'cluster_id' = {r['cluster_id']} is not an "
                         f"integer")
    t["cluster_id"] = t["cluster_id"].astype(int)
    dup = t.duplicated(["mutation_id", "sample"])
    if dup.any():
        r = t[dup].iloc[0]
        raise InputError(f"{source}: mutation {r['mutation_id']} appears twice in sample {r['sample']}; keep one row "
                         f"per mutation and sample")
    checks = [(t["var_reads"] < 0, "var_reads is negative"), (t["total_reads"] < t["var_reads"],
              "var_reads exceeds total_reads"), ((t["var_read_prob"] < 0) | (t["var_read_prob"] > 1),
              "var_read_prob is outside 0..1")]
    for bad, what in checks:
        if bad.any():
            r = t[bad.to_numpy()].iloc[0]
            raise InputError(f"{source}: mutation {r['mutation_id']} in sample {r['sample']}: {what}")
    samples = samples if samples is not None else list(dict.fromkeys(t["sample"]))
    clusters = np.array(sorted(t["cluster_id"].unique()), dtype=np.int64)
    n_mut = t.drop_duplicates("mutation_id").groupby("cluster_id").size().reindex(clusters).fillna(0)
    t = t[(t["total_reads"] > 0) & (t["var_read_prob"] > 0) & t["sample"].isin(samples)]
    w = np.ones(len(t)) if precision is None else (1.0 + precision) / (t["total_reads"].to_numpy(float) + precision)
    t = t.assign(v=t["var_reads"].to_numpy(float) * w, n=t["total_reads"].to_numpy(float) * w,
                 om=np.round(t["var_read_prob"].to_numpy(float), 6),
                 si=pd.Index(samples).get_indexer(t["sample"]), ki=np.searchsorted(clusters, t["cluster_id"]))
    g = t.groupby(["si", "ki", "om"], sort=True)[["v", "n"]].sum().reset_index()
    n_s, n_k = len(samples), len(clusters)
    flat = g["si"].to_numpy() * n_k + g["ki"].to_numpy()
    start = np.searchsorted(flat, np.arange(n_s * n_k), side="left").reshape(n_s, n_k)
    stop = np.searchsorted(flat, np.arange(n_s * n_k), side="right").reshape(n_s, n_k)
    return ClusterReads(clusters, list(samples), n_mut.to_numpy(int), start.astype(np.int64), stop.astype(np.int64),
                        g["om"].to_numpy(float), g["v"].to_numpy(float), g["n"].to_numpy(float), float(error))


@numba.njit(cache=True)
def cluster_ll(start: int, stop: int, omega: np.ndarray, var: np.ndarray, total: np.ndarray, error: float,
               phi: float) -> tuple[float, float, float]:
    """Log-likelihood of one cluster in one sample at frequency phi, its first derivative and its
    curvature (minus the second derivative, >= 0)."""
    val = 0.0
    grad = 0.0
    curv = 0.0
    for j in range(start, stop):
        a = omega[j] * (1.0 - 2.0 * error)
        q = min(max(error + a * phi, 1e-12), 1.0 - 1e-12)  # an error rate of 0 leaves q = 0 at phi = 0
        v = var[j]
        r = total[j] - v
        val += v * np.log(q) + r * np.log1p(-q)
        grad += a * (v / q - r / (1.0 - q))
        curv += a * a * (v / (q * q) + r / ((1.0 - q) * (1.0 - q)))
    return val, grad, curv


@numba.njit(cache=True)
def free_fit(start: np.ndarray, stop: np.ndarray, omega: np.ndarray, var: np.ndarray, total: np.ndarray,
             error: float) -> tuple[np.ndarray, np.ndarray]:
    """Each cluster's maximum-likelihood frequency in 0..1 in each sample, alone (bisection on the
    derivative, which falls with phi), and the log-likelihood there."""
    n_s, n_k = start.shape
    mle = np.zeros((n_s, n_k))
    ll = np.zeros((n_s, n_k))
    for s in range(n_s):
        for k in range(n_k):
            a, b = start[s, k], stop[s, k]
            if a == b:
                continue
            lo, hi = 0.0, 1.0
            if cluster_ll(a, b, omega, var, total, error, 0.0)[1] <= 0.0:
                x = 0.0
            elif cluster_ll(a, b, omega, var, total, error, 1.0)[1] >= 0.0:
                x = 1.0
            else:
                for _ in range(60):
                    mid = 0.5 * (lo + hi)
                    if cluster_ll(a, b, omega, var, total, error, mid)[1] > 0.0:
                        lo = mid
                    else:
                        hi = mid
                x = 0.5 * (lo + hi)
            mle[s, k] = x
            ll[s, k] = cluster_ll(a, b, omega, var, total, error, x)[0]
    return mle, ll
