"""Liquid biopsy: fragment counting, background, detection (sensitivity and false-positive rate
on simulated counts), tumour fraction, clones and their trends, and the workflow's plasma calls
against the simulator's truth."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pysam
import pytest

from ith.liquid.background import fit_background, substitution_class
from ith.liquid.clones import CloneParams, change_pvalue, emerging_clones, fit_clone
from ith.liquid.detect import (DetectParams, LociModel, detect, limit_of_detection, tumour_fraction,
                               tumour_fraction_fit)
from ith.liquid.model import ErrorRates, coverage_ratio
from ith.liquid.null import call_sample, null_model
from ith.liquid.pileup import LiquidPileupParams, count_sites
from ith.simulate.plasma import LociTruth, draw_counts, draw_loci

N_CONTROLS = 20


def _loci(truth: LociTruth) -> LociModel:
    """The detector's model of the simulated loci (sharing their arrays)."""
    return LociModel(truth.ccf, truth.mult, truth.cn, truth.normal_cn, truth.truncal)


def _patient(rng, n_loci=50, control_depth=100.0, **kw):
    truth = draw_loci(rng, n_loci, **kw)
    ca, cd = zip(*(draw_counts(rng, truth, control_depth, 0.0) for _ in range(N_CONTROLS)))
    ca, cd = np.array(ca).T, np.array(cd).T
    null = null_model(ca, cd, cd > 0, truth.cls, 0, _loci(truth), DetectParams())
    return truth, null


def test_detection_is_sensitive_at_half_a_percent_and_controls_false_positives():
    """The must-reach: >= 95% sensitivity at TF 0.5% with 50 loci at 300x; at TF 0 the observed
    false-positive rate stays at the configured 5%, at 300x and in plasma ten times deeper than
    the controls (error rates that vary 10-fold between loci and by substitution class, learned
    from 20 control samples at 100x)."""
    rng = np.random.default_rng(11)
    p = DetectParams()
    hits, false = [], []
    for rep in range(60):
        truth, null = _patient(rng)
        # 20 controls: every locus weighed by its own rate (the hierarchical posterior)
        assert null.per_locus.all() and np.array_equal(null.rates.rate, null.background.error)
        for _ in range(5):
            a, d = draw_counts(rng, truth, 300.0, 0.005)
            hits.append(call_sample(a, d, null, _loci(truth), p).detected)
            a, d = draw_counts(rng, truth, 300.0 if rep % 2 else 1000.0, 0.0)
            false.append(call_sample(a, d, null, _loci(truth), p).detected)
    assert np.mean(hits) >= 0.95, np.mean(hits)
    assert np.mean(false) <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / len(false)), np.mean(false)
    assert np.mean(false) > 0.0  # calibrated, not blind: some negatives pass at a 5% rate


def test_with_the_normal_alone_a_panel_holds_the_false_positive_rate_and_detects_one_percent():
    """A one-patient panel: the background from the patient's normal at 300x alone, which
    teaches but never calibrates, so the p-value rests on the Monte Carlo null. Plasma at 1000x:
    at TF 0 the false-positive rate stays within the configured 5% at 30 and 50 loci (10% at 50
    when the null drew the all-loci rate under a Jeffreys prior and read one error in the normal
    as one noisy locus among error-free ones), and TF 1% is found at 30 loci."""
    rng = np.random.default_rng(23)
    p = DetectParams()
    for n_loci in (30, 50):
        hits, false = [], []
        for _ in range(100):
            truth = draw_loci(rng, n_loci, truncal_fraction=0.7)
            ca, cd = draw_counts(rng, truth, 300.0, 0.0)
            null = null_model(ca[:, None], cd[:, None], cd[:, None] > 0, truth.cls, 0, _loci(truth), p)
            for _ in range(3):
                a, d = draw_counts(rng, truth, 1000.0, 0.0)
                false.append(call_sample(a, d, null, _loci(truth), p).detected)
            if n_loci == 30:
                a, d = draw_counts(rng, truth, 1000.0, 0.01)
                hits.append(call_sample(a, d, null, _loci(truth), p).detected)
        assert np.mean(false) <= p.fpr + 2 * np.sqrt(p.fpr * (1 - p.fpr) / len(false)), (n_loci, np.mean(false))
        if hits:
            assert np.mean(hits) >= 0.95, np.mean(hits)


def test_with_one_control_detection_takes_loci_at_their_class_rate_and_holds_the_false_positive_rate():
    """Issue 23: the patient's normal at 300x the only control, every locus of a class at the
    same error rate (1.5e-3 on average, so the normal saw 0-2 errors per locus by luck alone).
    Weighed by their own rates learned from those errors, the loci whose normal happened to be
    clean read their plasma background (1000x) as tumour: about half the samples without ctDNA
    are called. Below `per_locus_min_controls` controls the loci are taken at their class'
    rate (classes with under `class_min_errors` control errors pooled): the false-positive
    rate holds the configured 5%, and TF 0.5% is still found."""
    rng = np.random.default_rng(31)
    p, own = DetectParams(), DetectParams(per_locus_min_controls=1)
    false, false_own, hits = [], [], []
    for _ in range(50):
        truth = draw_loci(rng, 50, truncal_fraction=0.7, error_mean=1.5e-3, error_shape=1e6)
        ca, cd = draw_counts(rng, truth, 300.0, 0.0)
        args = (ca[:, None], cd[:, None], cd[:, None] > 0, truth.cls, 0, _loci(truth))
        null, null_own = null_model(*args, p), null_model(*args, own)
        assert not null.per_locus.any() and null_own.per_locus.all()
        for _ in range(2):
            a, d = draw_counts(rng, truth, 1000.0, 0.0)
            false.append(call_sample(a, d, null, _loci(truth), p).detected)
            false_own.append(call_sample(a, d, null_own, _loci(truth), own).detected)
        a, d = draw_counts(rng, truth, 1000.0, 0.005)
        hits.append(call_sample(a, d, null, _loci(truth), p).detected)
    print(f"one control: false positives {np.mean(false):.3f} at class rates, {np.mean(false_own):.3f} at own "
          f"rates; TF 0.5% detected {np.mean(hits):.2f}")
    assert np.mean(false_own) > 0.25, np.mean(false_own)
    assert np.mean(false) <= p.fpr + 2 * np.sqrt(p.fpr * (1 - p.fpr) / len(false)), np.mean(false)
    assert np.mean(hits) >= 0.95, np.mean(hits)


def test_loci_with_enough_controls_keep_their_own_rate_and_the_rest_their_class_or_the_pooled_one():
    """The rule per locus: covered by per_locus_min_controls controls, a locus keeps its own
    posterior rate; with fewer, its class' rate, or the pooled rate of the classes with under
    class_min_errors control errors; a Monte Carlo draw spreads such loci around their class by
    the prior alone, whatever their own controls saw."""
    from ith.liquid.background import POOLED
    from ith.liquid.null import detection_classes, per_locus_rates

    p = DetectParams(per_locus_min_controls=5, class_min_errors=10)
    cls = np.array(["C>T"] * 4 + ["T>A"] * 2 + ["C>A"] * 2)
    depth = np.full((8, 6), 300)
    usable = depth > 0
    usable[4:, 2:] = False  # loci 4-7: 2 controls only
    alt = np.zeros((8, 6), dtype=int)
    alt[:4, :] = 1  # C>T: 24 errors; T>A: 12 errors over its 2 controls; C>A: 1
    alt[4:6, :2] = 3
    alt[6, 0] = 1
    per_locus = per_locus_rates(usable, p)
    assert per_locus.tolist() == [True] * 4 + [False] * 4
    det = detection_classes(alt, usable, cls, per_locus, p)
    assert det.tolist() == ["C>T"] * 4 + ["T>A"] * 2 + [POOLED] * 2
    bg = fit_background(alt, depth, usable, det, 1e-5)
    rates = bg.rates(per_locus)
    assert np.array_equal(rates.rate[:4], bg.error[:4]) and np.isfinite(rates.strength[:4]).all()
    assert np.allclose(rates.rate[4:6], bg.class_rate["T>A"]) and np.allclose(rates.rate[6:], bg.class_rate[POOLED])
    assert not np.isfinite(rates.strength[4:]).any()
    # locus 6 saw an error, locus 7 none: drawn alike around the pooled class
    draws = rates.draw(np.random.default_rng(0), 20000)
    assert abs(draws[:, 6].mean() / draws[:, 7].mean() - 1) < 0.05


def test_tumour_fraction_is_within_20_percent_above_1_percent_and_half_a_point_below():
    rng = np.random.default_rng(5)
    for tf in (0.002, 0.005, 0.01, 0.03, 0.1):
        errs = []
        for _ in range(20):
            truth, null = _patient(rng, n_loci=100)
            model = replace(_loci(truth), coverage=0.9)
            a, d = draw_counts(rng, truth, 400.0, tf, coverage=0.9)
            det = detect(a, d, null.background.rates(), _loci(truth), null.usable_locus, DetectParams())
            est, lo, hi, n = tumour_fraction(a, d, null.background.rates(), model, det.used)
            assert lo <= est <= hi and 0.9 * truth.truncal.sum() <= n <= truth.truncal.sum()
            errs.append(est - tf)
        errs = np.abs(errs)
        if tf >= 0.01:
            assert np.quantile(errs / tf, 0.9) < 0.2, (tf, errs / tf)
        else:
            assert errs.max() < 0.005, (tf, errs)


def test_tumour_fraction_interval_covers_when_loci_scatter_more_than_binomial_and_stays_put_when_not():
    """Loci whose mutant share scatters beyond binomial (each locus' share drawn log-normally
    around the model's, as mapping and capture make them) put a profile interval from the counts alone around the
    truth far less than 95% of the time; widened by the loci's Pearson dispersion it covers
    >= 90%. With binomial counts the widening is small and coverage stays near 95%."""
    rng = np.random.default_rng(11)
    tf = 0.03
    out = {}
    for spread in (0.0, 0.35):
        hits = {True: 0, False: 0}
        widths = {True: [], False: []}
        disp = []
        for _ in range(120):
            truth, null = _patient(rng, n_loci=60, truncal_fraction=1.0)
            rates = null.background.rates()
            d = rng.poisson(800.0, 60)
            v = tf * truth.mult / (tf * truth.cn + truth.normal_cn * (1 - tf))
            v = v * np.exp(rng.normal(0.0, spread, 60) - spread ** 2 / 2)
            a = rng.binomial(d, v * (1 - truth.error) + (1 - v) * truth.error)
            used = np.ones(60, dtype=bool)
            for widen in (True, False):
                f = tumour_fraction_fit(a, d, rates, _loci(truth), used, 10 if widen else 10**6)
                hits[widen] += f.low <= tf <= f.high
                widths[widen].append(f.high - f.low)
                if widen:
                    disp.append(f.dispersion)
        out[spread] = (hits[True] / 120, hits[False] / 120, np.median(widths[True]) / np.median(widths[False]),
                       np.median(disp))
    binomial, scattered = out[0.0], out[0.35]
    assert binomial[0] >= 0.9 and binomial[2] < 1.15 and 0.8 < binomial[3] < 1.2, out
    assert scattered[1] < 0.8 and scattered[0] >= 0.9 and scattered[3] > 2.0, out


def test_tumour_fraction_at_class_rates_reads_no_tumour_in_plasma_without_ctdna():
    """A panel's background from the patient's normal alone at 300x: a few errors per class, 0-2
    per locus. Weighed by the loci's own rates the tumour fraction of plasma without ctDNA is
    pushed up (the loci whose normal was clean weigh most) and its interval often excludes 0;
    at the class rates, averaged over their posterior, it is not."""
    rng = np.random.default_rng(12)
    res = {"own": [], "class": []}
    for _ in range(80):
        truth = draw_loci(rng, 50, truncal_fraction=1.0, error_mean=6e-4, error_shape=1e6)
        na, nd = draw_counts(rng, truth, 300.0, 0.0)
        null = null_model(na[:, None], nd[:, None], (nd > 0)[:, None], truth.cls, 0, _loci(truth), DetectParams())
        a, d = draw_counts(rng, truth, 1000.0, 0.0)
        used = null.usable_locus & (d > 0)
        rates = null.background.rates()
        for key, r in (("own", ErrorRates(rates.rate, rates.strength)), ("class", rates)):
            f = tumour_fraction_fit(a, d, r, _loci(truth), used)
            res[key].append((f.tf, f.low > 0))
    own, cls = np.array(res["own"]), np.array(res["class"])
    assert cls[:, 1].mean() <= 0.1 and own[:, 1].mean() > cls[:, 1].mean() + 0.1, (own[:, 1].mean(), cls[:, 1].mean())
    assert np.median(cls[:, 0]) < 0.5 * np.median(own[:, 0]) + 1e-6, (np.median(own[:, 0]), np.median(cls[:, 0]))


def test_a_locus_with_no_control_errors_borrows_its_class_rate_and_a_noisy_one_keeps_its_own():
    depth = np.full((4, 10), 100)
    alt = np.zeros((4, 10), dtype=int)
    alt[1, :] = 1  # 1% background at locus 1
    alt[2, 0] = 1
    alt[3, 0] = 1
    bg = fit_background(alt, depth, depth > 0, np.array(["C>T"] * 4), floor=1e-5)
    assert 1e-5 < bg.error[0] < bg.error[2] < bg.error[1]
    assert bg.error[1] > 0.005  # a noisy locus is not shrunk away
    out = fit_background(alt[:, 1:], depth[:, 1:], depth[:, 1:] > 0, np.array(["C>T"] * 4), floor=1e-5)
    assert out.error[2] < bg.error[2] and out.error[3] < bg.error[3]  # without control 0: no errors there
    # a class without a single control error is not taken for error-free: it borrows from all loci
    two = fit_background(alt, depth, depth > 0, np.array(["C>T", "C>T", "T>A", "T>A"]), floor=1e-5)
    assert two.class_rate["T>A"] > 1e-4
    assert list(substitution_class(pd.Series(["G", "C", "A"]), pd.Series(["A", "T", "C"]))) == ["C>T", "C>T", "T>G"]


def test_no_coverage_is_not_assessable_and_alt_reads_in_the_normal_exclude_a_locus():
    rng = np.random.default_rng(2)
    truth = draw_loci(rng, 30)
    ca, cd = zip(*(draw_counts(rng, truth, 100.0, 0.0) for _ in range(5)))
    ca, cd = np.array(ca).T, np.array(cd).T
    ca[3, 0] = 4  # the patient's normal (column 0) shows the allele: germline or clonal haematopoiesis
    null = null_model(ca, cd, cd > 0, truth.cls, 0, _loci(truth), DetectParams())
    assert null.reason[3] == "alt reads in the normal" and null.usable_locus.sum() == 29
    call = call_sample(np.zeros(30, int), np.zeros(30, int), null, _loci(truth), DetectParams())
    assert not call.assessable and not call.detected and np.isnan(call.p_value)


def test_limit_of_detection_follows_informative_reads():
    rng = np.random.default_rng(1)
    truth = draw_loci(rng, 50, truncal_fraction=1.0)
    truth.cn[:] = 2
    truth.mult[:] = 1
    clean = np.full(50, 1e-8)
    lod = limit_of_detection(np.full(50, 300), clean, _loci(truth), 0.05)
    assert lod * 15000 / 2 == pytest.approx(3.0, rel=0.05)  # 3 mutant fragments among 15,000 informative reads
    err = np.full(50, 1e-4)  # background: more mutant fragments needed than 3
    lod_300 = limit_of_detection(np.full(50, 300), err, _loci(truth), 0.05)
    lod_1200 = limit_of_detection(np.full(50, 1200), err, _loci(truth), 0.05)
    assert lod < lod_300 and lod_1200 < lod_300 / 2.5


def _tiled_locus(rng, mixture, copies: int, read_length: int) -> tuple[np.ndarray, float]:
    """A locus on `copies` genome copies each tiled end to end by fragments drawn from `mixture`
    ((share, mean, sd) components): the lengths of the fragments whose reads reach it, and the
    share of copies read there."""
    share, mu, sd = (np.array(x) for x in zip(*mixture))
    # each copy's fragments laid end to end from a random phase; the one over the locus (at 2000)
    reached = []
    for _ in range(copies):
        k = rng.choice(len(share), 40, p=share / share.sum())
        ends = np.cumsum(np.maximum(np.rint(rng.normal(mu[k], sd[k])), 30)) - rng.integers(0, 400)
        j = int(np.searchsorted(ends, 2000, side="right"))
        length = ends[j] - ends[j - 1]
        offset = 2000 - ends[j - 1]
        if offset < read_length or length - offset <= read_length:  # inside one of the two reads
            reached.append(length)
    return np.array(reached), len(reached) / copies


def test_coverage_ratio_is_one_for_tiled_copies_and_counts_the_unread_middle_of_long_fragments():
    """Every plasma genome copy tiled by its fragments: shorter tumour fragments do not make a
    tumour copy any less likely to be read at a locus (the ratio fewer-bases-per-fragment
    would give, 145 / 167, is 0.87 and fails), unless fragments are longer than the two reads,
    whose middles go unread."""
    rng = np.random.default_rng(4)
    normal = [(0.9, 167.0, 12.0), (0.1, 145.0, 10.0)]
    tumour = [(0.85, 145.0, 14.0), (0.15, 125.0, 10.0)]
    seen_n, _ = _tiled_locus(rng, normal, 20_000, 100)
    seen_t, _ = _tiled_locus(rng, tumour, 3_000, 100)
    hist = np.bincount(seen_n.astype(int))
    assert coverage_ratio(seen_t, hist, 200.0) == pytest.approx(1.0, abs=0.005)
    # reads of 2 x 75: most fragments are longer than 150 bp, the normal ones more so
    seen_n, read_n = _tiled_locus(rng, normal, 20_000, 75)
    seen_t, read_t = _tiled_locus(rng, tumour, 6_000, 75)
    assert read_t / read_n > 1.05  # the truth: a tumour copy is the likelier to be read
    rho = coverage_ratio(seen_t, np.bincount(seen_n.astype(int)), 150.0)
    assert rho == pytest.approx(read_t / read_n, abs=0.02)
    assert coverage_ratio(seen_t[:10], hist, 200.0) == 1.0  # too few tumour fragments: no correction


def test_growing_clone_is_flagged_and_its_ancestor_and_a_stable_clone_are_not():
    rng = np.random.default_rng(8)
    truth = draw_loci(rng, 120, truncal_fraction=0.25)
    clone = np.repeat([0, 1, 2, 3], 30)  # 0 truncal; 1 -> 2 (growing leaf); 3 stable
    truth.truncal[:] = clone == 0
    truth.ccf[:] = np.array([1.0, 0.5, 0.2, 0.3])[clone]
    parents = {0: None, 1: 0, 2: 1, 3: 0}
    plasma_ccf = [np.array([1.0, 0.5, 0.2, 0.3]), np.array([1.0, 0.7, 0.5, 0.3]), np.array([1.0, 0.9, 0.8, 0.3])]
    err = np.full(120, 1e-4)
    fits, inputs = [], []
    for t, ccf in enumerate(plasma_ccf):
        a, d = draw_counts(rng, truth, 400.0, 0.05, clone_ccf=ccf[clone])
        fits.append({k: fit_clone(a[clone == k], d[clone == k], err[clone == k],
                                  _loci(truth).subset(clone == k), 0.05) for k in range(4)})
        inputs.append({k: (a[clone == k], d[clone == k], err[clone == k], _loci(truth).subset(clone == k), 0.05)
                       for k in range(4)})
    for t in range(3):
        for k in range(4):
            f = fits[t][k]
            assert f.low <= plasma_ccf[t][k] + 0.05 and plasma_ccf[t][k] - 0.05 <= f.high, (t, k, f)
    p = CloneParams()
    rising = {}
    for k in range(4):
        pv, _ = change_pvalue(inputs[0][k], inputs[2][k])
        rising[k] = pv <= p.alpha / 4 and fits[2][k].ccf - fits[0][k].ccf >= p.min_rise
    assert rising[1] and rising[2] and not rising[3]
    assert emerging_clones(rising, parents) == {2}


def _bam(path, reads):
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "chr1", "LN": 1000}]}
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for name, start, seq, flag, qual, tlen in sorted(reads, key=lambda r: r[1]):
            a = pysam.AlignedSegment()
            a.query_name, a.query_sequence, a.flag = name, seq, flag
            a.reference_id, a.reference_start, a.mapping_quality = 0, start, 60
            a.cigartuples = [(0, len(seq))]
            a.query_qualities = pysam.qualitystring_to_array(qual * len(seq))
            a.template_length = tlen
            out.write(a)
    pysam.index(str(path))


@pytest.mark.parametrize("by_index", [False, True])
def test_pileup_counts_each_fragment_once_and_keeps_mutant_fragment_lengths(tmp_path, monkeypatch, by_index):
    # the sites streamed (dense) or read through the index (sparse): the same counts
    monkeypatch.setattr("ith.io.sitecount.reach_by_index", lambda n, length: by_index)
    ref = "A" * 30
    mut = "A" * 10 + "T" + "A" * 19
    reads = [("f1", 0, mut, 0x1 | 0x2 | 0x40, "I", 120), ("f1", 5, mut[5:] + "AAAAA", 0x1 | 0x2 | 0x80, "I", -120),
             ("f2", 0, ref, 0x1 | 0x40, "I", 160), ("f2", 2, ref, 0x1 | 0x80, "I", -160),
             ("f3", 0, mut, 0x1 | 0x40, "I", 150), ("f3", 0, ref, 0x1 | 0x80, "I", -150),  # mates disagree
             ("f4", 0, mut, 0x1 | 0x40 | 0x400, "I", 130),  # duplicate
             ("f5", 0, mut, 0x1 | 0x40, "#", 140)]  # base quality 2
    _bam(tmp_path / "x.bam", reads)
    sites = pd.DataFrame({"chrom": ["chr1"], "pos": [11], "ref": ["A"]})
    res = count_sites(str(tmp_path / "x.bam"), sites, LiquidPileupParams())
    row = res.counts.iloc[0]
    assert (row["depth"], row["T"], row["A"], row["discordant"]) == (2, 1, 1, 1)
    assert res.alt_lengths["length"].tolist() == [120]
    assert res.ref_lengths[160] == 1 and res.ref_lengths.sum() == 1
    # each fragment once in its pair's orientation: f1 and f2 by their read 1, forward (F1R2)
    assert res.orientation[0, 3].tolist() == [1, 0] and res.orientation[0, 0].tolist() == [1, 0]


def test_pileup_of_a_cram_equals_the_bams_and_needs_the_reference(cohort, tmp_path):
    from conftest import to_cram

    from ith.io.alignments import BamFormatError

    bam = cohort / "bams" / "P1" / "P1-PL1.bam"
    fasta = str(cohort / "reference" / "genome.fa")
    cram = str(to_cram(bam, fasta, tmp_path / "P1-PL1.cram"))
    with pysam.FastaFile(fasta) as fa:
        pos = np.arange(1_001, 150_000, 1_499)
        sites = pd.DataFrame({"chrom": "chr1", "pos": pos, "ref": [fa.fetch("chr1", p - 1, p).upper() for p in pos]})
    want = count_sites(str(bam), sites, LiquidPileupParams())
    got = count_sites(cram, sites, LiquidPileupParams(), reference=fasta)
    assert want.counts["depth"].sum() > 0 and len(want.alt_lengths) > 0
    pd.testing.assert_frame_equal(got.counts, want.counts)
    pd.testing.assert_frame_equal(got.alt_lengths, want.alt_lengths)
    assert np.array_equal(got.ref_lengths, want.ref_lengths)
    # without it htslib would take the FASTA named in the CRAM's header, or download one
    with pytest.raises(BamFormatError, match="none was given"):
        count_sites(cram, sites, LiquidPileupParams())


def _cluster_clone(clonal_mutations: pd.DataFrame, truth_mutations: pd.DataFrame) -> dict[int, str]:
    """Each cluster -> the true clone most of its mutations come from."""
    a = clonal_mutations.drop_duplicates("mutation_id")[["mutation_id", "cluster_id"]]
    t = truth_mutations.drop_duplicates("mutation_id")[["mutation_id", "clone"]]
    m = a.merge(t, on="mutation_id")
    top = m.groupby(["cluster_id", "clone"]).size().rename("n").reset_index()
    top = top.sort_values(["cluster_id", "n"], ascending=[True, False]).drop_duplicates("cluster_id")
    return dict(zip(top["cluster_id"].astype(int), top["clone"]))


@pytest.mark.workflow
def test_workflow_plasma_calls_match_the_simulated_truth(workflow_run, cohort):
    """Every plasma sample of the test cohort: detected as the truth says, tumour fraction within
    20% (>= 1%) or 0.5 points (below); P1's growing clone flagged emerging and no other clone;
    tumour-allele fragments shorter than reference ones."""
    for patient in ("P1", "P2"):
        base = workflow_run / "results" / "liquid" / patient
        ct = pd.read_csv(base / "ctdna.tsv", sep="\t")
        truth = pd.read_csv(cohort / "truth" / patient / "ctdna.tsv", sep="\t")
        m = truth.merge(ct, on=["patient", "sample"], suffixes=("_true", ""))
        assert len(m) == len(truth) > 0
        assert (m["detected"] == m["detected_true"]).all(), m
        tf, est = m["tumour_fraction_true"].to_numpy(), m["tumour_fraction"].to_numpy()
        high = tf >= 0.01
        assert (np.abs(est - tf)[high] <= 0.2 * tf[high]).all(), m[["sample", "tumour_fraction_true", "tumour_fraction"]]
        assert (np.abs(est - tf)[~high] <= 0.005).all(), m[["sample", "tumour_fraction_true", "tumour_fraction"]]
        assert ((m["tf_low"] <= est) & (est <= m["tf_high"])).all()
        assert (m["limit_of_detection"] < 0.005).all() and (m["status"] == "detected").all()
        fr = pd.read_csv(base / "fragments.tsv", sep="\t")
        assert (fr["mutant_median"] < fr["wildtype_median"]).all() and (fr["shorter_p_value"] < 0.01).all()
        for f in ("tumour_fraction.png", "clones.png", "fragments.png", "loci.tsv", "plasma_only.tsv"):
            assert (base / f).stat().st_size > 0
    clones = pd.read_csv(workflow_run / "results" / "liquid" / "P1" / "clones.tsv", sep="\t")
    names = _cluster_clone(pd.read_csv(workflow_run / "results" / "clonal" / "P1" / "mutations.tsv", sep="\t"),
                           pd.read_csv(cohort / "truth" / "P1" / "mutations.tsv", sep="\t"))
    tc = pd.read_csv(cohort / "truth" / "P1" / "clones.tsv", sep="\t")
    growing = set(tc.loc[tc["growing"], "clone"])
    flagged = {names[int(k)] for k in clones.loc[clones["emerging"], "clone"].unique()}
    assert growing and flagged == growing, (flagged, growing)
    # the truncal cluster's CCF in plasma is ~1 wherever the tumour is detected
    truncal = clones[clones["tissue_ccf"] > 0.95]
    assert (truncal["ccf_high"] >= 0.9).all()


def test_a_patient_without_plasma_has_no_liquid_jobs(cohort, tmp_path):
    """Dropping P2's plasma from the sheet: the stage is skipped for P2 (no job, no error)."""
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    sheet = pd.read_csv(cohort / "samples.tsv", sep="\t", dtype=str)
    sheet = sheet[~((sheet["patient"] == "P2") & (sheet["type"] == "plasma"))]
    sheet.to_csv(tmp_path / "samples.tsv", sep="\t", index=False)
    cfg = yaml.safe_load((cohort / "config.yaml").read_text())
    cfg["samples"] = str(tmp_path / "samples.tsv")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    root = Path(__file__).resolve().parents[1]
    dry = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(root / "Snakefile"), "--configfile",
                          str(tmp_path / "config.yaml"), "--directory", str(tmp_path), "-n"],
                         capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert "results/liquid/P1/ctdna.tsv" in dry.stdout and "results/liquid/P2/ctdna.tsv" not in dry.stdout


def test_ids_with_colons_in_contig_names_no_snvs_and_timepoint_order():
    from ith.io.mutations import split_ids
    from ith.liquid.loci import patient_sites
    from ith.liquid.patient import order_timepoints

    s = split_ids(pd.Series(["HLA-A*01:01:01:01:100:C:T", "chr1:5:A:G"]))
    assert s["chrom"].tolist() == ["HLA-A*01:01:01:01", "chr1"] and s["pos"].tolist() == [100, 5]
    assert split_ids(pd.Series([], dtype=str)).empty
    none = pd.DataFrame({"mutation_id": pd.Series([], dtype=str), "indel": pd.Series([], dtype=bool)})
    assert patient_sites(none, ["chr1"]).empty
    some = pd.DataFrame({"mutation_id": ["chr2:3:C:T", "chr1:9:AT:A", "chr1:5:A:G", "chr1:5:A:G"],
                         "indel": [False, True, False, False]})
    sites = patient_sites(some, ["chr1", "chr2"])
    assert sites[["chrom", "pos", "alt"]].values.tolist() == [["chr1", 5, "G"], ["chr2", 3, "T"]]
    pl = pd.DataFrame({"sample": ["a", "b", "c"], "timepoint": ["90", "0", "30"]})
    assert order_timepoints(pl)["sample"].tolist() == ["b", "c", "a"]
    dates = pl.assign(timepoint=["2024-03-01", "2023-12-01", "2024-01-15"])
    assert order_timepoints(dates)["sample"].tolist() == ["b", "c", "a"]
    mixed = pl.assign(timepoint=["baseline", "90", ""])  # not comparable: sheet order
    assert order_timepoints(mixed)["sample"].tolist() == ["a", "b", "c"]


def test_fragment_length_weighting_finds_more_low_level_ctdna_and_keeps_false_positives():
    """At TF 0.1% with 50 loci at 300x, weighing tumour-allele fragments by their length (tumour
    ~148 bp, normal ~167 bp, learned from other fragments than the tested ones) detects more
    samples than counts alone, and negatives stay at the configured rate."""
    from ith.liquid.model import length_weights
    from ith.simulate.plasma import draw_fragment_lengths

    rng = np.random.default_rng(21)
    p = DetectParams()
    learned = length_weights(rng.normal(148, 14, 2000).round(), np.bincount(rng.normal(167, 11, 50_000).round().astype(int)))
    plain, weighted, false = [], [], []
    for rep in range(40):
        truth, null = _patient(rng)
        null_w = null_model(*_controls_of(rng, truth), truth.cls, 0, _loci(truth), p, learned,
                            None)
        for _ in range(5):
            a, d = draw_counts(rng, truth, 300.0, 0.001)
            frags = draw_fragment_lengths(rng, truth, a, 0.001)
            plain.append(call_sample(a, d, null, _loci(truth), p).detected)
            weighted.append(call_sample(a, d, null_w, _loci(truth), p, frags).detected)
            a, d = draw_counts(rng, truth, 300.0, 0.0)
            false.append(call_sample(a, d, null_w, _loci(truth), p, draw_fragment_lengths(rng, truth, a, 0.0)).detected)
    print(f"detected at TF 0.1%: {np.mean(plain):.2f} by counts, {np.mean(weighted):.2f} weighted; FPR {np.mean(false):.3f}")
    assert np.mean(weighted) > np.mean(plain) + 0.05, (np.mean(weighted), np.mean(plain))
    assert np.mean(false) <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / len(false)), np.mean(false)


def _controls_of(rng, truth):
    ca, cd = zip(*(draw_counts(rng, truth, 100.0, 0.0) for _ in range(N_CONTROLS)))
    ca, cd = np.array(ca).T, np.array(cd).T
    return ca, cd, cd > 0
