"""Benchmark of the variants stage on one patient of a simulated cohort (default: the demo, P1).

Prints, measured in this run on the same BAMs:
  floor      reading every BAM of the patient once (samtools view -c)
  ours       discovery over all chunks (tissue) + genotyping every sample at the sites, 1 core
  full       one joint bcftools mpileup of all BAMs genome-wide (what ours avoids)
  -T         bcftools mpileup -T at our sites over the plasma BAMs (our genotyping's baseline)
and the ratios ours/floor, ours/full, genotyping/-T, reads/s and peak memory.

  python bench/variants.py [--cohort demo] [--patient P1] [--skip-full]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time

import pandas as pd
import pysam
import pysam.bcftools

from ith.io.reference import read_fai
from ith.variants.call import Sample, call_patient, discover_chunk
from ith.variants.chunks import make_chunks
from ith.io.pileup import PileupParams, mpileup
from ith.variants.presence import PresenceParams
from ith.variants.somatic import SomaticParams


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cohort", default="demo")
    ap.add_argument("--patient", default="P1")
    ap.add_argument("--chunk-size", type=int, default=20_000_000)
    ap.add_argument("--skip-full", action="store_true")
    a = ap.parse_args()
    sheet = pd.read_csv(os.path.join(a.cohort, "samples.tsv"), sep="\t")
    rows = sheet[sheet["patient"] == a.patient]
    samples = [Sample(r.sample, r.type, r.bam) for r in rows.itertuples()]
    fasta = os.path.join(a.cohort, "reference", "genome.fa")
    resource_vcf = os.path.join(a.cohort, "reference", "population.vcf.gz")

    t0 = time.perf_counter()
    reads = sum(int(pysam.samtools.view("-c", s.bam)) for s in samples)
    floor = time.perf_counter() - t0

    t0 = time.perf_counter()
    chunks = [discover_chunk(samples, fasta, c.regions, PileupParams(), SomaticParams(), 2, False)[0]
              for c in make_chunks(read_fai(fasta, "x"), a.chunk_size)]
    t_disc = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = call_patient(a.patient, samples, chunks, fasta, PileupParams(), SomaticParams(), PresenceParams(), False,
                       germline_resource=resource_vcf)
    t_call = time.perf_counter() - t0
    ours = t_disc + t_call
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    plasma = [s.bam for s in samples if s.type == "plasma"]
    t_T = float("nan")
    if plasma and len(res.sites):
        with tempfile.TemporaryDirectory() as tmp:
            sites = os.path.join(tmp, "sites.tsv")
            res.sites[["chrom", "pos"]].to_csv(sites, sep="\t", header=False, index=False)
            t0 = time.perf_counter()
            mpileup(plasma, fasta, os.path.join(tmp, "t.bcf"), PileupParams(), targets=sites)
            t_T = time.perf_counter() - t0

    t_full = float("nan")
    if not a.skip_full:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            mpileup([s.bam for s in samples], fasta, os.path.join(tmp, "full.bcf"), PileupParams())
            t_full = time.perf_counter() - t0

    n_pass = int((res.sites["filters"] == "").sum())
    print(f"patient {a.patient}: {len(samples)} BAMs, {reads:,} reads, {n_pass} PASS mutations")
    print(f"floor (samtools view -c, all BAMs)   {floor:8.1f} s")
    print(f"ours: discovery {t_disc:.1f} s + call/genotyping {t_call:.1f} s = {ours:.1f} s   ratio to floor {ours / floor:.1f}x")
    print(f"full joint bcftools mpileup           {t_full:8.1f} s   ours / full {ours / t_full:.2f}")
    print(f"bcftools mpileup -T (plasma, sites)   {t_T:8.1f} s   our call step / -T {t_call / t_T:.2f}")
    print(f"throughput {reads / ours:,.0f} reads/s; peak memory {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
