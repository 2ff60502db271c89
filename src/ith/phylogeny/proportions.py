"""Each sample's cells split over the clones of a tree (and normal cells)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from ith.phylogeny.score import ROOT


def subtree_matrix(parents: np.ndarray) -> np.ndarray:
    """A[k, j] = 1 when j is k or below k: CCF = A @ own fractions."""
    n = len(parents)
    a = np.eye(n)
    for j in range(n):
        p = parents[j]
        while p != ROOT:
            a[p, j] = 1.0
            p = parents[p]
    return a


def own_fractions(ccf: np.ndarray, sd: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """(S, K) fraction of tumour cells that belong to each clone and none of its descendants:
    the non-negative fractions whose CCFs under the tree come closest to the clusters' CCFs
    (weighted by their uncertainty), summing to at most 1."""
    a = subtree_matrix(np.asarray(parents))
    out = np.zeros_like(ccf)
    for s in range(ccf.shape[0]):
        w = 1.0 / np.maximum(sd[s], 0.01)
        eta, _ = nnls(a * w[:, None], ccf[s] * w)
        total = eta.sum()
        out[s] = eta / total if total > 1 else eta
    return out


def proportion_table(patient: str, samples: list[str], clusters: np.ndarray, eta: np.ndarray,
                     purity: dict[str, float] | None) -> pd.DataFrame:
    """Long table: sample, clone, fraction of tumour cells, fraction of all cells (x purity),
    with a `normal` row per sample when the purity is known."""
    rows = []
    known = purity or {}
    for s, name in enumerate(samples):
        p = known.get(name)
        tumour = eta[s].sum()
        for k, c in enumerate(clusters):
            rows.append(dict(patient=patient, sample=name, clone=str(int(c)), tumour_fraction=round(float(eta[s, k]), 6),
                             fraction=round(float(eta[s, k] * p), 6) if p is not None else np.nan))
        if tumour < 1 - 1e-9:  # tumour cells in no clone of the tree (the tree's CCFs sum below 1)
            rows.append(dict(patient=patient, sample=name, clone="unassigned", tumour_fraction=round(1 - tumour, 6),
                             fraction=round((1 - tumour) * p, 6) if p is not None else np.nan))
        if p is not None:
            rows.append(dict(patient=patient, sample=name, clone="normal", tumour_fraction=np.nan,
                             fraction=round(1 - p, 6)))
    return pd.DataFrame(rows, columns=["patient", "sample", "clone", "tumour_fraction", "fraction"])
