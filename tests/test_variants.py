"""Somatic variants against the simulator's truth (test preset, through the workflow), plus the
model's parts and the bad inputs the stage must survive."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pysam
import pysam.bcftools
import pytest

from ith.variants.call import Sample, call_patient, discover_chunk
from ith.io.reference import included_contigs
from ith.variants.chunks import make_chunks
from ith.io.pileup import PileupParams
from ith.variants.presence import PresenceParams, detectable, presence
from ith.variants.somatic import SomaticParams, clustered, log_odds, strand_bias_pvalue

PATIENTS = ["P1", "P2"]


def _truth(cohort, patient):
    return pd.read_csv(cohort / "truth" / patient / "mutations.tsv", sep="\t")


def _passed(run, patient) -> set[str]:
    sites = pd.read_csv(run / "results" / "variants" / patient / "sites.tsv", sep="\t")
    return set(sites.loc[sites["filter"] == "PASS", "mutation_id"])


def _depth(bam: str, chrom: str, pos: int) -> int:
    with pysam.AlignmentFile(bam) as fh:
        cov = fh.count_coverage(chrom, pos - 1, pos, quality_threshold=20,
                                read_callback=lambda r: not r.is_duplicate and r.mapping_quality >= 20)
    return int(sum(c[0] for c in cov))


@pytest.fixture(scope="module")
def calls(workflow_run, cohort):
    out = {}
    for p in PATIENTS:
        truth = _truth(cohort, p)
        tumour = truth[truth["sample"].str.contains("-R")].copy()
        tumour["depth"] = [_depth(str(cohort / "bams" / p / f"{r.sample}.bam"), r.chrom, r.pos) for r in tumour.itertuples()]
        out[p] = (truth, tumour, _passed(workflow_run, p))
    return out


def clear_snv_scores(calls) -> tuple[int, int, int, int]:
    """(found, expected, called, correct) over the patients: SNVs at VAF >= 5% in a region with
    >= 80 reads there, and the PASS calls that are true."""
    found = expected = called = correct = 0
    for p, (truth, tumour, passed) in calls.items():
        snv = tumour[tumour["type"] == "snv"]
        clear = snv[(snv["expected_vaf"] >= 0.05) & (snv["depth"] >= 80)]["mutation_id"].unique()
        found += len(set(clear) & passed)
        expected += len(clear)
        called += len(passed)
        correct += len(passed & set(truth["mutation_id"]))
    return found, expected, called, correct


def test_clear_snvs_are_found_with_high_recall_and_precision(calls):
    found, expected, called, correct = clear_snv_scores(calls)
    assert expected > 150
    assert found / expected >= 0.95, f"recall {found}/{expected}"
    assert correct / called >= 0.95, f"precision {correct}/{called}"


def test_clear_indels_are_found_in_normalised_form_and_flagged(calls, workflow_run):
    found = expected = 0
    for p, (truth, tumour, passed) in calls.items():
        ind = tumour[(tumour["type"] == "indel") & (tumour["expected_vaf"] >= 0.1) & (tumour["depth"] >= 80)]
        ids = set(ind["mutation_id"])
        found += len(ids & passed)
        expected += len(ids)
        vcf = str(workflow_run / "results" / "variants" / p / "somatic.vcf.gz")
        for rec in pysam.VariantFile(vcf):
            if f"{rec.chrom}:{rec.pos}:{rec.ref}:{rec.alts[0]}" in ids:
                assert rec.info.get("INDEL")
    assert expected >= 8
    assert found / expected >= 0.8, f"{found}/{expected}"


def test_low_vaf_subclonal_snvs_shared_by_regions_are_found_by_pooling(calls):
    found = expected = 0
    for p, (truth, tumour, passed) in calls.items():
        snv = tumour[tumour["type"] == "snv"]
        low = snv[(snv["expected_vaf"] >= 0.02) & (snv["expected_vaf"] <= 0.05)]
        high = set(tumour.loc[tumour["expected_vaf"] > 0.05, "mutation_id"])
        n_regions = low.groupby("mutation_id").size()
        ids = set(n_regions[n_regions >= 2].index) - high
        found += len(ids & passed)
        expected += len(ids)
    assert expected >= 10
    assert found / expected >= 0.7, f"{found}/{expected}"


def test_no_germline_snp_is_called_somatic(workflow_run, cohort):
    for p in PATIENTS:
        germ = pd.read_csv(cohort / "truth" / p / "germline.tsv", sep="\t")
        germ_sites = set(germ["chrom"] + ":" + germ["pos"].astype(str))
        called = {m.rsplit(":", 2)[0] for m in _passed(workflow_run, p)}
        assert not (called & germ_sites)


def test_presence_calls_agree_with_truth(workflow_run, cohort):
    agree = total = 0
    for p in PATIENTS:
        counts = pd.read_csv(workflow_run / "results" / "variants" / p / "counts.tsv", sep="\t")
        truth = _truth(cohort, p)[["mutation_id", "sample", "expected_vaf", "status"]]
        m = counts.merge(truth, on=["mutation_id", "sample"])
        informative = m[((m["expected_vaf"] >= 0.03) | (m["status"] == "absent"))]
        agree += int(((informative["expected_vaf"] > 0) == informative["present"]).sum())
        total += len(informative)
    assert total > 500
    assert agree / total >= 0.95, f"{agree}/{total}"


def test_absent_is_only_informative_where_a_clonal_mutation_would_be_seen(workflow_run):
    counts = pd.read_csv(workflow_run / "results" / "variants" / "P1" / "counts.tsv", sep="\t")
    normal = counts[counts["sample"] == "P1-N"]
    assert not normal["detectable"].any()  # purity 0: absence in the normal says nothing about the tumour
    tissue = counts[counts["sample"].isin(["P1-R1", "P1-R3"])]
    assert tissue["detectable"].mean() > 0.9  # purity ~0.7-0.8 at ~100x
    plasma = counts[counts["sample"].str.contains("PL")]
    assert plasma["detectable"].mean() < 0.5  # ctDNA at 1-3%: a clonal mutation is often missed


def test_plasma_counts_are_the_bams_unique_fragments_without_depth_capping(workflow_run, cohort):
    counts = pd.read_csv(workflow_run / "results" / "variants" / "P1" / "counts.tsv", sep="\t")
    truth = _truth(cohort, "P1")
    snv = truth[(truth["sample"] == "P1-PL1") & (truth["type"] == "snv")]
    pl = counts[counts["sample"] == "P1-PL1"].merge(snv[["mutation_id", "chrom", "pos", "alt"]], on="mutation_id")
    same_alt = same_depth = 0
    with pysam.AlignmentFile(str(cohort / "bams" / "P1" / "P1-PL1.bam")) as fh:
        for r in pl.itertuples():
            alt, depth = set(), set()
            for col in fh.pileup(r.chrom, r.pos - 1, r.pos, truncate=True, min_base_quality=20, min_mapping_quality=20,
                                 max_depth=10**6, ignore_overlaps=False):
                for pr in col.pileups:
                    if pr.is_del or pr.is_refskip or pr.alignment.query_qualities[pr.query_position] < 20:
                        continue
                    depth.add(pr.alignment.query_name)
                    if pr.alignment.query_sequence[pr.query_position] == r.alt:
                        alt.add(pr.alignment.query_name)
            # BAQ may lower a few base qualities next to an indel: allow 1% of the depth
            same_depth += abs(r.depth - len(depth)) <= max(1, 0.01 * len(depth))
            same_alt += abs(r.alt_counts - len(alt)) <= 1
    assert pl["depth"].max() > 300  # deeper than bcftools' default cap of 250
    assert same_depth == len(pl) and same_alt >= 0.98 * len(pl)


def test_vcf_is_valid_for_bcftools_with_every_sample_as_a_column(workflow_run, sheet):
    for p in PATIENTS:
        vcf = str(workflow_run / "results" / "variants" / p / "somatic.vcf.gz")
        samples = list(pysam.VariantFile(vcf).header.samples)
        assert samples == list(sheet.loc[sheet["patient"] == p, "sample"])
        n_pass = len(pysam.bcftools.view("-H", "-f", "PASS", vcf).splitlines())
        counts = pd.read_csv(workflow_run / "results" / "variants" / p / "counts.tsv", sep="\t")
        assert n_pass == counts["mutation_id"].nunique() > 100
        assert list(counts.columns[:8]) == ["patient", "mutation_id", "sample", "ref_counts", "alt_counts", "depth",
                                            "present", "detectable"]
        # region queries work through the index
        assert pysam.bcftools.view("-H", vcf, "chr1:1-50000").strip()


# --- the model's parts ------------------------------------------------------------------------

def test_log_odds_grow_with_evidence_and_vanish_without_it():
    lod = log_odds(np.array([0, 1, 3, 6, 6]), np.array([100, 100, 100, 100, 300]), 1e-4)
    assert lod[0] == 0 and np.all(np.diff(lod[:4]) > 0)
    assert lod[3] > lod[4] > lod[2]  # 6% VAF beats 2% VAF, which beats 3 reads at 3%


def test_strand_bias_catches_one_sided_alt_reads_only():
    p = strand_bias_pvalue(np.array([50, 50]), np.array([50, 50]), np.array([20, 11]), np.array([0, 9]))
    assert p[0] < 1e-4 and p[1] > 0.5


def test_clustered_events_need_more_than_the_limit_within_the_window():
    pos = pd.Series([100, 120, 140, 500, 520])
    flags = clustered(pd.Series(["c"] * 5), pos, np.ones(5, bool), window=50, max_events=2)
    assert list(flags) == [True, True, True, False, False]


def test_chunks_tile_every_contig_exactly_and_pack_small_ones():
    contigs = [("a", 1_000_001), ("b", 10)] + [(f"decoy{i}", 1_000) for i in range(2_000)]
    chunks = make_chunks(contigs, 300_000)
    pieces = [r for c in chunks for r in c.regions]
    for name, length in contigs:
        mine = [(s, e) for n, s, e in pieces if n == name]
        assert mine[0][0] == 1 and mine[-1][1] == length
        assert all(a[1] + 1 == b[0] for a, b in zip(mine, mine[1:]))
    assert all(c.length <= 300_000 for c in chunks)
    assert len(chunks) <= 12  # 3.0 Mb in 300 kb chunks, not one job per decoy
    assert included_contigs([("chr1", 5), ("chrM", 5), ("chr1_KI270706v1_random", 5), ("HLA-A*01:01", 5)],
                            "^(chrM|MT|chrEBV)$|_alt$|_decoy$|^HLA-|_random$|^chrUn_") == [("chr1", 5)]


def test_presence_and_detectability_follow_depth_and_purity():
    alt, depth = np.array([0, 1, 3, 3]), np.array([100, 100, 100, 0])
    present, _ = presence(alt, depth, np.full(4, 5e-4), PresenceParams())
    assert list(present) == [False, False, True, False]
    det = detectable(np.array([100, 100, 5, 0]), np.full(4, 5e-4), np.array([0.6, 0.02, 0.6, 0.6]), PresenceParams())
    assert list(det) == [True, False, False, False]


# --- bad input --------------------------------------------------------------------------------

def _samples(cohort, sheet, patient):
    rows = sheet[sheet["patient"] == patient]
    return [Sample(r.sample, r.type, str(cohort / "bams" / patient / f"{r.sample}.bam")) for r in rows.itertuples()]


def test_a_chunk_without_reads_gives_an_empty_valid_table(cohort, sheet):
    # P1 is female: no read on chrY
    table, _ = discover_chunk(_samples(cohort, sheet, "P1"), str(cohort / "reference" / "genome.fa"), [("chrY", 1, 20000)],
                              PileupParams(), SomaticParams(), 2, False)
    assert len(table) == 0 and {"chrom", "pos", "P1-R1|alt"} <= set(table.columns)


def test_a_patient_without_mutations_and_plasma_without_coverage_give_valid_outputs(cohort, sheet, tmp_path):
    from ith.variants.vcfout import write_vcf
    from ith.io.reference import read_fai

    fasta = str(cohort / "reference" / "genome.fa")
    samples = _samples(cohort, sheet, "P1")
    # a plasma BAM with a header and no reads
    empty = tmp_path / "empty.bam"
    with pysam.AlignmentFile(samples[0].bam) as src, pysam.AlignmentFile(str(empty), "wb", template=src):
        pass
    pysam.index(str(empty))
    samples = [s for s in samples if s.type != "plasma"] + [Sample("P1-PL0", "plasma", str(empty))]
    none = call_patient("P1", samples, [], fasta, PileupParams(), SomaticParams(), PresenceParams(), False)
    assert len(none.table) == 0 and len(none.sites) == 0
    write_vcf(str(tmp_path / "none.vcf.gz"), read_fai(fasta, "x"), [s.name for s in samples], none.sites,
              none.counts.ref, none.counts.alt, none.counts.ref_fwd, none.counts.ref_rev, none.counts.alt_fwd,
              none.counts.alt_rev, fasta)
    assert pysam.bcftools.view("-H", str(tmp_path / "none.vcf.gz")) == ""
    # with mutations: the uncovered plasma is "not present" and "not detectable", never "absent" by evidence
    chunk, _ = discover_chunk(samples, fasta, [("chr1", 1, 60000)], PileupParams(), SomaticParams(), 2, False)
    res = call_patient("P1", samples, [chunk], fasta, PileupParams(), SomaticParams(), PresenceParams(), False)
    pl = res.table[res.table["sample"] == "P1-PL0"]
    assert len(pl) > 5 and (pl["depth"] == 0).all() and not pl["present"].any() and not pl["detectable"].any()


def test_external_calls_join_the_candidates_and_drivers_are_flagged(cohort, sheet, tmp_path):
    """Sites from e.g. Mutect2 run elsewhere are piled up and scored even where discovery found nothing."""
    fasta = str(cohort / "reference" / "genome.fa")
    truth = _truth(cohort, "P2")
    clear = truth[(truth["sample"] == "P2-R1") & (truth["expected_vaf"] > 0.2) & (truth["chrom"] == "chr2")].head(5)
    vcf = tmp_path / "ext.vcf"
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr2>", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    lines += [f"chr2\t{r.pos}\t.\t{r.ref}\t{r.alt}\t.\tPASS\t." for r in clear.itertuples()]
    lines += [f"chr2\t{clear.pos.iloc[0]}\t.\t{clear.ref.iloc[0]}\t{'ACGT'.replace(clear.ref.iloc[0], '').replace(clear.alt.iloc[0], '')[0]}\t.\tPASS\t."]
    vcf.write_text("\n".join(lines) + "\n")
    drivers = tmp_path / "drivers.bed"
    drivers.write_text(f"chr2\t{clear.pos.iloc[1] - 10}\t{clear.pos.iloc[1] + 10}\tGENE1\n")
    res = call_patient("P2", _samples(cohort, sheet, "P2"), [], fasta, PileupParams(), SomaticParams(),
                       PresenceParams(), False, drivers=str(drivers), external_vcf=str(vcf))
    ids = res.sites["chrom"] + ":" + res.sites["pos"].astype(str) + ":" + res.sites["ref"] + ":" + res.sites["alt"]
    passed = set(ids[res.sites["filters"] == ""])
    assert set(clear["mutation_id"]) <= passed
    assert len(res.sites) == 6 and res.sites["external"].all()  # the second allele at one position is kept too
    assert (res.sites["filters"] != "").sum() == 1  # ... and fails: no tumour support
    flagged = res.table.loc[res.table["driver"] == "GENE1", "mutation_id"].unique()
    assert list(flagged) == [clear["mutation_id"].iloc[1]]


def test_an_indel_private_to_one_region_is_found_among_many_regions(cohort, sheet):
    """A region-private indel must survive being piled up with many regions that lack it (bcftools
    pools its indel-candidate thresholds over samples unless given -p; on the demo cohort that
    pooling lost 10 of patient P1's 35 clear indels)."""
    truth = _truth(cohort, "P1")
    tumour = truth[truth["sample"].str.contains("-R") & (truth["type"] == "indel")]
    carriers = tumour[tumour["expected_vaf"] > 0].groupby("mutation_id")["sample"].nunique()
    vaf = tumour.groupby("mutation_id")["expected_vaf"].max()
    private = [m for m in carriers[carriers == 1].index if vaf[m] >= 0.1]
    if not private:  # fall back to the indel with the fewest carrying regions
        private = [carriers.idxmin()]
    mid = private[0]
    chrom, pos = mid.split(":")[0], int(mid.split(":")[1])
    carrier = tumour[(tumour["mutation_id"] == mid) & (tumour["expected_vaf"] > 0)]["sample"].iloc[0]
    bam = {r.sample: str(cohort / "bams" / "P1" / f"{r.sample}.bam") for r in sheet[sheet["patient"] == "P1"].itertuples()}
    others = [s for s in bam if s.startswith("P1-R") and s != carrier]
    samples = [Sample("P1-N", "normal", bam["P1-N"]), Sample(carrier, "tumour", bam[carrier])]
    samples += [Sample(f"{s}-{k}", "tumour", bam[s]) for k in range(4) for s in others]  # 8 non-carrying "regions"
    table, _ = discover_chunk(samples, str(cohort / "reference" / "genome.fa"), [(chrom, pos - 50, pos + 50)],
                              PileupParams(), SomaticParams(), 2, False)
    found = set(table["chrom"] + ":" + table["pos"].astype(str) + ":" + table["ref"] + ":" + table["alt"])
    assert mid in found


def test_population_lookup_finds_the_resources_allele_frequency_and_only_for_the_same_allele(cohort):
    from ith.io.naming import resource_naming
    from ith.io.reference import read_fai
    from ith.variants.annotate import vcf_lookup

    vcf = str(cohort / "reference" / "population.vcf.gz")
    names = resource_naming(vcf, "variants.germline_resource", read_fai(str(cohort / "reference" / "genome.fa"), "x"),
                            "vcf")
    recs = [r for _, r in zip(range(40), pysam.VariantFile(vcf))]
    other = {r.pos: next(b for b in "ACGT" if b not in (r.ref, r.alts[0])) for r in recs}
    sites = pd.DataFrame([(r.chrom, r.pos, r.ref, r.alts[0]) for r in recs] +
                         [(r.chrom, r.pos, r.ref, other[r.pos]) for r in recs], columns=["chrom", "pos", "ref", "alt"])
    af = vcf_lookup(sites, vcf, True, names)
    assert np.allclose(af[:40], [r.info["AF"][0] for r in recs], atol=1e-4)
    assert np.isnan(af[40:]).all()
    assert list(vcf_lookup(sites, vcf, False, names)) == [1.0] * 40 + [0.0] * 40


def test_prefiltered_discovery_gives_the_full_pileups_sites_and_hets_for_bam_and_cram(cohort, sheet, tmp_path):
    """The candidate pass must keep every site the full pileup emits, with the same counts and
    scores (BAQ context included), around a true indel and its neighbouring SNVs; a CRAM of the
    same reads (its bases decoded by the child samtools) must give the same tables."""
    from ith.germline import HetParams

    fasta = str(cohort / "reference" / "genome.fa")
    truth = _truth(cohort, "P1")
    indel = truth[truth["type"] == "indel"]["mutation_id"].iloc[0]
    chrom, pos = indel.split(":")[0], int(indel.split(":")[1])
    region = [(chrom, max(1, pos - 20000), pos + 20000)]
    samples = _samples(cohort, sheet, "P1")
    full = discover_chunk(samples, fasta, region, PileupParams(), SomaticParams(), 2, False, hets=HetParams(),
                          prefilter=False)
    fast = discover_chunk(samples, fasta, region, PileupParams(), SomaticParams(), 2, False, hets=HetParams())
    assert len(full[0]) >= 5 and len(full[1]) >= 5 and full[0]["indel"].any()
    pd.testing.assert_frame_equal(fast[0], full[0])
    pd.testing.assert_frame_equal(fast[1], full[1])
    crams = []
    for s in samples:
        cram = tmp_path / (s.name + ".cram")
        pysam.samtools.view("-C", "-T", fasta, "-o", str(cram), s.bam, f"{chrom}:{region[0][1]}-{region[0][2]}",
                            catch_stdout=False)
        pysam.samtools.index(str(cram))
        crams.append(Sample(s.name, s.type, str(cram), s.purity))
    cram = discover_chunk(crams, fasta, region, PileupParams(), SomaticParams(), 2, False, hets=HetParams())
    pd.testing.assert_frame_equal(cram[0], full[0])
    pd.testing.assert_frame_equal(cram[1], full[1])
