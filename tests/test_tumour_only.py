"""Tumour-only patients: the germline-vs-somatic test on allele fractions against copy number."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
