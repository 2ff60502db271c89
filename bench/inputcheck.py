"""Benchmark: what the input check's file checks (issue 21) cost at every Snakemake start.

Per BAM: check_bam as a whole (header, contigs, and the new checks: read groups, index age,
first record, index probes) and the new checks alone, best of 5 rounds over the cohort's BAMs
(warm page cache, as at a Snakemake start that follows `ith check`). The same BAMs as CRAM
(converted here). The reference: the .fai check on the cohort's FASTA and on a synthetic FASTA
with 3,366 contigs (the count of GRCh38 with alts, decoys and HLA), and the CRAM MD5 table
computed and read from its cache.

Run: python bench/inputcheck.py COHORT   (a folder of `ith simulate`, e.g. test-cohort)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np
import pysam

from ith.config import bam_index_path, check_bam, load_config, read_sample_sheet
from ith.io import inputcheck
from ith.io.reference import read_fai


def best_ms(fn: Callable[[], object], rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1000


def per_bam(rows: list[tuple[str, str]], fasta: str) -> tuple[float, float]:
    contigs = read_fai(fasta, "bench")
    sheet = {s: (i + 2, b) for i, (s, b) in enumerate(rows)}
    whole = best_ms(lambda: [check_bam(b, 2, s, "samples.tsv", fasta, contigs, sheet) for s, b in rows])
    new = best_ms(lambda: [inputcheck.check_alignments(b, bam_index_path(b), "w", fasta, s, sheet) for s, b in rows])
    return whole / len(rows), new / len(rows)


def main(cohort: str) -> None:
    config = load_config(os.path.join(cohort, "config.yaml"))
    fasta = config["reference"]["fasta"]
    sheet = read_sample_sheet(config["samples"])
    rows = list(zip(sheet["sample"], sheet["bam"]))
    whole, new = per_bam(rows, fasta)
    print(f"BAM  ({len(rows)}): check_bam {whole:.1f} ms per BAM, of which the new checks {new:.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CACHE_HOME"] = tmp  # the MD5 cache of this run only
        crams = []
        for s, b in rows:
            cram = os.path.join(tmp, f"{s}.cram")
            pysam.samtools.view("-C", "-T", fasta, "-o", cram, b, catch_stdout=False)
            pysam.index(cram)
            crams.append((s, cram))
        inputcheck.reference_md5s(fasta)
        whole, new = per_bam(crams, fasta)
        print(f"CRAM ({len(rows)}): check_bam {whole:.1f} ms per CRAM, of which the new checks {new:.1f} ms")
        print(f"reference ({os.path.getsize(fasta) / 1e6:.1f} MB, {len(read_fai(fasta, 'bench'))} contigs): "
              f".fai check {best_ms(lambda: inputcheck.check_reference(fasta, 'bench')):.1f} ms")

        many = os.path.join(tmp, "many.fa")
        rng = np.random.default_rng(1)
        with open(many, "w") as fh:
            for i in range(3366):
                seq = "".join(rng.choice(list("ACGTN"), int(rng.integers(1000, 20000))))
                fh.write(f">contig{i} synthetic\n" + "".join(seq[k:k + 60] + "\n" for k in range(0, len(seq), 60)))
        pysam.faidx(many)
        print(f"reference ({os.path.getsize(many) / 1e6:.1f} MB, 3366 contigs): "
              f".fai check {best_ms(lambda: inputcheck.check_reference(many, 'bench')):.1f} ms")
        os.environ["XDG_CACHE_HOME"] = os.path.join(tmp, "fresh")  # nothing cached there yet
        inputcheck._md5s.cache_clear()
        t0 = time.perf_counter()
        inputcheck.reference_md5s(fasta)
        computed = (time.perf_counter() - t0) * 1000
        inputcheck._md5s.cache_clear()
        t0 = time.perf_counter()
        inputcheck.reference_md5s(fasta)
        cached = (time.perf_counter() - t0) * 1000
        print(f"CRAM M5 table of {os.path.basename(fasta)}: computed {computed:.1f} ms, from the cache {cached:.2f} ms")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "test-cohort")
