"""Clonal haematopoiesis (CH) in the liquid stage: a one-patient panel simulated from the BAMs up
whose blood (normal and plasma) carries 3 CH variants at 0.5-2% VAF and whose tumour does not;
the liquid stage must label them CH from the blood normal, keep them out of detection and the
tumour fraction, and list them."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from ith.io.regions import read_named_regions
from ith.liquid.ch import CHParams, SiteEvidence, classify
from ith.liquid.controls import count_samples
from ith.liquid.files import LiquidInputs
from ith.liquid.params import LiquidParams
from ith.liquid.patient import analyse_patient
from ith.liquid.pileup import LiquidPileupParams
from ith.simulate import cohort as cohort_mod
from ith.simulate.presets import PRESETS
from test_panel import _truth_loci as panel_truth_loci

N_LOCI = 30
PLASMA_TF = (0.02, 0.0)
N_CH = 3


def _preset(ch: int):
    """tests/test_panel.py's one-patient panel with a deep buffy coat (1000x, as CH-aware assays
    sequence it), 2 plasma timepoints at 1000x (TF 2% and 0), and `ch` CH variants, a third of
    the tumour regions' normal cells being blood cells that carry them (infiltrate)."""
    return replace(PRESETS["panel"], name=f"ch_panel_{ch}", autosome_lengths=(120_000, 100_000), x_length=30_000,
                   y_length=10_000, n_patients=1, regions=(2, 2), plasma=(len(PLASMA_TF),), plasma_tf=PLASMA_TF,
                   clones=(3, 3), snvs=(90, 90), cn_events=(1, 1), cn_event_length=(20_000, 30_000),
                   panel_mutations=(N_LOCI, N_LOCI), snp_targets=10, n_targets=50, normal_depth=1000.0,
                   ch_variants=ch, ch_infiltrate=0.3)


@pytest.fixture(scope="module")
def cohorts(tmp_path_factory):
    """The same patient and seed simulated with CH and without."""
    mp = pytest.MonkeyPatch()
    out = {}
    for ch in (N_CH, 0):
        preset = _preset(ch)
        mp.setitem(PRESETS, preset.name, preset)
        out[ch] = tmp_path_factory.mktemp(preset.name)
        cohort_mod.simulate(preset.name, 3, str(out[ch]), threads=1)
    yield out
    mp.undo()


def _tsv(path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=[""])


def test_the_ch_mode_puts_ch_in_the_blood_only_and_leaves_the_tumour_as_without(cohorts):
    ch = _tsv(cohorts[N_CH] / "truth" / "P1" / "ch.tsv")
    assert ch["mutation_id"].nunique() == N_CH
    assert ch["blood_vaf"].between(0.005, 0.02).all()
    # in tissue only as far as its blood infiltrate carries them: 30% of the normal cells
    tissue = ch[ch["type"] == "tumour"]
    assert (tissue["expected_vaf"] > 0).all() and (tissue["expected_vaf"] <= 0.3 * tissue["blood_vaf"]).all()
    normal = ch[ch["type"] == "normal"]
    assert (normal["expected_vaf"] == normal["blood_vaf"]).all()
    assert not (cohorts[0] / "truth" / "P1" / "ch.tsv").exists()
    # the tumour is the same with CH or without
    for f in ("mutations.tsv", "ctdna.tsv", "clones.tsv"):
        assert (cohorts[N_CH] / "truth" / "P1" / f).read_bytes() == (cohorts[0] / "truth" / "P1" / f).read_bytes()
    # the CH gene regions, written for liquid.ch_regions
    import yaml
    cfg = yaml.safe_load((cohorts[N_CH] / "config.yaml").read_text())
    bed = read_named_regions(cfg["liquid"]["ch_regions"], "liquid.ch_regions", [("chr1", 120_000), ("chr2", 100_000)])
    assert len(bed) == N_CH and set(bed["name"]) == set(ch["gene"])
    assert "liquid" not in yaml.safe_load((cohorts[0] / "config.yaml").read_text())


def _truth_loci(folder, designed: pd.Series, ch: pd.DataFrame) -> pd.DataFrame:
    """The designed loci with what the tissue says of them (test_panel's); and the CH variants as
    loci the worst way they could get there: in the truncal cluster (as a low-VAF tissue call of
    blood infiltrate, or a plasma-only discovery, clustered there)."""
    loci = panel_truth_loci(folder, designed)
    if len(ch):
        c = ch.drop_duplicates("mutation_id")
        loci = pd.concat([loci, pd.DataFrame({
            "mutation_id": c["mutation_id"], "chrom": c["chrom"], "pos": c["pos"], "ref": c["ref"], "alt": c["alt"],
            "cluster_id": 0, "tissue_ccf": 1.0, "cn": 2.0, "normal_cn": 2.0, "truncal": True,
            "multiplicity": 1.0})], ignore_index=True)
    return loci.sort_values(["chrom", "pos"]).reset_index(drop=True)


def _by_sample(t: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {str(s): g.drop(columns="sample").reset_index(drop=True) for s, g in t.groupby("sample", sort=False)}


def _liquid(folder, ch_ids_as_loci: pd.DataFrame, params: LiquidParams, regions: pd.DataFrame | None = None):
    """The liquid stage on the cohort's one patient: its plasma, normal and tumour regions counted
    fragment by fragment at the loci (the regions' counts standing for the variants stage's),
    the normal as the only control."""
    sheet = _tsv(folder / "samples.tsv")
    targets = _tsv(folder / "truth" / "targets.tsv")
    loci = _truth_loci(folder / "truth" / "P1", targets.loc[targets["design"] == "mutation", "mutation_id"],
                       ch_ids_as_loci)
    both = count_samples(sheet[["sample", "bam"]], loci[["chrom", "pos", "ref", "alt"]], LiquidPileupParams())
    hists = {}
    for s, g in both.ref_lengths.groupby("sample"):
        h = np.zeros(int(g["length"].max()) + 1, dtype=np.int64)
        h[g["length"].to_numpy(int)] = g["fragments"].to_numpy(np.int64)
        hists[str(s)] = h
    # the tissue's counts at every locus, as the variants stage's counts.tsv gives them
    counts = both.counts.merge(loci[["chrom", "pos", "mutation_id", "alt"]], on=["chrom", "pos", "alt"])
    counts["alt_counts"] = [getattr(r, r.alt) for r in counts.itertuples(index=False)]
    variant_counts = counts[["mutation_id", "sample", "alt_counts", "depth"]].assign(indel=False, present=False)
    normal = sheet[sheet["type"] == "normal"]
    data = LiquidInputs(sheet=sheet, controls=normal[["sample", "patient", "type"]], loci=loci,
                        left_out=pd.DataFrame(columns=["mutation_id", "reason"]), pileups=_by_sample(both.counts),
                        alt_lengths=_by_sample(both.alt_lengths), ref_lengths=hists, qc={}, parents={},
                        cn_tf=None, variant_counts=variant_counts, ch_regions=regions)
    return analyse_patient("P1", data, params), loci


def test_plasma_with_ch_and_no_tumour_is_not_detected_and_lists_its_ch_variants(cohorts):
    """The must-reach: the TF-0 plasma of a patient whose blood carries 3 CH variants (0.5-2% in
    the normal) is 'not detected', and the CH variants are listed; none of the 30 tumour loci is
    taken for CH; the CH loci are left out as such."""
    truth_ch = _tsv(cohorts[N_CH] / "truth" / "P1" / "ch.tsv")
    res, loci = _liquid(cohorts[N_CH], truth_ch, LiquidParams())
    ct = res.ctdna.set_index("sample")
    print(res.ch.to_string())
    print(res.ctdna[["sample", "status", "p_value", "tumour_fraction", "tf_low", "tf_high", "loci_used",
                     "ch_variants"]].to_string())
    assert ct.loc["P1-PL2", "status"] == "not detected"
    assert ct.loc["P1-PL1", "status"] == "detected"
    listed = set(res.ch["mutation_id"])
    assert listed == set(truth_ch["mutation_id"])  # all three, and nothing of the tumour's
    assert (res.ch["evidence"] == "blood normal").all()
    # the blood infiltrate puts them in the tissue too, at a trace the blood explains
    assert (res.ch["tissue_alt"] > 0).any() and (res.ch["tissue_vaf"] < 0.005).all()
    assert res.ch["tumour_locus"].all()
    used = res.loci[res.loci["sample"] == "P1-PL2"].set_index("mutation_id")
    assert (used.loc[sorted(listed), "reason"] == "clonal haematopoiesis").all()
    assert not used.loc[sorted(listed), "used"].any()
    # the CH variants are in the plasma at about their blood VAF
    pl = res.ch.merge(truth_ch[["mutation_id", "sample", "expected_vaf"]], on=["mutation_id", "sample"])
    assert np.abs(pl["vaf"] - pl["expected_vaf"]).max() < 0.01
    assert (ct["ch_variants"] == N_CH).all()
    # the report lists them, one row each with its VAF in every plasma sample
    from ith.report.patient import _ch_table
    shown = _ch_table(res.ch)
    assert sorted(shown["mutation_id"]) == sorted(listed)
    assert {"evidence", "normal_vaf", "vaf P1-PL1", "vaf P1-PL2"} <= set(shown.columns)


def test_ch_leaves_the_tumour_fraction_as_without_ch(cohorts):
    """A plasma with ctDNA (TF 2%) and CH: its tumour fraction is the one the same plasma gives
    without CH (inside that one's interval), and so is the call on the TF-0 plasma."""
    truth_ch = _tsv(cohorts[N_CH] / "truth" / "P1" / "ch.tsv")
    with_ch = _liquid(cohorts[N_CH], truth_ch, LiquidParams())[0].ctdna.set_index("sample")
    without = _liquid(cohorts[0], truth_ch.iloc[:0], LiquidParams())[0].ctdna.set_index("sample")
    print(pd.concat({"with CH": with_ch, "without CH": without})[["status", "tumour_fraction", "tf_low", "tf_high",
                                                                  "loci_used"]].to_string())
    tf, lo, hi = without.loc["P1-PL1", ["tumour_fraction", "tf_low", "tf_high"]]
    assert lo <= with_ch.loc["P1-PL1", "tumour_fraction"] <= hi
    # CH reads in the normal are no background error either: counted as such they pulled the
    # tumour fraction down by 2% (0.01955 against 0.01993)
    assert with_ch.loc["P1-PL1", "tumour_fraction"] == pytest.approx(tf, rel=0.005)
    assert abs(tf / 0.02 - 1) < 0.2
    assert (with_ch["status"] == without["status"]).all()


def test_known_ch_genes_label_plasma_variants_without_tissue_support_even_with_a_shallow_normal(cohorts):
    """With liquid.ch_regions, a plasma variant in a CH gene and not in the tissue is CH though
    the normal shows it too weakly; a variant in a CH gene that the tissue carries is the
    tumour's."""
    truth_ch = _tsv(cohorts[N_CH] / "truth" / "P1" / "ch.tsv")
    import yaml
    cfg = yaml.safe_load((cohorts[N_CH] / "config.yaml").read_text())
    regions = read_named_regions(cfg["liquid"]["ch_regions"], "liquid.ch_regions", [("chr1", 120_000),
                                                                                  ("chr2", 100_000)])
    # a normal that cannot vouch for anything (ch_min_lr beyond reach): the genes alone decide
    params = replace(LiquidParams(), ch=CHParams(ch_min_lr=1e300))
    res, _ = _liquid(cohorts[N_CH], truth_ch, params, regions)
    assert set(res.ch["mutation_id"]) == set(truth_ch["mutation_id"])
    assert set(res.ch["evidence"]) == {"CH gene"}
    assert set(res.ch["gene"]) == set(truth_ch["gene"])
    # the same check on counts: a tumour mutation in a CH gene (TP53 is also a tumour driver)
    ev = SiteEvidence(error=np.full(2, 1e-4), normal_alt=np.array([0, 0]), normal_depth=np.array([1000, 1000]),
                      plasma_alt=np.array([20, 20]), plasma_depth=np.array([2000, 2000]),
                      tissue_alt=np.array([0, 120]), tissue_depth=np.array([600, 600]),
                      gene=np.array(["TP53", "TP53"]))
    call = classify(ev, CHParams())
    assert call.ch.tolist() == [True, False]


def test_the_blood_normal_rule_needs_the_normal_to_carry_the_plasma_vaf():
    """On counts: a normal with 5 of 1000 fragments where the plasma shows 1% is CH; a tumour's
    plasma-only mutation at 1% with a clean normal (or one error fragment) is not; a variant the
    tissue carries at 20% is the tumour's whatever the normal shows; a germline-like normal VAF
    is no CH."""
    n = 5
    ev = SiteEvidence(error=np.full(n, 1e-4), normal_alt=np.array([5, 0, 1, 5, 400]),
                      normal_depth=np.full(n, 1000), plasma_alt=np.full(n, 20), plasma_depth=np.full(n, 2000),
                      tissue_alt=np.array([0, 0, 0, 120, 0]), tissue_depth=np.full(n, 600), gene=np.full(n, ""))
    call = classify(ev, CHParams())
    assert call.ch.tolist() == [True, False, False, False, False]
    assert call.normal_lr[0] > math.log10(CHParams().ch_min_lr)


def test_a_deep_normal_finds_half_percent_clones_and_takes_no_plasma_only_tumour_mutation_for_ch():
    """On counts (docs/methods/liquid.md, the normal-depth table): with a 1000x normal and 2 x
    1000x of plasma, >= 85% of 0.5% blood clones and >= 99% of 2% ones are found from the normal;
    a tumour mutation seen only in plasma (its normal clean, no tissue support) is taken for CH
    in <= 0.5% of draws at any VAF."""
    rng = np.random.default_rng(0)
    n, e_true = 2000, 1e-4
    for f, least in ((0.005, 0.85), (0.02, 0.99)):
        def evidence(normal_vaf: float) -> SiteEvidence:
            return SiteEvidence(np.full(n, 2 * e_true), rng.binomial(1000, normal_vaf + e_true, n), np.full(n, 1000),
                                rng.binomial(2000, f + e_true, n), np.full(n, 2000), np.zeros(n, dtype=int),
                                np.full(n, 600), np.full(n, ""))
        assert classify(evidence(f), CHParams()).ch.mean() >= least
        assert classify(evidence(0.0), CHParams()).ch.mean() <= 0.005
