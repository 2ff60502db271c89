"""Exomes and panels: the simulator's capture mode, discovery restricted to the padded targets,
and the workflow on the simulated exome against its truth."""

from __future__ import annotations

import filecmp
import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pysam
import pytest
import yaml

from ith.io.pileup import PileupParams
from ith.io.reference import read_fai
from ith.io.targets import in_regions, padded_targets, target_regions
from ith.simulate import cohort as cohort_mod
from ith.simulate.presets import PRESETS
from ith.variants.call import call_patient, discover_chunk
from ith.variants.chunks import Chunk, make_chunks, restrict_chunks
from ith.variants.presence import PresenceParams
from ith.variants.somatic import SomaticParams
from test_copynumber import _agreement
from test_phylogeny import assert_top_tree_is_true
from test_variants import _depth, _passed, _samples, _truth, clear_snv_scores

PATIENTS = ["P1", "P2"]


# -- the simulator's capture mode ---------------------------------------------------------------
def _tiny_exome():
    return replace(PRESETS["exome"], name="tiny_exome", autosome_lengths=(120_000, 80_000), x_length=40_000,
                   y_length=10_000, n_patients=1, regions=(2, 2), clones=(3, 3), snvs=(60, 60), cn_events=(1, 1),
                   cn_event_length=(20_000, 30_000), n_targets=80, wgd_patients=())


@pytest.fixture(scope="module")
def tiny_exome(tmp_path_factory, monkeypatch_module):
    monkeypatch_module.setitem(PRESETS, "tiny_exome", _tiny_exome())
    out = tmp_path_factory.mktemp("tiny_exome")
    cohort_mod.simulate("tiny_exome", 3, str(out), threads=1)
    return out


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def _tsv(path):
    return pd.read_csv(path, sep="\t")


def test_a_capture_cohort_names_its_targets_in_the_config_and_records_them_in_the_truth(tiny_exome):
    preset = _tiny_exome()
    config = yaml.safe_load((tiny_exome / "config.yaml").read_text())
    assert config["assay"] == {"type": "wes", "targets": str(tiny_exome / "reference" / "targets.bed")}
    bed = pd.read_csv(tiny_exome / "reference" / "targets.bed", sep="\t", header=None,
                      names=["chrom", "start", "end", "gene"])
    truth = _tsv(tiny_exome / "truth" / "targets.tsv")
    assert len(bed) == len(truth) == preset.n_targets
    lengths = bed["end"] - bed["start"]
    assert lengths.between(*preset.target_length).all()
    assert (truth["start"] == bed["start"] + 1).all() and (truth["end"] == bed["end"]).all()
    # sorted, disjoint, genes of several targets, every library's efficiency recorded
    for _, t in bed.groupby("chrom"):
        assert (t["start"].to_numpy()[1:] >= t["end"].to_numpy()[:-1]).all()
    assert bed["gene"].value_counts().max() > 1
    assert abs(truth["efficiency"].mean() - 1) < 0.01 and truth["efficiency"].std() > 0.2
    samples = _tsv(tiny_exome / "truth" / "samples.tsv")
    assert set(samples["sample"]) <= set(truth.columns)
    assert (np.abs(samples["off_target_fraction"] - preset.off_target_fraction) < 0.01).all()
    mutations = _tsv(tiny_exome / "truth" / "P1" / "mutations.tsv").drop_duplicates("mutation_id")
    inside = bed.assign(start=bed["start"] + 1)  # 1-based, as the truth's positions
    hit = [((inside["chrom"] == r.chrom) & (inside["start"] <= r.pos) & (inside["end"] >= r.pos)).any()
           for r in mutations.itertuples()]
    assert mutations["in_target"].tolist() == hit
    assert mutations["in_target"].sum() == round(len(mutations) * preset.target_mutation_share)


def test_capture_reads_pile_up_on_targets_by_efficiency_with_a_thin_background(tiny_exome):
    preset = _tiny_exome()
    truth = _tsv(tiny_exome / "truth" / "targets.tsv")
    samples = _tsv(tiny_exome / "truth" / "samples.tsv").set_index("sample")
    for sample in ("P1-N", "P1-R1"):
        bam = str(tiny_exome / "bams" / "P1" / f"{sample}.bam")
        depth = np.zeros(len(truth))
        with pysam.AlignmentFile(bam) as fh:
            for i, r in enumerate(truth.itertuples()):
                cov = fh.count_coverage(r.chrom, r.start - 1, r.end, quality_threshold=0,
                                        read_callback=lambda a: not a.is_duplicate)
                depth[i] = np.sum(cov, axis=0).mean()
            # a target in a segmental duplication sends half its reads to the paralog, at MAPQ 0-1
            reads = [a for a in fh.fetch() if not a.is_duplicate and a.mapping_quality >= 20]
        # the mean on-target depth is the sample's (GC bias costs a little), each target's follows
        # this library's efficiency of it
        assert 0.8 * samples.loc[sample, "depth"] < depth.mean() < 1.1 * samples.loc[sample, "depth"]
        assert np.corrcoef(depth, truth[sample])[0, 1] > 0.8
        # reads starting farther from any target than a captured fragment reaches: the background,
        # a few percent of all spread evenly, so in proportion to the genome that far out
        reference = read_fai(str(tiny_exome / "reference" / "genome.fa"), "x")
        regions = target_regions(str(tiny_exome / "reference" / "targets.bed"), reference, reference, 400, "x")
        far = ~in_regions(regions, np.array([a.reference_name for a in reads]),
                          np.array([a.reference_start + 1 for a in reads]))
        far_genome = 1 - sum(int((e - s).sum()) for s, e in regions.values()) / sum(n for _, n in reference)
        assert 0.7 < far.mean() / (preset.off_target_fraction * far_genome) < 1.3
    stats = pysam.samtools.stats(str(tiny_exome / "bams" / "P1" / "P1-R1.bam"))
    sn = {l.split("\t")[1].rstrip(":"): float(l.split("\t")[2]) for l in stats.splitlines() if l.startswith("SN\t")}
    # a capture library's duplicates, more than a genome's 4%
    assert 0.10 < sn["reads duplicated"] / sn["raw total sequences"] < 0.16


def test_a_capture_cohort_is_the_same_bytes_for_the_same_seed_whatever_the_thread_count(tmp_path,
                                                                                        monkeypatch):
    tiny = replace(_tiny_exome(), autosome_lengths=(60_000, 40_000), n_targets=40, snvs=(30, 30))
    monkeypatch.setitem(PRESETS, "tiny_exome", tiny)
    a, b = tmp_path / "a", tmp_path / "b"
    cohort_mod.simulate("tiny_exome", 7, str(a), threads=1)
    cohort_mod.simulate("tiny_exome", 7, str(b), threads=2)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file() and p.name not in ("samples.tsv", "config.yaml"))
    assert any(str(f).endswith(".bam") for f in files) and any(str(f).endswith("targets.bed") for f in files)
    for f in files:
        assert filecmp.cmp(a / f, b / f, shallow=False), f"{f} differs between runs"


# -- discovery in the padded targets ------------------------------------------------------------
def test_chunks_are_cut_to_the_padded_targets_keep_their_names_and_without_targets_have_no_job():
    contigs = [("chr1", 1000), ("chr2", 600), ("chr3", 300)]
    chunks = make_chunks(contigs, 500)
    assert [c.regions for c in chunks] == [(("chr1", 1, 500),), (("chr1", 501, 1000),), (("chr2", 1, 300),),
                                           (("chr2", 301, 600),), (("chr3", 1, 300),)]
    targets = pd.DataFrame({"chrom": ["chr1", "chr1", "chr1", "chr3"], "start": [100, 300, 480, 0],
                            "end": [200, 350, 520, 20]})
    wide = padded_targets(targets, 50, contigs)
    # padding merges the first two targets (250 and 250 meet), stops at the contig's start
    assert wide.values.tolist() == [["chr1", 50, 400], ["chr1", 430, 570], ["chr3", 0, 70]]
    regions = {c: (g["start"].to_numpy(), g["end"].to_numpy()) for c, g in wide.groupby("chrom")}
    cut = restrict_chunks(chunks, regions)
    # 1-based inclusive; a target across the chunk boundary is split between the chunks
    assert cut == [Chunk(0, (("chr1", 51, 400), ("chr1", 431, 500))), Chunk(1, (("chr1", 501, 570),)),
                   Chunk(4, (("chr3", 1, 70),))]
    assert [c.name for c in cut] == ["chunk0000", "chunk0001", "chunk0004"]


def _targets_around(clear: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Of clear mutations 1 kb or more apart, a third inside a 100 bp target, a third 60 bp before
    one (in its 100 bp padding), a third with no target within 300 bp; the targets (0-based)."""
    keep = clear[np.concatenate([[True], np.diff(clear["pos"].to_numpy()) >= 1_000])].reset_index(drop=True)
    inside, padding, outside = keep.iloc[0::3], keep.iloc[1::3], keep.iloc[2::3]
    starts = np.concatenate([inside["pos"].to_numpy() - 50, padding["pos"].to_numpy() + 59])
    chrom = np.concatenate([inside["chrom"].to_numpy(), padding["chrom"].to_numpy()])
    targets = pd.DataFrame({"chrom": chrom, "start": starts, "end": starts + 100}).sort_values("start")
    return inside, padding, outside, targets


def test_discovery_of_an_exome_looks_only_in_its_padded_targets_whatever_their_naming(cohort, sheet, tmp_path):
    """On a genome's reads (mutations everywhere), with targets named without 'chr': a clear
    mutation inside a target or in its padding is found, one farther out is not, though
    discovery finds it when looking there."""
    fasta = str(cohort / "reference" / "genome.fa")
    reference = read_fai(fasta, "x")
    truth = _truth(cohort, "P1")
    clear = truth[(truth["sample"] == "P1-R1") & (truth["expected_vaf"] >= 0.2) & (truth["type"] == "snv")
                  & (truth["chrom"] == "chr1")].sort_values("pos")
    inside, padding, outside, targets = _targets_around(clear)
    assert min(len(inside), len(padding), len(outside)) >= 4
    bed = tmp_path / "targets.bed"
    targets.assign(chrom=targets["chrom"].str.replace("chr", "")).to_csv(bed, sep="\t", header=False, index=False)
    regions = target_regions(str(bed), reference, reference, 100, "variants.exclude_contigs")
    chunks = restrict_chunks(make_chunks(reference, 200_000), regions)
    assert {r[0] for c in chunks for r in c.regions} == {"chr1"}
    samples = [s for s in _samples(cohort, sheet, "P1") if s.type != "plasma"]
    found = set()
    for chunk in chunks:
        table, _ = discover_chunk(samples, fasta, list(chunk.regions), PileupParams(), SomaticParams(), 2, False)
        assert in_regions(regions, table["chrom"].to_numpy(), table["pos"].to_numpy()).all()
        found |= set(table["chrom"] + ":" + table["pos"].astype(str) + ":" + table["ref"] + ":" + table["alt"])
    assert set(inside["mutation_id"]) | set(padding["mutation_id"]) <= found
    assert not set(outside["mutation_id"]) & found
    there = [(r.chrom, r.pos - 10, r.pos + 10) for r in outside.itertuples()]
    table, _ = discover_chunk(samples, fasta, there, PileupParams(), SomaticParams(), 2, False)
    assert set(outside["mutation_id"]) <= set(table["chrom"] + ":" + table["pos"].astype(str) + ":" + table["ref"]
                                              + ":" + table["alt"])


def test_external_calls_outside_the_padded_targets_are_left_out(cohort, sheet, tmp_path):
    fasta = str(cohort / "reference" / "genome.fa")
    reference = read_fai(fasta, "x")
    truth = _truth(cohort, "P2")
    clear = truth[(truth["sample"] == "P2-R1") & (truth["expected_vaf"] > 0.2) & (truth["type"] == "snv")
                  & (truth["chrom"] == "chr2")].sort_values("pos")
    inside, padding, outside, targets = _targets_around(clear)
    bed = tmp_path / "targets.bed"
    targets.to_csv(bed, sep="\t", header=False, index=False)
    vcf = tmp_path / "ext.vcf"
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr2>", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    lines += [f"chr2\t{r.pos}\t.\t{r.ref}\t{r.alt}\t.\tPASS\t." for r in clear.itertuples()]
    vcf.write_text("\n".join(lines) + "\n")
    regions = target_regions(str(bed), reference, reference, 100, "variants.exclude_contigs")
    samples = [s for s in _samples(cohort, sheet, "P2") if s.type != "plasma"]
    res = call_patient("P2", samples, [], fasta, PileupParams(), SomaticParams(), PresenceParams(), False,
                       external_vcf=str(vcf), regions=regions)
    ids = set(res.sites["chrom"] + ":" + res.sites["pos"].astype(str) + ":" + res.sites["ref"] + ":" + res.sites["alt"])
    assert ids == set(inside["mutation_id"]) | set(padding["mutation_id"])


# -- the workflow on the exome against its truth ------------------------------------------------
@pytest.fixture(scope="module")
def exome_calls(exome_run, exome_cohort):
    out = {}
    for p in PATIENTS:
        truth = _truth(exome_cohort, p)
        tumour = truth[truth["sample"].str.contains("-R") & truth["in_target"]].copy()
        tumour["depth"] = [_depth(str(exome_cohort / "bams" / p / f"{r.sample}.bam"), r.chrom, r.pos)
                           for r in tumour.itertuples()]
        out[p] = (truth, tumour, _passed(exome_run, p))
    return out


@pytest.mark.workflow
def test_exome_snvs_in_targets_are_found_with_high_recall_and_precision(exome_calls):
    """Scored as on the genome (tests/test_variants.py): SNVs at VAF >= 5% in a region with
    >= 80 reads there, here those inside the targets."""
    found, expected, called, correct = clear_snv_scores(exome_calls)
    assert expected > 100
    assert found / expected >= 0.95, f"recall {found}/{expected}"
    assert correct / called >= 0.95, f"precision {correct}/{called}"


@pytest.mark.workflow
def test_exome_calls_lie_in_the_padded_targets(exome_run, exome_cohort):
    reference = read_fai(str(exome_cohort / "reference" / "genome.fa"), "x")
    regions = target_regions(str(exome_cohort / "reference" / "targets.bed"), reference, reference, 100, "x")
    for p in PATIENTS:
        sites = pd.read_csv(exome_run / "results" / "variants" / p / "sites.tsv", sep="\t")
        assert len(sites) > 50 and in_regions(regions, sites["chrom"].to_numpy(), sites["pos"].to_numpy()).all()


@pytest.mark.workflow
@pytest.mark.parametrize("patient", PATIENTS)
def test_exome_purity_and_copy_number_on_the_targets_match_truth(exome_run, exome_cohort, patient):
    """Purity within 0.05 in every region; the clonal major/minor copy number right on >= 85% of
    the targeted bases (the off-target bins only carry the segments between targets)."""
    res = exome_run / "results" / "copynumber" / patient
    pp = pd.read_csv(res / "purity_ploidy.tsv", sep="\t")
    truth = pd.read_csv(exome_cohort / "truth" / patient / "purity_ploidy.tsv", sep="\t").merge(
        pp, on="sample", suffixes=("_true", ""))
    assert len(truth) == 3
    assert (np.abs(truth["purity"] - truth["purity_true"]) <= 0.05).all(), truth[["sample", "purity", "purity_true"]]
    assert (truth["wgd"] == truth["wgd_true"]).all()
    seg = pd.read_csv(res / "segments.tsv", sep="\t")
    tseg = pd.read_csv(exome_cohort / "truth" / patient / "segments.tsv", sep="\t")
    targets = pd.read_csv(exome_cohort / "truth" / "targets.tsv", sep="\t")
    for sample in truth["sample"]:
        agreement = _agreement(seg[seg["sample"] == sample], tseg[tseg["sample"] == sample], targets)
        assert agreement >= 0.85, (sample, agreement)


@pytest.mark.workflow
@pytest.mark.parametrize("patient", PATIENTS)
def test_exome_top_tree_is_the_true_one_where_the_ccfs_identify_it(exome_run, exome_cohort, patient):
    """From exome-sized mutation counts (the exome fixture's clones are drawn distinguishable and
    its trees identifiable from the true CCFs), the workflow's top-ranked tree is the true one."""
    notes = pd.read_csv(exome_cohort / "truth" / "patients.tsv", sep="\t").set_index("patient")
    assert bool(notes.loc[patient, "tree_identifiable"])
    assert_top_tree_is_true(exome_run, exome_cohort, patient)


# -- the issue-25 stages on the exome: timing, signatures, copy-number tree, sampling ------------
def _truth_table(exome_cohort, patient: str, name: str) -> pd.DataFrame:
    return pd.read_csv(exome_cohort / "truth" / patient / name, sep="\t")


@pytest.mark.workflow
def test_exome_doubling_is_timed_and_a_male_x_is_no_event(exome_run, exome_cohort):
    """P2 (male, doubled): the doubling found in every region and timed from its ~40 truncal
    SNVs in 2+2 segments within 0.2 of the truth (the early share of n = 37 SNVs has a binomial
    sd of ~0.08 at t ~ 0.5: 0.2 is 2.5 sd), the truth inside the interval, the early/late calls
    of the founder's SNVs >= 90% right; his X (1+0, 2+0 after the doubling) and Y give no event.
    P1 (female, not doubled): no doubling, and its X copy-neutral LOH is listed, in R1 and R2 as
    in the truth."""
    from ith.io.reference import contig_class
    from ith.timing.validate import score_patient

    for patient in PATIENTS:
        res = exome_run / "results" / "timing" / patient
        events = pd.read_csv(res / "events.tsv", sep="\t")
        mutations = pd.read_csv(res / "mutations.tsv", sep="\t")
        metrics = json.loads((res / "metrics.json").read_text())
        tm = _truth_table(exome_cohort, patient, "mutations.tsv")
        tm = tm[tm["sample"].str.contains("-R")]
        score = score_patient(patient, events, mutations, metrics, tm, _truth_table(exome_cohort, patient, "timing.tsv"))
        assert score["calls"] >= 10 and score["right"] >= 0.9 * score["calls"], score
        x = events[events["chrom"].map(contig_class) == "X"]
        if patient == "P2":
            assert metrics["wgd_regions"] == ["P2-R1", "P2-R2", "P2-R3"] and score["wgd"] is not None
            w = score["wgd"]
            assert w["n"] >= 20 and abs(w["time"] - w["truth"]) <= 0.2 and w["low"] <= w["truth"] <= w["high"], w
            assert not events["chrom"].map(contig_class).isin(["X", "Y"]).any()
        else:
            assert metrics["wgd"] is None and not score["true_wgd"]
            assert x["event"].tolist() == ["cnloh"] and x["regions"].tolist() == ["P1-R1,P1-R2"]


@pytest.mark.workflow
def test_exome_signatures_fit_the_groups_with_enough_snvs(exome_run, exome_cohort):
    """With assay.type wes the exome-normalised COSMIC set is used; every region's SNV count is
    within 0.9-1.05 of the true SNVs present in it inside the targets (each context read from
    the FASTA), and a group is fitted exactly when it holds min_mutations SNVs; the smaller
    ones (a patient's exome holds 130-180 SNVs) are shown, their counts in sbs96.tsv."""
    for patient in PATIENTS:
        res = exome_run / "results" / "signatures" / patient
        metrics = json.loads((res / "metrics.json").read_text())
        sbs96 = pd.read_csv(res / "sbs96.tsv", sep="\t")
        exposures = pd.read_csv(res / "exposures.tsv", sep="\t")
        assert metrics["exome"] is True and metrics["reference_mismatches"] == 0
        tm = _truth_table(exome_cohort, patient, "mutations.tsv")
        tm = tm[(tm["type"] == "snv") & tm["in_target"] & (tm["status"] != "absent") & tm["sample"].str.contains("-R")]
        for sample, true in tm.groupby("sample"):
            n = metrics["groups"][f"region {sample}"]["n_mutations"]
            assert 0.9 * len(true) <= n <= 1.05 * len(true), (sample, n, len(true))
        counts = sbs96.groupby("group")["count"].sum()
        for group, g in metrics["groups"].items():
            assert g["fitted"] == (g["n_mutations"] >= metrics["min_mutations"]) and counts[group] == g["n_mutations"]
            fitted = exposures[exposures["group"] == group]
            assert fitted["fitted"].all() == g["fitted"]
            if g["fitted"]:
                assert abs(fitted["exposure"].sum() - 1) < 0.01
    shown = [g for p in PATIENTS for g in json.loads((exome_run / "results" / "signatures" / p / "metrics.json")
                                                      .read_text())["groups"].values() if not g["fitted"]]
    assert shown and all(g["n_mutations"] > 0 for g in shown)


@pytest.mark.workflow
def test_exome_copy_number_tree_clades_are_true_ones(exome_run, exome_cohort):
    """The copy-number tree's clades are clades of the true copy-number tree (the regions whose
    dominant clone descends from a clone with an autosomal event), and P1's one true clade
    (R1, R2: its clone 2's LOH on chr4) is found although the SNV region tree groups R2 with R3."""
    from ith.simulate.cntruth import true_cn_clades_from_tables

    for patient in PATIENTS:
        metrics = json.loads((exome_run / "results" / "cntree" / patient / "metrics.json").read_text())
        truth = true_cn_clades_from_tables(_truth_table(exome_cohort, patient, "tree.tsv"),
                                           _truth_table(exome_cohort, patient, "clone_proportions.tsv"))
        mine = {frozenset(c.split(",")) for c in metrics["clades"]}
        assert metrics["n_regions"] == 3 and mine <= truth, (mine, truth)
        if patient == "P1":
            assert mine == truth == {frozenset({"P1-R1", "P1-R2"})}


@pytest.mark.workflow
def test_exome_sampling_sees_every_true_clone(exome_run, exome_cohort):
    """The clones seen across the three regions are the true clones present in them, and a single
    biopsy's share of wrongly truncal calls is within 0.05 of the truth's (~100 clonal calls per
    region: 0.05 is ~5 calls misread clonal or subclonal)."""
    from ith.sampling.curves import calls_from_tables
    from ith.sampling.validate import false_truncal_single

    for patient in PATIENTS:
        richness = json.loads((exome_run / "results" / "sampling" / patient / "richness.json").read_text())
        tm = _truth_table(exome_cohort, patient, "mutations.tsv")
        tm = tm[tm["in_target"] & tm["sample"].str.contains("-R")].rename(columns={"status": "call"})
        regions = sorted(tm["sample"].unique())
        cp = _truth_table(exome_cohort, patient, "clone_proportions.tsv")
        cp = cp[(cp["clone"] != "normal") & cp["sample"].isin(regions)]
        clusters = pd.DataFrame({"cluster_id": cp["clone"], "sample": cp["sample"],
                                 "call": np.where(cp["ccf"] > 0, "subclonal", "absent")})
        true = calls_from_tables(tm, clusters, regions)
        assert richness["clones_observed"] == len(true.clones)
        assert abs(richness["false_truncal_single"] - false_truncal_single(true)) <= 0.05
