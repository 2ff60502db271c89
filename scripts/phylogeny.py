"""Rule phylogeny: clone trees, clone proportions, region tree, mutation classes, figure."""
import logging
import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "w")
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

import pandas as pd  # noqa: E402

from ith.phylogeny.patient import clone_data_from_tables, run_patient, sample_purity, write_outputs  # noqa: E402
from ith.phylogeny.search import SearchOptions  # noqa: E402
from ith.phylogeny.trees import TreeParams  # noqa: E402

inp, out, c = snakemake.input, snakemake.output, snakemake.params.phylogeny
patient = snakemake.wildcards.patient
logging.info("patient %s; parameters %s", patient, c)
params = TreeParams(ccf_error_sd=c["ccf_error_sd"], remove_offender=c["remove_offender"], max_removed=c["max_removed"],
                    search=SearchOptions(alpha=c["alpha"], max_trees=c["max_trees"], absent_prior=c["absent_prior"],
                                         exhaustive_max_clones=c["exhaustive_max_clones"],
                                         max_enumerated=c["max_enumerated"], beam_width=c["beam_width"]))
muts = pd.read_csv(inp.mutations, sep="\t", keep_default_na=False, na_values=["NA", ""],
                   dtype={"mutation_id": str, "sample": str, "driver": str, "reason": str})
data, excluded = clone_data_from_tables(pd.read_csv(inp.posteriors, sep="\t", dtype={"sample": str}),
                                        pd.read_csv(inp.summary, sep="\t", keep_default_na=False, na_values=["NA"],
                                                    dtype={"sample": str, "flags": str, "drivers": str}),
                                        inp.posteriors)
res = run_patient(patient, data, excluded, muts, params, c["presence"], sample_purity(muts))
t = res.trees
logging.info("%d clusters in the trees, %d excluded %s; %d consistent tree(s), %d kept; best: %s",
             len(t["clusters"]), len(t["excluded"]), [e["cluster"] for e in t["excluded"]],
             t["search"]["n_consistent"], t["search"]["n_kept"], t["trees"][0]["parents"] if t["trees"] else None)
logging.info("mutations: %s", res.mutations["kind"].value_counts().to_dict())
logging.info("region tree: %s", res.newick.strip())
write_outputs(res, out.trees, out.proportions, out.newick, out.branches, out.mutations, out.plot)
