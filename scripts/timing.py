"""Rule timing: early/late clonal SNVs in gained segments, the gains' and WGD's relative times and
the copy-number events' scopes of one patient."""
import logging

import pandas as pd

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
muts = pd.read_csv(inp.mutations, sep="\t", keep_default_na=False, na_values=["NA", ""], usecols=cols,
                   dtype={"mutation_id": str, "sample": str, "call": str, "indel": str})
segs = pd.read_csv(inp.segments, sep="\t", keep_default_na=False, na_values=["NA", ""],
                   usecols=lambda c: c in {"sample", "chrom", "start", "end", "major_cn", "minor_cn", "normal_cn",
                                           "subclonal", "allele_specific"},
                   dtype={"sample": str, "chrom": str, "subclonal": str, "allele_specific": str})
pp = pd.read_csv(inp.purity, sep="\t", keep_default_na=False, na_values=["NA", ""], dtype={"sample": str, "wgd": str})
wgd = {s: str(v).strip().lower() in ("true", "1") for s, v in zip(pp["sample"], pp["wgd"])}
write(muts, segs, wgd, regions, params, patient, out.mutations, out.segments, out.metrics, out.plot, out.events)
