"""Facts about the reference genome that every stage relies on: its contigs (from the .fai),
which of them a run includes, and what kind of chromosome each one is.

Contig classes are recognised for the human builds in their common namings: GRCh38 with UCSC
names (chr1..chr22, chrX, chrY, chrM; extras chr1_KI270706v1_random, chrUn_KI270302v1,
chr1_KI270762v1_alt, chrEBV, HLA-A*01:01:01:01, chrUn_JTFH01000001v1_decoy), GRCh38 with
Ensembl names (1..22, X, Y, MT; extras KI270728.1, GL000009.2), GRCh37/b37 (1..22, X, Y, MT;
GL000192.1, NC_007605, hs37d5) and hg19 (chr1..chr22, chrX, chrY, chrM; chr1_gl000191_random,
chrUn_gl000220, chr6_apd_hap1). Any numbered chromosome counts as an autosome, so other species
and the simulator's genomes (chr1..chrN) are classed too.
"""

from __future__ import annotations

import os
import re
from typing import Literal

from ith.errors import InputError

ContigClass = Literal["autosome", "X", "Y", "mitochondrion", "other"]
PRIMARY_CLASSES: tuple[ContigClass, ...] = ("autosome", "X", "Y")

# numbered chromosomes with or without the UCSC 'chr' prefix; everything not named below
# (unplaced scaffolds, decoys, alts, HLA, EBV) is 'other'
_AUTOSOME = re.compile(r"^(chr)?\d+$")
_X_NAMES = frozenset({"chrX", "X"})
_Y_NAMES = frozenset({"chrY", "Y"})
_MITO_NAMES = frozenset({"chrM", "MT", "chrMT", "M"})

# the default of variants.exclude_contigs and copynumber.exclude_contigs (the schema holds the
# same string): everything but the primary chromosomes, in any of the namings above. A negative
# lookahead keeps the setting a plain regex, so a user's own pattern means what it always meant.
PRIMARY_ONLY = "^(?!(chr)?([0-9]+|X|Y)$)"


def is_autosome(name: str) -> bool:
    return _AUTOSOME.match(name) is not None


def contig_class(name: str) -> ContigClass:
    if is_autosome(name):
        return "autosome"
    if name in _X_NAMES:
        return "X"
    if name in _Y_NAMES:
        return "Y"
    if name in _MITO_NAMES:
        return "mitochondrion"
    return "other"


def is_primary(name: str) -> bool:
    """An assembled chromosome of the nuclear genome (autosome, X or Y)."""
    return contig_class(name) in PRIMARY_CLASSES


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


def check_exclusion(contigs: list[tuple[str, int]], exclude: str | None, key: str, fasta: str, source: str) -> None:
    """A pattern that is no regex, or that leaves no contig of the reference, would otherwise
    fail inside the first job (or plan none) instead of here."""
    if not exclude:
        return
    try:
        re.compile(exclude)
    except re.error as e:
        raise InputError(f"{source}: {key} '{exclude}' is not a regular expression ({e}); fix the pattern or set "
                         f"it to null to include every contig.") from None
    if contigs and not included_contigs(contigs, exclude):
        names = ", ".join(n for n, _ in contigs[:5]) + (", ..." if len(contigs) > 5 else "")
        default = " (the default: keep the numbered chromosomes, X and Y, with or without 'chr')" \
            if exclude == PRIMARY_ONLY else ""
        raise InputError(f"{source}: {key} '{exclude}'{default} excludes every contig of the reference '{fasta}' "
                         f"({names}); set {key} to a pattern that keeps the contigs to analyse, or null for all.")
