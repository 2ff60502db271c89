"""Fragment-level allele counts at given sites, with fragment lengths: one compiled walker that
any pass over a BAM's records can carry (the plasma counts of the liquid stage, the identity
SNPs counted inside the QC pass).

Deep short-fragment libraries (cfDNA) often have both mates of a pair over a site: each fragment
is counted once (the mate with the higher base quality; mates that disagree are dropped as an
error of one of them). The fragment length of every read that carries a non-reference base is
kept, and a length histogram of reference-carrying fragments at the sites.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numba
import numpy as np

from ith.io.alignments import open_alignments, reach_by_index
from ith.io.bamscan import Walker, _i32, _record_end, _u32, record_core, record_sequence, stream_records

if TYPE_CHECKING:
    import pandas as pd

BASES = "ACGT"
MAX_LENGTH = 1000  # longest fragment kept in the histograms (bp)
_SKIP_FLAGS = 0x4 | 0x100 | 0x200 | 0x400 | 0x800  # unmapped, secondary, QC fail, duplicate, supplementary


@dataclass
class SitePileup:
    counts: pd.DataFrame  # chrom, pos, ref, [alt,] depth, A, C, G, T, discordant (fragments)
    alt_lengths: pd.DataFrame  # chrom, pos, base, length: fragments with a non-reference base
    ref_lengths: np.ndarray  # (MAX_LENGTH + 1,) reference fragments at the sites, by length
    # (sites, 4 bases, 2): the fragments of counts' A, C, G, T by read orientation, F1R2 (read 1
    # forward, read 2 reverse) then F2R1; unpaired reads are in neither
    orientation: np.ndarray | None = None


# htslib's 4-bit base codes ("=ACMGRSVTWYHKDBN"): A, C, G, T are 1, 2, 4, 8
NT16 = "=ACMGRSVTWYHKDBN"
_NT16_INDEX = np.full(16, -1, dtype=np.int64)
for _j, _b in enumerate(BASES):
    _NT16_INDEX[NT16.index(_b)] = _j
# one row per read base at a site: site row, read name hashed twice, 4-bit base, quality, |TLEN|,
# orientation of the read's pair (0 F1R2, 1 F2R1, 2 unpaired)
_OBS_FIELDS = 7


@numba.njit(cache=True)
def _walk_sites(buf: np.ndarray, start: int, n_bytes: int, n_ref: int, first: np.ndarray, site_pos: np.ndarray,
                site_row: np.ndarray, min_mapq: int, min_baseq: int, exclude: int, obs: np.ndarray,
                n_obs: np.ndarray) -> int:
    """Append each passing read's bases at the sites to obs (from row n_obs[0]); return the offset
    of the first record not taken. Stops before a record whose bases would not fit (n_obs[1] = 1),
    for the caller to grow obs and go on from there.

    first[r]..first[r+1] index reference r's sites in site_pos (0-based, sorted)."""
    off = start
    n_obs[1] = 0
    while True:
        end = _record_end(buf, off, n_bytes, n_ref)
        if end < 0:
            break
        rec = off + 4
        ref, pos, name_len, mapq, n_cigar, flag = record_core(buf, rec)
        l_seq, cig, seq, qual = record_sequence(buf, rec, name_len, n_cigar)
        if ref < 0 or (flag & exclude) != 0 or mapq < min_mapq or l_seq == 0 or first[ref] == first[ref + 1]:
            off = end
            continue
        lo = first[ref]
        hi = first[ref + 1]
        tlen = _i32(buf, rec + 28)
        length = -tlen if tlen < 0 else tlen
        name = rec + 32
        h1 = np.uint64(14695981039346656037)  # FNV-1a
        h2 = np.uint64(5381)  # djb2: a second, independent hash, so two names never pass as one fragment
        for i in range(name_len - 1):
            c = np.uint64(buf[name + i])
            h1 = (h1 ^ c) * np.uint64(1099511628211)
            h2 = h2 * np.uint64(33) + c
        n = n_obs[0]
        full = False
        rpos = pos
        qpos = 0
        for c in range(n_cigar):
            v = _u32(buf, cig + 4 * c)
            op = v & 0xF
            ln = v >> 4
            if op == 0 or op == 7 or op == 8:  # M, =, X: bases aligned to the reference
                j = np.searchsorted(site_pos[lo:hi], rpos) + lo
                while j < hi and site_pos[j] < rpos + ln:
                    q = qpos + site_pos[j] - rpos
                    bq = np.int64(buf[qual + q])
                    if bq >= min_baseq:
                        if n == obs.shape[0]:
                            full = True
                            break
                        b = buf[seq + q // 2]
                        obs[n, 0] = site_row[j]
                        obs[n, 1] = np.int64(h1)
                        obs[n, 2] = np.int64(h2)
                        obs[n, 3] = (b >> 4) if q % 2 == 0 else (b & 0xF)
                        obs[n, 4] = bq
                        obs[n, 5] = length
                        if (flag & 1) == 0:
                            obs[n, 6] = 2
                        else:  # read 1 forward or read 2 reverse: F1R2
                            obs[n, 6] = 0 if ((flag & 0x40) != 0) == ((flag & 0x10) == 0) else 1
                        n += 1
                    j += 1
                if full:
                    break
                rpos += ln
                qpos += ln
            elif op == 1 or op == 4:  # I, S
                qpos += ln
            elif op == 2 or op == 3:  # D, N: a site there has no base of this read
                rpos += ln
        if full:
            n_obs[1] = 1
            break
        n_obs[0] = n
        off = end
    return off


@numba.njit(cache=True)
def _fragments(obs: np.ndarray, order: np.ndarray, ref_code: np.ndarray, base_index: np.ndarray,
               base_counts: np.ndarray, discordant: np.ndarray, ref_lengths: np.ndarray, alt: np.ndarray,
               orient_counts: np.ndarray) -> int:
    """Each fragment once per site: obs in `order` (site row, then name, then file order), the
    bases of one name at one row are its mates'. The mate of the higher base quality counts (the
    first of equal ones); mates with different bases are discordant and neither counts. Non-
    reference fragments go to alt (row, base, length); returns how many."""
    n_alt = 0
    i = 0
    n = order.shape[0]
    while i < n:
        k = order[i]
        row, h1, h2 = obs[k, 0], obs[k, 1], obs[k, 2]
        base, bq, length = obs[k, 3], obs[k, 4], obs[k, 5]
        bad = False
        i += 1
        while i < n and obs[order[i], 0] == row and obs[order[i], 1] == h1 and obs[order[i], 2] == h2:
            m = order[i]
            if not bad:
                if obs[m, 3] != base:
                    bad = True
                elif obs[m, 4] > bq:
                    bq, length = obs[m, 4], obs[m, 5]
            i += 1
        if bad:
            discordant[row] += 1
            continue
        j = base_index[base]
        if j < 0:
            continue
        base_counts[row, j] += 1
        if obs[k, 6] < 2:  # both mates of a pair have its orientation
            orient_counts[row, j, obs[k, 6]] += 1
        if base != ref_code[row]:
            alt[n_alt, 0] = row
            alt[n_alt, 1] = j
            alt[n_alt, 2] = length
            n_alt += 1
        elif 0 < length <= ref_lengths.shape[0] - 1:
            ref_lengths[length] += 1
    return n_alt


def _site_bed(path: str, chroms: np.ndarray, pos0: np.ndarray) -> None:
    """The sites as BED intervals (one base each): where the index is asked for reads."""
    with open(path, "w") as fh:
        for c, p in dict.fromkeys(zip(chroms.tolist(), pos0.tolist())):
            fh.write(f"{c}\t{p}\t{p + 1}\n")


@dataclass
class SiteTally:
    """What a SiteCounter found, per site in the order it was given."""

    base_counts: np.ndarray  # (n, 4) fragments per base, in BASES order
    discordant: np.ndarray  # (n,) fragments whose mates disagree (not counted)
    alt: np.ndarray  # (k, 3) site row, base index, fragment length of each non-reference fragment
    ref_lengths: np.ndarray  # (MAX_LENGTH + 1,) reference fragments at the sites, by length
    orientation: np.ndarray  # (n, 4, 2) fragments per base and pair orientation (F1R2, F2R1)


class SiteCounter:
    """Fragments per base at each site (contig, 1-based position, reference base) of the records
    a pass hands it: `bind(references)` once the header is read, `walk(buf, off, end)` for the
    complete records of buf[off:end] (it takes them all and returns `end`), `tally()` at the end.
    Sites on contigs the file lacks stay at zero, as no read can cover them. Plain numpy, so that
    a pass that carries it (QC's) needs no pandas."""

    def __init__(self, chroms: np.ndarray, positions: np.ndarray, refs: np.ndarray, min_mapq: int,
                 min_baseq: int) -> None:
        self.chroms = np.asarray(chroms).astype(str)
        self.positions = np.asarray(positions, dtype=np.int64)
        self.refs = np.asarray(refs).astype(str)
        self.min_mapq, self.min_baseq = int(min_mapq), int(min_baseq)
        self.obs = np.zeros((1 << 16, _OBS_FIELDS), dtype=np.int64)
        self.n_obs = np.zeros(2, dtype=np.int64)
        self.n_ref = 0
        self.first = np.zeros(1, dtype=np.int64)
        self.site_pos = np.zeros(0, dtype=np.int64)
        self.site_row = np.zeros(0, dtype=np.int64)

    def bind(self, references: list[tuple[str, int]]) -> None:
        index = {name: i for i, (name, _) in enumerate(references)}
        rid = np.array([index.get(c, -1) for c in self.chroms], dtype=np.int64)
        rows = np.flatnonzero(rid >= 0)
        rows = rows[np.lexsort((self.positions[rows] - 1, rid[rows]))]
        self.n_ref = len(references)
        self.first = np.zeros(self.n_ref + 1, dtype=np.int64)
        self.first[1:] = np.cumsum(np.bincount(rid[rows], minlength=self.n_ref))
        self.site_pos, self.site_row = self.positions[rows] - 1, rows.astype(np.int64)

    def walk(self, buf: np.ndarray, off: int, end: int) -> int:
        while True:
            off = _walk_sites(buf, off, end, self.n_ref, self.first, self.site_pos, self.site_row, self.min_mapq,
                              self.min_baseq, _SKIP_FLAGS, self.obs, self.n_obs)
            if not self.n_obs[1]:
                return off
            grown = np.zeros((2 * len(self.obs), _OBS_FIELDS), dtype=np.int64)
            grown[: len(self.obs)] = self.obs
            self.obs = grown

    def tally(self) -> SiteTally:
        n = len(self.positions)
        base_counts = np.zeros((n, 4), dtype=np.int64)
        discordant = np.zeros(n, dtype=np.int64)
        ref_lengths = np.zeros(MAX_LENGTH + 1, dtype=np.int64)
        ref_code = np.array([NT16.index(r) if len(r) == 1 and r in NT16 else -1 for r in self.refs], dtype=np.int64)
        obs = self.obs[: self.n_obs[0]]
        order = np.lexsort((obs[:, 2], obs[:, 1], obs[:, 0]))  # stable: mates stay in file order
        alt = np.zeros((len(order), 3), dtype=np.int64)
        orient = np.zeros((n, 4, 2), dtype=np.int64)
        n_alt = _fragments(obs, order, ref_code, _NT16_INDEX, base_counts, discordant, ref_lengths, alt, orient)
        return SiteTally(base_counts, discordant, alt[:n_alt], ref_lengths, orient)


def site_pileup(sites: pd.DataFrame, tally: SiteTally) -> SitePileup:
    """A tally as the tables of SitePileup (sites: chrom, pos, ref, optional alt)."""
    import pandas as pd

    chroms = sites["chrom"].astype(str).to_numpy()
    positions = sites["pos"].astype(np.int64).to_numpy()
    counts = pd.DataFrame({"chrom": chroms, "pos": positions, "ref": sites["ref"].astype(str).to_numpy()})
    if "alt" in sites:
        counts["alt"] = sites["alt"].astype(str).to_numpy()
    counts["depth"] = tally.base_counts.sum(axis=1)
    for j, b in enumerate(BASES):
        counts[b] = tally.base_counts[:, j]
    counts["discordant"] = tally.discordant
    alt = tally.alt
    alt_lengths = pd.DataFrame({"chrom": chroms[alt[:, 0]], "pos": positions[alt[:, 0]],
                                "base": np.array(list(BASES), dtype=object)[alt[:, 1]], "length": alt[:, 2]}
                               ).sort_values(["chrom", "pos", "base", "length"], kind="stable").reset_index(drop=True)
    return SitePileup(counts, alt_lengths, tally.ref_lengths, tally.orientation)


def count_sites(bam_path: str, sites: pd.DataFrame, min_mapq: int, min_baseq: int,
                reference: str | None = None) -> SitePileup:
    """SiteCounter over one BAM/CRAM (a CRAM decoded against `reference`, the FASTA it was written
    against): every record of the file when the sites are dense, only those over them (through
    the index) when they are sparse (ith.io.alignments.reach_by_index). A site's mates meet by
    read name, hashed twice (64 bits each)."""
    counter = SiteCounter(sites["chrom"].to_numpy(), sites["pos"].to_numpy(), sites["ref"].to_numpy(), min_mapq,
                          min_baseq)

    def start(refs: list[tuple[str, int]]) -> Walker:
        counter.bind(refs)
        return lambda buf, off: counter.walk(buf, off, len(buf))

    if len(sites):
        with open_alignments(bam_path, reference) as bam:
            genome = sum(bam.lengths)
        with tempfile.TemporaryDirectory() as tmp:
            bed = None
            if reach_by_index(len(set(zip(counter.chroms, counter.positions))), genome):
                bed = os.path.join(tmp, "sites.bed")
                _site_bed(bed, counter.chroms, counter.positions - 1)
            stream_records(bam_path, start, reference=reference, cram_fields=None, regions=bed)
    return site_pileup(sites, counter.tally())


def alt_count(counts: pd.DataFrame, alt: pd.Series) -> np.ndarray:
    """The count of each row's own alt base (counts has one column per base)."""
    import pandas as pd

    m = counts[list(BASES)].to_numpy()
    j = alt.map({b: i for i, b in enumerate(BASES)}).to_numpy()
    out = np.zeros(len(counts), dtype=np.int64)
    ok = ~pd.isna(j)
    out[ok] = m[np.flatnonzero(ok), j[ok].astype(int)]
    return out
