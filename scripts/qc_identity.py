"""Rule qc_identity: pairwise germline concordance of a patient's samples (swap check) and each
sample's contamination, from the allele counts each sample's QC pass wrote at the known sites;
without known sites, the swap check from the BAMs at SNPs of the normal, and no contamination
estimate (it needs the sites' population frequencies)."""
import logging

import pandas as pd

from ith.io.tables import write_tsv
from ith.qc.contamination import patient_contamination
from ith.qc.identity import identity_check, identity_from_counts
from ith.qc.params import contamination_params, identity_params
from ith.rulescript import start

start(snakemake)

# the rule passes qc.identity and, from outside it, qc.min_mapq (the reads that count for depth also count here)
params, min_mapq = identity_params(snakemake.params.identity), snakemake.params.min_mapq
contamination = contamination_params(snakemake.params.contamination)
patient, samples, normal = snakemake.wildcards.patient, snakemake.params.samples, snakemake.params.normal
logging.info("patient %s, samples %s, parameters %s, %s, min_mapq %d", patient, samples, params, contamination,
             min_mapq)
counts = None
if "counts" in snakemake.input.keys():
    counts = [pd.read_csv(f, sep="\t", dtype={"chrom": str}, keep_default_na=False) for f in snakemake.input.counts]
    pairs, verdicts, info = identity_from_counts(patient, samples, counts, params)
else:
    # the normal's SNPs; a tumour-only patient's are its first region's (LOH there hides some hets)
    pairs, verdicts, info = identity_check(patient, samples, list(snakemake.input.bams), snakemake.params.sites_from,
                                           snakemake.input.fasta, None, params, min_mapq)
    logging.info("no known_sites: contamination is not estimated (it needs the sites' population frequencies)")
logging.info("sites: %s", info)
contam = patient_contamination(samples, counts, normal, contamination)
for row in contam.itertuples(index=False):
    if row.contamination_flag != "not_assessable":
        log = logging.warning if row.contamination_flag in ("flagged", "unusable") else logging.info
        log("sample %s: contamination %.4f [%.4f, %.4f] over %d sites (%s): %s", row.sample, row.contamination,
            row.contamination_low, row.contamination_high, row.contamination_sites, row.contamination_mode,
            row.contamination_flag)
verdicts = verdicts.merge(contam, on="sample", how="left")
for row in verdicts.itertuples(index=False):
    log = logging.warning if row.status == "suspect" else logging.info
    log("sample %s: %s (%d of %d comparisons look like another person)", row.sample, row.status, row.mismatches,
        row.compared)
verdicts.insert(0, "patient", patient)
write_tsv(pairs, snakemake.output.pairs)
write_tsv(verdicts, snakemake.output.samples)
