"""Rule report_cohort: cohort.tsv (one row per patient) and the sortable cohort.html."""
import json
import logging
from pathlib import Path

from ith.report.cohort import write_cohort
from ith.rulescript import start

start(snakemake)

summaries = [json.loads(Path(p).read_text()) for p in snakemake.input.metrics]
t = write_cohort(summaries, Path(snakemake.output.tsv), Path(snakemake.output.html))
logging.info("%d patients in the cohort table", len(t))
