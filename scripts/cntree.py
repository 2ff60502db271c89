"""Rule cntree: minimum-event distances between the regions' allele-specific profiles, the
region tree from them, its agreement with the SNV region tree, figure."""
import logging

from ith.cntree.build import CnTreeParams, cn_tree, plot
from ith.io.jsonout import write_json
from ith.io.tables import read_tsv, write_tsv
from ith.rulescript import start

start(snakemake)

inp, out = snakemake.input, snakemake.output
patient = snakemake.wildcards.patient
params = CnTreeParams.from_config(snakemake.params.cntree)
tumours = list(snakemake.params.tumours)
logging.info("patient %s; %d regions; parameters %s", patient, len(tumours), params)
segments = read_tsv(inp.segments, dtype={"sample": str, "chrom": str})
branches = read_tsv(inp.branches, na_values=[], dtype={"regions": str})
result = cn_tree(patient, segments, tumours, params, branches)
m = result.metrics
logging.info("%d shared segments (%d boundary segments left out); %d informative clades; Robinson-Foulds to the "
             "SNV region tree %s (same topology %s)", m["n_segments"], m["n_boundary_segments"], m.get("n_clades", 0),
             m.get("robinson_foulds"), m.get("same_topology"))
write_tsv(result.distances, out.distances)
with open(out.tree, "w") as fh:
    fh.write((result.newick or ";") + "\n")
write_json({"patient": patient, **m}, out.metrics)
plot(result, patient, out.plot)
