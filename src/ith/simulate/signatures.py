"""Mutational processes in the simulated SNVs: a clock-like process on the trunk and an
APOBEC-like one on one branch, each drawn from COSMIC SBS96 profiles by the trinucleotide
context of the simulated genome (docs/simulator.md)."""

from __future__ import annotations

import numpy as np

from ith.signatures.context import CHANNELS
from ith.simulate.genome import N_CODE, Genome

# process name -> COSMIC SBS signature weights; the trunk's (clone 0) and the branch's (clone 1,
# always a child of the trunk)
PROCESSES = {
    "clock": {"SBS1": 0.35, "SBS5": 0.65},
    "apobec": {"SBS2": 0.6, "SBS13": 0.4},
}
CLONE_PROCESS = {0: "clock", 1: "apobec"}
COSMIC_VERSION, GENOME_BUILD = "3.4", "GRCh38"
_CODE = {b: i for i, b in enumerate("ACGT")}
_COMP = {"A": "T", "C": "G", "G": "C", "T": "A"}


def signature_profiles(name: str) -> dict[str, tuple[float, np.ndarray]]:
    """The process's signatures: weight and SBS96 probabilities in CHANNELS order."""
    from ith.signatures.fit import reference

    ref = reference(COSMIC_VERSION, GENOME_BUILD)
    return {s: (w, ref[s].to_numpy() / ref[s].sum()) for s, w in PROCESSES[name].items()}


def _channel_keys() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each channel: its forward trinucleotide code (16*l + 4*m + r) and the reverse
    complement's, and the alt code on each strand."""
    fwd, rev, alt_f, alt_r = [], [], [], []
    for ch in CHANNELS:
        left, ref, alt, right = ch[0], ch[2], ch[4], ch[6]
        fwd.append(16 * _CODE[left] + 4 * _CODE[ref] + _CODE[right])
        rev.append(16 * _CODE[_COMP[right]] + 4 * _CODE[_COMP[ref]] + _CODE[_COMP[left]])
        alt_f.append(_CODE[alt])
        alt_r.append(_CODE[_COMP[alt]])
    return np.array(fwd), np.array(rev), np.stack([alt_f, alt_r], axis=1)


def context_sites(rng: np.random.Generator, genome: Genome, masks: dict[str, np.ndarray],
                  signatures: dict[str, tuple[float, np.ndarray]], n: int,
                  taken: set[tuple[str, int]]) -> tuple[list[tuple[str, int, int, int]], list[str]]:
    """`n` SNV sites (contig, 0-based pos, ref code, alt code) and the signature that drew each:
    each SNV's signature drawn by weight, its channel from the signature's profile, then a free
    position of that context (either strand) where `masks` allows a mutation; `taken` positions
    are skipped and updated."""
    fwd, rev, alts = _channel_keys()
    names, codes, offsets = [], [], []
    for c in genome.contigs:
        if c.name not in masks:
            continue
        s = c.seq.astype(np.int64)
        tri = np.full(len(s), -1, dtype=np.int64)
        ok = masks[c.name].copy()
        ok[0] = ok[-1] = False
        core = (s[:-2] != N_CODE) & (s[1:-1] != N_CODE) & (s[2:] != N_CODE)
        tri[1:-1] = np.where(core, 16 * s[:-2] + 4 * s[1:-1] + s[2:], -1)
        tri[~ok] = -1
        names.append(c.name)
        codes.append(tri)
        offsets.append(len(tri))
    starts = np.concatenate([[0], np.cumsum(offsets)])
    allcodes = np.concatenate(codes)
    pools = {}
    out: list[tuple[str, int, int, int]] = []
    labels: list[str] = []
    names_w = list(signatures)
    weights = np.array([signatures[s][0] for s in names_w])
    per_channel = [(s, k, int(c)) for s, m in zip(names_w, rng.multinomial(n, weights / weights.sum()))
                   for k, c in enumerate(rng.multinomial(m, signatures[s][1]))]
    for sig, k, count in per_channel:
        if not count:
            continue
        if k not in pools:
            pools[k] = (np.flatnonzero(allcodes == fwd[k]), np.flatnonzero(allcodes == rev[k]))
        f, r = pools[k]
        both = np.concatenate([f, r])
        strand = np.concatenate([np.zeros(len(f), int), np.ones(len(r), int)])
        for j in rng.permutation(len(both)):
            if count == 0:
                break
            g = int(both[j])
            ci = int(np.searchsorted(starts, g, side="right") - 1)
            contig, pos = names[ci], g - int(starts[ci])
            if (contig, pos) in taken:
                continue
            taken.add((contig, pos))
            out.append((contig, pos, int(genome.contig(contig).seq[pos]), int(alts[k, strand[j]])))
            labels.append(sig)
            count -= 1
    return out, labels
