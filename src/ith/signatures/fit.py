"""Fitting COSMIC reference signatures to SBS96 counts.

The reference matrices are those shipped inside the SigProfilerAssignment wheel (no download).
Two engines give the point estimate: SigProfilerAssignment's own forward/backward NNLS
(`cosmic_fit`, input_type "matrix") or our NNLS with a backward sparsity step; bootstrap
intervals come from multinomial resamples of each profile refitted with scipy's NNLS (see
docs/methods/signatures.md for why and the timings).
"""

from __future__ import annotations

import contextlib
import importlib.resources
import io
import logging
import os
import tempfile
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from ith.errors import InputError
from ith.signatures.context import CHANNELS

# assay.type values whose mutations come from captured regions (exome-like trinucleotide frequencies)
CAPTURE_ASSAYS = ("wes", "panel")

# COSMIC v3.x SBS signatures attributed to sequencing artefacts (COSMIC's "possible sequencing
# artefact" list); SigProfilerAssignment's exclude_signature_subgroups=["Artifact_signatures"].
ARTEFACTS = ("SBS27", "SBS43", "SBS45", "SBS46", "SBS47", "SBS48", "SBS49", "SBS50", "SBS51",
             "SBS52", "SBS53", "SBS54", "SBS55", "SBS56", "SBS57", "SBS58", "SBS59", "SBS60", "SBS95")


@dataclass(frozen=True)
class SignatureParams:
    cosmic_version: str = "3.4"
    genome_build: str = "GRCh38"
    exome: bool = False
    candidates: tuple[str, ...] = ()  # empty: every SBS signature of the set but the artefacts
    engine: str = "sigprofilerassignment"  # or "nnls"
    min_mutations: int = 50
    bootstrap: int = 200
    seed: int = 1
    remove_penalty: float = 0.01

    @classmethod
    def from_config(cls, cfg: dict, assay: str = "wgs") -> "SignatureParams":
        """The `signatures` section; `exome` null follows `assay` (assay.type): COSMIC's
        exome-normalised set for a capture (wes, panel), the genome set for wgs."""
        keys = cls.__dataclass_fields__
        kw = {k: v for k, v in cfg.items() if k in keys}
        if kw.get("exome") is None:
            kw["exome"] = assay in CAPTURE_ASSAYS
        if "candidates" in kw:
            kw["candidates"] = tuple(kw["candidates"] or ())
        if "cosmic_version" in kw:
            kw["cosmic_version"] = str(kw["cosmic_version"])
        return cls(**kw)


def reference(version: str = "3.4", build: str = "GRCh38", exome: bool = False) -> pd.DataFrame:
    """COSMIC SBS96 reference signatures (channels in CHANNELS order x signatures) from the
    SigProfilerAssignment package data."""
    try:
        root = importlib.resources.files("SigProfilerAssignment")
    except ModuleNotFoundError as e:  # a dependency in pyproject.toml; say how to get it
        raise InputError("signatures need SigProfilerAssignment (pip install SigProfilerAssignment)") from e
    name = f"COSMIC_v{version}_SBS_{build}{'_exome' if exome else ''}.txt"
    path = root / "data" / "Reference_Signatures" / build / name
    if not path.is_file():
        raise InputError(f"signatures: no COSMIC reference {name} in SigProfilerAssignment's data; "
                         "check signatures.cosmic_version and signatures.genome_build")
    with path.open() as fh:
        ref = pd.read_csv(fh, sep="\t", index_col=0)
    return ref.reindex(list(CHANNELS)).astype(float)


def candidate_matrix(params: SignatureParams) -> pd.DataFrame:
    ref = reference(params.cosmic_version, params.genome_build, params.exome)
    if params.candidates:
        missing = [s for s in params.candidates if s not in ref.columns]
        if missing:
            raise InputError(f"signatures.candidates: {missing} not in COSMIC v{params.cosmic_version} SBS")
        return ref[list(params.candidates)]
    return ref[[s for s in ref.columns if s not in ARTEFACTS]]


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return float(a @ b / (na * nb)) if na > 0 and nb > 0 else 0.0


def nnls_exposures(W: np.ndarray, x: np.ndarray, active: np.ndarray | None = None) -> np.ndarray:
    """Exposure fractions (summing to 1) of the columns of W in the profile x by NNLS, using
    only the `active` columns (default all)."""
    h = np.zeros(W.shape[1])
    idx = np.arange(W.shape[1]) if active is None else np.flatnonzero(active)
    if len(idx) and x.sum() > 0:
        h[idx] = nnls(W[:, idx], x / x.sum(), maxiter=50 * W.shape[1])[0]
    s = h.sum()
    return h / s if s > 0 else h


def nnls_select(W: np.ndarray, x: np.ndarray, remove_penalty: float = 0.01) -> np.ndarray:
    """NNLS on every candidate, then backward removal: drop the signature whose loss lowers the
    cosine similarity of the reconstruction least, while that loss is below `remove_penalty`."""
    h = nnls_exposures(W, x)
    active = h > 0
    cos = _cosine(W @ h, x)
    while active.sum() > 1:
        best, best_h, best_cos = -1, None, -1.0
        for j in np.flatnonzero(active):
            trial = active.copy()
            trial[j] = False
            ht = nnls_exposures(W, x, trial)
            c = _cosine(W @ ht, x)
            if c > best_cos:
                best, best_h, best_cos = j, ht, c
        if cos - best_cos >= remove_penalty:
            break
        active[best] = False
        h, cos = best_h, best_cos
        active &= h > 0
    return h


def spa_exposures(counts: pd.DataFrame, W: pd.DataFrame) -> pd.DataFrame:
    """SigProfilerAssignment's cosmic_fit of the columns of `counts` (96 x groups) with the
    signatures `W`: exposure fractions, signatures x groups."""
    from SigProfilerAssignment import Analyzer

    with tempfile.TemporaryDirectory() as tmp:
        m = counts.copy()
        m.index.name = "MutationType"
        m.to_csv(os.path.join(tmp, "matrix.txt"), sep="\t")
        db = W.copy()
        db.index.name = "Type"
        db.to_csv(os.path.join(tmp, "signatures.txt"), sep="\t")
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            Analyzer.cosmic_fit(os.path.join(tmp, "matrix.txt"), os.path.join(tmp, "out"),
                                signature_database=os.path.join(tmp, "signatures.txt"),
                                input_type="matrix", context_type="96", make_plots=False,
                                export_probabilities=False, verbose=False, cpu=1)
        logging.debug("SigProfilerAssignment: %s", buf.getvalue().strip())
        act = pd.read_csv(os.path.join(tmp, "out", "Assignment_Solution", "Activities",
                                       "Assignment_Solution_Activities.txt"), sep="\t", index_col=0)
    act = act.T.reindex(index=W.columns, columns=counts.columns, fill_value=0).astype(float)
    return act / act.sum().replace(0, 1)


def fit_groups(counts: pd.DataFrame, params: SignatureParams, W: pd.DataFrame | None = None) -> pd.DataFrame:
    """Exposures of every group (column of `counts`): group, signature, exposure, low, high
    (bootstrap 2.5 and 97.5 percentiles), n_mutations, fitted, cosine. Groups below
    min_mutations get one row with signature NA and fitted False. Rows for each fitted group
    cover the signatures with exposure > 0 in any fitted group."""
    W = candidate_matrix(params) if W is None else W
    if set(counts.index) != set(CHANNELS):
        raise InputError("signatures: the count matrix rows are not the 96 SBS channels")
    counts = counts.reindex(list(CHANNELS))
    Wv = W.to_numpy()
    n = counts.sum().astype(int)
    fit_cols = [g for g in counts.columns if n[g] >= max(1, params.min_mutations)]
    point = pd.DataFrame(0.0, index=W.columns, columns=fit_cols)
    if fit_cols:
        if params.engine == "sigprofilerassignment":
            point = spa_exposures(counts[fit_cols], W)
        else:
            for g in fit_cols:
                point[g] = nnls_select(Wv, counts[g].to_numpy(float), params.remove_penalty)
    rows = []
    shown = [s for s in W.columns if (point.loc[s] > 0).any()] if fit_cols else []
    rng = np.random.default_rng(params.seed)
    for g in counts.columns:
        x = counts[g].to_numpy(float)
        if g not in fit_cols:
            rows.append(dict(group=g, signature="NA", exposure=np.nan, low=np.nan, high=np.nan,
                             n_mutations=int(n[g]), fitted=False, cosine=np.nan))
            continue
        h = point[g].to_numpy()
        boot = np.zeros((params.bootstrap, len(h)))
        p = x / x.sum()
        for b in range(params.bootstrap):
            xb = rng.multinomial(int(n[g]), p).astype(float)
            if params.engine == "sigprofilerassignment":  # resample's NNLS on SPA's selection
                boot[b] = nnls_exposures(Wv, xb, h > 0)
            else:
                boot[b] = nnls_select(Wv, xb, params.remove_penalty)
        lo, hi = (np.percentile(boot, q, axis=0) if params.bootstrap else h for q in (2.5, 97.5))
        cos = _cosine(Wv @ h, x)
        for s in shown:
            j = W.columns.get_loc(s)
            rows.append(dict(group=g, signature=s, exposure=round(float(h[j]), 4), low=round(float(lo[j]), 4),
                             high=round(float(hi[j]), 4), n_mutations=int(n[g]), fitted=True,
                             cosine=round(cos, 4)))
    return pd.DataFrame(rows, columns=["group", "signature", "exposure", "low", "high", "n_mutations",
                                       "fitted", "cosine"])


def dominant(exposures: pd.DataFrame) -> dict[str, str]:
    """The signature with the largest exposure of every fitted group."""
    fitted = exposures[exposures["fitted"]]
    return {g: str(d.sort_values(["exposure", "signature"], ascending=[False, True])["signature"].iloc[0])
            for g, d in fitted.groupby("group", sort=False)}
