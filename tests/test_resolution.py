"""What exome- and panel-sized mutation counts can resolve, and that the report says so."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ith.report.resolution import ccf_separation, region_resolution, resolution, resolution_limits


def _power(k: int, depth: int, purity: float, delta: float, n: int = 4000, seed: int = 0) -> float:
    """Share of simulated pairs of clusters (k mutations each, CCFs 0.5 -+ delta/2, diploid) whose
    pooled VAFs a two-sided 5% z-test tells apart."""
    rng = np.random.default_rng(seed)
    v = purity * (0.5 + np.array([-delta, delta]) / 2) / 2
    alt = rng.binomial(depth, v, size=(n, k, 2)).sum(axis=1)
    f = alt / (k * depth)
    pooled = f.mean(axis=1)
    se = np.sqrt(2 * pooled * (1 - pooled) / (k * depth))
    return float(np.mean(np.abs(f[:, 1] - f[:, 0]) / se > 1.959964))


@pytest.mark.parametrize("k, depth, purity", [(5, 100, 0.6), (5, 40, 0.35), (20, 200, 0.8)])
def test_the_ccf_separation_is_the_difference_seen_with_80_percent_power(k, depth, purity):
    delta = ccf_separation(k, depth, purity)
    assert 0.75 <= _power(k, depth, purity, delta) <= 0.85
    assert _power(k, depth, purity, delta / 2) < 0.4  # a separation half as wide is mostly missed


def test_separation_is_wider_with_fewer_mutations_lower_depth_or_purity_and_infinite_without_data():
    base = ccf_separation(5, 100, 0.6)
    assert ccf_separation(50, 100, 0.6) < base / 3
    assert ccf_separation(5, 30, 0.6) > base and ccf_separation(5, 100, 0.3) > base
    assert ccf_separation(0, 100, 0.6) == np.inf and ccf_separation(5, 100, float("nan")) == np.inf


def _table(n: int, depth: int, purity: float, regions=("R1", "R2")) -> pd.DataFrame:
    return pd.DataFrame([{"mutation_id": f"m{i}", "sample": r, "present": i % 2 == 0 or r == "R1", "depth": depth,
                          "purity": purity, "major_cn": 1, "minor_cn": 1, "normal_cn": 2}
                         for i in range(n) for r in regions])


def test_region_resolution_reads_the_regions_present_mutations():
    per = {x.region: x for x in region_resolution(_table(60, 80, 0.5), ["R1", "R2", "R3"], 5)}
    assert per["R1"].mutations == 60 and per["R2"].mutations == 30 and per["R3"].mutations == 0
    assert per["R1"].ccf_separation == pytest.approx(ccf_separation(5, 80, 0.5))
    assert per["R3"].ccf_separation == np.inf


def test_an_exome_sized_patient_gets_the_limitation_and_a_genome_sized_one_does_not():
    small = resolution(_table(60, 80, 0.5), ["R1", "R2"], 60, 5)
    lines = resolution_limits(small, 0.02, 0.2)
    assert any(x.startswith("Only 60 mutations") and "8%" in x for x in lines)
    big = resolution(_table(2000, 300, 0.8), ["R1", "R2"], 2000, 5)
    assert resolution_limits(big, 0.02, 0.2) == []
    shallow = resolution(_table(2000, 15, 0.2), ["R1", "R2"], 2000, 5)
    assert any("R1" in x and "R2" in x for x in resolution_limits(shallow, 0.02, 0.2))


@pytest.mark.workflow
def test_the_workflow_report_states_the_resolution_of_its_mutation_counts(workflow_run):
    results = Path(workflow_run) / "results" / "report"
    for patient in ("P1", "P2"):
        s = json.loads((results / patient / "metrics.json").read_text())
        r = s["resolution"]
        assert r["mutations"] == s["heterogeneity"]["mutations"] and r["min_cluster_size"] == 5
        assert set(r["regions"]) == set(s["samples"]["regions"])
        for v in r["regions"].values():
            assert 0.02 < v["ccf_separation"] < 1 and v["median_depth"] > 20
        # the test cohort's patients carry fewer than 250 mutations: an exome's worth
        limited = r["mutations"] < 250
        assert any(x.startswith(f"Only {r['mutations']} mutations") for x in s["limitations"]) == limited
        assert 'id="resolution"' in (results / patient / "report.html").read_text()
