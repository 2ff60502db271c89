"""Rule report_cohort: cohort.tsv (one row per patient) and the sortable cohort.html."""
import json
import logging
import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "w")
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

from ith.report.cohort import write_cohort  # noqa: E402

summaries = [json.loads(Path(p).read_text()) for p in snakemake.input.metrics]
t = write_cohort(summaries, Path(snakemake.output.tsv), Path(snakemake.output.html))
logging.info("%d patients in the cohort table", len(t))
