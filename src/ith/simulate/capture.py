"""Capture kits for simulated exomes and panels: targets laid out like the exons of genes, each
with a capture efficiency shared by every library made with the kit.

A fragment is captured when it overlaps a target; the first target it overlaps (leftmost)
decides its efficiency, so a fragment spanning two close targets is drawn once. Reads inside a
target then have the depth a whole genome would have at the target's rate, and the flanks get
the tails of fragments reaching in, falling off over a fragment length.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ith.simulate.genome import N_CODE, TELOMERE_GAP, Genome

TARGET_COLUMNS = ["chrom", "start", "end", "gene", "efficiency"]  # 0-based, half-open


def make_targets(rng: np.random.Generator, genome: Genome, n_targets: int, target_length: tuple[int, int],
                 exons_per_gene: tuple[int, int], intron_length: tuple[int, int],
                 efficiency_sd: float) -> pd.DataFrame:
    """`n_targets` targets in genes (runs of `exons_per_gene` targets `intron_length` apart) placed
    at random over every contig, clear of N and of each other; efficiencies log-normal with
    `efficiency_sd`, scaled to mean 1 so the preset's depth is the mean on-target depth."""
    contigs = genome.contigs
    weights = np.array([float((c.seq != N_CODE).sum()) for c in contigs])
    taken = {c.name: np.zeros(c.length, dtype=bool) for c in contigs}
    rows: list[tuple[str, int, int, str]] = []
    n_genes = 0
    for _ in range(n_targets * 50):
        if len(rows) >= n_targets:
            break
        contig = contigs[int(rng.choice(len(contigs), p=weights / weights.sum()))]
        k = int(rng.integers(exons_per_gene[0], exons_per_gene[1] + 1))
        k = min(k, n_targets - len(rows))
        exons = rng.integers(target_length[0], target_length[1] + 1, k)
        # introns log-uniform: most short, a few long, as in genes
        introns = np.exp(rng.uniform(np.log(intron_length[0]), np.log(intron_length[1]), k - 1)).astype(np.int64)
        span = int(exons.sum() + introns.sum())
        lo, hi = TELOMERE_GAP + 1_000, contig.length - span - 1_000
        if hi <= lo:
            continue
        start = int(rng.integers(lo, hi))
        # genes keep 2 kb apart, so each target's flanks belong to its own gene
        window = slice(max(0, start - 2_000), start + span + 2_000)
        if taken[contig.name][window].any() or (contig.seq[start : start + span] == N_CODE).any():
            continue
        taken[contig.name][window] = True
        n_genes += 1
        offsets = np.concatenate([[0], np.cumsum(exons[:-1] + introns)])
        rows += [(contig.name, start + int(o), start + int(o + e), f"G{n_genes}") for o, e in zip(offsets, exons)]
    targets = pd.DataFrame(rows, columns=TARGET_COLUMNS[:4])
    rank = {c.name: i for i, c in enumerate(contigs)}
    targets = targets.iloc[np.lexsort((targets["start"].to_numpy(), targets["chrom"].map(rank).to_numpy()))]
    eff = np.exp(rng.normal(0.0, efficiency_sd, len(targets)))
    return targets.assign(efficiency=np.round(eff / eff.mean(), 4)).reset_index(drop=True)


def sample_efficiency(rng: np.random.Generator, targets: pd.DataFrame, sd: float) -> np.ndarray:
    """One library's efficiency per target: the kit's, times a log-normal library-to-library
    variation of mean 1 (what a matched normal does not cancel)."""
    jitter = np.exp(rng.normal(-sd * sd / 2, sd, len(targets))) if sd > 0 else np.ones(len(targets))
    return np.round(targets["efficiency"].to_numpy() * jitter, 4)


def target_mask(targets: pd.DataFrame, contig: str, length: int) -> np.ndarray:
    """Bases of `contig` inside a target."""
    t = targets[targets["chrom"] == contig]
    change = np.zeros(length + 1, dtype=np.int64)
    np.add.at(change, t["start"].to_numpy(), 1)
    np.add.at(change, t["end"].to_numpy(), -1)
    return np.cumsum(change[:-1]) > 0


def in_targets(targets: pd.DataFrame, chrom: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Whether each 0-based position lies inside a target (targets sorted and disjoint per contig)."""
    out = np.zeros(len(pos), dtype=bool)
    for name, t in targets.groupby("chrom", sort=False):
        here = chrom == name
        s, e = t["start"].to_numpy(), t["end"].to_numpy()
        i = np.searchsorted(s, pos[here], side="right") - 1
        out[here] = (i >= 0) & (pos[here] < e[np.clip(i, 0, None)])
    return out


def write_bed(targets: pd.DataFrame, path: str) -> None:
    """The kit's BED (chrom, start, end, gene), as a vendor ships it."""
    targets[["chrom", "start", "end", "gene"]].to_csv(path, sep="\t", header=False, index=False)
