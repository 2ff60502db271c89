"""Rule liquid: ctDNA detection, tumour fraction, clones in plasma and their trends, fragment
sizes, for one patient with plasma."""
import logging
import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "w")
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

import pandas as pd  # noqa: E402

from ith.liquid.patient import read_inputs, run_and_write  # noqa: E402

inp, out, c = snakemake.input, snakemake.output, snakemake.params.liquid
patient = snakemake.wildcards.patient
logging.info("patient %s; parameters %s", patient, c)
data = read_inputs(patient, pd.DataFrame(snakemake.params.samples), pd.DataFrame(snakemake.params.controls), inp)
run_and_write(patient, data, c, out)
