"""The consequence of an allele on a transcript: Sequence Ontology term, MAF Variant_Classification,
HGVSc and HGVSp (one-letter, `p.R175H`), for SNVs, MNVs and short indels on either strand.

Conventions (docs/methods/annotation.md):
- splice_donor/acceptor_variant: an allele touching the two intron bases next to an exon
  (GT...AG); an insertion counts when both its flanking bases are such intron bases. No
  splice_region term.
- UTRs, introns and non-coding exons by where the allele's bases are; an insertion by its two
  flanking bases (both in the CDS for a coding change).
- Coding: the CDS with the allele is translated; residues shared at the start and then at the
  end are trimmed, so an in-frame indel in a repeat is placed at its 3'-most residue (HGVS).
  Frameshifts are named by their first changed residue and the new stop (`p.K132Nfs*5`; `*?`
  when no stop follows in the transcript). HGVSc positions are not shifted 3'.
- Transcripts whose CDS failed the translation check are annotated as non-coding.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import pysam

from ith.annotate.gtf import Transcript, revcomp, spliced

CODON_TABLE = {
    a + b + c: aa for (a, b, c), aa in zip(
        ((x, y, z) for x in "TCAG" for y in "TCAG" for z in "TCAG"),
        "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG")
}

# most severe first (Ensembl VEP's order of these terms)
SEVERITY = [
    "splice_acceptor_variant", "splice_donor_variant", "stop_gained", "frameshift_variant", "stop_lost",
    "start_lost", "inframe_insertion", "inframe_deletion", "missense_variant", "protein_altering_variant",
    "splice_region_variant", "incomplete_terminal_codon_variant", "start_retained_variant", "stop_retained_variant",
    "synonymous_variant", "coding_sequence_variant", "5_prime_UTR_variant", "3_prime_UTR_variant",
    "non_coding_transcript_exon_variant", "intron_variant", "non_coding_transcript_variant",
    "upstream_gene_variant", "downstream_gene_variant", "intergenic_variant",
]
_RANK = {t: i for i, t in enumerate(SEVERITY)}

# MAF Variant_Classification of a term; frameshift and in-frame terms depend on the allele's
# length change (maf_classification)
SO_TO_MAF = {
    "splice_acceptor_variant": "Splice_Site", "splice_donor_variant": "Splice_Site",
    "stop_gained": "Nonsense_Mutation", "stop_lost": "Nonstop_Mutation", "start_lost": "Translation_Start_Site",
    "missense_variant": "Missense_Mutation", "protein_altering_variant": "Missense_Mutation",
    "coding_sequence_variant": "Missense_Mutation", "incomplete_terminal_codon_variant": "Silent",
    "synonymous_variant": "Silent", "stop_retained_variant": "Silent", "start_retained_variant": "Silent",
    "splice_region_variant": "Splice_Region", "5_prime_UTR_variant": "5'UTR", "3_prime_UTR_variant": "3'UTR",
    "intron_variant": "Intron", "non_coding_transcript_exon_variant": "RNA", "non_coding_transcript_variant": "RNA",
    "mature_miRNA_variant": "RNA", "upstream_gene_variant": "5'Flank", "downstream_gene_variant": "3'Flank",
    "intergenic_variant": "IGR",
}
# classifications that change the protein or its splicing: what makes a mutation in a driver gene
# a driver mutation
PROTEIN_CHANGING = {"Missense_Mutation", "Nonsense_Mutation", "Nonstop_Mutation", "Frame_Shift_Del",
                    "Frame_Shift_Ins", "In_Frame_Del", "In_Frame_Ins", "Splice_Site", "Translation_Start_Site"}


def most_severe(terms: list[str]) -> str:
    """The most severe of SO terms (unknown terms rank last, in their given order)."""
    return min(terms, key=lambda t: _RANK.get(t, len(SEVERITY))) if terms else ""


def maf_classification(term: str, ref: str, alt: str) -> str:
    """MAF Variant_Classification of an SO term for a (minimal or anchored) VCF allele."""
    diff = len(alt) - len(ref)
    if term == "frameshift_variant":
        return "Frame_Shift_Ins" if diff > 0 else "Frame_Shift_Del"
    if term in ("inframe_insertion", "inframe_deletion"):
        return "In_Frame_Ins" if diff > 0 else "In_Frame_Del"
    return SO_TO_MAF.get(term, "Targeted_Region")


def translate(seq: str, to_stop: bool = False) -> str:
    out = []
    for i in range(0, len(seq) - 2, 3):
        aa = CODON_TABLE.get(seq[i:i + 3], "X")
        out.append(aa)
        if to_stop and aa == "*":
            break
    return "".join(out)


@dataclass
class Effect:
    gene: str = ""
    gene_id: str = ""
    transcript: str = ""
    strand: str = ""
    consequence: str = "intergenic_variant"
    variant_classification: str = "IGR"
    hgvsc: str = ""
    hgvsp: str = ""


class TranscriptModel:
    """A chosen transcript with what the consequence needs precomputed: its exons in transcript
    order, the CDS in genomic order with its sequence, and the 3' UTR sequence."""

    def __init__(self, t: Transcript, fasta: pysam.FastaFile):
        self.t = t
        self.minus = t.strand == "-"
        self.exons = list(reversed(t.exons)) if self.minus else list(t.exons)  # transcript order
        self.exon_offsets = []  # transcript index of each exon's first base (transcript order)
        acc = 0
        for s, e in self.exons:
            self.exon_offsets.append(acc)
            acc += e - s + 1
        # a CDS must lie in the exons (a GTF whose CDS lines stray out of them is read as non-coding)
        self.coding = t.coding and t.translation_ok and all(
            self.tx_index(s) is not None and self.tx_index(e) is not None for s, e in t.cds)
        self.splice: dict[int, str] = {}
        for (s1, e1), (s2, e2) in zip(t.exons, t.exons[1:]):
            left = "splice_acceptor_variant" if self.minus else "splice_donor_variant"
            right = "splice_donor_variant" if self.minus else "splice_acceptor_variant"
            for p in (e1 + 1, e1 + 2):
                if p < s2:
                    self.splice[p] = left
            for p in (s2 - 2, s2 - 1):
                if p > e1:
                    self.splice[p] = right
        if self.coding:
            self.cds_blocks = t.cds  # genomic order
            self.cds_starts = [s for s, _ in t.cds]
            self.cds_offsets = []
            acc = 0
            for s, e in t.cds:
                self.cds_offsets.append(acc)
                acc += e - s + 1
            self.cds_genomic = "".join(fasta.fetch(t.chrom, s - 1, e) for s, e in t.cds).upper()
            first = t.cds[-1][1] if self.minus else t.cds[0][0]
            last = t.cds[0][0] if self.minus else t.cds[-1][1]
            self.cds_tx_start = self.tx_index(first)
            self.cds_tx_end = self.tx_index(last)
            utr3 = []
            for s, e in self.exons:  # exonic bases after the CDS, in transcript order
                if self.minus:
                    if s < last:
                        utr3.append((s, min(e, last - 1)))
                elif e > last:
                    utr3.append((max(s, last + 1), e))
            self.utr3 = spliced(fasta, t.chrom, sorted(utr3), t.strand) if utr3 else ""
            self.protein = translate(self.cds_seq(self.cds_genomic))

    # -- coordinates --------------------------------------------------------------------------
    def tx_index(self, g: int) -> int | None:
        """0-based index along the spliced transcript of genomic position g, None if intronic."""
        for (s, e), off in zip(self.exons, self.exon_offsets):
            if s <= g <= e:
                return off + (e - g if self.minus else g - s)
        return None

    def cds_index(self, g: int) -> int | None:
        """0-based index in the genomic-order CDS string, None outside the CDS."""
        i = bisect.bisect_right(self.cds_starts, g) - 1
        if i >= 0 and g <= self.cds_blocks[i][1]:
            return self.cds_offsets[i] + g - self.cds_blocks[i][0]
        return None

    def cds_seq(self, genomic: str) -> str:
        return revcomp(genomic) if self.minus else genomic

    def region(self, g: int) -> str:
        """cds, utr5, utr3, exon (non-coding transcript), intron or outside."""
        if g < self.t.start or g > self.t.end:
            return "outside"
        i = self.tx_index(g)
        if i is None:
            return "intron"
        if not self.coding:
            return "exon"
        if i < self.cds_tx_start:
            return "utr5"
        if i > self.cds_tx_end:
            return "utr3"
        return "cds"

    def c_pos(self, g: int) -> str:
        """HGVS c. (n. for non-coding) position of a genomic position inside the transcript."""
        i = self.tx_index(g)
        if i is not None:
            if not self.coding:
                return str(i + 1)
            if i < self.cds_tx_start:
                return f"-{self.cds_tx_start - i}"
            if i > self.cds_tx_end:
                return f"*{i - self.cds_tx_end}"
            return str(i - self.cds_tx_start + 1)
        # intronic: the nearer exon boundary, + after an exon's (transcript) end, - before a start
        for (s1, e1), (s2, e2) in zip(self.t.exons, self.t.exons[1:]):
            if e1 < g < s2:
                up, down = (s2, e1) if self.minus else (e1, s2)  # transcript-order exon end, next start
                du, dd = abs(g - up), abs(g - down)
                return f"{self.c_pos(up)}+{du}" if du <= dd else f"{self.c_pos(down)}-{dd}"
        raise ValueError(f"{g} is outside transcript {self.t.transcript_id}")

    # -- the allele -----------------------------------------------------------------------------
    def hgvsc(self, start: int, r: str, a: str) -> str:
        prefix = "c." if self.coding else "n."
        ra, aa = (revcomp(r), revcomp(a)) if self.minus else (r, a)
        if not r:  # insertion between start - 1 and start
            left, right = (start, start - 1) if self.minus else (start - 1, start)
            return f"{prefix}{self.c_pos(left)}_{self.c_pos(right)}ins{aa}"
        end = start + len(r) - 1
        first, last = (end, start) if self.minus else (start, end)
        span = self.c_pos(first) if first == last else f"{self.c_pos(first)}_{self.c_pos(last)}"
        if len(r) == 1 and len(a) == 1:
            return f"{prefix}{span}{ra}>{aa}"
        if not a:
            return f"{prefix}{span}del"
        return f"{prefix}{span}delins{aa}"

    def effect(self, start: int, r: str, a: str) -> Effect:
        t = self.t
        eff = Effect(gene=t.gene_name, gene_id=t.gene_id, transcript=t.transcript_id, strand=t.strand)
        bases = [start - 1, start] if not r else list(range(start, start + len(r)))
        splice = [self.splice.get(b) for b in bases]
        if (not r and all(splice) and len(set(splice)) == 1) or (r and any(splice)):
            term = next(s for s in splice if s)
        else:
            regions = [self.region(b) for b in bases]
            if all(x == "outside" for x in regions) or (not r and "outside" in regions):
                return Effect()
            inside = [x for x in regions if x != "outside"]
            if self.coding and all(x == "cds" for x in inside) and len(inside) == len(regions):
                return self._coding(eff, start, r, a)
            if self.coding and "cds" in inside and r:
                # a deletion over a CDS end: the start or the stop codon is hit
                term = "start_lost" if ("utr5" in inside) else "stop_lost"
                eff.hgvsp = "p.M1?" if term == "start_lost" else ""
            else:
                kinds = [x for x in inside if x != "cds"] or inside
                order = ["utr5", "utr3", "exon", "intron"]
                kind = min(kinds, key=order.index) if not r else min(inside, key=order.index)
                term = {"utr5": "5_prime_UTR_variant", "utr3": "3_prime_UTR_variant",
                        "exon": "non_coding_transcript_exon_variant", "intron": "intron_variant"}[kind]
        eff.consequence = term
        eff.variant_classification = maf_classification(term, r, a)
        eff.hgvsc = self.hgvsc(start, r, a)
        return eff

    def _coding(self, eff: Effect, start: int, r: str, a: str) -> Effect:
        g = self.cds_genomic
        if r:
            i, j = self.cds_index(start), self.cds_index(start + len(r) - 1)
            mutated = g[:i] + a + g[j + 1:]
            first_codon = (len(g) - 1 - j if self.minus else i) // 3
        else:
            i = self.cds_index(start)
            mutated = g[:i] + a + g[i:]
            first_codon = (len(g) - i if self.minus else i) // 3
        new = self.cds_seq(mutated)
        p = self.protein
        diff = len(a) - len(r)
        eff.hgvsc = self.hgvsc(start, r, a)
        if diff % 3:
            q = translate(new + self.utr3, to_stop=True)
            k = next((n for n in range(min(len(p), len(q))) if p[n] != q[n]), min(len(p), len(q)))
            if k >= len(q) or k >= len(p):
                eff.hgvsp = "p.?"
            elif q[k] == "*":
                eff.hgvsp = f"p.{p[k]}{k + 1}*"
            else:
                stop = q.find("*", k)
                eff.hgvsp = f"p.{p[k]}{k + 1}{q[k]}fs*{stop - k + 1 if stop >= 0 else '?'}"
            eff.consequence = "frameshift_variant"
        elif first_codon == 0 and new[:3] != "ATG":
            eff.consequence, eff.hgvsp = "start_lost", "p.M1?"
        else:
            q = translate(new)
            n = 0
            while n < min(len(p), len(q)) and p[n] == q[n]:
                n += 1
            m = 0
            while m < min(len(p), len(q)) - n and p[len(p) - 1 - m] == q[len(q) - 1 - m]:
                m += 1
            gone, added = p[n:len(p) - m], q[n:len(q) - m]
            eff.consequence, eff.hgvsp = self._protein_change(p, q, n, gone, added, first_codon)
        eff.variant_classification = maf_classification(eff.consequence, r, a)
        return eff

    def _protein_change(self, p: str, q: str, n: int, gone: str, added: str, codon: int) -> tuple[str, str]:
        """(SO term, HGVSp short) of a substitution or in-frame indel: p and q the reference and
        changed proteins, residues n.. removed (gone) and put in (added)."""
        def at(k: int) -> str:  # residue k (0-based) as X12
            return f"{p[k]}{k + 1}"

        def span(k: int, length: int) -> str:
            return at(k) if length == 1 else f"{at(k)}_{at(k + length - 1)}"

        if not gone and not added:
            term = "stop_retained_variant" if p[codon] == "*" else "synonymous_variant"
            return term, f"p.{at(codon)}="
        if "*" in gone:  # the stop codon changed
            k = p.index("*")
            new = q[k] if k < len(q) else ""
            return "stop_lost", f"p.*{k + 1}{new}ext*{self._extension(q, k)}"
        if "*" in added:
            ins = added[:added.index("*") + 1]
            if len(gone) == 1 and ins == "*":
                return "stop_gained", f"p.{at(n)}*"
            if not gone:
                return "stop_gained", f"p.{at(n - 1)}_{at(n)}ins{ins}"
            return "stop_gained", f"p.{span(n, len(gone))}delins{ins}"
        if n == 0:
            return "start_lost", "p.M1?"
        if len(gone) == len(added):
            if len(gone) == 1:
                return "missense_variant", f"p.{at(n)}{added}"
            return "missense_variant", f"p.{span(n, len(gone))}delins{added}"
        if not added:
            return "inframe_deletion", f"p.{span(n, len(gone))}del"
        if not gone:
            k = len(added)
            if n - k >= 0 and p[n - k:n] == added:
                return "inframe_insertion", f"p.{span(n - k, k)}dup"
            return "inframe_insertion", f"p.{at(n - 1)}_{at(n)}ins{added}"
        term = "inframe_insertion" if len(added) > len(gone) else "inframe_deletion"
        return term, f"p.{span(n, len(gone))}delins{added}"

    def _extension(self, q: str, k: int) -> str:
        """Where the new stop is when the stop at residue k (0-based) is lost, counting the changed
        residue as 1: the changed protein's residues from k on, then the 3' UTR read in frame;
        '?' when the UTR has no stop in frame."""
        tail = translate(self.utr3, to_stop=True)
        return str(len(q) - k + len(tail)) if tail.endswith("*") else "?"
