"""Rule export: the patient's mutations as a GDC MAF, Pairtree's .ssm/.params.json, CONIPHER's
input table and MEDICC2's input (src/ith/export; docs/outputs.md#export)."""
import logging

import pandas as pd

from ith.export.maf import maf_table, ncbi_build, write_maf
from ith.export.medicc2 import medicc2_table
from ith.export.trees import artefact_clusters, conipher_table, pairtree_inputs, write_pairtree
from ith.io.reference import read_fai
from ith.io.tables import write_tsv
from ith.rulescript import start

start(snakemake)

inp, out, params = snakemake.input, snakemake.output, snakemake.params
patient = snakemake.wildcards.patient


def read(path: str, **dtype) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=["NA", ""],
                       dtype={"mutation_id": str, "sample": str, "patient": str, **dtype})


mutations = read(inp.mutations, driver=str, reason=str)
counts = read(inp.counts, driver=str)
summary = read(inp.summary, flags=str, drivers=str)
parents = read(inp.parents, cluster_id=str, parent_id=str)
segments = read(inp.segments, chrom=str)
purity = read(inp.purity, method=str)

build = ncbi_build(read_fai(params.fasta, "config", fai=inp.fai), params.fasta)
normal = counts[counts["sample"] == params.normal]
tree_clusters = {int(c) for c in parents["cluster_id"]}
annotation = pd.read_csv(inp.annotation[0], sep="\t", keep_default_na=False, dtype=str) if inp.annotation else None
maf = maf_table(mutations, normal, params.normal or "", build, tree_clusters, annotation)  # "": a tumour-only patient
write_maf(maf, out.maf)
logging.info("MAF: %d rows (%d mutations x regions), NCBI_Build %s, %d rows in a clone of the best tree; %s",
             len(maf), maf["mutation_id"].nunique(), build, int(maf["clone"].notna().sum()),
             "gene annotation from " + inp.annotation[0] if inp.annotation else "no gene annotation")

artefacts = artefact_clusters(summary)
ssm, pt = pairtree_inputs(mutations, artefacts)
write_pairtree(ssm, pt, out.ssm, out.params)
logging.info("Pairtree: %d mutations, %d samples, %d clusters (ith clusters %s), %d garbage (artefact clusters %s)",
             len(ssm), len(pt["samples"]), len(pt["clusters"]), pt["cluster_ids"], len(pt["garbage"]),
             sorted(artefacts))

ploidy = dict(zip(purity["sample"], pd.to_numeric(purity["ploidy"], errors="coerce")))
conipher = conipher_table(mutations, artefacts, ploidy)
write_tsv(conipher, out.conipher)
logging.info("CONIPHER: %d rows", len(conipher))

medicc = medicc2_table(segments, list(params.tumours))
write_tsv(medicc, out.medicc2)
logging.info("MEDICC2: %d segments x %d samples (the diploid normal included)",
             medicc[["chrom", "start", "end"]].drop_duplicates().shape[0], medicc["sample_id"].nunique())
