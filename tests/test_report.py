"""Heterogeneity metrics on hand-computed examples and against the simulator's truth; the
report stage's files, metrics.json against the metrics code, and `snakemake --report`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ith.report import metrics as m


def _presence():
    return pd.DataFrame({"R1": [1, 1, 1, 0, 0], "R2": [1, 1, 0, 1, 0], "R3": [1, 0, 0, 0, 1]},
                        index=list("abcde")).astype(bool)


def test_mutation_classes_clonal_fraction_and_divergence():
    pres = _presence()
    assert m.mutation_classes(pres).tolist() == ["truncal", "shared", "private", "private", "private"]
    counts = m.class_counts(pres)
    assert (counts["mutations_truncal"], counts["mutations_shared"], counts["mutations_private"]) == (1, 1, 3)
    assert counts["private_by_region"] == {"R1": 1, "R2": 1, "R3": 1}
    clonal = pres.copy()
    clonal.loc["b", "R2"] = False  # b subclonal in R2
    assert m.clonal_fraction(pres, clonal) == pytest.approx(1 / 5)  # only a: clonal and present everywhere
    div = m.pairwise_divergence(pres)
    assert div["R1|R2"] == pytest.approx(1 - 2 / 4) and div["R1|R3"] == pytest.approx(1 - 1 / 4)
    one = pd.DataFrame({"R1": [True, False]}, index=["x", "y"])
    assert m.mutation_classes(one).tolist() == ["truncal", "absent"]


def test_math_and_diversity():
    vaf = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    assert m.math_score(vaf) == pytest.approx(100 * 1.4826 * 0.1 / 0.3)
    sh, si = m.diversity([0.5, 0.5, 0])
    assert sh == pytest.approx(np.log(2)) and si == pytest.approx(0.5)
    assert m.diversity([1.0]) == (0.0, 0.0)
    props = pd.DataFrame({"sample": ["R1"] * 3, "clone": [0, 1, 2], "fraction": [0.7, 0.28, 0.02]})
    t = m.sample_metrics(pd.DataFrame({"sample": ["R1"] * 5, "vaf": vaf}), props)
    assert t.loc[0, "clones"] == 2  # the 2% clone is below min_fraction


def test_wgii_and_region_discordant_copy_number():
    seg = pd.DataFrame({"sample": ["R1"] * 3 + ["R2"] * 2, "chrom": ["chr1", "chr1", "chr2", "chr1", "chr2"],
                        "start": [1, 51, 1, 1, 1], "end": [50, 100, 100, 100, 100], "total_cn": [3, 2, 2, 2, 2]})
    assert m.wgii(seg[seg["sample"] == "R1"], 2.1) == pytest.approx((0.5 + 0.0) / 2)
    assert m.wgii(seg[seg["sample"] == "R2"], 2.0) == 0.0
    assert m.discordant_cn_fraction(seg) == pytest.approx(50 / 200)
    with_x = pd.concat([seg, pd.DataFrame({"sample": ["R1"], "chrom": ["chrX"], "start": [1], "end": [100],
                                           "total_cn": [1]})])
    assert m.wgii(with_x[with_x["sample"] == "R1"], 2.0) == pytest.approx(0.25)  # sex chromosomes left out


def test_genetic_vs_physical_distance():
    pres = pd.DataFrame({"R1": [1, 1, 1, 1], "R2": [1, 1, 1, 0], "R3": [1, 1, 0, 0], "R4": [1, 0, 0, 0]},
                        index=list("abcd")).astype(bool)
    coords = pd.DataFrame({"sample": ["R1", "R2", "R3", "R4"], "x": [0, 1, 2, 3], "y": [0, 0, 0, 0]})
    assert m.distance_correlation(m.pairwise_divergence(pres), coords) == pytest.approx(1.0, abs=0.2)
    assert np.isnan(m.distance_correlation(m.pairwise_divergence(pres), coords.assign(x=np.nan)))


@pytest.mark.workflow
def test_metrics_from_results_match_metrics_from_the_truth(workflow_run, cohort, sheet):
    """The same code fed with the truth's tables and with the workflow's results. Tolerances:
    mutation classes within 10% of the patient's mutations, clonal fraction 0.15, mean Jaccard
    divergence 0.05, discordant copy number and wGII 0.1 of the genome, WGD exact; clone
    diversity (Shannon) within 0.3 where the clusters match the clones one to one (P1; P2's
    clusters merge clone pairs, see test_clonal). MATH is not compared: it measures the spread of
    observed VAFs, read noise included, and the truth has expected VAFs only."""
    from pathlib import Path

    from ith.report.inputs import from_truth, patient_metrics

    sheet = sheet.copy()
    for c in ("x", "y"):
        sheet[c] = pd.to_numeric(sheet[c])
    for patient in ("P1", "P2"):
        res = patient_metrics(_from_results(Path(workflow_run) / "results", patient, sheet))
        tru = patient_metrics(from_truth(Path(cohort) / "truth", patient, sheet))
        tol = 0.1 * tru["mutations"]
        for k in ("mutations", "mutations_truncal", "mutations_shared", "mutations_private"):
            assert abs(res[k] - tru[k]) <= tol, (patient, k, res[k], tru[k])
        assert abs(res["clonal_fraction"] - tru["clonal_fraction"]) <= 0.15, patient
        assert abs(res["mean_divergence"] - tru["mean_divergence"]) <= 0.05, patient
        assert abs(res["discordant_cn_fraction"] - tru["discordant_cn_fraction"]) <= 0.1, patient
        assert res["wgd"] == tru["wgd"]
        for s, v in tru["per_sample"].items():
            assert abs(res["per_sample"][s]["wgii"] - v["wgii"]) <= 0.1, (patient, s)
            if patient == "P1":
                assert abs(res["per_sample"][s]["shannon"] - v["shannon"]) <= 0.3, (patient, s)


def _from_results(results: Path, patient: str, sheet: pd.DataFrame):
    """The metric inputs from the files rule report_patient names for them."""
    from ith.report.inputs import from_result_files

    return from_result_files(results / "clonal" / patient / "mutations.tsv",
                             results / "phylogeny" / patient / "clone_proportions.tsv",
                             results / "copynumber" / patient / "segments.tsv",
                             results / "copynumber" / patient / "purity_ploidy.tsv", sheet, patient)


def _numeric_sheet(sheet):
    sheet = sheet.copy()
    for c in ("x", "y"):
        sheet[c] = pd.to_numeric(sheet[c])
    return sheet


@pytest.mark.workflow
def test_metrics_json_holds_the_metrics_and_the_cohort_table_one_row_per_patient(workflow_run, sheet):
    import json
    from pathlib import Path

    from ith.report.inputs import patient_metrics
    from ith.report.summary import clean

    results = Path(workflow_run) / "results"
    cohort = pd.read_csv(results / "report" / "cohort.tsv", sep="\t")
    assert list(cohort["patient"]) == ["P1", "P2"]
    for patient in ("P1", "P2"):
        s = json.loads((results / "report" / patient / "metrics.json").read_text())
        assert s["heterogeneity"] == clean(patient_metrics(_from_results(results, patient, _numeric_sheet(sheet))))
        row = cohort.set_index("patient").loc[patient]
        assert row["mutations"] == s["heterogeneity"]["mutations"]
        assert row["clonal_fraction"] == pytest.approx(s["heterogeneity"]["clonal_fraction"], abs=1e-5)
        assert set(s["definitions"]) >= {"clonal_fraction", "math", "shannon", "wgii", "divergence"}
        assert s["samples"]["regions"] == [f"{patient}-R{i}" for i in (1, 2, 3)]
        c = s["clones"]  # the clone trees of the read-count likelihood format: no cluster left out but artefacts
        assert c["clones_in_tree"] == c["clusters"] - len(c["artefact_clusters"]) and c["best_tree"]["cost"] >= 0
        assert row["flagged_clusters"] == len(c["flagged"])
        assert s["sampling"]["verdict"] and bool(row["sampling_adequate"]) == s["sampling"]["adequate"]
        assert c["uncertain_edges"] == [e for e in c["edge_support"] if e["support"] < 0.95]
        html = (results / "report" / patient / "report.html").read_text()
        assert "http://" not in html and "https://" not in html  # self-contained: nothing fetched
        figures = sorted(p.name for p in (results / "report" / patient / "figures").glob("*.png"))
        assert {"sharing.png", "upset.png", "ccf_heatmap.png", "composition.png", "cn_genome.png", "spatial.png",
                "tree.png", "tumour_fraction.png", "region_tree.png"} <= set(figures), figures
    # P1 has two plasma timepoints with a growing clone (simulated): the blood section says so
    p1 = json.loads((results / "report" / "P1" / "metrics.json").read_text())
    assert p1["plasma"]["samples"]["P1-PL1"]["status"] == "detected"
    assert p1["plasma"]["clones_detected"]


@pytest.mark.workflow
def test_snakemake_report_collects_the_annotated_outputs(workflow_run, cohort):
    from conftest import snakemake

    out = Path(workflow_run) / "snakemake_report.html"
    proc = snakemake(cohort, workflow_run, "--report", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text(errors="replace")
    for category in ("Patient reports", "Cohort", "Clone trees", "Copy number", "Plasma", "QC"):
        assert category in text, category


def test_newick_of_the_region_tree_is_read_back_with_its_branch_lengths():
    from ith.report.figures import parse_newick, region_tree

    t = parse_newick("(germline:0,(((R4:0,R6:0):53,R2:0):37,R1:0,R3:42):315);")
    assert [c["name"] for c in t["children"]] == ["germline", ""]
    trunk = t["children"][1]
    assert trunk["length"] == 315 and len(trunk["children"]) == 3
    assert trunk["children"][0]["length"] == 37 and trunk["children"][2] == {"name": "R3", "length": 42.0,
                                                                             "children": []}
    with pytest.raises(ValueError):
        parse_newick("((a:1,b:2);")
    assert region_tree("", "P") is None and region_tree(";", "P") is None and region_tree("(germline:0,R1:5);", "P") is not None


def _fake_results(root: Path, search_exact: bool = True) -> pd.DataFrame:
    """A results directory of one patient (normal, three regions) as the stages write it, with a
    trees.json of the read-count likelihood format: four clusters in the trees (cluster 9 flagged:
    it fits only at a cost), cluster 7 left out as a clonal-stage artefact, two edges uncertain."""
    import json

    p, regions = "P1", ["P1-R1", "P1-R2", "P1-R3"]
    sheet = pd.DataFrame({"patient": p, "sample": ["P1-N", *regions], "type": ["normal"] + ["tumour"] * 3,
                          "bam": "none.bam", "x": [np.nan, 0.0, 1.0, 2.0], "y": [np.nan, 0.0, 0.0, 1.0]})
    ccf = {0: [1.0, 1.0, 1.0], 1: [0.6, 0.1, 0.0], 2: [0.3, 0.8, 0.0], 7: [0.02, 0.0, 0.01], 9: [0.2, 0.3, 0.9]}
    calls = {0: ["clonal"] * 3, 1: ["subclonal", "subclonal", "absent"], 2: ["subclonal", "subclonal", "absent"],
             7: ["subclonal", "absent", "absent"], 9: ["subclonal", "subclonal", "subclonal"]}
    muts, summ = [], []
    for k, cc in ccf.items():
        for j in range(4):
            for s, c, call in zip(regions, cc, calls[k]):
                muts.append({"mutation_id": f"chr1:{1000 * k + j}:A>T", "sample": s, "cluster_id": k,
                             "call": call, "alt_counts": int(round(50 * c * 0.35)), "depth": 100,
                             "present": call != "absent", "ccf": c})
        for s, c, call in zip(regions, cc, calls[k]):
            summ.append({"cluster_id": k, "sample": s, "n_mutations": 4, "ccf": c, "ccf_low": max(c - 0.05, 0),
                         "ccf_high": min(c + 0.05, 1), "call": call, "artefact": k == 7,
                         "flags": "near_zero" if k == 7 else "", "drivers": "TP53" if k == 0 else ""})
    d = root / "clonal" / p
    d.mkdir(parents=True)
    pd.DataFrame(muts).to_csv(d / "mutations.tsv", sep="\t", index=False)
    pd.DataFrame(summ).to_csv(d / "cluster_summary.tsv", sep="\t", index=False)
    d = root / "copynumber" / p
    d.mkdir(parents=True)
    pd.DataFrame({"sample": regions, "purity": [0.7, 0.6, 0.8], "ploidy": [2.0, 2.1, 2.0], "wgd": False,
                  "goodness_of_fit": 0.95, "method": "ascat_grid"}).to_csv(d / "purity_ploidy.tsv", sep="\t",
                                                                            index=False)
    pd.DataFrame([{"sample": s, "chrom": c, "start": 1, "end": 1000, "total_cn": 2, "major_cn": 1, "minor_cn": 1}
                  for s in regions for c in ("chr1", "chr2")]).to_csv(d / "segments.tsv", sep="\t", index=False)
    d = root / "phylogeny" / p
    d.mkdir(parents=True)
    pd.DataFrame([{"sample": s, "clone": c, "fraction": 0.2, "tumour_fraction": 0.25}
                  for s in regions for c in ("0", "1", "2", "9")]).to_csv(d / "clone_proportions.tsv", sep="\t",
                                                                         index=False)
    kept = [0, 1, 2, 9]
    trees = {
        "patient": p, "ith_version": "test", "method": "read-count likelihood", "samples": regions,
        "clusters": [{"id": k, "n_mutations": 4, "drivers": ["TP53"] if k == 0 else [], "flagged": k == 9,
                      "frequency": dict(zip(regions, ccf[k])), "fitted": dict(zip(regions, ccf[k]))} for k in kept],
        "excluded": [{"cluster": 7, "reason": "flagged as an artefact by the clonal stage (near_zero)"}],
        "search": {"method": "branch and bound (exact)" if search_exact else
                   "beam search + hill climbing (branch and bound over budget)", "exact": search_exact,
                   "fits": 120, "n_kept": 3, "notes": [], "parameters": {}},
        "trees": [{"rank": 1, "parents": {"0": None, "1": 0, "2": 0, "9": 0}, "cost": 26.0, "weight": 0.62},
                  {"rank": 2, "parents": {"0": None, "1": 0, "2": 1, "9": 0}, "cost": 26.8, "weight": 0.28},
                  {"rank": 3, "parents": {"0": None, "1": 0, "2": 0, "9": 2}, "cost": 28.0, "weight": 0.10}],
        "edge_support": [{"parent": None, "child": 0, "support": 1.0}, {"parent": 0, "child": 1, "support": 1.0},
                         {"parent": 0, "child": 9, "support": 0.9}, {"parent": 0, "child": 2, "support": 0.72},
                         {"parent": 1, "child": 2, "support": 0.28}, {"parent": 2, "child": 9, "support": 0.1}],
        "flagged": [{"cluster": 9, "samples": ["P1-R2", "P1-R3"], "violation": {"P1-R2": 0.1, "P1-R3": 0.12},
                     "cost": 25.1, "cost_by_sample": {"P1-R2": 9.0, "P1-R3": 16.1},
                     "without": {"parents": {"0": None, "1": 0, "2": 0}, "cost": 0.9}}],
        "parent_vector": {"clusters": kept, "parents": [0, 1, 1, 1]},
    }
    (d / "trees.json").write_text(json.dumps(trees))
    return sheet


def _fake_files(root: Path):
    """The files _fake_results writes, as the rule names them; the others absent."""
    from ith.report.data import PatientFiles

    return PatientFiles(mutations=root / "clonal/P1/mutations.tsv", clusters=root / "clonal/P1/cluster_summary.tsv",
                        purity=root / "copynumber/P1/purity_ploidy.tsv", segments=root / "copynumber/P1/segments.tsv",
                        proportions=root / "phylogeny/P1/clone_proportions.tsv",
                        trees=root / "phylogeny/P1/trees.json")


@pytest.mark.parametrize("exact", [True, False])
def test_report_shows_flagged_clusters_and_edge_support_of_the_clone_trees(tmp_path, exact):
    """metrics.json and the HTML from a trees.json of the read-count likelihood format: the
    flagged cluster is named in the limitations with its samples, largest violation and cost,
    and in the flagged table; edges with support < 0.95 are listed; the artefact is left out."""
    import json

    from ith.report.cohort import cohort_row
    from ith.report.patient import write_report
    from ith.report.summary import ReportParams

    results = tmp_path / "results"
    sheet = _fake_results(results, search_exact=exact)
    out = results / "report" / "P1"
    write_report(_fake_files(results), "P1", sheet, ReportParams(), out)
    s = json.loads((out / "metrics.json").read_text())
    c = s["clones"]
    assert c["clones_in_tree"] == 4 and c["clusters"] == 5 and c["artefact_clusters"] == [7]
    assert c["trees_kept"] == 3 and c["best_tree_weight"] == pytest.approx(0.62)
    assert c["best_tree"] == {"parents": {"0": None, "1": 0, "2": 0, "9": 0}, "weight": 0.62, "cost": 26.0}
    assert c["search_exact"] is exact and len(c["edge_support"]) == 6
    assert [(e["parent"], e["child"]) for e in c["uncertain_edges"]] == [(0, 9), (0, 2), (1, 2), (2, 9)]
    assert [f["cluster"] for f in c["flagged"]] == [9]
    # the driver on cluster 0, the trunk (its parent is the germline), is truncal
    assert c["drivers"] == {"truncal": [{"cluster": 0, "driver": "TP53"}], "subclonal": []}
    assert c["drivers_text"] == "truncal TP53" and "drivers" in s["definitions"]
    assert not {"trees_consistent", "search_complete", "violation"} & set(c)
    assert {"trees_kept", "best_tree_weight", "edge_support", "flagged"} <= set(s["definitions"])
    lim = s["limitations"]
    assert ("Cluster 9 fits the tree only at a cost (25.1 nats): its frequencies break the sum rule by up to 0.12 "
            "in P1-R2, P1-R3; the tree without it is listed in trees.json.") in lim
    assert "Cluster 7 left out of the trees: flagged as an artefact by the clonal stage (near_zero)." in lim
    assert any(x.startswith("Ambiguous clone tree: 3 trees kept; the best has weight 0.62.") for x in lim)
    assert any(x.startswith("The tree search was heuristic") for x in lim) is (not exact)
    assert not any("consistent" in x for x in lim)

    html = (out / "report.html").read_text()
    assert "Kept trees (ranked by likelihood)" in html and "Flagged clusters" in html
    assert '<div class="card" id="drivers"><div class="label">Drivers</div><div class="value">1</div>' \
           '<div class="detail">truncal TP53</div>' in html
    assert "Edges with support below 0.95 (likelihood-weighted share of the kept trees)" in html
    assert "4 cluster(s) found" not in html and "5 cluster(s) found, 1 flagged" in html
    assert f"best weight 0.62; {'exact' if exact else 'heuristic'} search" in html
    assert "Cluster 9 fits the tree only at a cost (25.1 nats)" in html  # the limitations box
    assert "Pairtree/Orchard-style" in html and "posterior weight" not in html and "consistent" not in html
    section = html[html.index('<section id="trees">'):html.index('<section id="regions">')]
    flagged = section[section.index("<h3>Flagged clusters</h3>"):]
    for cell in ("<th>largest violation</th>", "<th>cost (nats)</th>", "<td>P1-R2, P1-R3</td>",
                 '<td class="num">0.12</td>', '<td class="num">25.1</td>'):
        assert cell in flagged, cell
    edges = section[section.index("<h3>Edges with support below"):section.index("<h3>Flagged clusters</h3>")]
    assert "<th>support</th>" in edges and '<td class="num">0.72</td>' in edges and "<td>root</td>" not in edges
    assert edges.count("<tr>") == 1 + 4  # header and the four uncertain edges
    trees = section[section.index("<h3>Kept trees"):section.index("<h3>Edges with support below")]
    assert [h for h in ("rank", "weight", "cost", "edges (parent→child)") if f"<th>{h}</th>" in trees] == \
        ["rank", "weight", "cost", "edges (parent→child)"]
    assert "root→0, 0→1, 0→2, 0→9" in trees

    row = cohort_row(s)
    assert row["flagged_clusters"] == 1 and row["clones_in_tree"] == 4 and row["trees_kept"] == 3


def test_report_of_a_tree_without_flagged_clusters_says_so(tmp_path):
    import json

    from ith.report.patient import write_report
    from ith.report.summary import ReportParams

    results = tmp_path / "results"
    sheet = _fake_results(results)
    path = results / "phylogeny" / "P1" / "trees.json"
    t = json.loads(path.read_text())
    t["flagged"], t["edge_support"] = [], [{**e, "support": 1.0} for e in t["edge_support"][:4]]
    t["trees"] = t["trees"][:1]
    t["trees"][0]["weight"], t["search"]["n_kept"] = 1.0, 1
    path.write_text(json.dumps(t))
    out = results / "report" / "P1"
    s = write_report(_fake_files(results), "P1", sheet, ReportParams(), out)
    assert s["clones"]["flagged"] == [] and s["clones"]["uncertain_edges"] == []
    assert not any("fits the tree only at a cost" in x or "Ambiguous" in x for x in s["limitations"])
    html = (out / "report.html").read_text()
    assert "none: every cluster fits the best tree within read noise" in html
    assert "none: every edge of the kept trees has support of at least 0.95" in html
    assert "flagged" not in html[html.index('<section id="summary">'):html.index('<div class="grid2">')]


def test_patient_files_are_the_rules_named_inputs_exactly():
    """Every file the report reads is named by its rule, and nothing else: an input missing or
    unknown is refused; an optional input the rule leaves out (no plasma) is none."""
    from dataclasses import fields

    from ith.report.data import PatientFiles

    named = {f.name: f"results/{f.name}.tsv" for f in fields(PatientFiles)}
    named["ctdna"] = []
    files = PatientFiles.from_inputs(named)
    assert files.ctdna is None and files.qc == Path("results/qc.tsv")
    assert list(files.figures()) == ["cn_profile", "ccf", "tree", "sampling", "timing", "tumour_fraction",
                                     "plasma_clones", "plasma_fragments", "signatures", "cntree"]
    assert PatientFiles.from_inputs({**named, "tf_plot": ["plot.png"]}).tf_plot == Path("plot.png")
    for bad in ({k: v for k, v in named.items() if k != "qc"}, {**named, "liquid": []},
                {**named, "ctdna": ["a.tsv", "b.tsv"]}):
        with pytest.raises(ValueError):
            PatientFiles.from_inputs(bad)


def test_the_qc_summary_is_read_back_as_written(tmp_path):
    """The QC stage's table in the report as qc_summary built it: no flags stay empty, missing
    values are missing."""
    from ith.io.tables import write_tsv
    from ith.report.data import read_qc

    table = pd.DataFrame({"patient": "P1", "sample": ["P1-N", "P1-R1"], "reads": [1000, 2000],
                          "median_depth": [30.0, 45.5], "sex": ["female", None], "identity": ["ok", np.nan],
                          "flags": ["", "identity"]})
    write_tsv(table, str(tmp_path / "summary.tsv"))
    back = read_qc(tmp_path / "summary.tsv")
    assert list(back["flags"]) == ["", "identity"] and back["sex"].isna().tolist() == [False, True]
    assert back["identity"].isna().tolist() == [False, True] and list(back["reads"]) == [1000, 2000]


def test_report_shows_the_sampling_verdict(tmp_path):
    """The sampling stage's richness.json and figure reach metrics.json, the summary's verdict line
    and the sampling section."""
    import dataclasses
    import json

    from markupsafe import escape

    from ith.report.cohort import cohort_row
    from ith.report.patient import write_report
    from ith.report.summary import ReportParams
    from ith.sampling.curves import SamplingParams
    from ith.sampling.patient import write

    results = tmp_path / "results"
    sheet = _fake_results(results)
    d = results / "clonal" / "P1"
    regions = ["P1-R1", "P1-R2", "P1-R3"]
    s_dir = results / "sampling" / "P1"
    out = write(pd.read_csv(d / "mutations.tsv", sep="\t"), pd.read_csv(d / "cluster_summary.tsv", sep="\t"),
                regions, SamplingParams(), "P1", str(s_dir / "curves.tsv"), str(s_dir / "richness.json"),
                str(s_dir / "curves.png"))
    # clusters 0 (3 regions), 1 and 2 (R1, R2), 9 (3 regions); artefact 7 left out: Q1 = 0, nothing unseen
    assert (out["clones_observed"], out["clones_q1"], out["clones_q2"], out["unseen_clones"]) == (4, 0, 2, 0)
    assert out["adequate"] is True
    curves = pd.read_csv(s_dir / "curves.tsv", sep="\t")
    assert set(curves["metric"]) == {"clones_found", "truncal_calls", "false_truncal", "divergence"}
    files = dataclasses.replace(_fake_files(results), sampling=s_dir / "richness.json",
                                sampling_plot=s_dir / "curves.png")
    rep = results / "report" / "P1"
    write_report(files, "P1", sheet, ReportParams(), rep)
    m = json.loads((rep / "metrics.json").read_text())
    assert m["sampling"]["verdict"] == out["verdict"] and m["sampling"]["adequate"] is True
    assert "parameters" not in m["sampling"] and "sampling" in m["definitions"]
    html = (rep / "report.html").read_text()
    summary = html[html.index('<section id="summary">'):html.index('<section id="qc">')]
    assert 'id="sampling-verdict"' in summary and str(escape(out["verdict"])) in summary
    assert (rep / "figures" / "sampling.png").exists() and 'id="sampling"' in html
    row = cohort_row(m)
    assert row["sampling_adequate"] is True and row["unseen_clones"] == 0
def test_report_shows_signatures(tmp_path):
    """The signatures stage's exposures along the tree and truncal vs subclonal exposures reach
    metrics.json and a section of the HTML, with its figure."""
    import json
    from dataclasses import replace

    import pysam
    from test_signatures import _patient_tables

    from ith.io.jsonout import write_json
    from ith.io.tables import write_tsv
    from ith.report.patient import write_report
    from ith.report.summary import ReportParams
    from ith.signatures.fit import SignatureParams
    from ith.signatures.patient import plot, run

    results = tmp_path / "results"
    sheet = _fake_results(results)
    fa, clonal, phylo, parents = _patient_tables(tmp_path)
    with pysam.FastaFile(str(fa)) as f:
        sbs96, e, m = run("P1", clonal, phylo, parents, f, SignatureParams(engine="nnls", bootstrap=10,
                                                                            min_mutations=70))
    d = results / "signatures" / "P1"
    write_tsv(e, str(d / "exposures.tsv"))
    write_json({"patient": "P1", **m}, str(d / "metrics.json"))
    plot(sbs96, e, str(d / "signatures.png"))
    files = replace(_fake_files(results), signatures=d / "exposures.tsv", signatures_metrics=d / "metrics.json",
                    signatures_plot=d / "signatures.png")
    out = results / "report" / "P1"
    write_report(files, "P1", sheet, ReportParams(), out)
    s = json.loads((out / "metrics.json").read_text())
    assert s["signatures"]["groups"]["trunk"]["n_mutations"] == 80
    assert s["signatures"]["truncal_vs_subclonal"] == m["truncal_vs_subclonal"]
    from ith.report.cohort import cohort_row
    row = cohort_row(s)
    assert row["trunk_signature"] == "SBS1" and row["subclonal_signature"] is None
    html = (out / "report.html").read_text()
    section = html[html.index('<section id="signatures">'):html.index('<section id="spatial">')]
    assert 'id="fig-signatures"' in section and "Truncal vs subclonal exposure" in section
    assert "<td>trunk</td>" in section and "<td>SBS1 1.00 [1.00-1.00]</td>" in section
    assert "not fitted (too few SNVs)" in section  # the subclonal mutations: 60 < 70
    assert s["signatures"]["truncal_vs_subclonal"]["SBS1"] == {"truncal": 1.0, "subclonal": None, "difference": None}
    assert (out / "figures" / "signatures.png").exists()
    # without the stage's files the section says so
    write_report(_fake_files(results), "P1", sheet, ReportParams(), tmp_path / "plain")
    assert "No signature analysis for this patient." in (tmp_path / "plain" / "report.html").read_text()


def test_report_shows_the_timing(tmp_path):
    """The timing stage's metrics.json, segments.tsv and figure reach metrics.json and the timing
    section: a WGD in every region (2+2 segments, half the clonal SNVs with two copies) and a gain
    private to one region."""
    import dataclasses
    import json

    import numpy as np

    from ith.report.patient import write_report
    from ith.report.summary import ReportParams
    from ith.timing.core import TimingParams
    from ith.timing.patient import write

    results = tmp_path / "results"
    sheet = _fake_results(results)
    regions = ["P1-R1", "P1-R2", "P1-R3"]
    rng = np.random.default_rng(2)
    mult = np.where(np.arange(60) % 2 == 0, 2, 1)
    muts = pd.DataFrame([dict(mutation_id=f"chr1:{100 + 10 * i}:A:G", sample=r, depth=200,
                              alt_counts=rng.binomial(200, 0.8 * m / (0.8 * 4 + 0.4)), major_cn=2, minor_cn=2,
                              normal_cn=2, purity=0.8, call="clonal") for r in regions for i, m in enumerate(mult)])
    segs = pd.DataFrame([dict(sample=r, chrom=c, start=1, end=5000, major_cn=M, minor_cn=2)
                         for r in regions for c, M in (("chr1", 2), ("chr2", 3 if r == "P1-R2" else 2))])
    t_dir = results / "timing" / "P1"
    t_dir.mkdir(parents=True)
    out = write(muts, segs, {r: True for r in regions}, regions, TimingParams(clock="sites"), "P1",
                str(t_dir / "mutations.tsv"), str(t_dir / "segments.tsv"), str(t_dir / "metrics.json"),
                str(t_dir / "timing.png"))
    assert out["wgd"]["time"] == pytest.approx(0.5, abs=0.05) and out["wgd"]["n_mutations"] == 60
    assert out["events"] == {"truncal": 0, "shared": 0, "private": 1}
    files = dataclasses.replace(_fake_files(results), timing=t_dir / "metrics.json",
                                timing_segments=t_dir / "segments.tsv", timing_plot=t_dir / "timing.png")
    rep = results / "report" / "P1"
    write_report(files, "P1", sheet, ReportParams(), rep)
    m = json.loads((rep / "metrics.json").read_text())
    assert m["timing"]["wgd"] == out["wgd"] and "parameters" not in m["timing"] and "timing" in m["definitions"]
    html = (rep / "report.html").read_text()
    section = html[html.index('<section id="timing">'):html.index('<section id="spatial">')]
    assert "Whole-genome doubling at relative time" in section and "chr2:1-5000" in section and "private" in section
    assert (rep / "figures" / "timing.png").exists()


def test_cohort_row_carries_timing_and_copy_number_tree_columns():
    """The cohort table's timing (doubling time, timed gains, early share) and copy-number tree
    (same topology, normalised RF) columns come from the patient's metrics.json; empty when absent."""
    from ith.report.cohort import COHORT_COLUMNS, cohort_row, cohort_table

    h = {k: 0 for k in ("regions", "mutations", "mutations_truncal", "mutations_shared", "mutations_private",
                        "clonal_fraction", "subclonal_fraction", "mean_divergence", "discordant_cn_fraction", "wgd",
                        "genetic_vs_physical_distance")}
    base = {"patient": "P1", "heterogeneity": {**h, "per_sample": {}}, "samples": {"plasma": []}, "limitations": [],
            "clones": {"clusters": 1, "clones_in_tree": 1, "trees_kept": 1, "best_tree_weight": 1.0}}
    s = {**base, "timing": {"wgd": {"time": 0.42, "low": 0.3, "high": 0.5}, "gains": {"timed": 3},
                            "mutations": {"timed": 200, "early": 50, "late": 150}},
         "cntree": {"same_topology": False, "robinson_foulds_normalised": 0.5}}
    row = cohort_row(s)
    assert (row["wgd_time"], row["gains_timed"], row["early_fraction"]) == (0.42, 3, 0.25)
    assert row["cn_same_topology"] is False and row["cn_rf_normalised"] == 0.5
    s2 = {**base, "patient": "P2", "timing": {"wgd": None, "gains": {"timed": 0}, "mutations": {"timed": 0, "early": 0}}}
    empty = cohort_row(s2)
    assert empty["wgd_time"] is None and empty["early_fraction"] is None and empty["cn_same_topology"] is None
    t = cohort_table([s, s2])
    assert list(t.columns) == COHORT_COLUMNS and t["gains_timed"].tolist() == [3, 0]
