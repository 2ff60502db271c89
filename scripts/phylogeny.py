"""Rule phylogeny: clone trees ranked by the read counts, clone proportions, region tree,
mutation classes, the best tree as a parent table, figure."""
import logging

import numba
import pandas as pd

from ith.phylogeny.patient import reads_from_clonal, run_patient, sample_purity, write_outputs
from ith.phylogeny.ranking import PhylogenyParams
from ith.rulescript import start

start(snakemake)

inp, out = snakemake.input, snakemake.output
patient = snakemake.wildcards.patient
params = PhylogenyParams.from_config(snakemake.params.phylogeny)
numba.set_num_threads(max(1, min(snakemake.threads, numba.config.NUMBA_NUM_THREADS)))
logging.info("patient %s; parameters %s", patient, params)
muts = pd.read_csv(inp.mutations, sep="\t", keep_default_na=False, na_values=["NA", ""],
                   dtype={"mutation_id": str, "sample": str, "driver": str, "reason": str})
summary = pd.read_csv(inp.summary, sep="\t", keep_default_na=False, na_values=["NA"],
                      dtype={"sample": str, "flags": str, "drivers": str})
fitted = pd.read_csv(inp.fitted, sep="\t", dtype={"mutation_id": str, "sample_id": str})
reads, excluded = reads_from_clonal(muts, summary, params, inp.mutations, fitted, inp.fitted)
logging.info("%d clusters x %d samples from %d mutations; %d artefact cluster(s) not in the trees %s",
             len(reads.clusters), len(reads.samples), int(reads.n_mutations.sum()), len(excluded), sorted(excluded))
res = run_patient(patient, reads, excluded, muts, params, sample_purity(muts))
t = res.trees
logging.info("%s (exact: %s), %d tree fits; %d tree(s) kept; best: %s (cost %s nats, weight %s)",
             t["search"]["method"], t["search"]["exact"], t["search"]["fits"], t["search"]["n_kept"],
             t["trees"][0]["parents"] if t["trees"] else None, t["trees"][0]["cost"] if t["trees"] else None,
             t["trees"][0]["weight"] if t["trees"] else None)
logging.info("flagged clusters: %s", [f["cluster"] for f in t["flagged"]] or "none")
logging.info("mutations: %s", res.mutations["kind"].value_counts().to_dict())
logging.info("region tree: %s", res.newick.strip())
write_outputs(res, out.trees, out.proportions, out.newick, out.branches, out.mutations, out.plot, out.parents)
