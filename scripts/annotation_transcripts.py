"""Rule annotation_transcripts: the GTF's chosen transcript per gene, translation-checked."""
import logging

import pysam

from ith.annotate.gtf import choose_transcripts, read_gtf, transcript_table
from ith.io.tables import write_tsv
from ith.rulescript import start

start(snakemake)

inp = snakemake.input
fasta = pysam.FastaFile(inp.fasta)
chosen = choose_transcripts(read_gtf(inp.gtf, set(fasta.references)), fasta)
table = transcript_table(chosen)
write_tsv(table, snakemake.output.transcripts)
logging.info("%d genes; %d with a coding transcript that passed the translation check", len(table),
             int(table["translation_ok"].sum()))
