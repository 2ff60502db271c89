"""Rule variants_discover: candidate somatic sites of one genomic chunk of one patient."""
import logging

from ith.germline import HetParams
from ith.io.tables import write_tsv
from ith.variants.call import Sample, discover_chunk
from ith.io.pileup import PileupParams, region_label
from ith.params import from_section
from ith.variants.somatic import SomaticParams
from ith.rulescript import start

start(snakemake)

p = snakemake.params
samples = [Sample(s["name"], s["type"], bam, s["purity"]) for s, bam in zip(p.samples, snakemake.input.bams)]
regions = [(c, int(s), int(e)) for c, s, e in p.region]
logging.info("patient %s, region %s, samples %s", snakemake.wildcards.patient, region_label(regions),
             [s.name for s in samples])
logging.info("pileup %s; somatic %s; candidate_min_alt %s", p.pileup, p.somatic, p.candidate_min_alt)
# the rule passes the parts of `variants` it uses and, from outside it, copynumber.hets (the
# normal's heterozygous SNPs are found in this same pileup)
pileup = from_section(PileupParams, p.pileup, "variants.pileup")
somatic = from_section(SomaticParams, p.somatic, "variants.somatic")
hets = from_section(HetParams, p.hets, "copynumber.hets")
# a tumour-only patient (no normal among the samples): BAF candidates by the tumours' pooled allele fraction
table, hets = discover_chunk(samples, snakemake.input.fasta, regions, pileup, somatic, p.candidate_min_alt,
                             p.plasma_discovery, hets=hets, candidates=p.candidates,
                             **({"het_vaf": tuple(p.het_vaf)} if p.het_vaf else {}))
write_tsv(table, snakemake.output.sites)
write_tsv(hets, snakemake.output.hets)
