"""Aligned bases per interval of a BAM or CRAM, in one streaming pass (what `mosdepth --by` computes).

A BAM is a series of BGZF blocks; we read the compressed file in large slices, inflate the blocks
with libdeflate (each block's inflated size is in its trailer), or with isa-l on a thread pool when
libdeflate is missing, and walk the decoded records with a compiled loop that reads only the
fixed-size header and the CIGAR of each record. Python never touches a single read, which is what
makes this as fast as the C tools.

A CRAM is decoded by htslib (`samtools view`, bundled with pysam) in a child process that writes
uncompressed BAM (BGZF blocks stored at level 0) into a pipe, which the same walker reads. The
child decodes on another core while we walk, and holds none of our GIL. It decodes only the fields
the walker reads plus the sequence: the sequence is what makes htslib check every slice against
the reference's MD5, so a CRAM given the wrong FASTA fails here as it would in QC and calling.
"""

from __future__ import annotations

import fcntl
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

import numba
import numpy as np

from ith.io.alignments import BamFormatError, check_reference, decode_error, is_cram

try:  # libdeflate (the inflater of htslib and mosdepth builds), given each block's size
    import deflate as _deflate
except ImportError:  # pragma: no cover - a declared dependency
    _deflate = None
try:  # isa-l inflates 2-3x faster than zlib; same API
    from isal import isal_zlib as _zlib
except ImportError:  # pragma: no cover - isal is a declared dependency
    import zlib as _zlib
_INFLATE_ERRORS: tuple[type[BaseException], ...] = (ValueError, _zlib.error) + (
    (_deflate.DeflateError,) if _deflate is not None else ())

# unmapped, secondary, QC-fail, duplicate, supplementary: as mosdepth's default exclusion plus
# supplementary pieces, which would count a chimeric read's bases twice
DEFAULT_EXCLUDE_FLAGS = 0x4 | 0x100 | 0x200 | 0x400 | 0x800
SLICE_BYTES = 8 << 20


# htslib's CRAM_OPT_REQUIRED_FIELDS bits (SAM_FLAG, SAM_RNAME, SAM_POS, SAM_MAPQ, SAM_CIGAR): names,
# bases, qualities and tags are skipped. Positions and CIGARs do not depend on the reference, and
# skipping the bases halves the pass (bench/cram.py); a CRAM of another reference is stopped before
# any job by the input check (its @SQ M5 against the FASTA) and again by QC's pass, which decodes them.
CRAM_REQUIRED_FIELDS = 0x002 | 0x004 | 0x008 | 0x010 | 0x020
# Linux's default pipe holds 64 kB, which would let the decoder run only that far ahead of us;
# 1 MB is the largest an unprivileged process may ask for (/proc/sys/fs/pipe-max-size)
PIPE_BYTES = 1 << 20
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
# the child: samtools view in-process; on failure, samtools' own message (pysam's error carries
# it after "stderr=", htslib's lines are already on the child's stderr) and a non-zero exit
# A region comes as "--region contig start end" (0-based) and goes to samtools in a BED file, as
# no region string is safe for every legal contig name.
_DECODER = """import sys, tempfile
import pysam
args = sys.argv[1:]
if args[0] == "--region":
    bed = tempfile.NamedTemporaryFile("w", suffix=".bed")
    bed.write(args[1] + chr(9) + args[2] + chr(9) + args[3] + chr(10))
    bed.flush()
    args = ["-M", "-L", bed.name] + args[4:]
try:
    pysam.samtools.view(*args, catch_stdout=False)
except pysam.SamtoolsError as e:
    sys.exit(str(e.value).rpartition("stderr=")[2].strip())
"""


@dataclass
class IntervalCoverage:
    """Per interval: aligned bases and reads starting in it (intervals as given, in order)."""

    bases: np.ndarray  # float64
    reads: np.ndarray  # int64
    n_records: int  # records read
    n_used: int  # records passing the flag and MAPQ filters


@numba.njit(cache=True)
def _block_bounds(raw: np.ndarray, end: int) -> tuple[np.ndarray, int]:
    """Start offsets of the complete BGZF blocks in raw[:end]; returns (starts incl. the end of
    the last complete block, bytes consumed), or (empty, -1 - offset) when no block starts at
    an offset where one should."""
    starts = np.empty(end // 28 + 2, dtype=np.int64)
    n = 0
    off = 0
    while off + 18 <= end:
        if raw[off] != 31 or raw[off + 1] != 139:
            return starts[:0], -1 - off
        bsize = np.int64(raw[off + 16]) | (np.int64(raw[off + 17]) << 8)
        nxt = off + bsize + 1
        if nxt > end:
            break
        starts[n] = off
        n += 1
        off = nxt
    starts[n] = off
    return starts[: n + 1], off


@numba.njit(cache=True)
def _u32(buf: np.ndarray, o: int) -> int:
    return (np.int64(buf[o]) | (np.int64(buf[o + 1]) << 8) | (np.int64(buf[o + 2]) << 16)
            | (np.int64(buf[o + 3]) << 24))


@numba.njit(cache=True)
def _i32(buf: np.ndarray, o: int) -> int:
    v = _u32(buf, o)
    return v - np.int64(1 << 32) if v >= np.int64(1 << 31) else v


# a record is at least its 32-byte fixed part; more than this is not a BAM record but a damaged
# size field (which would otherwise make the reader hold the rest of the file as one "record")
MAX_RECORD_BYTES = 1 << 28


@numba.njit(cache=True)
def _record_end(buf: np.ndarray, off: int, n_bytes: int, n_ref: int) -> int:
    """Where the record at buf[off] ends: -1 when it is not complete in buf[:n_bytes], -2 when it
    cannot be a record (sizes that do not add up, reference ids the header does not have).

    Every walker frames records with this, so none reads outside a record or indexes a
    per-reference array with a garbled id."""
    if off + 4 > n_bytes:
        return -1
    block = _u32(buf, off)
    if block < 32 or block > MAX_RECORD_BYTES:
        return -2
    end = off + 4 + block
    if end > n_bytes:
        return -1
    rec = off + 4
    ref = _i32(buf, rec)
    pos = _i32(buf, rec + 4)
    name_len = np.int64(buf[rec + 8])
    n_cigar = np.int64(buf[rec + 12]) | (np.int64(buf[rec + 13]) << 8)
    l_seq = _i32(buf, rec + 16)
    next_ref = _i32(buf, rec + 20)
    if ref < -1 or ref >= n_ref or next_ref < -1 or next_ref >= n_ref or pos < -1 or l_seq < 0 or name_len < 1:
        return -2
    if 32 + name_len + 4 * n_cigar + (l_seq + 1) // 2 + l_seq > block:
        return -2
    return end


@numba.njit(cache=True)
def record_core(buf: np.ndarray, rec: int) -> tuple[int, int, int, int, int, int]:
    """(reference id, 0-based position, name length, MAPQ, CIGAR operations, flag) of the record
    whose fixed fields start at buf[rec]: what every walker reads first."""
    return (_i32(buf, rec), _i32(buf, rec + 4), np.int64(buf[rec + 8]), np.int64(buf[rec + 9]),
            np.int64(buf[rec + 12]) | (np.int64(buf[rec + 13]) << 8),
            np.int64(buf[rec + 14]) | (np.int64(buf[rec + 15]) << 8))


@numba.njit(cache=True)
def record_sequence(buf: np.ndarray, rec: int, name_len: int, n_cigar: int) -> tuple[int, int, int, int]:
    """(sequence length, and the offsets of the CIGAR, the 4-bit bases and the qualities) of the
    record whose fixed fields start at buf[rec]: the variable part the base-reading walkers use."""
    l_seq = _i32(buf, rec + 16)
    cig = rec + 32 + name_len
    seq = cig + 4 * n_cigar
    return l_seq, cig, seq, seq + (l_seq + 1) // 2


@numba.njit(cache=True)
def _walk(buf: np.ndarray, start: int, n_bytes: int, n_ref: int, first: np.ndarray, starts: np.ndarray,
          ends: np.ndarray, exclude: int, min_mapq: int, bases: np.ndarray, reads: np.ndarray,
          tally: np.ndarray) -> int:
    """Add every complete record of buf[start:n_bytes] to the interval sums; return the offset
    of the first record not taken (incomplete, or not a record).

    first[r]..first[r+1] index the sorted, non-overlapping intervals of reference r."""
    off = start
    while True:
        end = _record_end(buf, off, n_bytes, n_ref)
        if end < 0:
            break
        rec = off + 4
        off = end
        tally[0] += 1
        ref, pos, name_len, mapq, n_cigar, flag = record_core(buf, rec)
        if ref < 0 or (flag & exclude) != 0 or mapq < min_mapq:
            continue
        tally[1] += 1
        lo = first[ref]
        hi = first[ref + 1]
        if lo == hi:
            continue
        # walk the CIGAR: aligned blocks are M(0), =(7), X(8); D(2) and N(3) skip the reference
        cig = rec + 32 + name_len
        rpos = pos
        k = np.searchsorted(ends[lo:hi], pos, side="right") + lo
        if k < hi and starts[k] <= pos:
            reads[k] += 1
        for c in range(n_cigar):
            v = _u32(buf, cig + 4 * c)
            op = v & 0xF
            ln = v >> 4
            if op == 0 or op == 7 or op == 8:
                a = rpos
                b = rpos + ln
                j = np.searchsorted(ends[lo:hi], a, side="right") + lo
                while j < hi and starts[j] < b:
                    s = max(a, starts[j])
                    e = min(b, ends[j])
                    if e > s:
                        bases[j] += e - s
                    j += 1
                rpos = b
            elif op == 2 or op == 3:
                rpos += ln
    return off


def _inflate_group(pieces: list[tuple[memoryview, int]]) -> bytes:
    """Several consecutive blocks in one task: ~1 MB per hand-over keeps Python's per-task cost
    (futures, the walker's call) small next to the inflating itself."""
    if _deflate is not None:
        return b"".join([_deflate.deflate_decompress(p, n) if n else b"" for p, n in pieces])
    return b"".join([_zlib.decompress(p, -15) for p, _ in pieces])


GROUP_BLOCKS = 16


def _inflated(path: str, fn, *args) -> bytes:
    """A group of blocks inflated; a block that does not inflate (damaged inside, its header
    intact) raises an error naming the file, not the inflater's bare message."""
    try:
        return fn(*args)
    except _INFLATE_ERRORS as e:
        raise BamFormatError(f"{path}: a BGZF block does not inflate ({e}); the BAM is corrupt; check it with: "
                             f"samtools quickcheck -v {path} and samtools view -o /dev/null {path}") from None


def _payloads(fh: BinaryIO, path: str, pool: ThreadPoolExecutor | None, slice_bytes: int = SLICE_BYTES):
    """Inflated block payloads in file order. With a pool, the blocks of the next slice of the
    file are inflating while the caller walks the current one."""
    carry = b""
    ahead: list = []
    at = 0  # the file offset of raw[0]
    while True:
        chunk = fh.read(slice_bytes)
        raw = carry + chunk
        arr = np.frombuffer(raw, dtype=np.uint8)
        bounds, used = _block_bounds(arr, len(arr))
        if used < 0:
            where = at - 1 - used
            if where == 0:
                raise BamFormatError(f"{path}: not a BGZF-compressed BAM (bad block header)")
            raise BamFormatError(f"{path}: corrupt BAM: no BGZF block starts at byte {where}, where the previous "
                                 f"block ends; check it with: samtools quickcheck -v {path} and samtools view -o "
                                 f"/dev/null {path}")
        carry = raw[used:]
        at += used
        mv = memoryview(raw)
        # each block: its deflate payload and, from its last 4 bytes, the inflated size
        pieces = [(mv[bounds[i] + 18: bounds[i + 1] - 8], int.from_bytes(raw[bounds[i + 1] - 4: bounds[i + 1]], "little"))
                  for i in range(len(bounds) - 1)]
        groups = [pieces[i: i + GROUP_BLOCKS] for i in range(0, len(pieces), GROUP_BLOCKS)]
        if pool is None:
            yield from (_inflated(path, _inflate_group, g) for g in groups)
        else:
            submitted = [pool.submit(_inflate_group, g) for g in groups]
            for f in ahead:
                yield _inflated(path, f.result)
            ahead = submitted
        if not chunk:
            break
    for f in ahead:
        yield _inflated(path, f.result)
    if carry:
        raise BamFormatError(f"{path}: truncated BAM ({len(carry)} bytes of an incomplete block at the end)")


def _parse_header(data: bytes, path: str) -> tuple[list[tuple[str, int]], int] | None:
    """(references, header length) once `data` holds the whole header, else None."""
    if len(data) < 12:
        return None
    if data[:4] != b"BAM\x01":
        raise BamFormatError(f"{path}: not a BAM file (bad magic)")
    l_text = struct.unpack_from("<i", data, 4)[0]
    off = 8 + l_text
    if len(data) < off + 4:
        return None
    n_ref = struct.unpack_from("<i", data, off)[0]
    off += 4
    refs = []
    for _ in range(n_ref):
        if len(data) < off + 4:
            return None
        l_name = struct.unpack_from("<i", data, off)[0]
        if len(data) < off + 4 + l_name + 4:
            return None
        name = data[off + 4: off + 4 + l_name - 1].decode()
        length = struct.unpack_from("<i", data, off + 4 + l_name)[0]
        refs.append((name, length))
        off += 4 + l_name + 4
    return refs, off


class _Pipe:
    """The decoder's stdout, remembering whether it reached its end (a short read of a buffered
    pipe means the writer closed it)."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.ended = False

    def read(self, n: int) -> bytes:
        data = self.fh.read(n)
        self.ended |= len(data) < n
        return data


def _decode_failed(path: str, reference: str, code: int, stderr: BinaryIO) -> BamFormatError:
    stderr.seek(0)
    text = stderr.read().decode(errors="replace").strip()
    if len(text) > 3000:  # htslib repeats its complaint for every slice; the first lines say it
        text = text[:3000] + " ..."
    return decode_error(path, reference, f"samtools view exited with {code}: {text or 'no message'}")


@contextmanager
def _cram_stream(path: str, reference: str | None, threads: int, fields: int | None,
                 region: tuple[str, int, int] | None = None, regions: str | None = None) -> Iterator[_Pipe]:
    """Uncompressed BAM of a CRAM (or of a BAM's region), from a `samtools view -u` child decoding
    `fields` (htslib's required_fields bits; None: every field), of `region` (contig, 0-based
    start, end) or of the records overlapping a `regions` BED (each once, through the index) only
    when given; raises the child's error, naming the file and the FASTA, if it fails, and never
    leaves it running."""
    cram = is_cram(path)
    if cram:
        check_reference(path, reference)
        assert reference is not None
    only = ["--input-fmt-option", f"required_fields={fields:#x}"] if fields is not None and cram else []
    where = ["--region", region[0], str(region[1]), str(region[2])] if region is not None else []
    bed = ["-M", "-L", regions] if regions is not None else []
    args = [*where, *bed, "-u", *(["-T", reference] if cram and reference else []), "-@", str(max(threads - 1, 0)),
            *only, "-o", "/dev/stdout", path]
    with tempfile.TemporaryFile() as stderr:  # a file, not a pipe: a chatty child cannot block on it
        proc = subprocess.Popen([sys.executable, "-c", _DECODER, *args], stdout=subprocess.PIPE, stderr=stderr,
                                stdin=subprocess.DEVNULL)
        assert proc.stdout is not None
        try:
            try:
                fcntl.fcntl(proc.stdout.fileno(), _F_SETPIPE_SZ, PIPE_BYTES)
            except OSError:  # a lower pipe-max-size: the default pipe works, only with less overlap
                pass
            pipe = _Pipe(proc.stdout)
            try:
                yield pipe
            except BaseException as e:
                # a stream the decoder ended early reads as a truncated BAM: its own error is the cause
                if pipe.ended and proc.wait() > 0:
                    raise _decode_failed(path, reference, proc.returncode, stderr) from e
                raise
            code = proc.wait()
            if code != 0:  # it may fail between two records: the stream then looks complete
                raise _decode_failed(path, reference, code, stderr)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()


# a walker takes the complete records of buf[off:] and returns the offset of the first it did not
# take (incomplete, or not a record); it is made once the header is read, from its references
Walker = Callable[[np.ndarray, int], int]


def stream_records(path: str, start: Callable[[list[tuple[str, int]]], Walker], threads: int = 1,
                   reference: str | None = None, cram_fields: int | None = CRAM_REQUIRED_FIELDS,
                   region: tuple[str, int, int] | None = None, finished: Callable[[], bool] | None = None,
                   regions: str | None = None) -> None:
    """Hand every record of a BAM or CRAM, in file order, to a compiled walker: the one reading
    loop of all passes over alignments (coverage per interval here, QC metrics in
    ith.qc.onepass, allele counts at sites in ith.io.sitecount). `start(references)` is called
    once the header is read and returns the walker. A CRAM is decoded against `reference` (the
    FASTA it was written against; unused for a BAM), `cram_fields` only (htslib's required_fields
    bits; None: every field). With a `regions` BED only the records overlapping it are read, each
    once, through the index: sparse sites cost what their reads cost, not the whole file."""
    if is_cram(path) or region is not None or regions is not None:
        with _cram_stream(path, reference, threads, cram_fields, region, regions) as pipe:
            _feed(pipe, path, reference, None, PIPE_BYTES, start, finished)
        return
    # libdeflate holds the GIL, so threads would only queue behind it; it is still faster on one
    # core than isa-l on two. isa-l (GIL released) inflates on threads when libdeflate is missing.
    pool = ThreadPoolExecutor(threads) if threads > 1 and _deflate is None else None
    try:
        with open(path, "rb") as fh:
            _feed(fh, path, reference, pool, SLICE_BYTES, start)
    finally:
        if pool:
            pool.shutdown()


def _read_header(path: str) -> tuple[list[tuple[str, int]], int]:
    """A BAM's references and the header's length in inflated bytes."""
    header = b""
    with open(path, "rb") as fh:
        for blk in _payloads(fh, path, None, 1 << 16):
            header += blk
            parsed = _parse_header(header, path)
            if parsed is not None:
                return parsed
    raise BamFormatError(f"{path}: empty or truncated BAM")


def stream_region(path: str, offset: Callable[[list[tuple[str, int]]], int | None],
                  start: Callable[[list[tuple[str, int]]], Walker], finished: Callable[[], bool]) -> None:
    """Hand a BAM's records to a walker from a virtual offset (from its index, which `offset`
    reads given the references; None: nothing to read) until `finished()`: a region's reads
    without reading the file from its start."""
    refs, _ = _read_header(path)
    walk = start(refs)
    voff = offset(refs)
    if voff is None:
        return
    with open(path, "rb") as fh:
        fh.seek(voff >> 16)
        _feed(fh, path, None, None, 1 << 20, start, finished, (walk, len(refs), voff & 0xFFFF))


def _feed(fh: BinaryIO | _Pipe, path: str, reference: str | None, pool: ThreadPoolExecutor | None,
          slice_bytes: int, start: Callable[[list[tuple[str, int]]], Walker],
          finished: Callable[[], bool] | None = None, resume: tuple[Walker, int, int] | None = None) -> None:
    """stream_records over a BGZF-compressed BAM stream; `finished` (asked after each block) ends
    it early; `resume` = (walker, number of references, bytes to skip) reads from a block inside
    the records instead of from the header."""
    walk: Walker | None = None
    n_ref = 0
    skip = 0
    if resume is not None:
        walk, n_ref, skip = resume
    header = b""  # inflated bytes until the header is complete
    pending = b""  # the start of a record cut by a block boundary (a few hundred bytes)

    def corrupt() -> BamFormatError:
        return decode_error(path, reference, "a record whose sizes or reference ids are impossible")

    for blk in _payloads(fh, path, pool, slice_bytes):
        if finished is not None and finished():
            return
        if skip:
            blk, skip = blk[skip:], max(0, skip - len(blk))
        if walk is None:
            header += blk
            parsed = _parse_header(header, path)
            if parsed is None:
                continue
            refs, hlen = parsed
            n_ref = len(refs)
            walk = start(refs)
            blk = header[hlen:]
            header = b""
        off = 0
        # complete the record cut at the previous block's end (copies only that record)
        while pending:
            if len(pending) < 4:
                take = min(4 - len(pending), len(blk) - off)
                pending += blk[off: off + take]
                off += take
                if len(pending) < 4:
                    break
            size = struct.unpack_from("<I", pending, 0)[0]
            if size > MAX_RECORD_BYTES:
                raise corrupt()
            need = 4 + size - len(pending)
            take = min(need, len(blk) - off)
            pending += blk[off: off + take]
            off += take
            if take < need:
                break
            if walk(np.frombuffer(pending, dtype=np.uint8), 0) != len(pending):
                raise corrupt()
            pending = b""
        if pending:
            continue
        arr = np.frombuffer(blk, dtype=np.uint8)
        done = walk(arr, off)
        if _record_end(arr, done, len(arr), n_ref) == -2:
            raise corrupt()
        pending = blk[done:]
    if walk is None:
        raise BamFormatError(f"{path}: empty or truncated BAM")
    if pending and not (finished is not None and finished()):
        raise BamFormatError(f"{path}: truncated BAM ({len(pending)} bytes of an incomplete record at the end)")


def interval_coverage(path: str, intervals: dict[str, tuple[np.ndarray, np.ndarray]], threads: int = 1,
                      min_mapq: int = 0, exclude_flags: int = DEFAULT_EXCLUDE_FLAGS,
                      reference: str | None = None) -> IntervalCoverage:
    """Aligned bases and read starts per interval. `intervals` maps contig -> (starts, ends),
    0-based half-open, sorted and non-overlapping; results follow the contigs in the dict's order.
    A CRAM is decoded against `reference`, the FASTA it was written against (unused for a BAM)."""
    order = list(intervals)
    offsets = np.cumsum([0] + [len(intervals[c][0]) for c in order])
    all_starts = np.concatenate([intervals[c][0] for c in order] or [np.zeros(0)]).astype(np.int64)
    all_ends = np.concatenate([intervals[c][1] for c in order] or [np.zeros(0)]).astype(np.int64)
    tally = np.zeros(2, dtype=np.int64)
    out: dict[str, np.ndarray] = {}

    def start(refs: list[tuple[str, int]]) -> Walker:
        index = {name: i for i, (name, _) in enumerate(refs)}
        first = np.zeros(len(refs) + 1, dtype=np.int64)
        per_ref = np.zeros(len(refs), dtype=np.int64)
        ref_offset = np.zeros(len(refs), dtype=np.int64)
        for k, c in enumerate(order):
            if c in index:
                per_ref[index[c]] = offsets[k + 1] - offsets[k]
                ref_offset[index[c]] = offsets[k]
        # the walker needs each reference's intervals contiguous in reference order
        perm = np.concatenate([np.arange(ref_offset[r], ref_offset[r] + per_ref[r]) for r in range(len(refs))]
                              or [np.zeros(0, np.int64)]).astype(np.int64)
        first[1:] = np.cumsum(per_ref)
        w_starts, w_ends = all_starts[perm], all_ends[perm]
        out.update(perm=perm, bases=np.zeros(len(perm)), reads=np.zeros(len(perm), dtype=np.int64))
        n_ref = len(refs)

        def walk(buf: np.ndarray, off: int) -> int:
            return _walk(buf, off, len(buf), n_ref, first, w_starts, w_ends, exclude_flags, min_mapq, out["bases"],
                         out["reads"], tally)
        return walk

    stream_records(path, start, threads, reference)
    bases = np.zeros(len(all_starts), dtype=np.float64)
    reads = np.zeros(len(all_starts), dtype=np.int64)
    bases[out["perm"]] = out["bases"]
    reads[out["perm"]] = out["reads"]
    return IntervalCoverage(bases, reads, int(tally[0]), int(tally[1]))
