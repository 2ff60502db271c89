"""Rule copynumber_bins: the bins of the assay with their GC content and sequence fraction."""
import logging
import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "w")
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

from ith.config import read_fai  # noqa: E402
from ith.copynumber.bins import make_bins  # noqa: E402
from ith.io.tables import write_tsv  # noqa: E402
from ith.variants.chunks import included_contigs  # noqa: E402

p = snakemake.params
inp = snakemake.input
contigs = included_contigs(read_fai(inp.fasta, "reference"), p.exclude_contigs)
bins = make_bins(inp.fasta, contigs, p.bin_size, inp.targets[0] if inp.targets else None, p.off_target_bin_size)
empty = sorted({c for c, _ in contigs} - set(bins["chrom"]))
logging.info("%d bins of %d bp over %d contigs (excluded by %r: %d contigs)", len(bins), p.bin_size, len(contigs),
             p.exclude_contigs, len(read_fai(inp.fasta, "reference")) - len(contigs))
if empty:
    logging.info("contigs without any bin (all N): %s", ", ".join(empty))
write_tsv(bins, snakemake.output[0])
