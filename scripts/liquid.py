"""Rule liquid: ctDNA detection, tumour fraction, clones in plasma and their trends, fragment
sizes, for one patient with plasma."""
import logging

import pandas as pd

from ith.liquid.files import read_inputs
from ith.liquid.params import LiquidParams
from ith.liquid.patient import run_and_write
from ith.rulescript import start

start(snakemake)

inp, out, c = snakemake.input, snakemake.output, snakemake.params.liquid
patient = snakemake.wildcards.patient
logging.info("patient %s; parameters %s", patient, c)
params = LiquidParams.from_config(c)
data = read_inputs(patient, pd.DataFrame(snakemake.params.samples), pd.DataFrame(snakemake.params.controls), inp,
                   [tuple(c) for c in snakemake.params.reference])
run_and_write(patient, data, params, out)
