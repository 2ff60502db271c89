"""Benchmark: our vectorised BAM writer vs pysam's AlignedSegment writer on the same reads.

Prints reads/s of each and the ratio (baseline measured in the same run), plus the time to
simulate one deep plasma sample end to end. Run: make bench  (or python bench/simulate.py).
"""

from __future__ import annotations

import os
import tempfile
import time

import numpy as np
import pysam

from ith.simulate.cohort import patients, read_model, write_sample_bam
from ith.simulate.genome import make_genome
from ith.simulate.presets import PRESETS


def main() -> None:
    preset = PRESETS["test"]
    genome = make_genome(np.random.default_rng([1, 0]), preset.autosome_lengths, preset.x_length, preset.y_length,
                         preset.segdups_per_mb)
    patient, specs = patients(1, preset, genome)[0]
    spec = next(s for s in specs if s.type == "plasma")
    with tempfile.TemporaryDirectory() as tmp:
        ours = os.path.join(tmp, "ours.bam")
        model = read_model(np.random.default_rng(0), preset, spec)
        t0 = time.perf_counter()
        n_reads = write_sample_bam(genome, patient, spec, model, [1, 3, 0, 0], ours)
        t_sim = time.perf_counter() - t0

        reads = list(pysam.AlignmentFile(ours))
        with pysam.AlignmentFile(ours) as fh:
            header = fh.header
        t0 = time.perf_counter()
        with pysam.AlignmentFile(os.path.join(tmp, "pysam.bam"), "wb", header=header) as out:
            for r in reads:
                a = pysam.AlignedSegment(header)
                a.query_name, a.flag, a.reference_id, a.reference_start = r.query_name, r.flag, r.reference_id, r.reference_start
                a.mapping_quality, a.cigartuples = r.mapping_quality, r.cigartuples
                a.next_reference_id, a.next_reference_start, a.template_length = r.next_reference_id, r.next_reference_start, r.template_length
                a.query_sequence, a.query_qualities = r.query_sequence, r.query_qualities
                a.set_tags(r.get_tags())
                out.write(a)
        t_pysam = time.perf_counter() - t0

        # our encoder alone on the same records, for a like-for-like writer comparison
        from ith.io.bamwrite import BamWriter, ReadBatch
        code = np.frombuffer(b"ACGTN", np.uint8)
        lut = np.full(256, 4, np.uint8)
        lut[code] = np.arange(5)
        seq = lut[np.frombuffer("".join(r.query_sequence for r in reads).encode(), np.uint8)].reshape(len(reads), -1)
        qual = np.frombuffer(b"".join(bytes(r.query_qualities) for r in reads), np.uint8).reshape(len(reads), -1)
        batch_cols = dict(
            pos=np.array([r.reference_start for r in reads]), mapq=np.array([r.mapping_quality for r in reads], np.uint8),
            flag=np.array([r.flag for r in reads], np.uint16), mate=np.array([r.next_reference_start for r in reads]),
            tlen=np.array([r.template_length for r in reads]), ref=np.array([r.reference_id for r in reads]),
            nm=np.array([r.get_tag("NM") for r in reads], np.uint8))
        t0 = time.perf_counter()
        w = BamWriter(os.path.join(tmp, "enc.bam"), str(header), list(zip(header.references, header.lengths)),
                      spec.sample, "x.", threads=1)
        for ref_id in np.unique(batch_cols["ref"]):
            idx = np.flatnonzero(batch_cols["ref"] == ref_id)
            for b0 in range(0, len(idx), 200_000):
                sl = idx[b0 : b0 + 200_000]
                w.write(ReadBatch(int(ref_id), batch_cols["pos"][sl], batch_cols["mapq"][sl], batch_cols["flag"][sl],
                                  batch_cols["mate"][sl], batch_cols["tlen"][sl], sl, seq[sl], qual[sl], batch_cols["nm"][sl]))
        w.close()
        t_enc = time.perf_counter() - t0

    print(f"reads: {n_reads:,} (one {spec.depth:.0f}x plasma sample of the test preset)")
    print(f"simulate + write + index, end to end: {t_sim:.2f} s ({n_reads / t_sim:,.0f} reads/s)")
    print(f"BAM writing, ours (1 thread):        {t_enc:.2f} s ({n_reads / t_enc:,.0f} reads/s)")
    print(f"BAM writing, pysam AlignedSegment:   {t_pysam:.2f} s ({n_reads / t_pysam:,.0f} reads/s)")
    print(f"ratio pysam / ours: {t_pysam / t_enc:.1f}x")


if __name__ == "__main__":
    main()
