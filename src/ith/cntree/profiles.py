"""Regions' allele-specific profiles on shared segments, from segments.tsv."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ith.io.segments import shared_states

ROOT = "diploid"
UNKNOWN_BINS = 1e12


def shared_segments(segments: pd.DataFrame, tumours: list[str], min_segment_bp: int = 0,
                    boundary_bins: int = 0) -> tuple[pd.DataFrame, dict[str, dict[str, np.ndarray]]]:
    """Cut every autosome at all the regions' breakpoints (ith.io.segments); a piece is kept when
    every region has an integer major and minor copy number over it, it is at least
    `min_segment_bp` long, and it is not a boundary piece (`boundary_pieces`, with
    `boundary_bins`; 0 keeps them). Returns the pieces (chrom, start, end; 1-based inclusive as
    in segments.tsv) and per region per chromosome an (n_pieces, 2) array of major, minor
    copies; the diploid normal `ROOT` (1 + 1) is added."""
    # a segment without a bin count (an imported caller's) counts as long: never a boundary piece
    bins = (pd.to_numeric(segments["n_bins"], errors="coerce").fillna(UNKNOWN_BINS)
            if "n_bins" in segments.columns else UNKNOWN_BINS)
    table, values = shared_states(segments.assign(_flag=subclonal_flags(segments), _bins=bins), tumours,
                                  ("major_cn", "minor_cn", "_flag", "_bins"), autosomes_only=True)
    keep = (table["end"] - table["start"] + 1).to_numpy() >= min_segment_bp
    if values and boundary_bins > 0:
        own = segments[segments["sample"].isin(tumours)]
        extent = own.groupby(own["chrom"].astype(str)).agg(start=("start", "min"), end=("end", "max"))
        keep &= ~boundary_pieces(values, boundary_bins, table, extent)
    table = table[keep].reset_index(drop=True)
    chrom_of = table["chrom"].to_numpy()
    chroms = list(dict.fromkeys(chrom_of))
    profiles: dict[str, dict[str, np.ndarray]] = {}
    for s, v in values.items():
        both = np.round(v[keep, :2]).astype(np.int64)
        profiles[s] = {c: both[chrom_of == c] for c in chroms}
    profiles[ROOT] = {c: np.ones(((chrom_of == c).sum(), 2), dtype=np.int64) for c in chroms}
    return table, profiles


def boundary_pieces(values: dict[str, np.ndarray], max_bins: int, pieces: pd.DataFrame | None = None,
                    extent: pd.DataFrame | None = None) -> np.ndarray:
    """Pieces inside a segment of at most `max_bins` bins in every region that more than half the
    regions with a boundary there flag subclonal (`values`: per region major, minor, flag and
    n_bins; `pieces`: their chrom, start and end, in order along each chromosome). Such a piece is
    where the segmentation put a short segment across a breakpoint that falls inside a bin: half
    of it on each side in every region with the breakpoint, its level between the two states,
    read as either by the region's purity and noise, which makes spurious differences between
    the regions. A region has a boundary at a piece where it flags it or its state changes from
    an adjacent piece to it; a region whose state runs on unchanged across it (one that does not
    hold the event whose breakpoint it is; the joint segmentation cut it there for the others)
    does not count. Without `pieces` every region counts. A real event of at most `max_bins`
    bins that every region holding it flags is left out too: at that size one cannot tell it
    from a breakpoint's bin. A short piece at either end of a chromosome (its first or last
    piece) is a boundary piece where any region's state changes from the piece next to it: the
    segmentation puts no segment of fewer than `copynumber.segment.min_bins` there, so a
    breakpoint within the last bins leaves one across it, read as either side or between by
    each region, flagged or not; `extent`: per chromosome (index) the first start and last end
    of the regions' segments (without it, the first and last of `pieces`)."""
    v = np.stack(list(values.values()))  # (regions, pieces, 4)
    short = (v[:, :, 3] <= max_bins).all(axis=0)
    flagged = v[:, :, 2] > 0
    if pieces is None:
        return short & (flagged.mean(axis=0) > 0.5)
    chrom, start, end = (pieces[c].to_numpy() for c in ("chrom", "start", "end"))
    # adjacent: same chromosome and no piece left out between (one that some region lacks)
    adjacent = (chrom[1:] == chrom[:-1]) & (start[1:] == end[:-1] + 1)
    change = (v[:, 1:, :2] != v[:, :-1, :2]).any(axis=2) & adjacent[None, :]
    step = np.zeros(flagged.shape, bool)  # the region's state changes at the piece's start or end
    step[:, 1:] |= change
    step[:, :-1] |= change
    voters = (flagged | step).sum(axis=0)
    # at a chromosome's end the segmentation cannot cut closer than its smallest segment, so a
    # breakpoint in the last bins leaves a short segment across it that no region need flag (half
    # of 4+2 and 2+2 reads a clean 3+2): there any region's step from the neighbour is enough
    steps = change.any(axis=0)  # between piece k and k + 1
    first = np.r_[True, chrom[1:] != chrom[:-1]]
    last = np.r_[chrom[1:] != chrom[:-1], True]
    if extent is not None:  # a piece after one left out (uncalled) is not at the chromosome's end
        names = pd.Series(chrom).astype(str)
        first &= start == names.map(extent["start"]).fillna(-1).to_numpy()
        last &= end == names.map(extent["end"]).fillna(-1).to_numpy()
    at_end = (first & ~last & np.r_[steps, False]) | (last & ~first & np.r_[False, steps])
    return short & ((flagged.sum(axis=0) > 0.5 * voters) | at_end)


def subclonal_flags(segments: pd.DataFrame) -> np.ndarray:
    """segments.tsv's `subclonal` as 1.0/0.0 (true, True or 1; missing or absent: 0)."""
    if "subclonal" not in segments.columns:
        return np.zeros(len(segments))
    return segments["subclonal"].astype(str).str.lower().isin(["true", "1", "1.0"]).to_numpy(float)
