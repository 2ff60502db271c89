"""Rule variants_discover: candidate somatic sites of one genomic chunk of one patient."""
import logging
from pathlib import Path

from ith.germline import HetParams
from ith.io.tables import write_tsv
from ith.variants.call import Sample, discover_chunk
from ith.io.pileup import PileupParams
from ith.variants.somatic import SomaticParams
from ith.rulescript import start

start(snakemake)

p = snakemake.params
samples = [Sample(s["name"], s["type"], bam, s["purity"]) for s, bam in zip(p.samples, snakemake.input.bams)]
logging.info("patient %s, region %s, samples %s", snakemake.wildcards.patient, p.region, [s.name for s in samples])
logging.info("pileup %s; somatic %s; candidate_min_alt %s", p.pileup, p.somatic, p.candidate_min_alt)
table, hets = discover_chunk(samples, snakemake.input.fasta, p.region, PileupParams(**p.pileup),
                             SomaticParams(**p.somatic), p.candidate_min_alt, p.plasma_discovery,
                             workdir=str(Path(snakemake.output.sites).parent), hets=HetParams(**p.hets))
write_tsv(table, snakemake.output.sites)
write_tsv(hets, snakemake.output.hets)
