"""PyClone-VI input: read, validate and arrange as mutations x samples arrays.

The file format is PyClone-VI's (one row per mutation x sample). Two departures, both
what its users ask for: a mutation missing from some samples is kept (that sample carries
no information about it), and a `total_cn` column may stand in for `major_cn`/`minor_cn`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ith.errors import InputError

REQUIRED = ("mutation_id", "sample_id", "ref_counts", "alt_counts", "normal_cn")
DEFAULT_ERROR_RATE = 0.001


@dataclass
class ClonalData:
    """Read counts and copy number of N mutations in D samples (missing entries: observed False).

    `major` is -1 where only the total copy number is known.
    """

    mutation_ids: list[str]
    sample_ids: list[str]
    ref: np.ndarray       # (N, D) int64
    alt: np.ndarray       # (N, D) int64
    major: np.ndarray     # (N, D) int64, -1 = unknown split
    total: np.ndarray     # (N, D) int64
    normal: np.ndarray    # (N, D) int64
    purity: np.ndarray    # (N, D) float64
    error: np.ndarray     # (N, D) float64
    observed: np.ndarray  # (N, D) bool: a row exists, it has reads and tumour copies

    @property
    def n_mutations(self) -> int:
        return len(self.mutation_ids)

    @property
    def n_samples(self) -> int:
        return len(self.sample_ids)

    def subset(self, rows: np.ndarray) -> "ClonalData":
        rows = np.asarray(rows)
        ids = [self.mutation_ids[i] for i in (np.flatnonzero(rows) if rows.dtype == bool else rows)]
        return ClonalData(ids, list(self.sample_ids), self.ref[rows], self.alt[rows], self.major[rows],
                          self.total[rows], self.normal[rows], self.purity[rows], self.error[rows],
                          self.observed[rows])


def _fail(path: str, msg: str) -> None:
    raise InputError(f"{path}: {msg}")


def validate_frame(df: pd.DataFrame, path: str) -> pd.DataFrame:
    """Check columns, types and ranges; return a typed copy with defaults filled in."""
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        _fail(path, f"missing column(s) {', '.join(missing)}; PyClone-VI input needs "
                    f"{', '.join(REQUIRED)} and major_cn/minor_cn (or total_cn)")
    has_split = "major_cn" in df.columns and "minor_cn" in df.columns
    if not has_split and "total_cn" not in df.columns:
        _fail(path, "needs major_cn and minor_cn, or total_cn when the allele-specific split is unknown")
    df = df.copy()
    df["mutation_id"] = df["mutation_id"].astype(str)
    df["sample_id"] = df["sample_id"].astype(str)
    ints = ["ref_counts", "alt_counts", "normal_cn"] + (["major_cn", "minor_cn"] if has_split else [])
    if "total_cn" in df.columns:
        ints.append("total_cn")
    for col in ints:
        values = pd.to_numeric(df[col], errors="coerce")
        if col == "total_cn" and has_split:
            values = values.where(values.notna(), df["major_cn"] + df["minor_cn"])
        bad = values.isna() | (values < 0) | (values != np.floor(values))
        if col in ("major_cn", "minor_cn") and "total_cn" in df.columns:
            # a row may give total_cn only; its split columns are then empty
            bad &= ~(df[col].isna() & pd.to_numeric(df["total_cn"], errors="coerce").notna())
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            _fail(path, f"row {i + 2}: column {col} must be a non-negative integer, got {df[col].iloc[i]!r}")
        df[col] = values
    if "tumour_content" not in df.columns:
        df["tumour_content"] = 1.0
    if "error_rate" not in df.columns:
        df["error_rate"] = DEFAULT_ERROR_RATE
    for col, lo, hi in (("tumour_content", 0.0, 1.0), ("error_rate", 0.0, 0.5)):
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() | (values < lo) | (values > hi) | ((values <= 0) if col == "tumour_content" else False)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            _fail(path, f"row {i + 2}: {col} must be in ({lo}, {hi}], got {df[col].iloc[i]!r}")
        df[col] = values.astype(float)
    if (df["normal_cn"] < 1).any():
        i = int(np.flatnonzero((df["normal_cn"] < 1).to_numpy())[0])
        _fail(path, f"row {i + 2}: normal_cn must be >= 1 (2 for autosomes, 1 for male X/Y)")
    if has_split:
        split = df["major_cn"].notna() & df["minor_cn"].notna()
        swapped = split & (df["major_cn"] < df["minor_cn"])
        if swapped.any():
            i = int(np.flatnonzero(swapped.to_numpy())[0])
            _fail(path, f"row {i + 2}: major_cn {df['major_cn'].iloc[i]} < minor_cn {df['minor_cn'].iloc[i]}; "
                        "major_cn is the larger parental copy number")
    dup = df.duplicated(["mutation_id", "sample_id"])
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        _fail(path, f"row {i + 2}: mutation {df['mutation_id'].iloc[i]} appears twice in sample "
                    f"{df['sample_id'].iloc[i]}; each mutation x sample must be one row")
    if df.empty:
        _fail(path, "no rows")
    return df


def from_frame(df: pd.DataFrame, path: str = "input") -> ClonalData:
    """Arrange a validated PyClone-VI table as arrays; mutation and sample order of first appearance."""
    df = validate_frame(df, path)
    mutation_ids = list(dict.fromkeys(df["mutation_id"]))
    sample_ids = list(dict.fromkeys(df["sample_id"]))
    n, d = len(mutation_ids), len(sample_ids)
    i = pd.Index(mutation_ids).get_indexer(df["mutation_id"])
    j = pd.Index(sample_ids).get_indexer(df["sample_id"])

    def grid(values, fill, dtype):
        out = np.full((n, d), fill, dtype=dtype)
        out[i, j] = values
        return out

    if "major_cn" in df.columns:
        major = df["major_cn"].fillna(-1).to_numpy(np.int64)
        total = np.where(major >= 0, major + df["minor_cn"].fillna(0).to_numpy(np.int64),
                         df["total_cn"].to_numpy() if "total_cn" in df.columns else 0).astype(np.int64)
    else:
        major = np.full(len(df), -1, np.int64)
        total = df["total_cn"].to_numpy(np.int64)
    ref = grid(df["ref_counts"].to_numpy(np.int64), 0, np.int64)
    alt = grid(df["alt_counts"].to_numpy(np.int64), 0, np.int64)
    present = grid(True, False, bool)
    tot = grid(total, 0, np.int64)
    # no reads or no tumour copies: this sample says nothing about the mutation
    observed = present & (ref + alt > 0) & (tot > 0)
    return ClonalData(
        mutation_ids=mutation_ids, sample_ids=sample_ids, ref=ref, alt=alt,
        major=grid(major, -1, np.int64), total=tot, normal=grid(df["normal_cn"].to_numpy(np.int64), 2, np.int64),
        purity=grid(df["tumour_content"].to_numpy(float), 1.0, np.float64),
        error=grid(df["error_rate"].to_numpy(float), DEFAULT_ERROR_RATE, np.float64),
        observed=observed,
    )


def read_input(path: str) -> ClonalData:
    """Read a PyClone-VI input TSV (plain or gzipped)."""
    try:
        df = pd.read_csv(path, sep="\t", dtype={"mutation_id": str, "sample_id": str})
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: not a tab-separated table with a header ({e})") from None
    return from_frame(df, path)
