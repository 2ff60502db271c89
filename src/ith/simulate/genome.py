"""The simulated reference genome: GC isochores, N gaps, segmental duplications, common SNPs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BASES = np.frombuffer(b"ACGTN", dtype=np.uint8)
N_CODE = 4
TELOMERE_GAP = 2_000  # bp of N at each contig start, as in real assemblies


@dataclass
class Contig:
    name: str
    seq: np.ndarray  # uint8 codes A=0 C=1 G=2 T=3 N=4
    kind: str  # "autosome", "X" or "Y"

    @property
    def length(self) -> int:
        return len(self.seq)


@dataclass
class SegDup:
    """A duplicated segment: [src, src+length) copied to [dst, dst+length) on the same contig."""

    contig: str
    src: int
    dst: int
    length: int


@dataclass
class PopulationSnp:
    contig: str
    pos: int  # 0-based
    ref: int
    alt: int
    af: float


@dataclass
class Genome:
    contigs: list[Contig]
    segdups: list[SegDup]
    snps: list[PopulationSnp]

    def contig(self, name: str) -> Contig:
        for c in self.contigs:
            if c.name == name:
                return c
        raise KeyError(name)


def _isochore_sequence(rng: np.random.Generator, length: int) -> np.ndarray:
    """Random sequence whose GC fraction drifts between isochore-like blocks (10-80 kb)."""
    gc = np.empty(length)
    start = 0
    while start < length:
        block = int(rng.integers(10_000, 80_000))
        gc[start : start + block] = np.clip(rng.normal(0.42, 0.07), 0.28, 0.62)
        start += block
    # Smooth the block edges over ~2 kb so GC varies within bins too.
    kernel = np.ones(2001) / 2001
    gc = np.convolve(np.pad(gc, 1000, mode="edge"), kernel, mode="valid")
    u = rng.random(length)
    strong = u < gc  # G or C
    second = rng.random(length) < 0.5
    seq = np.where(strong, np.where(second, 2, 1), np.where(second, 3, 0)).astype(np.uint8)
    return seq


def _add_segdups(rng: np.random.Generator, contig: Contig, per_mb: float) -> list[SegDup]:
    n = max(1, int(round(per_mb * contig.length / 1e6)))
    dups: list[SegDup] = []
    taken = np.zeros(contig.length, dtype=bool)
    taken[:TELOMERE_GAP + 1000] = True
    for _ in range(n * 20):
        if len(dups) == n:
            break
        length = int(rng.integers(2_000, 6_000))
        src, dst = (int(x) for x in rng.integers(TELOMERE_GAP, contig.length - length, 2))
        if abs(src - dst) < length or taken[src : src + length].any() or taken[dst : dst + length].any():
            continue
        copy = contig.seq[src : src + length].copy()
        # Paralogous sequence variants: ~1.5% divergence, what makes mismapped reads look like SNVs.
        diverged = rng.random(length) < 0.015
        copy[diverged] = (copy[diverged] + rng.integers(1, 4, diverged.sum())) % 4
        contig.seq[dst : dst + length] = copy
        taken[src : src + length] = True
        taken[dst : dst + length] = True
        dups.append(SegDup(contig.name, src, dst, length))
    return dups


def _population_snps(rng: np.random.Generator, contig: Contig, forbidden: np.ndarray) -> list[PopulationSnp]:
    """Common SNPs (~1 per 400 bp), most at low allele frequency as in population panels."""
    candidates = np.flatnonzero(~forbidden & (contig.seq != N_CODE))
    n = int(len(candidates) / 400)
    pos = np.sort(rng.choice(candidates, n, replace=False))
    af = np.clip(rng.beta(0.5, 1.0, n), 0.01, 0.99)
    ref = contig.seq[pos]
    # Transitions twice as common as transversions.
    transition = {0: 2, 2: 0, 1: 3, 3: 1}
    alt = np.array([transition[int(r)] if rng.random() < 0.67 else int((r + rng.choice([1, 3])) % 4) for r in ref])
    alt = np.where(alt == ref, (ref + 1) % 4, alt)
    return [PopulationSnp(contig.name, int(p), int(r), int(a), float(f)) for p, r, a, f in zip(pos, ref, alt, af)]


def make_genome(rng: np.random.Generator, autosomes: tuple[int, ...], x_len: int, y_len: int, segdups_per_mb: float) -> Genome:
    specs = [(f"chr{i + 1}", n, "autosome") for i, n in enumerate(autosomes)] + [("chrX", x_len, "X"), ("chrY", y_len, "Y")]
    contigs, dups, snps = [], [], []
    for name, length, kind in specs:
        seq = _isochore_sequence(rng, length)
        seq[:TELOMERE_GAP] = N_CODE
        contig = Contig(name, seq, kind)
        contigs.append(contig)
        contig_dups = _add_segdups(rng, contig, segdups_per_mb)
        dups += contig_dups
        in_dup = np.zeros(length, dtype=bool)
        for d in contig_dups:
            in_dup[d.src : d.src + d.length] = True
            in_dup[d.dst : d.dst + d.length] = True
        snps += _population_snps(rng, contig, in_dup)
    return Genome(contigs, dups, snps)


def write_fasta(genome: Genome, path: str, width: int = 60) -> None:
    """FASTA plus a samtools-compatible .fai written alongside."""
    fai = []
    offset = 0
    with open(path, "wb") as fh:
        for c in genome.contigs:
            head = f">{c.name}\n".encode()
            fh.write(head)
            offset += len(head)
            text = BASES[c.seq].tobytes()
            lines = [text[i : i + width] for i in range(0, len(text), width)]
            body = b"\n".join(lines) + b"\n"
            fh.write(body)
            fai.append(f"{c.name}\t{c.length}\t{offset}\t{width}\t{width + 1}\n")
            offset += len(body)
    with open(path + ".fai", "w") as fh:
        fh.writelines(fai)


def in_segdup_mask(genome: Genome, contig: Contig) -> np.ndarray:
    mask = np.zeros(contig.length, dtype=bool)
    for d in genome.segdups:
        if d.contig == contig.name:
            mask[d.src : d.src + d.length] = True
            mask[d.dst : d.dst + d.length] = True
    return mask
