"""Rule qc_summary: one row per sample with the headline QC metrics and the identity verdict."""
import logging
import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "w")
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

from ith.io.tables import write_tsv  # noqa: E402
from ith.qc.summary import qc_summary  # noqa: E402

table = qc_summary(list(snakemake.input.json), list(snakemake.input.identity))
logging.info("%d samples summarised; %d flagged", len(table), int((table["flags"] != "").sum()))
write_tsv(table, snakemake.output[0])
