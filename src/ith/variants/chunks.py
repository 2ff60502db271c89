"""Genomic chunks for scatter/gather: deterministic pieces of the reference of about equal size.

Large contigs are split; small ones (decoys, unplaced scaffolds) are packed together, so a
reference with thousands of contigs still gives a few hundred jobs per patient, not thousands.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ith.io.targets import Regions


@dataclass(frozen=True)
class Chunk:
    index: int
    regions: tuple[tuple[str, int, int], ...]  # (contig, start, end), 1-based inclusive

    @property
    def name(self) -> str:
        return f"chunk{self.index:04d}"

    @property
    def length(self) -> int:
        return sum(e - s + 1 for _, s, e in self.regions)


def make_chunks(contigs: list[tuple[str, int]], size: int) -> list[Chunk]:
    """Pieces of at most `size` bp: contigs longer than `size` split evenly, shorter ones packed
    in reference order."""
    pieces: list[tuple[str, int, int]] = []
    for name, length in contigs:
        n = max(1, -(-length // size))
        step = -(-length // n)
        pieces += [(name, start + 1, min(length, start + step)) for start in range(0, length, step)]
    chunks: list[Chunk] = []
    current: list[tuple[str, int, int]] = []
    for piece in pieces:
        if current and sum(e - s + 1 for _, s, e in current) + piece[2] - piece[1] + 1 > size:
            chunks.append(Chunk(len(chunks), tuple(current)))
            current = []
        current.append(piece)
    if current:
        chunks.append(Chunk(len(chunks), tuple(current)))
    return chunks


def restrict_chunks(chunks: list[Chunk], regions: Regions) -> list[Chunk]:
    """Each chunk cut down to `regions` (per contig: sorted, disjoint 0-based half-open starts and
    ends, e.g. padded capture targets); chunks left with nothing are dropped, the rest keep their
    names, so a chunk is the same piece of the genome whatever the assay."""
    out = []
    for chunk in chunks:
        parts: list[tuple[str, int, int]] = []
        for contig, start, end in chunk.regions:
            if contig not in regions:
                continue
            s, e = regions[contig]
            # intervals overlapping [start - 1, end) in 0-based coordinates, clipped to it
            lo, hi = np.searchsorted(e, start - 1, side="right"), np.searchsorted(s, end, side="left")
            parts += [(contig, int(a) + 1, int(b)) for a, b in zip(np.maximum(s[lo:hi], start - 1),
                                                                    np.minimum(e[lo:hi], end))]
        if parts:
            out.append(Chunk(chunk.index, tuple(parts)))
    return out
