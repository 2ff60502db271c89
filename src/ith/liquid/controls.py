"""A patient's background controls counted at the patient's sites, for the liquid stage (which
samples they are: ith.controls). Each control BAM is read only at the patient's sites, so the
work grows with patients x controls x sites, not with the square of the cohort."""

from __future__ import annotations

import logging
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ith.liquid.pileup import LiquidPileupParams, count_sites

log = logging.getLogger(__name__)


def _count_one(args: tuple) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    sample, bam, sites, params, reference = args
    res = count_sites(bam, sites, params, reference)
    nz = np.flatnonzero(res.ref_lengths)
    ref = pd.DataFrame({"sample": sample, "length": nz, "fragments": res.ref_lengths[nz]})
    return res.counts.assign(sample=sample), res.alt_lengths.assign(sample=sample), ref


@dataclass
class SampleCounts:
    """Several samples counted at one patient's sites, each table with a leading sample column."""

    counts: pd.DataFrame  # sample, chrom, pos, ref, alt, depth, A, C, G, T, discordant
    alt_lengths: pd.DataFrame  # sample, chrom, pos, base, length
    ref_lengths: pd.DataFrame  # sample, length, fragments (reference fragments at the sites)


COUNT_COLUMNS = ["sample", "chrom", "pos", "ref", "alt", "depth", "A", "C", "G", "T", "discordant"]


def count_samples(samples: pd.DataFrame, sites: pd.DataFrame, params: LiquidPileupParams,
                  threads: int = 1, reference: str | None = None) -> SampleCounts:
    """Every sample (columns sample, bam) counted at the sites, in the given order (the same
    bytes whatever the thread count). CRAMs are decoded against `reference`."""
    jobs = [(r.sample, r.bam, sites, params, reference) for r in samples.itertuples(index=False)]
    if threads > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(min(threads, len(jobs))) as pool:
            parts = list(pool.map(_count_one, jobs))
    else:
        parts = [_count_one(j) for j in jobs]

    def stack(i: int, columns: list[str]) -> pd.DataFrame:
        tables = [p[i] for p in parts]
        if not tables:
            return pd.DataFrame(columns=columns)
        t = pd.concat(tables, ignore_index=True)
        return t[["sample"] + [c for c in t.columns if c != "sample"]]

    return SampleCounts(stack(0, COUNT_COLUMNS), stack(1, ["sample", "chrom", "pos", "base", "length"]),
                        stack(2, ["sample", "length", "fragments"]))
