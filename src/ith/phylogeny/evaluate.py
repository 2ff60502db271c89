"""Scoring trees against a known answer (the simulator's truth)."""

from __future__ import annotations

import pandas as pd

from ith.phylogeny.score import ROOT


def main_clusters(clonal_mutations: pd.DataFrame, truth_mutations: pd.DataFrame) -> dict[str, int]:
    """Each true clone -> the cluster holding most of its mutations. Other clusters are extra:
    e.g. truncal mutations that a later copy-number loss removed from some clones form a
    cluster of their own, which is real in the data but no clone of the truth."""
    a = clonal_mutations.drop_duplicates("mutation_id")[["mutation_id", "cluster_id"]]
    t = truth_mutations.drop_duplicates("mutation_id")[["mutation_id", "clone"]]
    m = a.merge(t, on="mutation_id")
    m = m[m["cluster_id"] >= 0]
    if m.empty:
        return {}
    top = m.groupby(["clone", "cluster_id"]).size().rename("n").reset_index()
    top = top.sort_values(["clone", "n", "cluster_id"], ascending=[True, False, True]).drop_duplicates("clone")
    return dict(zip(top["clone"].astype(str), top["cluster_id"].astype(int)))


def tree_matches_truth(clusters, trees: list, clonal_mutations: pd.DataFrame, truth_mutations: pd.DataFrame,
                       truth_tree: pd.DataFrame) -> dict:
    """Is the true tree the top-ranked one? Every true clone is matched to the cluster holding
    most of its mutations (one cluster per clone, else no match); a tree is right when each
    clone's cluster has, as its nearest matched ancestor, the cluster of the clone's true parent
    (extra clusters in between are allowed). Also the rank of the first right tree kept.
    `clusters`: the trees' cluster ids; `trees`: ranked parent vectors (indices into clusters,
    ROOT for a founder)."""
    main = main_clusters(clonal_mutations, truth_mutations)
    clusters = [int(c) for c in clusters]
    index = {c: i for i, c in enumerate(clusters)}
    clones = truth_tree["clone"].astype(str).tolist()
    parent_of = {str(r.clone): (str(r.parent) if isinstance(r.parent, str) and r.parent else None)
                 for r in truth_tree.itertuples()}
    ok_map = all(c in main and main[c] in index for c in clones) and len({main.get(c) for c in clones}) == len(clones)
    out = {"matched": ok_map, "top_correct": False, "rank": None, "extra": len(clusters) - len(clones),
           "main": main, "why": ""}
    if not ok_map:
        out["why"] = f"clones -> clusters {main}; clusters in the tree {clusters}"
        return out
    clone_at = {index[main[c]]: c for c in clones}

    def nearest(tree, k):
        p = tree[k]
        while p != ROOT and p not in clone_at:
            p = tree[p]
        return None if p == ROOT else clone_at[p]

    def wrong(tree):
        return [f"{c}: {nearest(tree, k)} (true {parent_of[c]})" for k, c in clone_at.items()
                if nearest(tree, k) != parent_of[c]]

    for rank, tree in enumerate(trees, start=1):
        if not wrong(tree):
            out["rank"] = rank
            break
    out["top_correct"] = out["rank"] == 1
    if not out["top_correct"] and trees:
        out["why"] = f"true tree at rank {out['rank']}; top tree's wrong parents: {'; '.join(wrong(trees[0]))}"
    return out
