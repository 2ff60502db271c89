"""Transcript models from a GTF (GENCODE/Ensembl style), read with pysam's GTF parser, one chosen
transcript per gene, and the translation of each chosen transcript checked against the reference.

Reader: `pysam.tabix_iterator(..., parser=pysam.asGTF())`, the htslib-backed GTF parser of pysam,
which the workflow already depends on (pyranges and gtfparse read the same columns but would add
a dependency each, polars for gtfparse). A `.gz` GTF (bgzip or gzip) is read through Python's gzip.

Features used: `exon`, `CDS` and `stop_codon` (GENCODE's CDS excludes the stop codon; it is added
back so the coding sequence ends with its stop). Attributes used: `gene_id`, `gene_name` (else
the gene_id), `transcript_id`, `tag` (every tag of the line; pysam keeps only the last, so the raw
attribute text is read) and `transcript_type`/`transcript_biotype`.

Transcript choice per gene (the first rule that separates candidates wins): a coding transcript
that passed the translation check; tag `Ensembl_canonical`; tag `MANE_Select`; tag `basic`; the
longest CDS; the longest transcript; the smallest transcript_id.
"""

from __future__ import annotations

import gzip
import logging
import re
from dataclasses import dataclass, field

import pandas as pd
import pysam

from ith.errors import InputError

log = logging.getLogger(__name__)

_TAG = re.compile(r'\btag\s+"([^"]*)"')
_TRANSCRIPT_ID = re.compile(r'\btranscript_id\s+"([^"]*)"')
STOP_CODONS = {"TAA", "TAG", "TGA"}


@dataclass
class Transcript:
    transcript_id: str
    gene_id: str
    gene_name: str
    chrom: str
    strand: str  # + or -
    exons: list[tuple[int, int]] = field(default_factory=list)  # 1-based inclusive, ascending
    cds: list[tuple[int, int]] = field(default_factory=list)  # 1-based inclusive, ascending, with the stop codon
    tags: set[str] = field(default_factory=set)
    biotype: str = ""
    translation_ok: bool = False
    problem: str = ""  # why the translation check failed

    @property
    def start(self) -> int:
        return self.exons[0][0]

    @property
    def end(self) -> int:
        return self.exons[-1][1]

    @property
    def coding(self) -> bool:
        return bool(self.cds)

    @property
    def cds_length(self) -> int:
        return sum(e - s + 1 for s, e in self.cds)

    @property
    def length(self) -> int:
        return sum(e - s + 1 for s, e in self.exons)


def _merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _open(path: str):
    with open(path, "rb") as fh:
        magic = fh.read(2)
    return gzip.open(path, "rt") if magic == b"\x1f\x8b" else open(path)


def read_gtf(path: str, contigs: set[str] | None = None) -> dict[str, Transcript]:
    """Every transcript of the GTF with an exon (on `contigs` when given), by transcript_id."""
    tx: dict[str, Transcript] = {}
    cds: dict[str, list[tuple[int, int]]] = {}
    n = 0
    try:
        with _open(path) as fh:
            for n, rec in enumerate(pysam.tabix_iterator(fh, parser=pysam.asGTF()), 1):
                feature = rec.feature
                if feature not in ("exon", "CDS", "stop_codon"):
                    continue
                if contigs is not None and rec.contig not in contigs:
                    continue
                raw = rec.attributes  # before to_dict(), which leaves only the last tag in it
                m = _TRANSCRIPT_ID.search(raw)
                if not m:
                    continue
                tid = m.group(1)
                t = tx.get(tid)
                if t is None:  # the attributes parsed once a transcript (the costly part)
                    attrs = rec.to_dict()
                    gid = attrs.get("gene_id", tid)
                    t = tx[tid] = Transcript(tid, gid, attrs.get("gene_name", gid), rec.contig, rec.strand,
                                             biotype=attrs.get("transcript_type", attrs.get("transcript_biotype", "")))
                    t.tags.update(_TAG.findall(raw))
                # pysam's start is 0-based, end exclusive
                iv = (int(rec.start) + 1, int(rec.end))
                if feature == "exon":
                    t.exons.append(iv)
                else:
                    cds.setdefault(tid, []).append(iv)
    except (ValueError, KeyError, OSError) as e:
        raise InputError(f"annotation.gtf '{path}': cannot read it as GTF near record {n + 1} ({e}); give a GTF "
                         "(9 tab-separated columns, attributes as key \"value\";)") from None
    for tid, t in tx.items():
        t.exons = _merge(t.exons)
        t.cds = _merge(cds.get(tid, []))
    out = {k: t for k, t in tx.items() if t.exons}
    if not out:
        raise InputError(f"annotation.gtf '{path}': no exon records" +
                         (" on the reference's contigs (is its naming chr1 vs 1?)" if contigs is not None else ""))
    return out


_COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def revcomp(seq: str) -> str:
    return seq.translate(_COMPLEMENT)[::-1]


def spliced(fasta: pysam.FastaFile, chrom: str, blocks: list[tuple[int, int]], strand: str) -> str:
    """The bases of blocks (1-based inclusive, ascending), joined, on the transcript's strand."""
    seq = "".join(fasta.fetch(chrom, s - 1, e) for s, e in blocks).upper()
    return revcomp(seq) if strand == "-" else seq


def check_translation(t: Transcript, fasta: pysam.FastaFile) -> str:
    """Why the CDS does not translate cleanly ('' when it does): a length that is not a multiple of
    3, no ATG start, no stop at the end, or a stop inside."""
    if not t.cds:
        return "no CDS"
    if t.chrom not in fasta.references:
        return f"contig {t.chrom} not in the reference"
    seq = spliced(fasta, t.chrom, t.cds, t.strand)
    if len(seq) % 3:
        return f"CDS length {len(seq)} is not a multiple of 3"
    if not seq.startswith("ATG"):
        return f"CDS starts with {seq[:3]}, not ATG"
    codons = [seq[i:i + 3] for i in range(0, len(seq), 3)]
    if codons[-1] not in STOP_CODONS:
        return f"CDS ends with {codons[-1]}, not a stop codon"
    internal = [i for i, c in enumerate(codons[:-1]) if c in STOP_CODONS]
    if internal:
        return f"internal stop codon at codon {internal[0] + 1}"
    return ""


def _rank(t: Transcript) -> tuple:
    return (not (t.coding and t.translation_ok), "Ensembl_canonical" not in t.tags, "MANE_Select" not in t.tags,
            "basic" not in t.tags, -t.cds_length, -t.length, t.transcript_id)


def choose_transcripts(transcripts: dict[str, Transcript], fasta: pysam.FastaFile) -> list[Transcript]:
    """One transcript per gene (module docstring's rule), every coding one translation-checked
    first; transcripts failing the check are logged and chosen only when the gene has nothing
    better (then they are annotated as non-coding)."""
    failed = 0
    for t in transcripts.values():
        if t.coding:
            t.problem = check_translation(t, fasta)
            t.translation_ok = not t.problem
            if t.problem:
                failed += 1
                log.warning("transcript %s (%s): %s; not used for coding consequences", t.transcript_id,
                            t.gene_name, t.problem)
    by_gene: dict[str, list[Transcript]] = {}
    for t in transcripts.values():
        by_gene.setdefault(t.gene_id, []).append(t)
    chosen = [min(ts, key=_rank) for ts in by_gene.values()]
    log.info("GTF: %d transcripts of %d genes; %d coding transcripts failed the translation check; "
             "%d genes with a checked coding transcript", len(transcripts), len(by_gene), failed,
             sum(1 for t in chosen if t.coding and t.translation_ok))
    return sorted(chosen, key=lambda t: (t.chrom, t.start, t.end, t.gene_id))


TRANSCRIPT_COLUMNS = ["transcript_id", "gene_id", "gene_name", "chrom", "strand", "start", "end", "exons", "cds",
                      "tags", "biotype", "translation_ok", "problem"]


def _blocks(blocks: list[tuple[int, int]]) -> str:
    return ",".join(f"{s}-{e}" for s, e in blocks)


def _parse_blocks(text: str) -> list[tuple[int, int]]:
    return [(int(s), int(e)) for s, e in (b.split("-") for b in text.split(",") if b)] if text else []


def transcript_table(chosen: list[Transcript]) -> pd.DataFrame:
    """The chosen transcripts as a table (exons and CDS as start-end lists, 1-based)."""
    return pd.DataFrame([(t.transcript_id, t.gene_id, t.gene_name, t.chrom, t.strand, t.start, t.end,
                          _blocks(t.exons), _blocks(t.cds), ",".join(sorted(t.tags)), t.biotype, t.translation_ok,
                          t.problem) for t in chosen], columns=TRANSCRIPT_COLUMNS)


def transcripts_from_table(table: pd.DataFrame) -> list[Transcript]:
    out = []
    for r in table.itertuples(index=False):
        ok = str(r.translation_ok).lower() == "true"
        out.append(Transcript(str(r.transcript_id), str(r.gene_id), str(r.gene_name), str(r.chrom), str(r.strand),
                              _parse_blocks(str(r.exons)), _parse_blocks("" if r.cds != r.cds else str(r.cds)),
                              set(str(r.tags).split(",")) if r.tags == r.tags and r.tags else set(),
                              "" if r.biotype != r.biotype else str(r.biotype), ok,
                              "" if r.problem != r.problem else str(r.problem)))
    return out
