"""Rule liquid_controls: the patient's background controls (its normal, other patients' samples
or a fixed control sheet) counted at its SNV sites, each BAM read only there."""
import logging
import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "w")
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

import pandas as pd  # noqa: E402

from ith.io.tables import write_tsv  # noqa: E402
from ith.liquid.controls import count_controls  # noqa: E402
from ith.liquid.patient import patient_sites  # noqa: E402
from ith.liquid.pileup import LiquidPileupParams  # noqa: E402

inp, out, c = snakemake.input, snakemake.output, snakemake.params.pileup
controls = pd.DataFrame(snakemake.params.controls).assign(bam=list(inp.bams))
sites = patient_sites(pd.read_csv(inp.counts, sep="\t", usecols=["mutation_id", "indel"], dtype={"mutation_id": str}),
                      snakemake.params.contigs)
logging.info("patient %s: %d SNV sites; %d controls: %s; parameters %s; %d threads", snakemake.wildcards.patient,
             len(sites), len(controls), ", ".join(f"{r.sample} ({r.patient} {r.type})" for r in controls.itertuples()),
             c, snakemake.threads)
counts, alt_lengths = count_controls(controls, sites, LiquidPileupParams(**c), snakemake.threads)
for s, g in counts.groupby("sample", sort=False):
    logging.info("%s: %d fragments, %d with a non-reference base", s, int(g["depth"].sum()),
                 int((alt_lengths["sample"] == s).sum()))
write_tsv(counts, out.counts)
write_tsv(alt_lengths, out.alt_lengths)
