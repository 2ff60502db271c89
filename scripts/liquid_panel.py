"""Rule liquid_panel: the union of every patient's SNV loci, which every sample is counted at."""
import logging
import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "w")
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

import pandas as pd  # noqa: E402

from ith.io.tables import write_tsv  # noqa: E402
from ith.liquid.patient import panel_sites  # noqa: E402

counts = {p: pd.read_csv(f, sep="\t", usecols=["mutation_id", "indel"], dtype={"mutation_id": str})
          for p, f in zip(snakemake.params.patients, snakemake.input.counts)}
panel = panel_sites(counts, snakemake.params.contigs)
shared = panel["patients"].str.contains(",")
logging.info("%d SNV loci over %d patients; %d called in more than one patient (not used as their controls)",
             len(panel), len(counts), int(shared.sum()))
write_tsv(panel, snakemake.output[0])
