"""Clone trees: exact scores, exhaustive enumeration, violations, trivial cases, the region
tree, the CLI and the workflow's trees against the simulator's truth."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from ith.phylogeny.data import CloneData, from_pyclone
from ith.phylogeny.patient import run_patient
from ith.phylogeny.regions import region_tree
from ith.phylogeny.score import ROOT, tree_log_score
from ith.phylogeny.search import SearchOptions, enumerate_trees
from ith.phylogeny.trees import TreeParams, build_trees

GRID = np.linspace(0, 1, 101)


def _post(ccf, sd=0.02, grid=GRID):
    ccf = np.asarray(ccf, float)
    p = np.exp(-0.5 * ((grid[None, None, :] - ccf[:, :, None]) / sd) ** 2)
    return p / p.sum(-1, keepdims=True)


def _data(ccf, n=None, sd=0.02):
    ccf = np.asarray(ccf, float)
    k = ccf.shape[1]
    return CloneData(np.arange(k), [f"R{i + 1}" for i in range(ccf.shape[0])], GRID, _post(ccf, sd),
                     np.asarray(n if n is not None else [50] * k))


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


def test_chain_and_branching_are_told_apart_by_a_region_where_the_child_is_absent():
    # 0 -> 1 -> 2 (2 inside 1 in every region where present) vs siblings: R2 has 1 alone
    ccf = [[1, 0.5, 0.4], [1, 0.6, 0.0], [1, 0.9, 0.8]]
    rep = build_trees(_data(ccf), TreeParams())
    assert rep.best.parents.tolist() == [ROOT, 0, 1]


def test_a_cluster_that_breaks_the_sum_rule_is_named_and_left_out():
    # clusters 1 and 2 are both at 0.7 in R1 (cannot be siblings) and cross between regions
    # (cannot be a chain): no tree holds all; without the small cluster 3 one does
    ccf = [[1, 0.6, 0.3, 0.7], [1, 0.3, 0.6, 0.7], [1, 0.5, 0.4, 0.0]]
    rep = build_trees(_data(ccf, n=[80, 60, 50, 8]), TreeParams())
    assert rep.violation is not None
    # the excess is where cluster 3 is present (R1, R2), among the children of the worst cluster
    assert rep.violation["samples"] == ["R1", "R2"]
    assert rep.violation["best_with_all"]["3"] == rep.violation["worst"]["cluster"]
    assert rep.violation["max_error"] > 0.2
    assert rep.violation["removed"] == [3]
    assert 3 in rep.excluded and 3 not in rep.data.clusters.tolist()
    assert rep.best.consistent(0.01) and rep.best.parents.tolist() == [ROOT, 0, 0]
    assert "sum rule" in rep.violation["message"]


def test_single_clone_single_region_and_no_clusters_give_valid_trivial_outputs():
    one = run_patient("P", _data([[1.0]]), {}, None, TreeParams())
    assert one.trees["trees"][0]["parents"] == {"0": None} and one.trees["trees"][0]["consistent"]
    region = run_patient("P", _data([[1.0, 0.4, 0.3]]), {}, None, TreeParams())
    assert region.trees["trees"] and region.trees["search"]["n_consistent"] >= 2  # one region: ambiguous
    empty = run_patient("P", CloneData(np.zeros(0, int), [], GRID, np.zeros((0, 0, 101)), np.zeros(0, int)), {},
                        None, TreeParams())
    assert empty.trees["trees"] == [] and empty.proportions.empty
    json.dumps(empty.trees)


def test_clone_proportions_split_each_sample_and_sum_to_one_with_normal_cells():
    from ith.phylogeny.proportions import own_fractions

    ccf = np.array([[1, 0.6, 0.3, 0.2], [1, 0.2, 0.7, 0.0]])
    own = own_fractions(ccf, np.full(ccf.shape, 0.02), np.array([ROOT, 0, 0, 1]))
    # R1: 0: 1 - 0.6 - 0.3 = 0.1; 1: 0.6 - 0.2 = 0.4; 2: 0.3; 3: 0.2
    assert np.allclose(own[0], [0.1, 0.4, 0.3, 0.2], atol=1e-6)
    # R2 breaks nothing: 0.2 + 0.7 <= 1
    assert np.allclose(own[1], [0.1, 0.2, 0.7, 0.0], atol=1e-6)
    res = run_patient("P", _data(ccf), {}, None, TreeParams(), purity={"R1": 0.6, "R2": 0.4})
    p = res.proportions
    assert np.allclose(p.groupby("sample")["fraction"].sum(), 1.0, atol=1e-4)
    assert p.set_index(["sample", "clone"]).loc[("R2", "normal"), "fraction"] == pytest.approx(0.6)


def test_same_input_gives_the_same_trees_json():
    ccf = [[1, 0.5, 0.45, 0.2, 0.1], [1, 0.4, 0.5, 0.3, 0.0]]
    a = run_patient("P", _data(ccf), {}, None, TreeParams()).trees
    b = run_patient("P", _data(ccf), {}, None, TreeParams()).trees
    assert json.dumps(a) == json.dumps(b)
    assert a["search"]["n_consistent"] > 1 and a["consensus"]
    assert all(0 < e["support"] <= 1 for e in a["consensus"])


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


def test_cli_builds_trees_from_a_pyclone_results_file(tmp_path):
    from ith.cli import main

    rows = []
    truth = {0: [1.0, 1.0, 1.0], 1: [0.8, 0.0, 0.1], 2: [0.0, 0.7, 0.0], 3: [0.5, 0.0, 0.0]}
    for k, ccfs in truth.items():
        for i in range(20):
            for s, c in zip(("R1", "R2", "R3"), ccfs):
                rows.append(dict(mutation_id=f"m{k}_{i}", sample_id=s, cluster_id=k, cellular_prevalence=c,
                                 cellular_prevalence_std=0.02, cluster_assignment_prob=1.0))
    pd.DataFrame(rows).to_csv(tmp_path / "clusters.tsv", sep="\t", index=False)
    assert main(["phylogeny", "-i", str(tmp_path / "clusters.tsv"), "-o", str(tmp_path / "trees.json"),
                 "--proportions", str(tmp_path / "p.tsv"), "--figure", str(tmp_path / "t.png")]) == 0
    out = json.loads((tmp_path / "trees.json").read_text())
    assert out["trees"][0]["parents"] == {"0": None, "1": 0, "2": 0, "3": 1}
    assert (tmp_path / "t.png").stat().st_size > 5000
    assert from_pyclone(pd.DataFrame(rows)).n_mutations.tolist() == [20, 20, 20, 20]
    bad = tmp_path / "bad.tsv"
    pd.DataFrame({"x": [1]}).to_csv(bad, sep="\t", index=False)
    assert main(["phylogeny", "-i", str(bad), "-o", str(tmp_path / "o.json")]) == 2


@pytest.mark.workflow
def test_workflow_trees_are_well_formed(workflow_run):
    for patient in ("P1", "P2"):
        base = workflow_run / "results" / "phylogeny" / patient
        trees = json.loads((base / "trees.json").read_text())
        assert trees["trees"] and trees["trees"][0]["rank"] == 1
        props = pd.read_csv(base / "clone_proportions.tsv", sep="\t")
        assert np.allclose(props.groupby("sample")["fraction"].sum(), 1.0, atol=1e-3)
        assert (base / "regions.nwk").read_text().startswith("(germline:0,")
        kinds = pd.read_csv(base / "mutations.tsv", sep="\t")["kind"]
        assert set(kinds) <= {"truncal", "shared", "private", "absent"} and (kinds == "truncal").sum() > 20


@pytest.mark.workflow
def test_workflow_trees_match_the_simulated_tree(separable_run, separable_cohort):
    """Both patients of the test preset with distinguishable clones and identifiable trees
    (conftest.separable_cohort; 3 and 5 clones): the workflow's top tree is the true one."""
    from ith.phylogeny.evaluate import tree_matches_truth
    from ith.phylogeny.patient import clone_data_from_tables
    from ith.phylogeny.trees import parent_map

    for patient in ("P1", "P2"):
        top = json.loads((separable_run / "results" / "phylogeny" / patient / "trees.json").read_text())["trees"][0]
        clonal = separable_run / "results" / "clonal" / patient
        data, excluded = clone_data_from_tables(pd.read_csv(clonal / "cluster_posteriors.tsv", sep="\t"),
                                                pd.read_csv(clonal / "cluster_summary.tsv", sep="\t"))
        rep = build_trees(data, TreeParams(), excluded)
        truth = separable_cohort / "truth" / patient
        res = tree_matches_truth(rep, pd.read_csv(clonal / "mutations.tsv", sep="\t"),
                                 pd.read_csv(truth / "mutations.tsv", sep="\t"),
                                 pd.read_csv(truth / "tree.tsv", sep="\t", keep_default_na=False))
        assert res["top_correct"], (patient, res)
        assert top["parents"] == parent_map(rep.result.trees[0].parents, rep.data.clusters)  # what the rule wrote


def test_trees_fitting_exact_ccfs_counts_what_the_ccfs_cannot_decide():
    from ith.simulate.samples import trees_fitting

    one_region = np.array([[1.0, 0.5, 0.3]])  # C fits beside B or under it
    assert sorted(trees_fitting(one_region)) == [[-1, 0, 0], [-1, 0, 1]]
    two_regions = np.array([[1.0, 0.5, 0.3], [1.0, 0.0, 0.3]])  # C without B: not under B
    assert trees_fitting(two_regions) == [[-1, 0, 0]]
    assert trees_fitting(np.array([[1.0, 0.7, 0.6]])) == [[-1, 0, 1]]  # too big to be siblings
