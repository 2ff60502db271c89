"""Rules qc_summary (the cohort) and qc_patient_summary (one patient): one row per sample with the
headline QC metrics and the identity verdict."""
import logging

from ith.io.tables import write_tsv
from ith.qc.summary import qc_summary
from ith.rulescript import start

start(snakemake)

table = qc_summary(list(snakemake.input.json), list(snakemake.input.identity))
logging.info("%d samples summarised; %d flagged", len(table), int((table["flags"] != "").sum()))
write_tsv(table, snakemake.output[0])
