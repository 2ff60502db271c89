"""Richness estimators for few regions, compared (docs/methods/sampling.md, docs/benchmarks.md).

The patients and the test of bench/sampling.py (8 regions each, table-level calls from the
simulator's truth; per patient, the mean prediction over the k-subsets of its regions within one
clone of the mean number of clones the other regions add), for estimators the workflow offers
(`chao2`, `jackknife`) and for those measured and not kept:

- jack1: the first-order jackknife, unseen = Q1 (T - 1) / T (the second-order one at T = 2);
- chao2-trunk: Chao2 with the clones clonal (CCF >= 0.9) in every sampled region left out, as
  ICE leaves out the frequent species: with two regions Q2 then counts only clones seen twice
  but subclonal somewhere (the within-region information on which shared clones are widespread);
- ccf-huggins: a per-clone detection probability from its CCFs, logit p = b0 + b1 (mean CCF
  where present - 0.5), fitted by the conditional (zero-truncated binomial) likelihood of its
  incidence (Huggins 1989; weak ridge on b1), and the Horvitz-Thompson count sum 1 / (1 - (1 -
  p)^T); the clones m more regions add: sum (1 - pi) / pi (1 - (1 - p)^m);
- zt-betabinomial: incidence counts ~ zero-truncated beta-binomial(T, a, b) by maximum
  likelihood; unseen = S f(0) / (1 - f(0)), the clones m more regions add from the posterior
  Beta(a, b + T) of an unseen clone's detection probability.

Each extrapolates to 8 regions from the k regions alone (Chao et al. 2014's formula for the
incidence estimators). The fitted models are slow (a few minutes per 50 patients).

In-sample fit: a least-squares fit of the clones added on what k regions show (S_obs; Q1 split
into clones clonal / subclonal in their region; Q2 into clones clonal in both / subclonal in one),
fitted on the very patients it is scored on: how much of the gain these counts, the within-region
clonality included, can explain at all, with the answer known (not a method; least squares
minimises the squared error, not the share within one clone, so it is a yardstick, not a strict
bound).

    python bench/sampling_estimators.py --seeds 1 2 3 4 5 --patients 10
    python bench/sampling_estimators.py --seeds 1 2 3 4 5 --patients 10 --clones 8 12 --snvs 300 400
"""

from __future__ import annotations

import argparse
import itertools
import time
import warnings

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, expit, gammaln

from ith.sampling.curves import chao2, jackknife
from sampling import simulated_calls  # bench/sampling.py: the same simulated calls

CLONAL = 0.9


def matrices(clusters: pd.DataFrame, regions: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(incidence, CCF) clusters x regions from a cluster table (CCF 0 where absent)."""
    cl = clusters[clusters["sample"].isin(regions)]
    ccf = cl.pivot_table(index="cluster_id", columns="sample", values="ccf").reindex(columns=regions).fillna(0.0)
    pres = (cl.assign(p=cl["call"] != "absent").pivot_table(index="cluster_id", columns="sample", values="p",
                                                            aggfunc="first")
            .reindex(columns=regions).fillna(False).astype(bool))
    keep = pres.any(axis=1).to_numpy()
    inc = pres.to_numpy(bool)[keep]
    return inc, ccf.to_numpy(float)[keep] * inc


def _extrapolated(q1: int, t: int, unseen: float, m: int) -> float:
    """Chao et al. (2014): clones m more regions add, from the unseen count and Q1."""
    if unseen <= 0 or q1 <= 0:
        return 0.0
    return float(unseen * (1 - (1 - q1 / (t * unseen + q1)) ** m))


def p_chao2(inc, ccf, m):
    r = chao2(inc)
    return r.expected(r.regions + m) - r.observed


def p_jackknife(inc, ccf, m):
    r = jackknife(inc)
    return r.expected(r.regions + m) - r.observed


def p_jack1(inc, ccf, m):
    t = inc.shape[1]
    q1 = int((inc.sum(axis=1) == 1).sum())
    return _extrapolated(q1, t, q1 * (t - 1) / t, m)


def p_chao2_trunk(inc, ccf, m):
    keep = ~((ccf >= CLONAL) & inc).all(axis=1)
    if not keep.any():
        return 0.0
    r = chao2(inc[keep])
    return r.expected(r.regions + m) - r.observed


def p_ccf_huggins(inc, ccf, m, ridge=1.0, p_min=0.05):
    t = inc.shape[1]
    y = inc.sum(axis=1).astype(float)
    c = np.where(inc, ccf, np.nan)
    x = np.column_stack([np.ones(len(y)), np.nanmean(c, axis=1) - 0.5])

    def nll(b):
        p = np.clip(expit(x @ b), 1e-9, 1 - 1e-9)
        ll = y * np.log(p) + (t - y) * np.log1p(-p) - np.log1p(-(1 - p) ** t)
        return -ll.sum() + ridge * b[1] ** 2 + 0.01 * b[0] ** 2

    b = minimize(nll, np.zeros(2), method="BFGS").x
    p = np.clip(expit(x @ b), p_min, 1)
    pi = 1 - (1 - p) ** t
    return float(((1 - pi) / pi * (1 - (1 - p) ** m)).sum())


def p_zt_betabinomial(inc, ccf, m):
    t = inc.shape[1]
    y = inc.sum(axis=1)

    def logpmf(k, a, b):
        return (gammaln(t + 1) - gammaln(k + 1) - gammaln(t - k + 1) + betaln(k + a, t - k + b) - betaln(a, b))

    def nll(theta):
        a, b = np.exp(np.clip(theta, -5, 5))
        p0 = min(np.exp(logpmf(0, a, b)), 1 - 1e-12)
        return -(logpmf(y, a, b) - np.log1p(-p0)).sum()

    fits = [minimize(nll, np.array(x0, float), method="Nelder-Mead") for x0 in [(0, 0), (-1, 0), (1, 1)]]
    a, b = np.exp(np.clip(min(fits, key=lambda r: r.fun).x, -5, 5))
    p0 = min(np.exp(logpmf(0, a, b)), 1 - 1e-12)
    unseen = len(y) * p0 / (1 - p0)
    return float(unseen * (1 - np.exp(betaln(a, b + t + m) - betaln(a, b + t))))


METHODS = {"chao2": p_chao2, "jackknife": p_jackknife, "jack1": p_jack1, "chao2-trunk": p_chao2_trunk,
           "ccf-huggins": p_ccf_huggins, "zt-betabinomial": p_zt_betabinomial}


FEATURES = ("s_obs", "q1_subclonal", "q1_clonal", "q2_subclonal", "q2_clonal")


def features(inc: np.ndarray, ccf: np.ndarray) -> dict[str, int]:
    freq = inc.sum(axis=1)
    clonal_all = ((ccf >= CLONAL) | ~inc).all(axis=1)
    return {"s_obs": len(freq), "q1_subclonal": int(((freq == 1) & ~clonal_all).sum()),
            "q1_clonal": int(((freq == 1) & clonal_all).sum()), "q2_subclonal": int(((freq == 2) & ~clonal_all).sum()),
            "q2_clonal": int(((freq == 2) & clonal_all).sum())}


def in_sample_fit(subsets: pd.DataFrame) -> float:
    """Share of patients within one clone when the added clones are predicted by the in-sample
    least-squares fit on FEATURES (one k)."""
    x = np.column_stack([np.ones(len(subsets))] + [subsets[f].to_numpy(float) for f in FEATURES])
    b = np.linalg.lstsq(x, subsets["added"].to_numpy(float), rcond=None)[0]
    g = subsets.assign(pred=x @ b).groupby("patient")[["pred", "added"]].mean()
    return float(((g["pred"] - g["added"]).abs() <= 1).mean())


def run(seeds, patients, clones, depth, snvs, ks,
        methods) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rows, subsets, clone_rows = [], [], []
    for seed, pid, _, _, cl, regions in simulated_calls(seeds, patients, clones, depth, snvs):
        cl = cl[~cl["artefact"]]
        inc, ccf = matrices(cl, regions)
        n = len(regions)
        for i in range(len(inc)):  # each clone: in how many of the n regions, its mean CCF where present
            clone_rows.append({"regions": int(inc[i].sum()), "mean_ccf": float(ccf[i][inc[i]].mean())})
        for k in ks:
            per = []
            for sub in itertools.combinations(range(n), k):
                si, sc = inc[:, sub], ccf[:, sub]
                seen = si.any(axis=1)
                r = {"added": len(inc) - int(seen.sum())}
                subsets.append({"patient": f"{seed}-{pid}", "k": k, "added": r["added"],
                                **features(si[seen], sc[seen])})
                for name in methods:
                    r[name] = METHODS[name](si[seen], sc[seen], n - k)
                per.append(r)
            per = pd.DataFrame(per)
            row = {"seed": seed, "patient": pid, "k": k, "added": per["added"].mean()}
            for name in methods:
                row[name] = per[name].mean()
                row[f"{name}_within"] = abs(per[name].mean() - per["added"].mean()) <= 1
                row[f"{name}_single"] = float(((per[name] - per["added"]).abs() <= 1).mean())
            rows.append(row)
    return pd.DataFrame(rows), pd.DataFrame(subsets), pd.DataFrame(clone_rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--patients", type=int, default=10)
    ap.add_argument("--clones", type=int, nargs=2, default=[4, 10])
    ap.add_argument("--snvs", type=int, nargs=2, default=None)
    ap.add_argument("--depth", type=float, default=None)
    ap.add_argument("--k", type=int, nargs="+", default=[2, 3])
    ap.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(METHODS))
    a = ap.parse_args()
    t0 = time.time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        df, subsets, clone_table = run(a.seeds, a.patients, tuple(a.clones), a.depth, tuple(a.snvs) if a.snvs else None, a.k,
                          a.methods)
    print(f"{len(df) // len(a.k)} patients, "
          f"{time.time() - t0:.0f} s; within one clone (mean prediction) / single studies within one / "
          "mean predicted (added)")
    print_clone_ccf(clone_table)
    for k, g in df.groupby("k"):
        print(f"k={k}: added {g['added'].mean():.2f}")
        for name in a.methods:
            print(f"  {name:16s} {g[f'{name}_within'].mean():4.0%}  single {g[f'{name}_single'].mean():4.0%}  "
                  f"predicted {g[name].mean():.2f}")
        q1 = subsets[subsets["k"] == k].assign(q1=lambda d: d["q1_subclonal"] + d["q1_clonal"])
        by_q1 = q1.groupby("q1")["added"].agg(["mean", "size"])
        print("  mean gain by Q1: " + ", ".join(f"Q1={i}: {r['mean']:.2f} ({int(r['size'])})"
                                               for i, r in by_q1.iterrows()))
        print(f"  {'in-sample fit':16s} {in_sample_fit(subsets[subsets['k'] == k]):4.0%}  (in-sample least squares on "
              f"{', '.join(FEATURES)})")


def print_clone_ccf(clone_table: pd.DataFrame) -> None:
    by = clone_table.groupby("regions")["mean_ccf"].agg(["mean", "size"])
    print("clones by the number of regions they are in: mean CCF where present (clones): " + ", ".join(
        f"{i}: {r['mean']:.2f} ({int(r['size'])})" for i, r in by.iterrows()))


if __name__ == "__main__":
    main()
