"""Clone-tree benchmarks.

  truth   simulated patients (the simulator's trees, clones and copy number, with clones drawn
          distinguishable: clone_separation 4), read counts drawn at every mutation from its
          expected VAF at the preset depth, the clonal engine with the workflow's defaults, then
          the trees: is the true tree the top-ranked one (same parent for every clone after
          matching clusters to clones by their mutations)? Patients with <= 8 clones. The rate is
          also split by whether the truth's own CCFs fit one tree only (identifiable) or several,
          where the CCFs cannot decide and the ranking rests on the prior over own cells.
          With --tree-margin M the simulator redraws compositions until the true CCFs fit no other
          tree within M (the patients a CCF-based method can be scored on; the issue's rate).
          Copy number and purity are the truth's, so this scores clustering + trees, not the
          upstream stages (the workflow's own run is scored by tests/test_phylogeny.py).
  scale   random trees of K clones x S samples (posteriors of sd 0.02 around the tree's CCFs,
          many clones near CCF 0, so many trees fit): time to all consistent trees (12 x 10)
          and to a tree (30 x 20); whether the true tree is consistent and its rank if kept.

    python bench/phylogeny.py truth --seeds 1-20 --presets test demo --tree-margin 0.05
    python bench/phylogeny.py truth --seeds 1-20 --presets test demo      # any compositions
    python bench/phylogeny.py scale
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from ith.clonal.annotate import PostParams  # noqa: E402
from ith.clonal.data import from_frame  # noqa: E402
from ith.clonal.engine import EngineOptions, run  # noqa: E402
from ith.clonal.patient import PYCLONE_COLUMNS, annotate_patient  # noqa: E402
from ith.clonal.results import pyclone_table  # noqa: E402
from ith.clonal.vi import VIOptions  # noqa: E402
from ith.phylogeny.evaluate import tree_matches_truth  # noqa: E402
from ith.phylogeny.patient import clone_data_from_tables  # noqa: E402
from ith.phylogeny.search import SearchOptions  # noqa: E402
from ith.phylogeny.trees import TreeParams, build_trees  # noqa: E402
from ith.simulate import truth as sim_truth  # noqa: E402
from ith.simulate.cohort import _patients  # noqa: E402
from ith.simulate.genome import make_genome  # noqa: E402
from ith.simulate.presets import PRESETS  # noqa: E402
from ith.simulate.samples import has_rival_tree  # noqa: E402

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


def bench_truth(seeds: list[int], presets: list[str], max_clones: int, params: TreeParams,
                tree_margin: float | None, verbose: bool = False) -> None:
    rows = []
    for name in presets:
        preset = replace(PRESETS[name], clone_separation=4.0, tree_margin=tree_margin)
        for seed in seeds:
            genome = make_genome(np.random.default_rng([seed, 0]), preset.autosome_lengths, preset.x_length,
                                 preset.y_length, preset.segdups_per_mb)
            for patient, specs in _patients(seed, preset, genome):
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
                clones, excluded = clone_data_from_tables(tabs["posteriors"], tabs["summary"])
                rep = build_trees(clones, params, excluded)
                t2 = time.perf_counter()
                truth_tree = sim_truth.tree_table(patient)
                res = tree_matches_truth(rep, tabs["mutations"], muts, truth_tree)
                exact = not has_rival_tree(patient.tumour, np.array([s.clone_props for s in tum]), 0.0)
                row = dict(preset=name, seed=seed, patient=patient.id, clones=patient.tumour.n_clones,
                           regions=len(tum), wgd=patient.tumour.wgd, separation=patient.notes["clone_separation"],
                           identifiable=patient.notes["tree_identifiable"],
                           clusters=len(clones.clusters), consistent=rep.result.n_consistent, one_tree_fits_truth=exact,
                           top_correct=res["top_correct"], correct_rank=res["rank"], matched=res["matched"],
                           clonal_s=round(t1 - t0, 1), tree_s=round(t2 - t1, 2))
                rows.append(row)
                print(json.dumps(row), flush=True)
                if not res["top_correct"]:
                    print("   ", res["why"], flush=True)
                    if res["rank"]:
                        ls = [t.log_score for t in rep.result.trees]
                        print(f"    log evidence: top {ls[0]:.2f}, true tree {ls[res['rank'] - 1]:.2f}", flush=True)
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


def random_tree_posteriors(rng: np.random.Generator, n_k: int, n_s: int, sd: float = 0.02, g: int = 100):
    parents = np.full(n_k, -1)
    for k in range(1, n_k):
        parents[k] = int(rng.integers(0, k))
    eta = rng.dirichlet(np.full(n_k, 1.0), size=n_s)
    eta *= rng.random((n_s, n_k)) < 0.6  # clones absent from some samples
    eta[:, 0] += 0.05
    eta /= eta.sum(axis=1, keepdims=True)
    ccf = np.zeros((n_s, n_k))
    for k in range(n_k - 1, -1, -1):
        ccf[:, k] += eta[:, k]
        if parents[k] >= 0:
            ccf[:, parents[k]] += ccf[:, k]
    grid = np.linspace(0, 1, g)
    obs = np.clip(ccf + rng.normal(0, sd, ccf.shape), 0, 1)
    post = np.exp(-0.5 * ((grid[None, None, :] - obs[:, :, None]) / sd) ** 2)
    return parents, post / post.sum(-1, keepdims=True)


def bench_scale(params: TreeParams, reps: int) -> None:
    from ith.phylogeny.data import smooth
    from ith.phylogeny.score import tree_log_score
    from ith.phylogeny.trees import search

    grid = np.linspace(0, 1, 100)
    search(smooth(random_tree_posteriors(np.random.default_rng(0), 4, 2)[1], grid, 0.03), params.search)  # compile
    for n_k, n_s in ((12, 10), (30, 20)):
        for r in range(reps):
            rng = np.random.default_rng([n_k, n_s, r])
            truth, post = random_tree_posteriors(rng, n_k, n_s)
            post = smooth(post, grid, params.ccf_error_sd)
            t0 = time.perf_counter()
            res = search(post, params.search)
            dt = time.perf_counter() - t0
            top = res.trees[0].parents if res.trees else None
            rank = next((i + 1 for i, t in enumerate(res.trees) if (t.parents == truth).all()), None)
            truth_ok = bool((tree_log_score(post, truth) >= np.log(params.search.alpha)).all())
            print(json.dumps(dict(clones=n_k, samples=n_s, rep=r, method=res.method, seconds=round(dt, 2),
                                  consistent=res.n_consistent, complete=res.complete, truth_consistent=truth_ok,
                                  top_is_truth=bool(top is not None and (top == truth).all()), truth_rank=rank)),
                  flush=True)


def _seeds(spec: str) -> list[int]:
    out = []
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b) + 1)) if b else [int(a)]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["truth", "scale"])
    ap.add_argument("--seeds", default="1-20")
    ap.add_argument("--presets", nargs="+", default=["test", "demo"])
    ap.add_argument("--max-clones", type=int, default=8)
    ap.add_argument("--ccf-error-sd", type=float, default=TreeParams().ccf_error_sd)
    ap.add_argument("--absent-prior", type=float, default=SearchOptions().absent_prior)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--tree-margin", type=float, default=None,
                    help="draw region compositions whose true CCFs fit no other tree within this margin "
                         "(the simulator's tree_margin); default: any compositions")
    ap.add_argument("--verbose", action="store_true", help="print the CCFs of every patient whose tree is wrong")
    a = ap.parse_args()
    params = TreeParams(ccf_error_sd=a.ccf_error_sd, search=SearchOptions(absent_prior=a.absent_prior))
    if a.mode == "truth":
        bench_truth(_seeds(a.seeds), a.presets, a.max_clones, params, a.tree_margin, a.verbose)
    else:
        bench_scale(params, a.reps)


if __name__ == "__main__":
    main()
