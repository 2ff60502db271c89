"""QC metrics agree with the simulator's truth; a swapped sample is flagged."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pysam
import pytest

from ith.errors import InputError
from ith.io.alignments import BamFormatError
from ith.io.jsonout import write_json
from ith.io.tables import write_tsv
from ith.qc import onepass
from ith.qc.bamstats import QcParams, non_n_intervals, sample_qc, samtools_qc
from ith.qc.contamination import ContaminationParams, patient_contamination
from ith.qc.gate import apply_identity_policy, identity_failures
from ith.io.sitecount import SiteCounter, count_sites, site_pileup
from ith.qc.identity import IdentityParams, identity_check, identity_from_counts, sites_from_known
from ith.qc.sitecounts import MIN_BASEQ
from ith.qc.summary import console_flags, qc_summary
from ith.simulate.presets import PRESETS


@pytest.fixture(scope="module")
def qc_runs(cohort):
    """Every sample's QC pass, carrying the identity SNPs' counter as the workflow's does: the
    metrics, and the allele counts at the identity sites (tables as rule qc_sample writes them)."""
    truth = pd.read_csv(cohort / "truth" / "samples.tsv", sep="\t")
    fasta = str(cohort / "reference" / "genome.fa")
    sites = sites_from_known(str(cohort / "reference" / "population.vcf.gz"), fasta, IdentityParams())
    out, counts = {}, {}
    for r in truth.itertuples():
        bam = str(cohort / "bams" / r.patient / f"{r.sample}.bam")
        counter = SiteCounter(sites["chrom"].to_numpy(), sites["pos"].to_numpy(), sites["ref"].to_numpy(), 20,
                              MIN_BASEQ)
        out[r.sample] = (r, sample_qc(bam, fasta, sample=r.sample, patient=r.patient, params=QcParams(),
                                      declared_sex=r.sex, sites=counter))
        table = site_pileup(sites, counter.tally()).counts
        table.insert(4, "af", sites["af"].to_numpy())
        counts[r.sample] = table
    return out, counts


@pytest.fixture(scope="module")
def qc_results(qc_runs):
    return qc_runs[0]


def test_depth_matches_the_simulated_depth_after_duplicates(qc_results):
    for sample, (truth, qc) in qc_results.items():
        expected = truth.depth * (1 - qc["duplicate_percent"] / 100)
        assert qc["mean_depth"] == pytest.approx(expected, rel=0.12), sample
        assert qc["median_depth"] == pytest.approx(truth.depth, rel=0.15), sample


def test_duplicate_rate_matches_the_simulated_pcr_duplicates(qc_results):
    preset = PRESETS["test"]
    for sample, (truth, qc) in qc_results.items():
        rate = preset.plasma_duplicate_rate if truth.type == "plasma" else preset.duplicate_rate
        assert qc["duplicate_percent"] == pytest.approx(100 * rate / (1 + rate), abs=0.6), sample


def test_plasma_fragments_peak_at_the_nucleosome_and_tissue_at_the_library_insert(qc_results):
    for sample, (truth, qc) in qc_results.items():
        if truth.type == "plasma":
            assert 160 <= qc["fragment_mode"] <= 175, sample
            assert qc["fraction_short_fragments"] > 0.05
        else:
            assert abs(qc["fragment_mode"] - truth.fragment_mode) <= 30, sample
            assert qc["fraction_short_fragments"] < 0.02
    plasma = [qc["fraction_short_fragments"] for t, qc in qc_results.values() if t.type == "plasma"]
    tissue = [qc["fraction_short_fragments"] for t, qc in qc_results.values() if t.type != "plasma"]
    assert min(plasma) > 5 * max(tissue)


def test_sex_is_inferred_right_for_every_sample(qc_results):
    for sample, (truth, qc) in qc_results.items():
        assert qc["sex"] == truth.sex, (sample, qc["x_ratio"], qc["y_ratio"])
        assert not qc["sex_mismatch"]


def test_mapq_and_mapping_summaries_are_present_and_plausible(qc_results):
    for sample, (truth, qc) in qc_results.items():
        assert qc["reads"] == truth.reads
        assert qc["mapped_percent"] == 100.0
        assert 0 < qc["fraction_mapq0"] < 0.1
        assert qc["fraction_mapq_ge30"] > 0.9


# -- the one pass against samtools (the previous method) on the same files -------------------------

# the keys whose definitions are samtools stats' / idxstats' own: equal to the last digit
SAME_AS_SAMTOOLS = ["reads", "mapped_reads", "mapped_percent", "duplicate_percent", "properly_paired_percent",
                    "read_length_mean", "mapq_mean", "fraction_mapq0", "fraction_mapq_ge30", "assay_bases",
                    "fragment_mode", "sex", "x_ratio", "y_ratio", "sex_note"]


@pytest.fixture(scope="module")
def with_samtools(cohort):
    """A normal and a tumour region: (bam, one pass, samtools stats twice + idxstats)."""
    fasta = str(cohort / "reference" / "genome.fa")
    out = []
    for patient, sample in (("P2", "P2-N"), ("P1", "P1-R3")):
        bam = str(cohort / "bams" / patient / f"{sample}.bam")
        out.append((bam, sample_qc(bam, fasta, sample, patient), samtools_qc(bam, fasta, sample, patient)))
    return out


def test_one_pass_counts_equal_samtools_stats(with_samtools):
    for bam, ours, theirs in with_samtools:
        assert {k: ours[k] for k in SAME_AS_SAMTOOLS} == {k: theirs[k] for k in SAME_AS_SAMTOOLS}, bam
        assert ours["reads"] > 100_000 and ours["duplicate_percent"] > 1
        # samtools prints the mean quality to 1 decimal and the error rate from a float32 division
        assert ours["base_quality_mean"] == pytest.approx(theirs["base_quality_mean"], abs=0.05)
        assert ours["error_rate"] == pytest.approx(theirs["error_rate"], rel=1e-6)
        # samtools' IS section stops at 99% of the pairs ("main bulk"): every size it lists has
        # the same count here, and the pairs beyond it are the difference
        mine, its = dict(map(tuple, ours["fragment_histogram"])), dict(map(tuple, theirs["fragment_histogram"]))
        bulk = max(its)
        assert {s: c for s, c in mine.items() if s <= bulk} == its
        assert ours["fragment_pairs"] - theirs["fragment_pairs"] == sum(c for s, c in mine.items() if s > bulk)
        assert 0 < ours["fragment_pairs"] - theirs["fragment_pairs"] < 0.02 * ours["fragment_pairs"]
        assert abs(ours["fragment_median"] - theirs["fragment_median"]) <= 1
        assert ours["fragment_mean"] == pytest.approx(theirs["fragment_mean"], rel=0.01)


def _samtools_depth(bam: str, fasta: str, min_mapq: int, top: int, bed: str | None = None) -> np.ndarray:
    """Positions per depth over the non-N bases (or a BED's), by `samtools depth -aa`: the same
    reads (its default filter drops unmapped, secondary, QC-failed and duplicate records; -g
    0x800 keeps supplementary ones), overlapping mates counted twice."""
    with pysam.FastaFile(fasta) as fa:
        seqs = {c: fa.fetch(c) for c in fa.references}
    hist = np.zeros(top + 1, dtype=np.int64)
    args = ["-aa", "-Q", str(min_mapq), "-g", "0x800"] + (["-b", bed] if bed else [])
    for line in pysam.samtools.depth(*args, bam).splitlines():
        contig, pos, depth = line.split("\t")
        if bed or seqs[contig][int(pos) - 1] not in "Nn":
            hist[min(int(depth), top)] += 1
    return hist


def test_depth_histogram_equals_samtools_depth_over_the_assay(cohort, with_samtools, tmp_path):
    fasta = str(cohort / "reference" / "genome.fa")
    bam = with_samtools[0][0]
    wgs = non_n_intervals(fasta)
    for min_mapq in (20, 0):
        ours = onepass.qc_pass(bam, wgs, min_mapq, 1000, 300)
        assert np.array_equal(ours.depth_hist, _samtools_depth(bam, fasta, min_mapq, 300)), min_mapq
    # without a MAPQ threshold the depth is what samtools stats -d measured
    params = QcParams(min_mapq=0)
    depth = ["mean_depth", "median_depth", "fraction_10x", "fraction_30x"]
    ours, theirs = sample_qc(bam, fasta, "s", "p", params), samtools_qc(bam, fasta, "s", "p", params)
    assert {k: ours[k] for k in depth} == {k: theirs[k] for k in depth}
    assert with_samtools[0][1]["mean_depth"] < ours["mean_depth"]  # the MAPQ 0/1 reads of the repeats
    # capture: targets named without 'chr', two of them overlapping (their shared bases count once)
    bed = tmp_path / "targets.bed"
    bed.write_text("2\t1000\t5000\n2\t4000\t9000\n3\t100\t200\nX\t500\t2500\n")
    in_reference = tmp_path / "targets.chr.bed"
    in_reference.write_text("chr2\t1000\t9000\nchr3\t100\t200\nchrX\t500\t2500\n")
    capture = sample_qc(bam, fasta, "s", "p", targets=str(bed))
    assert capture["assay_bases"] == 8000 + 100 + 2000
    ours = onepass.qc_pass(bam, {"chr2": (np.array([1000]), np.array([9000])),
                                 "chr3": (np.array([100]), np.array([200])),
                                 "chrX": (np.array([500]), np.array([2500]))}, 20, 1000, 300)
    assert np.array_equal(ours.depth_hist, _samtools_depth(bam, fasta, 20, 300, str(in_reference)))
    assert capture["mean_depth"] == round(float((np.arange(301) * ours.depth_hist).sum() / 10_100), 3)


def test_a_small_depth_ring_grows_to_the_same_histogram(cohort, monkeypatch):
    """Reads longer than the ring make it grow (as a read spanning a long deletion or intron
    would with the default ring): the same histogram."""
    fasta = str(cohort / "reference" / "genome.fa")
    bam = str(cohort / "bams" / "P2" / "P2-N.bam")
    wgs = non_n_intervals(fasta)
    want = onepass.qc_pass(bam, wgs, 20, 1000, 300)
    monkeypatch.setattr(onepass, "RING_BYTES", 4 * 16)
    got = onepass.qc_pass(bam, wgs, 20, 1000, 300)
    assert np.array_equal(got.depth_hist, want.depth_hist) and got.depth_reads == want.depth_reads


def test_a_cram_gives_the_bams_metrics_and_identity_counts(cohort, tmp_path, qc_runs):
    from conftest import to_cram

    fasta = cohort / "reference" / "genome.fa"
    bam = cohort / "bams" / "P1" / "P1-R1.bam"
    cram = to_cram(bam, fasta, tmp_path / "P1-R1.cram")
    ours = sample_qc(str(bam), str(fasta), "P1-R1", "P1")
    sites = qc_runs[1]["P1-R1"]
    counter = SiteCounter(sites["chrom"].to_numpy(), sites["pos"].to_numpy(), sites["ref"].to_numpy(), 20, MIN_BASEQ)
    from_cram = sample_qc(str(cram), str(fasta), "P1-R1", "P1", sites=counter)
    assert from_cram.pop("bam") == str(cram)
    ours.pop("bam")
    assert from_cram == ours  # NM too: htslib restores it from the reference when the CRAM dropped it
    assert ours["error_rate"] > 0
    # the identity SNPs' counts, mates met by read name (which the CRAM is asked to decode too)
    pd.testing.assert_frame_equal(site_pileup(sites, counter.tally()).counts, sites.drop(columns="af"))


def test_a_damaged_or_unsorted_bam_is_an_error_naming_it(cohort, tmp_path):
    fasta = str(cohort / "reference" / "genome.fa")
    src = cohort / "bams" / "P2" / "P2-N.bam"
    data = src.read_bytes()
    cut = tmp_path / "cut.bam"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(BamFormatError, match=f"{cut}: truncated BAM"):
        sample_qc(str(cut), fasta, "s", "p")
    garbled = tmp_path / "garbled.bam"
    mid = len(data) // 3
    garbled.write_bytes(data[:mid] + np.random.default_rng(1).integers(0, 256, 100_000, np.uint8).tobytes()
                        + data[mid + 100_000:])
    with pytest.raises(BamFormatError, match=f"{garbled}: corrupt BAM: no BGZF block starts at byte"):
        sample_qc(str(garbled), fasta, "s", "p")
    by_name = tmp_path / "by_name.bam"
    pysam.sort("-n", "-o", str(by_name), str(src))
    with pytest.raises(BamFormatError, match=f"{by_name}: not sorted by coordinate.*samtools sort"):
        sample_qc(str(by_name), fasta, "s", "p")
    # a record whose reference id the header does not have (stored uncompressed, so the bytes
    # can be found and changed; the walker must stop there, not index past its arrays)
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "chr1", "LN": 10_000}]}
    raw = tmp_path / "raw.bam"
    with pysam.AlignmentFile(str(raw), "wb0", header=header) as out:
        for i in range(3):
            r = pysam.AlignedSegment(out.header)
            r.query_name, r.reference_id, r.reference_start, r.mapping_quality = f"read{i}", 0, 100 * i, 60
            r.cigarstring, r.query_sequence = "10M", "ACGTACGTAC"
            r.query_qualities = pysam.qualitystring_to_array("I" * 10)
            out.write(r)
    data = bytearray(raw.read_bytes())
    at = data.index(b"read1\0") - 32  # the record's refID
    data[at:at + 4] = (7).to_bytes(4, "little")
    bad = tmp_path / "bad_ref.bam"
    bad.write_bytes(bytes(data))
    with pytest.raises(BamFormatError, match=f"{bad}: cannot read this BAM .*impossible"):
        onepass.qc_pass(str(bad), {"chr1": (np.array([0]), np.array([10_000]))}, 20, 1000, 300)


@pytest.mark.parametrize("piece", [1, 7, 1 << 24])
def test_the_wgs_assay_is_the_non_n_runs_whatever_the_pieces_the_fasta_is_read_in(tmp_path, monkeypatch, piece):
    import ith.qc.bamstats as bamstats

    rng = np.random.default_rng(3)
    seqs = {"a": "".join(rng.choice(list("ACGTNn"), 1000, p=[0.2, 0.2, 0.2, 0.2, 0.1, 0.1])),
            "b": "ACGT" * 25 + "N" * 200 + "ACGT" * 25, "c": "N" * 50, "d": "A"}
    fasta = tmp_path / "g.fa"
    fasta.write_text("".join(f">{k}\n{v}\n" for k, v in seqs.items()))
    pysam.faidx(str(fasta))
    monkeypatch.setattr(bamstats, "FASTA_PIECE", piece)
    got = non_n_intervals(str(fasta))
    for name, seq in seqs.items():
        base = np.array([c not in "Nn" for c in seq] + [False])
        edges = np.diff(np.concatenate([[False], base]).astype(np.int8))
        assert np.array_equal(got[name][0], np.flatnonzero(edges == 1)), name
        assert np.array_equal(got[name][1], np.flatnonzero(edges == -1)), name


def test_the_qc_pass_counts_the_identity_sites_as_the_site_counter_alone_does(cohort, qc_runs):
    """Carried by the QC pass or run on its own (streaming the BAM or through its index), the
    counter sees the same records; and the genotypes it gives agree with the patient's normal."""
    fasta = str(cohort / "reference" / "genome.fa")
    table = qc_runs[1]["P1-R1"]
    alone = count_sites(str(cohort / "bams" / "P1" / "P1-R1.bam"), table[["chrom", "pos", "ref", "alt"]], 20,
                        MIN_BASEQ, reference=fasta).counts
    pd.testing.assert_frame_equal(table.drop(columns="af"), alone)
    assert (table["depth"] > 0).mean() > 0.9


def test_contamination_from_the_qc_pass_counts_is_nil_in_the_test_cohort_and_whole_for_a_swap(sheet, qc_runs):
    """Every sample of the (clean) test cohort at the QC pass's identity counts: under 0.5% and
    not flagged; a sample of another person read as P1's is all contamination to P1's normal."""
    for patient in ("P1", "P2"):
        rows = sheet[sheet["patient"] == patient]
        samples = list(rows["sample"])
        normal = list(rows["type"]).index("normal")
        got = patient_contamination(samples, [qc_runs[1][s] for s in samples], normal, ContaminationParams())
        assert (got["contamination"] < 0.005).all() and (got["contamination_flag"] == "pass").all(), got
        assert (got["contamination_sites"] >= 100).all() and got["contamination_mode"].iloc[normal] == "self"
    samples = ["P1-N", "P1-R1", "P2-R2"]
    got = patient_contamination(samples, [qc_runs[1][s] for s in samples], 0, ContaminationParams())
    assert got["contamination_flag"].tolist() == ["pass", "pass", "unusable"] and got["contamination"].iloc[2] > 0.2
    none = patient_contamination(samples, None, 0, ContaminationParams())
    assert (none["contamination_flag"] == "not_assessable").all()


def _patient_rows(cohort, sheet, patient):
    rows = sheet[sheet["patient"] == patient]
    return list(rows["sample"]), [str(cohort / "bams" / patient / f"{s}.bam") for s in rows["sample"]], \
        list(rows["type"]).index("normal")


@pytest.mark.parametrize("sites_from", ["qc_pass", "known_sites", "normal"])
def test_a_swapped_sample_is_flagged_and_the_others_are_not(cohort, sheet, qc_runs, sites_from):
    """Known sites counted in each sample's QC pass (the workflow's path with known sites), or
    genotyped from the BAMs at known sites or at the normal's SNPs (its path without)."""
    samples, bams, normal = _patient_rows(cohort, sheet, "P1")
    swapped = samples.index("P1-R2")
    bams[swapped] = str(cohort / "bams" / "P2" / "P2-R2.bam")
    if sites_from == "qc_pass":
        counts = [qc_runs[1]["P2-R2" if s == "P1-R2" else s] for s in samples]
        pairs, verdicts, info = identity_from_counts("P1", samples, counts, IdentityParams())
    else:
        known = str(cohort / "reference" / "population.vcf.gz") if sites_from == "known_sites" else None
        pairs, verdicts, info = identity_check("P1", samples, bams, normal, str(cohort / "reference" / "genome.fa"),
                                               known, IdentityParams(), 20)
    assert info["sites"] >= 100
    status = dict(zip(verdicts["sample"], verdicts["status"]))
    assert status.pop("P1-R2") == "suspect"
    assert set(status.values()) == {"ok"}
    involved = (pairs["sample_a"] == "P1-R2") | (pairs["sample_b"] == "P1-R2")
    assert (pairs.loc[involved, "verdict"] == "different_person").all()
    assert (pairs.loc[~involved, "verdict"] == "same_person").all()
    assert (pairs.loc[~involved, "ibs0"] < 0.01).all() and (pairs.loc[involved, "ibs0"] > 0.03).all()
    # the patient stops, naming the swapped sample and every sample it disagrees with
    with pytest.raises(InputError) as stop:
        apply_identity_policy("P1", verdicts, pairs, "stop", "samples.tsv")
    msg = str(stop.value)
    assert "patient P1 stopped before clonal analysis: sample P1-R2 looks like another person than" in msg
    assert all(s in msg for s in samples) and "qc.on_identity_failure: warn" in msg and "samples.tsv" in msg
    assert apply_identity_policy("P1", verdicts, pairs, "warn", "samples.tsv") == identity_failures(verdicts, pairs)
    assert len(identity_failures(verdicts, pairs)) == 1


def test_summary_flags_identity_sex_and_contamination_problems(tmp_path):
    base = dict(patient="P1", reads=10, mapped_percent=100, duplicate_percent=1, fraction_mapq0=0.01, mean_depth=30,
                median_depth=30, fragment_mode=300, fraction_short_fragments=0.01, declared_sex="female")
    paths = []
    for s, sex in (("A", "female"), ("B", "male"), ("C", "female"), ("D", "female")):
        p = tmp_path / f"{s}.json"
        write_json(base | {"sample": s, "sex": sex, "sex_mismatch": sex != "female"}, str(p))
        paths.append(str(p))
    ident = tmp_path / "identity_samples.tsv"
    write_tsv(pd.DataFrame(dict(patient="P1", sample=["A", "B", "C", "D"], compared=3, mismatches=[0, 0, 3, 0],
                                status=["ok", "ok", "suspect", "ok"], contamination=[0.001, 0.0, 0.4, 0.031],
                                contamination_low=[0.0, 0.0, 0.38, 0.027], contamination_high=[0.002, 0.001, 0.42, 0.034],
                                contamination_sites=400, contamination_mode="reference",
                                contamination_flag=["pass", "pass", "unusable", "flagged"])), str(ident))
    table = qc_summary(paths, [str(ident)]).set_index("sample")
    assert table.loc["A", "flags"] == "" and table.loc["B", "flags"] == "sex"
    assert table.loc["C", "flags"] == "identity,contamination" and table.loc["D", "flags"] == "contamination"
    write_tsv(table.reset_index(), str(tmp_path / "summary.tsv"))
    assert console_flags([str(tmp_path / "summary.tsv")]) == [
        "patient P1, sample B: sex: inferred male, declared female",
        "patient P1, sample C: identity: looks like another person than the patient's other samples; contamination: "
        "40.0% of another person's DNA (95% interval 38.0-42.0%), unusable for subclonal work",
        "patient P1, sample D: contamination: 3.1% of another person's DNA (95% interval 2.7-3.4%), flagged"]
    assert json.loads((tmp_path / "A.json").read_text())["sample"] == "A"


def test_sites_reached_through_the_index_are_counted_as_when_streamed(tmp_path):
    from test_liquid import _bam

    from ith.io.pileup import PileupParams, pileup_counts
    from ith.io.alignments import reach_by_index

    ref = "ACGT" * 250
    with open(tmp_path / "ref.fa", "w") as fh:
        fh.write(">chr1\n" + ref + "\n")
    pysam.faidx(str(tmp_path / "ref.fa"))
    var = ref[:100] + "G" + ref[101:]  # ref[100] is A
    reads = [(f"r{i}", 40 + 5 * i, (var if i % 2 else ref)[40 + 5 * i: 140 + 5 * i], 0, "I", 0) for i in range(12)]
    reads += [(f"s{i}", 700 + i, ref[700 + i: 800 + i], 0, "I", 0) for i in range(4)]
    _bam(tmp_path / "x.bam", reads)
    sites = pd.DataFrame({"chrom": "chr1", "pos": [101, 751], "ref": ["A", ref[750]], "alt": ["G", "T"]})
    args = ([str(tmp_path / "x.bam")], ["x"], str(tmp_path / "ref.fa"), PileupParams(min_mapq=20, baq=False))
    streamed = pileup_counts(*args, tumour_idx=[], sites=sites)
    jumped = pileup_counts(*args, tumour_idx=[], sites=sites, jump=True)
    assert streamed.ref[:, 0].tolist() == [6, 4] and streamed.alt[:, 0].tolist() == [6, 0]
    pd.testing.assert_frame_equal(jumped.sites, streamed.sites)
    assert np.array_equal(jumped.ref, streamed.ref) and np.array_equal(jumped.alt, streamed.alt)
    # 5,000 SNPs: streamed over the demo's 1.9 Mb, through the index over a human genome's 2.9 Gb
    assert not reach_by_index(5000, 1_900_000) and reach_by_index(5000, 2_875_000_000)
