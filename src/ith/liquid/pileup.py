"""Fragment-level allele counts at known sites, with fragment lengths, for plasma and controls.

cfDNA is sequenced deep with short fragments, so both mates of a pair often cover a site: each
fragment is counted once (the mate with the higher base quality; mates that disagree are
dropped as an error of one of them). The fragment length of every read that carries a non-
reference base is kept, and a length histogram of reference-carrying fragments at the sites,
for the mutant-versus-wild-type comparison. Every sample (normal,
tissue, plasma) is counted the same way, so the error rates learned on controls apply to plasma.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ith.io.alignments import open_alignments

BASES = "ACGT"
MAX_LENGTH = 1000  # longest fragment kept in the histograms (bp)
_SKIP_FLAGS = 0x4 | 0x100 | 0x200 | 0x400 | 0x800  # unmapped, secondary, QC fail, duplicate, supplementary


@dataclass(frozen=True)
class LiquidPileupParams:
    min_mapq: int = 20
    min_baseq: int = 20


@dataclass
class SitePileup:
    counts: pd.DataFrame  # chrom, pos, ref, [alt,] depth, A, C, G, T, discordant (fragments)
    alt_lengths: pd.DataFrame  # chrom, pos, base, length: fragments with a non-reference base
    ref_lengths: np.ndarray  # (MAX_LENGTH + 1,) reference fragments at the sites, by length


def _query_position(aln, pos0: int) -> int | None:
    """The read's base aligned to reference position pos0 (0-based), None in a deletion/skip."""
    ref = aln.reference_start
    q = 0
    for op, n in aln.cigartuples:
        if op in (0, 7, 8):  # M, =, X
            if ref <= pos0 < ref + n:
                return q + pos0 - ref
            ref += n
            q += n
        elif op in (1, 4):  # I, S
            q += n
        elif op in (2, 3):  # D, N
            if ref <= pos0 < ref + n:
                return None
            ref += n
    return None


def _windows(pos: np.ndarray, gap: int) -> list[tuple[int, int]]:
    """Index ranges of sorted positions no more than `gap` apart: one fetch per window."""
    out, start = [], 0
    for i in range(1, len(pos) + 1):
        if i == len(pos) or pos[i] - pos[i - 1] > gap:
            out.append((start, i))
            start = i
    return out


def count_sites(bam_path: str, sites: pd.DataFrame, params: LiquidPileupParams,
                reference: str | None = None) -> SitePileup:
    """Fragments per base at each site (chrom, pos 1-based, ref, optional alt). A CRAM is decoded
    against `reference`, the FASTA it was written against."""
    n = len(sites)
    chroms = sites["chrom"].astype(str).to_numpy()
    positions = sites["pos"].astype(np.int64).to_numpy()
    refs = sites["ref"].astype(str).to_numpy()
    base_counts = np.zeros((n, 4), dtype=np.int64)
    discordant = np.zeros(n, dtype=np.int64)
    ref_lengths = np.zeros(MAX_LENGTH + 1, dtype=np.int64)
    alt_rows: list[tuple[str, int, str, int]] = []
    index = {b: i for i, b in enumerate(BASES)}
    with open_alignments(bam_path, reference) as bam:
        contigs = set(bam.references)
        for chrom in dict.fromkeys(chroms):
            if chrom not in contigs:
                continue
            rows = np.flatnonzero(chroms == chrom)
            rows = rows[np.argsort(positions[rows], kind="stable")]
            pos0 = positions[rows] - 1
            for a, b in _windows(pos0, 1000):
                # fragment -> site row -> (base, quality, length); a fragment's mates meet here
                frags: dict[str, dict[int, tuple[str, int, int]]] = {}
                for aln in bam.fetch(chrom, int(pos0[a]), int(pos0[b - 1]) + 1):
                    if aln.flag & _SKIP_FLAGS or aln.mapping_quality < params.min_mapq:
                        continue
                    lo = np.searchsorted(pos0[a:b], aln.reference_start) + a
                    hi = np.searchsorted(pos0[a:b], aln.reference_end) + a
                    if lo >= hi:
                        continue
                    seq, quals, length = aln.query_sequence, aln.query_qualities, abs(aln.template_length)
                    per = frags.setdefault(aln.query_name, {})
                    for k in range(lo, hi):
                        q = _query_position(aln, int(pos0[k]))
                        if q is None or quals[q] < params.min_baseq:
                            continue
                        base, row = seq[q], int(rows[k])
                        prev = per.get(row)
                        if prev is None or (prev[0] == base and quals[q] > prev[1]):
                            per[row] = (base, quals[q], length)
                        elif prev[0] != base:
                            per[row] = ("", -1, 0)  # mates disagree: neither is counted
                for per in frags.values():
                    for row, (base, _, length) in per.items():
                        j = index.get(base)
                        if base == "":
                            discordant[row] += 1
                        if j is None:
                            continue
                        base_counts[row, j] += 1
                        if base != refs[row]:
                            alt_rows.append((chrom, int(positions[row]), base, length))
                        elif 0 < length <= MAX_LENGTH:
                            ref_lengths[length] += 1
    counts = pd.DataFrame({"chrom": chroms, "pos": positions, "ref": refs})
    if "alt" in sites:
        counts["alt"] = sites["alt"].astype(str).to_numpy()
    counts["depth"] = base_counts.sum(axis=1)
    for j, b in enumerate(BASES):
        counts[b] = base_counts[:, j]
    counts["discordant"] = discordant
    alt = pd.DataFrame(alt_rows, columns=["chrom", "pos", "base", "length"]).sort_values(
        ["chrom", "pos", "base", "length"], kind="stable").reset_index(drop=True)
    return SitePileup(counts, alt, ref_lengths)


def alt_count(counts: pd.DataFrame, alt: pd.Series) -> np.ndarray:
    """The count of each row's own alt base (counts has one column per base)."""
    m = counts[list(BASES)].to_numpy()
    j = alt.map({b: i for i, b in enumerate(BASES)}).to_numpy()
    out = np.zeros(len(counts), dtype=np.int64)
    ok = ~pd.isna(j)
    out[ok] = m[np.flatnonzero(ok), j[ok].astype(int)]
    return out
