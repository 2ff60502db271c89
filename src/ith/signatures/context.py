"""SBS96 channels: the substitution on the pyrimidine strand in its trinucleotide context,
named as COSMIC (`A[C>A]A`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

SUBSTITUTIONS = ("C>A", "C>G", "C>T", "T>A", "T>C", "T>G")
BASES = "ACGT"
# in the order of COSMIC's and SigProfiler's matrices (sorted by name: 5' base, substitution, 3' base)
CHANNELS: tuple[str, ...] = tuple(sorted(f"{a}[{s}]{b}" for s in SUBSTITUTIONS for a in BASES for b in BASES))
# grouped by substitution, for plots
PLOT_ORDER: tuple[str, ...] = tuple(f"{a}[{s}]{b}" for s in SUBSTITUTIONS for a in BASES for b in BASES)
CHANNEL_INDEX = {c: i for i, c in enumerate(CHANNELS)}
_COMPLEMENT = str.maketrans("ACGT", "TGCA")


def channel(left: str, ref: str, alt: str, right: str) -> str | None:
    """The SBS96 channel of ref>alt between `left` and `right` (reference strand); None when a
    base is not A/C/G/T or ref == alt."""
    left, ref, alt, right = (x.upper() for x in (left, ref, alt, right))
    if any(len(x) != 1 or x not in BASES for x in (left, ref, alt, right)) or ref == alt:
        return None
    if ref in "AG":  # report on the pyrimidine strand: reverse complement
        left, ref, alt, right = (right.translate(_COMPLEMENT), ref.translate(_COMPLEMENT),
                                 alt.translate(_COMPLEMENT), left.translate(_COMPLEMENT))
    return f"{left}[{ref}>{alt}]{right}"


def channels_from_fasta(fasta, chrom: pd.Series, pos: pd.Series, ref: pd.Series,
                        alt: pd.Series) -> tuple[list[str | None], int]:
    """SBS96 channel of each SNV (1-based `pos`) read from `fasta` (a pysam.FastaFile); None for
    indels, MNVs, contig ends, N contexts. Also returns how many SNVs' reference base disagreed
    with the FASTA (their channel is None)."""
    out: list[str | None] = []
    mismatched = 0
    lengths = dict(zip(fasta.references, fasta.lengths))
    for c, p, r, a in zip(chrom, pos, ref, alt):
        p = int(p)
        if len(r) != 1 or len(a) != 1 or c not in lengths or p < 2 or p >= lengths[c]:
            out.append(None)
            continue
        tri = fasta.fetch(c, p - 2, p + 1).upper()
        if tri[1] != r.upper():
            mismatched += 1
            out.append(None)
            continue
        out.append(channel(tri[0], r, a, tri[2]))
    return out, mismatched


def count_matrix(channels: pd.Series, groups: dict[str, np.ndarray | pd.Series]) -> pd.DataFrame:
    """Channel x group counts; `groups` maps a group name to a boolean mask over `channels`."""
    ch = pd.Series(channels).reset_index(drop=True)
    cols = {}
    for name, mask in groups.items():
        sel = ch[np.asarray(mask, dtype=bool)].dropna()
        cols[name] = sel.value_counts().reindex(CHANNELS, fill_value=0).astype(int).to_numpy()
    return pd.DataFrame(cols, index=pd.Index(CHANNELS, name="channel"))
