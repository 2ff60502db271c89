"""How the copy-number tree should read a segment the copy-number stage flags subclonal
(docs/methods/cntree.md, "Subclonal segments").

Re-scores the folders `bench/evolution_bam.py` wrote (no new run): for every patient, the
copy-number tree built from the workflow's own segments three ways, against the true clades the
bench recorded:

- called: each region's called state (the state of most tumour cells), flagged or not (the
  stage's behaviour);
- pair: a region's flagged segments left out of that region's distances (each pair of regions,
  and each region against the diploid normal, compared over the pieces neither flags);
- any: every piece that any region flags left out of all distances.

    python bench/cntree_subclonal.py evo1 evo2 evo3
"""

from __future__ import annotations

import argparse
import os
import re

import numpy as np
import pandas as pd

from ith.cntree.distance import directed_distance, pair_distance
from ith.cntree.profiles import ROOT, shared_segments, subclonal_flags
from ith.cntree.tree import informative, neighbour_joining
from ith.io.segments import shared_states
from ith.io.tables import read_tsv
from ith.simulate.cntruth import private_cn_events_from_tables, true_cn_clades_from_tables

MODES = ("called", "pair", "any")


def true_clades(text) -> set[frozenset[str]]:
    """The bench's `true_clades` column ("{R1,R2} {R3,R4}", or "star") as sets of region suffixes."""
    if not isinstance(text, str) or text == "star":
        return set()
    return {frozenset(x.split(",")) for x in re.findall(r"\{([^}]*)\}", text)}


def bench_patients(folders: list[str]):
    """(folder, row) for every patient row of the folders' evolution_bam.tsv, its `true_clades`,
    `private_cn_events` and `cn_eligible` taken again from the truth files
    (ith.simulate.cntruth), so a folder is scored by the current truth code."""
    for folder in folders:
        for r in read_tsv(os.path.join(folder, "evolution_bam.tsv")).itertuples():
            truth = os.path.join(folder, "cohort", "truth", r.patient)
            tree = read_tsv(os.path.join(truth, "tree.tsv"), dtype=str, na_values=()).fillna("")
            props = read_tsv(os.path.join(truth, "clone_proportions.tsv"), dtype={"sample": str, "clone": str})
            props = props[props["sample"].astype(str).str.contains("-R")]  # tumour regions only
            clades = true_cn_clades_from_tables(tree, props)
            private = private_cn_events_from_tables(tree, props)
            text = " ".join(sorted("{" + ",".join(sorted(x.split("-")[-1] for x in c)) + "}" for c in clades)) or "star"
            yield folder, r._replace(true_clades=text, private_cn_events=private,
                                     cn_eligible=bool(r.regions >= 4 and private >= 3))


def flagged(segments: pd.DataFrame, tumours: list[str]) -> dict[str, np.ndarray]:
    """Per region, per shared piece (the cut the tree uses): whether its segment is flagged subclonal."""
    _, values = shared_states(segments.assign(subclonal=subclonal_flags(segments)), tumours, ("subclonal",),
                              autosomes_only=True)
    return {s: values[s][:, 0] > 0 for s in tumours}


def clades(segments: pd.DataFrame, tumours: list[str], mode: str, min_branch_events: float = 0.5,
           wgd: bool = True) -> set[frozenset[str]]:
    table, profiles = shared_segments(segments, tumours)
    sub = flagged(segments, tumours)
    chrom = table["chrom"].to_numpy()
    chroms = list(dict.fromkeys(chrom))
    names = [ROOT] + tumours
    anywhere = np.any([sub[s] for s in tumours], axis=0) if tumours else np.zeros(len(table), bool)
    m = np.zeros((len(names), len(names)))
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            drop = np.zeros(len(table), bool)
            if mode == "any":
                drop = anywhere
            elif mode == "pair":
                drop = sub.get(names[i], drop) | sub.get(names[j], drop)
            a, b = {}, {}
            for c in chroms:
                keep = ~drop[chrom == c]
                if keep.any():
                    a[c], b[c] = profiles[names[i]][c][keep], profiles[names[j]][c][keep]
            d = directed_distance(a, b, wgd) if names[i] == ROOT else pair_distance(a, b, wgd)
            m[i, j] = m[j, i] = d
    tree = neighbour_joining(names, m)
    return {frozenset(s.split("-")[-1] for s in c)
            for c in informative(tree.clades(ROOT, min_branch_events), len(tumours))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="+", help="--out folders of bench/evolution_bam.py")
    args = ap.parse_args()
    rows = []
    for folder, r in bench_patients(args.folders):
        seg = read_tsv(os.path.join(folder, "work", "results", "copynumber", r.patient, "segments.tsv"),
                       dtype={"chrom": str, "sample": str})
        tumours = sorted(seg["sample"].unique())
        truth = true_clades(r.true_clades)
        row = {"run": os.path.basename(os.path.normpath(folder)), "patient": r.patient,
               "eligible": bool(r.cn_eligible)}
        row.update({m: clades(seg, tumours, m) == truth for m in MODES})
        rows.append(row)
    out = pd.DataFrame(rows)
    print(out.to_string(index=False))
    for label, t in (("all", out), ("eligible", out[out["eligible"]])):
        print(f"{label} ({len(t)} patients): same topology " +
              ", ".join(f"{m} {int(t[m].sum())}" for m in MODES))


if __name__ == "__main__":
    main()
