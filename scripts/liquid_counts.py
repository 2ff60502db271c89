"""Rule liquid_counts: the patient's plasma samples and its background controls (its normal,
other patients' samples or a fixed control sheet) counted fragment by fragment at its SNV sites,
each BAM read only there."""
import logging

import pandas as pd

from ith.io.tables import write_tsv
from ith.liquid.controls import count_samples
from ith.liquid.loci import patient_sites
from ith.liquid.params import pileup_params
from ith.rulescript import start

start(snakemake)

inp, out, p = snakemake.input, snakemake.output, snakemake.params
sites = patient_sites(pd.read_csv(inp.counts, sep="\t", usecols=["mutation_id", "indel"], dtype={"mutation_id": str}),
                      p.contigs)
plasma = pd.DataFrame({"sample": p.plasma, "bam": list(inp.plasma)})
controls = pd.DataFrame(p.controls).assign(bam=list(inp.controls))
logging.info("patient %s: %d SNV sites; plasma %s; %d controls: %s; parameters %s; %d threads",
             snakemake.wildcards.patient, len(sites), ", ".join(p.plasma), len(controls),
             ", ".join(f"{r.sample} ({r.patient} {r.type})" for r in controls.itertuples()), p.pileup, snakemake.threads)
both = count_samples(pd.concat([plasma, controls[["sample", "bam"]]], ignore_index=True), sites,
                     pileup_params(p.pileup), snakemake.threads, reference=inp.fasta)
for s, g in both.counts.groupby("sample", sort=False):
    logging.info("%s: %d fragments, %d with a non-reference base, %d dropped as discordant mates", s,
                 int(g["depth"].sum()), int((both.alt_lengths["sample"] == s).sum()), int(g["discordant"].sum()))
is_plasma = {"counts": both.counts["sample"].isin(p.plasma), "alt": both.alt_lengths["sample"].isin(p.plasma)}
write_tsv(both.counts[is_plasma["counts"]], out.plasma_counts)
write_tsv(both.alt_lengths[is_plasma["alt"]], out.plasma_alt_lengths)
write_tsv(both.ref_lengths[both.ref_lengths["sample"].isin(p.plasma)], out.plasma_ref_lengths)
write_tsv(both.counts[~is_plasma["counts"]], out.control_counts)
write_tsv(both.alt_lengths[~is_plasma["alt"]], out.control_alt_lengths)
