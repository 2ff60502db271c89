"""Pre-flight checks that the reference and each BAM/CRAM are what their indexes and the sample
sheet say they are (issue 21).

Each check costs a few reads at known offsets, never a scan: they run at every Snakemake start
for every sample. A failure raises InputError naming the file(s) and the fix; a doubt that may
be deliberate (a read group naming no sample of the sheet) is returned as a warning for the
caller to print. Nothing here writes next to the inputs; the only file written is the cache of
a reference's contig MD5s (for CRAM), under the user's cache directory.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pysam

from ith.errors import InputError
from ith.io.alignments import read_group_samples

# Where preflight reports the warnings; `ith check` and the Snakefile print them (show_warnings).
log = logging.getLogger("ith.input")

_IUPAC = b"ACGTUNRYKMSWBDHVacgtunrykmswbdhv"
# SAM spec (@SQ M5): MD5 of the sequence in upper case with every byte outside '!'..'~' removed
_UPPER = bytes.maketrans(b"abcdefghijklmnopqrstuvwxyz", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NOT_PRINTABLE = bytes(range(33)) + bytes(range(127, 256))
# plain FASTA: contigs whose layout is read (header, first, middle and last line), spread over
# the .fai; a 3,366-contig human reference with decoys then costs ~1,000 small reads
_PLAIN_SAMPLE = 256
# bgzipped FASTA: each fetch inflates a 64 KiB block, so fewer contigs
_BGZF_SAMPLE = 48
# CRAM: contigs tried from the end of the header to find the last one with reads
_CRAM_TAIL_TRIES = 64


class _WarningPrinter(logging.Handler):
    """Prints each warning on the stderr of the moment (a stream bound once would outlive a
    test's capture or a redirection)."""

    def __init__(self, prefix: str) -> None:
        super().__init__(logging.WARNING)
        self.setFormatter(logging.Formatter(prefix + "%(message)s"))
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        print(self.format(record), file=sys.stderr)


def show_warnings(prefix: str = "warning: ") -> _WarningPrinter:
    """Print the input checks' warnings on stderr, each once however often this is called;
    the handler counts them."""
    for h in log.handlers:
        if isinstance(h, _WarningPrinter):
            h.setFormatter(logging.Formatter(prefix + "%(message)s"))
            return h
    handler = _WarningPrinter(prefix)
    log.addHandler(handler)
    return handler


@dataclass(frozen=True)
class FaiEntry:
    name: str
    length: int
    offset: int
    linebases: int
    linewidth: int

    @property
    def line_end(self) -> int:
        """Bytes ending each line (1 for \\n, 2 for \\r\\n)."""
        return self.linewidth - self.linebases

    def line_start(self, k: int) -> int:
        return self.offset + k * self.linewidth

    @property
    def n_lines(self) -> int:
        return -(-self.length // self.linebases)

    def bases_on_line(self, k: int) -> int:
        return min(self.linebases, self.length - k * self.linebases)

    @property
    def end(self) -> int:
        """The byte after the last base."""
        k = self.n_lines - 1
        return self.line_start(k) + self.bases_on_line(k)


def read_fai_entries(fasta: str, source: str) -> list[FaiEntry]:
    fai = fasta + ".fai"
    entries = []
    with open(fai) as fh:
        for n, line in enumerate(fh, 1):
            fields = line.rstrip("\n").split("\t")
            try:
                e = FaiEntry(fields[0], *(int(f) for f in fields[1:5]))
            except (ValueError, TypeError, IndexError):
                raise InputError(f"{source}: '{fai}' line {n} is not a FASTA index line (name, length, offset, "
                                 f"line bases, line width); re-index the reference: samtools faidx {fasta}") from None
            if e.length > 0 and not (e.linebases > 0 and 1 <= e.line_end <= 2):
                raise InputError(f"{source}: '{fai}' line {n} (contig {e.name}) gives {e.linebases} bases in lines "
                                 f"of {e.linewidth} bytes, which no FASTA has; re-index: samtools faidx {fasta}")
            entries.append(e)
    return entries


def _spread(items: list, n: int) -> list:
    """At most n items, evenly spaced, the first and last included."""
    if len(items) <= n:
        return list(items)
    return [items[round(i * (len(items) - 1) / (n - 1))] for i in range(n)]


def _is_bgzf(head: bytes) -> bool:
    return head[:4] == b"\x1f\x8b\x08\x04" and head[12:14] == b"BC"


def check_reference(fasta: str, source: str) -> list[str]:
    """That the FASTA's .fai describes it: a FASTA cut short or edited after indexing otherwise
    passes, and every job then reads the wrong bases or fails deep inside htslib. Returns
    warnings (a .fai older than a FASTA whose layout it matches)."""
    fai = fasta + ".fai"
    entries = [e for e in read_fai_entries(fasta, source) if e.length > 0]
    with open(fasta, "rb") as fh:
        head = fh.read(18)
    if head[:2] == b"\x1f\x8b":
        if not _is_bgzf(head):
            raise InputError(f"{source}: reference.fasta '{fasta}' is gzip-compressed, which allows no random "
                             f"access; decompress it (gunzip) or recompress it with bgzip, then run: samtools faidx "
                             f"<the new file>, and point reference.fasta at it.")
        _check_bgzf_fasta(fasta, entries, source)
    else:
        _check_plain_fasta(fasta, entries, source)
    if os.stat(fai).st_mtime_ns < os.stat(fasta).st_mtime_ns:
        # copies made in another order (cp -r, a download) leave a right index older than its
        # FASTA, and the layout has just been checked: worth a word, not a stop
        return [f"{source}: the index '{fai}' is older than reference.fasta '{fasta}', but it matches the FASTA's "
                f"layout, so it is used; if the FASTA was edited after indexing, re-index it: samtools faidx {fasta}"]
    return []


def _fai_mismatch(fasta: str, source: str, detail: str) -> InputError:
    return InputError(f"{source}: the index '{fasta}.fai' does not describe reference.fasta '{fasta}' ({detail}): "
                      f"the FASTA was cut short or changed after indexing, or the .fai is another FASTA's. If the "
                      f"FASTA is complete, re-index it: samtools faidx {fasta}; if it was cut short (an interrupted "
                      f"copy or download), copy it again.")


def _check_plain_fasta(fasta: str, entries: list[FaiEntry], source: str) -> None:
    size = os.path.getsize(fasta)
    if not entries:
        raise _fai_mismatch(fasta, source, "the .fai lists no contig with bases")
    last = max(entries, key=lambda e: e.offset)
    fd = os.open(fasta, os.O_RDONLY)
    try:
        # contigs the file still holds first: a FASTA rewritten otherwise is named at its first
        # contig that differs, one cut short by the size below
        for e in _spread(entries, _PLAIN_SAMPLE):
            problem = _layout_problem(fd, e, size) if e.end <= size else None
            if problem:
                raise _fai_mismatch(fasta, source, f"contig {e.name}: {problem}")
        if size < last.end:
            raise _fai_mismatch(fasta, source, f"the file is {size:,} bytes but contig {last.name} ends at byte "
                                               f"{last.end:,} by the .fai")
        tail = os.pread(fd, 4096, last.end)
        if size - last.end > len(tail) or tail.strip():
            raise _fai_mismatch(fasta, source, f"the file goes on for {size - last.end:,} bytes after contig "
                                               f"{last.name}, the last in the .fai")
    finally:
        os.close(fd)


def _layout_problem(fd: int, e: FaiEntry, size: int) -> str | None:
    """What does not match where the .fai puts contig e: its header line, then its first,
    middle and last lines of sequence."""
    before = min(e.offset, 4096)
    window = os.pread(fd, before, e.offset - before)
    if not window.endswith(b"\n"):
        return f"no line starts at byte {e.offset:,}, where the .fai puts its sequence"
    start = window.rfind(b"\n", 0, len(window) - 1) + 1
    if start > 0 or e.offset <= 4096:  # else a header line longer than the window: not judged
        header = window[start:].rstrip(b"\r\n")
        name = header[1:].split(maxsplit=1)[0].decode(errors="replace") if header[1:].strip() else ""
        if not header.startswith(b">") or name != e.name:
            shown = header[:60].decode(errors="replace")
            return f"the line before its sequence is '{shown}', not '>{e.name}'"
    for k in sorted({0, e.n_lines // 2, e.n_lines - 1}):
        pos = e.line_start(k)
        n = e.bases_on_line(k)
        line = os.pread(fd, n + e.line_end, pos)
        bases, ending = line[:n], line[n:]
        last_line = k == e.n_lines - 1
        if len(bases) < n or bases.translate(None, _IUPAC):
            return f"line {k + 1} of its sequence (byte {pos:,}) is not {n} bases: {bases[:30]!r}"
        expected = b"\r\n"[-e.line_end:]
        if ending != expected and not (last_line and pos + n + len(ending) == size and expected.startswith(ending)):
            return f"line {k + 1} of its sequence (byte {pos:,}) does not end after {n} bases"
    after = os.pread(fd, 1, e.end + e.line_end)
    if after not in (b"", b">", b"\n", b"\r"):
        return f"its sequence goes on past the {e.length:,} bases the .fai gives"
    return None


def _check_bgzf_fasta(fasta: str, entries: list[FaiEntry], source: str) -> None:
    gzi = fasta + ".gzi"
    if not os.path.exists(gzi):
        raise InputError(f"{source}: reference.fasta '{fasta}' is bgzip-compressed but has no '{gzi}' beside it; "
                         f"index it: samtools faidx {fasta} (which writes both the .fai and the .gzi)")
    with _quiet_htslib():
        try:
            with pysam.FastaFile(fasta) as fa:
                for e in _spread(entries, _BGZF_SAMPLE):
                    for start in sorted({0, max(0, e.length - e.linebases)}):
                        end = min(e.length, start + e.linebases)
                        seq = fa.fetch(e.name, start, end).encode()
                        if len(seq) != end - start or seq.translate(None, _IUPAC):
                            raise _fai_mismatch(fasta, source, f"contig {e.name} bases {start + 1}-{end} read as "
                                                               f"{seq[:30]!r}")
        except (OSError, ValueError, KeyError) as err:
            raise _fai_mismatch(fasta, source, f"reading it through the .fai and .gzi fails: {err}") from None


class _quiet_htslib:
    """htslib prints its own errors, naming no file, for what the checks here turn into one
    message naming the files: silence it while they run."""

    def __enter__(self) -> None:
        self._old = pysam.set_verbosity(0)

    def __exit__(self, *exc: object) -> None:
        pysam.set_verbosity(self._old)


# --- BAM / CRAM -------------------------------------------------------------------------------


def check_alignments(bam: str, index: str, where: str, fasta: str, sample: str,
                     sheet_bams: Mapping[str, tuple[int, str]]) -> list[str]:
    """A BAM/CRAM's read groups against the sheet, a CRAM's @SQ M5 against the FASTA, that it
    has reads, and that its index is its own. where: '<sheet> line N (sample S)'; sheet_bams:
    every sample of the sheet -> (line, bam). Returns warnings."""
    is_cram = bam.endswith(".cram")
    with _quiet_htslib():
        try:
            fh = pysam.AlignmentFile(bam, index_filename=index, reference_filename=fasta if is_cram else None,
                                     check_sq=False)
        except (ValueError, OSError) as e:
            raise InputError(f"{where}: cannot read '{bam}' with its index '{index}' ({e}); re-index it: "
                             f"samtools index {bam}") from None
        try:
            header = fh.header.to_dict()
            warnings = _check_read_groups(header, bam, where, sample, sheet_bams)
            if is_cram:
                _check_cram_md5(header, bam, where, fasta)
            _check_index_age(bam, index, where)
            _check_reads(fh, bam, index, where, is_cram)
        finally:
            try:
                fh.close()
            except OSError:  # htslib fails the close of a file whose read failed: already reported
                pass
    return warnings


def _check_read_groups(header: dict, bam: str, where: str, sample: str,
                       sheet_bams: Mapping[str, tuple[int, str]]) -> list[str]:
    """@RG SM naming another sample of the sheet with a BAM of its own is a swap (or two samples
    merged into one BAM): stop. An SM naming no sample of the sheet is common (labs name files
    and samples differently): a warning. No @RG or no SM: nothing to compare."""
    names = sorted(read_group_samples(header))
    others = [s for s in names if s != sample and s in sheet_bams]
    real = os.path.realpath(bam)
    swapped = [s for s in others if os.path.realpath(sheet_bams[s][1]) != real]
    if swapped:
        other = swapped[0]
        line, other_bam = sheet_bams[other]
        what = (f"@RG SM '{other}', the name of" if names == [other] else
                f"read groups of samples {', '.join(repr(s) for s in names)}, among them")
        verdict = (f"this row's BAM looks like {other}'s (BAMs swapped?)" if names == [other] else
                   f"it holds reads of {other} as well")
        raise InputError(f"{where}: '{bam}' has {what} sample {other} of the sheet (line {line}, BAM '{other_bam}'): "
                         f"{verdict}. Correct column 'bam' so that {sample} and {other} each have their own "
                         f"BAM; if the BAM is right and its SM tag wrong, fix the header (samtools reheader).")
    warnings = []
    for s in others:  # the same file as that sample's: a BAM given twice on purpose
        warnings.append(f"{where}: '{bam}' is also the BAM of sample {s} (line {sheet_bams[s][0]}), whose name "
                        f"its @RG SM carries; fine if the same BAM stands for two samples on purpose.")
    unknown = [s for s in names if s != sample and s not in sheet_bams]
    if unknown:
        also = f" besides {sample}" if sample in names else ""
        warnings.append(f"{where}: '{bam}' has @RG SM {', '.join(repr(s) for s in unknown)}{also}, which is no "
                        f"sample of the sheet; fine if the lab names samples differently, else check that this is "
                        f"{sample}'s BAM.")
    return warnings


def _check_index_age(bam: str, index: str, where: str) -> None:
    if os.stat(index).st_mtime_ns < os.stat(bam).st_mtime_ns:
        raise InputError(f"{where}: the index '{index}' is older than '{bam}', so it may describe an earlier version "
                         f"of the file (reads would be missed or jobs fail inside htslib). Re-index: samtools index "
                         f"{bam} (if the files were only copied in the wrong order, `touch {index}` also does).")


def _check_reads(fh: pysam.AlignmentFile, bam: str, index: str, where: str, is_cram: bool) -> None:
    """The first record, read in file order, and then through the index the first read of a
    few contigs spread over the file and a read mid-way along the largest: an index of another
    BAM points at offsets where this one has no record boundary, so htslib fails (or finds no
    read where the index counted some). The first contig alone would not do: BAMs from one
    pipeline have headers of one size, so their first reads sit at the same offset."""
    kind = "CRAM" if is_cram else "BAM"
    try:
        first = next(fh, None)
    except OSError as e:
        raise InputError(f"{where}: cannot read the first record of '{bam}' ({e}); the file is damaged: check it "
                         f"with samtools quickcheck -v {bam} and copy or re-create it.") from None
    if first is None:
        raise InputError(f"{where}: '{bam}' has a header but no reads; give the {kind} with this sample's aligned "
                         f"reads (was it written by a job that failed?).")
    if first.reference_id < 0:
        raise InputError(f"{where}: '{bam}' has no aligned reads (its first record is unplaced, and unplaced reads "
                         f"come last in a coordinate-sorted {kind}); give the aligned, sorted {kind} of this sample.")
    if is_cram:
        probes = _cram_probes(fh, first)
    else:
        # placed reads, mapped or not (an unmapped read placed at its mate's position is in the
        # index too, and may be the first record)
        counts = {s.contig: s.total for s in fh.get_index_statistics()}
        if not any(counts.values()):
            raise _foreign_index(where, bam, index, f"it counts no read, but the file starts with one on "
                                                    f"{first.reference_name}")
        probes = _bam_probes(fh, first, counts)
    probe = ""
    try:
        for contig, start, expect, enough in probes:
            probe = contig if start is None else f"{contig}:{start + 1}"
            got = next(fh.fetch(contig, start, None if start is None else start + 1), None)
            if got is None and expect:
                raise _foreign_index(where, bam, index, f"it counts reads on {contig} but none is found there")
            if got is not None and got.reference_name != contig:
                raise _foreign_index(where, bam, index, f"reading {probe} through it gives a read on "
                                                        f"{got.reference_name}")
            if got is not None and enough:
                break
    except OSError as e:
        raise _foreign_index(where, bam, index, f"reading {probe} through it fails: {e}") from None


Probe = tuple[str, int | None, bool, bool]  # contig, position (None: whole contig), read expected, stop if found


def _bam_probes(fh: pysam.AlignmentFile, first: pysam.AlignedSegment, counts: dict[str, int]) -> list[Probe]:
    """The first read of the first, a middle and the last contig with reads, and one mid-way
    along the contig with most reads."""
    with_reads = [c for c in fh.references if counts.get(c, 0) > 0]
    contigs = dict.fromkeys([first.reference_name, with_reads[len(with_reads) // 2], with_reads[-1]])
    probes: list[Probe] = [(c, None, True, False) for c in contigs]
    biggest = max(with_reads, key=lambda c: counts[c])
    return probes + [(biggest, fh.get_reference_length(biggest) // 2, False, False)]


def _cram_probes(fh: pysam.AlignmentFile, first: pysam.AlignedSegment) -> list[Probe]:
    """A .crai counts no reads: contigs from the end of the header until one has reads. Not the
    first contig: decoding a container costs ~4 ms, and its offset is the same in CRAMs from one
    pipeline."""
    tail = []
    for contig in list(fh.references)[::-1][:_CRAM_TAIL_TRIES]:
        if contig == first.reference_name:
            break
        tail.append((contig, None, False, True))
    return tail


def _foreign_index(where: str, bam: str, index: str, detail: str) -> InputError:
    return InputError(f"{where}: the index '{index}' does not belong to '{bam}' ({detail}): it was made from "
                      f"another file or from an earlier version of this one. Re-index: samtools index {bam}; if "
                      f"the error stays, the file itself is damaged (samtools quickcheck -v {bam}).")


# --- CRAM reference MD5s ----------------------------------------------------------------------


def _check_cram_md5(header: dict, cram: str, where: str, fasta: str) -> None:
    """A CRAM stores reads as differences from its reference: decoded against a FASTA whose
    bases differ (lengths equal, as for GRCh38 with and without the PAR masked) the jobs fail on
    htslib's slice checksums, naming no file."""
    tagged = [(sq["SN"], str(sq["M5"]).lower()) for sq in header.get("SQ", []) if sq.get("M5")]
    if not tagged:
        return
    md5 = reference_md5s(fasta)
    for name, m5 in tagged:
        if name in md5 and md5[name] != m5:
            raise InputError(f"{where}: CRAM '{cram}' was written against another reference than reference.fasta "
                             f"'{fasta}': contig {name} has MD5 {m5} in the CRAM's @SQ M5 but {md5[name]} in the "
                             f"FASTA. Set reference.fasta to the FASTA the CRAM was made with (its @SQ UR tag may "
                             f"name it), or convert the CRAM to BAM with that FASTA.")


def cache_dir() -> Path:
    """The user's cache (XDG_CACHE_HOME, else ~/.cache): never beside the inputs, which may be
    read-only or shared."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ith" / "reference-md5"


def reference_md5s(fasta: str) -> dict[str, str]:
    """Each contig's MD5 as @SQ M5 has it. Reading a 3 GB FASTA takes ~11 s, too long for every
    Snakemake start: computed once per FASTA (path, size and modification time) and kept in the
    cache directory."""
    st = os.stat(fasta)
    return _md5s(os.path.realpath(fasta), st.st_size, st.st_mtime_ns, str(cache_dir()))


@functools.lru_cache(maxsize=4)
def _md5s(path: str, size: int, mtime_ns: int, cache: str) -> dict[str, str]:
    file = Path(cache) / (hashlib.sha256(path.encode()).hexdigest()[:32] + ".json")
    try:
        kept = json.loads(file.read_text())
        if kept["path"] == path and kept["size"] == size and kept["mtime_ns"] == mtime_ns:
            return dict(kept["md5"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    md5 = _compute_md5s(path)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=file.parent, delete=False, suffix=".tmp") as out:
            json.dump({"path": path, "size": size, "mtime_ns": mtime_ns, "md5": md5}, out)
        os.replace(out.name, file)
    except OSError:  # an unwritable cache costs the computation at the next start, nothing else
        pass
    return md5


def _compute_md5s(fasta: str) -> dict[str, str]:
    entries = read_fai_entries(fasta, "reference")
    md5 = {}
    with open(fasta, "rb") as raw:
        bgzf = _is_bgzf(raw.read(18))
    if bgzf:
        with pysam.FastaFile(fasta) as fa:
            for e in entries:
                md5[e.name] = hashlib.md5(fa.fetch(e.name).encode().translate(_UPPER, _NOT_PRINTABLE)).hexdigest()
        return md5
    with open(fasta, "rb") as fh:
        for e in entries:
            h = hashlib.md5()
            fh.seek(e.offset)
            left = e.end - e.offset if e.length else 0
            while left > 0:
                chunk = fh.read(min(left, 1 << 24))
                if not chunk:
                    break
                left -= len(chunk)
                h.update(chunk.translate(_UPPER, _NOT_PRINTABLE))
            md5[e.name] = h.hexdigest()
    return md5
