"""Each sample's cells split over the clones of a tree (and normal cells)."""

from __future__ import annotations

import numpy as np
import pandas as pd


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
