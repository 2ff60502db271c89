"""Rule signatures: SBS96 profiles of the trunk, clones, branches and regions, COSMIC exposures
with bootstrap intervals, truncal vs subclonal exposures, figure."""
import logging

import pysam

from ith.io.jsonout import write_json
from ith.io.tables import read_tsv, write_tsv
from ith.signatures.fit import SignatureParams
from ith.signatures.patient import plot, run
from ith.rulescript import start

start(snakemake)

inp, out = snakemake.input, snakemake.output
patient = snakemake.wildcards.patient
params = SignatureParams.from_config(snakemake.params.signatures, snakemake.params.assay)
logging.info("patient %s; parameters %s", patient, params)
clonal = read_tsv(inp.mutations,
                  dtype={"mutation_id": str, "sample": str, "cluster_id": str, "driver": str, "reason": str})
phylo = read_tsv(inp.phylogeny, na_values=["NA"], dtype={"mutation_id": str, "cluster_id": str, "regions": str})
parents = read_tsv(inp.parents, na_values=[], dtype=str)
with pysam.FastaFile(inp.fasta) as fasta:
    sbs96, exposures, metrics = run(patient, clonal, phylo, parents, fasta, params)
for g, d in metrics["groups"].items():
    logging.info("%s: %d SNVs, %s", g, d["n_mutations"], f"dominant {d['dominant']}" if d["fitted"] else "not fitted")
write_tsv(sbs96, out.sbs96)
write_tsv(exposures, out.exposures)
write_json({"patient": patient, **metrics}, out.metrics)
plot(sbs96, exposures, out.plot)
