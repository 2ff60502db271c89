"""Discovery, the previous way and the prefiltered way, on the same chunks in one process.

For every chunk of a patient (tissue samples, as the workflow's variants_discover): the annotated
bcftools mpileup of every covered position (previous) against the compiled candidate pass plus the
mpileup at the positions it keeps (now). Prints per chunk and in total: CPU seconds (this process
and its children), CPU per read, the ratio now/previous, the scratch BCF's bytes per base, and
whether the two give the same sites and heterozygous-SNP tables (they must; exits 1 otherwise).

  python bench/discovery.py --cohort demo --patient P1 [--chunk-size 200000] [--samples 4]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
from unittest import mock

import pandas as pd
import pysam

import ith.io.pileup as pileup_mod
from ith.germline import HetParams
from ith.io.pileup import PileupParams
from ith.io.reference import read_fai
from ith.variants.call import Sample, discover_chunk
from ith.variants.chunks import make_chunks
from ith.variants.somatic import SomaticParams


def cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def run(samples, fasta, regions, prefilter: bool, scratch: list[int]):
    """discover_chunk, recording the size of the scratch BCF it writes."""
    real = pileup_mod.mpileup

    def measured(bams, fasta, out, params, **kw):
        real(bams, fasta, out, params, **kw)
        scratch.append(os.path.getsize(out))

    with mock.patch.object(pileup_mod, "mpileup", measured), tempfile.TemporaryDirectory() as tmp:
        t0 = cpu()
        sites, hets = discover_chunk(samples, fasta, regions, PileupParams(), SomaticParams(), 2, False, workdir=tmp,
                                     hets=HetParams(), prefilter=prefilter)
        return cpu() - t0, sites, hets


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cohort", default="demo")
    ap.add_argument("--patient", default="P1")
    ap.add_argument("--chunk-size", type=int, default=200_000)
    ap.add_argument("--samples", type=int, default=0, help="normal + this many tumours (0: all)")
    ap.add_argument("--chunks", type=int, default=0, help="only the first this many chunks (0: all)")
    a = ap.parse_args()
    sheet = pd.read_csv(os.path.join(a.cohort, "samples.tsv"), sep="\t")
    rows = sheet[(sheet["patient"] == a.patient) & (sheet["type"] != "plasma")]
    samples = [Sample(r.sample, r.type, r.bam if os.path.isabs(r.bam) else os.path.join(os.path.dirname(
        os.path.abspath(a.cohort)), r.bam)) for r in rows.itertuples()]
    samples = sorted(samples, key=lambda s: s.type != "normal")
    if a.samples:
        samples = samples[: a.samples + 1]
    fasta = os.path.join(a.cohort, "reference", "genome.fa")
    chunks = make_chunks(read_fai(fasta, "reference"), a.chunk_size)
    if a.chunks:
        chunks = chunks[: a.chunks]
    # warm the compiled pass (numba's cache) so neither side pays a first-call compile
    discover_chunk(samples, fasta, [(chunks[0].regions[0][0], 1, 2000)], PileupParams(), SomaticParams(), 2, False,
                   hets=HetParams())
    tot_old = tot_new = 0.0
    reads = bases = 0
    sc_old: list[int] = []
    sc_new: list[int] = []
    same = True
    print(f"{a.cohort} {a.patient}: {len(samples)} BAMs ({', '.join(s.name for s in samples)}), "
          f"{len(chunks)} chunks of <= {a.chunk_size:,} bp; CPU seconds (the machine is shared: CPU, not wall)")
    print("chunk               reads   previous   now   now/prev   scratch B/base prev -> now   same")
    for c in chunks:
        n = sum(e - s + 1 for _, s, e in c.regions)
        r = sum(int(pysam.samtools.view("-c", "-q", "20", s.bam, *[f"{ch}:{st}-{en}" for ch, st, en in c.regions]))
                for s in samples)
        t_old, s_old, h_old = run(samples, fasta, c.regions, False, sc_old)
        t_new, s_new, h_new = run(samples, fasta, c.regions, True, sc_new)
        ok = s_old.equals(s_new) and h_old.equals(h_new)
        same &= ok
        tot_old, tot_new, reads, bases = tot_old + t_old, tot_new + t_new, reads + r, bases + n
        print(f"{c.name:16s} {r:9,d} {t_old:9.2f} {t_new:6.2f} {t_new / t_old:8.2f}   "
              f"{sc_old[-1] / n:10.1f} -> {(sc_new[-1] if len(sc_new) == len(sc_old) else 0) / n:6.1f}   {ok}")
        if len(sc_new) < len(sc_old):  # no position to visit: no pileup at all
            sc_new.append(0)
    print(f"total: {reads:,} reads; previous {tot_old:.1f} s ({1e6 * tot_old / reads:.1f} us/read), now {tot_new:.1f} s "
          f"({1e6 * tot_new / reads:.1f} us/read): now/previous {tot_new / tot_old:.2f}; scratch "
          f"{sum(sc_old) / bases:.0f} -> {sum(sc_new) / bases:.1f} bytes/base; identical tables: {same}")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
