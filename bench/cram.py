"""CRAM decoding cost of the copy-number coverage pass, against baselines measured in the same run
on the same files.

  ours, CRAM        ith.io.bamscan.interval_coverage on each CRAM: `samtools view -u` in a child
                    process decodes the fields the walker reads (not the bases) into a pipe the
                    BAM walker reads
  view -c           `samtools view -c -T fasta` on the same CRAMs (pysam, in-process): counting
                    the records, htslib's floor for reading the file
  ours, BAM         the same pass over the BAMs the CRAMs were made from
  with bases        ours decoding the bases too (the previous method: htslib then checks every
                    slice against the reference's MD5, which the input check now does once by
                    the @SQ M5 tags)
  full decode       `samtools view -u -o /dev/null -T fasta` decoding every field, as a reader
                    that takes whole records (pysam iteration) would at least pay

The cohort's BAMs are converted to CRAM (pysam, htslib's defaults) into --work once.

    python bench/cram.py --cohort demo --threads 2
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pysam

import ith.io.bamscan as bamscan
from ith.copynumber.bins import interval_dict, make_bins
from ith.io.reference import included_contigs, read_fai


def to_cram(bam: Path, fasta: str, out: Path) -> Path:
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        pysam.samtools.view("-C", "-T", fasta, "-o", str(out), str(bam), catch_stdout=False)
        pysam.samtools.index(str(out))
    return out


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cohort", default="demo", type=Path)
    ap.add_argument("--work", default=None, type=Path, help="where the CRAMs go (default: <cohort>/cram)")
    ap.add_argument("--bin-size", type=int, default=5000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=1, help="each measurement this many times; the fastest counts")
    a = ap.parse_args()
    fasta = str(a.cohort / "reference" / "genome.fa")
    work = a.work or a.cohort / "cram"
    bams = sorted((a.cohort / "bams").glob("*/*.bam"))
    crams = [to_cram(b, fasta, work / b.parent.name / (b.stem + ".cram")) for b in bams]
    intervals = interval_dict(make_bins(fasta, included_contigs(read_fai(fasta, "bench"), None), a.bin_size))
    bam_gb = sum(b.stat().st_size for b in bams) / 1e9
    cram_gb = sum(c.stat().st_size for c in crams) / 1e9
    reads = sum(int(pysam.samtools.view("-c", "-T", fasta, str(c))) for c in crams)
    print(f"{len(bams)} files, {reads / 1e6:.1f} M records: BAM {bam_gb:.2f} GB, CRAM {cram_gb:.2f} GB; "
          f"{a.threads} threads")
    bamscan.interval_coverage(str(bams[0]), intervals)  # compile the walker outside the timing
    fields = bamscan.CRAM_REQUIRED_FIELDS

    def ours(paths, **kw):
        return lambda: [bamscan.interval_coverage(str(p), intervals, threads=a.threads, min_mapq=20, **kw)
                        for p in paths]

    def with_bases():
        bamscan.CRAM_REQUIRED_FIELDS = fields | 0x200  # SAM_SEQ
        try:
            ours(crams, reference=fasta)()
        finally:
            bamscan.CRAM_REQUIRED_FIELDS = fields

    runs = {
        "ours, CRAM": ours(crams, reference=fasta),
        "view -c": lambda: [pysam.samtools.view("-c", "-@", str(a.threads - 1), "-T", fasta, str(c)) for c in crams],
        "ours, BAM": ours(bams),
        "with bases": with_bases,
        "full decode": lambda: [pysam.samtools.view("-u", "-@", str(a.threads - 1), "-T", fasta, "-o", "/dev/null",
                                                    str(c), catch_stdout=False) for c in crams],
    }
    secs = {k: min(timed(f) for _ in range(a.repeats)) for k, f in runs.items()}
    # same counts from both inputs, or the timing means nothing
    for b, c in zip(bams, crams):
        x = bamscan.interval_coverage(str(b), intervals, min_mapq=20)
        y = bamscan.interval_coverage(str(c), intervals, min_mapq=20, reference=fasta)
        assert np.array_equal(x.bases, y.bases) and np.array_equal(x.reads, y.reads), c
    base = secs["ours, CRAM"]
    for k, s in secs.items():
        ratio = "" if k == "ours, CRAM" else f"   ours, CRAM / this {base / s:5.2f}"
        print(f"{k:14s} {s:7.2f} s  {reads / s / 1e6:6.2f} M records/s{ratio}")


if __name__ == "__main__":
    main()
