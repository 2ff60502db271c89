"""Genomic chunks for scatter/gather: deterministic pieces of the reference of about equal size.

Large contigs are split; small ones (decoys, unplaced scaffolds) are packed together, so a
reference with thousands of contigs still gives a few hundred jobs per patient, not thousands.
"""

from __future__ import annotations

from dataclasses import dataclass


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
