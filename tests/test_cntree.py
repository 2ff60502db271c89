"""Copy-number tree (ith.cntree): the event distance against brute force, neighbour joining on an
additive tree, and topology against the simulator's truth."""

from __future__ import annotations

import dataclasses
from collections import deque

import numpy as np
import pandas as pd
import pytest

from ith.cntree.build import CnTreeParams, cn_tree, snv_clades
from ith.cntree.distance import INF, directed_distance, vector_distance
from ith.cntree.profiles import ROOT, shared_segments
from ith.cntree.tree import informative, neighbour_joining, robinson_foulds


def _brute(a: tuple, b: tuple, cap: int) -> float:
    """Breadth-first search over every sequence of interval gains/losses (0 stays 0)."""
    n = len(a)
    seen = {a: 0}
    queue = deque([a])
    while queue:
        x = queue.popleft()
        if x == b:
            return seen[x]
        for i in range(n):
            for j in range(i, n):
                for step in (1, -1):
                    y = list(x)
                    for k in range(i, j + 1):
                        y[k] = max(y[k] - 1, 0) if step < 0 else (y[k] + 1 if y[k] > 0 else 0)
                    y = tuple(y)
                    if max(y) <= cap and y not in seen:
                        seen[y] = seen[x] + 1
                        queue.append(y)
    return INF


def test_distance_exact_without_new_zeros_and_an_upper_bound_with_them():
    rng = np.random.default_rng(0)
    exact = over = 0
    for _ in range(300):
        n = int(rng.integers(1, 5))
        a = tuple(int(v) for v in rng.integers(0, 4, n))
        b = tuple(int(v) for v in rng.integers(0, 4, n))
        truth = _brute(a, b, cap=5)
        mine = vector_distance(np.array(a), np.array(b))
        if truth == INF:
            assert mine == INF
            continue
        assert mine >= truth
        new_zero = any(x > 0 and y == 0 for x, y in zip(a, b))
        if not new_zero:
            assert mine == truth, (a, b)
        exact += mine == truth
        over += mine > truth
    # only a loss to 0 taken before a gain spanning it can beat the formula; rare
    assert over <= 0.1 * (exact + over)


def test_distance_known_values():
    assert vector_distance(np.array([1, 1, 1]), np.array([2, 2, 2])) == 1
    assert vector_distance(np.array([1, 1, 1]), np.array([2, 1, 2])) == 2
    assert vector_distance(np.array([1, 1]), np.array([2, 0])) == 2
    assert vector_distance(np.array([0, 1]), np.array([1, 1])) == INF
    # a segment already at 0 takes any event over it for free
    assert vector_distance(np.array([2, 0, 2]), np.array([3, 0, 3])) == 1
    one = {"1": np.array([[1, 1], [1, 1]])}
    doubled = {"1": np.array([[2, 2], [2, 2]])}
    assert directed_distance(one, doubled, wgd=False) == 2
    assert directed_distance(one, doubled, wgd=True) == 1
    # a gain before the doubling is doubled with it: gain, then WGD
    assert directed_distance({"1": np.array([[1, 1], [1, 1], [1, 1]])},
                             {"1": np.array([[4, 2], [2, 2], [2, 2]])}, wgd=True) == 2
    # a loss after it: WGD, then loss
    assert directed_distance(one, {"1": np.array([[2, 1], [2, 2]])}, wgd=True) == 2


def test_neighbour_joining_recovers_an_additive_tree():
    # ((A:2,B:3):4,(C:1,D:5):2, root:1)
    names = ["root", "A", "B", "C", "D"]
    tips = {"A": ("x", 2), "B": ("x", 3), "C": ("y", 1), "D": ("y", 5), "root": ("z", 1)}
    inner = {("x", "z"): 4, ("y", "z"): 2}

    def path(u, v):
        (pu, lu), (pv, lv) = tips[u], tips[v]
        if pu == pv:
            return lu + lv
        return lu + lv + inner.get((pu, "z"), 0) + inner.get((pv, "z"), 0)

    m = np.array([[0 if u == v else path(u, v) for v in names] for u in names], dtype=float)
    tree = neighbour_joining(names, m)
    clades = tree.clades("root")
    assert informative(clades, 4) == {frozenset("AB"), frozenset("CD")}
    assert clades[frozenset("AB")] == pytest.approx(4)
    assert clades[frozenset("D")] == pytest.approx(5)
    assert tree.newick("root").startswith("(root:0,")


def test_robinson_foulds():
    a = {frozenset("AB"), frozenset("ABC")}
    assert robinson_foulds(a, a) == (0, 0.0)
    assert robinson_foulds(a, {frozenset("AB"), frozenset("ABD")}) == (2, 0.5)
    assert robinson_foulds(set(), set()) == (0, 0.0)


def _seg(sample, chrom, start, end, major, minor):
    return dict(patient="P", sample=sample, chrom=chrom, start=start, end=end, major_cn=major, minor_cn=minor)


def test_shared_segments_cut_at_every_regions_breakpoints():
    seg = pd.DataFrame([_seg("R1", "chr1", 1, 100, 1, 1), _seg("R1", "chr1", 101, 300, 2, 1),
                        _seg("R2", "chr1", 1, 200, 1, 1), _seg("R2", "chr1", 201, 300, 1, 0),
                        _seg("R2", "chrX", 1, 50, 1, 0)])
    table, prof = shared_segments(seg, ["R1", "R2"])
    assert table[["start", "end"]].values.tolist() == [[1, 100], [101, 200], [201, 300]]
    assert prof["R1"]["chr1"].tolist() == [[1, 1], [2, 1], [2, 1]]
    assert prof["R2"]["chr1"].tolist() == [[1, 1], [1, 1], [1, 0]]
    assert prof[ROOT]["chr1"].tolist() == [[1, 1]] * 3
    table, _ = shared_segments(seg, ["R1", "R2"], min_segment_bp=100)
    assert len(table) == 3
    table, _ = shared_segments(seg, ["R1", "R2"], min_segment_bp=101)
    assert len(table) == 0


def _boundary_cohort(bins: int = 3, flagged: tuple = ("R1", "R2", "R3", "R4")) -> pd.DataFrame:
    """R1 and R2 share a gain (chr2); two truncal losses end inside a bin, and the segmentation
    put a short segment across each end: half lost in every region, read 1+1 in R1 and R3 and
    1+0 in R2 and R4, flagged subclonal in `flagged`."""
    rows = []
    for r in ("R1", "R2", "R3", "R4"):
        gain = (2, 1) if r in ("R1", "R2") else (1, 1)
        edge = (1, 1) if r in ("R1", "R3") else (1, 0)
        for chrom in ("chr1", "chr3"):
            rows += [_seg(r, chrom, 1, 100, 1, 0) | dict(n_bins=20, subclonal=False),
                     _seg(r, chrom, 101, 115, *edge) | dict(n_bins=bins, subclonal=r in flagged),
                     _seg(r, chrom, 116, 300, 1, 1) | dict(n_bins=37, subclonal=False)]
        rows.append(_seg(r, "chr2", 1, 200, *gain) | dict(n_bins=40, subclonal=False))
    return pd.DataFrame(rows)


def test_a_short_segment_most_regions_flag_subclonal_is_left_out_of_the_tree():
    """A short segment straddling a breakpoint (its level between the two sides in every region,
    rounded to either) makes spurious events; left out (`boundary_bins`), the tree is the true
    one. Longer segments, segments half the regions or fewer flag, and segments without a bin
    count are kept."""
    regions = ["R1", "R2", "R3", "R4"]
    truth = {frozenset({"R1", "R2"})}

    def clades(seg, **kw):
        return informative(cn_tree("P", seg, regions, CnTreeParams(**kw)).clades, 4)

    seg = _boundary_cohort()
    assert clades(seg) == truth
    assert cn_tree("P", seg, regions, CnTreeParams()).metrics["n_boundary_segments"] == 2
    assert clades(seg, boundary_bins=0) != truth  # the two boundary pieces outvote the gain
    table, _ = shared_segments(seg, regions, boundary_bins=3)
    assert len(table) == 5 and not ((table["start"] == 101) & (table["end"] == 115)).any()
    assert len(shared_segments(_boundary_cohort(bins=4), regions, boundary_bins=3)[0]) == 7
    assert len(shared_segments(_boundary_cohort(flagged=("R1", "R2")), regions, boundary_bins=3)[0]) == 7
    assert len(shared_segments(seg.drop(columns="n_bins"), regions, boundary_bins=3)[0]) == 7
    assert len(shared_segments(seg.drop(columns="subclonal"), regions, boundary_bins=3)[0]) == 7


def test_a_short_piece_at_a_chromosomes_end_across_a_breakpoint_is_left_out_unflagged():
    """A truncal gain ends within a chromosome's last bins (chr1 and chr3): the segmentation,
    which makes no segment shorter than its smallest at the end, put a 3-bin segment across the
    breakpoint, and each region reads it as one side or the other, clean (2+1 in R1 and R3, 1+1
    in R2 and R4). Kept, the two pieces outvote R1 and R2's shared gain (chr2); left out as
    boundary pieces, the tree is the true one. The same piece inside a chromosome, unflagged, is
    kept (a real short event)."""
    regions = ["R1", "R2", "R3", "R4"]

    def cohort(at_end: bool) -> pd.DataFrame:
        rows = []
        for r in regions:
            edge = (2, 1) if r in ("R1", "R3") else (1, 1)
            for chrom in ("chr1", "chr3"):
                rows += [_seg(r, chrom, 1, 200, 1, 1) | dict(n_bins=40, subclonal=False),
                         _seg(r, chrom, 201, 285, 2, 1) | dict(n_bins=17, subclonal=False),
                         _seg(r, chrom, 286, 300, *edge) | dict(n_bins=3, subclonal=False)]
                if not at_end:
                    rows.append(_seg(r, chrom, 301, 400, 1, 1) | dict(n_bins=20, subclonal=False))
            rows.append(_seg(r, "chr2", 1, 200, *((2, 1) if r in ("R1", "R2") else (1, 1)))
                        | dict(n_bins=40, subclonal=False))
        return pd.DataFrame(rows)

    def clades(seg, **kw):
        return informative(cn_tree("P", seg, regions, CnTreeParams(**kw)).clades, 4)

    truth = {frozenset({"R1", "R2"})}
    assert clades(cohort(at_end=True)) == truth
    assert cn_tree("P", cohort(at_end=True), regions, CnTreeParams()).metrics["n_boundary_segments"] == 2
    assert clades(cohort(at_end=True), boundary_bins=0) != truth
    table, _ = shared_segments(cohort(at_end=False), regions, boundary_bins=3)
    assert ((table["start"] == 286) & (table["end"] == 300)).sum() == 2
    # a piece left out after it (uncalled in one region) does not put it at the chromosome's end
    uncalled = cohort(at_end=False)
    uncalled.loc[(uncalled["sample"] == "R4") & (uncalled["start"] == 301), ["major_cn", "minor_cn"]] = np.nan
    table, _ = shared_segments(uncalled, regions, boundary_bins=3)
    assert ((table["start"] == 286) & (table["end"] == 300)).sum() == 2


def test_a_boundary_of_an_event_some_regions_hold_is_judged_by_those_regions():
    """A short piece at the start of a gain held by R1-R3: each of them flags it (and reads 2+1
    in R1 and R3, 1+1 in R2: half the piece is gained), R4-R6 run 1+1 across it, unflagged, since
    they do not hold the gain. Counting all six regions (3 of 6 flag it) kept the piece and its
    2+1/1+1 split broke the clade of R1-R3; counting the three with a boundary there, it is left out."""
    regions = [f"R{i}" for i in range(1, 7)]
    rows = []
    for r in regions:
        held = r in ("R1", "R2", "R3")
        piece = (2, 1) if r in ("R1", "R3") else (1, 1)
        rows += [_seg(r, "chr1", 1, 100, 1, 1) | dict(n_bins=20, subclonal=False),
                 _seg(r, "chr1", 101, 115, *piece) | dict(n_bins=3, subclonal=held),
                 _seg(r, "chr1", 116, 300, *((2, 1) if held else (1, 1))) | dict(n_bins=37, subclonal=False),
                 _seg(r, "chr2", 1, 200, 1, 1 if r != "R4" else 0) | dict(n_bins=40, subclonal=False),
                 _seg(r, "chr3", 1, 200, 1, 1 if r != "R6" else 0) | dict(n_bins=40, subclonal=False)]
    seg = pd.DataFrame(rows)
    table, _ = shared_segments(seg, regions, boundary_bins=3)
    assert not ((table["chrom"] == "chr1") & (table["start"] == 101)).any()
    assert informative(cn_tree("P", seg, regions, CnTreeParams()).clades, 6) == {frozenset({"R1", "R2", "R3"})}
    # every region counted, as before: 3 of 6 flag it, kept
    from ith.cntree.profiles import boundary_pieces, subclonal_flags
    from ith.io.segments import shared_states

    t, values = shared_states(seg.assign(_flag=subclonal_flags(seg), _bins=seg["n_bins"]), regions,
                              ("major_cn", "minor_cn", "_flag", "_bins"))
    assert not boundary_pieces(values, 3).any() and boundary_pieces(values, 3, t).sum() == 1


def test_cn_tree_agreement_with_the_snv_tree():
    rows = []
    # R1, R2 share a gain on chr1; R3 has its own loss
    for s, (g, l) in {"R1": (2, 1), "R2": (2, 1), "R3": (1, 1)}.items():
        rows += [_seg(s, "chr1", 1, 100, 1, 1), _seg(s, "chr1", 101, 200, g, 1), _seg(s, "chr1", 201, 300, 1, 1),
                 _seg(s, "chr2", 1, 100, 1, 1 if s != "R3" else 0), _seg(s, "chr2", 101, 300, 1, 1)]
    seg = pd.DataFrame(rows)
    branches = pd.DataFrame(dict(regions=["R1,R2,R3", "R1,R2", "R3", "R1", "R2", "R2,R3"],
                                 compatible=[True, True, True, True, True, False]))
    assert snv_clades(branches, ["R1", "R2", "R3"]) == {frozenset(["R1", "R2"])}
    res = cn_tree("P", seg, ["R1", "R2", "R3"], CnTreeParams(), branches)
    assert res.metrics["same_topology"] is True
    assert res.metrics["robinson_foulds"] == 0
    assert res.metrics["events_from_diploid"] == {"R1": 1.0, "R2": 1.0, "R3": 1.0}
    assert set(res.distances.columns) == {"patient", "sample_1", "sample_2", "events"}


@pytest.mark.parametrize("doubled", [False, True])
def test_cn_trees_match_the_simulated_truth(doubled):
    """>= 90% of simulated patients with >= 4 regions and >= 3 private copy-number events get the
    true topology, from the truth profiles with 0.5% of segments misread; with every second
    patient doubled too (the doubled root: from 1 + 1 the distances are not additive there)."""
    from ith.simulate.cntruth import CNTREE_OVERRIDES, CNTREE_PRESET, misread, private_cn_events, true_cn_clades
    from ith.simulate.cohort import patients
    from ith.simulate.genome import make_genome
    from ith.simulate.presets import PRESETS
    from ith.simulate.truth import segment_table

    preset = dataclasses.replace(PRESETS[CNTREE_PRESET], n_patients=30, **CNTREE_OVERRIDES,
                                 wgd_patients=tuple(range(1, 30, 2)) if doubled else ())
    genome = make_genome(np.random.default_rng([5, 0]), preset.autosome_lengths, preset.x_length, preset.y_length,
                         preset.segdups_per_mb)
    rng = np.random.default_rng(1)
    same = n = resolved = n_doubled = 0
    for patient, specs in patients(5, preset, genome):
        tumours = [s for s in specs if s.type == "tumour"]
        if len(tumours) < 4 or private_cn_events(patient, specs) < 3:
            continue
        seg = misread(segment_table(genome, patient, tumours), 0.005, rng)
        res = cn_tree(patient.id, seg, [s.sample for s in tumours], CnTreeParams())
        n += 1
        truth = true_cn_clades(patient, specs)
        same += informative(res.clades, len(tumours)) == truth
        resolved += bool(truth)
        n_doubled += patient.tumour.wgd
    assert n >= 10
    assert n_doubled >= (0.4 * n if doubled else 0)
    assert resolved >= 0.7 * n  # a star tree (no clade) would fail
    assert same >= 0.9 * n


def test_report_shows_the_copy_number_tree(tmp_path):
    """The cntree stage's tree, distances and agreement reach metrics.json and a section of the
    HTML, with its figure; without the stage's files the section says so."""
    import json
    from dataclasses import replace

    from test_report import _fake_files, _fake_results

    from ith.cntree.build import plot
    from ith.io.jsonout import write_json
    from ith.io.tables import write_tsv
    from ith.report.patient import write_report
    from ith.report.summary import ReportParams

    results = tmp_path / "results"
    sheet = _fake_results(results)
    regions = ["P1-R1", "P1-R2", "P1-R3"]
    rows = []
    for s, gain in zip(regions, (2, 2, 1)):  # R1 and R2 share a gain
        rows += [_seg(s, "chr1", 1, 100, 1, 1), _seg(s, "chr1", 101, 200, gain, 1), _seg(s, "chr1", 201, 300, 1, 1)]
    branches = pd.DataFrame(dict(regions=["P1-R1,P1-R3", "P1-R1", "P1-R2", "P1-R3"], compatible=True))
    res = cn_tree("P1", pd.DataFrame(rows), regions, CnTreeParams(), branches)
    assert res.metrics["robinson_foulds"] == 2 and res.metrics["same_topology"] is False
    d = results / "cntree" / "P1"
    d.mkdir(parents=True)
    write_tsv(res.distances, str(d / "distances.tsv"))
    write_json({"patient": "P1", **res.metrics}, str(d / "metrics.json"))
    plot(res, "P1", str(d / "cntree.png"))
    (d / "tree.nwk").write_text(res.newick + "\n")
    import shutil

    from test_docs import undocumented_outputs

    alone = tmp_path / "alone"  # the stage's files only, with the ids' table the check reads
    shutil.copytree(d, alone / "cntree" / "P1")
    (alone / "qc").mkdir()
    pd.DataFrame(dict(patient="P1", sample=regions)).to_csv(alone / "qc" / "summary.tsv", sep="\t", index=False)
    assert undocumented_outputs(alone) == []
    files = replace(_fake_files(results), cntree_distances=d / "distances.tsv", cntree_metrics=d / "metrics.json",
                    cntree_plot=d / "cntree.png")
    out = results / "report" / "P1"
    write_report(files, "P1", sheet, ReportParams(), out)
    s = json.loads((out / "metrics.json").read_text())
    assert s["cntree"]["clades"] == ["P1-R1,P1-R2"] and s["cntree"]["snv_clades"] == ["P1-R1,P1-R3"]
    assert s["cntree"]["robinson_foulds_normalised"] == 1.0 and "cntree" in s["definitions"]
    html = (out / "report.html").read_text()
    section = html[html.index('<section id="cntree">'):html.index('<section id="sampling">')]
    assert 'id="fig-cntree"' in section and "Robinson-Foulds distance 2" in section
    assert "different topologies" in section and "<td>P1-R1</td>" in section
    assert (out / "figures" / "cntree.png").exists()
    write_report(_fake_files(results), "P1", sheet, ReportParams(), tmp_path / "plain")
    assert "No copy-number tree for this patient." in (tmp_path / "plain" / "report.html").read_text()


def test_the_medicc2_engine_is_refused_before_any_job():
    from ith.config import check_config_values
    from ith.errors import InputError
    from test_params import section_defaults

    base = {"assay": {"type": "wgs", "targets": None}}
    check_config_values({**base, "cntree": section_defaults("cntree")}, "cfg")
    with pytest.raises(InputError, match="cfg: cntree.engine medicc2: MEDICC2 is not installed"):
        check_config_values({**base, "cntree": {**section_defaults("cntree"), "engine": "medicc2"}}, "cfg")


def test_distance_from_diploid_is_the_true_number_of_events():
    """From the truth profiles, each region's distance from the diploid normal is the number of
    events on its dominant clone's path (a CN-LOH two, as MEDICC2 counts it), with whole-genome
    doublings in the middle of the trunk too; without WGD as an event it is more there."""
    from ith.simulate.cntruth import CNTREE_OVERRIDES, CNTREE_PRESET, path_events
    from ith.simulate.cohort import patients
    from ith.simulate.genome import make_genome
    from ith.simulate.presets import PRESETS
    from ith.simulate.truth import segment_table

    preset = dataclasses.replace(PRESETS[CNTREE_PRESET], n_patients=6, wgd_patients=(0, 2, 4), **CNTREE_OVERRIDES)
    genome = make_genome(np.random.default_rng([7, 0]), preset.autosome_lengths, preset.x_length, preset.y_length,
                         preset.segdups_per_mb)
    n_wgd = 0
    for patient, specs in patients(7, preset, genome):
        tumours = [s for s in specs if s.type == "tumour"]
        seg = segment_table(genome, patient, tumours)
        got = cn_tree(patient.id, seg, [s.sample for s in tumours], CnTreeParams()).metrics["events_from_diploid"]
        assert got == {s.sample: float(path_events(patient, s)) for s in tumours}
        if patient.tumour.wgd:
            n_wgd += 1
            plain = cn_tree(patient.id, seg, [s.sample for s in tumours], CnTreeParams(wgd=False))
            assert all(plain.metrics["events_from_diploid"][s] > got[s] for s in got)
    assert n_wgd == 3


def _doubled_with_loh_after(loh_regions=("R2", "R3"), loss_regions=()):
    """Four regions of a doubled genome (2+2 on three pieces of chr1); `loh_regions` carry a
    CN-LOH after the doubling (4+0 on the first piece), `loss_regions` a loss (2+1) on the third."""
    rows = []
    for r in ("R1", "R2", "R3", "R4"):
        rows.append(_seg(r, "chr1", 1, 100, *((4, 0) if r in loh_regions else (2, 2))))
        rows.append(_seg(r, "chr1", 101, 200, 2, 2))
        rows.append(_seg(r, "chr1", 201, 300, *((2, 1) if r in loss_regions else (2, 2))))
    return pd.DataFrame(rows)


def test_a_clade_sharing_only_the_ancestral_state_is_contracted():
    # the cheapest path from 1+1 to 4+0 (a gain, a loss, the doubling: 3 events with the doubling
    # shared) bypasses the trunk's 2+2 (the doubling, then 2 gains and 2 losses), so the
    # distances are not additive: neighbour joining puts R1 and R4, which kept the trunk's
    # profile, on a one-event branch of their own
    regions = ["R1", "R2", "R3", "R4"]
    seg = _doubled_with_loh_after()
    plain = cn_tree("P", seg, regions, CnTreeParams(clade_support=False, doubled_root=False))
    assert informative(plain.clades, 4) == {frozenset({"R2", "R3"}), frozenset({"R1", "R4"})}
    res = cn_tree("P", seg, regions, CnTreeParams(doubled_root=False))
    assert informative(res.clades, 4) == {frozenset({"R2", "R3"})}
    assert res.metrics["clades_without_support"] == ["R1,R4"]
    assert res.metrics["newick"] == "(diploid:0,((R2:0,R3:0):3,R1:0,R4:0):0);"
    # a clade with a derived state of its own is kept: R1 and R4 also lose a copy
    both = _doubled_with_loh_after(loss_regions=("R1", "R4"))
    res = cn_tree("P", both, regions, CnTreeParams(doubled_root=False))
    assert informative(res.clades, 4) == {frozenset({"R2", "R3"}), frozenset({"R1", "R4"})}
    assert res.metrics["clades_without_support"] == []


def test_a_doubled_trunk_roots_the_tree_at_the_doubled_normal():
    # six regions of a doubled genome: a loss before the doubling on the trunk (2+0), a loss after
    # it in R1, R4 and R6 (2+1), and R4 with four CN-LOHs after the doubling (4+0). From 1+1 each
    # LOH is cheaper on a path that bypasses the doubled trunk, and neighbour joining misses the
    # clade R1, R4, R6 (R4 becomes the outgroup); from the doubled normal the distances count the
    # events along the tree
    regions = [f"R{i}" for i in range(1, 7)]
    rows = []
    for r in regions:
        rows.append(_seg(r, "chr1", 1, 100, 2, 0))
        rows.append(_seg(r, "chr1", 101, 200, *((2, 1) if r in ("R1", "R4", "R6") else (2, 2))))
        rows.append(_seg(r, "chr1", 201, 300, 2, 2))
        for c in ("chr2", "chr3"):
            for j in range(2):
                rows.append(_seg(r, c, 1 + 200 * j, 100 + 200 * j, *((4, 0) if r == "R4" else (2, 2))))
                rows.append(_seg(r, c, 101 + 200 * j, 200 + 200 * j, 2, 2))
    seg = pd.DataFrame(rows)
    old = cn_tree("P", seg, regions, CnTreeParams(doubled_root=False))
    assert old.metrics["root"] == "diploid"
    assert frozenset({"R1", "R4", "R6"}) not in informative(old.clades, 6)
    res = cn_tree("P", seg, regions, CnTreeParams())
    assert res.metrics["root"] == "doubled"
    assert informative(res.clades, 6) == {frozenset({"R1", "R4", "R6"})}
    # the table and the metrics still count from the diploid normal, with the doubling as one event
    assert res.metrics["events_from_diploid"] == old.metrics["events_from_diploid"]
    assert res.metrics["events_from_diploid"]["R2"] == 2.0  # the loss before the doubling, and the doubling
    pd.testing.assert_frame_equal(res.distances[res.distances["sample_2"] == "diploid"],
                                  old.distances[old.distances["sample_2"] == "diploid"])
    # a genome that is not doubled everywhere keeps the diploid root
    half = seg.copy()
    half.loc[half["sample"] == "R2", ["major_cn", "minor_cn"]] = [1, 1]
    assert cn_tree("P", half, regions, CnTreeParams()).metrics["root"] == "diploid"
