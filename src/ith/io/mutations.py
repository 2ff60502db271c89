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


def trim_alleles(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """Shared leading then trailing bases removed: (first affected position, ref, alt), upper
    case; an insertion (ref '') sits between position - 1 and position. The minimal form the
    annotation and the MAF both need."""
    ref, alt = ref.upper(), alt.upper()
    k = 0
    while k < min(len(ref), len(alt)) and ref[k] == alt[k]:
        k += 1
    r, a, start = ref[k:], alt[k:], pos + k
    while r and a and r[-1] == a[-1]:
        r, a = r[:-1], a[:-1]
    return start, r, a
