"""Fragment-level allele counts at known sites, with fragment lengths, for plasma and controls.

The counting itself is ith.io.sitecount's (each fragment once, the fragment length of every
read with a non-reference base, a length histogram of reference-carrying fragments). Every
sample (normal, tissue, plasma) is counted the same way, so the error rates learned on controls
apply to plasma.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ith.io import sitecount
from ith.io.sitecount import BASES, MAX_LENGTH, SitePileup, alt_count

__all__ = ["BASES", "MAX_LENGTH", "LiquidPileupParams", "SitePileup", "alt_count", "count_sites"]


@dataclass(frozen=True)
class LiquidPileupParams:
    min_mapq: int = 20
    min_baseq: int = 20


def count_sites(bam_path: str, sites: pd.DataFrame, params: LiquidPileupParams,
                reference: str | None = None) -> SitePileup:
    """Fragments per base at each site (chrom, pos 1-based, ref, optional alt); a CRAM is decoded
    against `reference`, the FASTA it was written against."""
    return sitecount.count_sites(bam_path, sites, params.min_mapq, params.min_baseq, reference)
