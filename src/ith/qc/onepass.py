"""A BAM's or CRAM's QC metrics in one compiled pass over its records (ith.io.bamscan reads
them: libdeflate-inflated BGZF blocks, or a CRAM decoded by htslib into a pipe).

One walker visits each record once and keeps, for the whole file:

- counts of primary reads (secondary 0x100 and supplementary 0x800 records excluded, and, as
  `samtools stats` does, records without a sequence), mapped, duplicate (0x400), properly
  paired (0x1 and 0x2 set, read and mate mapped), their summed length and base qualities;
- the NM tag summed over mapped non-secondary records, with their aligned bases (M, I, =, X:
  samtools stats' "bases mapped (cigar)"), over the records that carry NM;
- the MAPQ histogram of primary mapped reads neither duplicate nor QC-failed (samtools' MAPQ);
- the fragment histogram: |TLEN| of inward-oriented (FR) pairs, counted once per pair on its
  first read (samtools counts both reads and halves);
- mapped records per contig (what `samtools idxstats` reports, for the sex check);
- the depth distribution over the assay: per position, the reads that are mapped, primary or
  supplementary, not QC-failed and not duplicate, with MAPQ >= the threshold (mosdepth's
  default filter with its -Q), aligned blocks (M, =, X) only, mates' overlap counted twice.

Depth is kept as mosdepth keeps it, as differences (+1 where an aligned block starts, -1 where
it ends), but in a ring of a few MB rather than one array per contig (chr1 would need 1 GB as
int32): the input is sorted, so every position before the current read's start is final and is
added to the histogram (if it is in the assay) and cleared. Positions no read reaches cost
nothing: depth 0 is the assay's size minus the positions at depth >= 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from ith.io.alignments import BamFormatError
from ith.io.bamscan import Walker, _i32, _record_end, _u32, record_core, record_sequence, stream_records
from ith.io.sitecount import SiteCounter

# htslib's required_fields for a CRAM: everything but the read names. Qualities, TLEN, the mate's
# position and the tags (NM, which htslib recomputes from the reference when the CRAM dropped it)
# are all read, and decoding the bases checks every slice against the reference's MD5.
CRAM_QC_FIELDS = 0x1FFE
CRAM_QNAME = 0x1  # the read names too, when the pass also counts fragments at sites (mates meet by name)

# records that add no depth: unmapped, secondary, QC-failed, duplicate (mosdepth's default 1796)
DEPTH_EXCLUDE = 0x4 | 0x100 | 0x200 | 0x400
# records outside the MAPQ histogram (samtools stats: !(UNMAP|SECOND|SUPPL|QCFAIL|DUP))
MAPQ_EXCLUDE = 0x4 | 0x100 | 0x800 | 0x200 | 0x400
RING_BYTES = 1 << 22  # the depth ring: 1 M positions of int32, enough for any read's span but RNA's

# counters (int64 slots of `counts`)
C_RECORDS, C_READS, C_MAPPED, C_DUP, C_PROPER, C_LEN, C_QUAL, C_QUAL_BASES, C_NM, C_NM_BASES, C_NO_NM, \
    C_DEPTH_READS, C_BAD_AUX = range(13)
N_COUNTS = 13
# walker state (int64 slots of `st`)
S_REF, S_FLUSHED, S_RUN, S_K, S_MAXEND, S_LAST_POS, S_STATUS, S_NEED = range(8)
N_STATE = 8
OK, GROW, UNSORTED = 0, 1, 2


@dataclass
class QcCounts:
    """What one pass over a BAM/CRAM found (see the module's docstring for each definition)."""

    records: int
    reads: int
    mapped: int
    duplicates: int
    properly_paired: int
    read_length_mean: float | None
    base_quality_mean: float | None  # None when no read carries qualities
    error_rate: float | None  # None when no mapped record carries NM
    mapped_without_nm: int
    mapq_hist: np.ndarray  # [256] reads per MAPQ
    insert_hist: np.ndarray  # [max_insert + 1] inward pairs per |TLEN|
    depth_hist: np.ndarray  # [max_depth + 1] assay positions per depth, the last bin holding >= max_depth
    depth_reads: int  # records that added depth
    mapped_per_contig: dict[str, int]


@numba.njit(cache=True)
def _aux_nm(buf: np.ndarray, o: int, end: int) -> int:
    """The NM tag's value from the aux fields in buf[o:end]; -1 when absent, -2 when the fields
    do not parse (a damaged record)."""
    while o + 3 <= end:
        t0 = buf[o]
        t1 = buf[o + 1]
        typ = buf[o + 2]
        o += 3
        nm = t0 == 78 and t1 == 77  # 'N', 'M'
        if typ == 65 or typ == 99 or typ == 67:  # A, c, C
            if o + 1 > end:
                return -2
            if nm:
                v = np.int64(buf[o])
                return v - 256 if typ == 99 and v >= 128 else v
            o += 1
        elif typ == 115 or typ == 83:  # s, S
            if o + 2 > end:
                return -2
            if nm:
                v = np.int64(buf[o]) | (np.int64(buf[o + 1]) << 8)
                return v - 65536 if typ == 115 and v >= 32768 else v
            o += 2
        elif typ == 105 or typ == 73 or typ == 102:  # i, I, f
            if o + 4 > end:
                return -2
            if nm and typ != 102:
                return _i32(buf, o) if typ == 105 else _u32(buf, o)
            o += 4
        elif typ == 90 or typ == 72:  # Z, H: NUL-terminated
            while o < end and buf[o] != 0:
                o += 1
            if o >= end:
                return -2
            o += 1
        elif typ == 66:  # B: subtype, count, values
            if o + 5 > end:
                return -2
            sub = buf[o]
            n = _u32(buf, o + 1)
            size = 1 if (sub == 99 or sub == 67) else 2 if (sub == 115 or sub == 83) else 4
            o += 5 + n * size
        else:
            return -2
    return -2 if o != end else -1


@numba.njit(cache=True)
def _flush(ring: np.ndarray, st: np.ndarray, upto: int, a_starts: np.ndarray, a_ends: np.ndarray, hi: int,
           depth_hist: np.ndarray) -> None:
    """Make the positions before `upto` of the current contig final: add their depth to the
    histogram where they are in the assay (intervals a_starts[k]..a_ends[k], k < hi) and clear
    their slots of the ring."""
    p = st[S_FLUSHED]
    if upto <= p:
        return
    mask = len(ring) - 1
    top = len(depth_hist) - 1
    run = st[S_RUN]
    k = st[S_K]
    # events lie at positions up to S_MAXEND; beyond it the depth is 0 and nothing needs visiting
    stop = min(upto, st[S_MAXEND] + 1)
    while p < stop:
        while k < hi and a_ends[k] <= p:
            k += 1
        if k < hi and a_starts[k] <= p:
            seg = min(stop, a_ends[k])
            for q in range(p, seg):
                i = q & mask
                run += ring[i]
                ring[i] = 0
                depth_hist[min(run, top)] += 1
        else:
            seg = stop if k >= hi else min(stop, a_starts[k])
            for q in range(p, seg):
                i = q & mask
                run += ring[i]
                ring[i] = 0
        p = seg
    st[S_RUN] = run
    st[S_K] = k
    st[S_FLUSHED] = max(p, upto)


@numba.njit(cache=True)
def _walk_qc(buf: np.ndarray, start: int, n_bytes: int, n_ref: int, first: np.ndarray, a_starts: np.ndarray,
             a_ends: np.ndarray, min_mapq: int, max_insert: int, ring: np.ndarray, st: np.ndarray,
             counts: np.ndarray, mapq_hist: np.ndarray, insert_hist: np.ndarray, depth_hist: np.ndarray,
             per_ref: np.ndarray) -> int:
    """Add every complete record of buf[start:n_bytes] to the QC tallies; return the offset of
    the first record not taken: incomplete, not a record, or (st[S_STATUS] set) one that needs a
    larger ring or comes out of coordinate order.

    first[r]..first[r+1] index the sorted, non-overlapping assay intervals of reference r."""
    off = start
    mask = len(ring) - 1
    while True:
        end = _record_end(buf, off, n_bytes, n_ref)
        if end < 0:
            break
        rec = off + 4
        ref, pos, name_len, mapq, n_cigar, flag = record_core(buf, rec)
        l_seq, cig, seq, qual = record_sequence(buf, rec, name_len, n_cigar)
        next_ref = _i32(buf, rec + 20)
        next_pos = _i32(buf, rec + 24)
        tlen = _i32(buf, rec + 28)

        # depth first: a record that needs a larger ring is left untouched until it has one
        if ref >= 0 and pos >= 0 and (flag & DEPTH_EXCLUDE) == 0 and mapq >= min_mapq:
            if ref != st[S_REF]:
                if ref < st[S_REF]:
                    st[S_STATUS] = UNSORTED
                    return off
                if st[S_REF] >= 0:
                    _flush(ring, st, st[S_MAXEND] + 1, a_starts, a_ends, first[st[S_REF] + 1], depth_hist)
                st[S_REF] = ref
                st[S_FLUSHED] = 0
                st[S_RUN] = 0
                st[S_K] = first[ref]
                st[S_MAXEND] = -1
                st[S_LAST_POS] = -1
            if pos < st[S_LAST_POS]:
                st[S_STATUS] = UNSORTED
                return off
            st[S_LAST_POS] = pos
            _flush(ring, st, pos, a_starts, a_ends, first[ref + 1], depth_hist)
            span = 0
            for c in range(n_cigar):
                v = _u32(buf, cig + 4 * c)
                op = v & 0xF
                if op == 0 or op == 2 or op == 3 or op == 7 or op == 8:
                    span += v >> 4
            if pos + span - st[S_FLUSHED] >= len(ring):
                st[S_STATUS] = GROW
                st[S_NEED] = pos + span - st[S_FLUSHED] + 1
                return off
            rpos = pos
            for c in range(n_cigar):
                v = _u32(buf, cig + 4 * c)
                op = v & 0xF
                ln = v >> 4
                if op == 0 or op == 7 or op == 8:
                    if ln > 0:
                        ring[rpos & mask] += 1
                        ring[(rpos + ln) & mask] -= 1
                        if rpos + ln > st[S_MAXEND]:
                            st[S_MAXEND] = rpos + ln
                    rpos += ln
                elif op == 2 or op == 3:
                    rpos += ln
            counts[C_DEPTH_READS] += 1

        off = end
        counts[C_RECORDS] += 1
        unmapped = (flag & 0x4) != 0
        if ref >= 0 and not unmapped:
            per_ref[ref] += 1
        # secondary records, and records without a sequence, count for nothing else (samtools stats)
        if (flag & 0x100) != 0 or l_seq == 0:
            continue
        if (flag & 0x800) == 0:
            counts[C_READS] += 1
            counts[C_LEN] += l_seq
            if buf[qual] != 0xFF:  # 0xFF: no qualities stored
                s = np.int64(0)
                for i in range(qual, qual + l_seq):
                    s += buf[i]
                counts[C_QUAL] += s
                counts[C_QUAL_BASES] += l_seq
            if not unmapped:
                counts[C_MAPPED] += 1
                if (flag & 0x400) != 0:
                    counts[C_DUP] += 1
                # paired, mate mapped, proper pair (samtools stats' "reads properly paired")
                if (flag & 0x1) != 0 and (flag & 0x8) == 0:
                    if (flag & 0x2) != 0:
                        counts[C_PROPER] += 1
                    # the fragment, once per pair: on its first read, inward-oriented (FR: the
                    # forward read starts first; both at one start counts too, as samtools does)
                    if (flag & 0x40) != 0 and next_ref == ref and tlen != 0:
                        size = -tlen if tlen < 0 else tlen
                        rev = (flag & 0x10) != 0
                        if size <= max_insert and rev != ((flag & 0x20) != 0):
                            if next_pos == pos or (next_pos > pos) != rev:
                                insert_hist[size] += 1
        if (flag & MAPQ_EXCLUDE) == 0:
            mapq_hist[mapq] += 1
        if not unmapped:
            nm = _aux_nm(buf, qual + l_seq, end)
            if nm == -2:
                counts[C_BAD_AUX] += 1
            elif nm < 0:
                counts[C_NO_NM] += 1
            else:
                counts[C_NM] += nm
                aligned = 0
                for c in range(n_cigar):
                    v = _u32(buf, cig + 4 * c)
                    op = v & 0xF
                    if op == 0 or op == 1 or op == 7 or op == 8:
                        aligned += v >> 4
                counts[C_NM_BASES] += aligned
    return off


def _grown(ring: np.ndarray, st: np.ndarray, need: int) -> np.ndarray:
    """A ring of at least `need` slots holding the pending differences of the old one."""
    size = len(ring)
    while size < need:
        size *= 2
    new = np.zeros(size, dtype=np.int32)
    if st[S_MAXEND] >= st[S_FLUSHED]:
        q = np.arange(st[S_FLUSHED], st[S_MAXEND] + 1, dtype=np.int64)
        new[q & (size - 1)] = ring[q & (len(ring) - 1)]
    return new


def qc_pass(path: str, assay: dict[str, tuple[np.ndarray, np.ndarray]], min_mapq: int, max_insert: int,
            max_depth: int, reference: str | None = None, threads: int = 1,
            sites: SiteCounter | None = None) -> QcCounts:
    """The QC tallies of one BAM/CRAM. `assay` maps contig -> (starts, ends), 0-based half-open,
    sorted and non-overlapping: the positions the depth histogram covers (contigs it lacks have
    none). A CRAM is decoded against `reference`, the FASTA it was written against. `sites`, when
    given, is handed the same records (the identity SNPs' alleles, without a second read of the
    file)."""
    counts = np.zeros(N_COUNTS, dtype=np.int64)
    st = np.zeros(N_STATE, dtype=np.int64)
    st[S_REF] = -1
    mapq_hist = np.zeros(256, dtype=np.int64)
    insert_hist = np.zeros(max_insert + 1, dtype=np.int64)
    depth_hist = np.zeros(max_depth + 1, dtype=np.int64)
    box: dict = {"ring": np.zeros(RING_BYTES // 4, dtype=np.int32)}

    def start(refs: list[tuple[str, int]]) -> Walker:
        n_ref = len(refs)
        empty = (np.zeros(0, np.int64), np.zeros(0, np.int64))
        per = [assay.get(name, empty) for name, _ in refs]
        first = np.zeros(n_ref + 1, dtype=np.int64)
        first[1:] = np.cumsum([len(s) for s, _ in per])
        a_starts = np.concatenate([s for s, _ in per] or [empty[0]]).astype(np.int64)
        a_ends = np.concatenate([e for _, e in per] or [empty[1]]).astype(np.int64)
        per_ref = np.zeros(n_ref, dtype=np.int64)
        box.update(refs=refs, first=first, a_starts=a_starts, a_ends=a_ends, per_ref=per_ref)
        if sites is not None:
            sites.bind(refs)

        def walk(buf: np.ndarray, off: int) -> int:
            begin = off
            while True:
                done = _walk_qc(buf, off, len(buf), n_ref, first, a_starts, a_ends, min_mapq, max_insert,
                                box["ring"], st, counts, mapq_hist, insert_hist, depth_hist, per_ref)
                if st[S_STATUS] == OK:
                    if sites is not None:  # the records QC took, still in memory
                        sites.walk(buf, begin, done)
                    return done
                if st[S_STATUS] == UNSORTED:
                    raise BamFormatError(f"{path}: not sorted by coordinate (a read on {refs[_i32(buf, done + 4)][0]} "
                                         f"at {_i32(buf, done + 8) + 1} follows reads after it); QC needs the "
                                         f"coordinate-sorted BAM/CRAM: samtools sort -o sorted.bam {path}")
                box["ring"] = _grown(box["ring"], st, int(st[S_NEED]))
                st[S_STATUS] = OK
                off = done
        return walk

    stream_records(path, start, threads, reference, CRAM_QC_FIELDS | (CRAM_QNAME if sites is not None else 0))
    if st[S_REF] >= 0:  # the last contig's pending positions
        _flush(box["ring"], st, st[S_MAXEND] + 1, box["a_starts"], box["a_ends"], box["first"][st[S_REF] + 1],
               depth_hist)
    if counts[C_BAD_AUX]:
        raise BamFormatError(f"{path}: {counts[C_BAD_AUX]} record(s) whose tags do not parse; the file is corrupt; "
                             f"check it with: samtools view -o /dev/null {path}")
    # positions at depth 0 are the assay's other positions, visited or not
    depth_hist[0] = sum(int(np.sum(e - s)) for s, e in assay.values()) - int(depth_hist[1:].sum())
    reads = int(counts[C_READS])
    return QcCounts(
        records=int(counts[C_RECORDS]), reads=reads, mapped=int(counts[C_MAPPED]), duplicates=int(counts[C_DUP]),
        properly_paired=int(counts[C_PROPER]),
        read_length_mean=float(counts[C_LEN]) / reads if reads else None,
        base_quality_mean=float(counts[C_QUAL]) / counts[C_QUAL_BASES] if counts[C_QUAL_BASES] else None,
        error_rate=float(counts[C_NM]) / counts[C_NM_BASES] if counts[C_NM_BASES] else None,
        mapped_without_nm=int(counts[C_NO_NM]), mapq_hist=mapq_hist, insert_hist=insert_hist,
        depth_hist=depth_hist, depth_reads=int(counts[C_DEPTH_READS]),
        mapped_per_contig={name: int(n) for (name, _), n in zip(box["refs"], box["per_ref"])})
