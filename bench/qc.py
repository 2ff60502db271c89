"""QC's per-sample metrics (rule qc_sample) against the one-read floor, on the same files in the
same run.

  view -c       `samtools view -c` on each file (pysam, in-process): htslib reading every
                record once and keeping nothing; the floor any pass over the file pays
  one pass      ith.qc.bamstats.sample_qc: one compiled pass over the records
                (ith.qc.onepass), the FASTA's N runs, the JSON's summaries
  samtools x2   ith.qc.bamstats.samtools_qc, the previous method: `samtools stats` for the
                counts, `samtools stats -d` again for the depth, `samtools idxstats` for the sex

With --cram the cohort's BAMs are converted to CRAM (pysam, htslib's defaults) into --work once,
and the three are timed on the CRAMs too (`view -c -T`; the one pass decodes every field but
the read names, against the FASTA). `view -c` on a CRAM decodes next to nothing, so a fourth
row times what any pass reading those fields pays:

  decode        `samtools view -u -o /dev/null -T fasta` decoding the fields the one pass reads
                (ith.qc.onepass.CRAM_QC_FIELDS), nothing counted

    python bench/qc.py --cohort test-cohort --repeats 3 [--cram] [--only-cram]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pysam

from ith.qc.bamstats import QcParams, sample_qc, samtools_qc
from ith.qc.onepass import CRAM_QC_FIELDS

from cram import timed, to_cram  # bench/cram.py: the same conversion and timer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cohort", default="demo", type=Path)
    ap.add_argument("--repeats", type=int, default=1, help="each measurement this many times, interleaved; the "
                    "fastest counts")
    ap.add_argument("--cram", action="store_true", help="time the CRAMs of the BAMs too")
    ap.add_argument("--work", default=None, type=Path, help="where the CRAMs go (default: <cohort>/cram)")
    ap.add_argument("--only-cram", action="store_true", help="time the CRAMs only")
    a = ap.parse_args()
    fasta = str(a.cohort / "reference" / "genome.fa")
    bams = sorted((a.cohort / "bams").glob("*/*.bam"))
    sets = {} if a.only_cram else {"BAM": bams}
    if a.cram or a.only_cram:
        work = a.work or a.cohort / "cram"
        sets["CRAM"] = [to_cram(b, fasta, work / b.parent.name / (b.stem + ".cram")) for b in bams]
    params = QcParams()
    sample_qc(str(bams[0]), fasta, "warm", "up", params)  # load the compiled walkers outside the timing
    for kind, files in sets.items():
        records = sum(int(pysam.samtools.view("-c", "-T", fasta, str(f))) for f in files)
        gb = sum(f.stat().st_size for f in files) / 1e9
        print(f"{kind}: {len(files)} files, {records / 1e6:.1f} M records, {gb:.2f} GB")
        runs = {
            "view -c": lambda: [pysam.samtools.view("-c", "-T", fasta, str(f)) for f in files],
            "one pass": lambda: [sample_qc(str(f), fasta, f.stem, f.parent.name, params) for f in files],
            "samtools x2": lambda: [samtools_qc(str(f), fasta, f.stem, f.parent.name, params) for f in files],
        }
        if kind == "CRAM":
            runs["decode"] = lambda: [pysam.samtools.view(
                "-u", "-T", fasta, "--input-fmt-option", f"required_fields={CRAM_QC_FIELDS:#x}", "-o", "/dev/null",
                str(f), catch_stdout=False) for f in files]
        # interleaved (each repeat times all three in turn), so that load from other work on the
        # machine falls on all of them alike
        secs = {k: float("inf") for k in runs}
        for _ in range(a.repeats):
            for k, fn in runs.items():
                secs[k] = min(secs[k], timed(fn))
        floor = secs["view -c"]
        for k, s in secs.items():
            print(f"  {k:12s} {s:7.2f} s  {records / s / 1e6:6.2f} M records/s  {s / floor:5.2f}x the floor")
        print(f"  one pass is {secs['samtools x2'] / secs['one pass']:.1f}x faster than samtools x2"
              + (f", {secs['one pass'] / secs['decode']:.2f}x the decode" if "decode" in secs else ""))


if __name__ == "__main__":
    main()
