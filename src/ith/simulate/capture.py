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

from ith.simulate.genome import N_CODE, TELOMERE_GAP, Genome, in_segdup_mask
from ith.simulate.tumour import Tumour

TARGET_COLUMNS = ["chrom", "start", "end", "gene", "efficiency"]  # 0-based, half-open


def make_targets(rng: np.random.Generator, genome: Genome, n_targets: int, target_length: tuple[int, int],
                 exons_per_gene: tuple[int, int], intron_length: tuple[int, int],
                 efficiency_sd: float, taken: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """`n_targets` targets in genes (runs of `exons_per_gene` targets `intron_length` apart) placed
    at random over every contig, clear of N, of each other and of the bases `taken` (updated);
    efficiencies log-normal with `efficiency_sd`, scaled to mean 1 so the preset's depth is the
    mean on-target depth."""
    contigs = genome.contigs
    weights = np.array([float((c.seq != N_CODE).sum()) for c in contigs])
    if taken is None:
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
    targets = _in_genome_order(pd.DataFrame(rows, columns=TARGET_COLUMNS[:4]), genome)
    eff = np.exp(rng.normal(0.0, efficiency_sd, len(targets)))
    return targets.assign(efficiency=np.round(eff / eff.mean(), 4))


def _in_genome_order(targets: pd.DataFrame, genome: Genome) -> pd.DataFrame:
    rank = {c.name: i for i, c in enumerate(genome.contigs)}
    order = np.lexsort((targets["start"].to_numpy(), targets["chrom"].map(rank).to_numpy()))
    return targets.iloc[order].reset_index(drop=True)


# A tumour-informed panel's design: which of a patient's mutations it targets.
DESIGN_SPACING = 1_000  # bp between two designed sites, so each has a target of its own


def design_sites(rng: np.random.Generator, genome: Genome, tumour: Tumour, n: int, truncal_share: float,
                 other: list[tuple[str, int]] = ()) -> list[int]:
    """Indices of the `n` SNVs of `tumour` a tumour-informed panel targets, as an assay designed
    from the tissue's sequencing picks them: SNVs only, outside segmental duplications (probes
    there capture the paralog), still carried by the clone that acquired them (not lost to a
    deletion), `truncal_share` of them truncal (every tumour cell carries those, so they measure
    the tumour fraction) and the rest subclonal, at least DESIGN_SPACING apart and from the
    `other` (contig, pos) sites other patients' designs hold."""
    dup = {c.name: in_segdup_mask(genome, c) for c in genome.contigs}
    ok = [i for i, s in enumerate(tumour.snvs)
          if not s.is_indel and not dup[s.contig][s.pos] and tumour.mut_copies[i, s.clone] > 0]
    truncal = [i for i in ok if tumour.snvs[i].clone == 0]
    subclonal = [i for i in ok if tumour.snvs[i].clone != 0]
    truncal = [truncal[i] for i in rng.permutation(len(truncal))]
    subclonal = [subclonal[i] for i in rng.permutation(len(subclonal))]
    picked: list[int] = []
    held = list(other)

    def take(pool: list[int], upto: int) -> None:
        for i in pool:
            if len(picked) >= upto:
                return
            s = tumour.snvs[i]
            if i not in picked and all(c != s.contig or abs(p - s.pos) >= DESIGN_SPACING for c, p in held):
                picked.append(i)
                held.append((s.contig, s.pos))

    # truncal up to their share, then subclonal; a shortfall of either is made up from the other
    take(truncal, int(round(n * truncal_share)))
    take(subclonal, n)
    take(truncal, n)
    return sorted(picked)


def panel_targets(rng: np.random.Generator, genome: Genome, designed: dict[str, list[tuple[str, int, str]]],
                  n_targets: int, n_snp_targets: int, target_length: tuple[int, int],
                  exons_per_gene: tuple[int, int], intron_length: tuple[int, int],
                  efficiency_sd: float) -> pd.DataFrame:
    """A tumour-informed panel kit for a cohort: one target over each designed site (patient ->
    [(contig, 0-based pos, mutation id)], the site at a random place in its middle half), one
    over each of `n_snp_targets` common population SNPs (allele frequency 0.2-0.8: heterozygous
    in many patients, for allele balance and sample identity), and genes as in an exome up to
    `n_targets` in all. Columns of make_targets plus design (mutation / snp / backbone),
    patient and mutation_id (of a mutation target)."""
    taken = {c.name: np.zeros(c.length, dtype=bool) for c in genome.contigs}
    rows: list[tuple] = []

    def place(contig: str, pos: int, gene: str, design: str, patient: str = "", mutation_id: str = "") -> bool:
        length = int(rng.integers(target_length[0], target_length[1] + 1))
        start = pos - int(rng.integers(length // 4, 3 * length // 4 + 1))
        if start < 0 or start + length > len(taken[contig]) or taken[contig][start : start + length].any():
            return False
        taken[contig][max(0, start - DESIGN_SPACING // 2) : start + length + DESIGN_SPACING // 2] = True
        rows.append((contig, start, start + length, gene, design, patient, mutation_id))
        return True

    for patient, sites in designed.items():
        for k, (contig, pos, mid) in enumerate(sites):
            if not place(contig, pos, f"{patient}_M{k + 1}", "mutation", patient, mid):
                raise ValueError(f"designed site {mid} of {patient} overlaps another target")
    snps = [s for s in genome.snps if 0.2 <= s.af <= 0.8]
    n_snp = 0
    for i in rng.permutation(len(snps)):
        if n_snp >= n_snp_targets:
            break
        n_snp += place(snps[i].contig, snps[i].pos, f"SNP{n_snp + 1}", "snp")
    genes = make_targets(rng, genome, max(0, n_targets - len(rows)), target_length, exons_per_gene, intron_length,
                         0.0, taken)
    cols = TARGET_COLUMNS[:4] + ["design", "patient", "mutation_id"]
    targets = pd.concat([pd.DataFrame(rows, columns=cols),
                         genes[TARGET_COLUMNS[:4]].assign(design="backbone", patient="", mutation_id="")],
                        ignore_index=True)
    targets = _in_genome_order(targets, genome)
    eff = np.exp(rng.normal(0.0, efficiency_sd, len(targets)))
    targets.insert(4, "efficiency", np.round(eff / eff.mean(), 4))
    return targets


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
