"""The true copy-number region tree of a simulated patient.

A region's true allele-specific profile (truth segments.tsv) is that of its dominant clone, so
its copy-number history is the path of clone-tree edges from the trunk to that clone. Each clone
whose own events include a copy-number event (WGD included) defines a clade: the regions whose
dominant clone descends from it. These clades, without the trivial ones (one region, all
regions), are the tree the regions' profiles can reveal; a clone with no event of its own
leaves its regions unresolved from its parent's (a multifurcation), and regions sharing a
dominant clone have the same profile.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ith.io.reference import is_autosome
from ith.simulate.samples import SampleSpec
from ith.simulate.tumour import Patient


def dominant(spec: SampleSpec) -> int:
    return int(np.argmax(spec.clone_props))


def _seen(e) -> bool:
    """Events the copy-number tree sees: autosomal ones and WGD (it reads autosomes only)."""
    return e.kind == "wgd" or is_autosome(e.contig)


def true_cn_clades(patient: Patient, specs: list[SampleSpec]) -> set[frozenset[str]]:
    t = patient.tumour
    regions = [s for s in specs if s.type == "tumour" and s.purity > 0]
    with_events = {e.clone for e in t.events if _seen(e)}
    out = set()
    for c in with_events:
        below = set(t.descendants(c))
        clade = frozenset(s.sample for s in regions if dominant(s) in below)
        if 1 < len(clade) < len(regions):
            out.add(clade)
    return out


def _from_tables(tree: pd.DataFrame, proportions: pd.DataFrame):
    """From truth tree.tsv and clone_proportions.tsv: the clones below each clone (it included),
    each region's dominant clone, and the number of copy-number events the tree sees per clone."""
    parent = {str(c): str(p) if isinstance(p, str) and p else "" for c, p in zip(tree["clone"], tree["parent"])}

    def below(clone: str) -> set[str]:
        out = set()
        for c in parent:
            x = c
            while x:
                if x == clone:
                    out.add(c)
                    break
                x = parent[x]
        return out

    cells = proportions[(proportions["clone"] != "normal") & (proportions["fraction"] > 0)]
    dominant = {s: str(d.sort_values("fraction", ascending=False, kind="stable")["clone"].iloc[0])
                for s, d in cells.groupby("sample", sort=False)}
    seen: dict[str, int] = {}
    for c, events in zip(tree["clone"], tree["cn_events"]):
        for e in str(events).split(";") if isinstance(events, str) else []:
            kind, *rest = e.split(":")
            if kind == "wgd" or (rest and is_autosome(rest[0])):
                seen[str(c)] = seen.get(str(c), 0) + 1
    return below, dominant, seen


def true_cn_clades_from_tables(tree: pd.DataFrame, proportions: pd.DataFrame) -> set[frozenset[str]]:
    """true_cn_clades from a simulated cohort's truth files: `tree` (truth tree.tsv: clone,
    parent, cn_events as kind:contig:start-end:haplotype or wgd, ';'-separated) and
    `proportions` (truth clone_proportions.tsv: sample, clone, fraction; the normal's rows and
    the plasma's are left out by the caller or by having no tumour cells)."""
    below, dominant, seen = _from_tables(tree, proportions)
    out = set()
    for c in seen:
        clade = frozenset(s for s, d in dominant.items() if d in below(c))
        if 1 < len(clade) < len(dominant):
            out.add(clade)
    return out


def private_cn_events_from_tables(tree: pd.DataFrame, proportions: pd.DataFrame) -> int:
    """private_cn_events from the truth files (as true_cn_clades_from_tables reads them)."""
    below, dominant, seen = _from_tables(tree, proportions)
    return sum(n for c, n in seen.items() if 0 < sum(d in below(c) for d in dominant.values()) < len(dominant))


def private_cn_events(patient: Patient, specs: list[SampleSpec]) -> int:
    """Copy-number events that some regions carry and others not (the events of clones that
    are ancestors of, or are, the dominant clone of some regions but not all); autosomal ones
    and WGD, the ones the tree sees."""
    t = patient.tumour
    regions = [s for s in specs if s.type == "tumour" and s.purity > 0]
    n = 0
    for e in t.events:
        if not _seen(e):
            continue
        below = set(t.descendants(e.clone))
        carriers = sum(dominant(s) in below for s in regions)
        n += 0 < carriers < len(regions)
    return n


def path_events(patient: Patient, spec: SampleSpec) -> int:
    """Copy-number events from the germline to the sample's dominant clone that the tree sees,
    in MEDICC2's units: a CN-LOH is two (a loss of one allele, a gain of the other)."""
    t = patient.tumour
    path, c = set(), dominant(spec)
    while c != -1:
        path.add(c)
        c = t.parents[c]
    return sum(2 if e.kind == "cnloh" else 1 for e in t.events if _seen(e) and e.clone in path)


# overrides of the `test` preset (a small genome, quick to draw) for the copy-number tree
# validation: 4-6 regions, more clones and more, shorter events, so that many patients have >= 3
# copy-number events that some regions carry and others not
CNTREE_PRESET = "test"
CNTREE_OVERRIDES = dict(regions=(4, 6), clones=(4, 7), cn_events=(12, 18), cn_event_length=(10_000, 30_000))


def misread(segments, rate: float, rng: np.random.Generator):
    """segments.tsv rows with each segment's major or minor copy number off by one with
    probability `rate` (a copy-number caller's mistakes; never below 0, minor kept <= major)."""
    out = segments.copy()
    hit = np.flatnonzero(rng.random(len(out)) < rate)
    for i in hit:
        maj, mnr = int(out["major_cn"].iat[i]), int(out["minor_cn"].iat[i])
        if rng.random() < 0.5:
            maj = max(maj + int(rng.choice([-1, 1])), mnr)
        else:
            mnr = max(0, min(mnr + int(rng.choice([-1, 1])), maj))
        out.iloc[i, out.columns.get_loc("major_cn")] = maj
        out.iloc[i, out.columns.get_loc("minor_cn")] = mnr
    out["total_cn"] = out["major_cn"] + out["minor_cn"]
    return out
