"""Rule variants_tumour_only: germline or somatic, for each candidate of a patient without a normal."""
import json
import logging

import pandas as pd

from ith.clonal.patient import InputParams, build_input
from ith.io.tables import write_tsv
from ith.params import from_section
from ith.rulescript import start
from ith.variants.tumouronly import TumourOnlyParams, classify

start(snakemake)

inp, p = snakemake.input, snakemake.params
patient = snakemake.wildcards.patient
params = from_section(TumourOnlyParams, p.tumour_only, "tumour_only")
counts = pd.read_csv(inp.counts, sep="\t", keep_default_na=False, na_values=["NA"], dtype={"driver": str})
segments = pd.read_csv(inp.segments, sep="\t", dtype={"chrom": str})
purity = pd.read_csv(inp.purity, sep="\t")
sex = json.load(open(inp.metrics)).get("sex_used")
# every candidate with its segment's copy number and its region's purity, as the clonal stage reads them
full = build_input(counts, segments, purity, p.tumours, sex, InputParams(indels=True, subclonal_cn="keep"),
                   sheet_purity={s["name"]: s["purity"] for s in p.samples},
                   files=(inp.counts, inp.segments, inp.purity))
table = classify(full, patient, params)
calls = table["call"].value_counts().to_dict()
logging.info("patient %s (tumour-only): %d candidates; calls %s (precision %s, margin %s)", patient, len(table), calls,
             params.precision, params.margin)
write_tsv(table, snakemake.output[0])
