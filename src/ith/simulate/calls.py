"""A simulated patient's true mutations as somatic calls in Mutect2's multi-sample VCF format (as
GATK Mutect2 + FilterMutectCalls write it: one column per BAM named by its SM, FORMAT GT:AD:AF:DP,
FILTER PASS): the input `variants.import` takes, and an example of it."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pysam

from ith.io.reference import read_fai

HEADER = """##fileformat=VCFv4.2
##FILTER=<ID=PASS,Description="All filters passed">
##FILTER=<ID=weak_evidence,Description="Mutation does not meet likelihood threshold">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths for the ref and alt alleles in the order listed">
##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fractions of alternate alleles in the tumor">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth (reads with MQ=255 or with bad mates are filtered)">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##INFO=<ID=TLOD,Number=A,Type=Float,Description="Log 10 likelihood ratio score of variant existing versus not existing">
##source=Mutect2
"""


def mutect2_lines(mutations: pd.DataFrame, samples: pd.DataFrame, reference: list[tuple[str, int]]) -> list[str]:
    """The VCF's lines. `mutations`: a patient's truth/<patient>/mutations.tsv (per mutation x
    sample: chrom, pos, ref, alt, expected_vaf); `samples`: its rows of truth/samples.tsv (sample,
    type, depth). AD is the expected allele depths at the sample's mean depth and AF the expected
    VAF: the truth, not a draw of reads; a mutation is listed when some tissue sample carries it."""
    samples = samples.reset_index(drop=True)
    normal = samples.loc[samples["type"] == "normal", "sample"].tolist()
    tumours = samples.loc[samples["type"] != "normal", "sample"].tolist()
    names = normal + tumours
    depth = dict(zip(samples["sample"], samples["depth"].astype(float)))
    vaf = mutations.pivot_table(index=["chrom", "pos", "ref", "alt"], columns="sample", values="expected_vaf",
                                aggfunc="first").reindex(columns=names).fillna(0.0)
    tissue = samples.loc[samples["type"] == "tumour", "sample"].tolist()
    vaf = vaf[(vaf[tissue] > 0).any(axis=1)]
    order = {n: i for i, (n, _) in enumerate(reference)}
    keys = sorted(vaf.index, key=lambda k: (order[k[0]], int(k[1])))
    lines = HEADER.splitlines()
    lines += [f"##contig=<ID={n},length={ln}>" for n, ln in reference]
    lines += [f"##normal_sample={s}" for s in normal] + [f"##tumor_sample={s}" for s in tumours]
    lines.append("#" + "\t".join(["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *names]))
    for key in keys:
        chrom, pos, ref, alt = key
        cells = []
        for s in names:
            d = int(round(depth[s]))
            a = int(round(d * vaf.at[key, s]))
            gt = "0/0" if s in normal else ("0/1" if a > 0 else "0/0")
            cells.append(f"{gt}:{d - a},{a}:{np.round(a / d if d else 0.0, 3):g}:{d}")
        lines.append(f"{chrom}\t{int(pos)}\t.\t{ref}\t{alt}\t.\tPASS\tTLOD=10.0\tGT:AD:AF:DP\t" + "\t".join(cells))
    return lines


def write_truth_mutect2(cohort: str, patient: str, path: str) -> str:
    """truth/<patient>/mutations.tsv of a simulated cohort (directory `cohort`) as a Mutect2-style
    VCF at `path` (bgzipped and tabix-indexed when it ends in .gz); returns `path`."""
    mutations = pd.read_csv(os.path.join(cohort, "truth", patient, "mutations.tsv"), sep="\t",
                            dtype={"chrom": str, "ref": str, "alt": str, "sample": str})
    samples = pd.read_csv(os.path.join(cohort, "truth", "samples.tsv"), sep="\t", dtype={"sample": str})
    samples = samples[samples["patient"].astype(str) == patient]
    reference = read_fai(os.path.join(cohort, "reference", "genome.fa"), "reference")
    text = "\n".join(mutect2_lines(mutations, samples, reference)) + "\n"
    plain = path[:-3] if path.endswith(".gz") else path
    with open(plain, "w") as fh:
        fh.write(text)
    if path.endswith(".gz"):
        pysam.tabix_index(plain, preset="vcf", force=True)
    return path
