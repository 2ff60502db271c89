"""Rule copynumber_baf: the normal's heterozygous SNPs with allele counts in every tissue sample."""
import logging

import pandas as pd

from ith.germline import population_snps
from ith.io.tables import write_tsv
from ith.rulescript import start

start(snakemake)

patient = snakemake.wildcards.patient
parts = [pd.read_csv(f, sep="\t", dtype={"chrom": str, "ref": str, "alt": str}, keep_default_na=False,
                     na_values=["NA"]) for f in snakemake.input.hets]
parts = [p for p in parts if len(p)]
cols = ["patient", "chrom", "pos", "ref", "alt", "sample", "ref_counts", "alt_counts", "baf"]
table = pd.concat(parts, ignore_index=True).assign(patient=patient)[cols] if parts else pd.DataFrame(columns=cols)
if snakemake.params.tumour_only:  # no normal: the candidates at population SNPs are the het SNPs
    table = population_snps(table, snakemake.input.germline_resource[0], snakemake.input.reference[0])
logging.info("patient %s: %d heterozygous SNPs x %d samples", patient, table[["chrom", "pos"]].drop_duplicates().shape[0],
             table["sample"].nunique())
write_tsv(table, snakemake.output[0])
