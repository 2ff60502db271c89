"""Tumour-only patients: the germline-vs-somatic test on allele fractions against copy number,
and the workflow on the test cohort with one patient's normal row removed."""

from __future__ import annotations

import json
import shutil
import time

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import snakemake

from ith.variants.tumouronly import TumourOnlyParams, classify, germline_somatic_loglik

PURITY = np.array([0.4, 0.6, 0.85])  # three regions


def _draw(rng, vaf, depth=100):
    return rng.binomial(depth, np.clip(vaf, 0, 1)), np.full(len(vaf), depth)


def _calls(alt, depth, major, minor, purity=PURITY):
    n = len(purity)
    g, s, _, used = germline_somatic_loglik(alt[None], depth[None], purity[None], np.full((1, n), major),
                                            np.full((1, n), minor), np.full((1, n), 2))
    assert used[0] == n
    return "germline" if g[0] > s[0] else "somatic"


def test_a_germline_het_in_a_diploid_genome_is_germline_though_purity_differs_between_regions():
    rng = np.random.default_rng(1)
    calls = [_calls(*_draw(rng, np.full(3, 0.5)), 1, 1) for _ in range(200)]
    assert calls.count("germline") >= 190


def test_a_truncal_somatic_mutation_falls_with_purity_and_is_somatic():
    rng = np.random.default_rng(2)
    calls = [_calls(*_draw(rng, PURITY / 2), 1, 1) for _ in range(200)]
    assert calls.count("somatic") >= 190


def test_germline_hets_in_a_gained_segment_follow_their_haplotype_copies():
    """(p nB + 1 - p) / (p C + 2 (1 - p)) for C = 3: the allele on the single copy sits below 0.5
    and falls with purity, the one on the doubled copy rises; both are germline. The first is the
    hard case: a clonal somatic mutation on both copies of the gain (0.33, 0.46, 0.60) or on
    one (0.17, 0.23, 0.30) comes close in two of the three regions, so 80% suffice there."""
    rng = np.random.default_rng(3)
    total = 3 * PURITY + 2 * (1 - PURITY)
    on_minor = (PURITY + 1 - PURITY) / total
    on_major = (2 * PURITY + 1 - PURITY) / total
    for vaf, least in ((on_minor, 160), (on_major, 190)):
        calls = [_calls(*_draw(rng, vaf), 2, 1) for _ in range(200)]
        assert calls.count("germline") >= least


def test_a_germline_het_lost_in_loh_keeps_the_normal_cells_allele_and_is_germline():
    rng = np.random.default_rng(4)
    vaf = (1 - PURITY) / (PURITY * 1 + 2 * (1 - PURITY))  # C = 1, nB = 0: only the normal cells' copy
    calls = [_calls(*_draw(rng, vaf), 1, 0) for _ in range(200)]
    assert calls.count("germline") >= 180


def test_subclonal_and_private_mutations_are_somatic():
    rng = np.random.default_rng(5)
    sub = [_calls(*_draw(rng, PURITY * np.array([0.3, 0.6, 0.2]) / 2), 1, 1) for _ in range(100)]
    private = [_calls(*_draw(rng, np.array([0.0, 0.0, 0.4])), 1, 1) for _ in range(100)]
    assert sub.count("somatic") >= 95 and private.count("somatic") == 100


def test_a_homozygous_germline_variant_is_germline():
    rng = np.random.default_rng(6)
    calls = [_calls(*_draw(rng, np.full(3, 0.999)), 1, 1) for _ in range(50)]
    assert calls.count("germline") == 50


def test_classify_reads_the_clonal_input_table_and_leaves_candidates_without_copy_number_untested():
    rows = []
    for mid, vafs in (("1:10:A:C", [0.5, 0.5, 0.5]), ("1:20:A:G", PURITY / 2), ("1:30:A:T", [0.5, 0.5, 0.5])):
        for r, (p, v) in enumerate(zip(PURITY, vafs)):
            status = "no_cn" if mid == "1:30:A:T" else "ok"
            rows.append(dict(mutation_id=mid, sample_id=f"R{r + 1}", raw_alt=int(round(200 * v)),
                             raw_ref=200 - int(round(200 * v)), major_cn=1, minor_cn=1, normal_cn=2,
                             tumour_content=p, cn_status=status))
    out = classify(pd.DataFrame(rows), "P", TumourOnlyParams())
    assert list(out["call"]) == ["germline", "somatic", "untested"]
    assert list(out["n_regions"]) == [3, 3, 0]


# what the tumour-only run asks for: the patient's clusters, trees and report
TUMOUR_ONLY_TARGETS = ["results/clonal/P1/mutations.tsv", "results/phylogeny/P1/trees.json",
                       "results/report/P1/report.html", "results/report/P1/metrics.json"]
# outputs of the matched run that do not depend on P1's normal, copied so the run does not redo
# them: the QC passes of P1's regions, the identity sites, the bins and P2's normal coverage
REUSED = ["results/qc/identity_sites.tsv", "results/copynumber/bins.tsv", "results/copynumber/P2/coverage/P2-N.tsv"] + \
    [f"results/qc/P1/P1-R{i}.{kind}" for i in (1, 2, 3) for kind in ("json", "identity_counts.tsv")]


@pytest.fixture(scope="module")
def tumour_only_run(cohort, sheet, workflow_run, tmp_path_factory):
    """The test cohort with P1's normal row (and, to keep the run short, its plasma rows) removed and tumour_only.allow set, run up to
    P1's clusters, trees and report; its working directory and the run's seconds."""
    workdir = tmp_path_factory.mktemp("tumour_only")
    rows = sheet[(sheet["patient"] != "P1") | (sheet["type"] == "tumour")]
    rows.to_csv(workdir / "samples.tsv", sep="\t", index=False)
    config = yaml.safe_load((cohort / "config.yaml").read_text())
    config["samples"] = str(workdir / "samples.tsv")
    config["tumour_only"] = {"allow": True}
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    for f in REUSED:
        (workdir / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(workflow_run / f, workdir / f)
    t0 = time.time()
    proc = snakemake(cohort, workdir, *TUMOUR_ONLY_TARGETS, configfile=workdir / "config.yaml")
    assert proc.returncode == 0, proc.stderr[-4000:]
    return workdir, time.time() - t0


@pytest.mark.workflow
def test_tumour_only_somatic_snvs_above_10_percent_vaf_reach_precision_and_recall_of_90_percent(cohort,
                                                                                                 tumour_only_run):
    """Against the simulator's truth: the somatic SNVs with an expected VAF >= 10% in some region
    that reach the clusters (recall), and of the SNVs there with an observed VAF >= 10% in some
    region, those that are somatic (precision; germline variants left in would sit at ~0.5)."""
    run, _ = tumour_only_run
    truth = pd.read_csv(cohort / "truth" / "P1" / "mutations.tsv", sep="\t")
    regions = truth[truth["sample"].str.contains("-R") & (truth["type"] == "snv")]
    vaf = regions.groupby("mutation_id")["expected_vaf"].max()
    wanted = set(vaf[vaf >= 0.10].index)
    final = set(pd.read_csv(run / "results" / "clonal" / "P1" / "mutations.tsv", sep="\t")["mutation_id"])
    counts = pd.read_csv(run / "results" / "variants" / "P1" / "counts.tsv", sep="\t")
    observed = counts[counts["sample"].str.contains("-R")].groupby("mutation_id")["vaf"].max()
    snvs = {m for m in final if all(len(a) == 1 for a in m.rsplit(":", 2)[1:])}
    called = {m for m in snvs if observed.get(m, 0) >= 0.10}
    germline = pd.read_csv(cohort / "truth" / "P1" / "germline.tsv", sep="\t")
    private = germline.assign(mutation_id=germline["chrom"] + ":" + germline["pos"].astype(str) + ":" +
                              germline["ref"] + ":" + germline["alt"])["mutation_id"]
    candidates = set(counts["mutation_id"])
    assert len(wanted) > 100 and len(candidates & set(private)) > 30  # germline variants to remove were there
    assert len(wanted & final) / len(wanted) >= 0.9, f"recall {len(wanted & final)}/{len(wanted)}"
    assert len(called & set(truth["mutation_id"])) / len(called) >= 0.9, \
        f"precision {len(called & set(truth['mutation_id']))}/{len(called)}"


@pytest.mark.workflow
def test_tumour_only_patient_gets_clusters_trees_and_a_report_that_says_so(tumour_only_run):
    run, seconds = tumour_only_run
    print(f"tumour-only run: {seconds:.0f} s")
    clusters = pd.read_csv(run / "results" / "clonal" / "P1" / "cluster_summary.tsv", sep="\t")
    trees = json.loads((run / "results" / "phylogeny" / "P1" / "trees.json").read_text())
    metrics = json.loads((run / "results" / "report" / "P1" / "metrics.json").read_text())
    html = (run / "results" / "report" / "P1" / "report.html").read_text()
    assert len(clusters) >= 2 and trees["trees"]
    assert metrics["mode"] == "tumour-only" and metrics["tumour_only"] and metrics["samples"]["normal"] is None
    assert any(x.startswith("Tumour-only") for x in metrics["limitations"])
    assert 'Mode: <b>tumour-only</b>' in html
    assert json.loads((run / "results" / "copynumber" / "P1" / "metrics.json").read_text())["tumour_only"]
