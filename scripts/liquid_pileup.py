"""Rule liquid_pileup: fragments per base at the patient's SNV sites in one of its plasma
samples, with the lengths of non-reference fragments and of reference fragments."""
import logging
import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "w")
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ith.io.tables import write_tsv  # noqa: E402
from ith.liquid.patient import patient_sites  # noqa: E402
from ith.liquid.pileup import LiquidPileupParams, count_sites  # noqa: E402

inp, out, c = snakemake.input, snakemake.output, snakemake.params.pileup
sites = patient_sites(pd.read_csv(inp.counts, sep="\t", usecols=["mutation_id", "indel"], dtype={"mutation_id": str}),
                      snakemake.params.contigs)
logging.info("sample %s (patient %s): %d SNV sites; parameters %s", snakemake.wildcards.sample,
             snakemake.wildcards.patient, len(sites), c)
res = count_sites(inp.bam, sites, LiquidPileupParams(**c))
logging.info("%d fragments counted, %d with a non-reference base, %d dropped as discordant mates; "
             "%d sites without coverage", int(res.counts["depth"].sum()), len(res.alt_lengths),
             int(res.counts["discordant"].sum()), int((res.counts["depth"] == 0).sum()))
write_tsv(res.counts, out.counts)
write_tsv(res.alt_lengths, out.alt_lengths)
nz = np.flatnonzero(res.ref_lengths)
write_tsv(pd.DataFrame({"length": nz, "fragments": res.ref_lengths[nz]}), out.ref_lengths)
