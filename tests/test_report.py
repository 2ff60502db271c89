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


def test_metrics_from_results_match_metrics_from_the_truth(workflow_run, cohort, sheet):
    """The same code fed with the truth's tables and with the workflow's results. Tolerances:
    mutation classes within 10% of the patient's mutations, clonal fraction 0.15, mean Jaccard
    divergence 0.05, discordant copy number and wGII 0.1 of the genome, WGD exact; clone
    diversity (Shannon) within 0.3 where the clusters match the clones one to one (P1; P2's
    clusters merge clone pairs, see test_clonal). MATH is not compared: it measures the spread of
    observed VAFs, read noise included, and the truth has expected VAFs only."""
    from pathlib import Path

    from ith.report.inputs import from_results, from_truth, patient_metrics

    sheet = sheet.copy()
    for c in ("x", "y"):
        sheet[c] = pd.to_numeric(sheet[c])
    for patient in ("P1", "P2"):
        res = patient_metrics(from_results(Path(workflow_run) / "results", patient, sheet))
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


def _numeric_sheet(sheet):
    sheet = sheet.copy()
    for c in ("x", "y"):
        sheet[c] = pd.to_numeric(sheet[c])
    return sheet


def test_metrics_json_holds_the_metrics_and_the_cohort_table_one_row_per_patient(workflow_run, sheet):
    import json
    from pathlib import Path

    from ith.report.inputs import from_results, patient_metrics
    from ith.report.summary import clean

    results = Path(workflow_run) / "results"
    cohort = pd.read_csv(results / "report" / "cohort.tsv", sep="\t")
    assert list(cohort["patient"]) == ["P1", "P2"]
    for patient in ("P1", "P2"):
        s = json.loads((results / "report" / patient / "metrics.json").read_text())
        assert s["heterogeneity"] == clean(patient_metrics(from_results(results, patient, _numeric_sheet(sheet))))
        row = cohort.set_index("patient").loc[patient]
        assert row["mutations"] == s["heterogeneity"]["mutations"]
        assert row["clonal_fraction"] == pytest.approx(s["heterogeneity"]["clonal_fraction"], abs=1e-5)
        assert set(s["definitions"]) >= {"clonal_fraction", "math", "shannon", "wgii", "divergence"}
        assert s["samples"]["regions"] == [f"{patient}-R{i}" for i in (1, 2, 3)]
        html = (results / "report" / patient / "report.html").read_text()
        assert "http://" not in html and "https://" not in html  # self-contained: nothing fetched
        figures = sorted(p.name for p in (results / "report" / patient / "figures").glob("*.png"))
        assert {"sharing.png", "upset.png", "ccf_heatmap.png", "composition.png", "cn_genome.png", "spatial.png",
                "tree.png", "tumour_fraction.png", "region_tree.png"} <= set(figures), figures
    # P1 has two plasma timepoints with a growing clone (simulated): the blood section says so
    p1 = json.loads((results / "report" / "P1" / "metrics.json").read_text())
    assert p1["plasma"]["samples"]["P1-PL1"]["status"] == "detected"
    assert p1["plasma"]["clones_detected"]


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
