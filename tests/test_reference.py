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
