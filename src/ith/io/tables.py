"""Result tables: read with the workflow's missing-value convention; written deterministically (fixed
float format) and atomically."""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from ith.io.atomic import atomic_path


def write_tsv(df: pd.DataFrame, path: str, na_rep: str = "NA") -> None:
    """Write a tab-separated table with a header; a half-written file never takes the final name."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, sep="\t", index=False, float_format="%.6g", na_rep=na_rep, lineterminator="\n")


def read_tsv(path: str, na_values: Sequence[str] = ("NA", ""), **kwargs: Any) -> pd.DataFrame:
    """A result table as write_tsv writes it: only the cells in na_values are missing (pandas'
    own list would read a sample or gene called 'NA' or 'null' as missing); kwargs go to
    pandas.read_csv (usecols, dtype)."""
    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=list(na_values), **kwargs)
