"""Inputs shaped like a real human cohort's, without its data: a reference with the real contig
names and lengths (every base N, bgzipped, with its .fai and .gzi) and BAMs whose header carries
those contigs. They let a dry run plan the jobs of a GRCh38 or b37 cohort of any size in seconds
(tests/test_reference_shapes.py, bench/scale.py shapes)."""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path

import pysam

from ith.io.bgzf import _EOF, BLOCK_PAYLOAD, _block

LINE_BASES = 60


def read_shape(path: str) -> list[tuple[str, int]]:
    """Contig names and lengths from a two-column TSV (tests/data/references)."""
    with open(path) as fh:
        return [(name, int(length)) for name, length in (line.split("\t")[:2] for line in fh if line.strip())]


SHAPES = Path(__file__).resolve().parents[3] / "tests" / "data" / "references"


def ensembl_names(ucsc: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """GRCh38 as Ensembl names it: chr dropped, chrM -> MT, scaffolds by accession, no EBV."""
    out = []
    for name, length in ucsc:
        if name == "chrEBV":
            continue
        m = re.match(r"^chr(?:\w+_)?([A-Z]{2}\d{6})v(\d+)(?:_random)?$", name)
        out.append((f"{m.group(1)}.{m.group(2)}" if m else "MT" if name == "chrM" else name[3:], length))
    return out


def shape(name: str) -> list[tuple[str, int]]:
    """Contigs of a named shape: grch38_ucsc, grch38_ensembl (derived from UCSC), hs37d5."""
    if name == "grch38_ensembl":
        return ensembl_names(read_shape(str(SHAPES / "grch38_ucsc.tsv")))
    return read_shape(str(SHAPES / f"{name}.tsv"))


def _fasta_pieces(contigs: list[tuple[str, int]]):
    """The uncompressed FASTA in pieces of about 1 MB (every base N)."""
    line = b"N" * LINE_BASES + b"\n"
    per_piece = (1 << 20) // len(line)
    for name, length in contigs:
        yield f">{name}\n".encode()
        full, rest = divmod(length, LINE_BASES)
        while full:
            k = min(full, per_piece)
            yield line * k
            full -= k
        if rest:
            yield b"N" * rest + b"\n"


def write_shaped_reference(contigs: list[tuple[str, int]], fasta_gz: str) -> None:
    """A bgzipped all-N FASTA with these contigs, and its .fai and .gzi, written directly (a
    3 Gb genome in a few seconds and a few MB: the blocks of N repeat, so each distinct block is
    compressed once)."""
    fai = []
    offset = 0
    for name, length in contigs:
        offset += len(name) + 2
        fai.append(f"{name}\t{length}\t{offset}\t{LINE_BASES}\t{LINE_BASES + 1}\n")
        offset += length + -(-length // LINE_BASES)
    compressed: dict[bytes, bytes] = {}
    gzi: list[tuple[int, int]] = []
    c_off = u_off = 0
    buf = bytearray()
    with open(fasta_gz, "wb") as out:
        def emit(payload: bytes) -> None:
            nonlocal c_off, u_off
            block = compressed.get(payload)
            if block is None:
                block = compressed.setdefault(payload, _block(payload, 6))
            if u_off:
                gzi.append((c_off, u_off))
            out.write(block)
            c_off += len(block)
            u_off += len(payload)

        for piece in _fasta_pieces(contigs):
            buf += piece
            n = len(buf) // BLOCK_PAYLOAD * BLOCK_PAYLOAD
            for i in range(0, n, BLOCK_PAYLOAD):
                emit(bytes(buf[i: i + BLOCK_PAYLOAD]))
            del buf[:n]
        if buf:
            emit(bytes(buf))
        out.write(_EOF)
    with open(fasta_gz + ".fai", "w") as fh:
        fh.writelines(fai)
    with open(fasta_gz + ".gzi", "wb") as fh:
        fh.write(struct.pack("<Q", len(gzi)))
        for c, u in gzi:
            fh.write(struct.pack("<QQ", c, u))


def write_shaped_bam(path: str, contigs: list[tuple[str, int]], sample: str) -> None:
    """A coordinate-sorted, indexed BAM with these contigs in its header, read group `sample` and
    one read pair on the first contig (a BAM with no read at all is refused by the input check)."""
    header = {"HD": {"VN": "1.6", "SO": "coordinate"},
              "SQ": [{"SN": n, "LN": ln} for n, ln in contigs],
              "RG": [{"ID": sample, "SM": sample, "PL": "ILLUMINA"}]}
    with pysam.AlignmentFile(path, "wb", header=header) as bam:
        for i, (pos, flag, mpos) in enumerate([(1_000_000, 99, 1_000_200), (1_000_200, 147, 1_000_000)]):
            read = pysam.AlignedSegment(bam.header)
            read.query_name = "pair1"
            read.flag = flag
            read.reference_id = 0
            read.reference_start = pos
            read.mapping_quality = 60
            read.cigarstring = "100M"
            read.query_sequence = "A" * 100
            read.query_qualities = pysam.qualitystring_to_array("I" * 100)
            read.next_reference_id = 0
            read.next_reference_start = mpos
            read.template_length = 300 if i == 0 else -300
            read.set_tag("RG", sample)
            bam.write(read)
    pysam.index(path)
    os.utime(path + ".bai")  # the index is newer than its BAM, as a real one is
