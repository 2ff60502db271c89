"""Copy-number trees of finished `bench/evolution_bam.py` runs rebuilt under other `cntree`
settings (docs/methods/cntree.md, "From BAMs"), without a new run.

For every patient of every folder, the tree is built from the workflow's segments
(work/results/copynumber/<patient>/segments.tsv) and from the truth segments
(cohort/truth/<patient>/segments.tsv) with each setting, and its clades compared with the true
true clades (taken again from the truth files, `bench_patients`):

- default: the schema's defaults;
- boundary segments kept: `cntree.boundary_bins: 0` (the tree before stop 36);
- no doubled root: `cntree.doubled_root: false` (the tree of a doubled trunk rooted at 1 + 1);
- neither: `doubled_root` and `clade_support` both off (plain neighbour joining).

The truth takes each region's largest clone (ith.simulate.cntruth). Where that clone's
descendants together hold most of the region's tumour cells, a bulk call of the state of most
cells carries their events; the `majority truth` column scores the workflow's default tree
against clades built from each region's majority clone instead (descend from the trunk while a
child's subtree holds more than half the tumour cells), to tell such misses from miscalls.
`mixed regions` counts a patient's regions where a lineage below the trunk holds 30-70% of the
tumour cells, whose side of the tree a bulk call cannot tell; the summary splits the eligible
patients by it.

    python bench/cntree_bam.py evo2 evo3 evo4
"""

from __future__ import annotations

import argparse
import os

import pandas as pd

from ith.cntree.build import CnTreeParams, cn_tree
from ith.cntree.tree import informative
from ith.io.reference import is_autosome
from ith.io.tables import read_tsv

from cntree_subclonal import bench_patients, true_clades  # run as bench/cntree_bam.py: bench/ is on sys.path

SETTINGS = {"default": CnTreeParams(), "boundary segments kept": CnTreeParams(boundary_bins=0),
            "no doubled root": CnTreeParams(doubled_root=False),
            "neither": CnTreeParams(doubled_root=False, clade_support=False)}


def lineages(truth_dir: str) -> tuple[pd.DataFrame, dict[str, str], dict[str, list[str]], dict[str, dict[str, float]]]:
    """The true clone tree (its table, and the parent and children of each clone) and, per region,
    each clone's lineage share: the fraction of the region's tumour cells in the clone or its
    descendants."""
    tree = read_tsv(os.path.join(truth_dir, "tree.tsv"), dtype=str, na_values=()).fillna("")
    parent = dict(zip(tree["clone"], tree["parent"]))
    kids = {c: [k for k, p in parent.items() if p == c] for c in parent}
    props = read_tsv(os.path.join(truth_dir, "clone_proportions.tsv"), dtype={"sample": str, "clone": str})
    props = props[props["clone"] != "normal"]
    shares = {}
    for sample, g in props.groupby("sample", sort=False):
        total = g["fraction"].sum()
        if total <= 0:
            continue
        share = dict(zip(g["clone"], g["fraction"] / total))

        def subtree(c: str) -> float:
            return share.get(c, 0.0) + sum(subtree(k) for k in kids[c])

        shares[sample] = {c: subtree(c) for c in parent}
    return tree, parent, kids, shares


def mixed_regions(truth_dir: str, low: float = 0.3, high: float = 0.7) -> int:
    """Regions where a lineage below the trunk holds between `low` and `high` of the tumour
    cells: a bulk call there reads its events half-way (a 50:50 mix of 2+2 and 4+0 is exactly a
    clonal 3+1), so which side of the tree the region belongs to is not in the data."""
    _, parent, _, shares = lineages(truth_dir)
    return sum(any(low <= v <= high for c, v in sh.items() if parent[c]) for sh in shares.values())


def majority_clades(truth_dir: str) -> set[frozenset[str]]:
    """True clades with each region's majority clone in place of its largest one."""
    tree, parent, kids, shares = lineages(truth_dir)
    majority = {}
    for sample, subtree in shares.items():
        node = next(c for c, p in parent.items() if not p)
        while (nxt := [k for k in kids[node] if subtree[k] > 0.5]):
            node = nxt[0]
        majority[sample] = node

    def below(c: str) -> set[str]:
        return {c}.union(*(below(k) for k in kids[c]))

    with_events = {c for c, e in zip(tree["clone"], tree["cn_events"])
                   if any(x.split(":")[0] == "wgd" or (x.count(":") and is_autosome(x.split(":")[1]))
                          for x in e.split(";") if x)}
    out = set()
    for c in with_events:
        clade = frozenset(s.split("-")[-1] for s, m in majority.items() if m in below(c))
        if 1 < len(clade) < len(majority):
            out.add(clade)
    return out


def clades(segments: pd.DataFrame, params: CnTreeParams) -> tuple[set[frozenset[str]], str]:
    """The tree's clades as sets of region suffixes (R1, R2, ...) and its root."""
    tumours = sorted(segments["sample"].unique())
    res = cn_tree("P", segments, tumours, params)
    return ({frozenset(s.split("-")[-1] for s in c) for c in informative(res.clades, len(tumours))},
            res.metrics["root"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="+", help="--out folders of bench/evolution_bam.py")
    args = ap.parse_args()
    rows = []
    for folder, r in bench_patients(args.folders):
        truth = true_clades(r.true_clades)
        row = {"run": os.path.basename(os.path.normpath(folder)), "patient": r.patient,
               "eligible": bool(r.cn_eligible), "truth": r.true_clades,
               "mixed regions": mixed_regions(os.path.join(folder, "cohort", "truth", r.patient))}
        for source, path in (("workflow", os.path.join(folder, "work", "results", "copynumber")),
                             ("truth", os.path.join(folder, "cohort", "truth"))):
            seg = read_tsv(os.path.join(path, r.patient, "segments.tsv"), dtype={"chrom": str, "sample": str})
            for name, params in SETTINGS.items():
                got, root = clades(seg, params)
                row[f"{source}: {name}"] = got == truth
                if name == "default":
                    row[f"{source} root"] = root
                    if source == "workflow":
                        row["majority truth"] = got == majority_clades(os.path.join(folder, "cohort", "truth",
                                                                                    r.patient))
        rows.append(row)
    out = pd.DataFrame(rows)
    print(out.to_string(index=False))
    eligible = out[out["eligible"]]
    mixed = eligible["mixed regions"] > 0
    for label, t in (("all", out), ("eligible", eligible), ("eligible, no mixed region", eligible[~mixed]),
                     ("eligible, mixed regions", eligible[mixed])):
        print(f"{label} ({len(t)} patients): same topology " +
              ", ".join(f"{c} {int(t[c].sum())}" for c in out.columns
                        if c.split(": ")[-1] in SETTINGS or c == "majority truth"))


if __name__ == "__main__":
    main()
