"""Copy number: the library on synthetic signals with known answers, and the workflow's results
against the simulator's truth."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

from ith.copynumber.baf import segment_baf
from ith.copynumber.bins import capture_bins, interval_dict, make_bins
from ith.copynumber.call import CnParams, CnSample, call_patient
from ith.copynumber.depth import gc_trend
from ith.copynumber.fit import FitParams, Segments, fit_sample
from ith.copynumber.plasma import plasma_fraction
from ith.copynumber.segment import default_penalty, segment_matrix
from ith.errors import InputError
from ith.io.bamscan import BamFormatError, interval_coverage
from ith.io.reference import read_fai


# -- library -----------------------------------------------------------------------------------
def test_bin_coverage_equals_pysam_aligned_bases(cohort):
    bam = str(cohort / "bams" / "P2" / "P2-R1.bam")
    starts = np.array([0, 7_000, 55_500, 120_000])
    ends = np.array([5_000, 9_000, 60_000, 150_000])
    cov = interval_coverage(bam, {"chr2": (starts, ends)}, threads=2, min_mapq=20)
    with pysam.AlignmentFile(bam) as fh:
        for k, (s, e) in enumerate(zip(starts, ends)):
            expect = 0
            for r in fh.fetch("chr2", s, e):
                if r.flag & 0xF04 or r.mapping_quality < 20:
                    continue
                expect += sum(max(0, min(b, e) - max(a, s)) for a, b in r.get_blocks())
            assert cov.bases[k] == expect


def test_a_truncated_bam_is_an_error_not_a_short_count(cohort, tmp_path):
    data = (cohort / "bams" / "P1" / "P1-N.bam").read_bytes()
    cut = tmp_path / "cut.bam"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(BamFormatError, match="truncated"):
        interval_coverage(str(cut), {"chr1": (np.array([0]), np.array([1000]))})


@pytest.fixture(scope="module")
def cram(cohort, tmp_path_factory):
    """P1-R1 as a CRAM written against the cohort's reference; (cram, bam, fasta)."""
    from conftest import to_cram

    bam = cohort / "bams" / "P1" / "P1-R1.bam"
    fasta = cohort / "reference" / "genome.fa"
    return str(to_cram(bam, fasta, tmp_path_factory.mktemp("cram") / "P1-R1.cram")), str(bam), str(fasta)


def _children() -> set[str]:
    """Processes whose parent is this one (a decoder left running or unreaped would be one)."""
    import os

    me = str(os.getpid())
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:  # fields after the name: state, ppid, ...
            out.add(stat.parent.name)
    return out


def test_cram_coverage_equals_the_bams(cram, cohort):
    path, bam, fasta = cram
    bins = make_bins(fasta, read_fai(fasta, "test"), 4000)
    intervals = interval_dict(bins)
    before = _children()
    want = interval_coverage(bam, intervals, min_mapq=20)
    assert want.n_used > 0
    for threads in (1, 2):
        got = interval_coverage(path, intervals, threads=threads, min_mapq=20, reference=fasta)
        assert np.array_equal(got.bases, want.bases) and np.array_equal(got.reads, want.reads)
        assert (got.n_records, got.n_used) == (want.n_records, want.n_used)
    assert _children() <= before  # each decoder reaped


def test_a_cram_without_its_reference_is_a_clear_error(cram, tmp_path):
    path, _, fasta = cram
    intervals = {"chr1": (np.array([0]), np.array([1000]))}
    before = _children()
    with pytest.raises(BamFormatError, match="none was given"):
        interval_coverage(path, intervals)
    with pytest.raises(BamFormatError, match=f"reference FASTA '{tmp_path}/none.fa' not found"):
        interval_coverage(path, intervals, reference=str(tmp_path / "none.fa"))
    # the same contigs with other bases: positions and CIGARs do not depend on the reference, so
    # the pass (which skips the bases) counts the same; the input check stops such a CRAM before
    # any job by its @SQ M5 (tests/test_inputcheck.py)
    wrong = tmp_path / "wrong.fa"
    with pysam.FastaFile(fasta) as fa:
        wrong.write_text("".join(f">{c}\n{fa.fetch(c).translate(str.maketrans('ACGT', 'CGTA'))}\n"
                                 for c in fa.references))
    pysam.faidx(str(wrong))
    assert np.array_equal(interval_coverage(path, intervals, reference=str(wrong)).bases,
                          interval_coverage(path, intervals, reference=fasta).bases)
    # a CRAM cut short: the decoder's error, not a short count
    cut = tmp_path / "cut.cram"
    data = Path(path).read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(BamFormatError, match=f"{cut}: cannot decode this CRAM"):
        interval_coverage(str(cut), intervals, reference=fasta)
    assert _children() <= before  # the failed decoders reaped, none left running


def test_bins_carry_gc_and_sequence_fraction_and_skip_all_n_contigs(tmp_path):
    fa = tmp_path / "g.fa"
    fa.write_text(">c1\n" + "GC" * 500 + "AT" * 500 + "N" * 1000 + "\n>c2\n" + "N" * 500 + "\n")
    pysam.faidx(str(fa))
    bins = make_bins(str(fa), [("c1", 3000), ("c2", 500)], 1000)
    assert list(bins["chrom"]) == ["c1", "c1"]  # the all-N bin and the all-N contig get none
    assert list(bins["start"]) == [1, 1001] and list(bins["gc"]) == [1.0, 0.0]
    targets = pd.DataFrame({"chrom": ["c1"], "start": [1200], "end": [1400]})
    cap = capture_bins([("c1", 3000)], targets, off_target_size=500, padding=100)
    assert list(zip(cap["start"], cap["end"], cap["target"])) == [
        (0, 550, False), (550, 1100, False), (1200, 1400, True), (1500, 2000, False), (2000, 2500, False),
        (2500, 3000, False)]


def test_sequence_content_read_in_windows_is_the_whole_contigs(tmp_path, monkeypatch):
    # the FASTA is read in windows (bounded memory on a 249 Mb chr1): any window gives the same bins,
    # unsorted and overlapping bins included
    import ith.copynumber.bins as binmod

    rng = np.random.default_rng(5)
    seq = rng.choice(list("ACGTacgtN"), 7919)
    seq[3000:3600] = "N"
    fa = tmp_path / "g.fa"
    fa.write_text(">c1\n" + "".join(seq) + "\n>c2\n" + "".join(seq[:1234]) + "\n")
    pysam.faidx(str(fa))
    bins = pd.DataFrame({"chrom": ["c1"] * 5 + ["c2"], "start": [4000, 0, 2950, 2900, 7000, 0],
                         "end": [7919, 4000, 3700, 3000, 7500, 1234]})

    def whole(b):
        seqs = {"c1": "".join(seq).upper(), "c2": "".join(seq[:1234]).upper()}
        out = []
        for r in b.itertuples():
            part = seqs[r.chrom][r.start:r.end]
            n = sum(part.count(x) for x in "ACGT")
            out.append((round((part.count("G") + part.count("C")) / n, 4) if n else np.nan, round(n / len(part), 4)))
        return out

    for window in (100, 997, 10_000_000):
        monkeypatch.setattr(binmod, "SEQUENCE_WINDOW", window)
        got = binmod.add_sequence_content(bins, str(fa))
        want = np.array(whole(bins), float)
        np.testing.assert_allclose(got[["gc", "mappable"]].to_numpy(float), want, atol=1e-4)


def test_gc_correction_removes_a_gc_bias_but_keeps_a_copy_number_step():
    rng = np.random.default_rng(3)
    gc = rng.uniform(0.3, 0.65, 4000)
    truth = np.where(np.arange(4000) < 1000, 1.5, 1.0)  # a gain on a quarter of the bins
    depth = 30 * truth * np.exp(-0.5 * ((gc - 0.42) / 0.15) ** 2) * rng.lognormal(0, 0.05, 4000)
    corrected = depth / gc_trend(depth, gc, np.ones(4000, bool))
    ratio = corrected[:1000].mean() / corrected[1000:].mean()
    assert abs(ratio - 1.5) < 0.05
    assert abs(np.corrcoef(gc[1000:], corrected[1000:])[0, 1]) < 0.1


def _gc_confounded_gain(rng):
    """Three chromosomes of 100 bins of which the only ones above 50% GC form a block on chr2,
    all inside a clonal gain (3 copies at purity 0.6); both libraries have a GC bias in log depth
    that is quadratic in GC, the tumour's steep (0.6 of the bulk's depth at GC 0.55)."""
    n = 100
    chrom = np.repeat(["chr1", "chr2", "chr3"], n)
    start = np.tile(np.arange(n) * 5000 + 1, 3)
    gc = rng.uniform(0.28, 0.50, 3 * n)
    gain = (chrom == "chr2") & (start > 40 * 5000) & (start <= 60 * 5000)
    gc[gain] = rng.uniform(0.50, 0.60, gain.sum())
    bins = pd.DataFrame({"chrom": chrom, "start": start, "end": start + 4999, "target": False, "gc": gc,
                         "mappable": 1.0})
    ratio = np.where(gain, (0.6 * 3 + 0.8) / 2.0, 1.0)
    normal = 60 * np.exp(-8 * (gc - 0.42) ** 2) * rng.lognormal(0, 0.03, 3 * n)
    tumour = 60 * ratio * np.exp(-27 * (gc - 0.42) ** 2) * rng.lognormal(0, 0.03, 3 * n)
    return bins, normal, tumour, float(np.log2(ratio.max()))


def test_a_gain_holding_all_high_gc_bins_keeps_its_level_when_gc_curves_are_refit_within_segments():
    bins, normal, tumour, step = _gc_confounded_gain(np.random.default_rng(2))
    samples = [CnSample("N", "normal"), CnSample("T", "tumour")]
    baf = pd.DataFrame(columns=["chrom", "pos", "sample", "ref_counts", "alt_counts"])

    def gain_over_the_rest(refit: bool) -> float:
        seg = call_patient("P", bins, {"N": normal, "T": tumour}, {"N": normal * 60, "T": tumour * 60}, samples,
                           baf, CnParams(gc_refit=refit)).segments
        gain = seg[(seg["chrom"] == "chr2") & (seg["start"] <= 50 * 5000) & (seg["end"] >= 50 * 5000)]
        rest = seg[seg["chrom"] != "chr2"]
        return float(gain["log2r"].iloc[0]) - float(np.average(rest["log2r"], weights=rest["n_bins"]))

    # a curve fitted across segments reads most of the gain as GC bias (0.13 of 0.38 is left)
    assert step - gain_over_the_rest(False) > 0.12
    assert abs(gain_over_the_rest(True) - step) < 0.06


def test_the_gc_refit_leaves_ratios_alone_when_the_first_correction_left_no_curve():
    rng = np.random.default_rng(2)
    bins, normal, tumour, _ = _gc_confounded_gain(rng)
    gc = rng.permutation(bins["gc"].to_numpy())  # the same GC values, no longer lined up with the gain
    bins = bins.assign(gc=gc)
    flat = np.exp(-8 * (gc - 0.42) ** 2) * rng.lognormal(0, 0.03, len(gc))
    gain = (bins["chrom"] == "chr2").to_numpy() & (bins["start"] > 40 * 5000).to_numpy() & \
        (bins["start"] <= 60 * 5000).to_numpy()
    normal, tumour = 60 * flat, 60 * np.where(gain, 1.3, 1.0) * np.exp(-27 * (gc - 0.42) ** 2) * rng.lognormal(0, 0.03, len(gc))
    samples = [CnSample("N", "normal"), CnSample("T", "tumour")]
    baf = pd.DataFrame(columns=["chrom", "pos", "sample", "ref_counts", "alt_counts"])
    calls = [call_patient("P", bins, {"N": normal, "T": tumour}, {"N": normal * 60, "T": tumour * 60}, samples, baf,
                          CnParams(gc_refit=refit)).segments for refit in (False, True)]
    pd.testing.assert_frame_equal(calls[0], calls[1])


def test_targets_and_off_target_bins_are_normalised_separately():
    from ith.copynumber.depth import log2_ratio, normal_model

    rng = np.random.default_rng(8)
    n = 4000
    target = np.arange(n) % 4 == 0  # capture: targets deep, off-target bins shallow with another GC curve
    gc = rng.uniform(0.3, 0.65, n)
    bins = pd.DataFrame({"chrom": "chr1", "start": np.arange(n) * 1000 + 1, "end": np.arange(n) * 1000 + 1000,
                         "target": target, "gc": gc, "mappable": 1.0})
    cn = np.where((np.arange(n) >= 2000) & (np.arange(n) < 2600), 1.5, 1.0)
    def depth(scale, shift):  # each library has its own GC curves
        t = np.exp(-0.5 * ((gc - 0.5 - shift) / 0.1) ** 2)
        o = np.exp(-0.5 * ((gc - 0.4 + shift) / 0.2) ** 2)
        return np.where(target, 300 * t, 3 * o) * scale * rng.lognormal(0, 0.03, n)
    nm = normal_model(bins, depth(1.0, 0.0), 0.75, (0.5, 2.0))
    l2r = log2_ratio(depth(cn, 0.05), nm, bins)
    gain = (np.arange(n) >= 2000) & (np.arange(n) < 2600)
    for group in (target, ~target):
        assert abs(np.median(l2r[group & gain]) - np.median(l2r[group & ~gain]) - np.log2(1.5)) < 0.05
        assert abs(np.corrcoef(gc[group & ~gain], l2r[group & ~gain])[0, 1]) < 0.1


def test_joint_segmentation_shares_breakpoints_and_tolerates_missing_values():
    rng = np.random.default_rng(0)
    n, d = 3000, 6
    level = np.zeros((n, d))
    level[800:1000, 0] = 1.0  # in one sample only
    level[2000:2400, 3:] = -0.8
    x = level + rng.normal(0, 1, (n, d))
    x[rng.random((n, d)) < 0.4] = np.nan
    ends = segment_matrix(x, default_penalty(n, d, 1.5), 3)
    assert len(ends) == 5
    assert np.all(np.abs(ends[:-1] - np.array([800, 1000, 2000, 2400])) <= 2)
    noise = rng.normal(0, 1, (n, d))
    assert list(segment_matrix(noise, default_penalty(n, d, 1.5), 3)) == [n]


def test_noise_of_the_shared_normal_does_not_draw_breakpoints_across_many_regions():
    from ith.copynumber.call import _segment_features, joint_segments

    rng = np.random.default_rng(4)
    n, k = 20_000, 10
    normal_noise = rng.normal(0, 0.05, n)  # one shallow normal under ten deeper regions
    log2r = {f"R{i}": rng.normal(0, 0.035, n) - normal_noise for i in range(k)}
    log2r["R0"][12_000:12_400] += 0.3  # one real event in one region
    bins = pd.DataFrame({"chrom": "chr1", "start": np.arange(n) * 1000 + 1, "end": np.arange(n) * 1000 + 1000})
    usable = np.ones(n, bool)
    feats = _segment_features(log2r, {}, usable)
    assert np.allclose(np.cov(feats[1:] - feats[:-1], rowvar=False) / 2, np.eye(k), atol=0.1)
    segs = joint_segments(bins, usable, feats, 1.5, 3)
    assert [int(s[0]) for s in segs] == [0, 12_000, 12_400]


def test_adjacent_segments_no_region_tells_apart_are_joined_and_real_steps_kept():
    from ith.copynumber.call import merge_alike

    rng = np.random.default_rng(7)
    n1, n2 = 300, 100
    chroms = np.array(["chr1"] * n1 + ["chr2"] * n2, dtype=object)
    n = n1 + n2
    regions = [f"R{i}" for i in range(1, 6)]
    baf = np.full((n, 5), 0.5)
    level = np.zeros((n, 5))
    baf[100:160, :4] = 0.42  # a CN-LOH in a quarter of four regions' cells
    level[200:215, 4] = np.log2(0.75)  # one copy lost in half of R5's cells: 15 bins, one region
    baf[200:215, 4] = 1 / 3
    level[240:260, 4] = 0.11  # a gain in R5 at purity 0.33: below the fit's floors, not its noise
    baf[240:260, 4] = 0.445
    level[350:, :] += 0.04  # GC or the normal's depth: every region alike, one event still
    shared = rng.normal(0, 0.04, n)  # one normal's counting noise under every region
    l2r, bin_of = {}, {}
    for j, r in enumerate(regions):
        l2r[r] = level[:, j] + rng.normal(0, 0.045, n) - shared  # bin noise of the simulated 60x BAMs
        b = np.repeat(np.arange(n), 4)  # four heterozygous SNPs a bin at depth 60, phase random
        f = np.where(rng.random(len(b)) < 0.5, baf[b, j], 1 - baf[b, j])
        alt = rng.binomial(60, f)
        bin_of[r] = (pd.DataFrame({"alt_counts": alt, "ref_counts": 60 - alt}), b)
    cuts = [0, 100, 140, 160, 200, 215, 240, 260, 300, 350, 400]  # 140 and 350 (chr2) are spurious
    segs = [np.arange(a, b) for a, b in zip(cuts[:-1], cuts[1:])]
    usable = np.ones(n, bool)
    n0 = np.full(n, 2)
    params = CnParams()
    joined = merge_alike(segs, chroms, n0, l2r, bin_of, usable, params)
    # the flat ends of chr1 and chr2's start alike, but chromosomes are never joined
    assert [int(s[0]) for s in joined] == [0, 100, 160, 200, 215, 240, 260, 300]
    assert [int(s[-1]) + 1 for s in joined] == [100, 160, 200, 215, 240, 260, 300, 400]
    # one region alone: its own steps stay (one test, at the full level), the others' go
    alone = merge_alike(segs, chroms, n0, {"R5": l2r["R5"]}, {"R5": bin_of["R5"]}, usable, params)
    assert [int(s[0]) for s in alone] == [0, 200, 215, 240, 260, 300]
    kept = merge_alike(segs, chroms, n0, l2r, bin_of, usable,
                       CnParams(segment=replace(params.segment, merge_alpha=0.0)))
    assert [int(s[0]) for s in kept] == cuts[:-1]


def test_states_are_read_again_on_joined_segments_at_the_fitted_purity_and_ploidy():
    """`reread_states`: the purity, ploidy and doubling fitted on the segmentation's cuts stay;
    the states are read on the joined segments against the anchor region's first-pass states
    there. Two regions are fitted with one segment cut in two (4 and 5 of 8) and read on the
    segments joined; R2's segment 3 is short and noisy, between 1+1 and 2+1, nearer 2+1: against
    the anchor's 1+1 it reads 1+1, as it did on the cuts, alone 2+1."""
    from ith.copynumber.call import reread_states
    from ith.copynumber.fit import Anchor

    rng = np.random.default_rng(4)
    states = [(1, 1), (2, 1), (1, 0), (1, 1), (2, 0), (3, 1), (1, 1)]
    cut = states[:5] + [states[4]] + states[5:]  # segment 4 cut in two

    def region(p, st, noisy):
        level = [(a + b, float(b)) for a, b in st]
        if noisy:
            level[3] = (2.6, 1.0)
        seg = _region(p, level, rng)
        if noisy:
            seg.se_log2r[3], seg.se_baf[3] = 0.1, 0.05
        return seg

    fitted = {"R1": region(0.7, cut, False), "R2": region(0.5, cut, True)}
    joined = {"R1": region(0.7, states, False), "R2": region(0.5, states, True)}
    first = fit_sample(fitted["R1"], FitParams())
    anchor = Anchor(first.major, first.minor, FitParams().anchor_cost)
    second = {"R1": (first, "ascat_grid"), "R2": (fit_sample(fitted["R2"], FitParams(), None, anchor), "ascat_grid")}
    assert second["R2"][0].major[3] == 1 and abs(second["R2"][0].purity - 0.5) <= 0.03
    again = reread_states(second, joined, "R1", first, FitParams())
    for name in second:
        old, new = second[name][0], again[name][0]
        assert (new.purity, new.ploidy_grid, new.wgd) == (old.purity, old.ploidy_grid, old.wgd)
        assert len(new.major) == len(states)
        back = [0, 1, 2, 3, 4, 6, 7]  # each joined segment's first piece on the cuts
        assert (new.major == old.major[back]).all() and (new.minor == old.minor[back]).all()
    alone = reread_states(second, joined, None, None, FitParams())
    assert alone["R2"][0].major[3] == 2


def test_segment_baf_recovers_the_allelic_imbalance_within_its_standard_error():
    rng = np.random.default_rng(1)
    depth = rng.poisson(30, 200) + 1
    for b in (0.5, 0.3, 0.1):
        alt = rng.binomial(depth, np.where(rng.random(200) < 0.5, b, 1 - b))
        est, se = segment_baf(alt, depth)
        # at 0.5 the phase-free estimate can only err downwards; its interval must still hold 0.5
        assert abs(est - b) <= 2 * se and 0 < se < 0.03
        assert b == 0.5 or abs(est - b) < 0.02


def _synthetic(p: float, states: list[tuple[int, int]], rng, n_snv: int = 0) -> Segments:
    c = np.array([a + b for a, b in states], float)
    nb = np.array([b for _, b in states], float)
    w = rng.integers(20, 200, len(states)).astype(float)
    psi = float(np.average(c, weights=w))
    r = (p * c + 2 * (1 - p)) / (p * psi + 2 * (1 - p))
    baf = (p * nb + 1 - p) / (p * c + 2 * (1 - p))
    se_l = np.full(len(c), 0.03)
    se_b = np.full(len(c), 0.015)
    seg = Segments(np.full(len(c), 2), np.log2(r) + rng.normal(0, 0.01, len(c)), se_l,
                   baf + rng.normal(0, 0.005, len(c)), se_b, w, np.ones(len(c), bool))
    return seg


@pytest.mark.parametrize("p,states,wgd", [
    (0.7, [(1, 1), (2, 1), (1, 0), (1, 1), (2, 0), (3, 1), (1, 1)], False),
    (0.45, [(1, 1), (1, 0), (1, 1), (2, 1), (1, 1), (1, 0)], False),
    (0.6, [(2, 2), (3, 2), (2, 0), (2, 2), (2, 1), (3, 1), (2, 2)], True),
])
def test_purity_ploidy_and_states_are_recovered_from_the_model(p, states, wgd):
    rng = np.random.default_rng(5)
    seg = _synthetic(p, states, rng)
    fit = fit_sample(seg, FitParams())
    assert abs(fit.purity - p) <= 0.03
    assert [(a, b) for a, b in zip(fit.major, fit.minor)] == states
    assert fit.wgd == wgd and not fit.subclonal.any()



def test_the_other_regions_tell_truncal_from_a_subclone_near_clonal_in_the_anchor():
    """A region at purity 0.5 on a 1+1 and a 2+1 segment: a truncal mutation reads clonal at its
    multiplicity; a subclone at CCF 0.2 reads far below clonal; multiplicity 2 is read where the
    VAF says so, and refused where the segment has one copy of the allele."""
    from dataclasses import replace

    from ith.copynumber.fit import anchor_multiplicity, clonal_in_region

    rng = np.random.default_rng(3)
    seg = _synthetic(0.5, [(1, 1), (2, 1)], rng)
    fit = replace(fit_sample(seg, FitParams()), purity=0.5)
    assert [(a, b) for a, b in zip(fit.major, fit.minor)] == [(1, 1), (2, 1)]
    # VAFs at purity 0.5: 1+1 clonal 0.25, subclone at CCF 0.2 0.05; 2+1 m=1 0.2, m=2 0.4
    seg.snv_seg = np.array([0, 0, 1, 1, 0])
    seg.snv_alt = np.array([26, 5, 19, 41, 24])
    seg.snv_depth = np.full(5, 100)
    assert anchor_multiplicity(seg, fit).tolist() == [1, 1, 1, 2, 1]
    clonal = clonal_in_region(seg, fit, np.array([1, 1, 1, 2, 2]))
    assert clonal.tolist() == [True, False, True, True, False]  # the last: m=2 > major 1


def test_plasma_fraction_is_recovered_and_flat_tissue_is_not_assessable():
    rng = np.random.default_rng(2)
    c = np.array([2, 3, 1, 2, 4, 2, 1, 2])
    n0 = np.full(8, 2)
    psi = 2.2
    for f in (0.05, 0.15):
        l = np.log2((f * c + 2 * (1 - f)) / (f * psi + 2 * (1 - f))) + rng.normal(0, 0.003, 8)
        fit = plasma_fraction(l, np.full(8, 0.004), c, n0, np.ones(8, bool), psi)
        assert fit.assessable and fit.ci_low <= f <= fit.ci_high and abs(fit.tumour_fraction - f) < 0.02
    flat = plasma_fraction(np.zeros(8), np.full(8, 0.004), np.full(8, 2), n0, np.ones(8, bool), 2.0)
    assert not flat.assessable and "not assessable" in flat.note


# -- workflow against truth ----------------------------------------------------------------------
def _truth(cohort, patient, name):
    return pd.read_csv(cohort / "truth" / patient / name, sep="\t", keep_default_na=False, na_values=["NA", ""])


def _agreement(seg: pd.DataFrame, truth: pd.DataFrame, within: pd.DataFrame | None = None) -> float:
    """Fraction of the genome with clonal truth whose called major/minor equal the truth; with
    `within` (chrom, 1-based start, end: an exome's targets), of those bases only."""
    tot = ok = 0
    for chrom, tt in truth.groupby("chrom"):
        length = int(tt["end"].max()) + 1
        tm, tn, clonal = np.full(length, -9), np.full(length, -9), np.zeros(length, bool)
        for r in tt.itertuples():
            tm[r.start:r.end + 1], tn[r.start:r.end + 1], clonal[r.start:r.end + 1] = r.major_cn, r.minor_cn, not r.subclonal
        sm, sn = np.full(length, -1), np.full(length, -1)
        for r in seg[seg["chrom"] == chrom].itertuples():
            sm[r.start:min(r.end, length - 1) + 1], sn[r.start:min(r.end, length - 1) + 1] = r.major_cn, r.minor_cn
        m = clonal & (tm >= 0)
        if within is not None:
            inside = np.zeros(length, bool)
            for r in within[within["chrom"] == chrom].itertuples():
                inside[r.start:r.end + 1] = True
            m &= inside
        tot += m.sum()
        ok += (m & (tm == sm) & (tn == sn)).sum()
    return ok / tot


@pytest.mark.workflow
def test_a_subclone_near_clonal_in_the_anchor_does_not_pull_its_purity(separable_run, separable_cohort):
    """Separable cohort, P2-R1 (doubled, flat genome: purity rests on the mutations): a subclone at
    CCF 0.79 there sits just below the truncal VAF and, alone, pulls purity to 0.41 (truth 0.50).
    The other regions, where it is at CCF 0.11 and 0.53, show it is not truncal; the refit on the
    mutations they confirm brings every region within 0.05."""
    for patient in ("P1", "P2"):
        pp = pd.read_csv(separable_run / "results" / "copynumber" / patient / "purity_ploidy.tsv", sep="\t")
        truth = _truth(separable_cohort, patient, "purity_ploidy.tsv").merge(pp, on="sample", suffixes=("_true", ""))
        tum = truth[truth["sample"].str.contains("-R")]
        assert (np.abs(tum["purity"] - tum["purity_true"]) <= 0.05 + 1e-9).all(), tum[["sample", "purity", "purity_true"]]
        assert tum["wgd"].astype(bool).tolist() == [patient == "P2"] * 3
    assert pp.loc[pp["sample"] == "P2-R1", "method"].iloc[0].endswith("+confirmed")


@pytest.mark.workflow
@pytest.mark.parametrize("patient", ["P1", "P2"])
def test_purity_ploidy_wgd_and_integer_copy_number_match_truth(workflow_run, cohort, patient):
    res = workflow_run / "results" / "copynumber" / patient
    pp = pd.read_csv(res / "purity_ploidy.tsv", sep="\t")
    assert list(pp.columns) == ["patient", "sample", "purity", "ploidy", "goodness_of_fit", "wgd", "method"]
    truth = _truth(cohort, patient, "purity_ploidy.tsv").merge(pp, on="sample", suffixes=("_true", ""))
    tum = truth[truth["sample"].str.contains("-R")]
    assert len(tum) == 3
    big = tum[tum["purity_true"] >= 0.3]
    assert (np.abs(big["purity"] - big["purity_true"]) <= 0.05).all(), big[["sample", "purity", "purity_true"]]
    assert (np.abs(tum["ploidy"] - tum["ploidy_true"]) <= 0.25).all(), tum[["sample", "ploidy", "ploidy_true"]]
    assert (tum["wgd"] == tum["wgd_true"]).all()
    seg = pd.read_csv(res / "segments.tsv", sep="\t")
    assert list(seg.columns) == ["patient", "sample", "chrom", "start", "end", "n_bins", "n_snps", "log2r", "baf",
                                 "major_cn", "minor_cn", "total_cn", "subclonal", "major_cn_2", "minor_cn_2",
                                 "fraction_2", "allele_specific"]
    assert seg["allele_specific"].eq(seg["major_cn"].notna()).all()
    two = seg[seg["major_cn_2"].notna()]  # subclonal segments read as two states (copynumber.fit.two_state_mixtures)
    assert two["subclonal"].astype(bool).all() and two["fraction_2"].between(0.05, 0.5).all()
    assert ((two["major_cn"] != two["major_cn_2"]) | (two["minor_cn"] != two["minor_cn_2"])).all()
    assert seg["fraction_2"].notna().sum() == len(two)
    tseg = _truth(cohort, patient, "segments.tsv")
    for sample in tum["sample"]:
        assert _agreement(seg[seg["sample"] == sample], tseg[tseg["sample"] == sample]) >= 0.9, sample
    for sample in pp["sample"]:
        bins = pd.read_csv(res / f"{sample}.bins.tsv", sep="\t")
        assert list(bins.columns) == ["patient", "sample", "chrom", "start", "end", "log2r", "depth"]
    assert (res / "cn_profile.png").stat().st_size > 10_000


@pytest.mark.workflow
@pytest.mark.parametrize("patient", ["P1", "P2"])
def test_breakpoints_of_visible_events_are_within_two_bins(workflow_run, cohort, patient):
    """Events of >= 10 bins whose log2 ratio (>= 0.1) or BAF (>= 0.05) differs in some region."""
    import yaml

    bin_size = yaml.safe_load((cohort / "config.yaml").read_text())["copynumber"]["bin_size"]
    seg = pd.read_csv(workflow_run / "results" / "copynumber" / patient / "segments.tsv", sep="\t")
    seg = seg[seg["sample"] == seg["sample"].iloc[0]]
    truth = _truth(cohort, patient, "segments.tsv")
    tree = _truth(cohort, patient, "tree.tsv").fillna("")
    checked = 0
    for ev in [e for x in tree["cn_events"] for e in x.split(";") if e and e != "wgd"]:
        kind, chrom, span, _ = ev.split(":")
        a, b = map(int, span.split("-"))
        t = truth[truth["chrom"] == chrom]
        inside, outside = t[(t["start"] >= a) & (t["end"] <= b)], t[(t["end"] < a) | (t["start"] > b)]
        if b - a + 1 < 10 * bin_size or inside.empty:
            continue
        shift = [(abs(inside[inside["sample"] == s]["log2r"].mean() - outside[outside["sample"] == s]["log2r"].mean()),
                  abs(inside[inside["sample"] == s]["baf"].mean() - outside[outside["sample"] == s]["baf"].mean()))
                 for s in inside["sample"].unique()]
        if not any(dl >= 0.1 or db >= 0.05 for dl, db in shift):
            continue
        c = seg[seg["chrom"] == chrom].sort_values("start")
        bounds = [c["start"].min() - 0.5, c["end"].max() + 0.5] + list((c["end"].to_numpy()[:-1] + c["start"].to_numpy()[1:]) / 2)
        for edge in (a - 0.5, b + 0.5):
            assert min(abs(x - edge) for x in bounds) <= 2 * bin_size, (ev, bounds)
        checked += 1
    assert checked >= 2


# -- bad input ---------------------------------------------------------------------------------
def _inputs(run, patient):
    res = run / "results" / "copynumber"
    bins = pd.read_csv(res / "bins.tsv", sep="\t")
    cov = {p.stem: pd.read_csv(p, sep="\t") for p in (res / patient / "coverage").glob("*.tsv")}
    baf = pd.read_csv(res / patient / "baf.tsv", sep="\t")
    counts = pd.read_csv(run / "results" / "variants" / patient / "counts.tsv", sep="\t", keep_default_na=False,
                         na_values=["NA"])
    kinds = {s: ("normal" if s.endswith("-N") else "plasma" if "-PL" in s else "tumour") for s in cov}
    samples = [CnSample(s, kinds[s]) for s in sorted(cov, key=lambda s: (kinds[s] != "normal", s))]
    return bins, cov, baf, counts, samples


@pytest.mark.workflow
def test_bad_coverage_and_sex_give_clear_messages_or_flagged_valid_results(workflow_run):
    bins, cov, baf, counts, samples = _inputs(workflow_run, "P1")
    depth = {k: v["depth"].to_numpy(float) for k, v in cov.items()}
    reads = {k: v["reads"].to_numpy(float) for k, v in cov.items()}
    # a tumour with almost no coverage: reported, not fitted
    thin = dict(depth, **{"P1-R2": depth["P1-R2"] * 0.002})
    thin_reads = dict(reads, **{"P1-R2": reads["P1-R2"] * 0.002})
    res = call_patient("P1", bins, thin, thin_reads, samples, baf, CnParams(), sex="female", mutations=counts)
    row = res.purity.set_index("sample").loc["P1-R2"]
    assert np.isnan(row["purity"]) and row["method"].startswith("not_assessable")
    assert res.purity.set_index("sample").loc["P1-R1", "purity"] > 0.7
    # the sheet says male, the normal's X says female: flagged
    res = call_patient("P1", bins, depth, reads, samples, baf, CnParams(), sex="male", mutations=counts)
    assert any("sheet says male" in f for f in res.metrics["flags"])
    # a normal without coverage: an error naming it
    empty = dict(depth, **{"P1-N": depth["P1-N"] * 0})
    with pytest.raises(InputError, match="P1-N has almost no coverage"):
        call_patient("P1", bins, empty, reads, samples, baf, CnParams())


@pytest.mark.parametrize("margins,doubled", [
    # each region's doubled score minus its undoubled one: three regions made of two sibling
    # subclones prefer a doubled genome by a little (half-way levels read as integers), two clear
    # regions the undoubled one by a lot (seed 20's P5 of bench/evolution_bam.py)
    ((-167.0, -99.0, -227.0, 315.0, 587.0), False),
    ((167.0, 99.0, 227.0, -315.0, -587.0), True),
])
def test_the_patient_is_doubled_when_its_regions_summed_scores_say_so_not_by_a_vote(monkeypatch, margins, doubled):
    """The doubling is truncal: the patient is scored under each kind of trunk, every region
    fitted against that kind's anchor (here each region's best fit of the anchor's kind, as when
    departing from the anchor's states costs nothing), and the anchor is taken among the regions
    whose own best agrees; a majority vote would follow the three regions that each prefer the
    other kind by a little."""
    import ith.copynumber.anchor as anchor_mod
    from ith.copynumber.fit import Fit

    def fit(wgd: bool, score: float, purity: float) -> Fit:
        one = np.ones(3, np.int64)
        return Fit(purity, 4.4 if wgd else 2.2, score, True, 2 * one if wgd else one, one, np.zeros(3),
                   np.zeros(3, bool), 4.4 if wgd else 2.2, 0.95, wgd, 0.4)

    names = [f"R{i}" for i in range(1, 6)]
    hyps = {n: {False: fit(False, 1000.0, 0.5 + 0.05 * i), True: fit(True, 1000.0 + m, 0.4 + 0.05 * i)}
            for i, (n, m) in enumerate(zip(names, margins))}
    monkeypatch.setattr(anchor_mod, "fit_hypotheses", lambda s, params, prior: hyps[s])
    monkeypatch.setattr(anchor_mod, "fit_of_kind", lambda s, params, prior, anchor, wgd: hyps[s][bool(anchor.major[0] == 2)])
    name, anchor, chosen = anchor_mod.anchor_region({n: (n, None) for n in names}, FitParams())
    alone = [min(h.values(), key=lambda f: f.score).wgd for h in hyps.values()]
    assert sum(alone) == (3 if not doubled else 2)  # the vote of the regions alone says the opposite
    assert chosen.wgd == doubled
    assert chosen is hyps[name][doubled] and min(hyps[name].values(), key=lambda f: f.score).wgd == doubled
    assert (anchor.major == chosen.major).all()


def test_a_purity_ploidy_point_whose_states_do_not_average_to_its_ploidy_is_not_a_solution():
    """A flat 1+1 genome at purity 0.6: at ploidy 2.5 every segment sits half-way between 2 and 3
    copies, so its states average 2 or 3, not 2.5; that point is refused (fit.ploidy_tolerance),
    the consistent one at 2.0 is not, and 0 turns the check off."""
    from dataclasses import replace

    from ith.copynumber.fit import INCONSISTENT, _scores

    seg = _synthetic(0.6, [(1, 1)] * 6, np.random.default_rng(2))
    purity, ploidies = np.array([0.6]), np.array([2.0, 2.5])
    on = _scores(seg, FitParams(), purity, ploidies, None)[0]
    off = _scores(seg, replace(FitParams(), ploidy_tolerance=0.0), purity, ploidies, None)[0]
    assert on[0] == off[0] < INCONSISTENT
    assert on[1] >= INCONSISTENT > off[1]
    fit = fit_sample(seg, FitParams())
    assert abs(fit.ploidy - fit.ploidy_grid) <= FitParams().ploidy_tolerance


def _region(p: float, states: list[tuple[float, float]], rng) -> Segments:
    """A region's segments at purity p from continuous (total, minor) copy numbers (a mixture of
    two states is their cell-weighted mean), each 100 kb, with small noise."""
    c = np.array([t for t, _ in states], float)
    nb = np.array([b for _, b in states], float)
    w = np.full(len(c), 1e5)
    psi = float(np.average(c, weights=w))
    r = (p * c + 2 * (1 - p)) / (p * psi + 2 * (1 - p))
    baf = (p * nb + 1 - p) / (p * c + 2 * (1 - p))
    return Segments(np.full(len(c), 2), np.log2(r) + rng.normal(0, 0.005, len(c)), np.full(len(c), 0.02),
                    baf + rng.normal(0, 0.003, len(c)), np.full(len(c), 0.01), w, np.ones(len(c), bool))


@pytest.mark.parametrize("share,min_share,expect", [(0.75, 0.5, ((2, 1), (1, 1), 0.25)),
                                                    (0.25, 0.5, ((1, 1), (2, 1), 0.25)), (0.55, 0.6, None)])
def test_a_subclonal_segment_is_read_as_the_two_states_other_regions_show_clonally(share, min_share, expect):
    """Three regions share a genome; on one segment R1 is 1+1 and R2 2+1 (a gain of a lineage
    R3 holds in part of its cells). R3 reads a level between, flagged subclonal and rounded to one
    integer state; read as the mixture of the two states the others show clonally, its majority
    state and the other state's share come out (Battenberg's two-state reading). Near an even
    split (0.55) with `mixture_min_share` 0.6 the integer call stays; so it does with the option
    off, or with one other region (one state seen)."""
    from dataclasses import replace

    from ith.copynumber.fit import Anchor
    from ith.copynumber.mixture import clonal_states, read_mixtures

    rng = np.random.default_rng(3)
    base = [(2, 1), (3, 1), (1, 0), (2, 1), (2, 0), (2, 1), (4, 1)]
    gained = 3  # the segment index of the lineage's gain
    regions = {}
    for name, p, here in (("R1", 0.7, (2, 1)), ("R2", 0.6, (3, 1)),
                          ("R3", 0.8, (3 * share + 2 * (1 - share), 1.0))):
        states = [*base]
        states[gained] = here
        regions[name] = (_region(p, states, rng), p)
    fits = {n: fit_sample(seg, FitParams()) for n, (seg, _) in regions.items() if n != "R3"}
    # R3 alone could read its half-way level as a doubled genome; the workflow holds it to the
    # anchor region's states (here R1's) in the second pass
    anchor = Anchor(fits["R1"].major, fits["R1"].minor, FitParams().anchor_cost)
    fits["R3"] = fit_sample(regions["R3"][0], FitParams(), None, anchor)
    for n, (_, p) in regions.items():
        assert abs(fits[n].purity - p) <= 0.03, n
    assert fits["R3"].subclonal[gained] and not fits["R1"].subclonal.any() and not fits["R2"].subclonal.any()
    seen = clonal_states(fits, len(base))
    mix = read_mixtures(regions["R3"][0], fits["R3"], seen, replace(FitParams(), mixture_min_share=min_share))
    assert mix.mixed.sum() == (expect is not None)
    if expect is not None:
        first, second, fraction = expect
        assert (mix.major[gained], mix.minor[gained]) == first
        assert (mix.major2[gained], mix.minor2[gained]) == second
        assert abs(mix.fraction2[gained] - fraction) <= 0.05
    else:
        assert (mix.major == fits["R3"].major).all() and (mix.minor == fits["R3"].minor).all()
    off = read_mixtures(regions["R3"][0], fits["R3"], seen, replace(FitParams(), two_state_mixtures=False))
    assert not off.mixed.any() and (off.major == fits["R3"].major).all()
    others = [n for n in regions if n != "R3"]  # with one region only, one state is seen: no mixture
    assert not read_mixtures(regions["R3"][0], fits["R3"], clonal_states({others[0]: fits[others[0]]}, len(base)),
                             FitParams()).mixed.any()


def _doubled_regions(lineage: dict[str, float], rng, gained: int = 3, state: tuple[int, int] = (4, 0)):
    """Regions of a doubled genome (ground state 2+2) in which a lineage holding `state` on
    segment `gained` makes up the given share of the tumour cells; fitted against R1's states (the
    workflow's second pass)."""
    from ith.copynumber.fit import Anchor

    base = [(4, 2), (5, 2), (2, 1), (4, 2), (4, 0), (4, 2), (6, 3), (3, 1), (4, 2)]  # (total, minor)
    regions = {}
    for i, (name, share) in enumerate(lineage.items()):
        states = [*base]
        states[gained] = (share * sum(state) + (1 - share) * 4, share * state[1] + (1 - share) * 2)
        regions[name] = _region(0.8 - 0.1 * i, states, rng)
    first = fit_sample(regions["R1"], FitParams())
    anchor = Anchor(first.major, first.minor, FitParams().anchor_cost)
    return {n: (seg, first if n == "R1" else fit_sample(seg, FitParams(), None, anchor)) for n, seg in regions.items()}


def test_the_ground_state_is_a_candidate_where_no_region_shows_it_clonally():
    """R1 holds a 4+0 on a segment of a doubled genome; R2 holds it in 35% of its tumour cells
    and reads 3+1, flagged. No region is 2+2 there, but 2+2 is the patient's ground state (where
    a lineage's event starts): R2 reads 2+2 with 4+0 in 35%. With only the states seen clonally
    (the rule before the ground state) it stays 3+1."""
    from ith.copynumber.mixture import clonal_states, read_mixtures, read_patient_mixtures

    regions = _doubled_regions({"R1": 1.0, "R2": 0.35}, np.random.default_rng(5))
    seg, fit = regions["R2"]
    assert fit.subclonal[3] and (fit.major[3], fit.minor[3]) == (3, 1)
    mix = read_patient_mixtures(regions, FitParams())["R2"]
    assert (mix.major[3], mix.minor[3], mix.major2[3], mix.minor2[3]) == (2, 2, 4, 0)
    assert abs(mix.fraction2[3] - 0.35) <= 0.05
    assert mix.mixed.sum() == 1
    seen = clonal_states({n: f for n, (_, f) in regions.items()}, len(seg.log2r))
    assert not read_mixtures(seg, fit, seen, FitParams()).mixed.any()


def test_regions_that_all_read_a_lineage_part_way_are_read_together_as_one_pair_of_states():
    """No region shows the lineage's 4+0 clonally: R2 holds it in 30% of its tumour cells, R3 in
    70%, both read 3+1 and flagged. Each alone lies on the line of 2+2 with 3+1 as well as of 2+2
    with 4+0 (and R3 of 3+1 with 4+0); only 2+2 with 4+0 explains both, so R2 reads 2+2 with 4+0
    at 0.3 and R3 4+0 with 2+2 at 0.3. Without the joint reading both stay 3+1."""
    from dataclasses import replace

    from ith.copynumber.mixture import clonal_states, read_mixtures, read_patient_mixtures

    regions = _doubled_regions({"R1": 0.0, "R2": 0.3, "R3": 0.7}, np.random.default_rng(6))
    for n in ("R2", "R3"):
        fit = regions[n][1]
        assert fit.subclonal[3] and (fit.major[3], fit.minor[3]) == (3, 1), n
    mix = read_patient_mixtures(regions, FitParams())
    assert (mix["R2"].major[3], mix["R2"].minor[3], mix["R2"].major2[3], mix["R2"].minor2[3]) == (2, 2, 4, 0)
    assert (mix["R3"].major[3], mix["R3"].minor[3], mix["R3"].major2[3], mix["R3"].minor2[3]) == (4, 0, 2, 2)
    for n in ("R2", "R3"):
        assert abs(mix[n].fraction2[3] - 0.3) <= 0.05, n
        assert mix[n].mixed.sum() == 1, n
    assert not mix["R1"].mixed.any()
    seen = clonal_states({n: f for n, (_, f) in regions.items()}, len(regions["R1"][0].log2r))
    for n in ("R2", "R3"):
        assert not read_mixtures(*regions[n], seen, FitParams(), ground=(2, 2)).mixed.any(), n
    # 4+0, seen in no region, must hold `mixture_unseen_share` of some region's cells: R3's 70%
    # is short of 0.75, and both keep their integer calls
    strict = read_patient_mixtures(regions, replace(FitParams(), mixture_unseen_share=0.75))
    assert not strict["R2"].mixed.any() and not strict["R3"].mixed.any()


def _with_snvs(seg: Segments, p: float, states: list[tuple[int, int]], mult: list[list[int]], rng,
               depth: int = 100, subclonal: int = 0) -> Segments:
    """`seg` with mutations: on segment k one clonal mutation per entry of mult[k] (its
    multiplicity), plus `subclonal` mutations at cancer-cell fractions 0.1-0.4 on random segments;
    binomial reads at `depth`."""
    c = np.array([a + b for a, b in states], float)
    where = [k for k, ms in enumerate(mult) for _ in ms] + list(rng.integers(0, len(states), subclonal))
    m = np.array([x for ms in mult for x in ms] + list(rng.uniform(0.1, 0.4, subclonal)), float)
    where = np.array(where, np.int64)
    vaf = p * m / (p * c[where] + 2 * (1 - p))
    seg.snv_seg, seg.snv_depth = where, np.full(len(where), depth)
    seg.snv_alt = rng.binomial(depth, vaf)
    return seg


def test_mutations_on_a_subclonal_segment_do_not_move_the_purity():
    """A region at purity 0.45 holds a CN-LOH (1+1 to 2+0) in half its tumour cells on one
    segment, flagged subclonal. Its 60 truncal mutations there (multiplicity 1 in the anchor
    region) sit at 2 copies or none in the LOH cells and 1 elsewhere: VAFs of 0.75 and 0.25 of
    the purity, the first above any clonal VAF of one copy but at a higher purity. The fit leaves
    them out (`fit_region`) and finds the purity from the other mutations; kept, they pull it up."""
    from ith.copynumber.fit import fit_region

    rng = np.random.default_rng(11)
    p = 0.45
    states = [(1, 1), (2, 1), (1, 0), (1, 1), (2, 0), (3, 1), (1, 1), (2, 2)]
    mixed = 3
    continuous = [(a + b, b) for a, b in states]
    continuous[mixed] = (2.0, 0.5)  # half 1+1, half 2+0
    seg = _region(p, continuous, rng)
    seg.se_log2r, seg.se_baf = np.full(len(states), 0.05), np.full(len(states), 0.02)  # a noisy region
    mult = [[1] * 6 if k != mixed else [] for k in range(len(states))]
    mult[1] += [2] * 3
    mult[5] += [3] * 3
    seg = _with_snvs(seg, p, states, mult, rng)
    # on the LOH segment: half the mutations on the kept allele (2 copies in half the cells),
    # half on the lost one (none there); both 1 copy in the other half
    n = 60
    carried = np.array([1.5] * (n // 2) + [0.5] * (n // 2))
    vaf = p * carried / (p * 2.0 + 2 * (1 - p))
    seg.snv_seg = np.concatenate([seg.snv_seg, np.full(n, mixed)])
    seg.snv_alt = np.concatenate([seg.snv_alt, rng.binomial(100, vaf)])
    seg.snv_depth = np.concatenate([seg.snv_depth, np.full(n, 100)])
    seg.snv_mult = np.concatenate([np.array([x for ms in mult for x in ms]), np.ones(n, np.int64)])
    kept = fit_sample(seg, FitParams())
    assert kept.subclonal[mixed] and kept.subclonal.sum() == 1
    fit = fit_region(seg, FitParams())
    assert abs(fit.purity - p) <= 0.02, fit.purity
    assert kept.purity - p >= 0.04, kept.purity


def test_a_gain_in_part_of_a_regions_cells_does_not_hold_its_mutations_to_the_anchors_multiplicity():
    """Seed 17's P2-R5 of bench/evolution_bam.py in small: a doubled genome whose anchor region
    reads two gains 3+2; this region holds them in 40% of its tumour cells (level 4.4, flagged).
    Ten mutations on each came before the gain on the gained allele: 3 copies in the anchor, 3 in
    40% of the cells here and 2 in the rest. Held at 3 on a 2+2 they can be read only at another
    ploidy, where the segments read 3+2 (fit_sample: ploidy 0.09 too high). `fit_region` leaves
    them out (their segments are flagged) and releases the anchor's multiplicities on departing
    segments: the ploidy within 0.02, the gains read 2+2, the state of most of the cells."""
    from ith.copynumber.fit import Anchor, fit_region

    rng = np.random.default_rng(2)
    p, share, gained = 0.75, 0.4, [1, 4]
    anchor_states = [(2, 2), (3, 2), (2, 2), (2, 0), (3, 2), (2, 2), (4, 2), (2, 2), (3, 1)]
    level = [(a + b, float(b)) for a, b in anchor_states]
    for k in gained:
        level[k] = (4 + share, 2.0)
    seg = _region(p, level, rng)
    seg.se_log2r, seg.se_baf = np.full(len(level), 0.03), np.full(len(level), 0.015)
    where, held, carried = [], [], []
    for k in range(len(level)):
        for m in [2] * 6 + [1] * 4:
            where, held, carried = where + [k], held + [m], carried + [m]
        if k in gained:
            where, held, carried = where + [k] * 10, held + [3] * 10, carried + [share * 3 + (1 - share) * 2] * 10
    where = np.array(where)
    total = np.array([c for c, _ in level])[where]
    seg.snv_seg, seg.snv_depth = where, np.full(len(where), 100)
    seg.snv_alt = rng.binomial(100, p * np.array(carried) / (p * total + 2 * (1 - p)))
    seg.snv_mult = np.array(held)
    anchor = Anchor(np.array([a for a, _ in anchor_states]), np.array([b for _, b in anchor_states]),
                    FitParams().anchor_cost)
    psi = float(np.average([c for c, _ in level], weights=seg.weight))
    held_fit = fit_sample(seg, FitParams(), None, anchor)
    fit = fit_region(seg, FitParams(), None, anchor)
    assert held_fit.ploidy_grid - psi >= 0.05 and all(held_fit.major[k] == 3 for k in gained)
    assert abs(fit.ploidy_grid - psi) <= 0.02 and abs(fit.purity - p) <= 0.02
    assert all((fit.major[k], fit.minor[k]) == (2, 2) for k in gained)


def test_a_region_identifiable_only_by_its_mutations_keeps_them_when_one_segment_is_subclonal():
    """A flat 1+1 genome of 200 segments at purity 0.6 with one segment flagged subclonal: its
    copy number cannot give the purity, its 12 mutations do (min_snvs 10). Leaving out the 4 on
    the flagged segment would leave 8, too few to use, and the purity unidentifiable (0.10); so
    `fit_region` keeps the first fit."""
    from ith.copynumber.fit import fit_region

    rng = np.random.default_rng(0)
    n, p = 200, 0.6
    c, nb = np.full(n, 2.0), np.full(n, 1.0)
    c[5] = 2.5
    r = (p * c + 2 * (1 - p)) / (p * c.mean() + 2 * (1 - p))
    baf = (p * nb + 1 - p) / (p * c + 2 * (1 - p))
    seg = Segments(np.full(n, 2), np.log2(r) + rng.normal(0, 0.005, n), np.full(n, 0.02),
                   baf + rng.normal(0, 0.003, n), np.full(n, 0.01), np.full(n, 1e5), np.ones(n, bool))
    seg.snv_seg = np.array([5] * 4 + [10, 20, 30, 40, 50, 60, 70, 80])
    seg.snv_depth = np.full(len(seg.snv_seg), 100)
    seg.snv_alt = rng.binomial(100, p / (p * c[seg.snv_seg] + 2 * (1 - p)))
    first = fit_sample(seg, FitParams())
    assert first.identifiable and first.subclonal[5] and abs(first.purity - p) <= 0.1
    fit = fit_region(seg, FitParams())
    assert fit.identifiable and fit.purity == first.purity


def _doubled_by_its_subclonal_segment(rng) -> Segments:
    """A doubled genome of even states (2+2, 4+2, 2+0, 4+0: halved, all integers) at purity 0.5,
    one segment 3+2 in half its tumour cells (flagged). Only the mutations tell the doubled genome
    from its undoubled twin (purity 0.67): 6 on each clonal segment came before the doubling
    (2 copies; 1 in the twin) and 80 on the flagged one after it (1 copy; half a copy in the twin)."""
    p, mixed = 0.5, 6
    states = [(2, 2), (4, 2), (2, 2), (2, 0), (2, 2), (4, 0), (2, 2), (2, 2)]
    level = [(a + b, float(b)) for a, b in states]
    level[mixed] = (4.5, 2.0)
    seg = _region(p, level, rng)
    seg.se_log2r, seg.se_baf = np.full(len(level), 0.03), np.full(len(level), 0.015)
    where = np.array([k for k in range(len(level)) for _ in range(80 if k == mixed else 6)])
    carried = np.where(where == mixed, 1.0, 2.0)
    total = np.array([c for c, _ in level])[where]
    seg.snv_seg, seg.snv_depth = where, np.full(len(where), 100)
    seg.snv_alt = rng.binomial(100, p * carried / (p * total + 2 * (1 - p)))
    return seg


def test_the_anchor_region_keeps_the_patients_doubling_when_refitted_without_its_subclonal_segments():
    """Seed 27's P4-R6 of bench/evolution_bam.py in small: the anchor region is fitted doubled,
    the patient taken as doubled, but the mutations that tell the doubling apart sit on a segment
    the fit flags subclonal. `fit_region` refits without them (a subclonal segment's mutations
    say nothing of the purity) and, alone, that refit reads the undoubled twin, halving every state
    the other regions are read against. Given the patient's doubling it keeps it, as does the
    second pass for the anchor region; the other regions are fitted of either kind."""
    from ith.copynumber.call import CnParams, CnSample, _second_pass
    from ith.copynumber.fit import Anchor, fit_region

    for seed in range(3):
        seg = _doubled_by_its_subclonal_segment(np.random.default_rng(seed))
        first = fit_sample(seg, FitParams())
        assert first.wgd and first.subclonal[6] and first.subclonal.sum() == 1
        assert not fit_region(seg, FitParams()).wgd  # the failure the patient's doubling prevents
        fit = fit_region(seg, FitParams(), wgd=True)
        assert fit.wgd and abs(fit.purity - 0.5) <= 0.03 and abs(fit.ploidy - 4.125) <= 0.15, (fit.purity, fit.ploidy)
        regions = [CnSample("R1", "tumour"), CnSample("R2", "tumour")]
        anchor = Anchor(first.major, first.minor, FitParams().anchor_cost)
        second = _second_pass(regions, {"R1": (seg,), "R2": (seg,)}, CnParams(), "R1", anchor, True)
        assert second["R1"][0].wgd
        assert not second["R2"][0].wgd  # only the anchor region is held to the patient's doubling


def test_a_subclone_in_a_fifth_of_the_anchors_cells_is_not_confirmed_truncal_by_the_others():
    """The anchor's refit (`refit_anchor`) uses the mutations the other regions read clonal. A
    subclone in 20% of the anchor's tumour cells but in 95% of two others' passes their tests; it
    is no truncal mutation, and held at one copy in the anchor it pulls the refit's purity down
    (the separable cohort's P2: 12 such mutations). It reads at a fifth of a copy there, so it is
    left out; the truncal mutations are kept."""
    from ith.copynumber.anchor import _confirmed_truncal

    rng = np.random.default_rng(3)
    states = [(1, 1), (2, 1), (1, 0), (1, 1), (2, 0), (3, 1), (1, 1)]
    c = np.array([a + b for a, b in states], float)
    ccf = {"R1": 0.2, "R2": 0.95, "R3": 0.95}
    purity = {"R1": 0.6, "R2": 0.5, "R3": 0.45}
    where = np.repeat(np.arange(len(states)), 8)  # per segment 6 truncal, 2 of the subclone
    sub = np.tile([False] * 6 + [True] * 2, len(states))
    ids = np.array([f"m{i}" for i in range(len(where))])
    seg_inputs, second = {}, {}
    for name, p in purity.items():
        seg = _synthetic(p, states, rng)
        share = np.where(sub, ccf[name], 1.0)
        seg.snv_seg, seg.snv_depth = where, np.full(len(where), 120)
        seg.snv_alt = rng.binomial(120, p * share / (p * c[where] + 2 * (1 - p)))
        seg_inputs[name] = (seg, None, None, ids)
        fit = fit_sample(seg, FitParams())
        assert abs(fit.purity - p) <= 0.05 and not fit.subclonal.any()
        second[name] = (fit, "ascat_grid+snv")
    confirmed = _confirmed_truncal(seg_inputs, "R1", second["R1"][0], second, set(ids))
    assert not any(i in confirmed for i in ids[sub])
    assert sum(i in confirmed for i in ids[~sub]) >= 0.85 * (~sub).sum()


def _regions(states, mult, purities, rng, subclonal=60):
    """Regions of one tumour: the truncal mutations `mult` (shared ids) and each region's own
    subclonal ones; returns ({region: Segments}, {region: mutation ids})."""
    segs, ids = {}, {}
    n_clonal = sum(len(x) for x in mult)
    names = np.array([f"m{i}" for i in range(n_clonal + subclonal * len(purities))])
    for i, p in enumerate(purities):
        seg = _with_snvs(_synthetic(p, states, rng), p, states, mult, rng)
        sub = _with_snvs(_synthetic(p, states, rng), p, states, [[] for _ in states], rng, subclonal=subclonal)
        seg.weight = np.linspace(50, 100, len(states))
        seg.snv_seg = np.concatenate([seg.snv_seg, sub.snv_seg])
        seg.snv_alt = np.concatenate([seg.snv_alt, sub.snv_alt])
        seg.snv_depth = np.concatenate([seg.snv_depth, sub.snv_depth])
        segs[f"R{i + 1}"] = seg
        ids[f"R{i + 1}"] = np.concatenate([names[:n_clonal], names[n_clonal + subclonal * i:n_clonal + subclonal * (i + 1)]])
    return segs, ids


def test_a_doubled_genome_of_few_events_is_read_doubled_from_its_regions_mutations_jointly():
    """Four regions of a doubled genome whose every state is even (2+2, 4+0, 2+0): each reads
    exactly like an undoubled genome of half the copies at a higher purity, so the mutations
    decide: two thirds of the truncal ones came before the doubling (multiplicity 2), a third
    after (1: half the clonal fraction, a subclone in every region to the undoubled reading).
    Each region alone pays the doubled genome's choice of two multiplicities again and prefers the
    undoubled one (seed 22's P2 of bench/evolution_bam.py); a mutation has one multiplicity in
    every region, so the patient pays it once and is read doubled, at the true purities."""
    from dataclasses import replace

    from ith.copynumber.anchor import anchor_region, is_doubling
    from ith.copynumber.fit import fit_hypotheses

    rng = np.random.default_rng(11)
    states = [(2, 2), (4, 0), (2, 2), (2, 0), (2, 2), (2, 2)]
    n_per = [(60, 30), (0, 0), (60, 30), (0, 0), (60, 30), (60, 30)]  # (early, late) on 2+2 segments
    mult = [[2] * e + [1] * lt for e, lt in n_per]
    mult[1] = [4] * 10 + [2] * 8 + [1] * 6
    mult[3] = [2] * 10 + [1] * 6
    purities = [0.55, 0.85, 0.5, 0.75]
    segs, ids = _regions(states, mult, purities, rng)
    inputs = {k: (s, None) for k, s in segs.items()}
    alone = [fit_sample(s, FitParams()) for s in segs.values()]
    assert not any(f.wgd for f in alone)  # each region alone: undoubled, at a higher purity
    for s in segs.values():  # ... exactly the doubled fit halved: only the mutations tell them apart
        h = fit_hypotheses(s, replace(FitParams(), ploidy_tolerance=0.0))
        assert is_doubling(s, h[False], h[True], FitParams())
    _, _, without = anchor_region(inputs, FitParams())
    assert not without.wgd
    name, anchor, fit = anchor_region(inputs, FitParams(), ids)
    assert fit.wgd
    assert abs(fit.purity - purities[int(name[1:]) - 1]) <= 0.03
    assert [(a, b) for a, b in zip(fit.major, fit.minor)] == states


def test_an_undoubled_genome_stays_undoubled_when_its_mutations_are_scored_jointly():
    """The same shape undoubled (1+1, 2+0, 1+0; every truncal mutation at multiplicity 1, and 1 or
    2 on the CN-LOH): read doubled at p / (2 - p) (the same copy-number profile), every truncal
    mutation is at multiplicity 2 of 2 and pays its prior odds, once per mutation when scored
    jointly, which must keep the undoubled reading ahead (by about 2 ln 2 per truncal mutation);
    and the patient is fitted undoubled."""
    from ith.copynumber.anchor import anchor_region, snv_scores
    from ith.copynumber.fit import Fit

    rng = np.random.default_rng(12)
    states = [(1, 1), (2, 0), (1, 1), (1, 0), (1, 1), (1, 1)]
    mult = [[1] * 90, [2] * 12 + [1] * 8, [1] * 90, [1] * 16, [1] * 90, [1] * 90]
    purities = [0.55, 0.85, 0.5, 0.75]
    segs, ids = _regions(states, mult, purities, rng)
    major, minor = np.array([a for a, _ in states]), np.array([b for _, b in states])

    def fit(p: float, k: int) -> Fit:
        return Fit(p, 2.0 * k, 0.0, True, k * major, k * minor, np.zeros(6), np.zeros(6, bool), 2.0 * k, 1.0,
                   k == 2, 0.4)
    scores = {k: snv_scores({r: (segs[r], fit(p if k == 1 else p / (2 - p), k)) for r, p in zip(segs, purities)},
                            ids, FitParams()) for k in (1, 2)}
    n_truncal = sum(len(x) for x in mult)
    assert scores[2][1] - scores[1][1] > 2 * np.log(2) * n_truncal * 0.8  # joint: the odds once per mutation
    assert scores[2][0] - scores[1][0] > scores[2][1] - scores[1][1]  # own: once per region, more
    name, _, chosen = anchor_region({k: (s, None) for k, s in segs.items()}, FitParams(), ids)
    assert not chosen.wgd
    assert abs(chosen.purity - purities[int(name[1:]) - 1]) <= 0.03
    assert [(a, b) for a, b in zip(chosen.major, chosen.minor)] == states


def test_a_region_whose_state_departs_from_the_anchor_does_not_hold_its_mutations_to_the_anchor_multiplicity():
    """The anchor region reads 1+1 where this region (purity 0.65) has a CN-LOH (2+0) after the
    truncal mutations: the mutations on the kept allele are at multiplicity 2 here, 1 in the
    anchor. Held to the anchor's multiplicity they read as a far higher purity that fits no
    segment (seed 22's P1-R1 of bench/evolution_bam.py: purity 0.85 and goodness of fit 0, for
    0.64); the multiplicity is free where the region's state is not the anchor's."""
    from ith.copynumber.fit import Anchor

    rng = np.random.default_rng(4)
    p = 0.65
    states = [(1, 1), (1, 0), (2, 0), (1, 1), (2, 1), (2, 0), (1, 1), (1, 0)]
    anchor_states = [(1, 1), (1, 0), (1, 1), (1, 1), (2, 1), (1, 1), (1, 1), (1, 0)]
    mult = [[1] * 40, [1] * 15, [2] * 30, [1] * 40, [2] * 10 + [1] * 20, [2] * 30, [1] * 40, [1] * 15]
    seg = _with_snvs(_synthetic(p, states, rng), p, states, mult, rng)
    anchor_m = [[1] * len(x) for x in mult]
    anchor_m[4] = [2] * 10 + [1] * 20
    seg.snv_mult = np.array([x for ms in anchor_m for x in ms], np.int64)
    anchor = Anchor(np.array([a for a, _ in anchor_states]), np.array([b for _, b in anchor_states]), 4.0)
    fit = fit_sample(seg, FitParams(), None, anchor)
    assert abs(fit.purity - p) <= 0.03
    assert [(a, b) for a, b in zip(fit.major, fit.minor)] == states
    assert fit.goodness_of_fit == 1.0


def test_the_joint_mutation_scores_of_one_region_are_its_fit_scores():
    """`snv_likelihoods` reproduces the grid's mutation score (`_snv_nll`) at any purity, up to 1
    with a segment of no tumour copies, so the joint scoring starts from the fits' own numbers."""
    from ith.copynumber.anchor import snv_scores
    from ith.copynumber.fit import SUBCLONAL_VAF_GRID, Fit, _snv_nll, snv_background

    rng = np.random.default_rng(8)
    states = [(1, 1), (2, 0), (0, 0), (3, 1), (2, 2), (1, 0)]
    seg = _with_snvs(_synthetic(0.6, states, rng), 0.6, states, [[1] * 9, [2] * 5 + [1] * 4, [], [3, 1] * 4,
                                                                 [2, 1] * 5, [1] * 8], rng, subclonal=20)
    ids = np.array([f"m{i}" for i in range(len(seg.snv_seg))])
    major, minor = np.array([a for a, _ in states]), np.array([b for _, b in states])
    bg = snv_background(seg.snv_alt.astype(float), seg.snv_depth.astype(float))
    for p in (0.3, 0.75, 1.0):
        fit = Fit(p, 2.0, 0.0, True, major, minor, np.zeros(6), np.zeros(6, bool), 2.0, 1.0, False, 0.5)
        c = major + minor
        want = sum(_snv_nll(float(a), float(d), p, int(c[k]), int(major[k]), bg[q], SUBCLONAL_VAF_GRID, 0)
                   for q, (k, a, d) in enumerate(zip(seg.snv_seg, seg.snv_alt, seg.snv_depth)))
        own, joint = snv_scores({"R1": (seg, fit)}, {"R1": ids}, FitParams())
        assert own == pytest.approx(want, rel=1e-9) and joint == pytest.approx(own, rel=1e-9)


def test_odd_doubled_states_in_every_region_do_not_keep_the_joint_score_from_a_doubled_genome():
    """Seed 23's P2 of bench/evolution_bam.py: a doubled genome of even states plus a segment of
    an odd state (3+2) in every region, which the undoubled reading flags subclonal (1.5+1). The
    regions' two fits are one profile where the undoubled reading fits integers, so the mutations
    are scored jointly and the patient is doubled (with the odd segment counted against the
    profile, 10% of the genome differs and each region alone reads undoubled)."""
    from dataclasses import replace

    from ith.copynumber.anchor import anchor_region, is_doubling
    from ith.copynumber.fit import fit_hypotheses

    rng = np.random.default_rng(11)
    states = [(2, 2), (4, 0), (2, 2), (2, 0), (3, 2), (2, 2)]
    n_per = [(60, 30), (0, 0), (60, 30), (0, 0), (0, 0), (60, 30)]
    mult = [[2] * e + [1] * lt for e, lt in n_per]
    mult[1], mult[3], mult[4] = [4] * 10 + [2] * 8 + [1] * 6, [2] * 10 + [1] * 6, [2] * 6 + [1] * 10
    purities = [0.55, 0.85, 0.5, 0.75]
    segs, ids = _regions(states, mult, purities, rng)
    for s in segs.values():
        s.weight = np.array([100, 60, 100, 50, 45, 90], float)
        h = fit_hypotheses(s, replace(FitParams(), ploidy_tolerance=0.0))
        assert h[False].subclonal[4] and not h[True].subclonal[4]
        assert is_doubling(s, h[False], h[True], FitParams())
    name, _, fit = anchor_region({k: (s, None) for k, s in segs.items()}, FitParams(), ids)
    assert fit.wgd
    assert abs(fit.purity - purities[int(name[1:]) - 1]) <= 0.03
