"""References and resources of any naming: contig classes of the common human builds, the
default exclusion of everything but the primary chromosomes, region files safe for any legal
contig name, and resources named otherwise than the reference read in its naming (issue 21)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ith.config import load_schema
from ith.errors import InputError
from ith.io.reference import PRIMARY_ONLY, check_exclusion, contig_class, included_contigs

# real names from each build: (name, class)
BUILDS = {
    "GRCh38 UCSC": [("chr1", "autosome"), ("chr22", "autosome"), ("chrX", "X"), ("chrY", "Y"),
                    ("chrM", "mitochondrion"), ("chr1_KI270706v1_random", "other"), ("chrUn_KI270302v1", "other"),
                    ("chr1_KI270762v1_alt", "other"), ("chrEBV", "other"), ("HLA-A*01:01:01:01", "other"),
                    ("chrUn_JTFH01000001v1_decoy", "other"), ("chr22_KI270879v1_alt", "other")],
    "GRCh38 Ensembl": [("1", "autosome"), ("22", "autosome"), ("X", "X"), ("Y", "Y"), ("MT", "mitochondrion"),
                       ("KI270728.1", "other"), ("GL000009.2", "other"), ("KI270706.1", "other")],
    "GRCh37 b37": [("1", "autosome"), ("22", "autosome"), ("X", "X"), ("Y", "Y"), ("MT", "mitochondrion"),
                   ("GL000192.1", "other"), ("GL000205.1", "other"), ("NC_007605", "other"), ("hs37d5", "other")],
    "hg19 UCSC": [("chr1", "autosome"), ("chr22", "autosome"), ("chrX", "X"), ("chrY", "Y"),
                  ("chrM", "mitochondrion"), ("chr1_gl000191_random", "other"), ("chrUn_gl000220", "other"),
                  ("chr6_apd_hap1", "other"), ("chr17_ctg5_hap1", "other")],
}


@pytest.mark.parametrize("build", sorted(BUILDS))
def test_contig_classes_of_each_build_and_naming(build):
    assert [(n, contig_class(n)) for n, _ in BUILDS[build]] == BUILDS[build]


@pytest.mark.parametrize("build", sorted(BUILDS))
def test_default_exclusion_keeps_exactly_the_primary_chromosomes(build):
    contigs = [(n, 1000) for n, _ in BUILDS[build]]
    kept = [n for n, _ in included_contigs(contigs, PRIMARY_ONLY)]
    assert kept == [n for n, c in BUILDS[build] if c in ("autosome", "X", "Y")]


def test_the_schema_default_is_the_primary_only_pattern_in_both_sections():
    props = load_schema("config")["properties"]
    assert props["variants"]["properties"]["exclude_contigs"]["default"] == PRIMARY_ONLY
    assert props["copynumber"]["properties"]["exclude_contigs"]["default"] == PRIMARY_ONLY


def test_the_simulated_genomes_contigs_are_all_kept_by_the_default():
    # the test cohort's results do not change with the default: chr1..chrN, chrX, chrY stay
    names = [f"chr{i}" for i in range(1, 31)] + ["chrX", "chrY"]
    assert [n for n, _ in included_contigs([(n, 1) for n in names], PRIMARY_ONLY)] == names


def test_a_users_own_pattern_keeps_its_meaning():
    contigs = [("chr1", 5), ("chrM", 5), ("chr1_KI270706v1_random", 5), ("HLA-A*01:01", 5), ("chrEBV", 5)]
    assert included_contigs(contigs, "^chrM$") == [("chr1", 5), ("chr1_KI270706v1_random", 5), ("HLA-A*01:01", 5),
                                                   ("chrEBV", 5)]
    assert included_contigs(contigs, None) == contigs


def test_an_exclusion_that_leaves_no_contig_or_is_no_regex_is_an_input_error():
    custom = [("scaffold_1", 100), ("scaffold_2", 100)]
    with pytest.raises(InputError, match=re.escape("variants.exclude_contigs")) as e:
        check_exclusion(custom, PRIMARY_ONLY, "variants.exclude_contigs", "ref.fa", "config.yaml")
    assert "excludes every contig" in str(e.value) and "scaffold_1" in str(e.value) and "ref.fa" in str(e.value)
    with pytest.raises(InputError, match="not a regular expression"):
        check_exclusion(custom, "chr(", "copynumber.exclude_contigs", "ref.fa", "config.yaml")
    check_exclusion(custom, "_2$", "copynumber.exclude_contigs", "ref.fa", "config.yaml")


# --- region files: any legal contig name ------------------------------------------------------

ODD_NAMES = ["chr1", "HLA-A*01:01:01:01", "chrUn:weird=name"]


def _tiny_reference(tmp_path: Path, names: list[str], length: int = 2000) -> tuple[str, dict[str, str]]:
    """A FASTA of random sequence, one contig per name, indexed; its path and sequences."""
    import random

    import pysam

    rng = random.Random(1)
    seqs = {n: "".join(rng.choice("ACGT") for _ in range(length)) for n in names}
    fasta = tmp_path / "ref.fa"
    fasta.write_text("".join(f">{n}\n{s}\n" for n, s in seqs.items()))
    pysam.faidx(str(fasta))
    return str(fasta), seqs


def _tiny_bam(path: Path, seqs: dict[str, str], variant_at: int | None = 1000) -> str:
    """100 bp reads tiling every contig each 10 bp; every other read over `variant_at` (1-based)
    carries another base there."""
    import pysam

    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": n, "LN": len(s)} for n, s in seqs.items()]}
    k = 0
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for tid, (name, seq) in enumerate(seqs.items()):
            for start in range(0, len(seq) - 100, 10):
                read = list(seq[start:start + 100])
                if variant_at is not None and start < variant_at <= start + 100 and k % 2:
                    i = variant_at - 1 - start
                    read[i] = "A" if read[i] != "A" else "C"
                a = pysam.AlignedSegment(out.header)
                a.query_name, a.flag, a.reference_id, a.reference_start = f"r{k}", 0, tid, start
                a.mapping_quality, a.cigartuples = 60, [(0, 100)]
                a.query_sequence = "".join(read)
                a.query_qualities = pysam.qualitystring_to_array("I" * 100)
                out.write(a)
                k += 1
    pysam.index(str(path))
    return str(path)


def test_a_pileup_over_regions_works_for_contig_names_with_colons_and_stars(tmp_path):
    from ith.io.pileup import PileupParams, pileup_counts, region_label

    fasta, seqs = _tiny_reference(tmp_path, ODD_NAMES)
    bam = _tiny_bam(tmp_path / "t.bam", seqs)
    regions = [("HLA-A*01:01:01:01", 900, 1100), ("chrUn:weird=name", 1, 2000), ("chr1", 1, 500)]
    c = pileup_counts([bam], ["t"], fasta, PileupParams(baq=False), tumour_idx=[0], regions=regions,
                      include="SUM(FMT/AD[0:1-])>=2")
    found = set(zip(c.sites["chrom"], c.sites["pos"]))
    assert found == {("HLA-A*01:01:01:01", 1000), ("chrUn:weird=name", 1000)}  # chr1:1-500 has none
    assert (c.alt[:, 0] == 5).all() and (c.ref[:, 0] == 5).all()  # 10 reads over the site, every other one alt
    assert region_label(regions[:1] + regions[2:]) == "{HLA-A*01:01:01:01}:900-1100,chr1:1-500"


def test_discovery_of_a_chunk_with_an_hla_contig(tmp_path):
    from ith.io.pileup import PileupParams
    from ith.variants.call import Sample, discover_chunk
    from ith.variants.chunks import make_chunks
    from ith.variants.somatic import SomaticParams

    fasta, seqs = _tiny_reference(tmp_path, ODD_NAMES)
    samples = [Sample("N", "normal", _tiny_bam(tmp_path / "n.bam", seqs, variant_at=None)),
               Sample("T", "tumour", _tiny_bam(tmp_path / "t.bam", seqs))]
    chunks = make_chunks([(n, 2000) for n in ODD_NAMES], 10_000)
    assert len(chunks) == 1
    table, _ = discover_chunk(samples, fasta, chunks[0].regions, PileupParams(baq=False), SomaticParams(), 2, False)
    assert sorted(zip(table["chrom"], table["pos"])) == sorted((n, 1000) for n in ODD_NAMES)
