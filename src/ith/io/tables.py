"""Deterministic TSV output: fixed float format, written atomically."""

from __future__ import annotations

import os

import pandas as pd


def write_tsv(df: pd.DataFrame, path: str, na_rep: str = "NA") -> None:
    """Write a tab-separated table with a header; a half-written file never takes the final name."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    df.to_csv(tmp, sep="\t", index=False, float_format="%.6g", na_rep=na_rep, lineterminator="\n")
    os.replace(tmp, path)
