"""Capture targets (exomes, panels): read from the assay's BED in the reference's naming, merged,
and padded to the regions where capture leaves reads."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ith.errors import InputError
from ith.io.naming import resource_naming

log = logging.getLogger(__name__)
Regions = dict[str, tuple[np.ndarray, np.ndarray]]  # contig -> sorted, disjoint 0-based starts, ends


def read_targets(bed: str, contigs: list[tuple[str, int]], reference: list[tuple[str, int]] | None = None,
                 excluded_by: str = "copynumber.exclude_contigs") -> pd.DataFrame:
    """Capture targets (chrom, 0-based start, end) from a BED file, checked against the reference
    and read in its naming, merged where they overlap, in reference order. Targets on reference
    contigs outside `contigs` (the ones the stage works on, after `excluded_by`) are left out;
    `reference` defaults to `contigs`."""
    reference = reference if reference is not None else contigs
    lengths = dict(reference)
    used = {c for c, _ in contigs}
    to_reference = resource_naming(bed, "assay.targets", reference, "bed").to_reference
    rows = []
    left_out = 0
    with open(bed) as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            f = line.rstrip("\n").split("\t")
            if len(f) < 3:
                raise InputError(f"{bed}, line {n}: a BED line needs chrom, start and end separated by tabs")
            try:
                start, end = int(f[1]), int(f[2])
            except ValueError:
                raise InputError(f"{bed}, line {n}: start and end must be integers, got {f[1]!r}, {f[2]!r}") from None
            chrom = to_reference.get(f[0], f[0])
            if chrom not in lengths:
                raise InputError(f"{bed}, line {n}: contig {f[0]!r} is not in the reference, with or without 'chr'; "
                                 f"use the reference's build")
            if not 0 <= start < end <= lengths[chrom]:
                raise InputError(f"{bed}, line {n}: interval {f[0]}:{start}-{end} is empty or outside the contig "
                                 f"{chrom} (length {lengths[chrom]}); BED is 0-based, half-open")
            if chrom not in used:
                left_out += 1
                continue
            rows.append((chrom, start, end))
    if left_out:
        log.info("assay.targets %s: %d targets on contigs excluded by %s, left out", bed, left_out, excluded_by)
    if not rows:
        raise InputError(f"{bed}: no intervals on the contigs analysed; give the capture targets of the assay")
    return merge_intervals(pd.DataFrame(rows, columns=["chrom", "start", "end"]), contigs)


def merge_intervals(df: pd.DataFrame, contigs: list[tuple[str, int]]) -> pd.DataFrame:
    """0-based half-open intervals sorted in `contigs` order, overlapping or touching ones merged."""
    rank = {c: i for i, (c, _) in enumerate(contigs)}
    df = df.assign(rank=df["chrom"].map(rank)).sort_values(["rank", "start", "end"], kind="stable")
    merged = []
    for _, grp in df.groupby("rank", sort=True):
        s, e = grp["start"].to_numpy(), grp["end"].to_numpy()
        reach = np.maximum.accumulate(e)
        new = np.concatenate([[True], s[1:] > reach[:-1]])
        ids = np.cumsum(new) - 1
        merged.append(pd.DataFrame({"chrom": grp["chrom"].iloc[0], "start": s[new],
                                    "end": pd.Series(reach).groupby(ids).max().to_numpy()}))
    cols = ["chrom", "start", "end"]
    return pd.concat(merged, ignore_index=True)[cols] if merged else pd.DataFrame(columns=cols)


def padded_targets(targets: pd.DataFrame, padding: int, contigs: list[tuple[str, int]]) -> pd.DataFrame:
    """The targets widened by `padding` bp on each side, within their contigs, merged where they
    then meet: where a capture library has reads (fragments overlapping a target reach past it
    by up to a fragment length, thinning out)."""
    lengths = targets["chrom"].map(dict(contigs)).to_numpy()
    wide = targets.assign(start=np.maximum(targets["start"].to_numpy() - padding, 0),
                          end=np.minimum(targets["end"].to_numpy() + padding, lengths))
    return merge_intervals(wide, contigs)


def target_regions(bed: str, contigs: list[tuple[str, int]], reference: list[tuple[str, int]], padding: int,
                   excluded_by: str) -> Regions:
    """Per contig of `contigs`, the sorted, disjoint 0-based half-open starts and ends of the
    padded targets."""
    wide = padded_targets(read_targets(bed, contigs, reference, excluded_by), padding, contigs)
    return {str(c): (g["start"].to_numpy(np.int64), g["end"].to_numpy(np.int64))
            for c, g in wide.groupby("chrom", sort=False)}


def in_regions(regions: Regions, chrom: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Whether each 1-based position lies in the regions (target_regions)."""
    out = np.zeros(len(pos), dtype=bool)
    for name, (s, e) in regions.items():
        here = chrom == name
        i = np.searchsorted(s, pos[here] - 1, side="right") - 1
        out[here] = (i >= 0) & (pos[here] - 1 < e[np.clip(i, 0, None)])
    return out
