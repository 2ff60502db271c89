"""Clonal haematopoiesis (CH) in the simulated blood: somatic variants of the patient's white
cells, in its blood normal (buffy coat) at a low VAF and in its plasma at their blood-derived
fraction, never in the tumour.

A CH variant is heterozygous in a blood clone of 2 x VAF of the white cells: every fragment
from the normal cells of a normal or plasma sample carries it with probability VAF (all normal
cfDNA is taken as blood-derived, so a plasma's CH VAF is its blood VAF diluted by the ctDNA);
a tissue sample's normal cells carry it only as far as they are blood (`ch_infiltrate` of
them: blood infiltrate; stroma does not). Off unless the preset asks for it
(`ch_variants`), so existing cohorts stay byte-identical: every draw uses its own generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ith.simulate.genome import N_CODE, Genome

# the genes most CH variants in plasma fall in (design.md, section 7); names only: the
# simulated genome has no real genes, so each CH variant gets one and a region around it
CH_GENES = ("DNMT3A", "TET2", "ASXL1", "PPM1D", "JAK2", "TP53", "SF3B1", "SRSF2", "GNAS", "CBL")
BASES = "ACGT"
REGION_FLANK = 500  # bp each side of a CH variant in its gene region (a whole genome's)


@dataclass(frozen=True)
class ChVariant:
    contig: str
    pos: int  # 0-based
    ref: int
    alt: int
    vaf: float  # in the blood normal
    gene: str
    region: tuple[int, int]  # its gene region, 0-based half-open

    @property
    def mutation_id(self) -> str:
        return f"{self.contig}:{self.pos + 1}:{BASES[self.ref]}:{BASES[self.alt]}"


def draw_ch(rng: np.random.Generator, genome: Genome, taken: dict[str, set[int]], n: int,
            vaf: tuple[float, float], targets: pd.DataFrame | None = None) -> list[ChVariant]:
    """n CH variants at positions free of germline and somatic variants, N and segmental
    duplications, on the autosomes; with capture `targets`, inside its gene targets (a panel's
    backbone, an exome's genes) so that they are sequenced. VAFs uniform in `vaf`."""
    forbidden = {c.name: np.zeros(c.length, dtype=bool) for c in genome.contigs}
    for d in genome.segdups:
        forbidden[d.contig][d.src:d.src + d.length] = True
        forbidden[d.contig][d.dst:d.dst + d.length] = True
    for c in genome.contigs:
        forbidden[c.name] |= c.seq == N_CODE
        for p in taken.get(c.name, ()):
            forbidden[c.name][max(0, p - 2):p + 3] = True
    if targets is not None:
        t = targets[targets["design"] == "backbone"] if "design" in targets else targets
        pool = [(str(r.chrom), int(r.start) + 20, int(r.end) - 20, (int(r.start), int(r.end)))
                for r in t.itertuples(index=False) if r.end - r.start > 60]
    else:
        pool = [(c.name, 0, c.length, None) for c in genome.contigs if c.kind == "autosome"]
    out: list[ChVariant] = []
    used_regions: set[tuple] = set()
    for _ in range(100 * max(n, 1)):
        if len(out) >= n:
            break
        contig, lo, hi, region = pool[int(rng.integers(0, len(pool)))]
        if (contig, region) in used_regions and region is not None:
            continue
        pos = int(rng.integers(lo, hi))
        if forbidden[contig][pos]:
            continue
        ref = int(genome.contig(contig).seq[pos])
        alt = int((ref + rng.integers(1, 4)) % 4)
        length = genome.contig(contig).length
        reg = region if region is not None else (max(0, pos - REGION_FLANK), min(length, pos + REGION_FLANK + 1))
        out.append(ChVariant(contig, pos, ref, alt, round(float(rng.uniform(*vaf)), 4), CH_GENES[len(out) % len(CH_GENES)],
                             reg))
        used_regions.add((contig, region))
        forbidden[contig][max(0, pos - 200):pos + 200] = True
    if len(out) < n:
        raise ValueError(f"only {len(out)} of {n} CH variants could be placed")
    return out


def ch_alleles(rng: np.random.Generator, variants: list[ChVariant], contig: str, frag: dict[str, np.ndarray],
               max_fragment: int, blood_share: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fragment, position, base) of every CH allele the contig's fragments (in start order)
    carry: fragments of the normal cells (pop 0) over a variant, each with probability its VAF
    times the share of those cells that are blood cells (1 in a normal or plasma; a tissue
    sample's blood infiltrate)."""
    fs, ps, bs = [], [], []
    start, end = frag["start"], frag["start"] + frag["length"]
    for v in variants:
        if v.contig != contig:
            continue
        lo = int(np.searchsorted(start, v.pos - max_fragment + 1))
        hi = int(np.searchsorted(start, v.pos, side="right"))
        f = np.arange(lo, hi)
        f = f[(end[f] > v.pos) & (frag["pop"][f] == 0)]
        f = f[rng.random(len(f)) < v.vaf * blood_share]
        fs.append(f)
        ps.append(np.full(len(f), v.pos, dtype=np.int64))
        bs.append(np.full(len(f), v.alt, dtype=np.int64))
    if not fs:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    return np.concatenate(fs), np.concatenate(ps), np.concatenate(bs)


def ch_table(patient_id: str, variants: list[ChVariant], specs: list, normal_share: list[np.ndarray],
             infiltrate: float = 0.0) -> pd.DataFrame:
    """truth/<patient>/ch.tsv: each CH variant in each sample with its expected VAF (the blood
    VAF in the normal, diluted by the ctDNA's share of the DNA at the site in plasma, 0 in
    tissue, or the blood infiltrate's: `infiltrate` of a region's normal cells). normal_share:
    per sample, the normal cells' share of the DNA at each variant."""
    rows = []
    for v_i, v in enumerate(variants):
        for s_i, s in enumerate(specs):
            carries = 1.0 if s.type in ("normal", "plasma") else infiltrate
            rows.append(dict(patient=patient_id, mutation_id=v.mutation_id, chrom=v.contig, pos=v.pos + 1,
                             ref=BASES[v.ref], alt=BASES[v.alt], gene=v.gene, blood_vaf=v.vaf, sample=s.sample,
                             type=s.type,
                             expected_vaf=round(v.vaf * carries * float(normal_share[s_i][v_i]), 6)))
    return pd.DataFrame(rows)


def ch_regions_bed(variants: list[ChVariant]) -> pd.DataFrame:
    """The CH gene regions of the cohort (chrom, start0, end, gene), one per variant, in order."""
    rows = sorted({(v.contig, v.region[0], v.region[1], v.gene) for v in variants})
    return pd.DataFrame(rows, columns=["chrom", "start", "end", "name"])
