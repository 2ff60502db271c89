"""Opening a BAM or CRAM the same way everywhere: a CRAM always against the given reference.

htslib decodes a CRAM's bases against a reference. Given none, it quietly takes the path in the
CRAM's @SQ UR: tag or downloads the sequences by MD5 from the EBI's server (REF_PATH), which on a
cluster node means a file of another machine, a hang without network, or a reference that is not
the config's. So a CRAM is opened only with the config's FASTA, and its decoding errors name both.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pysam


class BamFormatError(ValueError):
    """A BAM or CRAM that cannot be read, or a CRAM without its reference."""


def is_cram(path: str) -> bool:
    """By content, not name (a CRAM starts with the bytes 'CRAM')."""
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"CRAM"
    except FileNotFoundError:
        raise BamFormatError(f"{path}: no such BAM/CRAM file") from None


# The BAM index (a BAI, or a CSI at its default) places a read no closer than its 16 kb window, so
# reaching a site through it decodes about half a window of reads, and a region per site re-reads
# what neighbouring sites share. It pays where the sites' windows cover little of the genome (a
# human genome's 5,000 identity SNPs or 10,000 mutations: 3-5% of it); streaming every read once
# wins where they cover it all (the demo's 1,326 SNPs or 439 mutations over 1.3 Mb). Either way
# the counts are the same.
INDEX_WINDOW = 16_384
JUMP_COVER = 0.1


def reach_by_index(n_sites: int, genome_length: int) -> bool:
    """Whether sites are sparse enough to be read through the BAM index rather than streamed."""
    return n_sites * INDEX_WINDOW <= JUMP_COVER * genome_length


def check_reference(path: str, reference: str | None) -> None:
    """A CRAM needs its reference FASTA, and it must exist."""
    if not reference:
        raise BamFormatError(f"{path}: a CRAM is decoded against its reference, and none was given; pass the "
                             "FASTA it was written against (config reference.fasta)")
    if not os.path.exists(reference):
        raise BamFormatError(f"{path}: reference FASTA '{reference}' not found; config reference.fasta must name the "
                             "FASTA the CRAM was written against")


def decode_error(path: str, reference: str | None, detail: str) -> BamFormatError:
    """The error for a BAM or CRAM whose records fail to decode, with the command that shows why."""
    if reference and is_cram(path):
        return BamFormatError(f"{path}: cannot decode this CRAM against the reference '{reference}' ({detail}). The "
                              f"CRAM must be intact and written against that FASTA (config reference.fasta); check "
                              f"with: samtools view -T {reference} -o /dev/null {path}")
    return BamFormatError(f"{path}: cannot read this BAM ({detail}); it is corrupt or truncated; check with: "
                          f"samtools view -o /dev/null {path}")


def read_group_samples(header: dict) -> set[str]:
    """The SM of a header's read groups (header as pysam's `to_dict()`): what the input check
    compares with the sheet, and what Mutect2 names its VCF's sample columns by."""
    return {str(rg["SM"]) for rg in header.get("RG", []) if rg.get("SM")}


@contextmanager
def open_alignments(path: str, reference: str | None = None) -> Iterator[pysam.AlignmentFile]:
    """pysam.AlignmentFile of a BAM, or of a CRAM decoded against `reference`; a read that fails
    inside (htslib says only "truncated file") raises decode_error's message."""
    cram = is_cram(path)
    if cram:
        check_reference(path, reference)
    try:
        fh = pysam.AlignmentFile(path, reference_filename=reference if cram else None)
    except (OSError, ValueError) as e:
        raise decode_error(path, reference if cram else None, str(e)) from e
    with fh:
        try:
            yield fh
        except OSError as e:
            raise decode_error(path, reference if cram else None, str(e)) from e
