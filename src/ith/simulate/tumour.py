"""A patient's germline genome and the evolution of its tumour: clone tree, SNVs, copy number.

Copy number is tracked per clone on a grid of CN_CELL bp cells and per parental haplotype; each
SNV records how many copies carry it in each clone, updated event by event in the order they
happen along the lineage, so multiplicity follows the copy-number history exactly (an SNV gained
before a gain of its haplotype can be duplicated; one gained after cannot).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ith.simulate.genome import N_CODE, Genome, in_segdup_mask

CN_CELL = 1_000
EVENT_KINDS = ("gain", "loss", "cnloh")


@dataclass
class Germline:
    """Per contig: 0-based positions, ref/alt codes and the allele (0/1) on haplotypes A and B."""

    pos: dict[str, np.ndarray]
    ref: dict[str, np.ndarray]
    alt: dict[str, np.ndarray]
    hap: dict[str, np.ndarray]  # (n, 2) alleles on A, B


@dataclass
class CnEvent:
    clone: int
    kind: str  # gain, loss, cnloh or wgd
    contig: str = ""
    start: int = 0  # bp, 0-based, multiple of CN_CELL
    end: int = 0
    hap: int = 0  # the haplotype gained, lost, or lost in a CN-LOH


@dataclass
class Snv:
    """A somatic mutation: an SNV, or a short indel anchored at `pos` (VCF style, left-aligned)."""

    contig: str
    pos: int  # 0-based (the anchor base of an indel)
    ref: int  # base code at pos
    alt: int  # alt base code of an SNV; the anchor's code for an indel
    clone: int
    hap: int = -1
    deleted: int = 0  # bases deleted after the anchor
    inserted: str = ""  # bases inserted after the anchor
    ref_allele: str = ""
    alt_allele: str = ""
    process: str = ""  # the mutational process that drew it (simulate/signatures.py), "" when none
    signature: str = ""  # and the COSMIC signature of the process that drew it

    @property
    def is_indel(self) -> bool:
        return bool(self.deleted or self.inserted)

    @property
    def mutation_id(self) -> str:
        return f"{self.contig}:{self.pos + 1}:{self.ref_allele}:{self.alt_allele}"


@dataclass
class Tumour:
    parents: list[int]  # parent clone of each clone; -1 for the truncal clone
    events: list[CnEvent]
    snvs: list[Snv]
    # per contig: (n_clones, n_cells, 2) copies of haplotypes A and B in each clone
    copies: dict[str, np.ndarray]
    baseline: dict[str, np.ndarray]  # (n_cells, 2) normal copies
    mut_copies: np.ndarray  # (n_snvs, n_clones)
    wgd: bool = False
    # per event index: the share of its clone's mutations that arose before it on the clone's
    # branch (0 = first, 1 = last): the event's true relative time (truth timing.tsv)
    event_time: dict[int, float] = field(default_factory=dict)

    @property
    def n_clones(self) -> int:
        return len(self.parents)

    def descendants(self, clone: int) -> list[int]:
        out = [clone]
        for c in range(self.n_clones):
            if c not in out and self._is_ancestor(clone, c):
                out.append(c)
        return sorted(out)

    def _is_ancestor(self, a: int, c: int) -> bool:
        while c != -1:
            if c == a:
                return True
            c = self.parents[c]
        return False


@dataclass
class Patient:
    id: str
    sex: str
    germline: Germline
    tumour: Tumour
    notes: dict = field(default_factory=dict)
    ch: list = field(default_factory=list)  # clonal haematopoiesis variants (simulate.ch.ChVariant)


def baseline_copies(kind: str, sex: str, n_cells: int) -> np.ndarray:
    copies = np.zeros((n_cells, 2), dtype=np.int16)
    if kind == "autosome" or (kind == "X" and sex == "female"):
        copies[:] = 1
    elif sex == "male":  # hemizygous X and Y
        copies[:, 0] = 1
    return copies


def draw_germline(rng: np.random.Generator, genome: Genome, sex: str) -> Germline:
    """Genotypes at the population panel in Hardy-Weinberg proportions plus private SNPs."""
    pos, ref, alt, hap = {}, {}, {}, {}
    for contig in genome.contigs:
        snps = [s for s in genome.snps if s.contig == contig.name]
        p = np.array([s.pos for s in snps], dtype=np.int64)
        r = np.array([s.ref for s in snps], dtype=np.int64)
        a = np.array([s.alt for s in snps], dtype=np.int64)
        af = np.array([s.af for s in snps])
        alleles = (rng.random((len(p), 2)) < af[:, None]).astype(np.int8)
        if contig.kind != "autosome" and not (contig.kind == "X" and sex == "female"):
            alleles[:, 1] = 0
        if contig.kind == "Y" and sex == "female":
            alleles[:] = 0
        carried = alleles.any(axis=1)
        # private heterozygous SNPs, ~1 per 5 kb (absent from the population panel)
        n_private = int(contig.length / 5_000) if contig.kind == "autosome" else 0
        cand = np.setdiff1d(np.flatnonzero(contig.seq != N_CODE), p)
        pp = np.sort(rng.choice(cand, n_private, replace=False)) if n_private else np.zeros(0, np.int64)
        pr = contig.seq[pp].astype(np.int64)
        pa = (pr + rng.integers(1, 4, len(pp))) % 4
        ph = np.zeros((len(pp), 2), dtype=np.int8)
        ph[np.arange(len(pp)), rng.integers(0, 2, len(pp))] = 1
        allp = np.concatenate([p[carried], pp])
        order = np.argsort(allp, kind="stable")
        pos[contig.name] = allp[order]
        ref[contig.name] = np.concatenate([r[carried], pr])[order]
        alt[contig.name] = np.concatenate([a[carried], pa])[order]
        hap[contig.name] = np.concatenate([alleles[carried], ph])[order]
    return Germline(pos, ref, alt, hap)


def random_tree(rng: np.random.Generator, n_clones: int) -> list[int]:
    """Clone 0 is truncal; each later clone hangs below an earlier one (linear or branched)."""
    linear = rng.random() < 0.25
    parents = [-1]
    for c in range(1, n_clones):
        parents.append(c - 1 if linear else int(rng.integers(0, c)))
    return parents


def _draw_events(rng, genome: Genome, sex: str, n_events: int, n_clones: int, length_range) -> list[CnEvent]:
    eligible = [c for c in genome.contigs if c.kind == "autosome" or (c.kind == "X" and sex == "female")]
    weights = np.array([c.length for c in eligible], dtype=float)
    occupied: dict[str, list[tuple[int, int]]] = {c.name: [] for c in eligible}
    events = []
    for _ in range(n_events * 50):
        if len(events) == n_events:
            break
        contig = eligible[int(rng.choice(len(eligible), p=weights / weights.sum()))]
        length = int(rng.integers(length_range[0], length_range[1] + 1)) // CN_CELL * CN_CELL
        lo = (5_000 // CN_CELL + 1) * CN_CELL
        hi = (contig.length - length - 5_000) // CN_CELL
        if hi * CN_CELL <= lo:
            continue
        start = int(rng.integers(lo // CN_CELL, hi)) * CN_CELL
        end = start + length
        # keep events apart so each breakpoint is distinct in the truth
        if any(start < e + 20_000 and end > s - 20_000 for s, e in occupied[contig.name]):
            continue
        occupied[contig.name].append((start, end))
        clone = 0 if rng.random() < 0.45 else int(rng.integers(1, n_clones))
        kind = str(rng.choice(EVENT_KINDS, p=[0.4, 0.35, 0.25]))
        events.append(CnEvent(clone, kind, contig.name, start, end, int(rng.integers(0, 2))))
    return events


def _indel_at(rng, seq: np.ndarray, p: int) -> tuple[int, str] | None:
    """A 1-3 bp deletion or insertion after anchor p, already left-aligned (it cannot shift left),
    outside homopolymers; None when the context does not allow one."""
    d = int(rng.integers(1, 4))
    window = seq[max(0, p - 6) : p + d + 8]
    if (window == N_CODE).any() or len(window) < d + 14:
        return None
    run = seq[p - 2 : p + 3]
    if (run == run[0]).all():
        return None
    if rng.random() < 0.5:  # deletion of seq[p+1 : p+1+d]; left shift possible iff seq[p] == seq[p+d]
        return (d, "") if seq[p] != seq[p + d] else None
    ins = rng.integers(0, 4, d)
    if ins[-1] == seq[p]:  # left shift possible iff the last inserted base equals the anchor
        ins[-1] = (ins[-1] + 1) % 4
    return 0, "".join("ACGT"[x] for x in ins)


def _site_mask(genome: Genome, germline: Germline, contig) -> np.ndarray:
    """Where a somatic mutation may arise: sequence, outside segmental duplications, not at or
    next to a germline variant."""
    ok = (contig.seq != N_CODE) & ~in_segdup_mask(genome, contig)
    bad = germline.pos[contig.name]
    ok[np.clip(np.concatenate([bad - 1, bad, bad + 1]), 0, contig.length - 1)] = False
    return ok


def _draw_snv_sites(rng, genome: Genome, germline: Germline, n: int,
                    targets: dict[str, np.ndarray] | None = None,
                    target_share: float = 0.0) -> list[tuple[str, int, int, int]]:
    """`n` mutation sites spread in proportion to contig length; with `targets` (a mask per
    contig), `target_share` of them inside the targets and the rest outside."""
    contigs = [c for c in genome.contigs if c.kind != "Y"]
    sites: list[tuple[str, int, int, int]] = []
    if targets is None:
        lengths = np.array([c.length for c in contigs], dtype=float)
        per_contig = rng.multinomial(n, lengths / lengths.sum())
        for contig, k in zip(contigs, per_contig):
            ok = _site_mask(genome, germline, contig)
            pos = np.sort(rng.choice(np.flatnonzero(ok), int(k), replace=False))
            sites += _alt_bases(rng, contig, pos)
        return sites
    masks = [_site_mask(genome, germline, c) for c in contigs]
    n_in = int(round(n * target_share))
    chosen: list[list[np.ndarray]] = [[] for _ in contigs]
    for inside, k in ((True, n_in), (False, n - n_in)):
        pools = [np.flatnonzero(m & (targets[c.name] == inside)) for c, m in zip(contigs, masks)]
        sizes = np.array([len(x) for x in pools], dtype=float)
        for i, m in enumerate(rng.multinomial(k, sizes / sizes.sum())):
            chosen[i].append(rng.choice(pools[i], int(m), replace=False))
    for contig, parts in zip(contigs, chosen):
        sites += _alt_bases(rng, contig, np.sort(np.concatenate(parts)))
    return sites


def _alt_bases(rng, contig, pos: np.ndarray) -> list[tuple[str, int, int, int]]:
    out = []
    for p in pos:
        ref = int(contig.seq[p])
        # C>T / G>A transitions dominate, as in most tumour mutational spectra
        if ref in (1, 2) and rng.random() < 0.5:
            alt = 3 if ref == 1 else 0
        else:
            alt = int((ref + rng.integers(1, 4)) % 4)
        out.append((contig.name, int(p), ref, alt))
    return out


def evolve(rng: np.random.Generator, genome: Genome, germline: Germline, sex: str, n_clones: int,
           n_snvs: int, n_events: int, event_length: tuple[int, int], wgd: bool,
           indel_fraction: float = 0.0, targets: dict[str, np.ndarray] | None = None,
           target_share: float = 0.0, processes: bool = False) -> Tumour:
    """targets: per contig, the bases a capture kit targets; `target_share` of the mutations
    are placed there (None: the whole genome is sequenced, mutations anywhere). processes: the
    trunk's SNVs follow a clock-like and clone 1's an APOBEC-like SBS96 profile
    (simulate/signatures.py); off, the draws are as they always were."""
    parents = random_tree(rng, n_clones)
    events = _draw_events(rng, genome, sex, n_events, n_clones, event_length)
    if wgd:
        events.append(CnEvent(0, "wgd"))
    # SNVs per clone: the trunk carries 30-50%, every other clone at least 12.
    trunk = int(n_snvs * rng.uniform(0.3, 0.5))
    rest = n_snvs - trunk
    share = rng.dirichlet(np.full(n_clones - 1, 2.0)) if n_clones > 1 else np.zeros(0)
    per_clone = [trunk] + [12 + int(s * (rest - 12 * (n_clones - 1))) for s in share]
    sites = _draw_snv_sites(rng, genome, germline, sum(per_clone), targets, target_share)
    order = rng.permutation(len(sites))
    process_of = _process_sites(rng, genome, germline, sites, order, per_clone, targets) if processes else {}
    snvs: list[Snv] = []
    k = 0
    for clone, count in enumerate(per_clone):
        for _ in range(count):
            contig, pos, ref, alt = sites[order[k]]
            seq = genome.contig(contig).seq
            indel = _indel_at(rng, seq, pos) if rng.random() < indel_fraction else None
            if indel is None:
                snvs.append(Snv(contig, pos, ref, alt, clone, ref_allele="ACGT"[ref], alt_allele="ACGT"[alt],
                                process=process_of.get(int(order[k]), ("", ""))[0],
                                signature=process_of.get(int(order[k]), ("", ""))[1]))
            else:
                deleted, inserted = indel
                ref_allele = "".join("ACGT"[x] for x in seq[pos : pos + 1 + deleted])
                snvs.append(Snv(contig, pos, ref, ref, clone, deleted=deleted, inserted=inserted,
                                ref_allele=ref_allele, alt_allele="ACGT"[ref] + inserted))
            k += 1
    snvs.sort(key=lambda s: ([c.name for c in genome.contigs].index(s.contig), s.pos))

    baseline = {c.name: baseline_copies(c.kind, sex, -(-c.length // CN_CELL)) for c in genome.contigs}
    copies = {name: np.zeros((n_clones,) + b.shape, dtype=np.int16) for name, b in baseline.items()}
    mut = np.zeros((len(snvs), n_clones), dtype=np.int16)
    event_time: dict[int, float] = {}
    for clone in range(n_clones):
        parent = parents[clone]
        state = {name: (baseline[name] if parent < 0 else copies[name][parent]).copy() for name in baseline}
        m = np.zeros(len(snvs), dtype=np.int16) if parent < 0 else mut[:, parent].copy()
        todo: list[tuple[str, int]] = [("snv", i) for i, s in enumerate(snvs) if s.clone == clone]
        todo += [("cn", i) for i, e in enumerate(events) if e.clone == clone]
        todo = [todo[i] for i in rng.permutation(len(todo))]
        wgd_at = [k for k, (what, i) in enumerate(todo) if what == "cn" and events[i].kind == "wgd"]
        if wgd_at:
            # doubling mid-trunk, so truncal SNVs show both multiplicity 2 (before) and 1 (after)
            item = todo.pop(wgd_at[0])
            todo.insert(int(len(todo) * rng.uniform(0.3, 0.7)), item)
        n_mut = sum(what == "snv" for what, _ in todo)
        done = 0
        for what, i in todo:
            if what == "snv":
                _acquire(rng, snvs[i], i, state, m)
                done += 1
            else:
                event_time[i] = done / n_mut if n_mut else float("nan")
                _apply_event(rng, events[i], state, snvs, m)
        for name in state:
            copies[name][clone] = state[name]
        mut[:, clone] = m
    return Tumour(parents, events, snvs, copies, baseline, mut, wgd, event_time)


def _process_sites(rng, genome: Genome, germline: Germline, sites: list, order: np.ndarray, per_clone: list[int],
                   targets: dict[str, np.ndarray] | None) -> dict[int, tuple[str, str]]:
    """Redraw, in place, the sites of the clones that carry a process (CLONE_PROCESS) by the
    process's SBS96 profiles; the process and signature of each redrawn site index."""
    from ith.simulate.signatures import CLONE_PROCESS, context_sites, signature_profiles

    masks = {}
    for c in genome.contigs:
        if c.kind != "Y":
            masks[c.name] = _site_mask(genome, germline, c) & (targets[c.name] if targets is not None else True)
    taken = {(c, p) for c, p, _, _ in sites}
    out: dict[int, tuple[str, str]] = {}
    k = 0
    for clone, count in enumerate(per_clone):
        name = CLONE_PROCESS.get(clone)
        if name:
            new, sigs = context_sites(rng, genome, masks, signature_profiles(name), count, taken)
            for j, site, sig in zip(order[k : k + count], new, sigs):
                sites[int(j)] = site
                out[int(j)] = (name, sig)
        k += count
    return out


def _acquire(rng, snv: Snv, i: int, state, m: np.ndarray) -> None:
    here = state[snv.contig][snv.pos // CN_CELL]
    haps = np.flatnonzero(here > 0)
    if len(haps) == 0:  # homozygously deleted here: the mutation cannot arise
        snv.hap = 0
        return
    snv.hap = int(rng.choice(haps))
    m[i] = 1


def _snvs_in(snvs: list[Snv], contig: str, start: int, end: int) -> list[int]:
    return [i for i, s in enumerate(snvs) if s.contig == contig and start <= s.pos < end]


def _apply_event(rng, ev: CnEvent, state, snvs: list[Snv], m: np.ndarray) -> None:
    if ev.kind == "wgd":
        for name in state:
            state[name] *= 2
        m *= 2
        return
    cells = slice(ev.start // CN_CELL, ev.end // CN_CELL)
    region = state[ev.contig][cells]
    h, o = ev.hap, 1 - ev.hap
    if ev.kind in ("gain", "loss") and not region[:, h].any():
        h, o = o, h  # the chosen haplotype is absent here; act on the other one
    for i in _snvs_in(snvs, ev.contig, ev.start, ev.end):
        s = snvs[i]
        n_hap = int(state[ev.contig][s.pos // CN_CELL, s.hap])
        if m[i] == 0 or n_hap == 0:
            continue
        if ev.kind == "gain" and s.hap == h:
            m[i] += int(rng.random() < m[i] / n_hap)
        elif ev.kind == "loss" and s.hap == h:
            m[i] -= int(rng.random() < m[i] / n_hap)
        elif ev.kind == "cnloh":
            n_lost = int(state[ev.contig][s.pos // CN_CELL, h])
            m[i] = 0 if s.hap == h else m[i] * (n_hap + n_lost) // n_hap
    if ev.kind == "gain":
        region[:, h] += region[:, h] > 0
    elif ev.kind == "loss":
        region[:, h] = np.maximum(region[:, h] - 1, 0)
    else:
        region[:, o] += region[:, h]
        region[:, h] = 0
    ev.hap = h
