"""Paired-end reads of one sample, written straight to a coordinate-sorted BAM.

Per contig: fragments are drawn per copy-number cell in proportion to the DNA each cell
population (normal, clones) and haplotype contributes there, thinned by a GC-bias curve, given
lengths (tissue ~300 bp; cfDNA nucleosomal, tumour-derived shorter and, as each genome copy is
tiled by its fragments, proportionally more numerous), alleles (germline by
haplotype, somatic by the carrying copies of the fragment's clone), PCR duplicates (flagged),
paralog mismapping in segmental duplications (MAPQ 0), per-cycle base qualities and the
substitution errors those qualities imply. A capture library (exome, panel) draws its fragments
on the kit's targets instead, plus a thin background everywhere (simulate/capture.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ith import __version__
from ith.io.bamwrite import (FLAG_DUPLICATE, FLAG_MATE_REVERSE, FLAG_PAIRED, FLAG_PROPER, FLAG_READ1,
                             FLAG_READ2, FLAG_REVERSE, BamWriter, ReadBatch)
from ith.simulate.ch import ch_alleles
from ith.simulate.genome import N_CODE, Contig, Genome
from ith.simulate.samples import SampleSpec
from ith.simulate.tumour import CN_CELL, Patient

QUALITIES = np.array([37, 25, 12, 2], dtype=np.uint8)
ERROR_PROB = (10.0 ** (-QUALITIES.astype(float) / 10.0)).astype(np.float32)
BATCH_READS = 200_000
MAX_FRAGMENT = 700
# Orientation artefacts (codes A0 C1 G2 T3 on the + strand): mode -> ((ref, alt) on F1R2 fragments,
# (ref, alt) on F2R1 fragments). A fragment is F1R2 when its read 1 is the forward read. Formalin
# deaminates C on the strand read 1 copies (C>T on F1R2, hence G>A on F2R1); 8-oxoG on the strand
# read 1 copies reads G>T on F1R2 (C>A on F2R1).
ARTEFACTS = {"ffpe": ((1, 3), (2, 0)), "oxog": ((2, 3), (1, 0))}
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _uniform_hash(a: np.ndarray, b: np.ndarray, salt: int) -> np.ndarray:
    """A uniform [0, 1) value per (a, b) pair (splitmix64 of both), the same wherever the pair
    is met: both mates of a fragment see the same draw at a base they share."""
    with np.errstate(over="ignore"):
        x = (a.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ b.astype(np.uint64) ^ np.uint64(salt)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


@dataclass(frozen=True, eq=False)
class CaptureModel:
    """Where a capture library's fragments come from: per contig its targets (0-based half-open,
    sorted, disjoint) with this library's efficiency of each, and the share of fragments that
    land anywhere in the genome instead (off target)."""

    targets: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # contig -> starts, ends, efficiencies
    off_target_fraction: float


@dataclass(frozen=True)
class ReadModel:
    read_length: int
    depth: float  # mean autosomal depth; with `capture`, the mean depth inside the targets
    duplicate_rate: float
    plasma: bool
    tissue_fragment: tuple[float, float]
    gc_center: float
    gc_width: float
    capture: CaptureModel | None = None


def _quality_cdf(length: int) -> np.ndarray:
    """Per-cycle cumulative probabilities of Q37/Q25/Q12/Q2: quality decays along the read."""
    x = np.arange(length) / length
    p2, p12, p25 = 0.001 + 0.004 * x, 0.01 + 0.02 * x, 0.04 + 0.06 * x
    p37 = 1 - p2 - p12 - p25
    return np.cumsum(np.stack([p37, p25, p12, p2], axis=1), axis=1).astype(np.float32)


# cfDNA lengths: a mono-nucleosome peak ~167 bp, a sub-nucleosomal shoulder and di-nucleosomes;
# ctDNA ~20 bp shorter (rows: normal, tumour; columns: the three components)
PLASMA_SHARE = np.array([0.85, 0.07, 0.08])
PLASMA_MEAN = np.array([[167.0, 145.0, 332.0], [148.0, 125.0, 315.0]])
PLASMA_SD = np.array([[11.0, 9.0, 25.0], [14.0, 10.0, 25.0]])


def plasma_mean_length(tumour: bool, read_length: int) -> float:
    """Mean length of fragment_lengths' plasma fragments (the mixture kept between the read
    length and MAX_FRAGMENT)."""
    from scipy import stats

    mu, sd = PLASMA_MEAN[int(tumour)], PLASMA_SD[int(tumour)]
    a, b = (read_length - 0.5 - mu) / sd, (MAX_FRAGMENT + 0.5 - mu) / sd
    mass = stats.norm.cdf(b) - stats.norm.cdf(a)
    first = mu * mass + sd * (stats.norm.pdf(a) - stats.norm.pdf(b))
    return float((PLASMA_SHARE * first).sum() / (PLASMA_SHARE * mass).sum())


def fragment_lengths(rng: np.random.Generator, tumour: np.ndarray, model: ReadModel) -> np.ndarray:
    n = len(tumour)
    min_len = model.read_length
    out = np.zeros(n, dtype=np.int64)
    todo = np.arange(n)
    while len(todo):
        if model.plasma:
            comp = rng.choice(3, len(todo), p=PLASMA_SHARE)
            shift = np.where(tumour[todo], 1, 0)
            draw = rng.normal(PLASMA_MEAN[shift, comp], PLASMA_SD[shift, comp])
        else:
            draw = rng.normal(model.tissue_fragment[0], model.tissue_fragment[1], len(todo))
        draw = np.rint(draw).astype(np.int64)
        ok = (draw >= min_len) & (draw <= MAX_FRAGMENT)
        out[todo[ok]] = draw[ok]
        todo = todo[~ok]
    return out


def _gc_accept(gc: np.ndarray, model: ReadModel) -> np.ndarray:
    return np.exp(-0.5 * ((gc - model.gc_center) / model.gc_width) ** 2)


def _effective_cell_length(contig: Contig, n_cum: np.ndarray) -> np.ndarray:
    """Bases that are not N in each copy-number cell (n_cum: cumulative count of N)."""
    n_cells = -(-contig.length // CN_CELL)
    edges = np.minimum(np.arange(n_cells + 1) * CN_CELL, contig.length)
    return (np.diff(edges) - np.diff(n_cum[edges])).astype(float)


def _weights(patient: Patient, fractions: np.ndarray, contig: str, contaminated: bool) -> np.ndarray:
    """(populations, cells, haplotypes) DNA contributed: cell fraction x copies; a contaminant,
    last, has the normal copies of the patient's sex."""
    t = patient.tumour
    parts = [t.baseline[contig][None], t.copies[contig]] + ([t.baseline[contig][None]] if contaminated else [])
    return fractions[:, None, None] * np.concatenate(parts, axis=0)


def contaminant_weight(genome: Genome, patient: Patient, spec: SampleSpec) -> float:
    """The contaminant's cells per cell of the person's (normal and tumour) such that it makes up
    `spec.contamination` of the sample's autosomal DNA: w 2 / (w 2 + D) = c, D the person's
    mean copies per base of autosome in this sample (tumour copy number included)."""
    c = spec.contamination
    if c <= 0:
        return 0.0
    fractions = np.concatenate([[1.0 - spec.purity], spec.purity * spec.clone_props])
    dna = length = 0.0
    for contig in genome.contigs:
        if contig.kind == "autosome":
            eff = _effective_cell_length(contig, np.concatenate([[0], np.cumsum(contig.seq == N_CODE)]))
            dna += float((_weights(patient, fractions, contig.name, False).sum(axis=(0, 2)) * eff).sum())
            length += float(eff.sum())
    return c / (1 - c) * (dna / length) / 2


class SampleReads:
    """Holds what is shared across a sample's contigs (rates, GC normalisation)."""

    def __init__(self, genome: Genome, patient: Patient, spec: SampleSpec, model: ReadModel, seed: list[int]):
        self.genome = genome
        self.patient = patient
        self.spec = spec
        self.model = model
        self.seed = seed
        # share of a tissue sample's normal cells that are blood cells, carrying the blood's CH
        self.ch_infiltrate = float(patient.notes.get("ch_infiltrate", 0.0))
        self._cumsums = {c.name: self._cumsum(c) for c in genome.contigs}
        self.fractions = np.concatenate([[1.0 - spec.purity], spec.purity * spec.clone_props])
        if model.plasma:
            # a plasma genome copy is there whole, cut into fragments: its DNA is tiled by them,
            # so the shorter tumour fragments are the more numerous, in proportion to 1 / mean
            # length (spec.purity counts genome copies, the share of the DNA)
            self.fractions[1:] *= (plasma_mean_length(False, model.read_length)
                                   / plasma_mean_length(True, model.read_length))
        # a contaminated sample has one more population, last: another person's normal cells
        self.contaminant_pop = -1
        if spec.contamination > 0:
            w = contaminant_weight(genome, patient, spec)
            self.fractions = np.concatenate([self.fractions, [w]])
            self.contaminant_pop = len(self.fractions) - 1
        rng = np.random.default_rng(seed + [999_999])
        self.rate = self._fragment_rate() / self._mean_gc_accept(rng)
        # fragments drawn per origin, for the truth: captured on a target, or background
        self.fragment_counts = {"captured": 0, "background": 0}
        # orientation artefacts put in the reads: (contig, position, alt, read name, duplicate)
        self.artefact_events: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        if model.capture is not None:
            self.background_rate = self._background_rate(model.capture)

    @staticmethod
    def _cumsum(c: Contig) -> tuple[np.ndarray, np.ndarray]:
        gc = np.concatenate([[0], np.cumsum((c.seq == 1) | (c.seq == 2))])
        n = np.concatenate([[0], np.cumsum(c.seq == N_CODE)])
        return gc, n

    def weights(self, contig: Contig) -> np.ndarray:
        """(populations, cells, haplotypes) DNA contributed: cell fraction x copies."""
        return _weights(self.patient, self.fractions, contig.name, self.contaminant_pop >= 0)

    def _tumour(self, pop: np.ndarray) -> np.ndarray:
        """Fragments of tumour cells (not the person's normal cells, nor a contaminant's)."""
        return (pop > 0) & (pop != self.contaminant_pop)

    def _effective_cell_length(self, contig: Contig) -> np.ndarray:
        return _effective_cell_length(contig, self._cumsums[contig.name][1])

    def _fragment_rate(self) -> float:
        dna = length = 0.0
        for c in self.genome.contigs:
            if c.kind == "autosome":
                eff = self._effective_cell_length(c)
                dna += float((self.weights(c).sum(axis=(0, 2)) * eff).sum())
                length += float(eff.sum())
        # fragments per bp per unit of DNA such that the autosomal mean depth is `depth`
        return self.model.depth / (2 * self.model.read_length) / (dna / length)

    def _mean_fragment(self) -> float:
        return 170.0 if self.model.plasma else self.model.tissue_fragment[0]

    def _background_rate(self, capture: CaptureModel) -> float:
        """Fragments per bp per unit of DNA landing anywhere, such that they are
        `off_target_fraction` of all: a target draws about rate x efficiency x (its length + a
        fragment length) fragments, the background its rate x the genome's sequence length."""
        captured = sum(float((eff * (e - s + self._mean_fragment())).sum()) for s, e, eff in capture.targets.values())
        genome = sum(float(self._effective_cell_length(c).sum()) for c in self.genome.contigs)
        f = capture.off_target_fraction
        return self.rate * f / (1 - f) * captured / genome

    def _mean_gc_accept(self, rng: np.random.Generator) -> float:
        auto = [c for c in self.genome.contigs if c.kind == "autosome"]
        vals = []
        for c in auto:
            gc_cum, n_cum = self._cumsums[c.name]
            start = rng.integers(0, c.length - 400, 5000)
            ln = 170 if self.model.plasma else int(self.model.tissue_fragment[0])
            ok = n_cum[start + ln] == n_cum[start]
            gc = (gc_cum[start + ln] - gc_cum[start])[ok] / ln
            vals.append(_gc_accept(gc, self.model))
        return float(np.concatenate(vals).mean())

    # -- fragments ---------------------------------------------------------------------------
    def fragments(self, rng: np.random.Generator, contig: Contig) -> dict[str, np.ndarray]:
        """The contig's fragments in start order: from everywhere (a whole genome), or captured
        on the targets plus a thin background from everywhere (exome, panel)."""
        if self.model.capture is None:
            return self._everywhere(rng, contig, self.rate)
        parts = [self._everywhere(rng, contig, self.background_rate), self._captured(rng, contig)]
        self.fragment_counts["background"] += len(parts[0]["start"])
        self.fragment_counts["captured"] += len(parts[1]["start"])
        merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        order = np.argsort(merged["start"], kind="stable")
        return {k: v[order] for k, v in merged.items()}

    def _populations(self, rng: np.random.Generator, w: np.ndarray, per_cell: np.ndarray,
                     cell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cell population (0 normal, 1+ clones) and haplotype of fragments in `cell`, in
        proportion to the DNA each contributes there."""
        n_pop = w.shape[0]
        probs = w.transpose(1, 0, 2).reshape(len(per_cell), n_pop * 2)
        with np.errstate(invalid="ignore", divide="ignore"):
            cum = np.cumsum(probs, axis=1) / per_cell[:, None]
        choice = (rng.random(len(cell))[:, None] > cum[cell]).sum(axis=1)
        choice = np.minimum(choice, n_pop * 2 - 1)
        return choice // 2, choice % 2

    def _kept(self, rng: np.random.Generator, contig: Contig, start, length, pop, hap,
              ok: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Fragments inside the contig, free of N and surviving the GC bias, in start order."""
        end = start + length
        gc_cum, n_cum = self._cumsums[contig.name]
        inside = end <= contig.length if ok is None else ok & (end <= contig.length)
        start, end, length, pop, hap = start[inside], end[inside], length[inside], pop[inside], hap[inside]
        ok = n_cum[end] == n_cum[start]
        gc = (gc_cum[end] - gc_cum[start]) / length
        ok &= rng.random(len(start)) < _gc_accept(gc, self.model)
        order = np.argsort(start[ok], kind="stable")
        return {k: v[ok][order] for k, v in dict(start=start, length=length, pop=pop, hap=hap).items()}

    def _everywhere(self, rng: np.random.Generator, contig: Contig, rate: float) -> dict[str, np.ndarray]:
        w = self.weights(contig)
        per_cell = w.sum(axis=(0, 2))
        lam = rate * per_cell * self._effective_cell_length(contig)
        counts = rng.poisson(lam)
        cell = np.repeat(np.arange(len(counts)), counts)
        pop, hap = self._populations(rng, w, per_cell, cell)
        length = fragment_lengths(rng, self._tumour(pop), self.model)
        start = cell * CN_CELL + rng.integers(0, CN_CELL, len(cell))
        return self._kept(rng, contig, start, length, pop, hap)

    def _captured(self, rng: np.random.Generator, contig: Contig) -> dict[str, np.ndarray]:
        """Fragments overlapping a target, each drawn once, by the first target it overlaps, at
        that target's efficiency: starts uniform over [target start - longest fragment, target
        end), more where the cells hold more DNA (drawn at the window's most, thinned to each
        fragment's own cell)."""
        s, e, eff = self.model.capture.targets.get(contig.name, (np.zeros(0, np.int64),) * 2 + (np.zeros(0),))
        w = self.weights(contig)
        per_cell = w.sum(axis=(0, 2))
        lo = np.maximum(s - MAX_FRAGMENT + 1, 0)
        c_lo, c_hi = lo // CN_CELL, (e - 1) // CN_CELL
        most = per_cell[c_lo]
        for k in range(1, int((c_hi - c_lo).max(initial=0)) + 1):
            most = np.maximum(most, per_cell[np.minimum(c_lo + k, c_hi)])
        counts = rng.poisson(self.rate * eff * (e - lo) * most)
        t = np.repeat(np.arange(len(s)), counts)
        start = lo[t] + (rng.random(len(t)) * (e - lo)[t]).astype(np.int64)
        cell = start // CN_CELL
        with np.errstate(invalid="ignore", divide="ignore"):
            thin = rng.random(len(t)) < per_cell[cell] / most[t]
        t, start, cell = t[thin], start[thin], cell[thin]
        pop, hap = self._populations(rng, w, per_cell, cell)
        length = fragment_lengths(rng, self._tumour(pop), self.model)
        prev_end = np.concatenate([[-1], e[:-1]])
        # reaches its own target, and not back into the one before (whose draw has it)
        ok = (start + length > s[t]) & (start >= prev_end[t])
        return self._kept(rng, contig, start, length, pop, hap, ok)

    def alleles(self, rng: np.random.Generator, contig: Contig, frag: dict[str, np.ndarray]):
        """((fragment, position, base) for every substituted base a fragment carries,
        (fragment, mutation index) for every indel it carries)."""
        g = self.patient.germline
        t = self.patient.tumour
        snv_idx = np.array([i for i, s in enumerate(t.snvs) if s.contig == contig.name], dtype=np.int64)
        s_pos = np.array([t.snvs[i].pos for i in snv_idx], dtype=np.int64)
        s_alt = np.array([t.snvs[i].alt for i in snv_idx], dtype=np.int64)
        s_hap = np.array([t.snvs[i].hap for i in snv_idx], dtype=np.int64)
        k = self.spec.contaminant
        k_pos = k.pos[contig.name] if k is not None else np.zeros(0, np.int64)
        k_alt = k.alt[contig.name] if k is not None else np.zeros(0, np.int64)
        v_pos = np.concatenate([g.pos[contig.name], s_pos, k_pos])
        v_alt = np.concatenate([g.alt[contig.name], s_alt, k_alt])
        n_germ = len(g.pos[contig.name])
        n_person = n_germ + len(s_pos)  # the contaminant's variants come last
        start, end = frag["start"], frag["start"] + frag["length"]
        lo = np.searchsorted(start, v_pos - MAX_FRAGMENT + 1)
        hi = np.searchsorted(start, v_pos, side="right")
        n = hi - lo
        var = np.repeat(np.arange(len(v_pos)), n)
        f = np.repeat(lo, n) + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        keep = end[f] > v_pos[var]
        var, f = var[keep], f[keep]
        hap, pop = frag["hap"][f], frag["pop"][f]
        carry = np.zeros(len(f), dtype=bool)
        germ = var < n_germ
        carry[germ] = g.hap[contig.name][var[germ], hap[germ]] == 1
        som = ~germ
        if k is not None:
            # a contaminant's fragment carries its alleles only, the person's none of them
            other = pop == self.contaminant_pop
            con = var >= n_person
            carry[germ] &= ~other[germ]
            carry[con] = other[con] & (k.hap[contig.name][var[con] - n_person, hap[con]] == 1)
            som &= ~con
        si = var[som] - n_germ
        clone = pop[som] - 1
        tumour_frag = self._tumour(pop[som])
        p = np.zeros(len(si))
        cells = s_pos[si] // CN_CELL
        ci = np.where(tumour_frag, clone, 0)
        mut = t.mut_copies[snv_idx[si], ci].astype(float)
        hap_copies = t.copies[contig.name][ci, cells, s_hap[si]].astype(float)
        on_hap = tumour_frag & (hap[som] == s_hap[si]) & (hap_copies > 0)
        p[on_hap] = mut[on_hap] / hap_copies[on_hap]
        carry[som] = rng.random(len(si)) < p
        is_indel = np.zeros(len(f), dtype=bool)
        indel_of_snv = np.array([t.snvs[i].is_indel for i in snv_idx], dtype=bool)
        is_indel[som] = indel_of_snv[si] if len(si) else False
        base = carry & ~is_indel
        ind = carry & is_indel
        return (f[base], v_pos[var[base]], v_alt[var[base]]), (f[ind], snv_idx[var[ind] - n_germ])

    def write_bam(self, path: str, threads: int = 1) -> int:
        m = self.model
        contigs = [(c.name, c.length) for c in self.genome.contigs]
        header = "@HD\tVN:1.6\tSO:coordinate\n" + "".join(f"@SQ\tSN:{n}\tLN:{ln}\n" for n, ln in contigs)
        header += f"@RG\tID:{self.spec.sample}\tSM:{self.spec.sample}\tLB:{self.spec.sample}.lib\tPL:ILLUMINA\n"
        header += f"@PG\tID:ith-simulate\tPN:ith\tVN:{__version__}\n"
        writer = BamWriter(path, header, contigs, self.spec.sample, f"{self.patient.id}.{self.spec.sample}.", threads=threads)
        next_name = 0
        qcdf = _quality_cdf(m.read_length)
        for ci, contig in enumerate(self.genome.contigs):
            rng = np.random.default_rng(self.seed + [ci])
            frag = self.fragments(rng, contig)
            subs, indels = self.alleles(rng, contig, frag)
            blood = 1.0 if self.spec.type in ("normal", "plasma") else self.ch_infiltrate
            if self.patient.ch and blood > 0:  # blood cells' CH variants
                extra = ch_alleles(np.random.default_rng(self.seed + [ci, 6]), self.patient.ch, contig.name, frag,
                                   MAX_FRAGMENT, blood)
                subs = tuple(np.concatenate([a, b.astype(a.dtype)]) for a, b in zip(subs, extra))
            frag, subs, indels = self._duplicate(rng, frag, subs, indels)
            reads = self._pair_reads(rng, contig, frag, next_name)
            next_name += len(frag["start"])
            self._write_reads(rng, writer, ci, contig, reads, frag, subs, indels, qcdf)
        writer.close()
        return writer.n_written

    def _duplicate(self, rng, frag, subs, indels):
        """PCR duplicates: copies of a fragment carry its alleles; fragments stay in start order."""
        n = len(frag["start"])
        src = np.flatnonzero(rng.random(n) < self.model.duplicate_rate)
        idx = np.concatenate([np.arange(n), src])
        out = {k: v[idx] for k, v in frag.items()}
        out["dup"] = np.concatenate([np.zeros(n, bool), np.ones(len(src), bool)])
        copy_of = np.full(n, -1)
        copy_of[src] = n + np.arange(len(src))
        order = np.argsort(out["start"], kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        out = {k: v[order] for k, v in out.items()}

        def carry(f: np.ndarray, *rest: np.ndarray):
            extra = copy_of[f] >= 0
            f2 = np.concatenate([f, copy_of[f[extra]]])
            return (rank[f2],) + tuple(np.concatenate([r, r[extra]]) for r in rest)

        return out, carry(*subs), carry(*indels)

    def _pair_reads(self, rng, contig: Contig, frag, name_offset: int) -> dict[str, np.ndarray]:
        L = self.model.read_length
        n = len(frag["start"])
        start, length = frag["start"], frag["length"]
        end = start + length
        # Paralog mismapping: a fragment wholly inside a segmental duplication is placed at either copy.
        shift = np.zeros(n, dtype=np.int64)
        for d in self.genome.segdups:
            if d.contig != contig.name:
                continue
            for a, b in ((d.src, d.dst), (d.dst, d.src)):
                inside = (start >= a) & (end <= a + d.length)
                move = inside & (rng.random(n) < 0.5)
                shift[move] = b - a
        orient = rng.integers(0, 2, n)
        dup = frag.get("dup", np.zeros(n, bool))
        origin = np.concatenate([start, end - L])
        mapped = origin + np.concatenate([shift, shift])
        rev = np.concatenate([np.zeros(n, bool), np.ones(n, bool)])
        read1 = np.concatenate([orient == 0, orient == 1])
        mate_mapped = np.concatenate([mapped[n:], mapped[:n]])
        leftmost = (mapped < mate_mapped) | ((mapped == mate_mapped) & ~rev)
        flen = np.concatenate([length, length])
        tlen = np.where(leftmost, flen, -flen)
        flag = (FLAG_PAIRED | FLAG_PROPER) + np.where(rev, FLAG_REVERSE, FLAG_MATE_REVERSE) \
            + np.where(read1, FLAG_READ1, FLAG_READ2) + np.where(np.concatenate([dup, dup]), FLAG_DUPLICATE, 0)
        mapq = np.full(2 * n, 60, dtype=np.uint8)
        for d in self.genome.segdups:
            if d.contig != contig.name:
                continue
            for a in (d.src, d.dst):
                full = (origin >= a) & (origin + L <= a + d.length)
                part = ~full & (origin < a + d.length) & (origin + L > a)
                mapq[full] = rng.integers(0, 2, full.sum())
                mapq[part] = rng.integers(10, 41, part.sum())
        fid = np.concatenate([np.arange(n), np.arange(n)])
        order = np.lexsort((rev, fid, mapped))
        return dict(origin=origin[order], mapped=mapped[order], mate=mate_mapped[order], tlen=tlen[order],
                    flag=flag[order].astype(np.uint16), mapq=mapq[order], rev=rev[order],
                    name=(fid[order] + name_offset), fid=fid[order])

    def _write_reads(self, rng, writer: BamWriter, ci: int, contig: Contig, reads, frag, subs, indels,
                     qcdf) -> None:
        L = self.model.read_length
        a_frag, a_pos, a_base = subs
        n_reads = len(reads["origin"])
        # allele overrides per sorted read: (read rank, offset in read, base)
        rank_of = np.full((2, len(frag["start"])), -1, dtype=np.int64)
        rank_of[reads["rev"].astype(int), reads["fid"]] = np.arange(n_reads)
        over_read, over_off, over_base = [], [], []
        for r, read_start in ((0, frag["start"][a_frag]), (1, frag["start"][a_frag] + frag["length"][a_frag] - L)):
            off = a_pos - read_start
            hit = (off >= 0) & (off < L)
            over_read.append(rank_of[r, a_frag[hit]])
            over_off.append(off[hit])
            over_base.append(a_base[hit])
        o_read = np.concatenate(over_read)
        o_off = np.concatenate(over_off)
        o_base = np.concatenate(over_base).astype(np.uint8)
        o_order = np.argsort(o_read, kind="stable")
        o_read, o_off, o_base = o_read[o_order], o_off[o_order], o_base[o_order]
        indel_reads = self._indel_reads(frag, reads, rank_of, indels, L)
        windows = np.lib.stride_tricks.sliding_window_view(contig.seq, L)
        for b0 in range(0, n_reads, BATCH_READS):
            b1 = min(n_reads, b0 + BATCH_READS)
            nb = b1 - b0
            seq = windows[reads["origin"][b0:b1]]
            lo, hi = np.searchsorted(o_read, [b0, b1])
            seq[o_read[lo:hi] - b0, o_off[lo:hi]] = o_base[lo:hi]
            cigar = np.zeros((nb, 3), dtype=np.uint32)
            mine = [(r, m) for r, m in sorted(indel_reads.items()) if b0 <= r < b1]
            for r, m in mine:
                cigar[r - b0] = self._apply_indel(contig, reads["origin"][r], m, seq[r - b0], (o_read, o_off, o_base, r))
            if self.spec.artefact:
                self._add_artefacts(contig, reads, b0, b1, seq, {r for r, _ in mine})
            u = rng.random((nb, L), dtype=np.float32)
            qi = (u > qcdf[:, 0]).astype(np.uint8)
            qi += u > qcdf[:, 1]
            qi += u > qcdf[:, 2]
            rev = reads["rev"][b0:b1]
            qi[rev] = qi[rev, ::-1]  # reverse reads are sequenced from their right end
            v = rng.random((nb, L), dtype=np.float32)
            # error probability rises with the quality index, so test the classes cumulatively
            hit = v < ERROR_PROB[0]
            for k in (1, 2, 3):
                hit |= (qi >= k) & (v < ERROR_PROB[k])
            err = np.flatnonzero(hit)
            flat = seq.reshape(-1)
            flat[err] = (flat[err] + rng.integers(1, 4, len(err))) % 4
            ref_now = windows[reads["mapped"][b0:b1]]
            nm = (seq != ref_now).sum(axis=1)
            for r, m in mine:  # an indel read: mismatches along its alignment plus the indel length
                nm[r - b0] = self._indel_nm(contig, reads["mapped"][r], m, seq[r - b0])
            writer.write(ReadBatch(ci, reads["mapped"][b0:b1], reads["mapq"][b0:b1], reads["flag"][b0:b1],
                                   reads["mate"][b0:b1], reads["tlen"][b0:b1], reads["name"][b0:b1],
                                   seq, QUALITIES[qi], nm.astype(np.uint8), cigar))

    def _add_artefacts(self, contig: Contig, reads, b0: int, b1: int, seq: np.ndarray, indel_reads: set[int]) -> None:
        """Orientation artefacts, in place on the batch's reads (before sequencing errors): each
        fragment of the affected orientation has each affected base changed with probability
        2 x rate (x the CpG weight at a CpG), so the artefact allele fraction at such a base is
        the rate, all of it on one orientation. The draw is per fragment and base, so both mates
        agree; a PCR duplicate is drawn as its own fragment (duplicates are flagged and not counted)."""
        spec = self.spec
        (a_ref, a_alt), (b_ref, b_alt) = ARTEFACTS[spec.artefact]
        flag = reads["flag"][b0:b1]
        rev = reads["rev"][b0:b1]
        f1r2 = ((flag & FLAG_READ1) != 0) == ~rev
        src = np.where(f1r2, a_ref, b_ref).astype(np.uint8)
        cand = seq == src[:, None]
        for r in indel_reads:  # bases shifted by an indel are left alone
            cand[r - b0] = False
        row, off = np.nonzero(cand)
        gpos = reads["origin"][b0:b1][row] + off
        base = src[row]
        # CpG: a C followed by G, a G preceded by C, on the reference
        nxt = contig.seq[np.minimum(gpos + 1, contig.length - 1)]
        prv = contig.seq[np.maximum(gpos - 1, 0)]
        cpg = ((base == 1) & (nxt == 2)) | ((base == 2) & (prv == 1))
        p = 2 * spec.artefact_rate * np.where(cpg, spec.artefact_cpg_weight, 1.0)
        names = reads["name"][b0:b1][row]
        salt = int(np.random.default_rng(self.seed + [777_777]).integers(0, 2**62))
        hit = _uniform_hash(names, gpos, salt) < p
        row, off, gpos, names = row[hit], off[hit], gpos[hit], names[hit]
        alt = np.where(f1r2[row], a_alt, b_alt).astype(np.uint8)
        seq[row, off] = alt
        dup = (flag[row] & FLAG_DUPLICATE) != 0
        self.artefact_events.append((contig.name, gpos, alt, names, dup))

    def artefact_sites(self, min_fragments: int = 2) -> "list[tuple[str, int, int, int, int]]":
        """(contig, 0-based position, ref code, alt code, fragments) where at least
        `min_fragments` distinct non-duplicate fragments carry an artefact of the reference's base:
        the sites a caller could see."""
        out = []
        by_contig: dict[str, list] = {}
        for c, gpos, alt, names, dup in self.artefact_events:
            by_contig.setdefault(c, []).append((gpos[~dup], alt[~dup], names[~dup]))
        seqs = {c.name: c.seq for c in self.genome.contigs}
        pairs = set(ARTEFACTS[self.spec.artefact])
        for c, parts in by_contig.items():
            gpos = np.concatenate([p[0] for p in parts])
            alt = np.concatenate([p[1] for p in parts])
            names = np.concatenate([p[2] for p in parts])
            key = np.unique(np.stack([gpos, alt.astype(np.int64), names], axis=1), axis=0)  # a fragment once
            sites, n = np.unique(key[:, :2], axis=0, return_counts=True)
            for (g, a), k in zip(sites, n):
                # on the reference's allele (not where a germline or somatic allele took the base)
                if k >= min_fragments and (int(seqs[c][g]), int(a)) in pairs:
                    out.append((c, int(g), int(seqs[c][g]), int(a), int(k)))
        return out

    # -- indels -------------------------------------------------------------------------------
    MIN_FLANK = 5  # an aligner places an indel inside a read only with some flanking sequence

    def _indel_reads(self, frag, reads, rank_of, indels, L: int) -> dict[int, object]:
        """Sorted read index -> the indel (Snv) it shows, for reads spanning it with enough flank."""
        t = self.patient.tumour
        out: dict[int, object] = {}
        for f, mi in zip(*indels):
            m = t.snvs[mi]
            for r, origin in ((0, frag["start"][f]), (1, frag["start"][f] + frag["length"][f] - L)):
                left = m.pos - origin + 1  # bases up to and including the anchor
                right = L - left - len(m.inserted)
                if left >= self.MIN_FLANK and right >= self.MIN_FLANK:
                    out[int(rank_of[r, f])] = m
        return out

    def _apply_indel(self, contig: Contig, origin: int, m, seq: np.ndarray, over_read) -> np.ndarray:
        """Rewrite a read's bases in place for the indel it carries; returns its 3 CIGAR words."""
        L = len(seq)
        left = m.pos - origin + 1
        ins = np.array(["ACGT".index(b) for b in m.inserted], dtype=np.uint8)
        after = contig.seq[m.pos + 1 + m.deleted : m.pos + 1 + m.deleted + L]
        new = np.concatenate([seq[:left], ins, after])[:L]
        # substitutions (germline SNPs, other mutations) already applied left of the indel stay;
        # those to its right are re-applied at their shifted query positions
        o_read, o_off, o_base, r = over_read
        lo, hi = np.searchsorted(o_read, [r, r + 1])
        for off, base in zip(o_off[lo:hi], o_base[lo:hi]):
            ref_pos = origin + off
            if ref_pos > m.pos + m.deleted:
                q = ref_pos - origin - m.deleted + len(m.inserted)
                if q < L:
                    new[q] = base
        seq[:] = new
        mid = (len(m.inserted) << 4) | 1 if m.inserted else (m.deleted << 4) | 2
        return np.array([(left << 4) | 0, mid, ((L - left - len(m.inserted)) << 4) | 0], dtype=np.uint32)

    def _indel_nm(self, contig: Contig, pos: int, m, seq: np.ndarray) -> int:
        L = len(seq)
        left = m.pos - pos + 1
        k = len(m.inserted)
        ref_left = contig.seq[pos : pos + left]
        ref_right = contig.seq[m.pos + 1 + m.deleted : m.pos + 1 + m.deleted + L - left - k]
        mism = int((seq[:left] != ref_left).sum() + (seq[left + k :] != ref_right).sum())
        return mism + k + m.deleted
