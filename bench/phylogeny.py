"""Clone-tree benchmarks.

  truth      simulated patients (the simulator's trees, clones and copy number, with clones drawn
             distinguishable: clone_separation 4), read counts drawn at every mutation from its
             expected VAF at the preset depth, the clonal engine with the workflow's defaults, then
             the trees ranked by the read counts, and beside them the previous sum-rule ranking on
             the same clusters: is the true tree the top-ranked one (same parent for every clone
             after matching clusters to clones by their mutations)? Patients with <= 8 clones,
             split by whether the truth's own CCFs fit one tree only (identifiable). With
             --tree-margin M the simulator redraws compositions until the true CCFs fit no other
             tree within M (the issue-6 rate).
  imperfect  clusters as real data give them (ith.simulate.clusters: 10-30 clusters, 10-90
             samples, depth 30-1000x, copy-number and purity errors, overdispersion, coverage gaps,
             low-purity samples, clusters merging two clones): mean parent accuracy, the true tree
             top-ranked among identifiable patients, clusters left out of the top tree, for the
             likelihood ranking and, in the same run, the previous sum-rule ranking (issue 19).
  scale      time to the ranked trees at 17 clusters x 13 samples and 30 x 90 (imperfect-data
             patients), beside the previous ranking's time on the same reads.

    python bench/phylogeny.py imperfect --seeds 1-40
    python bench/phylogeny.py scale --reps 3
    python bench/phylogeny.py scale --reps 2 --max-fits 100 --no-old   # the heuristic search's time
    python bench/phylogeny.py truth --seeds 1-20 --presets test demo --tree-margin 0.05
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import numpy as np
import pandas as pd

from ith.clonal.annotate import PostParams
from ith.clonal.data import from_frame
from ith.clonal.engine import EngineOptions, run
from ith.clonal.patient import PYCLONE_COLUMNS, annotate_patient
from ith.clonal.results import pyclone_table
from ith.clonal.vi import VIOptions
from ith.phylogeny.evaluate import tree_matches_truth
from ith.phylogeny.patient import clone_data_from_tables, reads_from_clonal
from ith.phylogeny.ranking import PhylogenyParams, build
from ith.phylogeny.trees import TreeParams, build_trees
from ith.simulate import truth as sim_truth
from ith.simulate.cohort import patients
from ith.simulate.genome import make_genome
from ith.simulate.presets import PRESETS
from ith.simulate.samples import has_rival_tree

ENGINE = EngineOptions(density="beta-binomial", grid_size=100, precision=200.0, state_prior="clonal_cn",
                       vi=VIOptions(num_clusters=40, num_restarts=10, seed=1, threads=2))
POST = PostParams(min_cluster_size=5)


def _counts(rng: np.random.Generator, muts: pd.DataFrame, depth: dict[str, float]) -> pd.DataFrame:
    """The clonal stage's input as the workflow builds it, from the truth's copy number and purity."""
    m = muts[(muts["type"] == "snv")].copy()
    d = rng.poisson(m["sample"].map(depth).to_numpy())
    alt = rng.binomial(d, m["expected_vaf"].clip(0, 1).to_numpy())
    m["alt_counts"], m["ref_counts"] = alt, d - alt
    called = m.groupby("mutation_id")["alt_counts"].transform("max") >= 3  # seen somewhere: a called mutation
    m = m[called.to_numpy()]
    full = pd.DataFrame({"mutation_id": m["mutation_id"], "sample_id": m["sample"], "ref_counts": m["ref_counts"],
                         "alt_counts": m["alt_counts"], "normal_cn": m["normal_cn"],
                         "major_cn": m["major_cn"], "minor_cn": m["minor_cn"], "tumour_content": m["purity"]})
    full = full.assign(raw_ref=full["ref_counts"], raw_alt=full["alt_counts"], cn_status="ok", clustered=True,
                       reason="", present=full["alt_counts"] > 0, indel=False, driver="")
    lost = full["major_cn"] == 0  # as the workflow does: no tumour copy, no information
    full.loc[lost, ["ref_counts", "alt_counts"]] = 0
    return full


def bench_truth(seeds: list[int], presets: list[str], max_clones: int, params: PhylogenyParams,
                tree_margin: float | None, verbose: bool = False) -> None:
    rows = []
    for name in presets:
        preset = replace(PRESETS[name], clone_separation=4.0, tree_margin=tree_margin)
        for seed in seeds:
            genome = make_genome(np.random.default_rng([seed, 0]), preset.autosome_lengths, preset.x_length,
                                 preset.y_length, preset.segdups_per_mb)
            for patient, specs in patients(seed, preset, genome):
                if patient.tumour.n_clones > max_clones:
                    continue
                tum = [s for s in specs if s.type == "tumour"]
                muts = sim_truth.mutation_table(patient, specs)
                muts = muts[muts["sample"].isin([s.sample for s in tum])]
                muts = muts.merge(pd.DataFrame({"sample": [s.sample for s in tum], "purity": [s.purity for s in tum]}))
                rng = np.random.default_rng([seed, 7, int(patient.id[1:])])
                full = _counts(rng, muts, {s.sample: s.depth for s in tum})
                t0 = time.perf_counter()
                data = from_frame(full[PYCLONE_COLUMNS], "input")
                fit = run(data, ENGINE)
                tabs = annotate_patient(patient.id, full, pyclone_table(data, fit.best, fit.grid), ENGINE, POST)
                t1 = time.perf_counter()
                reads, _ = reads_from_clonal(tabs["mutations"], tabs["summary"], params,
                                             inputs=full.loc[full["clustered"], PYCLONE_COLUMNS])
                new = build(reads, params)
                t2 = time.perf_counter()
                truth_tree = sim_truth.tree_table(patient)
                res = tree_matches_truth(reads.clusters, [np.array(t) for t, _ in new.outcome.trees], tabs["mutations"],
                                         muts, truth_tree)
                clones, excluded = clone_data_from_tables(tabs["posteriors"], tabs["summary"])
                rep = build_trees(clones, TreeParams(), excluded)
                old = tree_matches_truth(rep.data.clusters, [t.parents for t in rep.result.trees], tabs["mutations"],
                                         muts, truth_tree)
                exact = not has_rival_tree(patient.tumour, np.array([s.clone_props for s in tum]), 0.0)
                row = dict(preset=name, seed=seed, patient=patient.id, clones=patient.tumour.n_clones,
                           regions=len(tum), wgd=patient.tumour.wgd, separation=patient.notes["clone_separation"],
                           identifiable=patient.notes["tree_identifiable"],
                           clusters=len(reads.clusters), flagged=len(new.flagged), one_tree_fits_truth=exact,
                           top_correct=res["top_correct"], correct_rank=res["rank"], matched=res["matched"],
                           old_top_correct=old["top_correct"], old_left_out=len(rep.excluded) - len(excluded),
                           clonal_s=round(t1 - t0, 1), tree_s=round(t2 - t1, 2))
                rows.append(row)
                print(json.dumps(row), flush=True)
                if not res["top_correct"]:
                    print("   ", res["why"], flush=True)
                    if res["rank"]:
                        cs = [c for _, c in new.outcome.trees]
                        print(f"    cost: top {cs[0]:.2f}, true tree {cs[res['rank'] - 1]:.2f}", flush=True)
                    if verbose:
                        inv = {v: k for k, v in res["main"].items()}
                        est = pd.DataFrame(clones.mean.T.round(2), columns=clones.samples,
                                           index=[f"{c}={inv.get(int(c), 'extra')} n={n}" for c, n in
                                                  zip(clones.clusters, clones.n_mutations)])
                        print(est.to_string(), flush=True)
                        true = muts.drop_duplicates(["clone", "sample"]).pivot(index="clone", columns="sample", values="ccf")
                        print(truth_tree[["clone", "parent"]].to_string(index=False))
                        print(true.round(2).to_string(), flush=True)
    t = pd.DataFrame(rows)
    print(f"true tree top-ranked: {int(t['top_correct'].sum())}/{len(t)} = {t['top_correct'].mean():.1%} "
          f"(clusters matched clones one to one in {int(t['matched'].sum())}); "
          f"given matched clusters: {t.loc[t['matched'], 'top_correct'].mean():.1%}")
    one = t["one_tree_fits_truth"]
    for label, part in (("identifiable (one tree fits the true CCFs)", t[one]),
                        ("ambiguous (several trees fit the true CCFs)", t[~one])):
        print(f"  {label}: {int(part['top_correct'].sum())}/{len(part)} = {part['top_correct'].mean():.1%}")
    print("  by clones:", {int(k): f"{int(v.sum())}/{len(v)}" for k, v in t.groupby("clones")["top_correct"]})
    for label, part in (("identifiable", t[one]), ("ambiguous", t[~one])):
        print(f"  sum-rule ranking (previous), {label}: {int(part['old_top_correct'].sum())}/{len(part)} = "
              f"{part['old_top_correct'].mean():.1%}; clusters left out: {int(part['old_left_out'].sum())}")


def bench_scale(params: PhylogenyParams, reps: int, old: bool) -> None:
    """Time to the ranked trees at the issue's sizes (17 clusters x 13 samples, 30 x 90), on
    imperfect-data patients (simulate.clusters), beside the previous sum-rule ranking on the same
    reads; whether the top tree is the true one."""
    from ith.phylogeny.reads import from_table
    from ith.simulate.clusters import imperfect_patient

    warm = imperfect_patient(0, clusters=(4, 4), samples=(3, 3))
    build(from_table(warm["table"], "warm-up", params.overdispersion, params.error), params)  # compile
    for n_k, n_s in ((17, 13), (30, 90)):
        for r in range(reps):
            sim = imperfect_patient(1000 + r, clusters=(n_k, n_k), samples=(n_s, n_s))
            t0 = time.perf_counter()
            reads = from_table(sim["table"], "scale", params.overdispersion, params.error)
            res = build(reads, params)
            dt = time.perf_counter() - t0
            top = res.best
            row = dict(clusters=sim["clusters"], samples=n_s, rep=r, mutations=int(reads.n_mutations.sum()),
                       method=res.outcome.method, fits=res.outcome.fits, seconds=round(dt, 2),
                       parent_acc=round(float((top == sim["truth"]).mean()), 3),
                       top_is_truth=bool((top == sim["truth"]).all()))
            if old:
                op, gone, odt = _old_ranking(reads)
                row.update(old_seconds=round(odt, 2), old_parent_acc=round(float((op == sim["truth"]).mean()), 3),
                           old_left_out=len(gone))
            print(json.dumps(row), flush=True)


# ---- imperfect: the clusters real data give (issue 19) ----

def identifiable(freq: np.ndarray, truth: np.ndarray, margin: float) -> bool:
    """Whether the clusters' true frequencies fit the true tree only: no other tree breaks the
    sum rule by less than the true tree does plus `margin` (merged clusters make the true tree
    break it a little), and no cluster matches its parent everywhere (the two could swap)."""
    from ith.phylogeny.score import sum_rule_errors
    from ith.simulate.samples import trees_fitting

    err = float(sum_rule_errors(freq, truth).max()) if len(truth) > 1 else 0.0
    for c in range(1, len(truth)):
        if truth[c] >= 0 and np.all(np.abs(freq[:, c] - freq[:, truth[c]]) <= margin):
            return False
    fits = trees_fitting(freq, err + margin, limit=2)
    return fits == [truth.tolist()]


def _old_ranking(reads) -> tuple[np.ndarray, list[int], float]:
    """The sum-rule ranking (trees.py) on each cluster's CCF posterior from the same reads (flat prior)."""
    from ith.phylogeny.data import CloneData
    from ith.phylogeny.reads import cluster_ll

    grid = np.linspace(0, 1, 101)
    n_s, n_k = reads.start.shape
    logp = np.zeros((n_s, n_k, grid.size))
    for s in range(n_s):
        for k in range(n_k):
            for i, x in enumerate(grid):
                logp[s, k, i] = cluster_ll(reads.start[s, k], reads.stop[s, k], reads.omega, reads.var, reads.total,
                                           reads.error, x)[0]
    post = np.exp(logp - logp.max(axis=2, keepdims=True))
    post /= post.sum(axis=2, keepdims=True)
    data = CloneData(reads.clusters, reads.samples, grid, post, reads.n_mutations)
    t0 = time.perf_counter()
    rep = build_trees(data, TreeParams())
    dt = time.perf_counter() - t0
    kept = [int(c) for c in rep.data.clusters]
    parents = np.full(n_k, -9)
    if rep.best is not None:
        for i, c in enumerate(kept):
            p = rep.best.parents[i]
            parents[int(np.searchsorted(reads.clusters, c))] = -1 if p < 0 else kept[p]
    return parents, sorted(set(reads.clusters.tolist()) - set(kept)), dt


def bench_imperfect(seeds: list[int], params, margin: float, old: bool) -> None:
    from ith.phylogeny.ranking import build
    from ith.phylogeny.reads import from_table
    from ith.simulate.clusters import imperfect_patient

    rows = []
    for seed in seeds:
        sim = imperfect_patient(seed)
        t0 = time.perf_counter()
        reads = from_table(sim["table"], f"seed {seed}", params.overdispersion, params.error)
        res = build(reads, params)
        dt = time.perf_counter() - t0
        truth = sim["truth"]
        top = res.best
        top_ids = np.where(top < 0, -1, top)  # clusters are 0..K-1 in the simulation
        row = dict(seed=seed, clusters=sim["clusters"], merged=sim["merged"], samples=sim["samples"],
                   mutations=int(reads.n_mutations.sum()),
                   identifiable=identifiable(sim["freq"], truth, margin),
                   parent_acc=round(float((top_ids == truth).mean()), 3), top_correct=bool((top_ids == truth).all()),
                   left_out=0, flagged=len(res.flagged), exact=res.outcome.exact, seconds=round(dt, 1))
        if old:
            op, gone, odt = _old_ranking(reads)
            row.update(old_parent_acc=round(float((op == truth).mean()), 3), old_top_correct=bool((op == truth).all()),
                       old_left_out=len(gone), old_seconds=round(odt, 1))
        rows.append(row)
        print(json.dumps(row), flush=True)
    t = pd.DataFrame(rows)
    ident = t[t["identifiable"]]
    print(f"likelihood ranking: mean parent accuracy {t['parent_acc'].mean():.3f}; true tree top in "
          f"{int(ident['top_correct'].sum())}/{len(ident)} identifiable patients "
          f"({ident['top_correct'].mean():.1%}), {int(t['top_correct'].sum())}/{len(t)} of all; clusters left "
          f"out of the top tree: {int(t['left_out'].sum())}; flagged {int(t['flagged'].sum())}; "
          f"median {t['seconds'].median():.1f} s, max {t['seconds'].max():.1f} s")
    if old:
        print(f"sum-rule ranking (previous): mean parent accuracy {t['old_parent_acc'].mean():.3f}; true tree top "
              f"in {int(ident['old_top_correct'].sum())}/{len(ident)} identifiable ({ident['old_top_correct'].mean():.1%}), "
              f"{int(t['old_top_correct'].sum())}/{len(t)} of all; clusters left out of the top tree: "
              f"{int(t['old_left_out'].sum())} in {int((t['old_left_out'] > 0).sum())} patients; "
              f"median {t['old_seconds'].median():.1f} s, max {t['old_seconds'].max():.1f} s")


def _seeds(spec: str) -> list[int]:
    out = []
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b) + 1)) if b else [int(a)]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["truth", "imperfect", "scale"])
    ap.add_argument("--seeds", default="1-20")
    ap.add_argument("--presets", nargs="+", default=["test", "demo"])
    ap.add_argument("--max-clones", type=int, default=8)
    ap.add_argument("--density", choices=["binomial", "beta-binomial"], default=PhylogenyParams().density)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--margin", type=float, default=0.02,
                    help="imperfect: a patient is identifiable when no other tree breaks the sum rule on the true "
                         "frequencies by less than the true tree plus this margin")
    ap.add_argument("--no-old", action="store_true", help="skip the previous sum-rule ranking")
    ap.add_argument("--max-fits", type=int, default=PhylogenyParams().max_fits,
                    help="budget of the exact search (a small one times the heuristic search)")
    ap.add_argument("--tree-margin", type=float, default=None,
                    help="truth: draw region compositions whose true CCFs fit no other tree within this margin "
                         "(the simulator's tree_margin); default: any compositions")
    ap.add_argument("--verbose", action="store_true", help="print the CCFs of every patient whose tree is wrong")
    a = ap.parse_args()
    params = PhylogenyParams(density=a.density, max_fits=a.max_fits)
    if a.mode == "truth":
        bench_truth(_seeds(a.seeds), a.presets, a.max_clones, params, a.tree_margin, a.verbose)
    elif a.mode == "imperfect":
        bench_imperfect(_seeds(a.seeds), params, a.margin, not a.no_old)
    else:
        bench_scale(params, a.reps, not a.no_old)


if __name__ == "__main__":
    main()
