"""Clustering against a known answer: adjusted Rand index and per-clone CCF error.

Used by the tests and benchmarks against the simulator's truth tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import comb


def adjusted_rand_index(a, b) -> float:
    """Hubert-Arabie ARI of two labelings of the same items (1.0 = identical partitions)."""
    ct = pd.crosstab(np.asarray(a), np.asarray(b)).to_numpy()
    pairs = comb(ct, 2).sum()
    ra, rb, n = comb(ct.sum(axis=1), 2).sum(), comb(ct.sum(axis=0), 2).sum(), comb(ct.sum(), 2)
    expected = ra * rb / n if n else 0.0
    top = (ra + rb) / 2 - expected
    return 1.0 if top == 0 else float((pairs - expected) / top)


def compare_to_truth(truth: pd.DataFrame, mutations: pd.DataFrame, summary: pd.DataFrame,
                     min_clone_size: int = 10) -> dict:
    """ARI over the mutations of true clones with >= min_clone_size called mutations, and per such
    clone the CCF error of the cluster holding most of its mutations, in every region.

    truth: the simulator's long mutations table (mutation_id, clone, sample, ccf);
    mutations/summary: the clonal stage's mutations.tsv and cluster_summary.tsv.
    """
    tm = truth.drop_duplicates("mutation_id").set_index("mutation_id")["clone"]
    mm = mutations.drop_duplicates("mutation_id").set_index("mutation_id")["cluster_id"]
    common = mm.index.intersection(tm.index)
    sizes = tm.loc[common].value_counts()
    big = sorted(sizes[sizes >= min_clone_size].index)
    sel = [i for i in common if tm[i] in big]
    regions = list(dict.fromkeys(summary["sample"]))
    true_ccf = (truth[truth["sample"].isin(regions)].drop_duplicates(["clone", "sample"])
                .pivot(index="clone", columns="sample", values="ccf"))
    est = summary.pivot(index="cluster_id", columns="sample", values="ccf")
    clones = []
    for c in big:
        ids = [i for i in sel if tm[i] == c]
        k = mm.loc[ids].mode().iloc[0]
        err = (est.loc[k, regions] - true_ccf.loc[c, regions]).abs()
        clones.append({"clone": c, "n": len(ids), "cluster": int(k), "share": float((mm.loc[ids] == k).mean()),
                       "max_ccf_error": float(err.max()), "true_ccf": true_ccf.loc[c, regions].round(3).tolist(),
                       "ccf": est.loc[k, regions].round(3).tolist()})
    return {"n_called": int(len(mm)), "n_matched": int(len(common)),
            "ari": adjusted_rand_index(tm.loc[sel], mm.loc[sel]) if sel else float("nan"),
            "ari_all": adjusted_rand_index(tm.loc[common], mm.loc[common]) if len(common) else float("nan"),
            "clones": clones}
