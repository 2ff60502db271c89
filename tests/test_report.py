"""Heterogeneity metrics on hand-computed examples (the report itself is not built yet)."""

from __future__ import annotations

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
