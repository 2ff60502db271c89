"""Rule copynumber_baf: the normal's heterozygous SNPs with allele counts in every tissue sample."""
import logging
import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "w")
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

import pandas as pd  # noqa: E402

from ith.io.tables import write_tsv  # noqa: E402

patient = snakemake.wildcards.patient
parts = [pd.read_csv(f, sep="\t", dtype={"chrom": str, "ref": str, "alt": str}, keep_default_na=False,
                     na_values=["NA"]) for f in snakemake.input.hets]
parts = [p for p in parts if len(p)]
cols = ["patient", "chrom", "pos", "ref", "alt", "sample", "ref_counts", "alt_counts", "baf"]
table = pd.concat(parts, ignore_index=True).assign(patient=patient)[cols] if parts else pd.DataFrame(columns=cols)
logging.info("patient %s: %d heterozygous SNPs x %d samples", patient, table[["chrom", "pos"]].drop_duplicates().shape[0],
             table["sample"].nunique())
write_tsv(table, snakemake.output[0])
