"""Calls made elsewhere imported as called (variants.import): each format read as its tool writes
it, normalised as bcftools norm does, bad files named with the field that is missing, and the
simulated cohort run from its truth written as a Mutect2 VCF giving the clusters and trees of our
own calls."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest
import yaml

from ith.config import check_imports, validate_config
from ith.errors import InputError
from ith.io.pileup import PileupParams
from ith.io.reference import read_fai
from ith.variants.imported import ImportRow, check_vcf, import_calls, read_manifest

# a small reference: random bases with a run of six A at 1-based 100-105 (C before, G after)
_rng = np.random.default_rng(7)
SEQ = list("".join(_rng.choice(list("ACGT"), 300)))
SEQ[98], SEQ[99:105], SEQ[105] = "C", list("AAAAAA"), "G"
SEQ = "".join(SEQ)


def base(pos: int) -> str:
    return SEQ[pos - 1]


def other(b: str, k: int = 0) -> str:
    return [x for x in "ACGT" if x != b][k]


@pytest.fixture
def fasta(tmp_path) -> str:
    path = tmp_path / "ref.fa"
    path.write_text(">chr1\n" + "\n".join(SEQ[i:i + 60] for i in range(0, len(SEQ), 60)) + "\n>chr2\n" + "ACGT" * 50 + "\n")
    pysam.faidx(str(path))
    return str(path)


def _run(rows, fasta, filters=("PASS",), regions=None) -> pd.DataFrame:
    reference = read_fai(fasta, "reference")
    return import_calls(rows, fasta, reference, [n for n, _ in reference], list(filters), regions)


MUTECT2_HEADER = """##fileformat=VCFv4.2
##FILTER=<ID=PASS,Description="All filters passed">
##FILTER=<ID=weak_evidence,Description="Mutation does not meet likelihood threshold">
##FILTER=<ID=germline,Description="Evidence indicates this site is germline, not somatic">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths for the ref and alt alleles in the order listed">
##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fractions of alternate alleles in the tumor">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth (reads with MQ=255 or with bad mates are filtered)">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##INFO=<ID=TLOD,Number=A,Type=Float,Description="Log 10 likelihood ratio score of variant existing versus not existing">
##contig=<ID=chr1,length=300>
##contig=<ID=chr2,length=200>
##contig=<ID=chrUn_x,length=100>
##normal_sample=N1
##source=Mutect2
##tumor_sample=T1
##tumor_sample=T2
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tN1\tT1\tT2
"""


def _m2(chrom, pos, ref, alt, filt="PASS") -> str:
    n = len(alt.split(","))
    ad = ",".join(["30"] + ["0"] * n)
    tad = ",".join(["20"] + ["10"] * n)
    af = ",".join(["0.33"] * n)
    return (f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\t{filt}\tTLOD={','.join(['12.1'] * n)}\tGT:AD:AF:DP\t"
            f"0/0:{ad}:{','.join(['0'] * n)}:30\t0/1:{tad}:{af}:{20 + 10 * n}\t0/1:{tad}:{af}:{20 + 10 * n}\n")


def _mutect2_vcf(tmp_path) -> Path:
    lines = [
        _m2("chr1", 10, base(10), other(base(10))),  # a PASS SNV
        _m2("chr1", 20, base(20), f"{other(base(20), 0)},{other(base(20), 1)}"),  # multi-allelic: split
        _m2("chr1", 30, base(30) + base(31), other(base(30)) + other(base(31))),  # an MNV: two SNVs
        _m2("chr1", 40, base(40), other(base(40)), "weak_evidence"),  # filtered by Mutect2
        _m2("chr1", 50, base(50), other(base(50)), "germline;weak_evidence"),
        _m2("chr1", 104, "AA", "A"),  # one A of the run deleted, written at its right end
        _m2("chr2", 9, "A", "<DEL>"),  # symbolic: not sequence
        _m2("chrUn_x", 5, "A", "C"),  # a contig the reference does not have
    ]
    path = tmp_path / "m2.vcf"
    path.write_text(MUTECT2_HEADER + "".join(lines))
    return path


def test_mutect2_calls_are_kept_by_filter_split_decomposed_and_left_aligned(tmp_path, fasta):
    row = ImportRow("P1", str(_mutect2_vcf(tmp_path)), "mutect2", None, 2, "manifest.tsv")
    check_vcf(row, {"N1": "P1-N", "T1": "P1-R1", "T2": "P1-R2"})
    got = _run([row], fasta)
    expected = [("chr1", 10, base(10), other(base(10))),
                ("chr1", 20, base(20), other(base(20), 0)), ("chr1", 20, base(20), other(base(20), 1)),
                ("chr1", 30, base(30), other(base(30))), ("chr1", 31, base(31), other(base(31))),
                ("chr1", 99, "CA", "C")]  # left-aligned to the base before the run
    assert list(got[["chrom", "pos", "ref", "alt"]].itertuples(index=False, name=None)) == expected
    assert (got["source"] == "imported:mutect2").all()
    # a chosen set of FILTER values: a record is kept when each of its values is in the set
    kept = _run([row], fasta, filters=("PASS", "weak_evidence"))
    assert len(kept) == len(expected) + 1 and 40 in set(kept["pos"]) and 50 not in set(kept["pos"])


STRELKA_SNV_HEADER = """##fileformat=VCFv4.1
##source=strelka
##source_version=2.9.10
##contig=<ID=chr1,length=300>
##content=strelka somatic snv calls
##INFO=<ID=QSS,Number=1,Type=Integer,Description="Quality score for any somatic snv">
##INFO=<ID=TQSS,Number=1,Type=Integer,Description="Data tier used to compute QSS">
##INFO=<ID=NT,Number=1,Type=String,Description="Genotype of the normal in all data tiers">
##INFO=<ID=SGT,Number=1,Type=String,Description="Most likely somatic genotype excluding normal noise states">
##INFO=<ID=SOMATIC,Number=0,Type=Flag,Description="Somatic mutation">
##INFO=<ID=SomaticEVS,Number=1,Type=Float,Description="Somatic Empirical Variant Score (EVS)">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth for tier1 (used+filtered)">
##FORMAT=<ID=FDP,Number=1,Type=Integer,Description="Number of basecalls filtered from original read depth for tier1">
##FORMAT=<ID=SDP,Number=1,Type=Integer,Description="Number of reads with deletions spanning this site at tier1">
##FORMAT=<ID=SUBDP,Number=1,Type=Integer,Description="Number of reads below tier1 mapping quality threshold">
##FORMAT=<ID=AU,Number=2,Type=Integer,Description="Number of 'A' alleles used in tiers 1,2">
##FORMAT=<ID=CU,Number=2,Type=Integer,Description="Number of 'C' alleles used in tiers 1,2">
##FORMAT=<ID=GU,Number=2,Type=Integer,Description="Number of 'G' alleles used in tiers 1,2">
##FORMAT=<ID=TU,Number=2,Type=Integer,Description="Number of 'T' alleles used in tiers 1,2">
##FILTER=<ID=PASS,Description="All filters passed">
##FILTER=<ID=LowEVS,Description="Somatic Empirical Variant Score (SomaticEVS) is below threshold">
##FILTER=<ID=LowDepth,Description="Tumor or normal sample read depth at this locus is below 2">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNORMAL\tTUMOR
"""

STRELKA_INDEL_HEADER = """##fileformat=VCFv4.1
##source=strelka
##source_version=2.9.10
##contig=<ID=chr1,length=300>
##content=strelka somatic indel calls
##INFO=<ID=QSI,Number=1,Type=Integer,Description="Quality score for any somatic variant">
##INFO=<ID=TQSI,Number=1,Type=Integer,Description="Data tier used to compute QSI">
##INFO=<ID=NT,Number=1,Type=String,Description="Genotype of the normal in all data tiers">
##INFO=<ID=SGT,Number=1,Type=String,Description="Most likely somatic genotype excluding normal noise states">
##INFO=<ID=SOMATIC,Number=0,Type=Flag,Description="Somatic mutation">
##INFO=<ID=RU,Number=1,Type=String,Description="Smallest repeating sequence unit in inserted or deleted sequence">
##INFO=<ID=RC,Number=1,Type=Integer,Description="Number of times RU repeats in the reference allele">
##INFO=<ID=IC,Number=1,Type=Integer,Description="Number of times RU repeats in the indel allele">
##INFO=<ID=SomaticEVS,Number=1,Type=Float,Description="Somatic Empirical Variant Score (EVS)">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth for tier1">
##FORMAT=<ID=DP2,Number=1,Type=Integer,Description="Read depth for tier2">
##FORMAT=<ID=TAR,Number=2,Type=Integer,Description="Reads strongly supporting alternate allele for tiers 1,2">
##FORMAT=<ID=TIR,Number=2,Type=Integer,Description="Reads strongly supporting indel allele for tiers 1,2">
##FORMAT=<ID=TOR,Number=2,Type=Integer,Description="Other reads (weak support or insufficient indel breakpoint overlap) for tiers 1,2">
##FILTER=<ID=PASS,Description="All filters passed">
##FILTER=<ID=LowEVS,Description="Somatic Empirical Variant Score (SomaticEVS) is below threshold">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNORMAL\tTUMOR
"""


def _strelka_snv(pos: int, filt: str = "PASS") -> str:
    ref, alt = base(pos), other(base(pos))
    tumour = {b: "30,31" if b == ref else ("12,12" if b == alt else "0,0") for b in "ACGT"}
    normal = {b: "35,35" if b == ref else "0,0" for b in "ACGT"}
    cells = [":".join(["40", "0", "0", "0"] + [d[b] for b in "ACGT"]) for d in (normal, tumour)]
    return (f"chr1\t{pos}\t.\t{ref}\t{alt}\t.\t{filt}\tSOMATIC;QSS=43;TQSS=1;NT=ref;SGT={ref}{ref}->{ref}{alt};"
            f"SomaticEVS=11.5\tDP:FDP:SDP:SUBDP:AU:CU:GU:TU\t" + "\t".join(cells) + "\n")


def _strelka_indel(pos: int, ref: str, alt: str, filt: str = "PASS") -> str:
    return (f"chr1\t{pos}\t.\t{ref}\t{alt}\t.\t{filt}\tSOMATIC;QSI=40;TQSI=1;NT=ref;SGT=ref->het;RU=A;RC=6;IC=5;"
            f"SomaticEVS=12.1\tDP:DP2:TAR:TIR:TOR\t30:30:30,30:0,0:0,0\t40:40:25,25:12,12:3,3\n")


def test_strelka2_snv_and_indel_vcfs_of_two_tumours_merge_into_one_call_set(tmp_path, fasta):
    files = {
        "R1.snvs.vcf": STRELKA_SNV_HEADER + _strelka_snv(10) + _strelka_snv(60) + _strelka_snv(70, "LowEVS"),
        "R2.snvs.vcf": STRELKA_SNV_HEADER + _strelka_snv(10) + _strelka_snv(80),
        "R1.indels.vcf": STRELKA_INDEL_HEADER + _strelka_indel(103, "AAA", "AA") + _strelka_indel(150, base(150),
                                                                                                  base(150) + "T", "LowEVS"),
    }
    rows = []
    for i, (name, text) in enumerate(files.items()):
        (tmp_path / name).write_text(text)
        row = ImportRow("P1", str(tmp_path / name), "strelka2", name[:2], i + 2, "manifest.tsv")
        check_vcf(row, {})
        rows.append(row)
    got = _run(rows, fasta)
    assert list(got[["chrom", "pos", "ref", "alt"]].itertuples(index=False, name=None)) == [
        ("chr1", 10, base(10), other(base(10))),  # called in both tumours: one call
        ("chr1", 60, base(60), other(base(60))), ("chr1", 80, base(80), other(base(80))),
        ("chr1", 99, "CA", "C"),  # the deletion left-aligned
    ]


def test_a_generic_vcf_without_filters_needs_the_dot_in_the_filter_list(tmp_path, fasta):
    path = tmp_path / "calls.vcf"
    path.write_text("##fileformat=VCFv4.2\n##contig=<ID=chr1,length=300>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\t"
                    f"INFO\nchr1\t10\t.\t{base(10)}\t{other(base(10))}\t.\t.\t.\n"
                    f"chr1\t12\t.\t{base(12)}\t{other(base(12))}\t.\tPASS\t.\n")
    row = ImportRow("P1", str(path), "vcf", None, 2, "manifest.tsv")
    check_vcf(row, {})
    assert list(_run([row], fasta)["pos"]) == [12]
    assert list(_run([row], fasta, filters=("PASS", "."))["pos"]) == [10, 12]


def test_calls_made_against_another_build_are_refused(tmp_path, fasta):
    path = tmp_path / "calls.vcf"
    wrong = [f"chr1\t{p}\t.\t{other(base(p))}\t{other(base(p), 1)}\t.\tPASS\t.\n" for p in (10, 20, 30)]
    path.write_text("##fileformat=VCFv4.2\n##contig=<ID=chr1,length=300>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\t"
                    "INFO\n" + "".join(wrong))
    with pytest.raises(InputError, match="another reference build"):
        _run([ImportRow("P1", str(path), "vcf", None, 2, "manifest.tsv")], fasta)


# what goes wrong when a column or field is missing: the error names the file and the column/field

PATIENTS = {"P1": [("P1-N", "normal"), ("P1-R1", "tumour"), ("P1-R2", "tumour")], "P2": [("P2-N", "normal"),
                                                                                            ("P2-R1", "tumour")]}


def test_manifest_without_the_format_column_is_named(tmp_path):
    path = tmp_path / "manifest.tsv"
    path.write_text("patient\tvcf\nP1\tcalls.vcf\n")
    with pytest.raises(InputError) as e:
        read_manifest(str(path), PATIENTS)
    assert str(path) in str(e.value) and "format" in str(e.value)


@pytest.mark.parametrize("text,fragment", [
    ("patient\tvcf\tformat\nP3\tx.vcf\tmutect2\n", "patient 'P3' is not in the sample sheet"),
    ("patient\tvcf\tformat\nP1\tx.vcf\tvarscan\n", "column 'format' is 'varscan'"),
    ("patient\tvcf\tformat\nP1\t\tmutect2\n", "column 'vcf' is empty"),
    ("patient\tvcf\tformat\nP1\tx.vcf\tstrelka2\n", "say which one in column 'tumour'"),
    ("patient\tvcf\tformat\ttumour\nP1\tx.vcf\tstrelka2\tP1-N\n", "column 'tumour' is 'P1-N'"),
])
def test_manifest_lines_are_checked(tmp_path, text, fragment):
    path = tmp_path / "manifest.tsv"
    path.write_text(text)
    with pytest.raises(InputError) as e:
        read_manifest(str(path), PATIENTS)
    assert "line 2" in str(e.value) and fragment in str(e.value)
    # a Strelka2 VCF of the patient's only tumour needs no tumour column
    path.write_text("patient\tvcf\tformat\nP2\tx.vcf\tstrelka2\n")
    assert read_manifest(str(path), PATIENTS)[0].tumour == "P2-R1"


def _fails(row: ImportRow, names: dict, *fragments: str) -> None:
    with pytest.raises(InputError) as e:
        check_vcf(row, names)
    for f in (row.vcf, *fragments):
        assert f in str(e.value), f"'{f}' missing from: {e.value}"


def test_a_vcf_without_its_formats_columns_or_fields_is_named(tmp_path):
    names = {"N1": "P1-N", "T1": "P1-R1", "T2": "P1-R2"}
    no_ad = tmp_path / "no_ad.vcf"
    no_ad.write_text(MUTECT2_HEADER.replace('##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths for '
                                            'the ref and alt alleles in the order listed">\n', ""))
    _fails(ImportRow("P1", str(no_ad), "mutect2", None, 2, "m.tsv"), names, "FORMAT field AD")
    no_filter = tmp_path / "no_filter.vcf"
    no_filter.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tINFO\nchr1\t10\t.\tA\tC\t.\t.\n")
    _fails(ImportRow("P1", str(no_filter), "vcf", None, 2, "m.tsv"), {}, "no FILTER column")
    stranger = tmp_path / "stranger.vcf"
    stranger.write_text(MUTECT2_HEADER.replace("\tT2\n", "\tOTHER-PATIENT\n"))
    _fails(ImportRow("P1", str(stranger), "mutect2", None, 2, "m.tsv"), names, "OTHER-PATIENT", "patient P1")
    no_counts = tmp_path / "no_counts.vcf"
    no_counts.write_text("".join(x for x in STRELKA_SNV_HEADER.splitlines(keepends=True) if "U,Number=2" not in x))
    _fails(ImportRow("P1", str(no_counts), "strelka2", "P1-R1", 2, "m.tsv"), {}, "AU", "TIR")
    renamed = tmp_path / "renamed.vcf"
    renamed.write_text(STRELKA_SNV_HEADER.replace("\tNORMAL\tTUMOR", "\tP1-N\tP1-R1"))
    _fails(ImportRow("P1", str(renamed), "strelka2", "P1-R1", 2, "m.tsv"), {}, "NORMAL and TUMOR")


def test_a_record_without_its_formats_field_is_named(tmp_path, fasta):
    """A Strelka2 indel file whose header declares the fields but one record lacks TIR."""
    bad = _strelka_indel(103, "AAA", "AA").replace("DP:DP2:TAR:TIR:TOR", "DP:DP2:TAR:TOR").replace(
        ":25,25:12,12:3,3", ":25,25:3,3").replace(":30,30:0,0:0,0", ":30,30:0,0")
    path = tmp_path / "indels.vcf"
    path.write_text(STRELKA_INDEL_HEADER + bad)
    with pytest.raises(InputError) as e:
        _run([ImportRow("P1", str(path), "strelka2", "P1-R1", 2, "m.tsv")], fasta)
    assert str(path) in str(e.value) and "chr1:103" in str(e.value) and "TIR" in str(e.value)


def test_own_calls_off_needs_every_patient_in_the_manifest(tmp_path):
    sheet = pd.DataFrame([(p, s, t, f"/nonexistent/{s}.bam") for p, rows in PATIENTS.items() for s, t in rows],
                         columns=["patient", "sample", "type", "bam"])
    manifest = tmp_path / "manifest.tsv"
    manifest.write_text("patient\tvcf\tformat\nP1\tx.vcf\tmutect2\n")
    config = validate_config({"samples": "s.tsv", "reference": {"fasta": "ref.fa"},
                              "variants": {"own_calls": False, "import": {"manifest": str(manifest)}}})
    with pytest.raises(InputError, match="no line for patient.*P2"):
        check_imports(config, sheet, "config", [], check_files=False)
    config["variants"]["import"]["manifest"] = None
    with pytest.raises(InputError, match="manifest is null"):
        check_imports(config, sheet, "config", [], check_files=False)
    config["variants"].update(own_calls=True, external_vcfs={"P1": "x.vcf"})
    check_imports(config, sheet, "config", [], check_files=False)  # own calls on: nothing to import is fine


# with reads: the simulated test cohort

def _sheet_samples(cohort, sheet, patient):
    from ith.variants.call import Sample

    rows = sheet[sheet["patient"] == patient]
    return [Sample(r.sample, r.type, str(r.bam)) for r in rows.itertuples(index=False)]


def test_het_snps_only_discovery_finds_the_same_hets_as_full_discovery(cohort, sheet):
    """Own calling off: discovery looks only where the normal shows alt reads, and finds the
    same het SNPs with the same counts (copynumber_baf reads them), and no candidate."""
    from ith.germline import HetParams
    from ith.variants.call import discover_chunk
    from ith.variants.somatic import SomaticParams

    samples = [s for s in _sheet_samples(cohort, sheet, "P1") if s.type != "plasma"]
    fasta = str(cohort / "reference" / "genome.fa")
    args = (samples, fasta, [("chr1", 1, 120000)], PileupParams(), SomaticParams(), 2, False)
    full_sites, full_hets = discover_chunk(*args, hets=HetParams())
    sites, hets = discover_chunk(*args, hets=HetParams(), candidates=False)
    assert len(full_sites) > 10 and len(sites) == 0 and list(sites.columns) == list(full_sites.columns)
    assert len(full_hets) > 20
    pd.testing.assert_frame_equal(hets, full_hets)


def test_imported_and_own_calls_join_and_imported_calls_stay_as_called(cohort, sheet, tmp_path):
    """Union: a site both find is one call (source own,imported:...); an imported site our filters
    reject (no read shows it) stays PASS, its own_filter says why, and it is present nowhere."""
    from ith.variants.call import call_patient, discover_chunk
    from ith.variants.presence import PresenceParams
    from ith.variants.somatic import SomaticParams

    fasta = str(cohort / "reference" / "genome.fa")
    samples = _sheet_samples(cohort, sheet, "P2")
    region = [("chr1", 1, 60000)]
    chunk, _ = discover_chunk(samples, fasta, region, PileupParams(), SomaticParams(), 2, False)
    truth = pd.read_csv(cohort / "truth" / "P2" / "mutations.tsv", sep="\t")
    clear = truth[(truth["chrom"] == "chr1") & (truth["pos"] <= 60000) & (truth["type"] == "snv") &
                  (truth["expected_vaf"] > 0.2)].drop_duplicates("mutation_id").iloc[0]
    germline = pd.read_csv(cohort / "truth" / "P2" / "germline.tsv", sep="\t")
    busy = set(truth["pos"]) | set(germline.loc[germline["chrom"] == "chr1", "pos"])
    with pysam.FastaFile(fasta) as fa:
        pos = next(p for p in range(30001, 40000) if p not in busy and fa.fetch("chr1", p - 1, p) in "ACGT")
        ref = fa.fetch("chr1", pos - 1, pos)
    invented = ("chr1", pos, ref, other(ref))
    imported = pd.DataFrame([("chr1", int(clear.pos), clear.ref, clear.alt, "imported:mutect2"),
                             (*invented, "imported:mutect2")], columns=["chrom", "pos", "ref", "alt", "source"])
    res = call_patient("P2", samples, [chunk], fasta, PileupParams(), SomaticParams(), PresenceParams(), False,
                       imported=imported)
    ids = res.sites["chrom"] + ":" + res.sites["pos"].astype(str) + ":" + res.sites["ref"] + ":" + res.sites["alt"]
    site = res.sites.set_index(ids)
    assert site.at[clear.mutation_id, "source"] == "own,imported:mutect2" and ids.tolist().count(clear.mutation_id) == 1
    inv = ":".join(map(str, invented))
    assert site.at[inv, "filters"] == "" and "low_tlod" in site.at[inv, "own_filter"]
    assert site.at[inv, "source"] == "imported:mutect2"
    rows = res.table[res.table["mutation_id"] == inv]
    assert len(rows) == len(samples) and not rows["present"].any()
    own_only = site[(site["filters"] == "") & ~site.index.isin([clear.mutation_id, inv])]
    assert len(own_only) > 5 and (own_only["source"] == "own").all()
    assert (site.loc[site["filters"] != "", "source"] == "none").all()


def test_the_truth_as_a_mutect2_vcf_passes_the_input_check_and_imports_every_true_mutation(cohort, sheet,
                                                                                             tmp_path):
    from ith.simulate.calls import write_truth_mutect2

    truth = pd.read_csv(cohort / "truth" / "P1" / "mutations.tsv", sep="\t")
    vcf = write_truth_mutect2(str(cohort), "P1", str(tmp_path / "P1.vcf.gz"))
    manifest = tmp_path / "import.tsv"
    manifest.write_text(f"patient\tvcf\tformat\nP1\t{vcf}\tmutect2\n")
    fasta = str(cohort / "reference" / "genome.fa")
    config = validate_config({"samples": str(cohort / "samples.tsv"), "reference": {"fasta": fasta},
                              "variants": {"import": {"manifest": str(manifest)}}})
    check_imports(config, sheet, "config", read_fai(fasta, "reference"))  # sample columns named by the BAMs' SM
    got = _run(read_manifest(str(manifest), {"P1": list(zip(sheet["sample"], sheet["type"]))}), fasta)
    ids = set(got["chrom"] + ":" + got["pos"].astype(str) + ":" + got["ref"] + ":" + got["alt"])
    assert ids == set(truth["mutation_id"])
    # the same VCF given for the other patient names its foreign sample columns
    manifest.write_text(f"patient\tvcf\tformat\nP2\t{vcf}\tmutect2\n")
    with pytest.raises(InputError, match="P1-R1.*name no sample of patient P2"):
        check_imports(config, sheet, "config", read_fai(fasta, "reference"))


# the workflow: the test cohort from imported calls

def import_run_config(cohort: Path, where: Path, results_from: Path | None = None) -> Path:
    """A config of the test cohort whose mutations are its truth imported as Mutect2 calls
    (truth/<patient>/mutations.tsv written by ith.simulate.calls, one VCF per patient, listed in
    a manifest), with own calling off; written into `where`, its path returned. With
    `results_from` (a finished run's directory), its QC and copy-number results are copied into
    `where` first, so a run there re-does only what the calls change."""
    from ith.simulate.calls import write_truth_mutect2

    where.mkdir(parents=True, exist_ok=True)
    rows = ["patient\tvcf\tformat"]
    for patient in ("P1", "P2"):
        vcf = write_truth_mutect2(str(cohort), patient, str(where / f"{patient}.mutect2.vcf.gz"))
        rows.append(f"{patient}\t{vcf}\tmutect2")
    (where / "import.tsv").write_text("\n".join(rows) + "\n")
    config = yaml.safe_load((cohort / "config.yaml").read_text())
    variants = config.setdefault("variants", {})
    variants["own_calls"] = False
    variants["import"] = {"manifest": str(where / "import.tsv"), "filters": ["PASS"]}
    path = where / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    if results_from is not None:
        for stage in ("qc", "copynumber"):
            shutil.copytree(results_from / "results" / stage, where / "results" / stage, dirs_exist_ok=True)
    return path


def _clusters(run: Path, patient: str) -> pd.Series:
    muts = pd.read_csv(run / "results" / "clonal" / patient / "clusters.tsv", sep="\t")
    return muts.drop_duplicates("mutation_id").set_index("mutation_id")["cluster_id"]


def _top_tree(run: Path, patient: str, clusters: pd.Series) -> set[tuple[frozenset, frozenset]]:
    """The top tree as edges between the mutation sets of its clones (labels differ between runs)."""
    parents = json.loads((run / "results" / "phylogeny" / patient / "trees.json").read_text())["trees"][0]["parents"]
    members = {c: frozenset(clusters[clusters.astype(str) == str(c)].index) for c in parents}
    return {(members[c], members[str(p)] if p is not None else frozenset()) for c, p in parents.items()}


def _same_tree(a: set, b: set, shared: set[str]) -> bool:
    """Equal edges once the clones are the mutations both runs have; each clone matched to the
    clone of the other run holding most of its mutations."""
    def norm(edges):
        return {(frozenset(c & shared), frozenset(p & shared)) for c, p in edges}

    na, nb = norm(a), norm(b)
    clones_b = {c for c, _ in nb}

    def match(x):
        return max(clones_b, key=lambda y: len(x & y)) if x else frozenset()

    return {(match(c), match(p)) for c, p in na} == nb


def test_tree_comparison_across_runs_ignores_labels_but_not_edges():
    a, b, c, d = (frozenset({f"{x}{i}" for i in range(5)}) for x in "abcd")
    tree = {(a, frozenset()), (b, a), (c, b), (d, a)}
    shared = set().union(a, b, c, d) - {"a0", "c4"}  # a mutation or two one run lacks
    assert _same_tree(tree, {(a - {"a0"}, frozenset()), (b, a - {"a0"}), (c, b), (d, a - {"a0"})}, shared)
    assert not _same_tree(tree, {(a, frozenset()), (b, a), (c, a), (d, a)}, shared)  # c moved: another tree


@pytest.mark.workflow
def test_imported_truth_calls_give_the_clusters_and_tree_of_our_own_calls(cohort, workflow_run, tmp_path):
    from ith.clonal.evaluate import adjusted_rand_index
    from conftest import snakemake

    workdir = tmp_path / "import_run"
    config = import_run_config(cohort, workdir, results_from=workflow_run)
    targets = [f"results/phylogeny/{p}/trees.json" for p in ("P1", "P2")]
    proc = snakemake(cohort, workdir, *targets, configfile=config)
    assert proc.returncode == 0, proc.stderr[-4000:]
    for patient in ("P1", "P2"):
        sites = pd.read_csv(workdir / "results" / "variants" / patient / "sites.tsv", sep="\t")
        assert (sites["source"] == "imported:mutect2").all() and (sites["filter"] == "PASS").all()
        own, imported = _clusters(workflow_run, patient), _clusters(workdir, patient)
        shared = sorted(set(own.index) & set(imported.index))
        assert len(shared) >= 0.9 * len(own)
        ari = adjusted_rand_index(own[shared].to_numpy(), imported[shared].to_numpy())
        assert ari >= 0.95, (patient, ari)
        assert _same_tree(_top_tree(workdir, patient, imported), _top_tree(workflow_run, patient, own), set(shared))
