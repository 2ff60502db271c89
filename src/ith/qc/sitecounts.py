"""The identity SNPs' allele counts that a sample's QC pass writes, read and written without
pandas (whose import would add about 0.4 CPU s to every qc_sample job)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ith.io.atomic import atomic_path
from ith.io.sitecount import BASES, SiteCounter, SiteTally

# genotypes count bases of at least this quality (not configurable; the reads' MAPQ threshold
# is qc.min_mapq, the same reads that count for depth)
MIN_BASEQ = 20
SITE_COLUMNS = ["chrom", "pos", "ref", "alt", "af"]
COUNT_COLUMNS = SITE_COLUMNS + ["depth", *BASES, "discordant"]


@dataclass
class IdentitySites:
    chroms: list[str]
    positions: np.ndarray
    refs: list[str]
    alts: list[str]
    afs: list[str]  # as the sites table has them (passed through unchanged)

    def counter(self, min_mapq: int) -> SiteCounter:
        return SiteCounter(np.array(self.chroms, dtype=str), self.positions, np.array(self.refs, dtype=str),
                           min_mapq, MIN_BASEQ)


def read_identity_sites(path: str) -> IdentitySites:
    """results/qc/identity_sites.tsv (SITE_COLUMNS, written by rule qc_identity_sites)."""
    with open(path) as fh:
        header = fh.readline().rstrip("\n").split("\t")
        if header != SITE_COLUMNS:
            raise ValueError(f"{path}: columns {header}, expected {SITE_COLUMNS}; it is written by rule "
                             "qc_identity_sites: delete it and re-run")
        rows = [line.rstrip("\n").split("\t") for line in fh if line.strip()]
    return IdentitySites([r[0] for r in rows], np.array([int(r[1]) for r in rows], dtype=np.int64),
                         [r[2] for r in rows], [r[3] for r in rows], [r[4] for r in rows])


def write_identity_counts(path: str, sites: IdentitySites, tally: SiteTally) -> None:
    """One row per site (COUNT_COLUMNS): fragments per base, discordant mates apart. Written
    under a temporary name first: a half-written table never takes the final one."""
    depth = tally.base_counts.sum(axis=1)
    with atomic_path(path) as tmp, open(tmp, "w") as fh:
        fh.write("\t".join(COUNT_COLUMNS) + "\n")
        for i in range(len(sites.chroms)):
            b = tally.base_counts[i]
            fh.write(f"{sites.chroms[i]}\t{sites.positions[i]}\t{sites.refs[i]}\t{sites.alts[i]}\t{sites.afs[i]}\t"
                     f"{depth[i]}\t{b[0]}\t{b[1]}\t{b[2]}\t{b[3]}\t{tally.discordant[i]}\n")
