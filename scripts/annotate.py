"""Rule annotate: the patient's PASS mutations with gene, consequence, HGVS and driver label."""
import logging

import pandas as pd

from ith.annotate.drivers import read_driver_genes
from ith.annotate.gtf import transcripts_from_table
from ith.annotate.patient import Annotator, annotate_sites, pass_sites
from ith.annotate.vcffields import read_vcf_annotation
from ith.io.tables import write_tsv
from ith.rulescript import start

start(snakemake)

inp = snakemake.input
patient = snakemake.wildcards.patient
sites = pass_sites(pd.read_csv(inp.sites, sep="\t", keep_default_na=False, na_values=["NA"],
                               dtype={"chrom": str, "ref": str, "alt": str, "filter": str, "mutation_id": str}))
genes = read_driver_genes(inp.drivers)
logging.info("patient %s: %d PASS mutations; %d driver genes from %s", patient, len(sites), len(genes), inp.drivers)
transcripts = pd.read_csv(inp.transcripts, sep="\t", keep_default_na=False, dtype=str)
annotator = Annotator(inp.fasta, transcripts=transcripts_from_table(transcripts))
given = None
if inp.vcfs:  # external_vcfs first, then the imported calls' files in manifest order; the first wins
    parts = []
    for vcf in inp.vcfs:
        parts.append(read_vcf_annotation(vcf))
        logging.info("%s: %d alleles with a VEP CSQ / snpEff ANN annotation", vcf, len(parts[-1]))
    given = pd.concat(parts, ignore_index=True).drop_duplicates(["chrom", "pos", "ref", "alt"])
write_tsv(annotate_sites(patient, sites, annotator, genes, given), snakemake.output.annotation)
