"""The pooled copy-number reference of many normals (ith.copynumber.reference): its builder on
constructed coverage, the choice of mode, and the ratios it gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ith.cli import main as ith_main
from ith.copynumber.call import CnParams, sample_bins
from ith.copynumber.reference import ReferenceParams, build_reference, read_reference, resolve_mode
from ith.errors import InputError

CONTIGS = [("chr1", 600), ("chr2", 600), ("chr3", 400), ("chrX", 300), ("chrY", 100)]


def _bins(rng: np.random.Generator) -> pd.DataFrame:
    """Alternating targets and off-target bins over five contigs, GC spread as in an exome."""
    rows = [(c, 1000 * i + 1, 1000 * i + 200, i % 2 == 0) for c, n in CONTIGS for i in range(n)]
    bins = pd.DataFrame(rows, columns=["chrom", "start", "end", "target"])
    return bins.assign(gc=np.round(rng.uniform(0.3, 0.65, len(bins)), 4), mappable=1.0)


def _library(rng, bins, efficiency, sex, depth=150.0, sd=0.05):
    """One library's mean depth per bin: the kit's efficiency, its own GC curve and variation,
    the copies its sex puts on X and Y, off-target bins at 1/50 of the targets."""
    kind = bins["chrom"].to_numpy()
    copies = np.where(kind == "chrX", 0.5 if sex == "male" else 1.0,
                      np.where(kind == "chrY", 0.5 if sex == "male" else 0.0, 1.0))
    gc = bins["gc"].to_numpy()
    curve = np.exp(-((gc - rng.uniform(0.4, 0.48)) / rng.uniform(0.15, 0.3)) ** 2)
    scale = np.where(bins["target"], depth, depth / 50)
    return scale * efficiency * copies * curve * np.exp(rng.normal(0, sd, len(bins)))


@pytest.fixture(scope="module")
def pool():
    rng = np.random.default_rng(5)
    bins = _bins(rng)
    efficiency = np.exp(rng.normal(0, 0.4, len(bins)))
    efficiency[:: 2] /= np.exp(np.mean(np.log(efficiency[::2])))
    sexes = ["female", "male", "female", "male", "female", "female"]
    depths = {f"N{i}": _library(rng, bins, efficiency, s) for i, s in enumerate(sexes)}
    return bins, efficiency, depths, sexes


def _log2_err(ref, bins, efficiency, where):
    """Each bin's pooled depth against its true efficiency, both centred per group."""
    err = np.log2(ref["depth"].to_numpy()) - np.log2(efficiency)
    out = []
    for group in (True, False):
        sel = where & (bins["target"].to_numpy() == group) & ref["usable"].to_numpy()
        out.append(err[sel] - np.median(err[sel]))
    return np.concatenate(out)


def test_pooled_depth_is_each_bins_capture_efficiency_whatever_the_normals_gc_curves_and_sexes(pool):
    bins, efficiency, depths, sexes = pool
    ref, found = build_reference(bins, depths, ReferenceParams(), 0.75, (0.5, 2.0))
    assert list(found.values()) == sexes
    auto = bins["chrom"].isin(["chr1", "chr2", "chr3"]).to_numpy()
    x = (bins["chrom"] == "chrX").to_numpy()
    # six libraries of 5% own variation each: the median is off by ~0.05 / sqrt(6) x 1.25 in log
    # (natural), 0.04 in log2; the kit's efficiency spreads 0.58 in log2
    for where in (auto, x):
        err = _log2_err(ref, bins, efficiency, where)
        assert np.sqrt(np.mean(err ** 2)) < 0.06
    # the males' X counted as two copies' worth: X's pooled depth sits where the autosomes' does
    assert abs(np.median(np.log2(ref["depth"][x & ref["usable"]] / efficiency[x & ref["usable"]]))
               - np.median(np.log2(ref["depth"][auto & ref["usable"]] / efficiency[auto & ref["usable"]]))) < 0.05
    # chrY seen only in the two males: a spread from two, usable where its depth is in range
    assert (ref.loc[bins["chrom"] == "chrY", "n_normals"] == 2).all()
    # the spread of a typical bin is the libraries' own variation, 0.05 in log = 0.072 in log2
    assert 0.05 < ref.loc[auto, "spread"].median() < 0.1


def test_bins_whose_normals_disagree_or_barely_capture_are_unusable_but_one_odd_normal_is_outvoted(pool):
    bins, efficiency, depths, _ = pool
    rng = np.random.default_rng(9)
    depths = {k: v.copy() for k, v in depths.items()}
    noisy = np.flatnonzero(bins["chrom"] == "chr2")[:40]
    for v in depths.values():
        v[noisy] *= np.exp(rng.normal(0, 0.6, len(noisy)))  # normals disagree
    odd = np.flatnonzero(bins["chrom"] == "chr3")[:40]
    depths["N0"][odd] *= 1.5  # one normal's duplication: five others say what the kit does
    weak = np.flatnonzero(bins["chrom"] == "chr1")[:40:2]
    for v in depths.values():
        v[weak] *= 0.1 / efficiency[weak]  # a target that barely captures, in every library
    ref, _ = build_reference(bins, depths, ReferenceParams(max_spread=0.3), 0.75, (0.5, 2.0))
    usable = ref["usable"].to_numpy()
    assert usable[noisy].mean() < 0.3
    assert usable[odd].mean() > 0.9
    assert not usable[weak].any()
    clean = np.setdiff1d(np.flatnonzero(bins["chrom"].isin(["chr1", "chr2", "chr3"])), np.concatenate([noisy, weak]))
    # the clean autosomal bins: only those the normal_depth_range drops (kit efficiency < 0.5 or
    # > 2, ~8% at sd 0.4) go
    assert usable[clean].mean() > 0.85
    assert (usable[clean] == ((ref["depth"].to_numpy()[clean] >= 0.5) & (ref["depth"].to_numpy()[clean] <= 2))).mean() > 0.98


def test_a_pool_needs_min_normals():
    rng = np.random.default_rng(1)
    bins = _bins(rng)
    depths = {f"N{i}": _library(rng, bins, np.ones(len(bins)), "female") for i in range(2)}
    with pytest.raises(InputError, match="min_normals"):
        build_reference(bins, depths, ReferenceParams(min_normals=3), 0.75, (0.5, 2.0))


def test_the_mode_is_matched_on_a_genome_and_pooled_only_with_enough_normals_or_a_file():
    auto = ReferenceParams()
    assert resolve_mode(auto, "wgs", 40)[0] == "matched"
    assert resolve_mode(auto, "wes", 3)[0] == "pooled"
    mode, why = resolve_mode(auto, "panel", 2)
    assert mode == "matched" and "fewer than copynumber.reference.min_normals (3)" in why
    assert resolve_mode(ReferenceParams(mode="pooled", file="pon.tsv"), "wes", 1)[0] == "pooled"
    assert resolve_mode(ReferenceParams(mode="pooled"), "wgs", 5)[0] == "pooled"
    with pytest.raises(InputError, match="copynumber.reference.file"):
        resolve_mode(ReferenceParams(mode="hybrid"), "wes", 2)


def test_a_reference_built_on_other_bins_is_refused_naming_the_row(pool, tmp_path):
    bins, _, depths, _ = pool
    ref, _ = build_reference(bins, depths, ReferenceParams(), 0.75, (0.5, 2.0))
    path = tmp_path / "pon.tsv"
    ref.to_csv(path, sep="\t", index=False)
    assert read_reference(str(path), bins)["usable"].equals(ref["usable"])
    shifted = bins.copy()
    shifted.loc[7, "end"] += 100
    with pytest.raises(InputError, match=r"row 9: bin chr1:7001-7200, but bins.tsv has chr1:7001-7300"):
        read_reference(str(path), shifted)
    with pytest.raises(InputError, match="2000 bins, but results/copynumber/bins.tsv has 1"):
        read_reference(str(path), bins.iloc[:1])


def test_cli_builds_the_reference_the_rule_builds(pool, tmp_path):
    bins, _, depths, _ = pool
    bins.to_csv(tmp_path / "bins.tsv", sep="\t", index=False)
    files = []
    for name, d in depths.items():
        files.append(str(tmp_path / f"{name}.tsv"))
        bins[["chrom", "start", "end"]].assign(reads=0, depth=np.round(d, 3)).to_csv(files[-1], sep="\t", index=False)
    out = tmp_path / "reference.tsv"
    assert ith_main(["cnref", "--bins", str(tmp_path / "bins.tsv"), "--out", str(out), *files]) == 0
    expect, _ = build_reference(bins, {k: np.round(v, 3) for k, v in depths.items()}, ReferenceParams(), 0.75,
                                (0.5, 2.0))
    got = read_reference(str(out), bins)
    assert np.allclose(got["depth"], expect["depth"], atol=1e-4) and got["usable"].equals(expect["usable"])


def test_a_gain_reads_through_the_pool_with_the_kits_efficiency_cancelled(pool):
    """A tumour library of the same kit with one arm gained (3 copies at purity 1: log2 1.5):
    against the pool (no matched normal given) the gained bins sit at +0.585, the rest at 0,
    and the bins' spread is the tumour's own, not the kit's 0.58."""
    bins, efficiency, depths, _ = pool
    rng = np.random.default_rng(3)
    ref, _ = build_reference(bins, depths, ReferenceParams(), 0.75, (0.5, 2.0))
    tumour = _library(rng, bins, efficiency, "female")
    gain = (bins["chrom"] == "chr2").to_numpy()
    tumour[gain] *= 1.5
    table = sample_bins("P", "T", bins, None, tumour, CnParams(), mode="pooled", reference=ref, sex="female")
    x = table["log2r"].to_numpy()
    auto = bins["chrom"].isin(["chr1", "chr3"]).to_numpy()
    step = np.nanmedian(x[gain]) - np.nanmedian(x[auto])
    assert abs(step - np.log2(1.5)) < 0.05
    assert np.nanstd(x[auto]) < 0.15
    with pytest.raises(InputError, match="needs a matched normal"):
        sample_bins("P", "T", bins, None, tumour, CnParams(), mode="hybrid", reference=ref)


def test_hybrid_cancels_the_patients_germline_duplication_which_the_pool_reads_as_a_gain(pool):
    """The patient carries a germline duplication over 40 bins of chr3 (in its normal and its
    tumour alike) and the tumour a somatic gain of chr2. Against the pool alone the duplication
    is a gain; the hybrid cancels it with the matched normal's broad departure from the pool,
    keeps the somatic gain, and is less noisy than the matched normal alone."""
    bins, efficiency, depths, _ = pool
    rng = np.random.default_rng(4)
    ref, _ = build_reference(bins, depths, ReferenceParams(), 0.75, (0.5, 2.0))
    dup = np.flatnonzero(bins["chrom"] == "chr3")[100:140]
    gain = (bins["chrom"] == "chr2").to_numpy()
    normal = _library(rng, bins, efficiency, "female")
    tumour = _library(rng, bins, efficiency, "female")
    normal[dup] *= 1.5
    tumour[dup] *= 1.5
    tumour[gain] *= 1.5
    flat = bins["chrom"].isin(["chr1"]).to_numpy()
    x = {mode: sample_bins("P", "T", bins, normal, tumour, CnParams(), mode=mode, reference=ref)["log2r"].to_numpy()
         for mode in ("matched", "pooled", "hybrid")}
    step = {m: np.nanmedian(v[dup]) - np.nanmedian(v[flat]) for m, v in x.items()}
    assert step["pooled"] > 0.45 and abs(step["matched"]) < 0.1 and abs(step["hybrid"]) < 0.1
    assert abs(np.nanmedian(x["hybrid"][gain]) - np.nanmedian(x["hybrid"][flat]) - np.log2(1.5)) < 0.05
    sd = {m: np.nanstd(v[flat]) for m, v in x.items()}
    assert sd["hybrid"] < 0.85 * sd["matched"], sd


# -- on the simulated exome: the workflow's coverage, ratios and calls redone per mode ----------
def _exome_calls(run, cohort, mode):
    """Per patient of the exome cohort: its copy-number calls with every tumour's ratio taken in
    `mode` against the pool of the cohort's two normals (the matched one among them), from the
    workflow's own coverage, BAF and counts files."""
    from ith.copynumber.call import CnSample, call_patient

    res = run / "results" / "copynumber"
    sheet = pd.read_csv(cohort / "samples.tsv", sep="\t")
    bins = pd.read_csv(res / "bins.tsv", sep="\t", dtype={"chrom": str})
    cov = {s: pd.read_csv(res / p / "coverage" / f"{s}.tsv", sep="\t") for p, s in zip(sheet["patient"], sheet["sample"])}
    normals = sheet.loc[sheet["type"] == "normal", "sample"]
    params = CnParams()
    ref, _ = build_reference(bins, {s: cov[s]["depth"].to_numpy(float) for s in normals}, ReferenceParams(min_normals=2),
                             params.min_mappable, params.normal_depth_range)
    out = {}
    for patient, rows in sheet.groupby("patient"):
        normal = rows.loc[rows["type"] == "normal", "sample"].iloc[0]
        tumours = rows.loc[rows["type"] == "tumour", "sample"].tolist()
        ratios = {s: sample_bins(patient, s, bins, cov[normal]["depth"].to_numpy(float), cov[s]["depth"].to_numpy(float),
                                 params, mode=mode, reference=ref)["log2r"].to_numpy(float) for s in tumours}
        baf = pd.read_csv(res / patient / "baf.tsv", sep="\t", dtype={"chrom": str, "ref": str, "alt": str},
                          keep_default_na=False, na_values=["NA"])
        counts = pd.read_csv(run / "results" / "variants" / patient / "counts.tsv", sep="\t", keep_default_na=False,
                             na_values=["NA"])
        out[patient] = call_patient(patient, bins, {s: cov[s]["depth"].to_numpy(float) for s in rows["sample"]},
                                    {s: cov[s]["reads"].to_numpy(float) for s in rows["sample"]},
                                    [CnSample(s, t) for s, t in zip(rows["sample"], rows["type"])], baf, params,
                                    mutations=counts, log2r=ratios)
    return out


@pytest.mark.workflow
@pytest.mark.parametrize("mode", ["pooled"])
def test_exome_purity_and_copy_number_against_the_pooled_normals_match_truth(exome_run, exome_cohort, mode):
    """As tests/test_capture.py holds the matched normal: purity within 0.05 in every region, the
    clonal major/minor copy number right on >= 85% of the targeted bases."""
    from test_copynumber import _agreement

    targets = pd.read_csv(exome_cohort / "truth" / "targets.tsv", sep="\t")
    for patient, res in _exome_calls(exome_run, exome_cohort, mode).items():
        truth = pd.read_csv(exome_cohort / "truth" / patient / "purity_ploidy.tsv", sep="\t").merge(
            res.purity, on="sample", suffixes=("_true", ""))
        assert len(truth) == 3
        assert (np.abs(truth["purity"] - truth["purity_true"]) <= 0.05).all(), truth[["sample", "purity", "purity_true"]]
        assert (truth["wgd"] == truth["wgd_true"]).all()
        tseg = pd.read_csv(exome_cohort / "truth" / patient / "segments.tsv", sep="\t")
        for sample in truth["sample"]:
            agreement = _agreement(res.segments[res.segments["sample"] == sample], tseg[tseg["sample"] == sample],
                                   targets)
            assert agreement >= 0.85, (sample, agreement)
