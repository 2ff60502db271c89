"""Rule copynumber_sample: a tumour or plasma sample's depth per bin (one pass of its BAM/CRAM) and
its GC-corrected log2 ratio against the matched normal, the pooled reference or both."""
import logging

import pandas as pd

from ith.copynumber.call import sample_bins
from ith.copynumber.depth import bin_depth
from ith.copynumber.params import RatioParams
from ith.copynumber.reference import read_reference
from ith.io.tables import write_tsv
from ith.rulescript import start

start(snakemake)

inp, out, p = snakemake.input, snakemake.output, snakemake.params
bins = pd.read_csv(inp.bins, sep="\t", dtype={"chrom": str})
depth, info = bin_depth(inp.bam, bins, threads=snakemake.threads, min_mapq=p.min_mapq, reference=inp.fasta)
logging.info("%s: %d records, %d counted (MAPQ >= %d, not duplicate/secondary/supplementary/QC-fail/unmapped); "
             "median depth %.2f over %d bins", inp.bam, info["records"], info["used"], p.min_mapq,
             depth["depth"].median(), len(depth))
write_tsv(depth, out.coverage)
# a tumour-only patient has no normal: its ratio is against the pooled reference alone
normal = pd.read_csv(inp.normal[0], sep="\t", dtype={"chrom": str})["depth"].to_numpy(float) if inp.normal else None
reference = read_reference(inp.reference[0], bins) if inp.reference else None
logging.info("ratio against: %s (copynumber.reference.mode %s)%s", p.mode, p.requested,
             f"; pooled reference {inp.reference[0]}, {int(reference['usable'].sum())} usable bins"
             if reference is not None else "")
params = RatioParams.from_config(p.ratio).cn_params()
table = sample_bins(snakemake.wildcards.patient, snakemake.wildcards.sample, bins, normal,
                    depth["depth"].to_numpy(float), params, mode=p.mode, reference=reference,
                    hybrid_window=p.hybrid_window or 1, sex=p.sex)
logging.info("%s: %d bins, %d with a log2 ratio (median %.3f); ratio parameters %s", snakemake.wildcards.sample,
             len(table), int(table["log2r"].notna().sum()), table["log2r"].median(), p.ratio)
write_tsv(table, out.ratio)
