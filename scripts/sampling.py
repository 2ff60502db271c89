"""Rule sampling: subsampling curves, richness (jackknife, Chao2) and the verdict of one patient's regions."""
import logging

from ith.sampling.curves import SamplingParams
from ith.sampling.patient import write
from ith.io.tables import read_tsv
from ith.rulescript import start

start(snakemake)

inp, out = snakemake.input, snakemake.output
patient = snakemake.wildcards.patient
params = SamplingParams.from_config(snakemake.params.sampling)
regions = list(snakemake.params.regions)
logging.info("patient %s; %d regions; parameters %s", patient, len(regions), params)
muts = read_tsv(inp.mutations,
                usecols=["mutation_id", "sample", "call"], dtype={"mutation_id": str, "sample": str, "call": str})
clusters = read_tsv(inp.clusters, na_values=["NA"],
                    usecols=["cluster_id", "sample", "call", "artefact"], dtype={"sample": str, "call": str})
write(muts, clusters, regions, params, patient, out.curves, out.richness, out.plot)
