"""Rule copynumber_ratio: a sample's GC-corrected log2 ratio against the matched normal."""
import logging
import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "w")
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

import pandas as pd  # noqa: E402

from ith.copynumber.call import sample_bins  # noqa: E402
from ith.copynumber.params import cn_params  # noqa: E402
from ith.io.tables import write_tsv  # noqa: E402

inp = snakemake.input
bins = pd.read_csv(inp.bins, sep="\t", dtype={"chrom": str})
normal = pd.read_csv(inp.normal, sep="\t", dtype={"chrom": str})
sample = pd.read_csv(inp.sample, sep="\t", dtype={"chrom": str})
table = sample_bins(snakemake.wildcards.patient, snakemake.wildcards.sample, bins, normal["depth"].to_numpy(float),
                    sample["depth"].to_numpy(float), cn_params(snakemake.params.copynumber))
logging.info("%s: %d bins, %d with a log2 ratio (median %.3f)", snakemake.wildcards.sample, len(table),
             int(table["log2r"].notna().sum()), table["log2r"].median())
write_tsv(table, snakemake.output[0])
