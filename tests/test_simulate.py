"""The simulator's truth is self-consistent and its BAMs carry what the truth says."""

from __future__ import annotations

import filecmp
from dataclasses import replace

import numpy as np
import pandas as pd
import pysam
import pytest

from ith.simulate import cohort as cohort_mod
from ith.simulate.genome import make_genome
from ith.simulate.presets import PRESETS


def _tsv(path):
    return pd.read_csv(path, sep="\t")


def _allele_counts(bam: str, chrom: str, pos: int, min_bq: int = 20) -> dict[str, int]:
    with pysam.AlignmentFile(bam) as fh:
        cov = fh.count_coverage(chrom, pos - 1, pos, quality_threshold=min_bq,
                                read_callback=lambda r: not r.is_duplicate and r.mapping_quality >= 20)
    return {b: int(cov[i][0]) for i, b in enumerate("ACGT")}


def test_observed_vafs_at_truth_sites_match_expected_within_binomial_noise(cohort):
    truth = _tsv(cohort / "truth" / "P1" / "mutations.tsv")
    truth = truth[truth["type"] == "snv"]
    z_all = []
    for sample in ["P1-R1", "P1-R2", "P1-R3"]:
        sub = truth[truth["sample"] == sample]
        bam = str(cohort / "bams" / "P1" / f"{sample}.bam")
        for r in sub.itertuples():
            c = _allele_counts(bam, r.chrom, r.pos)
            depth = sum(c.values())
            if depth < 20 or r.expected_vaf <= 0:
                continue
            e = r.expected_vaf
            z_all.append((c[r.alt] - depth * e) / np.sqrt(depth * e * (1 - e)))
    z = np.array(z_all)
    assert len(z) > 200
    assert abs(z.mean()) < 0.15, "observed VAFs are biased against the truth"
    assert 0.8 < z.std() < 1.25, "VAF spread is not binomial"
    assert (np.abs(z) > 4).mean() < 0.005


def test_truly_absent_mutations_have_no_alt_reads_beyond_sequencing_error(cohort):
    truth = _tsv(cohort / "truth" / "P1" / "mutations.tsv")
    truth = truth[truth["type"] == "snv"]
    absent = truth[(truth["status"] == "absent") & (truth["sample"].isin(["P1-N", "P1-R1", "P1-R2", "P1-R3"]))]
    alt = depth = 0
    for r in absent.itertuples():
        c = _allele_counts(str(cohort / "bams" / "P1" / f"{r.sample}.bam"), r.chrom, r.pos)
        alt += c[r.alt]
        depth += sum(c.values())
    assert depth > 10_000
    assert alt / depth < 0.002  # Q>=20 bases: errors ~1e-4 per specific alt base


def test_expected_vaf_follows_from_purity_copy_number_and_multiplicity(cohort):
    m = _tsv(cohort / "truth" / "P2" / "mutations.tsv")
    seg = _tsv(cohort / "truth" / "P2" / "segments.tsv")
    pur = _tsv(cohort / "truth" / "P2" / "purity_ploidy.tsv").set_index("sample")["purity"]
    clonal = m[(m["status"] == "clonal") & m["sample"].str.contains("-R")]
    checked = 0
    for r in clonal.itertuples():
        s = seg[(seg["sample"] == r.sample) & (seg["chrom"] == r.chrom) & (seg["start"] <= r.pos) & (seg["end"] >= r.pos)]
        assert len(s) == 1, "segments must tile the genome without overlaps"
        if s["subclonal"].iloc[0]:
            continue
        assert (s["major_cn"].iloc[0], s["minor_cn"].iloc[0]) == (r.major_cn, r.minor_cn)
        p = pur[r.sample]
        # clonal SNV on clonal copy number: VAF = p m / (p C + n0 (1 - p))
        assert r.expected_vaf == pytest.approx(p * r.multiplicity / (p * r.total_cn + r.normal_cn * (1 - p)), abs=2e-6)
        checked += 1
    assert checked > 100


def test_whole_genome_doubling_patient_has_truncal_mutations_at_multiplicity_two(cohort):
    tree = _tsv(cohort / "truth" / "P2" / "tree.tsv")
    assert "wgd" in tree.loc[tree["clone"] == "C0", "cn_events"].iloc[0]
    pp = _tsv(cohort / "truth" / "P2" / "purity_ploidy.tsv")
    assert pp["wgd"].all() and (pp["ploidy"] > 3).all()
    m = _tsv(cohort / "truth" / "P2" / "mutations.tsv")
    trunk = m[(m["clone"] == "C0") & (m["sample"] == "P2-R1")]
    assert (trunk["multiplicity"] == 2).mean() > 0.2  # gained before the doubling
    assert (trunk["multiplicity"] == 1).mean() > 0.2  # gained after it


def test_cohort_has_branched_trees_copy_number_events_and_private_clones(cohort):
    kinds = set()
    for p in ["P1", "P2"]:
        tree = _tsv(cohort / "truth" / p / "tree.tsv")
        assert 3 <= len(tree) <= 8
        kinds |= {e.split(":")[0] for e in tree["cn_events"].dropna() for e in e.split(";")}
        props = _tsv(cohort / "truth" / p / "clone_proportions.tsv")
        regions = props[props["sample"].str.contains("-R") & (props["clone"] != "normal")]
        present = regions[regions["fraction"] > 0].groupby("clone")["sample"].nunique()
        assert (present == 1).any(), f"{p}: no clone private to one region"
        for s, g in props.groupby("sample"):
            assert np.isclose(g["fraction"].sum(), 1.0, atol=1e-4)
    assert {"gain", "loss", "cnloh", "wgd"} <= kinds


def test_plasma_series_has_a_growing_subclone(cohort):
    clones = _tsv(cohort / "truth" / "P1" / "clones.tsv")
    grow = clones[clones["growing"]]
    assert grow["sample"].nunique() == 2
    shares = grow.sort_values("timepoint")["share"].to_numpy()
    assert shares[-1] > shares[0] + 0.2
    ct = _tsv(cohort / "truth" / "P1" / "ctdna.tsv")
    assert ((ct["tumour_fraction"] >= 0) & (ct["tumour_fraction"] <= 0.1)).all()


def test_ctdna_fragments_are_shorter_than_wild_type_fragments(cohort):
    truth = _tsv(cohort / "truth" / "P1" / "mutations.tsv")
    sites = truth[(truth["sample"] == "P1-PL2") & (truth["expected_vaf"] > 0) & (truth["type"] == "snv")]
    mut_len, wt_len = [], []
    with pysam.AlignmentFile(str(cohort / "bams" / "P1" / "P1-PL2.bam")) as fh:
        for r in sites.itertuples():
            for col in fh.pileup(r.chrom, r.pos - 1, r.pos, truncate=True, min_base_quality=20, stepper="nofilter",
                                 max_depth=100_000):
                for pr in col.pileups:
                    if pr.is_del or pr.alignment.is_duplicate or pr.alignment.template_length <= 0:
                        continue
                    base = pr.alignment.query_sequence[pr.query_position]
                    (mut_len if base == r.alt else wt_len).append(abs(pr.alignment.template_length))
    assert len(mut_len) > 30
    assert np.median(mut_len) < np.median(wt_len) - 8
    assert 160 <= np.median(wt_len) <= 180


def test_indels_are_in_the_reads_with_their_cigar_at_the_expected_fraction(cohort):
    truth = _tsv(cohort / "truth" / "P1" / "mutations.tsv")
    indels = truth[(truth["type"] == "indel") & (truth["sample"] == "P1-R1") & (truth["expected_vaf"] > 0.1)]
    assert len(indels) >= 5
    observed = expected = 0.0
    with pysam.AlignmentFile(str(cohort / "bams" / "P1" / "P1-R1.bam")) as fh:
        for r in indels.itertuples():
            size = len(r.ref) - len(r.alt)
            op = "D" if size > 0 else "I"
            reads = [a for a in fh.fetch(r.chrom, r.pos - 1, r.pos) if not a.is_duplicate
                     and a.reference_start + 5 <= r.pos and a.reference_end - 5 >= r.pos]
            observed += sum(f"{abs(size)}{op}" in a.cigarstring for a in reads)
            expected += r.expected_vaf * len(reads)
    # reads with too little flank on either side do not show the indel, as with a real aligner
    assert 0.6 * expected < observed < 1.1 * expected


def test_germline_snps_have_the_genotype_allele_fractions_in_the_normal(cohort):
    g = _tsv(cohort / "truth" / "P2" / "germline.tsv")
    bam = str(cohort / "bams" / "P2" / "P2-N.bam")
    het = g[(g["genotype"] == "0/1")].iloc[::10]
    fr = []
    for r in het.itertuples():
        c = _allele_counts(bam, r.chrom, r.pos)
        if sum(c.values()) >= 20:
            fr.append(c[r.alt] / sum(c.values()))
    assert 0.45 < np.mean(fr) < 0.55
    # the male patient is hemizygous on X: no heterozygous calls there
    assert set(g.loc[g["chrom"] == "chrX", "genotype"]) == {"1"}


def test_simulated_reads_carry_duplicates_paralog_mismapping_and_base_errors(cohort):
    stats = pysam.samtools.stats(str(cohort / "bams" / "P1" / "P1-R1.bam"))
    sn = {l.split("\t")[1].rstrip(":"): float(l.split("\t")[2]) for l in stats.splitlines() if l.startswith("SN\t")}
    assert 0.02 < sn["reads duplicated"] / sn["raw total sequences"] < 0.06
    assert 0.005 < sn["reads MQ0"] / sn["raw total sequences"] < 0.08
    assert 0.001 < sn["error rate"] < 0.01  # from the NM tags


def _tiny(preset):
    return replace(preset, name="tiny", autosome_lengths=(60_000, 40_000), x_length=30_000, y_length=10_000,
                   n_patients=1, regions=(2, 2), plasma=(1,), clones=(3, 3), snvs=(40, 40), cn_events=(1, 1),
                   cn_event_length=(10_000, 15_000), normal_depth=10, tumour_depth=20, plasma_depth=30)


def test_same_seed_gives_the_same_bytes_whatever_the_thread_count(tmp_path, monkeypatch):
    monkeypatch.setitem(PRESETS, "tiny", _tiny(PRESETS["test"]))
    a, b = tmp_path / "a", tmp_path / "b"
    cohort_mod.simulate("tiny", 7, str(a), threads=1)
    cohort_mod.simulate("tiny", 7, str(b), threads=2)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file() and p.name not in ("samples.tsv", "config.yaml"))
    assert any(str(f).endswith(".bam") for f in files)
    for f in files:
        assert filecmp.cmp(a / f, b / f, shallow=False), f"{f} differs between runs"
    c = tmp_path / "c"
    cohort_mod.simulate("tiny", 8, str(c), threads=1)
    assert not filecmp.cmp(a / "truth" / "P1" / "mutations.tsv", c / "truth" / "P1" / "mutations.tsv", shallow=False)


def test_demo_preset_has_three_patients_with_one_whole_genome_doubling():
    preset = PRESETS["demo"]
    genome = make_genome(np.random.default_rng([1, 0]), preset.autosome_lengths, preset.x_length, preset.y_length,
                         preset.segdups_per_mb)
    patients = cohort_mod.patients(1, preset, genome)
    assert len(patients) == 3
    assert sum(p.tumour.wgd for p, _ in patients) >= 1
    for p, specs in patients:
        regions = [s for s in specs if s.type == "tumour"]
        plasma = [s for s in specs if s.type == "plasma"]
        assert 4 <= len(regions) <= 6 and len(plasma) <= 3
        assert all(0.3 <= s.purity <= 0.9 for s in regions)
        assert all(0 <= s.purity <= 0.1 for s in plasma)


def test_example_sample_sheet_is_the_demo_cohort(tmp_path):
    """config/samples.tsv documents the sheet format with exactly what `make demo` simulates."""
    from pathlib import Path

    from ith.io.tables import write_tsv

    root = Path(__file__).resolve().parents[1]
    write_tsv(cohort_mod.planned_sheet("demo", 1, "demo"), str(tmp_path / "s.tsv"), na_rep="")
    assert (tmp_path / "s.tsv").read_text() == (root / "config" / "samples.tsv").read_text()


def test_clone_separation_redraws_compositions_until_clones_are_distinguishable():
    """With clone_separation 4, every two clones of every patient are >= 4 standard errors of a
    heterozygous VAF apart (combined over regions); drawn without it, seed 1's doubled patient
    has a pair at 2.0 (the pair no method separates at 100x)."""
    from ith.simulate.samples import clone_separation

    def separations(preset):
        genome = make_genome(np.random.default_rng([1, 0]), preset.autosome_lengths, preset.x_length,
                             preset.y_length, preset.segdups_per_mb)
        out = []
        for p, specs in cohort_mod.patients(1, preset, genome):
            regions = [s for s in specs if s.type == "tumour"]
            z = clone_separation(p.tumour, np.array([s.clone_props for s in regions]),
                                 np.array([s.purity for s in regions]), preset.tumour_depth)
            assert z == pytest.approx(p.notes["clone_separation"], abs=0.01)
            out.append(z)
        return out

    assert min(separations(replace(PRESETS["test"], clone_separation=0.0))) < 2.5
    assert min(separations(replace(PRESETS["test"], clone_separation=4.0))) >= 4.0


def test_tree_margin_redraws_compositions_until_the_ccfs_identify_the_tree():
    """With tree_margin 0.05, no tree but the true one fits any patient's true CCFs within 0.05
    (seeds 1-3 of the demo preset, 3-8 clones); drawn without it, some patient's CCFs fit another
    tree exactly, so no method could be scored on its tree."""
    from ith.simulate.samples import has_rival_tree, region_ccfs, trees_fitting

    def rivals(preset, margin):
        out = []
        for seed in (1, 2, 3):
            genome = make_genome(np.random.default_rng([seed, 0]), preset.autosome_lengths, preset.x_length,
                                 preset.y_length, preset.segdups_per_mb)
            for p, specs in cohort_mod.patients(seed, preset, genome):
                props = np.array([s.clone_props for s in specs if s.type == "tumour"])
                ccf = region_ccfs(p.tumour, props)
                assert list(p.tumour.parents) in trees_fitting(ccf)  # the truth always fits itself
                out.append(has_rival_tree(p.tumour, props, margin))
                assert p.notes["tree_identifiable"] == (preset.tree_margin is None or not out[-1])
        return out

    assert any(rivals(PRESETS["demo"], 0.0))
    assert not any(rivals(replace(PRESETS["demo"], clone_separation=4.0, tree_margin=0.05), 0.05))
