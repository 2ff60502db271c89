"""The normal's heterozygous SNPs: which germline sites count as heterozygous, from the normal's
allele counts. Variant discovery keeps them as the sites whose B-allele fractions copy number
reads, and copy number uses the same rule, so both stages agree on what a het SNP is."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
