"""Tumour fraction of a plasma sample from its depth, informed by the tissue's copy number.

ichorCNA has to discover the tumour's copy-number states from the plasma alone; we know them from
the regions. On the segments where every region agrees on a clonal integer state, the plasma's
log2 ratio is a one-parameter function of the tumour fraction f:
    log2 R = log2((f C + n0 (1-f)) / (f psi + 2 (1-f)) * 2 / n0),
fitted by least squares with each segment's standard error, inflated by the residual
overdispersion. The interval is the likelihood-ratio interval; below the detection limit the
estimate is reported with it, and without clonal aberrations the fraction is not assessable."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TF_GRID = np.round(np.arange(0.0, 1.0 + 1e-9, 0.001), 6)


@dataclass
class PlasmaFit:
    tumour_fraction: float
    ci_low: float
    ci_high: float
    lod: float  # smallest fraction distinguishable from 0 at 3 standard errors
    assessable: bool
    note: str


def _predict(f: np.ndarray, c: np.ndarray, n0: np.ndarray, psi: float) -> np.ndarray:
    f = f[:, None]
    num = f * c[None, :] + n0[None, :] * (1 - f)
    return np.log2(np.maximum(num, 1e-9) / (f * psi + 2 * (1 - f)) * 2 / n0[None, :])


def plasma_fraction(log2r: np.ndarray, se: np.ndarray, total_cn: np.ndarray, n0: np.ndarray, consensus: np.ndarray,
                    psi: float, min_segments: int = 2) -> PlasmaFit:
    """`consensus`: segments whose clonal state all regions share (total_cn valid there)."""
    use = consensus & np.isfinite(log2r) & np.isfinite(se) & (se > 0)
    aberrant = use & (np.abs(total_cn - n0 * psi / 2) >= 0.5)
    if int(use.sum()) < min_segments or not aberrant.any() or not np.isfinite(psi):
        return PlasmaFit(np.nan, np.nan, np.nan, np.nan, False,
                         "not assessable: the tissue shows no clonal copy-number change to read the plasma by")
    l, s, c, n = log2r[use], se[use], total_cn[use].astype(float), n0[use].astype(float)
    pred = _predict(TF_GRID, c, n, psi)
    chi = (((l[None, :] - pred) / s[None, :]) ** 2).sum(axis=1)
    k = int(np.argmin(chi))
    dof = max(len(l) - 1, 1)
    phi = max(1.0, chi[k] / dof)  # overdispersion: systematic error beyond the bins' noise
    rel = (chi - chi[k]) / phi
    inside = TF_GRID[rel <= 3.84]
    # detection limit: the fraction whose expected signal departs from f = 0 by chi-square 9
    delta = (((pred - pred[0][None, :]) / s[None, :]) ** 2).sum(axis=1) / phi
    reach = np.flatnonzero(delta >= 9.0)
    lod = float(TF_GRID[reach[0]]) if len(reach) else np.nan
    f = float(TF_GRID[k])
    note = "" if inside.min() > 0 else "not distinguishable from 0 (below the detection limit)"
    return PlasmaFit(f, float(inside.min()), float(inside.max()), lod, True, note)
