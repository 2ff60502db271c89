"""Rule timing: early/late clonal SNVs in gained segments, the gains' and WGD's relative times and
the copy-number events' scopes of one patient."""
import logging

from ith.io.tables import read_tsv
from ith.rulescript import start
from ith.timing.core import TimingParams
from ith.timing.patient import write

start(snakemake)

inp, out = snakemake.input, snakemake.output
patient = snakemake.wildcards.patient
params = TimingParams.from_config(snakemake.params.timing)
regions = list(snakemake.params.regions)
logging.info("patient %s; %d regions; parameters %s", patient, len(regions), params)
cols = ["mutation_id", "sample", "alt_counts", "depth", "major_cn", "minor_cn", "normal_cn", "purity", "call", "indel"]
muts = read_tsv(inp.mutations, usecols=cols, dtype={"mutation_id": str, "sample": str, "call": str, "indel": str})
segs = read_tsv(inp.segments,
                usecols=lambda c: c in {"sample", "chrom", "start", "end", "major_cn", "minor_cn", "normal_cn",
                                        "subclonal", "allele_specific"},
                dtype={"sample": str, "chrom": str, "subclonal": str, "allele_specific": str})
pp = read_tsv(inp.purity, dtype={"sample": str, "wgd": str})
wgd = {s: str(v).strip().lower() in ("true", "1") for s, v in zip(pp["sample"], pp["wgd"])}
write(muts, segs, wgd, regions, params, patient, out.mutations, out.segments, out.metrics, out.plot, out.events)
