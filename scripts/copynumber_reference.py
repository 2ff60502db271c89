"""Rule copynumber_reference: the pooled copy-number reference of the sample sheet's normals."""
import logging

import pandas as pd

from ith.copynumber.reference import ReferenceParams, build_reference
from ith.io.tables import write_tsv
from ith.rulescript import start

start(snakemake)

inp, p = snakemake.input, snakemake.params
bins = pd.read_csv(inp.bins, sep="\t", dtype={"chrom": str})
params = ReferenceParams(min_normals=p.min_normals, max_spread=p.max_spread)  # the builder reads only these
depths = {f.rsplit("/", 1)[-1].removesuffix(".tsv"): pd.read_csv(f, sep="\t", dtype={"chrom": str})["depth"].to_numpy(float)
          for f in inp.coverage}
table, sexes = build_reference(bins, depths, params, p.min_mappable, tuple(p.normal_depth_range))
logging.info("pooled reference of %d normals (%s); sex by X depth %s", len(depths), ", ".join(depths), sexes)
logging.info("%d bins, %d usable (%d targets); median spread %.3f; %d bins dropped for spread > %.2f",
             len(table), int(table["usable"].sum()), int((table["usable"] & table["target"]).sum()),
             table["spread"].median(), int((table["spread"] > params.max_spread).sum()), params.max_spread)
write_tsv(table, snakemake.output[0])
