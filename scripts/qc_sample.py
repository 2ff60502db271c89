"""Rule qc_sample: QC metrics of one BAM as JSON."""
import logging

from ith.io.jsonout import write_json
from ith.qc.bamstats import sample_qc
from ith.qc.params import qc_params
from ith.rulescript import start

start(snakemake)

params = qc_params(snakemake.params.qc)
logging.info("sample %s, BAM %s, parameters %s", snakemake.wildcards.sample, snakemake.input.bam, params)
result = sample_qc(snakemake.input.bam, snakemake.input.fasta, sample=snakemake.wildcards.sample,
                   patient=snakemake.wildcards.patient, params=params,
                   targets=snakemake.input.targets[0] if snakemake.input.targets else None,
                   declared_sex=snakemake.params.sex)
result["bam"] = snakemake.params.bam  # as the sample sheet names it (not a storage cache path)
logging.info("reads %d, duplicates %.2f%%, mean depth %.1f, fragment mode %s, sex %s",
             result["reads"], result["duplicate_percent"], result["mean_depth"], result["fragment_mode"], result["sex"])
if result["sex_mismatch"]:
    logging.warning("inferred sex %s differs from the sample sheet's %s", result["sex"], result["declared_sex"])
write_json(result, snakemake.output[0])
