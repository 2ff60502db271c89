"""Rule clonal_input: the patient's PyClone-VI input from counts, segments and purity."""
import json
import logging

import pandas as pd

from ith.annotate.patient import merge_drivers
from ith.clonal.params import input_params
from ith.clonal.patient import build_input, log_input_summary, pyclone_input
from ith.io.tables import write_tsv
from ith.qc.gate import apply_identity_policy
from ith.rulescript import start

start(snakemake)

inp, out, p = snakemake.input, snakemake.output, snakemake.params
apply_identity_policy(snakemake.wildcards.patient, pd.read_csv(inp.identity, sep="\t", dtype={"sample": str}),
                      pd.read_csv(inp.identity_pairs, sep="\t", dtype={"sample_a": str, "sample_b": str}),
                      p.on_identity_failure, snakemake.config["samples"])
logging.info("patient %s; parameters %s; tumour regions %s", snakemake.wildcards.patient, p.clonal, p.tumours)
counts = pd.read_csv(inp.counts, sep="\t", keep_default_na=False, na_values=["NA"], dtype={"driver": str})
if inp.germline:  # a tumour-only patient: the candidates its copy number shows to be germline are left out
    germline = pd.read_csv(inp.germline[0], sep="\t", keep_default_na=False)
    drop = set(germline.loc[germline["call"] == "germline", "mutation_id"])
    logging.info("tumour-only: %d of %d candidates germline by allele fraction vs copy number (%s), left out",
                 len(drop), counts["mutation_id"].nunique(), inp.germline[0])
    counts = counts[~counts["mutation_id"].isin(drop)]
if inp.annotation:  # the gene-list drivers beside variants.drivers' region names
    annotation = pd.read_csv(inp.annotation[0], sep="\t", keep_default_na=False, dtype=str)
    counts = merge_drivers(counts, annotation)
    logging.info("driver labels from %s: %s", inp.annotation[0],
                 ", ".join(sorted({d for d in annotation["driver"] if d})) or "none")
segments = pd.read_csv(inp.segments, sep="\t", dtype={"chrom": str})
purity = pd.read_csv(inp.purity, sep="\t")
sex = json.load(open(inp.metrics)).get("sex_used")
full = build_input(counts, segments, purity, p.tumours, sex, input_params(p.clonal),
                   sheet_purity={s["name"]: s["purity"] for s in p.samples},
                   files=(inp.counts, inp.segments, inp.purity), max_gap=p.max_gap)
logging.info("sex used for normal copy number of X/Y: %s", sex)
log_input_summary(full)
write_tsv(full, out.full)
write_tsv(pyclone_input(full), out.pyclone)
