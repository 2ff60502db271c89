"""Where a chunk's annotated pileup must look: the positions bcftools mpileup could report as a
candidate, found by one compiled pass over the reads of the chunk (bases and qualities against
the reference), so that mpileup is then run only there (`-T`) instead of at every covered base.

The pass keeps a superset of what the pileup's include expression can pass:
- SNV-like: per position, reads (mpileup's read filters: flags, MAPQ, orphans) whose base differs
  from the reference at base quality >= min_baseq, or is deleted. BAQ and the overlap of a pair's
  mates change qualities; BAQ only lowers them, but two overlapping mates that agree have their
  qualities summed (htslib), so a base of quality >= min_baseq/2 counts as well where it lies
  within reach of its mate;
- indels: mpileup makes an indel record only where some sample has >= `min_ireads` reads with an
  indel right after the position (bcftools `-m`, per sample under `-p`);
- BAQ context: mpileup's partial BAQ realigns a read at the first position it passes that has
  indel-bearing reads (or many soft-clipped ones) and only at positions it visits. The positions
  where it would realign are visited too, so every read has the qualities of the full pileup.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np
import pysam

from ith.io.bamscan import Walker, _record_end, _u32, record_core, record_sequence, stream_records, stream_region
from ith.io.alignments import is_cram

# mpileup's default read filter (--ff UNMAP,SECONDARY,QCFAIL,DUP)
PILEUP_EXCLUDE_FLAGS = 0x4 | 0x100 | 0x200 | 0x400
# bcftools mpileup -m default: gapped reads in one sample (-p) for an indel candidate
MIN_IREADS = 2
# a mate's reference span is taken as at most its read length plus this (indels, clips), for
# whether a base can lie in the overlap of the two mates
MATE_REACH = 200
# positions around an indel candidate the pileup visits (bcftools' indel window, 110 bp, and more)
INDEL_REACH = 200
_NT16 = np.full(256, 15, dtype=np.uint8)
for _c, _v in zip("=ACMGRSVTWYHKDBN", range(16)):
    _NT16[ord(_c)] = _v
    _NT16[ord(_c.lower())] = _v


@dataclass
class RegionCounts:
    """Per position of one region (0-based start): what decides candidates and BAQ context."""

    start: int
    alt: np.ndarray  # (samples, positions) non-reference reads
    istart: np.ndarray  # (samples, positions) reads with an indel right after the position
    depth: np.ndarray  # reads in the pileup column, all samples
    clipped: np.ndarray  # of them, reads with a soft clip
    gapped: np.ndarray  # of them, reads with I, D or N in their CIGAR


@numba.njit(cache=True)
def _scan(buf, off, n_bytes, n_ref, tid, beg, end, ref, exclude, min_mapq, min_q, low_q, alt, istart, depth_d,
          clip_d, gap_d, state):
    """Count the complete records of buf[off:n_bytes] into the region [beg, end) of reference tid;
    state[0] = 1 once a record starts at or past the region's end (the BAM is sorted)."""
    length = end - beg
    while True:
        e = _record_end(buf, off, n_bytes, n_ref)
        if e < 0:
            break
        rec = off + 4
        off = e
        rid, pos, name_len, mapq, n_cigar, flag = record_core(buf, rec)
        if rid > tid or (rid == tid and pos >= end):
            state[0] = 1
            break
        if rid != tid or (flag & exclude) != 0 or mapq < min_mapq or n_cigar == 0:
            continue
        if (flag & 1) != 0 and (flag & 2) == 0:  # mpileup skips orphans and improper pairs
            continue
        l_seq, cig, seq, qual = record_sequence(buf, rec, name_len, n_cigar)
        next_ref = np.int64(buf[rec + 20]) | (np.int64(buf[rec + 21]) << 8) | (np.int64(buf[rec + 22]) << 16) \
            | (np.int64(buf[rec + 23]) << 24)
        mpos = _u32(buf, rec + 24)
        if mpos >= np.int64(1 << 31):
            mpos -= np.int64(1 << 32)
        mate_lo = mpos if next_ref == tid else np.int64(-1)
        mate_hi = mpos + l_seq + MATE_REACH if next_ref == tid else np.int64(-1)
        has_clip = False
        has_gap = False
        span = 0
        for c in range(n_cigar):
            v = _u32(buf, cig + 4 * c)
            op = v & 0xF
            if op == 4:
                has_clip = True
            elif op == 1 or op == 2 or op == 3:
                has_gap = True
            if op == 0 or op == 2 or op == 3 or op == 7 or op == 8:
                span += v >> 4
        a = max(pos, beg) - beg
        b = min(pos + span, end) - beg
        if b > a:
            depth_d[a] += 1
            depth_d[b] -= 1
            if has_clip:
                clip_d[a] += 1
                clip_d[b] -= 1
            if has_gap:
                gap_d[a] += 1
                gap_d[b] -= 1
        rpos = pos
        qpos = 0
        for c in range(n_cigar):
            v = _u32(buf, cig + 4 * c)
            op = v & 0xF
            ln = v >> 4
            if op == 0 or op == 7 or op == 8:
                for i in range(ln):
                    x = rpos + i - beg
                    if 0 <= x < length:
                        k = qpos + i
                        base = (buf[seq + k // 2] >> 4) if k % 2 == 0 else (buf[seq + k // 2] & 0xF)
                        if base != ref[x]:
                            q = buf[qual + k]
                            if q >= min_q or (q >= low_q and mate_lo <= rpos + i < mate_hi):
                                alt[x] += 1
                rpos += ln
                qpos += ln
                if c + 1 < n_cigar:
                    nxt = _u32(buf, cig + 4 * (c + 1)) & 0xF
                    x = rpos - 1 - beg
                    if (nxt == 1 or nxt == 2) and 0 <= x < length:
                        istart[x] += 1
            elif op == 2:
                for i in range(ln):
                    x = rpos + i - beg
                    if 0 <= x < length:
                        alt[x] += 1
                rpos += ln
            elif op == 3:
                rpos += ln
            elif op == 1 or op == 4:
                qpos += ln
    return off


def _bai_offset(index: str, tid: int, beg: int) -> int | None:
    """The virtual offset from which the records overlapping reference tid at and after `beg`
    start (the BAI's linear index: the first record of each 16 kb window), or None when the index
    lists none."""
    with open(index, "rb") as fh:
        data = fh.read()
    if data[:4] != b"BAI\x01":
        raise ValueError(f"{index}: not a BAI index")
    n_ref = struct.unpack_from("<i", data, 4)[0]
    off = 8
    for r in range(n_ref):
        n_bin = struct.unpack_from("<i", data, off)[0]
        off += 4
        for _ in range(n_bin):
            n_chunk = struct.unpack_from("<i", data, off + 4)[0]
            off += 8 + 16 * n_chunk
        n_intv = struct.unpack_from("<i", data, off)[0]
        off += 4
        if r == tid:
            lin = np.frombuffer(data, dtype="<u8", count=n_intv, offset=off)
            w = beg >> 14
            if w >= n_intv:
                return None
            nz = lin[: w + 1][lin[: w + 1] > 0]
            return int(nz[-1]) if len(nz) else None
        off += 8 * n_intv
    return None


def region_counts(bams: Sequence[str], fasta: str, region: tuple[str, int, int], min_mapq: int, min_baseq: int,
                  reference: str | None = None) -> RegionCounts:
    """Counts of every BAM/CRAM over one region (contig, start, end: 1-based, inclusive)."""
    contig, s1, e1 = region
    beg, end = s1 - 1, e1
    with pysam.FastaFile(fasta) as fa:
        ref = _NT16[np.frombuffer(fa.fetch(contig, beg, end).encode(), dtype=np.uint8)]
    n = end - beg
    alt = np.zeros((len(bams), n), dtype=np.int32)
    istart = np.zeros((len(bams), n), dtype=np.int32)
    depth_d = np.zeros(n + 1, dtype=np.int32)
    clip_d = np.zeros(n + 1, dtype=np.int32)
    gap_d = np.zeros(n + 1, dtype=np.int32)
    low_q = (min_baseq + 1) // 2
    for j, bam in enumerate(bams):
        state = np.zeros(1, dtype=np.int64)
        a, ist = alt[j], istart[j]
        tid_box = [-1]

        def start(refs: list[tuple[str, int]], a=a, ist=ist, state=state, tid_box=tid_box) -> Walker:
            names = [r for r, _ in refs]
            tid_box[0] = names.index(contig) if contig in names else -1
            n_ref = len(refs)
            tid = tid_box[0]

            def walk(buf: np.ndarray, off: int) -> int:
                if tid < 0:
                    state[0] = 1
                    return len(buf) if _record_end(buf, off, len(buf), n_ref) >= 0 else off
                return _scan(buf, off, len(buf), n_ref, tid, beg, end, ref, PILEUP_EXCLUDE_FLAGS, min_mapq, min_baseq,
                             low_q, a, ist, depth_d, clip_d, gap_d, state)
            return walk

        finished = lambda state=state: bool(state[0])  # noqa: E731
        index = bam + ".bai" if os.path.exists(bam + ".bai") else bam[:-4] + ".bai"
        if not is_cram(bam) and os.path.exists(index):
            def offset(refs: list[tuple[str, int]], index=index) -> int | None:
                names = [r for r, _ in refs]
                return _bai_offset(index, names.index(contig), beg) if contig in names else None
            stream_region(bam, offset, start, finished)
        else:
            stream_records(bam, start, reference=reference or fasta, cram_fields=None,
                           region=(contig, beg, end), finished=finished)
    return RegionCounts(beg, alt, istart, np.cumsum(depth_d[:-1]), np.cumsum(clip_d[:-1]), np.cumsum(gap_d[:-1]))


def candidate_mask(c: RegionCounts, tumour_idx: Sequence[int], min_tumour_alt: int, min_normal_alt: int | None,
                   normal_idx: int = 0) -> np.ndarray:
    """Positions the pileup must visit: candidates of its include expression (tumours' alt reads
    together >= min_tumour_alt, or the normal's >= min_normal_alt), indel candidates, and the
    positions where mpileup's partial BAQ could realign the reads it passes."""
    keep = c.alt[list(tumour_idx)].sum(axis=0) >= min_tumour_alt if len(tumour_idx) else np.zeros(c.depth.shape, bool)
    if min_normal_alt is not None:
        keep |= c.alt[normal_idx] >= min_normal_alt
    indel = (c.istart >= MIN_IREADS).any(axis=0)
    # an indel's scores read the qualities of its reads over bcftools' indel window (110 bp), which
    # overlapping mates change: the pileup visits the window, so those mates are read
    if indel.any():
        d = np.zeros(len(indel) + 1, dtype=np.int64)
        at = np.flatnonzero(indel)
        np.add.at(d, np.maximum(at - INDEL_REACH, 0), 1)
        np.add.at(d, np.minimum(at + INDEL_REACH + 1, len(indel)), -1)
        keep |= np.cumsum(d[:-1]) > 0
    # bcftools' partial BAQ skips a column when no read has an indel, or when soft clips are
    # < 20% of the reads, every read has the same indel (none, mostly) right after it, and
    # indel-bearing reads are < 10% (or just one); one read of margin on each fraction
    nt = c.depth.astype(np.int64)
    gapped = c.gapped.astype(np.int64)
    realign = (gapped > 0) & ((c.istart.sum(axis=0) > 0) | (5 * (c.clipped.astype(np.int64) + 1) >= nt) |
                              (10 * (gapped + 1) >= nt))
    keep |= realign
    # a base's quality is capped at its neighbours' + 30 (bcftools --delta-BQ), and a neighbour's
    # is changed by an overlapping mate: the pileup reads the mates over each neighbour as well
    keep[1:] |= keep[:-1].copy()
    keep[:-1] |= keep[1:].copy()
    return keep


def mask_ranges(contig: str, start: int, mask: np.ndarray) -> list[tuple[str, int, int]]:
    """Runs of True as (contig, start, end), 1-based inclusive; `start` is mask[0]'s 0-based position."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    lo = np.flatnonzero(d == 1)
    hi = np.flatnonzero(d == -1)
    return [(contig, start + int(a) + 1, start + int(b)) for a, b in zip(lo, hi)]


def pileup_positions(bams: Sequence[str], fasta: str, regions: Sequence[tuple[str, int, int]], params,
                     min_tumour_alt: int, min_normal_alt: int | None,
                     first_tumour: int = 1) -> tuple[list[tuple[str, int, int]], int, int]:
    """The positions of `regions` a discovery pileup (normal first, then the tumours; without a
    normal, `first_tumour` 0) must visit, as runs (contig, start, end; 1-based, inclusive), with
    their count and the regions' length. `params`: the pileup's PileupParams (its MAPQ and
    base-quality thresholds)."""
    runs: list[tuple[str, int, int]] = []
    n_visit = n_bases = 0
    for region in regions:
        c = region_counts(bams, fasta, region, params.min_mapq, params.min_baseq)
        mask = candidate_mask(c, list(range(first_tumour, len(bams))), min_tumour_alt, min_normal_alt)
        runs += mask_ranges(region[0], c.start, mask)
        n_visit += int(mask.sum())
        n_bases += len(mask)
    return runs, n_visit, n_bases
