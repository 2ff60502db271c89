"""Rule copynumber_coverage: aligned bases and reads per bin of one BAM or CRAM, in one pass."""
import logging

import pandas as pd

from ith.copynumber.depth import bin_depth
from ith.io.tables import write_tsv
from ith.rulescript import start

start(snakemake)

bins = pd.read_csv(snakemake.input.bins, sep="\t", dtype={"chrom": str})
table, info = bin_depth(snakemake.input.bam, bins, threads=snakemake.threads, min_mapq=snakemake.params.min_mapq,
                        reference=snakemake.input.fasta)
logging.info("%s: %d records, %d counted (MAPQ >= %d, not duplicate/secondary/supplementary/QC-fail/unmapped); "
             "median depth %.2f over %d bins", snakemake.input.bam, info["records"], info["used"],
             snakemake.params.min_mapq, table["depth"].median(), len(table))
write_tsv(table, snakemake.output[0])
