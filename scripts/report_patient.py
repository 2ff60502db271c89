"""Rule report_patient: metrics.json, figures/ and the self-contained report.html of a patient."""
import logging
from pathlib import Path

import pandas as pd

from ith.report.data import PatientFiles
from ith.report.patient import write_report
from ith.report.summary import ReportParams
from ith.rulescript import start

start(snakemake)

patient, out = snakemake.wildcards.patient, snakemake.output
params = ReportParams.from_config(snakemake.params.report)
logging.info("patient %s; parameters %s", patient, params)
files = PatientFiles.from_inputs(dict(snakemake.input.items()))
s = write_report(files, patient, pd.DataFrame(snakemake.params.sheet), params, Path(out.html).parent,
                 config=snakemake.params.config, inputs=[str(p) for p in snakemake.input])
h = s["heterogeneity"]
logging.info("%d regions, %d mutations (truncal %d, shared %d, private %d); %s clones in the tree; %d limitations",
             h["regions"], h["mutations"], h["mutations_truncal"], h["mutations_shared"], h["mutations_private"],
             s["clones"]["clones_in_tree"], len(s["limitations"]))
for line in s["limitations"]:
    logging.info("limitation: %s", line)
