"""Facts about the reference genome that every stage relies on: its contigs (from the .fai),
which of them a run includes, and what kind of chromosome each one is."""

from __future__ import annotations

import os
import re
from typing import Literal

from ith.errors import InputError

ContigClass = Literal["autosome", "X", "Y", "other"]

# numbered chromosomes with or without the UCSC 'chr' prefix; everything else (unplaced
# scaffolds, decoys, alts, the mitochondrion) is 'other'
_AUTOSOME = re.compile(r"^(chr)?\d+$")
_X_NAMES = frozenset({"chrX", "X"})
_Y_NAMES = frozenset({"chrY", "Y"})


def is_autosome(name: str) -> bool:
    return _AUTOSOME.match(name) is not None


def contig_class(name: str) -> ContigClass:
    if is_autosome(name):
        return "autosome"
    if name in _X_NAMES:
        return "X"
    if name in _Y_NAMES:
        return "Y"
    return "other"


def read_fai(fasta: str, source: str, fai: str | None = None) -> list[tuple[str, int]]:
    """Contigs and lengths of the reference, from its .fai (fai: where that index was fetched
    to, when the reference lives in remote storage)."""
    if fai is None:
        if not os.path.exists(fasta):
            raise InputError(f"{source}: reference.fasta '{fasta}' not found; give the FASTA the BAMs were aligned to.")
        fai = fasta + ".fai"
    if not os.path.exists(fai):
        raise InputError(f"{source}: reference '{fasta}' has no .fai index; run: samtools faidx {fasta}")
    contigs = []
    with open(fai) as fh:
        for line in fh:
            name, length = line.split("\t")[:2]
            contigs.append((name, int(length)))
    return contigs


def included_contigs(contigs: list[tuple[str, int]], exclude: str | None) -> list[tuple[str, int]]:
    """The contigs a run analyses: all but those the exclude pattern (a regex, searched
    anywhere in the name) matches."""
    pattern = re.compile(exclude) if exclude else None
    return [(n, ln) for n, ln in contigs if not (pattern and pattern.search(n))]
