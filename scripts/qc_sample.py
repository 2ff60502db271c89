"""Rule qc_sample: QC metrics of one BAM as JSON; with known sites, the identity SNPs' allele
counts from the same pass."""
import logging

from ith.io.jsonout import write_json
from ith.qc.bamstats import sample_qc
from ith.qc.params import qc_params
from ith.qc.sitecounts import read_identity_sites, write_identity_counts
from ith.rulescript import start

start(snakemake)

params = qc_params(snakemake.params.qc)
logging.info("sample %s, BAM %s, parameters %s", snakemake.wildcards.sample, snakemake.input.bam, params)
sites = read_identity_sites(snakemake.input.identity_sites) if "identity_sites" in snakemake.input.keys() else None
counter = sites.counter(params.min_mapq) if sites else None
if sites:
    logging.info("counting alleles at %d identity SNPs (%s) in the same pass", len(sites.chroms),
                 snakemake.input.identity_sites)
result = sample_qc(snakemake.input.bam, snakemake.input.fasta, sample=snakemake.wildcards.sample,
                   patient=snakemake.wildcards.patient, params=params,
                   targets=snakemake.input.targets[0] if snakemake.input.targets else None,
                   declared_sex=snakemake.params.sex, sites=counter)
result["bam"] = snakemake.params.bam  # as the sample sheet names it (not a storage cache path)
logging.info("reads %d, duplicates %.2f%%, mean depth %.1f, fragment mode %s, sex %s",
             result["reads"], result["duplicate_percent"], result["mean_depth"], result["fragment_mode"], result["sex"])
if result["sex_mismatch"]:
    logging.warning("inferred sex %s differs from the sample sheet's %s", result["sex"], result["declared_sex"])
if sites:
    tally = counter.tally()
    logging.info("identity SNPs: %d of %d reached by a fragment, %d fragments counted",
                 int((tally.base_counts.sum(axis=1) > 0).sum()), len(sites.chroms), int(tally.base_counts.sum()))
    write_identity_counts(snakemake.output.identity_counts, sites, tally)
write_json(result, snakemake.output.json)
