"""Rule copynumber_bins: the bins of the assay with their GC content and sequence fraction."""
import logging

from ith.copynumber.bins import make_bins
from ith.io.reference import included_contigs, read_fai
from ith.io.tables import write_tsv
from ith.rulescript import start

start(snakemake)

p = snakemake.params
inp = snakemake.input
reference = read_fai(inp.fasta, "reference")
contigs = included_contigs(reference, p.exclude_contigs)
bins = make_bins(inp.fasta, contigs, p.bin_size, inp.targets[0] if inp.targets else None, p.off_target_bin_size,
                 reference)
empty = sorted({c for c, _ in contigs} - set(bins["chrom"]))
logging.info("%d bins of %d bp over %d contigs (excluded by %r: %d contigs)", len(bins), p.bin_size, len(contigs),
             p.exclude_contigs, len(reference) - len(contigs))
if empty:
    logging.info("contigs without any bin (all N): %s", ", ".join(empty))
write_tsv(bins, snakemake.output[0])
