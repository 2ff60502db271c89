"""Regions' allele-specific profiles on shared segments, from segments.tsv."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ith.io.reference import is_autosome

ROOT = "diploid"


def shared_segments(segments: pd.DataFrame, tumours: list[str], min_segment_bp: int = 0
                    ) -> tuple[pd.DataFrame, dict[str, dict[str, np.ndarray]]]:
    """Cut every autosome at all the regions' breakpoints; a piece is kept when every region has
    an integer major and minor copy number over it and it is at least `min_segment_bp` long.
    Returns the pieces (chrom, start, end; 1-based inclusive as in segments.tsv) and per region
    per chromosome an (n_pieces, 2) array of major, minor copies; the diploid normal `ROOT`
    (1 + 1) is added."""
    seg = segments[segments["sample"].astype(str).isin(tumours)].copy()
    seg["sample"] = seg["sample"].astype(str)
    seg["chrom"] = seg["chrom"].astype(str)
    seg = seg[seg["chrom"].map(is_autosome)]
    for col in ("major_cn", "minor_cn"):
        seg[col] = pd.to_numeric(seg[col], errors="coerce")
    present = [s for s in tumours if s in set(seg["sample"])]
    pieces = []
    chroms = list(dict.fromkeys(seg["chrom"]))
    for chrom in chroms:
        on = seg[seg["chrom"] == chrom]
        cuts = np.unique(np.concatenate([on["start"].to_numpy(int), on["end"].to_numpy(int) + 1]))
        for lo, hi in zip(cuts[:-1], cuts[1:]):
            pieces.append((chrom, int(lo), int(hi) - 1))
    table = pd.DataFrame(pieces, columns=["chrom", "start", "end"])
    values = {}
    keep = np.ones(len(table), dtype=bool)
    for s in present:
        mine = seg[seg["sample"] == s]
        maj = np.full(len(table), np.nan)
        mnr = np.full(len(table), np.nan)
        for chrom in chroms:
            idx = np.flatnonzero(table["chrom"].to_numpy() == chrom)
            rows = mine[mine["chrom"] == chrom].sort_values("start")
            starts = rows["start"].to_numpy(int)
            ends = rows["end"].to_numpy(int)
            st = table["start"].to_numpy(int)[idx]
            k = np.searchsorted(starts, st, side="right") - 1
            ok = (k >= 0) & (ends[np.clip(k, 0, None)] >= st) if len(starts) else np.zeros(len(idx), bool)
            maj[idx[ok]] = rows["major_cn"].to_numpy(float)[k[ok]]
            mnr[idx[ok]] = rows["minor_cn"].to_numpy(float)[k[ok]]
        values[s] = (maj, mnr)
        keep &= np.isfinite(maj) & np.isfinite(mnr)
    keep &= (table["end"] - table["start"] + 1).to_numpy() >= min_segment_bp
    table = table[keep].reset_index(drop=True)
    profiles: dict[str, dict[str, np.ndarray]] = {}
    chrom_of = table["chrom"].to_numpy()
    for s in present:
        maj, mnr = (v[keep] for v in values[s])
        both = np.stack([np.round(maj), np.round(mnr)], axis=1).astype(np.int64)
        profiles[s] = {c: both[chrom_of == c] for c in chroms if (chrom_of == c).any()}
    profiles[ROOT] = {c: np.ones(((chrom_of == c).sum(), 2), dtype=np.int64) for c in chroms if (chrom_of == c).any()}
    return table, profiles
