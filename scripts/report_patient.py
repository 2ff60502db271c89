"""Rule report_patient: metrics.json, figures/ and the self-contained report.html of a patient."""
import logging
import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "w")
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

import pandas as pd  # noqa: E402

from ith.report.patient import write_report  # noqa: E402
from ith.report.summary import ReportParams  # noqa: E402

patient, out = snakemake.wildcards.patient, snakemake.output
params = ReportParams(**snakemake.params.report)
logging.info("patient %s; parameters %s", patient, params)
results = Path(out.metrics).parents[2]  # results/report/{patient}/metrics.json -> results
s = write_report(results, patient, pd.DataFrame(snakemake.params.sheet), params, Path(out.html).parent,
                 config=snakemake.params.config, inputs=[str(p) for p in snakemake.input])
h = s["heterogeneity"]
logging.info("%d regions, %d mutations (truncal %d, shared %d, private %d); %s clones in the tree; %d limitations",
             h["regions"], h["mutations"], h["mutations_truncal"], h["mutations_shared"], h["mutations_private"],
             s["clones"]["clones_in_tree"], len(s["limitations"]))
for line in s["limitations"]:
    logging.info("limitation: %s", line)
