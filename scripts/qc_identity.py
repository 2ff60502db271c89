"""Rule qc_identity: pairwise germline concordance of a patient's samples (swap check), from the
allele counts each sample's QC pass wrote at the known sites, or, without known sites, from the
BAMs at SNPs of the normal."""
import logging

import pandas as pd

from ith.io.tables import write_tsv
from ith.qc.identity import identity_check, identity_from_counts
from ith.qc.params import identity_params
from ith.rulescript import start

start(snakemake)

# the rule passes qc.identity and, from outside it, qc.min_mapq (the reads that count for depth also count here)
params, min_mapq = identity_params(snakemake.params.identity), snakemake.params.min_mapq
patient, samples = snakemake.wildcards.patient, snakemake.params.samples
logging.info("patient %s, samples %s, parameters %s, min_mapq %d", patient, samples, params, min_mapq)
if "counts" in snakemake.input.keys():
    counts = [pd.read_csv(f, sep="\t", dtype={"chrom": str}, keep_default_na=False) for f in snakemake.input.counts]
    pairs, verdicts, info = identity_from_counts(patient, samples, counts, params)
else:
    pairs, verdicts, info = identity_check(patient, samples, list(snakemake.input.bams), snakemake.params.normal,
                                           snakemake.input.fasta, None, params, min_mapq)
logging.info("sites: %s", info)
for row in verdicts.itertuples(index=False):
    log = logging.warning if row.status == "suspect" else logging.info
    log("sample %s: %s (%d of %d comparisons look like another person)", row.sample, row.status, row.mismatches,
        row.compared)
verdicts.insert(0, "patient", patient)
write_tsv(pairs, snakemake.output.pairs)
write_tsv(verdicts, snakemake.output.samples)
