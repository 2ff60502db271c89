"""Purity as the truncal mutations see it: a check on the copy-number purity.

The truncal cluster's mutations are in every cancer cell, so in each region their read
counts alone fix the purity (given copy number and multiplicity, summed over the
multiplicities the segment allows). A copy-number purity outside the 95% likelihood interval
of this estimate is flagged: every CCF of that region is scaled by the error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chi2

from ith.clonal.data import ClonalData
from ith.clonal.likelihood import log_likelihood

PURITY_GRID = np.round(np.arange(0.02, 1.0001, 0.005), 3)


def truncal_purity(data: ClonalData, members: np.ndarray, density: str, precision: float,
                   min_mutations: int = 10, tolerance: float = 0.05) -> pd.DataFrame:
    """Per sample: the maximum-likelihood purity of the `members` (truncal) mutations at CCF 1,
    its 95% likelihood interval, and whether the input purity is off by more than `tolerance`
    beyond that interval."""
    rows = []
    grid = np.array([0.0, 1.0])
    for d, sample in enumerate(data.sample_ids):
        obs = members & data.observed[:, d]
        n = int(obs.sum())
        column = data.purity[obs, d] if n else data.purity[:, d]
        given = float(np.median(column)) if column.size else float("nan")
        if n < min_mutations:
            rows.append({"sample": sample, "purity_cn": given, "purity_truncal": np.nan, "low": np.nan,
                         "high": np.nan, "n_truncal": n, "flag": "too_few_truncal_mutations"})
            continue
        idx = np.flatnonzero(obs)
        p = PURITY_GRID.size
        # every truncal mutation once per candidate purity, in this sample only
        rep = ClonalData(mutation_ids=[""] * (idx.size * p), sample_ids=[sample],
                         ref=np.repeat(data.ref[idx, d], p)[:, None], alt=np.repeat(data.alt[idx, d], p)[:, None],
                         major=np.repeat(data.major[idx, d], p)[:, None],
                         total=np.repeat(data.total[idx, d], p)[:, None],
                         normal=np.repeat(data.normal[idx, d], p)[:, None],
                         purity=np.tile(PURITY_GRID, idx.size)[:, None],
                         error=np.repeat(data.error[idx, d], p)[:, None],
                         observed=np.ones((idx.size * p, 1), bool))
        ll = log_likelihood(rep, grid, density, precision, "clonal_cn")[:, 1].reshape(idx.size, p).sum(axis=0)
        best = int(ll.argmax())
        inside = PURITY_GRID[ll >= ll[best] - chi2.ppf(0.95, 1) / 2]
        low, high = float(inside.min()), float(inside.max())
        off = given < low - tolerance or given > high + tolerance
        rows.append({"sample": sample, "purity_cn": given, "purity_truncal": float(PURITY_GRID[best]), "low": low,
                     "high": high, "n_truncal": n, "flag": "purity_disagrees" if off else ""})
    return pd.DataFrame(rows)


def truncal_members(labels: np.ndarray, summary_ccf: pd.DataFrame, clonal_ccf: float) -> np.ndarray:
    """Mutations of the truncal cluster: the largest cluster at or above `clonal_ccf` in every
    sample (summary_ccf: clusters x samples of CCF); none when there is no such cluster."""
    trunk = summary_ccf[(summary_ccf >= clonal_ccf).all(axis=1)]
    if trunk.empty:
        return np.zeros(labels.size, bool)
    sizes = pd.Series(labels).value_counts()
    top = max(trunk.index, key=lambda c: (sizes.get(c, 0), -c))
    return labels == top
