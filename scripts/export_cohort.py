"""Rule export_cohort: the patients' MAFs in one cohort MAF."""
import logging

from ith.export.maf import concat_mafs
from ith.rulescript import start

start(snakemake)

concat_mafs(list(snakemake.input.mafs), snakemake.output.maf)
logging.info("cohort MAF from %d patient MAF(s)", len(snakemake.input.mafs))
