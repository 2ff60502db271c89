"""Contamination from allele counts at common SNPs (ith.qc.contamination), against binomial
draws of known contamination and against a simulated cohort whose samples carry another
person's DNA (the simulator's contamination mode)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pysam
import pytest

from ith.qc.contamination import estimate_contamination

LEVELS = (0.0, 0.01, 0.02, 0.05)


def _genotypes(rng: np.random.Generator, af: np.ndarray) -> np.ndarray:
    return (rng.random((len(af), 2)) < af[:, None]).sum(axis=1)


def _counts(rng: np.random.Generator, alt_fraction: np.ndarray, af: np.ndarray, depth: float,
            error: float = 1e-3, chrom: str = "chr1") -> pd.DataFrame:
    """Reads per base at sites whose DNA is alt at `alt_fraction` (ref A, alt C), each read
    wrong at rate `error` to each of the three other bases."""
    n = len(af)
    d = rng.poisson(depth, n)
    f = alt_fraction
    p = np.stack([(1 - f) * (1 - 3 * error) + f * error, f * (1 - 3 * error) + (1 - f) * error,
                  np.full(n, error), np.full(n, error)], axis=1)
    acgt = rng.multinomial(d, p / p.sum(axis=1, keepdims=True))
    return pd.DataFrame(dict(chrom=chrom, pos=np.arange(n) + 1, ref="A", alt="C", depth=d, A=acgt[:, 0],
                             C=acgt[:, 1], G=acgt[:, 2], T=acgt[:, 3], discordant=0, af=af))


def _sample(seed: int, c: float, n: int = 5000, depth: float = 60.0, normal_depth: float = 40.0,
            purity: float = 0.0, loh_share: float = 0.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sample, clean normal) counts at n identity-like sites (population AF 0.2-0.8). The sample
    is a tumour of `purity` whose first `loh_share` of sites lost one allele in the tumour cells,
    contaminated at c by another person drawn from the same frequencies."""
    rng = np.random.default_rng(seed)
    af = rng.uniform(0.2, 0.8, n)
    g, h = _genotypes(rng, af), _genotypes(rng, af)
    loh = np.arange(n) < loh_share * n
    # tumour cells keep one allele where they lost the other: 0 or 2 copies of alt of 1 copy left
    kept = rng.integers(0, 2, n)
    tumour_alt = np.where(loh & (g == 1), kept, g / 2)  # alt share of the tumour cells' DNA
    person = (1 - purity) * g / 2 + purity * tumour_alt
    sample = _counts(rng, (1 - c) * person + c * h / 2, af, depth)
    normal = _counts(rng, g / 2, af, normal_depth)
    return sample, normal


@pytest.mark.parametrize("c", LEVELS)
def test_estimate_is_within_half_a_point_with_an_interval_covering_the_truth(c):
    sample, normal = _sample(11, c)
    for est in (estimate_contamination(sample, normal), estimate_contamination(sample)):
        assert abs(est.estimate - c) <= 0.005, est
        assert est.low <= c <= est.high, est
        assert est.high - est.low < 0.005, est
        assert est.error_rate == pytest.approx(1e-3, rel=0.2)
    assert estimate_contamination(sample, normal).mode == "reference"
    assert estimate_contamination(sample, normal).columns()["contamination"] == estimate_contamination(sample, normal).estimate
    assert estimate_contamination(sample).mode == "self"


def test_flags_from_two_percent_and_unusable_above_five():
    levels = {c: estimate_contamination(*_sample(12, c)) for c in (0.0, 0.005, 0.03, 0.1)}
    assert levels[0.0].flag == "pass" and not levels[0.0].flagged and levels[0.0].estimate < 0.001
    assert levels[0.005].flag == "pass"
    assert levels[0.03].flag == "flagged" and levels[0.03].flagged
    assert levels[0.1].flag == "unusable" and abs(levels[0.1].estimate - 0.1) < 0.01
    # the thresholds are the caller's
    assert estimate_contamination(*_sample(12, 0.005), flag_at=0.004).flag == "flagged"


def test_homozygous_sites_from_the_normal_keep_a_tumour_with_loss_of_heterozygosity_right():
    """A pure tumour with LOH over 40% of its sites: its heterozygous sites there sit at 5-10%
    alt (the normal cells' share), which looks like contamination to the sample alone. With the
    normal's homozygous sites the estimate stays within half a point at every level; alone it
    reads high (the documented upper bound)."""
    for c in LEVELS:
        sample, normal = _sample(13, c, purity=0.9, loh_share=0.4, depth=100)
        ref = estimate_contamination(sample, normal)
        assert abs(ref.estimate - c) <= 0.005 and ref.low <= c <= ref.high, (c, ref)
        if c == 0.0:
            assert ref.flag == "pass"
    alone = estimate_contamination(_sample(13, 0.0, purity=0.9, loh_share=0.4, depth=100)[0])
    assert alone.estimate > 0.005


def test_a_heterozygote_the_normal_calls_homozygous_moves_the_estimate_little():
    """Ten hets whose normal shows no alt read (a low-depth normal could) sit at 50% in the
    sample: the outlier term keeps them from reading as contamination."""
    sample, normal = _sample(14, 0.01)
    g_het = np.flatnonzero((normal["C"] > 10) & (normal["A"] > 10))[:10]
    normal.loc[g_het, "A"] += normal.loc[g_het, "C"]
    normal.loc[g_het, "C"] = 0
    est = estimate_contamination(sample, normal)
    assert abs(est.estimate - 0.01) <= 0.002, est


def test_any_population_frequencies_sex_chromosomes_left_out_and_the_same_bytes_each_time():
    rng = np.random.default_rng(15)
    n = 6000
    af = np.clip(rng.beta(0.5, 1.0, n), 0.01, 0.99)  # mostly rare, as a full population panel
    g, h = _genotypes(rng, af), _genotypes(rng, af)
    sample = _counts(rng, 0.97 * g / 2 + 0.03 * h / 2, af, 60)
    normal = _counts(rng, g / 2, af, 40)
    est = estimate_contamination(sample, normal)
    assert abs(est.estimate - 0.03) <= 0.005 and est.low <= 0.03 <= est.high, est
    assert estimate_contamination(sample, normal) == est
    # sites on X hold a hemizygous male: whatever they show, they are not used
    x = sample.head(500).assign(chrom="chrX", C=sample.head(500)["depth"] // 2)
    both = pd.concat([sample, x], ignore_index=True)
    assert estimate_contamination(both, pd.concat([normal, x], ignore_index=True)) == est
    # no usable site: an answer that says so
    none = estimate_contamination(sample.head(0))
    assert none.n_sites == 0 and np.isnan(none.estimate) and not none.flagged


# -- the simulator's contamination mode --------------------------------------------------------

CONTAMINATION = {"P1-N": 0.03, "P1-R1": 0.05, "P1-R2": 0.01, "P1-R3": 0.0}


@pytest.fixture(scope="module")
def contaminated(tmp_path_factory):
    """One patient, a normal and three regions at 50x on 1 Mb of autosomes (~2,400 population
    SNPs), the normal and two regions contaminated; each sample's fragments counted at every
    site of population.vcf.gz."""
    from ith.liquid.pileup import LiquidPileupParams, count_sites
    from ith.simulate import cohort as cohort_mod
    from ith.simulate.presets import PRESETS

    preset = replace(PRESETS["test"], name="contam", autosome_lengths=(400_000, 350_000, 250_000), x_length=40_000,
                     y_length=10_000, n_patients=1, regions=(3, 3), plasma=(0,), clones=(2, 3), snvs=(60, 80),
                     cn_events=(2, 3), cn_event_length=(30_000, 60_000), normal_depth=50.0, tumour_depth=50.0,
                     contamination=tuple((s, c) for s, c in CONTAMINATION.items() if c > 0))
    out = tmp_path_factory.mktemp("contam") / "sim"
    PRESETS["contam"] = preset
    try:
        cohort_mod.simulate("contam", 5, str(out), threads=2)
    finally:
        del PRESETS["contam"]
    with pysam.VariantFile(str(out / "reference" / "population.vcf.gz")) as fh:
        sites = pd.DataFrame([(r.chrom, r.pos, r.ref, r.alts[0], float(r.info["AF"][0])) for r in fh],
                             columns=["chrom", "pos", "ref", "alt", "af"])
    truth = pd.read_csv(out / "truth" / "samples.tsv", sep="\t").set_index("sample")
    params = LiquidPileupParams(min_mapq=20, min_baseq=20)
    counts = {s: count_sites(str(out / "bams" / "P1" / f"{s}.bam"), sites, params,
                             reference=str(out / "reference" / "genome.fa")).counts.assign(af=sites["af"].to_numpy())
              for s in truth.index}
    return truth, counts, out


def test_truth_records_each_samples_contamination(contaminated):
    truth, _, _ = contaminated
    assert truth["contamination"].to_dict() == CONTAMINATION


def test_contaminant_alleles_are_in_the_reads(contaminated):
    """Where the patient is homozygous reference (a population SNP the truth's germline lacks),
    the contaminated normal shows alt reads at c x the population frequency x depth, the clean
    region about the error rate's share only."""
    _, counts, out = contaminated
    germline = pd.read_csv(out / "truth" / "P1" / "germline.tsv", sep="\t")
    carried = set(zip(germline["chrom"], germline["pos"]))

    def alt_reads(s: str) -> tuple[float, float]:
        t = counts[s]
        hom_ref = ~np.array([(c, p) in carried for c, p in zip(t["chrom"], t["pos"])]) & t["chrom"].str.match(r"chr\d")
        t = t[hom_ref]
        alt = np.array([row[row["alt"]] for _, row in t.iterrows()])
        return float(alt.sum()), float((t["af"] * t["depth"]).sum())

    seen, per_c = alt_reads("P1-N")
    assert 0.8 * 0.03 * per_c < seen < 1.2 * 0.03 * per_c
    seen, per_c = alt_reads("P1-R3")
    assert seen < 0.002 * per_c


@pytest.mark.parametrize("sample", ["P1-R1", "P1-R2", "P1-R3"])
def test_tumour_contamination_from_the_normals_homozygous_sites(contaminated, sample):
    _, counts, _ = contaminated
    c = CONTAMINATION[sample]
    est = estimate_contamination(counts[sample], counts["P1-N"])
    assert abs(est.estimate - c) <= 0.005, est
    assert est.low <= c <= est.high, est
    assert est.n_sites > 1000
    assert est.flagged == (c >= 0.02), est


def test_normal_contamination_from_its_own_counts(contaminated):
    _, counts, _ = contaminated
    est = estimate_contamination(counts["P1-N"])
    assert abs(est.estimate - 0.03) <= 0.005 and est.low <= 0.03 <= est.high and est.flag == "flagged", est


def test_contamination_names_only_samples_the_cohort_has():
    from ith.simulate import cohort as cohort_mod
    from ith.simulate.genome import make_genome
    from ith.simulate.presets import PRESETS

    preset = replace(PRESETS["test"], contamination=(("P9-R1", 0.02),))
    genome = make_genome(np.random.default_rng([1, 0]), preset.autosome_lengths, preset.x_length, preset.y_length,
                         preset.segdups_per_mb)
    with pytest.raises(ValueError, match="P9-R1"):
        cohort_mod.patients(1, preset, genome)


def test_expected_vafs_are_diluted_by_the_contaminants_dna():
    """The truth's expected VAFs of a 5%-contaminated region are its clean ones times about
    0.95 (exactly where the tumour has two copies per cell on average, as the contaminant's
    share is of the genome's mean DNA); a clean region's are untouched."""
    from ith.simulate import cohort as cohort_mod
    from ith.simulate import truth as truth_mod
    from ith.simulate.genome import make_genome
    from ith.simulate.presets import PRESETS

    preset = replace(PRESETS["test"], contamination=(("P1-R1", 0.05),))
    genome = make_genome(np.random.default_rng([1, 0]), preset.autosome_lengths, preset.x_length, preset.y_length,
                         preset.segdups_per_mb)
    patient, specs = cohort_mod.patients(1, preset, genome)[0]
    assert [s.contamination for s in specs[:3]] == [0.0, 0.05, 0.0] and specs[1].contaminant is not None
    dirty = truth_mod.mutation_table(patient, specs)
    clean = truth_mod.mutation_table(patient, [replace(s, contamination=0.0) for s in specs])
    for sample, (lo, hi) in (("P1-R1", (0.93, 0.97)), ("P1-R2", (1.0, 1.0))):
        d = dirty[(dirty["sample"] == sample) & (clean["expected_vaf"] > 0)]
        ratio = d["expected_vaf"].to_numpy() / clean.loc[d.index, "expected_vaf"].to_numpy()
        assert lo <= np.median(ratio) <= hi and lo - 0.03 <= ratio.min() and ratio.max() <= hi + 0.02, sample


def test_contaminating_one_sample_leaves_every_other_file_as_it_was(tmp_path, monkeypatch):
    """A tiny cohort with and without 5% contamination of P1-R1: only that BAM, its index and
    the truth's rows for it (mutations' expected VAFs, samples' contamination) differ."""
    import filecmp

    from ith.simulate import cohort as cohort_mod
    from ith.simulate.presets import PRESETS

    tiny = replace(PRESETS["test"], name="tiny", autosome_lengths=(60_000, 40_000), x_length=30_000, y_length=10_000,
                   n_patients=1, regions=(2, 2), plasma=(1,), clones=(3, 3), snvs=(40, 40), cn_events=(1, 1),
                   cn_event_length=(10_000, 15_000), normal_depth=10, tumour_depth=20, plasma_depth=30)
    monkeypatch.setitem(PRESETS, "tiny", tiny)
    a, b = tmp_path / "a", tmp_path / "b"
    cohort_mod.simulate("tiny", 7, str(a))
    cohort_mod.simulate("tiny", 7, str(b), contamination=(("P1-R1", 0.05),))
    files = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file() and p.name not in ("samples.tsv", "config.yaml"))
    differ = [f for f in files if not filecmp.cmp(a / f, b / f, shallow=False)]
    assert differ == ["bams/P1/P1-R1.bam", "bams/P1/P1-R1.bam.bai", "truth/P1/mutations.tsv"], differ
    ta = pd.read_csv(a / "truth" / "samples.tsv", sep="\t")
    tb = pd.read_csv(b / "truth" / "samples.tsv", sep="\t")
    assert ta.drop(columns="contamination").equals(tb.drop(columns="contamination").assign(
        reads=tb["reads"].where(tb["sample"] != "P1-R1", ta["reads"])))
    assert tb.set_index("sample")["contamination"].to_dict() == {"P1-N": 0.0, "P1-R1": 0.05, "P1-R2": 0.0, "P1-PL1": 0.0}
