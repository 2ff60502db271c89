"""A patient's annotation table: every PASS mutation of the variants stage with its gene,
transcript, consequence, MAF classification, HGVS and driver label. A VEP CSQ / snpEff ANN
annotation of the same allele in the patient's external VCF is taken as it is; the other
mutations are annotated on the GTF's chosen transcripts."""

from __future__ import annotations

import bisect
import logging
from collections import defaultdict

import pandas as pd
import pysam

from ith.annotate.consequence import Effect, TranscriptModel, most_severe
from ith.annotate.drivers import driver_label
from ith.annotate.gtf import Transcript, choose_transcripts, read_gtf
from ith.io.mutations import trim_alleles

log = logging.getLogger(__name__)

ANNOTATION_COLUMNS = ["patient", "mutation_id", "gene", "gene_id", "transcript", "strand", "consequence",
                      "variant_classification", "hgvsc", "hgvsp", "source", "driver"]


class Annotator:
    """The chosen transcripts of a GTF, indexed by contig, with their sequences."""

    def __init__(self, fasta: str, gtf: str | None = None, transcripts: list[Transcript] | None = None):
        """From a GTF (read and chosen here) or from transcripts already chosen (transcripts.tsv)."""
        self.fasta = pysam.FastaFile(fasta)
        chosen = transcripts if transcripts is not None else \
            choose_transcripts(read_gtf(gtf, set(self.fasta.references)), self.fasta)
        self.by_chrom: dict[str, list[TranscriptModel]] = defaultdict(list)
        for t in chosen:
            self.by_chrom[t.chrom].append(TranscriptModel(t, self.fasta))
        self.starts = {c: [m.t.start for m in ms] for c, ms in self.by_chrom.items()}
        self.longest = {c: max(m.t.end - m.t.start + 1 for m in ms) for c, ms in self.by_chrom.items()}

    def effect(self, chrom: str, pos: int, ref: str, alt: str) -> Effect:
        """The most severe effect over the genes whose chosen transcript holds the allele;
        intergenic when none does (ties: the smaller gene id)."""
        start, r, a = trim_alleles(pos, ref, alt)
        models = self.by_chrom.get(chrom, [])
        if not models:
            return Effect()
        lo = bisect.bisect_left(self.starts[chrom], start - self.longest[chrom] - 1)
        hi = bisect.bisect_right(self.starts[chrom], start + max(len(r), 1))
        effects = [m.effect(start, r, a) for m in models[lo:hi]
                   if m.t.start <= start + max(len(r), 1) and m.t.end >= start - 1]
        effects = [e for e in effects if e.gene]
        if not effects:
            return Effect()
        worst = most_severe([e.consequence for e in effects])
        return min((e for e in effects if e.consequence == worst), key=lambda e: e.gene_id)


def annotate_sites(patient: str, sites: pd.DataFrame, annotator: Annotator | None, genes: set[str],
                   vcf_annotation: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per site (chrom, pos, ref, alt, mutation_id) in ANNOTATION_COLUMNS."""
    given = {}
    if vcf_annotation is not None and len(vcf_annotation):
        for r in vcf_annotation.itertuples(index=False):
            given[(r.chrom, int(r.pos), r.ref, r.alt)] = r
    rows = []
    for s in sites.itertuples(index=False):
        g = given.get((s.chrom, int(s.pos), s.ref, s.alt))
        if g is not None:
            row = [g.gene, g.gene_id, g.transcript, "", g.consequence, g.variant_classification, g.hgvsc, g.hgvsp,
                   g.source]
        elif annotator is not None:
            e = annotator.effect(s.chrom, int(s.pos), s.ref, s.alt)
            row = [e.gene, e.gene_id, e.transcript, e.strand, e.consequence, e.variant_classification, e.hgvsc,
                   e.hgvsp, "gtf"]
        else:
            row = ["", "", "", "", "", "", "", "", ""]
        rows.append([patient, s.mutation_id, *row, driver_label(row[0], row[5], row[7], row[6], genes)])
    out = pd.DataFrame(rows, columns=ANNOTATION_COLUMNS)
    log.info("%d mutations annotated: %s", len(out),
             ", ".join(f"{k} {v}" for k, v in out["variant_classification"].value_counts().sort_index().items()))
    log.info("sources: %s; driver mutations: %s", out["source"].value_counts().sort_index().to_dict(),
             ", ".join(d for d in out["driver"] if d) or "none")
    return out


def merge_drivers(table: pd.DataFrame, annotation: pd.DataFrame | None, column: str = "driver") -> pd.DataFrame:
    """The table (with mutation_id and a `driver` column of region names from variants.drivers)
    with the gene-list driver labels of the annotation added: both, comma-separated."""
    if annotation is None or annotation.empty or table.empty:
        return table
    label = annotation.drop_duplicates("mutation_id").set_index("mutation_id")["driver"].fillna("").astype(str)
    extra = table["mutation_id"].map(label).fillna("").astype(str)
    old = table[column].fillna("").astype(str) if column in table else pd.Series("", index=table.index)
    out = table.copy()
    out[column] = [",".join(dict.fromkeys(x for x in (o.split(",") + [e]) if x)) for o, e in zip(old, extra)]
    return out


def pass_sites(sites: pd.DataFrame) -> pd.DataFrame:
    """The PASS rows of the variants stage's sites.tsv (`filter` PASS): the mutations counts.tsv holds."""
    if "filter" in sites:
        sites = sites[sites["filter"].fillna("").astype(str).isin(["PASS", ""])]
    return sites[["mutation_id", "chrom", "pos", "ref", "alt"]].reset_index(drop=True)
