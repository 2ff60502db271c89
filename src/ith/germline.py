"""The normal's heterozygous SNPs: which germline sites count as heterozygous, from the normal's
allele counts. Variant discovery keeps them as the sites whose B-allele fractions copy number
reads, and copy number uses the same rule, so both stages agree on what a het SNP is."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HetParams:
    min_depth: int = 15  # normal depth at a SNP
    min_vaf: float = 0.3  # normal VAF range of a heterozygous SNP
    max_vaf: float = 0.7
    max_other: float = 0.05  # reads with a third allele, as a fraction of the normal depth


def het_mask(ref: np.ndarray, alt: np.ndarray, other: np.ndarray, indel: np.ndarray, p: HetParams) -> np.ndarray:
    """Heterozygous SNPs of the normal from its allele counts."""
    depth = ref + alt
    with np.errstate(invalid="ignore", divide="ignore"):
        vaf = np.where(depth > 0, alt / np.maximum(depth, 1), 0.0)
    return (~indel & (depth >= p.min_depth) & (vaf >= p.min_vaf) & (vaf <= p.max_vaf)
            & (other <= p.max_other * np.maximum(depth, 1)))


def population_snps(table, resource: str, fasta: str):
    """A tumour-only patient's het-SNP table (ith.variants.call.het_table rows of every sample)
    kept at the sites (same allele) of the population resource: without a normal, the tumours'
    SNVs in the pooled-VAF range are germline hets only where the population knows the allele
    (private germline variants and somatic mutations are not there)."""
    from ith.io.naming import resource_naming
    from ith.io.reference import read_fai
    from ith.variants.annotate import vcf_lookup

    if not len(table):
        return table
    sites = table[["chrom", "pos", "ref", "alt"]].drop_duplicates().reset_index(drop=True)
    naming = resource_naming(resource, "variants.germline_resource", read_fai(fasta, "reference"), "vcf")
    af = vcf_lookup(sites, resource, True, naming)
    known = sites[np.isfinite(af) | (vcf_lookup(sites, resource, False, naming) > 0)]
    out = table.merge(known, on=["chrom", "pos", "ref", "alt"])
    log.info("tumour-only: %d of %d BAF candidate SNPs are population SNPs (%s), kept as het SNPs", len(known),
             len(sites), resource)
    return out.reset_index(drop=True)
