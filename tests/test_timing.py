"""Timing of gains and WGD (ith.timing): the time formulas against known answers, the event
scopes, and the method against simulated patients' true multiplicities and event order (table
level, no reads written)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ith.timing.core import TimingParams, event_of, gain_time, time_patient
from ith.timing.validate import evaluate, truth_patients


def test_event_of_states():
    assert event_of(1, 1, 2, False) == (None, False)
    assert event_of(2, 1, 2, False) == ("gain", True)
    assert event_of(2, 0, 2, False) == ("cnloh", True)
    assert event_of(3, 1, 2, False) == ("gain", False)
    assert event_of(1, 0, 2, False) == ("loss", False)
    assert event_of(2, 2, 2, True) == ("wgd", True)
    assert event_of(2, 1, 2, True) == ("loss", False)
    assert event_of(3, 2, 2, True) == ("gain", False)
    assert event_of(3, 1, 2, True) == ("imbalance", False)
    assert event_of(1, 0, 1, False) == (None, False)  # a male X


@pytest.mark.parametrize("event,before,after,gained", [("gain", 2, 3, 1), ("cnloh", 1, 2, 1), ("wgd", 2, 4, 2)])
def test_copies_clock_recovers_time_of_per_copy_accrual(event, before, after, gained):
    """Mutations accruing per copy (MutationTimeR's model): `before` copies until t, `after` copies
    from t, `gained` single-copy alleles doubled at t. The expected counts give t back exactly and
    Poisson draws at a real tumour's density within 0.1."""
    rate = 2000.0
    rng = np.random.default_rng(4)
    for t in (0.1, 0.3, 0.5, 0.7, 0.9):
        early = gained * rate * t
        total = before * rate * t + after * rate * (1 - t)
        assert gain_time(early, total, event, "copies") == pytest.approx(t, abs=1e-9)
        e = rng.poisson(early)
        late = rng.poisson(total - early)
        assert abs(gain_time(e, e + late, event, "copies") - t) < 0.1
    # the single-gain form: 3 n2 / (2 n2 + n1)
    assert gain_time(30, 130, "gain", "copies") == pytest.approx(3 * 30 / (2 * 30 + 100))


def _toy(purity=0.7, depth=100, n=200, t=0.5, seed=0):
    """One 2+1 segment in two regions and one 2+0 segment private to R2: clonal SNVs arose per
    site (the simulator's clock), early ones (before the gain, on the gained allele) with 2 copies."""
    rng = np.random.default_rng(seed)
    before = rng.random(n) < t
    gained_allele = rng.random(n) < 0.5
    mult = np.where(before & gained_allele, 2, 1)
    rows = []
    for region in ("R1", "R2"):
        vaf = purity * mult / (purity * 3 + 2 * (1 - purity))
        d = rng.poisson(depth, n)
        for i in range(n):
            rows.append(dict(mutation_id=f"chr1:{1000 + i * 10}:A:C", sample=region, alt_counts=rng.binomial(d[i], vaf[i]),
                             depth=d[i], major_cn=2, minor_cn=1, normal_cn=2, purity=purity, call="clonal"))
    muts = pd.DataFrame(rows)
    segs = pd.DataFrame([dict(sample=r, chrom=c, start=s, end=e, major_cn=M, minor_cn=m, normal_cn=2)
                         for r in ("R1", "R2") for c, s, e, M, m in
                         (("chr1", 1, 5000, 2, 1), ("chr2", 1, 5000, 1, 1) if r == "R1" else ("chr2", 1, 5000, 2, 0))])
    return muts, segs, mult


def test_toy_segment_calls_time_and_scope():
    muts, segs, mult = _toy()
    seg, mut, metrics = time_patient(muts, segs, {"R1": False, "R2": False}, ["R1", "R2"],
                                     TimingParams(clock="sites", bootstrap=200), "P")
    gain = seg[seg["event"] == "gain"].iloc[0]
    assert gain["scope"] == "truncal" and gain["regions"] == "R1,R2" and gain["n_mutations"] == 200
    truth = 2 * (mult == 2).mean()
    assert abs(gain["time"] - truth) < 0.05 and gain["low"] <= gain["time"] <= gain["high"]
    assert (mut["call"].eq("early").to_numpy() == (mult == 2)).mean() >= 0.97
    loh = seg[seg["event"] == "cnloh"].iloc[0]
    assert loh["scope"] == "private" and loh["regions"] == "R2" and np.isnan(loh["time"])
    assert metrics["events"] == {"truncal": 1, "shared": 0, "private": 1}
    assert metrics["wgd"] is None and metrics["mutations"]["timed"] == 200
    # same inputs, same tables
    again = time_patient(muts, segs, {"R1": False, "R2": False}, ["R1", "R2"],
                         TimingParams(clock="sites", bootstrap=200), "P")
    pd.testing.assert_frame_equal(seg, again[0])


@pytest.fixture(scope="module")
def simulated():
    """Five simulated patients (two with WGD) of the demo genome, dense in mutations so that a
    gained segment holds 100-500 truncal SNVs, as a chromosome arm of a real tumour does."""
    return truth_patients("demo", 6, snvs=(8000, 10000), n_patients=5, wgd_patients=(1, 3), plasma=(0,), cn_events=(6, 9))


@pytest.mark.parametrize("depth", [60, 100])
def test_timing_against_simulated_truth(simulated, depth):
    """Issue 25's target: early/late right for >= 90% of clonal SNVs in gained segments; truncal
    gains' and WGD's times within 0.1 of the true order of events (the simulator's clock: per site)."""
    r = evaluate(simulated, depth, TimingParams(clock="sites"))
    assert r["calls"] > 1000 and r["accuracy"] >= 0.9
    gains, wgd = r["gains"], r["wgd"]
    assert len(gains) >= 5 and len(wgd) == 2 and r["missed_wgd"] == 0
    assert ((gains["time"] - gains["truth"]).abs() <= 0.1).all()
    assert ((wgd["time"] - wgd["truth"]).abs() <= 0.1).all()
    inside = pd.concat([gains, wgd])
    assert ((inside["low"] - 0.02 <= inside["truth"]) & (inside["truth"] <= inside["high"] + 0.02)).mean() >= 0.75
    # the copy-per-copy clock on the simulator's per-site data is off: the clock matters
    wrong = evaluate(simulated, depth, TimingParams(clock="copies"))["gains"]
    assert ((wrong["time"] - wrong["truth"]).abs() > 0.02).any()


def test_no_mutations_and_no_events_write_empty_tables(tmp_path):
    from ith.timing.patient import write

    muts, segs, _ = _toy(n=5)
    empty = muts.iloc[:0]
    flat = segs.assign(major_cn=1, minor_cn=1)
    out = write(empty, flat, {}, ["R1", "R2"], TimingParams(), "P", *(str(tmp_path / f) for f in
                ("mutations.tsv", "segments.tsv", "metrics.json", "timing.png")))
    assert out["wgd"] is None and out["events"] == {"truncal": 0, "shared": 0, "private": 0}
    assert pd.read_csv(tmp_path / "segments.tsv", sep="\t").empty and (tmp_path / "timing.png").exists()
    # a gain whose mutations are too few: called, not timed
    seg, mut, _ = time_patient(muts, segs, {}, ["R1", "R2"], TimingParams(), "P")
    assert len(mut) == 5 and seg["time"].isna().all()


def test_an_event_the_segmentation_cut_in_two_is_timed_once():
    """Two neighbouring pieces with the same 2+1 in both regions (a breakpoint of the log ratio
    alone) are one gain: timed on all its SNVs and counted once; a neighbour whose state or
    regions differ stays apart."""
    muts, segs, mult = _toy()
    cut = pd.concat([segs[segs["chrom"] == "chr1"].assign(end=2500), segs[segs["chrom"] == "chr1"].assign(start=2501),
                     segs[segs["chrom"] == "chr2"]], ignore_index=True)
    params = TimingParams(clock="sites", bootstrap=50)
    whole, _, m_whole = time_patient(muts, segs, {"R1": False, "R2": False}, ["R1", "R2"], params, "P")
    seg, mut, metrics = time_patient(muts, cut, {"R1": False, "R2": False}, ["R1", "R2"], params, "P")
    gain = seg[seg["event"] == "gain"]
    assert len(gain) == 1 and (gain["start"].iloc[0], gain["end"].iloc[0]) == (1, 5000)
    assert gain["n_mutations"].iloc[0] == 200 and gain["time"].iloc[0] == whole.loc[whole["event"] == "gain", "time"].iloc[0]
    assert metrics["events"] == m_whole["events"] == {"truncal": 1, "shared": 0, "private": 1}
    # R2 alone gains the second piece: a different unit, not joined
    apart = cut.copy()
    apart.loc[(apart["sample"] == "R1") & (apart["start"] == 2501), ["major_cn", "minor_cn"]] = [1, 1]
    seg2, _, _ = time_patient(muts, apart, {"R1": False, "R2": False}, ["R1", "R2"], params, "P")
    assert sorted(seg2.loc[seg2["event"] == "gain", "regions"]) == ["R1,R2", "R2"]
