"""Timing of gains and WGD (ith.timing): the time formulas against known answers, the event
scopes, and the method against simulated patients' true multiplicities and event order (table
level, no reads written)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ith.timing.core import TimingParams, event_of, gain_time, time_patient, time_patient_events
from ith.timing.validate import (count_limit, evaluate, find_history, oracle_events, oracle_times, true_multiplicity,
                                 truth_patients)


def test_event_of_states():
    assert event_of(1, 1, 2, False) == (None, False)
    assert event_of(2, 1, 2, False) == ("gain", True)
    assert event_of(2, 0, 2, False) == ("cnloh", True)
    assert event_of(3, 1, 2, False) == ("gain", True)
    assert event_of(1, 0, 2, False) == ("loss", False)
    assert event_of(2, 2, 2, True) == ("wgd", True)
    assert event_of(2, 1, 2, True) == ("loss", True)
    assert event_of(3, 2, 2, True) == ("gain", True)
    assert event_of(3, 1, 2, True) == ("imbalance", True)
    assert event_of(1, 1, 2, True) == ("loss", False)
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
    everything, wgd = r["gains"], r["wgd"]
    # gains and LOH timed from their segment alone: one gain (2+1, 2+0), or in a doubled genome
    # before or after the doubling (4+2, 3+2), and the doubling's time from such a segment
    gains = everything[everything["identifiable"] == "yes"]
    assert len(gains) >= 5 and len(wgd) == 2 and r["missed_wgd"] == 0
    assert (~gains["history"].isin(["1+1>2+1", "1+1>2+0"])).sum() >= 2  # some gains in a doubled genome
    assert ((gains["time"] - gains["truth"]).abs() <= 0.1).all()
    assert ((wgd["time"] - wgd["truth"]).abs() <= 0.1).all()
    inside = pd.concat([gains, wgd])
    assert ((inside["low"] - 0.02 <= inside["truth"]) & (inside["truth"] <= inside["high"] + 0.02)).mean() >= 0.75
    # losses before or after the doubling, timed only with the doubling's pooled time: looser
    given = everything[everything["identifiable"] == "given_wgd"]
    assert len(given) >= 2 and ((given["time"] - given["truth"]).abs() <= 0.3).mean() >= 0.75
    # the oracle (the same fits on the true multiplicities) times every step the stage times, and
    # at this depth the reads cost little: the stage is within 0.05 of it for nearly every step
    assert everything["oracle"].notna().all() and wgd["oracle"].notna().all()
    assert ((everything["time"] - everything["oracle"]).abs() <= 0.05).mean() >= 0.9
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


def test_an_untimed_state_cut_in_two_keeps_its_reason_and_different_reasons_stay_apart():
    """A loss the segmentation cut in two, flagged subclonal in both pieces, is one untimed row
    with its reason (a join that forgot the reasons failed the workflow's timing job on the BAM
    bench); a neighbour untimed for another reason stays a row of its own."""
    muts, segs, _ = _toy()
    loss = pd.DataFrame([dict(sample=r, chrom="chr3", start=s, end=e, major_cn=1, minor_cn=0, normal_cn=2,
                              subclonal=sub, allele_specific=spec)
                         for r in ("R1", "R2") for s, e, sub, spec in
                         ((1, 2000, True, True), (2001, 4000, True, True), (4001, 6000, False, False))])
    segs = pd.concat([segs.assign(subclonal=False, allele_specific=True), loss], ignore_index=True)
    seg, _, _ = time_patient(muts, segs, {"R1": False, "R2": False}, ["R1", "R2"],
                             TimingParams(clock="sites", bootstrap=20), "P")
    chr3 = seg[seg["chrom"] == "chr3"].set_index("start")
    assert list(chr3.index) == [1, 4001] and chr3.loc[1, "end"] == 4000
    assert chr3.loc[1, "history"] == "subclonal copy number: not timed"
    assert chr3.loc[4001, "history"] == "not allele-specific: not timed"
    assert chr3["time"].isna().all()


def _explicit(steps, times, clock, purity=0.7, depth=60, n=600, seed=0, region="R1", chrom="chr1"):
    """Clonal SNVs of one segment drawn copy by copy (independently of ith.timing.history): every
    copy of each allele is a set of mutation ids; mutations arrive uniformly in time, on a
    present allele with equal chance (`sites`) or on any copy with equal chance (`copies`); a
    gain copies a random copy of its allele, a loss drops one, a copy-neutral LOH drops one
    allele and doubles the other, a doubling copies every copy. Returns (mutations table, the
    final state, the true multiplicities)."""
    rng = np.random.default_rng(seed)
    alleles = [[set()], [set()]]
    bounds = [0.0, *times, 1.0]
    nxt = 0
    for k in range(len(bounds) - 1):
        copies = sum(len(a) for a in alleles)
        present = [a for a in (0, 1) if alleles[a]]
        rate = n if clock == "sites" else n * copies / 2
        for _ in range(rng.poisson(rate * (bounds[k + 1] - bounds[k]))):
            if clock == "sites":
                a = present[rng.integers(len(present))]
                alleles[a][rng.integers(len(alleles[a]))].add(nxt)
            else:
                flat = [c for a in present for c in alleles[a]]
                flat[rng.integers(len(flat))].add(nxt)
            nxt += 1
        if k < len(steps):
            kind, a = steps[k]
            if kind == "gain":
                alleles[a].append(set(alleles[a][rng.integers(len(alleles[a]))]))
            elif kind == "loss":
                alleles[a].pop(rng.integers(len(alleles[a])))
            elif kind == "cnloh":
                alleles[1 - a] = [set(c) for c in alleles[1 - a] for _ in range(2)]
                alleles[a] = []
            else:
                alleles = [[set(c) for c in al for _ in range(2)] for al in alleles]
    mult = np.zeros(nxt, dtype=int)
    for al in alleles:
        for c in al:
            mult[list(c)] += 1
    mult = mult[mult > 0]
    major, minor = max(len(a) for a in alleles), min(len(a) for a in alleles)
    total = major + minor
    d = rng.poisson(depth, len(mult))
    alt = rng.binomial(d, purity * mult / (purity * total + 2 * (1 - purity)))
    muts = pd.DataFrame(dict(mutation_id=[f"{chrom}:{1000 + i * 10}:A:C" for i in range(len(mult))], sample=region,
                             alt_counts=alt, depth=d, major_cn=major, minor_cn=minor, normal_cn=2, purity=purity,
                             call="clonal"))
    return muts, (major, minor), mult


def _segments(states: dict, region="R1"):
    return pd.DataFrame([dict(sample=region, chrom=c, start=1, end=10_000_000, major_cn=M, minor_cn=m, normal_cn=2)
                         for c, (M, m) in states.items()])


@pytest.mark.parametrize("clock", ["sites", "copies"])
@pytest.mark.parametrize("steps,times", [
    ((("gain", 0), ("gain", 0)), (0.3, 0.65)),  # 3+1: two successive gains of one allele
    ((("cnloh", 1), ("gain", 0)), (0.25, 0.7)),  # 3+0: an LOH, then a gain
    ((("gain", 0), ("gain", 0), ("gain", 0)), (0.2, 0.45, 0.75)),  # 4+1: only the first gain resolved
    ((("gain", 0), ("gain", 0)), (0.4, 0.4001)),  # 3+1 from one event making two copies
])
def test_states_with_three_or_more_copies_of_an_allele_are_timed_step_by_step(clock, steps, times):
    """Every gain of a 3+1 and 3+0 segment, and the first of a 4+1, within 0.1 of the time it
    happened, for mutations drawn copy by copy under either clock; the 4+1's later gains are
    flagged, not timed; the late/early calls follow the multiplicity."""
    errs = []
    for seed in range(3):
        muts, state, mult = _explicit(steps, times, clock, seed=seed)
        seg, mut, ev, _ = time_patient_events(muts, _segments({"chr1": state}), {"R1": False}, ["R1"],
                                              TimingParams(clock=clock, bootstrap=50), "P")
        assert list(ev["event"]) == [k for k, _ in steps]
        expect = ["yes"] + (["no"] * 2 if len(steps) == 3 else ["yes"] * (len(steps) - 1))
        assert list(ev["identifiable"]) == expect and ev["time"].notna().tolist() == [e == "yes" for e in expect]
        ev = ev.assign(truth=times)[ev["time"].notna()]
        errs += list((ev["time"] - ev["truth"]).abs())
        assert ((ev["low"] <= ev["time"]) & (ev["time"] <= ev["high"])).all()
        assert (mut["call"].eq("early").to_numpy() == (mult >= 2)).mean() >= 0.9
        assert seg["time"].iloc[0] == ev["time"].iloc[0]  # the segment's time: its first step
    assert max(errs) <= 0.1, errs


def test_copies_clock_matches_mutationtimer_for_successive_gains():
    """MutationTimeR's per-copy expectation for 3+1 (first gain t3, second t2; its own example):
    multiplicity weights (4(1 - t2) + 2(t2 - t3) + t3, t2 - t3, t3) give t3 and t2 back exactly."""
    from ith.timing.core import _solve
    from ith.timing.history import design, histories

    t3, t2 = 0.3, 0.7
    counts = np.array([4 * (1 - t2) + 2 * (t2 - t3) + t3, t2 - t3, t3]) * 1000
    (h,) = histories(3, 1, False)
    assert _solve(design(h, "copies"), counts) == pytest.approx([t3, t2], abs=1e-9)


@pytest.mark.parametrize("clock", ["sites", "copies"])
def test_gains_and_losses_after_a_doubling(clock):
    """A 3+2 segment (doubling, then a gain) and a 4+2 one (a gain, then the doubling): both steps
    timed from the segment alone within 0.1; a 2+1 segment (doubling, then a loss) is timed only
    with the doubling's pooled time (from 2+2 segments), and says so, or, per copy, not at all."""
    tw = 0.45
    parts = [_explicit((("wgd", -1), ("gain", 0)), (tw, 0.75), clock, seed=1, chrom="chr1"),
             _explicit((("gain", 0), ("wgd", -1)), (0.2, tw), clock, seed=2, chrom="chr2"),
             _explicit((("wgd", -1), ("loss", 1)), (tw, 0.7), clock, seed=3, chrom="chr3", n=1500),
             _explicit((("wgd", -1),), (tw,), clock, seed=4, chrom="chr4", n=1500)]
    muts = pd.concat([p[0] for p in parts], ignore_index=True)
    segs = _segments({f"chr{i + 1}": p[1] for i, p in enumerate(parts)})
    seg, mut, ev, metrics = time_patient_events(muts, segs, {"R1": True}, ["R1"], TimingParams(clock=clock, bootstrap=50), "P")
    assert abs(metrics["wgd"]["time"] - tw) <= 0.1
    by = {(r.chrom, r.event): r for r in ev.itertuples()}
    assert by[("chr1", "wgd")].identifiable == "yes" and abs(by[("chr1", "wgd")].time - tw) <= 0.1
    assert by[("chr1", "gain")].identifiable == "yes" and abs(by[("chr1", "gain")].time - 0.75) <= 0.1
    assert by[("chr2", "gain")].identifiable == "yes" and abs(by[("chr2", "gain")].time - 0.2) <= 0.1
    assert by[("chr2", "wgd")].identifiable == "yes" and abs(by[("chr2", "wgd")].time - tw) <= 0.1
    loss = by[("chr3", "loss")]
    if clock == "sites":
        assert loss.identifiable == "given_wgd" and abs(loss.time - 0.7) <= 0.15 and loss.low <= 0.7 <= loss.high
    else:  # per copy, 2+2 and 2+1 mutate at the same rate into the same multiplicity: no clue to the loss
        assert loss.identifiable == "no" and np.isnan(loss.time)
    assert seg.set_index("chrom").loc["chr3", "history"] == "1+1>2+2>2+1"


def test_unidentifiable_and_ambiguous_histories_are_flagged_not_timed():
    """2+2 without a doubling (which allele first?) is listed with its steps not identifiable;
    4+0 in a doubled genome (the LOH before or after the doubling) is ambiguous: no time, no
    events, its mutations still called early or late."""
    a, _, _ = _explicit((("gain", 0), ("gain", 1)), (0.3, 0.6), "sites", seed=5)
    seg, mut, ev, _ = time_patient_events(a, _segments({"chr1": (2, 2)}), {"R1": False}, ["R1"], TimingParams(), "P")
    assert (ev["identifiable"] == "no").all() and ev["time"].isna().all() and seg["time"].isna().all()
    assert not seg["timeable"].iloc[0] and len(mut) == len(a)
    b, state, _ = _explicit((("cnloh", 1), ("wgd", -1)), (0.3, 0.6), "sites", seed=6)
    seg, mut, ev, metrics = time_patient_events(b, _segments({"chr1": state}), {"R1": True}, ["R1"], TimingParams(), "P")
    assert state == (4, 0) and seg["history"].iloc[0].startswith("ambiguous") and ev.empty
    assert len(mut) == len(b) and metrics["steps"]["ambiguous_segments"] == 1


def test_subclonal_copy_number_is_timed_only_where_clonal():
    """A 2+1 clonal in R1 and subclonal in R2 (a second state in some cells): timed in R1 with the
    mutations clonal there, listed for R2 as subclonal and not timed, its mutations not called."""
    muts, segs, mult = _toy()
    segs = segs.assign(subclonal=np.where((segs["sample"] == "R2") & (segs["chrom"] == "chr1"), "True", "False"))
    seg, mut, ev, _ = time_patient_events(muts, segs, {"R1": False, "R2": False}, ["R1", "R2"],
                                          TimingParams(clock="sites", bootstrap=50), "P")
    gain = seg[seg["event"] == "gain"].set_index("regions")
    assert gain.loc["R2", "history"] == "subclonal copy number: not timed" and np.isnan(gain.loc["R2", "time"])
    assert gain.loc["R1", "history"] == "1+1>2+1" and abs(gain.loc["R1", "time"] - 2 * (mult == 2).mean()) < 0.06
    assert set(mut["regions"]) == {"R1"} and (ev["chrom"] == "chr1").sum() == 1


@pytest.mark.parametrize("order", ["loh_first", "wgd_first"])
def test_ambiguous_loh_and_doubling_order_is_settled_by_the_pooled_doubling_time(order):
    """4+0 in a doubled genome: the LOH before the doubling (1+1>2+0>4+0) or after it
    (1+1>2+2>4+0) leave the same multiplicity classes; the history whose own doubling time is
    nearest the pooled one (from 2+2 segments) is chosen, its steps `given_wgd`, the LOH's time
    within 0.1 of the truth."""
    tw = 0.5
    steps, times = (((("cnloh", 1), ("wgd", -1)), (0.25, tw)) if order == "loh_first"
                    else ((("wgd", -1), ("cnloh", 1)), (tw, 0.75)))
    loh, state, _ = _explicit(steps, times, "sites", seed=7, n=800, chrom="chr1")
    doubled, _, _ = _explicit((("wgd", -1),), (tw,), "sites", seed=8, n=1500, chrom="chr2")
    seg, mut, ev, metrics = time_patient_events(pd.concat([loh, doubled], ignore_index=True),
                                                _segments({"chr1": state, "chr2": (2, 2)}), {"R1": True}, ["R1"],
                                                TimingParams(clock="sites", bootstrap=50), "P")
    expect = "1+1>2+0>4+0" if order == "loh_first" else "1+1>2+2>4+0"
    assert state == (4, 0) and seg.set_index("chrom").loc["chr1", "history"] == expect
    e = ev[(ev["chrom"] == "chr1") & (ev["event"] == "cnloh")].iloc[0]
    truth = times[0] if order == "loh_first" else times[1]
    assert e.identifiable == "given_wgd" and abs(e.time - truth) <= 0.1


@pytest.mark.parametrize("clock,expect", [("sites", 2 * 20 / 60), ("copies", 3 * 20 / (2 * 20 + 40))])
def test_oracle_gives_the_time_back_from_true_multiplicities(clock, expect):
    """The oracle fits a history on the true multiplicities with the stage's estimator: a 2+1
    segment with 20 SNVs of multiplicity 2 and 40 of 1 gives the one-gain formula exactly (per site
    2 n2 / n; per copy 3 n2 / (2 n2 + n1)); a 3+2 after a doubling and a 2+1 after one (the loss
    timed only with the doubling held) give back the times their expected counts were made from."""
    h = find_history("1+1>2+1", 2, 1)
    assert oracle_times(np.repeat([2, 1], [20, 40]), h, clock) == pytest.approx([expect], abs=1e-9)
    from ith.timing.history import design

    def counts(label, major, minor, times, n=100_000):
        hh = find_history(label, major, minor)
        share = np.diff([0.0, *times, 1.0]) @ design(hh, clock)
        return hh, np.repeat(np.arange(1, major + 1), np.round(n * share / share.sum()).astype(int))

    hh, mult = counts("1+1>2+2>3+2", 3, 2, (0.4, 0.7))
    assert oracle_times(mult, hh, clock) == pytest.approx([0.4, 0.7], abs=2e-3)
    assert oracle_times(mult, hh, clock, 0.4, hold_wgd=True) == pytest.approx([0.4, 0.7], abs=2e-3)
    hh, mult = counts("1+1>2+2>2+1", 2, 1, (0.35, 0.6))
    t = oracle_times(mult, hh, clock, wgd_time=0.35)
    if clock == "sites":  # the loss only given the doubling's time
        assert np.isnan(t[0]) and t[1] == pytest.approx(0.6, abs=0.01)
    else:  # per copy the loss leaves no trace; the doubling is timed from the segment
        assert t[0] == pytest.approx(0.35, abs=2e-3) and np.isnan(t[1])


def test_oracle_events_refit_the_stage_histories_on_the_true_multiplicities():
    """oracle_events: per events.tsv row the stage timed, its history fitted on the true
    multiplicities of the SNVs the stage timed it with (truth mutations.tsv `multiplicity`, the
    highest over the regions); the pooled doubling from the 2+2 SNVs; the stage, at 100x, near it."""
    tw = 0.45
    parts = [_explicit((("wgd", -1), ("gain", 0)), (tw, 0.75), "sites", seed=1, chrom="chr1", depth=100),
             _explicit((("wgd", -1),), (tw,), "sites", seed=4, chrom="chr4", n=1500, depth=100)]
    muts = pd.concat([p[0] for p in parts], ignore_index=True)
    true_m = np.concatenate([p[2] for p in parts])
    seg, mut, ev, metrics = time_patient_events(muts, _segments({"chr1": parts[0][1], "chr4": (2, 2)}), {"R1": True},
                                                ["R1"], TimingParams(clock="sites", bootstrap=0), "P")
    truth = pd.DataFrame({"mutation_id": muts["mutation_id"], "sample": "R1", "multiplicity": true_m})
    assert (true_multiplicity(mut, truth) == pd.Series(true_m, index=muts["mutation_id"]).reindex(mut["mutation_id"]).to_numpy()).all()
    oracle, oracle_wgd = oracle_events(ev, mut, metrics, truth)
    pooled = parts[1][2]
    assert oracle_wgd == pytest.approx(gain_time(float((pooled == 2).sum()), len(pooled), "wgd", "sites"))
    rows = ev["chrom"] == "chr1"
    assert list(oracle[rows]) == pytest.approx(list(oracle_times(parts[0][2], find_history("1+1>2+2>3+2", 3, 2), "sites")))
    assert oracle[ev["time"].isna()].isna().all()
    assert ((ev["time"] - oracle).abs()[ev["time"].notna()] <= 0.05).all()
    # two regions: the highest of the regions' multiplicities; a mutation the truth lacks: NaN
    two = pd.DataFrame({"mutation_id": ["a", "b"], "regions": ["R1,R2", "R1"]})
    t2 = pd.DataFrame({"mutation_id": ["a", "a"], "sample": ["R1", "R2"], "multiplicity": [1, 2]})
    got = true_multiplicity(two, t2)
    assert got[0] == 2 and np.isnan(got[1])


def test_count_limit_shrinks_with_the_segments_snvs():
    """count_limit: a 2+1 gain at 0.5 per site (t = 2 n2 / n, n2 ~ Binomial(n, 1/4): sd 0.87 /
    sqrt(n)) is within 0.1 in about half the draws with 10 SNVs and in all with 2,000."""
    h = find_history("1+1>2+1", 2, 1)
    err = count_limit(h, [0.5], "sites", 0, [10, 2000], 300, np.random.default_rng(1))
    within = (err <= 0.1).mean(axis=1)
    assert 0.2 <= within[0] <= 0.6 and within[1] >= 0.99
    assert np.nanmean(err[1]) == pytest.approx(0.87 / np.sqrt(2000) * np.sqrt(2 / np.pi), rel=0.2)
    # a gain after the doubling (3+2) on 300 SNVs: dated by the m = 2 class less the m = 3 one, it
    # is within 0.1 in about half the draws; holding the doubling at its time helps, not fully
    h = find_history("1+1>2+2>3+2", 3, 2)
    free, held = (count_limit(h, [0.48, 0.77], "sites", 1, [300], 400, np.random.default_rng(2), 0.48, hold)
                  for hold in (False, True))
    assert 0.4 <= (free <= 0.1).mean() <= 0.7 and (free <= 0.1).mean() + 0.05 <= (held <= 0.1).mean() <= 0.85
