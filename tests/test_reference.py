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


# --- resources in another naming ---------------------------------------------------------------

def test_contig_map_reads_each_naming_in_the_references():
    from ith.io.naming import contig_map

    grch38_ucsc = [("chr1", 248956422), ("chr2", 242193529), ("chrX", 156040895), ("chrY", 57227415),
                   ("chrM", 16569), ("chr1_KI270706v1_random", 175055), ("chrUn_KI270728v1", 1872759),
                   ("chrEBV", 171823)]
    m = contig_map(["1", "2", "X", "Y", "MT", "KI270706.1", "KI270728.1", "GL000009.2"], grch38_ucsc, "known_sites",
                   "k.vcf.gz")
    assert m.to_reference == {"1": "chr1", "2": "chr2", "X": "chrX", "Y": "chrY", "MT": "chrM",
                              "KI270706.1": "chr1_KI270706v1_random", "KI270728.1": "chrUn_KI270728v1"}
    assert m.unmatched == ("GL000009.2",)
    b37 = [("1", 249250621), ("X", 155270560), ("MT", 16569), ("GL000192.1", 547496), ("hs37d5", 35477943)]
    m = contig_map(["chr1", "chrX", "chrM", "chr1_gl000192_random", "chr6_apd_hap1"], b37, "panel_of_normals", "p")
    assert m.to_reference == {"chr1": "1", "chrX": "X", "chrM": "MT", "chr1_gl000192_random": "GL000192.1"}
    # hg19's chrM (16,571 bp) is another sequence than the rCRS that MT names: not mapped
    hg19 = [("chr1", 249250621), ("chrM", 16571), ("chrUn_gl000220", 161802)]
    m = contig_map(["1", "MT", "GL000220.1"], hg19, "known_sites", "k")
    assert m.to_reference == {"1": "chr1", "GL000220.1": "chrUn_gl000220"}
    # a resource holding both namings reads the reference's own names as they are
    assert contig_map(["1", "chr1"], [("chr1", 10)], "k", "p").to_reference == {"chr1": "chr1"}


def test_the_log_line_names_the_file_and_the_mapping():
    from ith.io.naming import contig_map

    ref = [(f"chr{c}", 100) for c in [*range(1, 23), "X", "Y"]] + [("chrM", 16569)]
    m = contig_map([str(c) for c in [*range(1, 23), "X", "Y"]] + ["MT"], ref, "panel_of_normals", "pon.vcf.gz")
    assert m.description() == ("panel_of_normals pon.vcf.gz names contigs without 'chr'; read as chr1..chrY "
                               "(24 contigs), MT read as chrM")
    back = contig_map([n for n, _ in ref], [(str(c), 100) for c in [*range(1, 23), "X", "Y"]], "known_sites", "k")
    assert back.description().startswith("known_sites k names contigs with 'chr'; read as 1..Y")
    assert contig_map(["chr1"], ref, "k", "p").description() is None


def test_a_resource_matching_no_contig_names_the_file_and_both_namings():
    from ith.io.naming import contig_map

    with pytest.raises(InputError) as e:
        contig_map(["NC_000001.11", "NC_000002.12"], [("chr1", 10), ("chr2", 10)], "variants.germline_resource",
                   "gnomad.vcf.gz")
    msg = str(e.value)
    for part in ("variants.germline_resource", "gnomad.vcf.gz", "'NC_000001.11'", "'chr1'", "reference's build"):
        assert part in msg, msg
    with pytest.raises(InputError, match="lists no contig"):
        contig_map([], [("chr1", 10)], "panel_of_normals", "empty.vcf.gz")


def test_a_resource_of_another_build_stops_on_the_stated_lengths():
    from ith.io.naming import contig_map

    with pytest.raises(InputError) as e:
        contig_map(["1"], [("chr1", 248956422)], "known_sites", "b37.vcf.gz", {"1": 249250621})
    assert "249250621" in str(e.value) and "248956422" in str(e.value) and "another build" in str(e.value)
    assert contig_map(["1"], [("chr1", 248956422)], "known_sites", "b38.vcf.gz", {"1": None}).to_reference


REF_NAMES = ["chr1", "chr2", "chrX", "chrM"]


def _vcf(path: Path, records: list[tuple[str, int, str, str, float]], contigs: list[tuple[str, int]]) -> str:
    """A bgzipped, tabix-indexed VCF with INFO/AF."""
    import pysam

    lines = ["##fileformat=VCFv4.2", '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">']
    lines += [f"##contig=<ID={c},length={n}>" for c, n in contigs]
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
    lines += [f"{c}\t{p}\t.\t{r}\t{a}\t.\t.\tAF={af}" for c, p, r, a, af in records]
    plain = path.with_suffix("")
    plain.write_text("\n".join(lines) + "\n")
    pysam.tabix_compress(str(plain), str(path), force=True)
    pysam.tabix_index(str(path), preset="vcf", force=True)
    plain.unlink()
    return str(path)


def _resource_pair(tmp_path: Path, seqs: dict[str, str]) -> tuple[str, str, list[tuple[str, int, str, str, float]]]:
    """The same records as a chr-named VCF and as a 1, 2, X, MT-named one."""
    records = []
    for c, seq in seqs.items():
        for pos in range(50, len(seq), 97):
            ref = seq[pos - 1]
            records.append((c, pos, ref, "ACGT"[("ACGT".index(ref) + 1) % 4], round(0.1 + (pos % 7) / 10, 2)))
    plain = {"chr1": "1", "chr2": "2", "chrX": "X", "chrM": "MT"}
    chr_vcf = _vcf(tmp_path / "chr.vcf.gz", records, [(c, len(s)) for c, s in seqs.items()])
    num_vcf = _vcf(tmp_path / "num.vcf.gz", [(plain[c], *rest) for c, *rest in records],
                   [(plain[c], len(s)) for c, s in seqs.items()])
    return chr_vcf, num_vcf, records


def test_germline_and_panel_lookups_are_the_same_in_either_naming_and_the_mapping_is_logged(tmp_path, caplog):
    import logging

    import pandas as pd

    from ith.io.naming import resource_naming
    from ith.io.reference import read_fai
    from ith.variants.annotate import vcf_lookup

    fasta, seqs = _tiny_reference(tmp_path, REF_NAMES, length=16_569)
    chr_vcf, num_vcf, records = _resource_pair(tmp_path, seqs)
    sites = pd.DataFrame([(c, p, r, a) for c, p, r, a, _ in records[::3]] + [("chr1", 51, "A", "G")],
                         columns=["chrom", "pos", "ref", "alt"])
    reference = read_fai(fasta, "reference")
    with caplog.at_level(logging.INFO, logger="ith.io.naming"):
        plain_names = resource_naming(num_vcf, "panel_of_normals", reference, "vcf")
    assert f"panel_of_normals {num_vcf} names contigs without 'chr'; read as chr1, chr2, chrX (3 contigs), " \
        "MT read as chrM" in caplog.text
    chr_names = resource_naming(chr_vcf, "panel_of_normals", reference, "vcf")
    for info_af in (True, False):
        a = vcf_lookup(sites, chr_vcf, info_af, chr_names)
        b = vcf_lookup(sites, num_vcf, info_af, plain_names)
        assert pd.Series(a).equals(pd.Series(b))
        assert int(pd.Series(a).notna().sum() if info_af else (a > 0).sum()) == len(sites) - 1
    assert list(open(num_vcf, "rb").read(2)) == [0x1F, 0x8B]  # read, not rewritten: still bgzip


def test_known_sites_in_another_naming_give_the_same_identity_sites(tmp_path, caplog):
    import logging

    from ith.qc.identity import IdentityParams, sites_from_known

    fasta, seqs = _tiny_reference(tmp_path, REF_NAMES, length=16_569)
    chr_vcf, num_vcf, _ = _resource_pair(tmp_path, seqs)
    params = IdentityParams(max_sites=10_000)
    with caplog.at_level(logging.INFO, logger="ith.io.naming"):
        renamed = sites_from_known(num_vcf, fasta, params)
    same = sites_from_known(chr_vcf, fasta, params)
    assert len(same) > 50 and set(same["chrom"]) == {"chr1", "chr2"}  # autosomes only
    assert renamed.equals(same)
    assert "known_sites" in caplog.text and "without 'chr'" in caplog.text


def test_targets_and_drivers_in_another_naming_are_read_in_the_references(tmp_path, caplog):
    import logging

    from ith.copynumber.bins import read_targets
    from ith.io.naming import bed_in_reference_naming, resource_naming
    from ith.variants.annotate import read_drivers

    reference = [("chr1", 5000), ("chr2", 5000), ("chrX", 5000), ("chrM", 16569)]
    (tmp_path / "chr.bed").write_text("chr1\t100\t200\nchr2\t300\t400\nchrX\t10\t20\nchrM\t1\t50\n")
    (tmp_path / "num.bed").write_text("track name=t\n1\t100\t200\n2\t300\t400\nX\t10\t20\nMT\t1\t50\n")
    original = (tmp_path / "num.bed").read_text()
    analysed = reference[:3]  # the default exclusion leaves chrM out: its target is left out, not refused
    with caplog.at_level(logging.INFO):
        targets = read_targets(str(tmp_path / "num.bed"), analysed, reference)
    assert targets.equals(read_targets(str(tmp_path / "chr.bed"), analysed, reference))
    assert list(targets["chrom"]) == ["chr1", "chr2", "chrX"]
    assert "assay.targets" in caplog.text and "read as chr1, chr2, chrX" in caplog.text
    assert "1 targets on contigs excluded" in caplog.text
    (tmp_path / "drivers.bed").write_text(original.split("\n", 1)[1])
    drivers = read_drivers(str(tmp_path / "drivers.bed"), reference)
    assert list(drivers["chrom"]) == ["chr1", "chr2", "chrX", "chrM"]
    assert list(drivers["name"])[:1] == ["chr1:101-200"]
    naming = resource_naming(str(tmp_path / "num.bed"), "assay.targets", reference, "bed")
    copy = bed_in_reference_naming(str(tmp_path / "num.bed"), naming, str(tmp_path))
    assert open(copy).read() == "track name=t\nchr1\t100\t200\nchr2\t300\t400\nchrX\t10\t20\nchrM\t1\t50\n"
    assert (tmp_path / "num.bed").read_text() == original
    with pytest.raises(InputError, match="assay.targets"):
        (tmp_path / "other.bed").write_text("NC_000001.11\t1\t10\n")
        read_targets(str(tmp_path / "other.bed"), analysed, reference)


def test_the_input_check_stops_a_resource_matching_no_contig(tmp_path):
    from ith.config import check_config_files, validate_config

    fasta, seqs = _tiny_reference(tmp_path, REF_NAMES, length=16_569)
    _, num_vcf, _ = _resource_pair(tmp_path, seqs)
    other = _vcf(tmp_path / "other.vcf.gz", [("NC_000001.11", 10, "A", "C", 0.5)], [])
    config = validate_config({"samples": "samples.tsv", "reference": {"fasta": fasta}, "panel_of_normals": num_vcf,
                              "known_sites": num_vcf, "variants": {"germline_resource": num_vcf}})
    assert [n for n, _ in check_config_files(config, "config.yaml")] == REF_NAMES  # harmonised: no error
    config["variants"]["germline_resource"] = other
    with pytest.raises(InputError) as e:
        check_config_files(config, "config.yaml")
    msg = str(e.value)
    assert msg.startswith("config.yaml: variants.germline_resource") and other in msg
    assert "'NC_000001.11'" in msg and "'chr1'" in msg


def test_the_test_cohorts_germline_and_panel_filters_do_not_change_with_the_resources_naming(cohort, sheet,
                                                                                              tmp_path, caplog):
    import logging

    import pysam
    import pysam.bcftools

    from ith.io.pileup import PileupParams
    from ith.io.reference import read_fai
    from ith.variants.call import Sample, call_patient, discover_chunk
    from ith.variants.chunks import make_chunks
    from ith.variants.presence import PresenceParams
    from ith.variants.somatic import SomaticParams

    fasta = str(cohort / "reference" / "genome.fa")
    vcf = str(cohort / "reference" / "population.vcf.gz")
    reference = read_fai(fasta, "reference")
    rename = tmp_path / "rename.txt"
    rename.write_text("".join(f"{n}\t{n.removeprefix('chr')}\n" for n, _ in reference))
    plain = str(tmp_path / "population.plain.vcf.gz")
    pysam.bcftools.annotate("--rename-chrs", str(rename), "-Oz", "-o", plain, vcf, catch_stdout=False)
    pysam.bcftools.index("-t", plain)
    assert set(pysam.VariantFile(plain).index) == {n.removeprefix("chr") for n, _ in reference}

    rows = sheet[(sheet["patient"] == "P1") & (sheet["type"] != "plasma")]
    samples = [Sample(r.sample, r.type, str(cohort / "bams" / "P1" / f"{r.sample}.bam")) for r in rows.itertuples()]
    chunks = [discover_chunk(samples, fasta, c.regions, PileupParams(), SomaticParams(), 2, False)[0]
              for c in make_chunks(reference, 200_000)]

    def call(resource: str):
        return call_patient("P1", samples, chunks, fasta, PileupParams(), SomaticParams(), PresenceParams(), False,
                            germline_resource=resource, panel_of_normals=resource).sites

    same = call(vcf)
    with caplog.at_level(logging.INFO, logger="ith.io.naming"):
        renamed = call(plain)
    assert renamed.equals(same)
    germline = same["filters"].str.contains("germline_population").sum()
    panel = same["filters"].str.contains("panel_of_normals").sum()
    assert germline > 10 and panel > 10
    for what in ("variants.germline_resource", "panel_of_normals"):
        assert f"{what} {plain} names contigs without 'chr'; read as chr1" in caplog.text


def test_the_input_check_stops_known_sites_of_another_build_before_the_bams(cohort, sheet, tmp_path):
    """The simulated reference with chr2 10 bp shorter: the population VCF states 150 kb."""
    import pysam

    from ith.config import check_config_files, validate_config

    fa = tmp_path / "other.fa"
    with pysam.FastaFile(str(cohort / "reference" / "genome.fa")) as ref, open(fa, "w") as fh:
        for name in ref.references:
            seq = ref.fetch(name)
            fh.write(f">{name}\n{seq[:-10] if name == 'chr2' else seq}\n")
    pysam.faidx(str(fa))
    config = validate_config({"samples": str(cohort / "samples.tsv"), "reference": {"fasta": str(fa)},
                              "known_sites": str(cohort / "reference" / "population.vcf.gz")})
    with pytest.raises(InputError) as e:
        check_config_files(config, "config.yaml")
    assert str(e.value).startswith("config.yaml: known_sites") and "another build" in str(e.value)
    assert "chr2 is 150000 bp there but chr2 is 149990 bp" in str(e.value)
