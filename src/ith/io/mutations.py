"""Mutation ids (`chrom:pos:ref:alt`, as the variants stage writes them) read back into their
parts: one parser for every stage that has only the id."""

from __future__ import annotations

import pandas as pd

from ith.errors import InputError


def split_ids(ids: pd.Series) -> pd.DataFrame:
    """chrom, pos, ref, alt of chrom:pos:ref:alt ids (contig names may hold ':')."""
    cols = ["mutation_id", "chrom", "pos", "ref", "alt"]
    ids = pd.Series(ids, dtype=str)
    if ids.empty:
        return pd.DataFrame({c: pd.Series(dtype=int if c == "pos" else str) for c in cols})
    parts = ids.str.rsplit(":", n=3, expand=True)
    if parts.shape[1] != 4 or parts.isna().any().any():
        bad = ids[parts.isna().any(axis=1)].iloc[0] if parts.shape[1] == 4 else ids.iloc[0]
        raise InputError(f"mutation id '{bad}' does not read chrom:pos:ref:alt")
    return pd.DataFrame({"mutation_id": ids.to_numpy(), "chrom": parts[0].to_numpy(),
                         "pos": parts[1].astype(int).to_numpy(), "ref": parts[2].to_numpy(),
                         "alt": parts[3].to_numpy()})
