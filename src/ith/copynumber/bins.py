"""Bins of the genome for read depth: fixed-size bins (WGS), or capture targets plus off-target
bins (WES, panels), each with its GC content and the fraction of it that is sequence (not N)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pysam

from ith.io.targets import read_targets

BIN_COLUMNS = ["chrom", "start", "end", "target", "gc", "mappable"]


def fixed_bins(contigs: list[tuple[str, int]], size: int) -> pd.DataFrame:
    """0-based half-open bins of `size` bp; the last bin of a contig is shorter."""
    frames = []
    for name, length in contigs:
        starts = np.arange(0, length, size, dtype=np.int64)
        frames.append(pd.DataFrame({"chrom": name, "start": starts, "end": np.minimum(starts + size, length),
                                    "target": False}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=BIN_COLUMNS[:4])


def capture_bins(contigs: list[tuple[str, int]], targets: pd.DataFrame, off_target_size: int,
                 padding: int = 250, min_off_target: int | None = None) -> pd.DataFrame:
    """Targets, plus the gaps between them (minus `padding` on each side, where reads of the
    targets still pile up) cut into bins of about `off_target_size` bp."""
    min_off = min_off_target if min_off_target is not None else off_target_size // 4
    frames = []
    for name, length in contigs:
        t = targets[targets["chrom"] == name]
        frames.append(pd.DataFrame({"chrom": name, "start": t["start"].to_numpy(), "end": t["end"].to_numpy(),
                                    "target": True}))
        edges_s = np.concatenate([[0], t["end"].to_numpy() + padding])
        edges_e = np.concatenate([t["start"].to_numpy() - padding, [length]])
        for a, b in zip(edges_s, edges_e):
            a, b = max(0, int(a)), min(length, int(b))
            if b - a < min_off:
                continue
            n = max(1, round((b - a) / off_target_size))
            cuts = np.linspace(a, b, n + 1).round().astype(np.int64)
            frames.append(pd.DataFrame({"chrom": name, "start": cuts[:-1], "end": cuts[1:], "target": False}))
    bins = pd.concat(frames, ignore_index=True)
    rank = {c: i for i, (c, _) in enumerate(contigs)}
    order = np.lexsort((bins["start"].to_numpy(), bins["chrom"].map(rank).to_numpy()))
    return bins.iloc[order].reset_index(drop=True)


# bins are read from the FASTA in windows of about this many bp (bounded memory however long the contig)
SEQUENCE_WINDOW = 10_000_000


def add_sequence_content(bins: pd.DataFrame, fasta: str) -> pd.DataFrame:
    """GC fraction of the non-N bases and the non-N fraction of every bin, the sequence read
    in windows of SEQUENCE_WINDOW bp (a whole 249 Mb chr1 at once took 6.4 GB)."""
    gc = np.full(len(bins), np.nan)
    acgt = np.zeros(len(bins))
    starts, ends = bins["start"].to_numpy(np.int64), bins["end"].to_numpy(np.int64)
    with pysam.FastaFile(fasta) as fa:
        for name, idx in bins.groupby("chrom", sort=False).indices.items():
            idx = idx[np.argsort(starts[idx], kind="stable")]
            s, e = starts[idx], ends[idx]
            n_gc = np.zeros(len(idx), np.int64)
            n_base = np.zeros(len(idx), np.int64)
            i = 0
            while i < len(idx):
                j = max(i + 1, int(np.searchsorted(s, s[i] + SEQUENCE_WINDOW, side="left")))
                a, b = int(s[i]), int(e[i:j].max())
                seq = np.frombuffer(fa.fetch(name, a, b).upper().encode(), dtype=np.uint8)
                for counts, mask in ((n_gc, (seq == ord("G")) | (seq == ord("C"))),
                                     (n_base, np.isin(seq, np.frombuffer(b"ACGT", np.uint8)))):
                    c = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
                    counts[i:j] = c[e[i:j] - a] - c[s[i:j] - a]
                i = j
            acgt[idx] = n_base / (e - s)
            with np.errstate(invalid="ignore", divide="ignore"):
                gc[idx] = np.where(n_base > 0, n_gc / n_base, np.nan)
    return bins.assign(gc=np.round(gc, 4), mappable=np.round(acgt, 4))


def make_bins(fasta: str, contigs: list[tuple[str, int]], bin_size: int, targets_bed: str | None = None,
              off_target_size: int | None = None, reference: list[tuple[str, int]] | None = None) -> pd.DataFrame:
    """The bin table of the assay over `contigs`: chrom, start (1-based), end, target, gc,
    mappable. reference: every contig of the FASTA (targets elsewhere are then left out, not
    refused); `contigs` when not given."""
    if targets_bed:
        bins = capture_bins(contigs, read_targets(targets_bed, contigs, reference), off_target_size or 20 * bin_size)
    else:
        bins = fixed_bins(contigs, bin_size)
    bins = add_sequence_content(bins, fasta)
    bins = bins[bins["mappable"] > 0].reset_index(drop=True)
    bins["start"] = bins["start"] + 1
    return bins[BIN_COLUMNS]


def interval_dict(bins: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Contig -> (0-based starts, ends) of a bin table with 1-based starts."""
    return {c: (g["start"].to_numpy(np.int64) - 1, g["end"].to_numpy(np.int64))
            for c, g in bins.groupby("chrom", sort=False)}
