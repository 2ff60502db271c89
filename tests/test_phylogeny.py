"""Clone trees ranked by the read counts: the exact projection and constrained fit, the exact
search, every cluster kept (flagged when it fits nowhere cheaply), trivial cases, imperfect
real-data-like clusters against their truth, the readers and the CLI, the region tree, the
workflow's trees against the simulator's truth; and the previous sum-rule ranking (kept as the
benchmarks' baseline)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ith.phylogeny.fit import ROOT, TreeFitter, placement_order, project
from ith.phylogeny.patient import run_patient
from ith.phylogeny.ranking import PhylogenyParams, build
from ith.phylogeny.reads import from_table
from ith.phylogeny.regions import region_tree
from ith.phylogeny.score import tree_log_score
from ith.phylogeny.search import SearchOptions, enumerate_trees

GRID = np.linspace(0, 1, 101)


def _post(ccf, sd=0.02, grid=GRID):
    ccf = np.asarray(ccf, float)
    p = np.exp(-0.5 * ((grid[None, None, :] - ccf[:, :, None]) / sd) ** 2)
    return p / p.sum(-1, keepdims=True)


def test_tree_scores_equal_brute_force_over_every_ccf_combination():
    """On a small grid: each clone's sum-rule probability (least per sample) and the evidence
    with absent own cells (sum over all CCF combinations of posteriors x own-cell priors)."""
    rng = np.random.default_rng(3)
    g, absent = 9, 0.4
    post = rng.random((1, 4, g))
    post /= post.sum(-1, keepdims=True)
    parents = np.array([ROOT, 0, 0, 1])
    kids = {0: [1, 2], 1: [3]}
    node = {0: 0.0, 1: 0.0}
    evidence = 0.0
    for idx in itertools.product(range(g), repeat=4):
        w = np.prod([post[0, k, idx[k]] for k in range(4)])
        for p, cs in kids.items():
            node[p] += w * (sum(idx[c] for c in cs) <= idx[p])
        own = [idx[k] - sum(idx[c] for c in kids.get(k, [])) for k in range(4)]
        if min(own) >= 0:
            evidence += w * np.prod([absent if d == 0 else (1 - absent) / (g - 1) for d in own])
    assert np.exp(tree_log_score(post, parents)[0]) == pytest.approx(min(node.values()), rel=1e-9)
    assert np.exp(tree_log_score(post, parents, absent)[0]) == pytest.approx(evidence, rel=1e-9)


def test_enumeration_finds_every_consistent_tree_and_ranks_the_true_one_first():
    # truth: 0 -> 1 -> 3, 0 -> 2; region-private subclones make it the only tree
    ccf = [[1, 0.6, 0.3, 0.2], [1, 0.2, 0.7, 0.0], [1, 0.9, 0.0, 0.5]]
    post = _post(ccf)
    opts = SearchOptions()
    res = enumerate_trees(post, opts)
    assert res.complete and res.trees
    assert res.trees[0].parents.tolist() == [ROOT, 0, 0, 1]
    # brute force over every parent vector rooted at 0 (acyclic), filtered by consistency
    brute = 0
    for ps in itertools.product(range(4), repeat=3):
        parents = np.array([ROOT, *ps])
        if any(parents[k] == k for k in range(1, 4)):
            continue
        ok = True
        for k in range(1, 4):  # acyclic: every clone reaches the root
            c, steps = k, 0
            while c != ROOT and steps < 5:
                c, steps = parents[c], steps + 1
            ok &= c == ROOT
        if ok and (tree_log_score(post, parents) >= np.log(opts.alpha)).all():
            brute += 1
    assert res.n_consistent == brute


def _reads(ccf, n=20, depth=200, omega=0.5, seed=None, clusters=None):
    """Read counts of n mutations per cluster at the given frequencies (samples x clusters):
    expected counts, or binomial draws with a seed."""
    ccf = np.asarray(ccf, float)
    rng = None if seed is None else np.random.default_rng(seed)
    n_s, n_k = ccf.shape
    ids = list(range(n_k)) if clusters is None else clusters
    rows = []
    for k in range(n_k):
        for i in range(n[k] if isinstance(n, (list, tuple)) else n):
            for s in range(n_s):
                p = omega * ccf[s, k]
                v = int(round(depth * p)) if rng is None else int(rng.binomial(depth, p))
                rows.append((f"m{k}_{i}", f"R{s + 1}", ids[k], v, depth, omega))
    return pd.DataFrame(rows, columns=["mutation_id", "sample", "cluster_id", "var_reads", "total_reads",
                                       "var_read_prob"])


def test_projection_on_the_tree_polytope_is_exact():
    """Weighted least squares on the tree polytope against a general solver (SLSQP) on random
    trees, weights over 5 orders of magnitude and targets outside 0..1."""
    from scipy.optimize import minimize

    rng = np.random.default_rng(0)
    for _ in range(60):
        n = int(rng.integers(1, 8))
        parents = np.array([ROOT] + [int(rng.integers(-1, k)) if rng.random() < 0.2 else int(rng.integers(0, k))
                                     for k in range(1, n)], dtype=np.int64)
        w, y = rng.gamma(1, 1, n) * 10 ** rng.uniform(-2, 3, n), rng.normal(0.4, 0.5, n)
        out = np.zeros(n)
        project(parents, placement_order(parents), w, y, out)
        cons = [{"type": "ineq", "fun": (lambda x, k=k: x[k] - x[parents == k].sum())} for k in range(n)]
        cons.append({"type": "ineq", "fun": lambda x: 1 - x[parents == ROOT].sum()})
        ref = minimize(lambda x: 0.5 * np.sum(w * (x - y) ** 2), np.zeros(n), jac=lambda x: w * (x - y),
                       constraints=cons, bounds=[(0, None)] * n, method="SLSQP",
                       options=dict(ftol=1e-14, maxiter=1000)).x
        f_out, f_ref = 0.5 * np.sum(w * (out - y) ** 2), 0.5 * np.sum(w * (ref - y) ** 2)
        assert f_out <= f_ref + 1e-6 * max(1.0, f_ref)
        assert out.min() >= -1e-12 and out[parents == ROOT].sum() <= 1 + 1e-9
        for k in range(n):
            assert out[parents == k].sum() <= out[k] + 1e-9


def test_constrained_fit_maximises_the_binomial_likelihood():
    """A parent below its child's reads in one sample: the fit meets in between, where the
    binomial likelihood of both is highest (checked against a 1-D search on the common value)."""
    reads = from_table(_reads([[0.5, 0.6], [0.8, 0.3]], n=[30, 10]), "t")
    fitter = TreeFitter(reads)
    phi, cost = fitter.fit(np.array([ROOT, 0]))
    assert phi[1, 0] == pytest.approx(reads.mle[1, 0], abs=1e-6)  # R2: no conflict, free fits stand
    assert phi[0, 0] == pytest.approx(phi[0, 1], abs=1e-6) and 0.5 < phi[0, 0] < 0.6
    from ith.phylogeny.reads import cluster_ll
    grid = np.linspace(0.5, 0.6, 2001)
    ll = [sum(cluster_ll(reads.start[0, k], reads.stop[0, k], reads.omega, reads.var, reads.total, reads.error, x)[0]
              for k in (0, 1)) for x in grid]
    assert phi[0, 0] == pytest.approx(grid[int(np.argmax(ll))], abs=1e-4)
    assert cost[0] == pytest.approx(reads.ll_max[0].sum() - max(ll), abs=1e-3) and cost[1] < 1e-6


def test_exact_search_finds_the_cheapest_of_all_trees():
    """Branch and bound against every one-founder tree of 5 clusters (brute force)."""
    ccf = [[1, 0.6, 0.3, 0.25, 0.1], [1, 0.2, 0.7, 0.0, 0.3], [1, 0.9, 0.05, 0.5, 0.0]]
    reads = from_table(_reads(ccf, seed=3), "t")
    res = build(reads, PhylogenyParams())
    assert res.outcome.exact
    fitter = TreeFitter(reads)
    costs = {}
    for ps in itertools.product(range(-1, 5), repeat=5):
        parents = np.array(ps)
        if (parents == ROOT).sum() != 1 or any(parents[k] == k for k in range(5)):
            continue
        try:
            order = placement_order(parents)
        except ValueError:
            continue
        costs[ps] = fitter.cost(parents) if len(order) == 5 else None
    costs = {k: v for k, v in costs.items() if v is not None}
    best = min(costs.values())
    assert res.outcome.trees[0][1] == pytest.approx(best, abs=1e-4)
    assert list(res.best) == [ROOT, 0, 0, 1, 2]


def test_chain_and_branching_are_told_apart_by_the_reads():
    # 0 -> 1 -> 2 (2 inside 1 wherever present) vs siblings: R3 has 1 + 2 above 1
    ccf = [[1, 0.5, 0.4], [1, 0.6, 0.0], [1, 0.9, 0.8]]
    res = build(from_table(_reads(ccf), "t"), PhylogenyParams())
    assert list(res.best) == [ROOT, 0, 1]


def test_a_cluster_that_breaks_the_sum_rule_stays_in_the_tree_and_is_flagged():
    # clusters 1 and 2 are both at 0.7 in R1 (cannot be siblings) and cross between regions
    # (cannot be a chain): no tree fits; cluster 3 is the odd one. It is kept, flagged with the
    # samples and the size of the break, and the tree without it is listed beside.
    ccf = [[1, 0.6, 0.3, 0.7], [1, 0.3, 0.6, 0.7], [1, 0.5, 0.4, 0.0]]
    out = run_patient("P", from_table(_reads(ccf, n=[80, 60, 50, 8], depth=300), "t"), {}, None, PhylogenyParams())
    t = out.trees
    assert set(t["trees"][0]["parents"]) == {"0", "1", "2", "3"}
    assert all(len(tree["parents"]) == 4 for tree in t["trees"])
    flagged = {f["cluster"]: f for f in t["flagged"]}
    assert 3 in flagged
    assert set(flagged[3]["samples"]) <= {"R1", "R2"} and flagged[3]["samples"]
    assert max(flagged[3]["violation"].values()) > 0.2
    assert flagged[3]["cost"] > 10 and "3" not in flagged[3]["without"]["parents"]
    assert flagged[3]["without"]["cost"] < t["trees"][0]["cost"]
    assert t["clusters"][3]["flagged"] and not t["clusters"][1]["flagged"]


def test_no_cluster_is_flagged_when_the_tree_fits_within_read_noise():
    ccf = [[1, 0.6, 0.3, 0.2], [1, 0.2, 0.7, 0.0], [1, 0.9, 0.0, 0.5]]
    res = build(from_table(_reads(ccf, seed=5, depth=100), "t"), PhylogenyParams())
    assert list(res.best) == [ROOT, 0, 0, 1] and res.flagged == []
    assert {(e["parent"], e["child"]) for e in res.support if e["support"] > 0.99} >= {(0, 1), (0, 2), (1, 3)}


def test_polyclonal_trees_allow_several_founders_summing_to_at_most_one():
    ccf = [[0.5, 0.4, 0.3], [0.1, 0.6, 0.1], [0.7, 0.2, 0.6]]  # 0 and 1 cross: founders side by side
    res = build(from_table(_reads(ccf), "t"), PhylogenyParams(one_founder=False))
    assert list(res.best) == [ROOT, ROOT, 0]
    assert np.all(res.phi[:, [0, 1]].sum(axis=1) <= 1 + 1e-9)
    one = build(from_table(_reads(ccf), "t"), PhylogenyParams())
    assert (one.best == ROOT).sum() == 1 and one.outcome.trees[0][1] > res.outcome.trees[0][1] + 10


def test_missing_reads_and_samples_of_another_scale():
    """A cluster without reads in a sample is placed by the other samples; a sample at a tenth of
    the scale (low purity) and a 50x sample beside 2000x ones do not change the tree."""
    ccf = np.array([[1, 0.6, 0.3, 0.25], [1, 0.2, 0.7, 0.0], [1, 0.9, 0.05, 0.5], [1, 0.5, 0.4, 0.3]])
    t = _reads(ccf, seed=2, depth=2000)
    t.loc[(t["sample"] == "R2") & (t["cluster_id"] == 3), ["var_reads", "total_reads"]] = 0
    low = t["sample"] == "R4"
    t.loc[low, "var_read_prob"] = 0.05  # purity 0.1
    t.loc[low, "total_reads"] = 50
    t.loc[low, "var_reads"] = np.random.default_rng(1).binomial(50, 0.05 * ccf[3][t.loc[low, "cluster_id"]])
    res = build(from_table(t, "t"), PhylogenyParams())
    assert list(res.best) == [ROOT, 0, 0, 1] and res.flagged == []


def test_imperfect_clusters_get_their_true_trees():
    """Clusters as real data give them (simulate.clusters: copy-number and purity errors,
    overdispersion, coverage gaps, low-purity samples, merged clones), small draws: every
    cluster in the top tree, parents right for >= 95% of clusters, the true tree top in most."""
    from ith.simulate.clusters import imperfect_patient

    acc, top = [], []
    for seed in range(1, 7):
        sim = imperfect_patient(seed, clusters=(6, 10), samples=(6, 15))
        res = build(from_table(sim["table"], "t", 200.0), PhylogenyParams())
        assert len(res.best) == sim["clusters"] and (res.best >= ROOT).all()
        acc.append(float((res.best == sim["truth"]).mean()))
        top.append(bool((res.best == sim["truth"]).all()))
    assert np.mean(acc) >= 0.95 and sum(top) >= 5, (acc, top)


def test_trivial_trees_and_determinism():
    one = run_patient("P", from_table(_reads([[1.0]]), "t"), {}, None, PhylogenyParams())
    assert one.trees["trees"][0]["parents"] == {"0": None} and one.trees["flagged"] == []
    region = run_patient("P", from_table(_reads([[1.0, 0.4, 0.3]]), "t"), {}, None, PhylogenyParams())
    assert len(region.trees["trees"]) >= 2  # one region: siblings or a chain, both fit
    empty = run_patient("P", from_table(_reads(np.zeros((1, 0))), "t"), {}, None, PhylogenyParams())
    assert empty.trees["trees"] == [] and empty.proportions.empty and empty.parents.empty
    json.dumps(empty.trees)
    ccf = [[1, 0.5, 0.45, 0.2, 0.1], [1, 0.4, 0.5, 0.3, 0.0]]
    a = run_patient("P", from_table(_reads(ccf, seed=1), "t"), {}, None, PhylogenyParams()).trees
    b = run_patient("P", from_table(_reads(ccf, seed=1), "t"), {}, None, PhylogenyParams()).trees
    assert json.dumps(a) == json.dumps(b)
    assert len(a["trees"]) > 1 and a["edge_support"] and all(0 < e["support"] <= 1 for e in a["edge_support"])


def test_clone_proportions_are_the_fitted_own_fractions():
    ccf = np.array([[1, 0.6, 0.3, 0.2], [1, 0.2, 0.7, 0.0]])
    res = run_patient("P", from_table(_reads(ccf, depth=5000, n=50), "t"), {}, None, PhylogenyParams(),
                      purity={"R1": 0.6, "R2": 0.4})
    p = res.proportions.set_index(["sample", "clone"])
    # R1: 0: 1 - 0.6 - 0.3 = 0.1; 1: 0.6 - 0.2 = 0.4; 2: 0.3; 3: 0.2
    assert [p.loc[("R1", c), "tumour_fraction"] for c in "0123"] == pytest.approx([0.1, 0.4, 0.3, 0.2], abs=0.01)
    assert np.allclose(res.proportions.groupby("sample")["fraction"].sum(), 1.0, atol=1e-4)
    assert p.loc[("R2", "normal"), "fraction"] == pytest.approx(0.6)
    assert res.parents["parent_index"].tolist() == [0, 1, 1, 2]


def test_inputs_are_read_as_the_clonal_fit_saw_them_and_bad_rows_are_named():
    from ith.errors import InputError
    from ith.phylogeny.patient import reads_from_clonal

    muts = pd.DataFrame({"mutation_id": ["a", "a", "b", "b", "c", "c"], "sample": ["R1", "R2"] * 3,
                         "cluster_id": [0, 0, 1, 1, "NA", "NA"], "multiplicity": [1, 1, 1, 1, np.nan, np.nan]})
    fitted = pd.DataFrame({"mutation_id": ["a", "a", "b", "b"], "sample_id": ["R1", "R2"] * 2,
                           "ref_counts": [50, 0, 80, 70], "alt_counts": [50, 0, 20, 30],  # a in R2: no usable CN
                           "normal_cn": 2, "major_cn": [2, 1, 1, 1], "minor_cn": [0, 1, 1, 1],
                           "tumour_content": [1.0, 0.5, 1.0, 0.5]})
    summary = pd.DataFrame({"cluster_id": [0, 1], "artefact": [False, False]})
    reads, excluded = reads_from_clonal(muts, summary, PhylogenyParams(), "m.tsv", fitted, "input.tsv")
    assert reads.clusters.tolist() == [0, 1] and excluded == {}  # "c" has no cluster (NA)
    assert reads.stop[1, 0] == reads.start[1, 0]  # no reads of cluster 0 in R2
    assert reads.omega.tolist() == [0.5, 0.5, 0.25]  # LOH 2+0 at purity 1: one of two copies; 0.5 / 2 at purity 0.5
    res = run_patient("P", reads, excluded, None, PhylogenyParams())
    assert res.trees["clusters"][0]["frequency"]["R2"] is None
    with pytest.raises(InputError, match="tumour_content"):
        reads_from_clonal(muts, summary, PhylogenyParams(), "m.tsv", fitted.assign(tumour_content=np.nan), "input.tsv")
    t = _reads([[1.0, 0.4]])
    with pytest.raises(InputError, match="appears twice"):
        from_table(pd.concat([t, t.iloc[:1]]), "t.tsv")
    with pytest.raises(InputError, match="cluster_id"):
        from_table(t.assign(cluster_id=t["cluster_id"] + 0.5), "t.tsv")
    assert build(from_table(t, "t", error=0.0), PhylogenyParams(error=0.0)).best.tolist() == [ROOT, 0]
    from ith.phylogeny.patient import reads_from_pyclone  # tumour_content is optional in PyClone-VI (purity 1)
    pyc = reads_from_pyclone(pd.DataFrame({"mutation_id": ["a", "b"], "cluster_id": [0, 1]}),
                             fitted.drop(columns="tumour_content"), PhylogenyParams(), "r.tsv", "in.tsv")
    assert set(pyc.omega.tolist()) == {0.5}


def test_region_tree_from_presence_patterns():
    rows = []
    def add(n, regions, tag):
        for i in range(n):
            for r in ("A", "B", "C"):
                rows.append(dict(mutation_id=f"{tag}{i}", sample=r, present=r in regions))
    add(10, "ABC", "t")
    add(6, "AB", "s")
    add(4, "C", "c")
    add(3, "A", "a")
    add(1, "BC", "x")  # conflicts with AB
    rt = region_tree(pd.DataFrame(rows), ["A", "B", "C"])
    assert rt.newick(outgroup="N") == "(N:0,((A:3,B:0):6,C:4):10);"
    assert [b.n_mutations for b in rt.conflicting] == [1]


def test_cli_reads_pyclone_vi_results_with_their_input(tmp_path):
    from ith.cli import main

    truth = {0: [1.0, 1.0, 1.0], 1: [0.8, 0.0, 0.1], 2: [0.0, 0.7, 0.0], 3: [0.5, 0.0, 0.0]}
    res_rows, in_rows = [], []
    for k, ccfs in truth.items():
        for i in range(20):
            for s, c in zip(("R1", "R2", "R3"), ccfs):
                res_rows.append(dict(mutation_id=f"m{k}_{i}", sample_id=s, cluster_id=k, cellular_prevalence=c,
                                     cellular_prevalence_std=0.02, cluster_assignment_prob=1.0))
                alt = int(round(200 * 0.7 * c / 2))  # purity 0.7, diploid, one mutant copy
                in_rows.append(dict(mutation_id=f"m{k}_{i}", sample_id=s, ref_counts=200 - alt, alt_counts=alt,
                                    normal_cn=2, major_cn=1, minor_cn=1, tumour_content=0.7))
    pd.DataFrame(res_rows).to_csv(tmp_path / "clusters.tsv", sep="\t", index=False)
    pd.DataFrame(in_rows).to_csv(tmp_path / "input.tsv", sep="\t", index=False)
    assert main(["phylogeny", "-i", str(tmp_path / "clusters.tsv"), "--reads", str(tmp_path / "input.tsv"),
                 "-o", str(tmp_path / "trees.json"), "--parents", str(tmp_path / "parents.tsv"),
                 "--proportions", str(tmp_path / "p.tsv"), "--figure", str(tmp_path / "t.png")]) == 0
    out = json.loads((tmp_path / "trees.json").read_text())
    assert out["trees"][0]["parents"] == {"0": None, "1": 0, "2": 0, "3": 1}
    assert out["parent_vector"] == {"clusters": [0, 1, 2, 3], "parents": [0, 1, 1, 2]}
    assert pd.read_csv(tmp_path / "parents.tsv", sep="\t")["parent_id"].tolist() == ["root", "0", "0", "1"]
    assert (tmp_path / "t.png").stat().st_size > 5000
    # the results alone: read counts approximated from each cluster's prevalence and std
    assert main(["phylogeny", "-i", str(tmp_path / "clusters.tsv"), "-o", str(tmp_path / "alone.json")]) == 0
    alone = json.loads((tmp_path / "alone.json").read_text())
    assert alone["trees"][0]["parents"] == {"0": None, "1": 0, "2": 0, "3": 1}
    assert [c["n_mutations"] for c in alone["clusters"]] == [20, 20, 20, 20]
    bad = tmp_path / "bad.tsv"
    pd.DataFrame({"x": [1]}).to_csv(bad, sep="\t", index=False)
    assert main(["phylogeny", "-i", str(bad), "-o", str(tmp_path / "o.json")]) == 2


def test_cli_reads_pairtree_and_conipher_inputs(tmp_path):
    """Pairtree's example pair (morrislab/pairtree, example/, MIT) and CONIPHER's toy input
    (McGranahanLab/CONIPHER, inst/extdata/input_table.tsv, BSD-3) give trees holding every cluster."""
    from ith.cli import main

    data = Path(__file__).parent / "data"
    assert main(["phylogeny", "-i", str(data / "pairtree-example" / "example.ssm"), "--pairtree-params",
                 str(data / "pairtree-example" / "example.params.json"), "--polyclonal",
                 "-o", str(tmp_path / "pt.json")]) == 0
    pt = json.loads((tmp_path / "pt.json").read_text())
    assert set(pt["trees"][0]["parents"]) == {"1", "2", "3"} and len(pt["samples"]) == 3
    assert main(["phylogeny", "-i", str(data / "conipher-example" / "input_table.tsv"),
                 "-o", str(tmp_path / "co.json"), "--parents", str(tmp_path / "co.tsv")]) == 0
    co = json.loads((tmp_path / "co.json").read_text())
    assert len(co["trees"][0]["parents"]) == 12 and co["search"]["exact"]
    founders = [c for c, p in co["trees"][0]["parents"].items() if p is None]
    assert founders == ["1"]  # CONIPHER's clonal cluster (CCF ~1 in every sample) founds the tree
    assert len(pd.read_csv(tmp_path / "co.tsv", sep="\t")) == 12


@pytest.mark.workflow
def test_workflow_trees_are_well_formed(workflow_run):
    for patient in ("P1", "P2"):
        base = workflow_run / "results" / "phylogeny" / patient
        trees = json.loads((base / "trees.json").read_text())
        assert trees["trees"] and trees["trees"][0]["rank"] == 1
        summary = pd.read_csv(workflow_run / "results" / "clonal" / patient / "cluster_summary.tsv", sep="\t")
        clones = summary.loc[~summary["artefact"].astype(str).str.lower().eq("true"), "cluster_id"].unique()
        assert sorted(int(c) for c in trees["trees"][0]["parents"]) == sorted(int(c) for c in clones)
        props = pd.read_csv(base / "clone_proportions.tsv", sep="\t")
        assert np.allclose(props.groupby("sample")["fraction"].sum(), 1.0, atol=1e-3)
        assert (base / "regions.nwk").read_text().startswith("(germline:0,")
        assert len(pd.read_csv(base / "parents.tsv", sep="\t")) == len(clones)
        kinds = pd.read_csv(base / "mutations.tsv", sep="\t")["kind"]
        assert set(kinds) <= {"truncal", "shared", "private", "absent"} and (kinds == "truncal").sum() > 20


def assert_top_tree_is_true(run: Path, cohort: Path, patient: str) -> None:
    """The workflow's top-ranked tree of `patient` (in working directory `run`) is the simulated
    one of `cohort`, and trees.json holds what the ranking of its clonal results gives."""
    from ith.phylogeny.evaluate import tree_matches_truth
    from ith.phylogeny.output import parent_map
    from ith.phylogeny.patient import reads_from_clonal

    top = json.loads((run / "results" / "phylogeny" / patient / "trees.json").read_text())["trees"][0]
    clonal = run / "results" / "clonal" / patient
    muts = pd.read_csv(clonal / "mutations.tsv", sep="\t", keep_default_na=False, na_values=["NA", ""],
                       dtype={"mutation_id": str, "sample": str})
    reads, _ = reads_from_clonal(muts, pd.read_csv(clonal / "cluster_summary.tsv", sep="\t"), PhylogenyParams(),
                                 inputs=pd.read_csv(clonal / "input.tsv", sep="\t", dtype={"mutation_id": str}))
    res = build(reads, PhylogenyParams())
    truth = cohort / "truth" / patient
    ok = tree_matches_truth(reads.clusters, [np.array(t) for t, _ in res.outcome.trees], muts,
                            pd.read_csv(truth / "mutations.tsv", sep="\t"),
                            pd.read_csv(truth / "tree.tsv", sep="\t", keep_default_na=False))
    assert ok["top_correct"], (patient, ok)
    assert top["parents"] == parent_map(res.best, reads.clusters)  # what the rule wrote


@pytest.mark.workflow
def test_workflow_trees_match_the_simulated_tree(separable_run, separable_cohort):
    """Both patients of the test preset with distinguishable clones and identifiable trees
    (conftest.separable_cohort; 3 and 5 clones): the workflow's top tree is the true one."""
    for patient in ("P1", "P2"):
        assert_top_tree_is_true(separable_run, separable_cohort, patient)


def test_trees_fitting_exact_ccfs_counts_what_the_ccfs_cannot_decide():
    from ith.simulate.samples import trees_fitting

    one_region = np.array([[1.0, 0.5, 0.3]])  # C fits beside B or under it
    assert sorted(trees_fitting(one_region)) == [[-1, 0, 0], [-1, 0, 1]]
    two_regions = np.array([[1.0, 0.5, 0.3], [1.0, 0.0, 0.3]])  # C without B: not under B
    assert trees_fitting(two_regions) == [[-1, 0, 0]]
    assert trees_fitting(np.array([[1.0, 0.7, 0.6]])) == [[-1, 0, 1]]  # too big to be siblings
