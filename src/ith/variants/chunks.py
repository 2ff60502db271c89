"""Genomic chunks for scatter/gather: deterministic, named, contiguous pieces of the reference."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chunk:
    contig: str
    start: int  # 1-based inclusive
    end: int  # 1-based inclusive

    @property
    def name(self) -> str:
        return f"{self.contig}_{self.start}_{self.end}"

    @property
    def region(self) -> str:
        return f"{self.contig}:{self.start}-{self.end}"


def make_chunks(contigs: list[tuple[str, int]], size: int) -> list[Chunk]:
    """Split every contig into pieces of at most `size` bp, sized evenly within the contig."""
    out = []
    for name, length in contigs:
        n = max(1, -(-length // size))
        step = -(-length // n)
        for start in range(0, length, step):
            out.append(Chunk(name, start + 1, min(length, start + step)))
    return out


def parse_chunk(name: str) -> Chunk:
    contig, start, end = name.rsplit("_", 2)
    return Chunk(contig, int(start), int(end))
