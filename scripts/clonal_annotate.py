"""Rule clonal_annotate: post-process the fit; clusters.tsv, mutations.tsv, cluster summaries, figure."""
import logging

import pandas as pd

from ith.clonal.params import ClonalPostParams
from ith.clonal.patient import annotate_patient
from ith.clonal.plot import plot_clusters
from ith.io.tables import write_tsv
from ith.rulescript import start

start(snakemake)

inp, out, c = snakemake.input, snakemake.output, snakemake.params.clonal
patient = snakemake.wildcards.patient
logging.info("patient %s; parameters %s", patient, c)
full = pd.read_csv(inp.full, sep="\t", keep_default_na=False, na_values=["NA"],
                   dtype={"mutation_id": str, "sample_id": str, "driver": str, "reason": str})
results = pd.read_csv(inp.results, sep="\t", dtype={"mutation_id": str, "sample_id": str})
params = ClonalPostParams.from_config(c)
tables = annotate_patient(patient, full, results, params.engine_options(), params.post_params())
s = tables["summary"].drop_duplicates("cluster_id")
logging.info("%d clusters: %s", len(s), ", ".join(f"{r.cluster_id} ({r.n_mutations}{', ' + r.flags if r.flags else ''})"
                                                   for r in s.itertuples()))
m = tables["mutations"]
logging.info("calls per region: %s", m.groupby("sample")["call"].value_counts().unstack(fill_value=0).to_dict("index"))
logging.info("truncal mutations: %d", int(m.drop_duplicates("mutation_id")["truncal"].sum()) if len(m) else 0)
write_tsv(tables["clusters"], out.clusters)
write_tsv(tables["mutations"], out.mutations)
write_tsv(tables["summary"], out.summary)
write_tsv(tables["posteriors"], out.posteriors)
write_tsv(tables["purity"], out.purity)
plot_clusters(patient, tables["mutations"], tables["summary"], out.plot)
