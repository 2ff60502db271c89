"""Rule variants_call: filter, genotype every sample, write somatic.vcf.gz, counts.tsv, sites.tsv."""
import logging
from dataclasses import replace

import pandas as pd

from ith.io.reference import included_contigs, read_fai
from ith.io.targets import target_regions
from ith.io.tables import write_tsv
from ith.variants.call import Sample, call_patient, mutation_ids
from ith.io.pileup import PileupParams
from ith.params import from_section
from ith.variants.orientation import OrientationParams
from ith.variants.presence import PresenceParams
from ith.variants.somatic import SomaticParams
from ith.variants.vcfout import write_vcf
from ith.rulescript import start

start(snakemake)

p = snakemake.params
inp = snakemake.input
patient = snakemake.wildcards.patient
samples = [Sample(s["name"], s["type"], bam, s["purity"]) for s, bam in zip(p.samples, inp.bams)]
logging.info("patient %s: %d samples, %d chunks; somatic %s; presence %s", patient, len(samples), len(inp.chunks),
             p.somatic, p.presence)
chunks = [pd.read_csv(c, sep="\t", dtype={"chrom": str, "ref": str, "alt": str}, keep_default_na=False,
                      na_values=["NA"]) for c in inp.chunks]
# the rule passes the sub-sections of `variants` it uses (variants.params.VariantsParams' parts)
# an exome or panel: external calls outside the padded targets are left out, as discovery leaves them
regions = None
if inp.targets:
    reference = read_fai(inp.fasta, "reference")
    regions = target_regions(inp.targets[0], included_contigs(reference, p.exclude_contigs), reference, p.padding,
                             "variants.exclude_contigs")
pileup = from_section(PileupParams, p.pileup, "variants.pileup")
somatic = from_section(SomaticParams, p.somatic, "variants.somatic")
if p.max_population_af is not None:  # a tumour-only patient: tumour_only.max_population_af
    somatic = replace(somatic, max_population_af=p.max_population_af)
    logging.info("tumour-only (no normal): no normal filters; population filter at AF > %g", p.max_population_af)
presence = from_section(PresenceParams, p.presence, "variants.presence")
orientation = from_section(OrientationParams, p.orientation, "variants.orientation")
imported = pd.read_csv(inp.imported[0], sep="\t", dtype={"chrom": str, "ref": str, "alt": str},
                       keep_default_na=False) if inp.imported else None
if not p.own_calls:
    logging.info("own calling off (variants.own_calls): only the imported calls are genotyped")
res = call_patient(patient, samples, chunks, inp.fasta, pileup, somatic, presence, p.plasma_discovery,
                   germline_resource=inp.germline_resource[0] if inp.germline_resource else None,
                   panel_of_normals=inp.panel_of_normals[0] if inp.panel_of_normals else None,
                   drivers=inp.drivers[0] if inp.drivers else None,
                   external_vcf=inp.external[0] if inp.external else None, regions=regions,
                   orientation=orientation, imported=imported, own_calls=p.own_calls)
logging.info("purity used for 'detectable' (sheet value, else estimated): %s", res.purity)
present = res.table.groupby("sample", sort=False)["present"].sum()
logging.info("PASS mutations present per sample: %s", present.to_dict())
write_vcf(snakemake.output.vcf, read_fai(inp.fasta, "reference"), [s.name for s in samples], res.sites,
          res.counts.ref, res.counts.alt, res.counts.ref_fwd, res.counts.ref_rev, res.counts.alt_fwd,
          res.counts.alt_rev, inp.fasta)
write_tsv(res.table, snakemake.output.counts)
write_tsv(res.orientation, snakemake.output.orientation)
sites = res.sites.drop(columns=["n_alts"]).assign(
    mutation_id=mutation_ids,
    filter=lambda d: d["filters"].where(d["filters"] != "", "PASS"),
    own_filter=lambda d: d["own_filter"].where(d["own_filter"] != "", "PASS")).drop(columns=["filters"])
sites.insert(0, "patient", patient)
write_tsv(sites, snakemake.output.sites)
