"""Regions' allele-specific profiles on shared segments, from segments.tsv."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ith.io.segments import shared_states

ROOT = "diploid"


def shared_segments(segments: pd.DataFrame, tumours: list[str], min_segment_bp: int = 0
                    ) -> tuple[pd.DataFrame, dict[str, dict[str, np.ndarray]]]:
    """Cut every autosome at all the regions' breakpoints (ith.io.segments); a piece is kept when
    every region has an integer major and minor copy number over it and it is at least
    `min_segment_bp` long. Returns the pieces (chrom, start, end; 1-based inclusive as in
    segments.tsv) and per region per chromosome an (n_pieces, 2) array of major, minor copies;
    the diploid normal `ROOT` (1 + 1) is added."""
    table, values = shared_states(segments, tumours, ("major_cn", "minor_cn"), autosomes_only=True)
    keep = (table["end"] - table["start"] + 1).to_numpy() >= min_segment_bp
    table = table[keep].reset_index(drop=True)
    chrom_of = table["chrom"].to_numpy()
    chroms = list(dict.fromkeys(chrom_of))
    profiles: dict[str, dict[str, np.ndarray]] = {}
    for s, v in values.items():
        both = np.round(v[keep]).astype(np.int64)
        profiles[s] = {c: both[chrom_of == c] for c in chroms}
    profiles[ROOT] = {c: np.ones(((chrom_of == c).sum(), 2), dtype=np.int64) for c in chroms}
    return table, profiles
