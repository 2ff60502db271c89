"""Regions' segments cut into shared segments: every region's segments cut at the union of all
the regions' breakpoints, so that each piece has one state per region (the copy-number import of
several files, the copy-number tree's profiles and the MEDICC2 export read them so).

Coordinates are 1-based and inclusive as in segments.tsv; a region's segments on one chromosome
must not overlap (they need not be sorted nor contiguous).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ith.io.reference import is_autosome

PIECE_COLUMNS = ["chrom", "start", "end"]


@dataclass(frozen=True)
class SharedSegments:
    """pieces: chrom, start, end of every piece between two consecutive breakpoints of any
    region (chromosomes in order of first appearance, pieces by position); rows: per region,
    for each piece the position (iloc) of the region's segment that covers it, -1 where none
    does."""

    pieces: pd.DataFrame
    rows: dict[str, np.ndarray]

    def covered(self, samples: Sequence[str] | None = None) -> np.ndarray:
        """Pieces that every one of `samples` (default all) has a segment over."""
        ok = np.ones(len(self.pieces), dtype=bool)
        for s in self.rows if samples is None else samples:
            ok &= self.rows[s] >= 0
        return ok

    def values(self, sample: str, segments: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
        """(n_pieces, len(columns)) floats of the region's segment over each piece (NaN where
        none); `segments`: the region's table as given to `shared_segments`."""
        idx = self.rows[sample]
        out = np.full((len(idx), len(columns)), np.nan)
        got = idx >= 0
        if got.any():
            vals = segments[list(columns)].apply(pd.to_numeric, errors="coerce").to_numpy(float)
            out[got] = vals[idx[got]]
        return out


def shared_segments(per_sample: Mapping[str, pd.DataFrame], autosomes_only: bool = False) -> SharedSegments:
    """Cut the regions' segments (per region a table with chrom, start, end) at every region's
    breakpoints. `autosomes_only`: pieces of the autosomes only."""
    tables = {s: t for s, t in per_sample.items()}
    chroms = [str(c) for c in pd.unique(pd.concat([t["chrom"].astype(str) for t in tables.values()],
                                                  ignore_index=True))] if tables else []
    if autosomes_only:
        chroms = [c for c in chroms if is_autosome(c)]
    pieces, rows = [], {s: [] for s in tables}
    for chrom in chroms:
        per = {}
        for s, t in tables.items():
            where = np.flatnonzero(t["chrom"].astype(str).to_numpy() == chrom)
            st = t["start"].to_numpy(np.int64)[where]
            order = np.argsort(st, kind="stable")
            per[s] = (where[order], st[order], t["end"].to_numpy(np.int64)[where][order])
        edges = np.unique(np.concatenate([np.concatenate([st, en + 1]) for _, st, en in per.values()]))
        lo, hi = edges[:-1], edges[1:] - 1
        pieces.append(pd.DataFrame({"chrom": chrom, "start": lo, "end": hi}))
        for s, (where, st, en) in per.items():
            k = np.searchsorted(st, lo, side="right") - 1
            inside = (k >= 0) & (lo <= en[np.maximum(k, 0)]) if len(st) else np.zeros(len(lo), dtype=bool)
            rows[s].append(np.where(inside, where[np.maximum(k, 0)] if len(st) else -1, -1))
    table = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=PIECE_COLUMNS)
    table = table.astype({"chrom": str, "start": np.int64, "end": np.int64})
    return SharedSegments(table, {s: (np.concatenate(v) if v else np.zeros(0, np.int64)).astype(np.int64)
                                  for s, v in rows.items()})


def by_sample(segments: pd.DataFrame, samples: Sequence[str]) -> dict[str, pd.DataFrame]:
    """segments.tsv rows of each of `samples` that has any (in `samples` order), positions reset."""
    seg = segments.assign(sample=segments["sample"].astype(str), chrom=segments["chrom"].astype(str))
    return {s: seg[seg["sample"] == s].reset_index(drop=True) for s in samples if (seg["sample"] == s).any()}


def shared_states(segments: pd.DataFrame, samples: Sequence[str], columns: Sequence[str] = ("major_cn", "minor_cn"),
                  autosomes_only: bool = True) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The regions' segments.tsv rows on their shared segments, kept where every region present
    has a number in each of `columns`: the pieces (chrom, start, end) and per region an
    (n_pieces, len(columns)) float array of its values."""
    per = by_sample(segments, samples)
    cut = shared_segments(per, autosomes_only)
    vals = {s: cut.values(s, t, columns) for s, t in per.items()}
    keep = np.ones(len(cut.pieces), dtype=bool)
    for v in vals.values():
        keep &= np.isfinite(v).all(axis=1)
    return cut.pieces[keep].reset_index(drop=True), {s: v[keep] for s, v in vals.items()}
