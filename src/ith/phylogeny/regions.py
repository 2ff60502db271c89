"""The tree of the samples themselves, from which regions share which mutations.

Every mutation has a presence pattern: the set of regions it is in. Mutations are not lost or
gained twice in this picture (the infinite-sites view the clone tree also takes), so the
patterns of a true phylogeny are nested or disjoint. Patterns are taken in decreasing order of
how many mutations carry them, and one is kept when it is compatible with all kept before it:
the kept patterns are the tree's clades, each branch's length is the number of mutations with
that pattern, and mutations whose pattern conflicts are counted, not placed. This is the
maximum-compatibility tree for presence/absence characters (Camin-Sokal parsimony with
irreversible gains gives the same clades when no pattern conflicts).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass
class Branch:
    regions: frozenset[str]
    n_mutations: int
    kind: str  # truncal, shared, private
    compatible: bool = True


@dataclass
class RegionTree:
    regions: list[str]
    clades: list[Branch]  # compatible patterns, largest clade first
    conflicting: list[Branch]
    n_absent: int  # mutations present in no region

    def newick(self, outgroup: str | None = None) -> str:
        """Rooted at the germline: (outgroup:0,(...)trunk:n);  branch lengths in mutations."""
        def children_of(clade: frozenset[str]) -> list[frozenset[str]]:
            inside = [c.regions for c in self.clades if c.regions < clade]
            return [c for c in inside if not any(c < o for o in inside)]

        lengths = {c.regions: c.n_mutations for c in self.clades}

        def render(clade: frozenset[str]) -> str:
            if len(clade) == 1:
                (name,) = tuple(clade)
                return f"{_quote(name)}:{lengths.get(clade, 0)}"
            kids = children_of(clade)
            covered = set().union(*kids) if kids else set()
            parts = [render(k) for k in sorted(kids, key=_clade_sort)]
            parts += [f"{_quote(r)}:0" for r in self.regions if r in clade and r not in covered]
            return f"({','.join(parts)}):{lengths.get(clade, 0)}"

        everything = frozenset(self.regions)
        if not self.regions:
            return ";"
        body = render(everything)
        if outgroup:
            return f"({_quote(outgroup)}:0,{body});"
        return body + ";"

    def branch_table(self, patient: str) -> pd.DataFrame:
        rows = [dict(patient=patient, regions=",".join(r for r in self.regions if r in b.regions),
                     n_regions=len(b.regions), kind=b.kind, n_mutations=b.n_mutations, compatible=b.compatible)
                for b in self.clades + self.conflicting]
        cols = ["patient", "regions", "n_regions", "kind", "n_mutations", "compatible"]
        return pd.DataFrame(rows, columns=cols)


def _clade_sort(c: frozenset[str]) -> tuple:
    return (-len(c), sorted(c))


def _quote(name: str) -> str:
    return f"'{name}'" if any(ch in name for ch in " ,:;()[]'") else name


def pattern_kind(pattern: frozenset[str], n_regions: int) -> str:
    """trunk (every region), shared (several), private (one), absent (none)."""
    if n_regions > 1 and len(pattern) == n_regions:
        return "trunk"
    return "private" if len(pattern) == 1 else ("shared" if pattern else "absent")


def region_tree(presence: pd.DataFrame, regions: list[str]) -> RegionTree:
    """`presence`: one row per mutation x region with a boolean column `present`."""
    present = presence[presence["present"].astype(bool) & presence["sample"].isin(regions)]
    patterns = present.groupby("mutation_id")["sample"].agg(frozenset)
    all_ids = presence["mutation_id"].nunique()
    counts = patterns.value_counts()
    n = len(regions)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], -len(kv[0]), sorted(kv[0])))
    clades: list[Branch] = []
    conflicting: list[Branch] = []
    for pattern, c in ranked:
        ok = all(pattern <= b.regions or b.regions <= pattern or not (pattern & b.regions) for b in clades)
        branch = Branch(pattern, int(c), pattern_kind(pattern, n), ok)
        (clades if ok else conflicting).append(branch)
    # every region is a leaf, and the whole set is the trunk, even when no mutation says so
    for r in regions:
        if not any(b.regions == frozenset([r]) for b in clades):
            clades.append(Branch(frozenset([r]), 0, pattern_kind(frozenset([r]), n)))
    if n > 1 and not any(b.regions == frozenset(regions) for b in clades):
        clades.append(Branch(frozenset(regions), 0, "trunk"))
    clades.sort(key=lambda b: _clade_sort(b.regions))
    return RegionTree(list(regions), clades, conflicting, int(all_ids - len(patterns)))


def classify_mutations(presence: pd.DataFrame, regions: list[str]) -> pd.DataFrame:
    """mutation_id, regions (comma list in sample order), n_regions, pattern (trunk/shared/private)."""
    present = presence[presence["present"].astype(bool) & presence["sample"].isin(regions)]
    order = {r: i for i, r in enumerate(regions)}
    ids = pd.Index(presence["mutation_id"].drop_duplicates())
    where = present.groupby("mutation_id")["sample"].agg(lambda s: ",".join(sorted(s, key=order.get)))
    where = where.reindex(ids).fillna("")
    n_in = where.map(lambda s: len(s.split(",")) if s else 0)
    kind = [pattern_kind(frozenset(s.split(",")) if s else frozenset(), len(regions)) for s in where]
    return pd.DataFrame({"mutation_id": ids, "regions": where.to_numpy(), "n_regions": n_in.to_numpy(),
                         "pattern": kind})
