"""Rule qc_identity: pairwise germline concordance of a patient's samples (swap check)."""
import logging

from ith.io.tables import write_tsv
from ith.qc.identity import identity_check
from ith.qc.params import identity_params
from ith.rulescript import start

start(snakemake)

# the rule passes qc.identity and, from outside it, qc.min_mapq (the reads that count for depth also count here)
params, min_mapq = identity_params(snakemake.params.identity), snakemake.params.min_mapq
logging.info("patient %s, samples %s, parameters %s, min_mapq %d", snakemake.wildcards.patient, snakemake.params.samples,
             params, min_mapq)
pairs, verdicts, info = identity_check(
    snakemake.wildcards.patient, snakemake.params.samples, list(snakemake.input.bams), snakemake.params.normal,
    snakemake.input.fasta, snakemake.input.known_sites[0] if snakemake.input.known_sites else None, params, min_mapq)
logging.info("sites: %s", info)
for row in verdicts.itertuples(index=False):
    log = logging.warning if row.status == "suspect" else logging.info
    log("sample %s: %s (%d of %d comparisons look like another person)", row.sample, row.status, row.mismatches,
        row.compared)
verdicts.insert(0, "patient", snakemake.wildcards.patient)
write_tsv(pairs, snakemake.output.pairs)
write_tsv(verdicts, snakemake.output.samples)
