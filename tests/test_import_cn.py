"""Imported copy number (copynumber.source: import): each tool's documented format read into our
segment table with purity and ploidy, a missing column named with its file, the manifest checked
against the sheet, and mutations outside every segment handled by one rule
(docs/methods/copynumber.md#imported-copy-number)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import snakemake

from ith.clonal.patient import InputParams, build_input
from ith.copynumber.importers import (FORMATS, REQUIRED, ImportRow, check_manifest, import_patient, read_manifest,
                                      read_purity, read_segments)
from ith.errors import InputError

# the reference of these tests: UCSC names; the files below use either naming
CONTIGS = [("chr1", 1_000_000), ("chr2", 800_000), ("chrX", 500_000), ("chrY", 200_000)]


def write(path: Path, text: str) -> str:
    path.write_text(text.lstrip("\n"))
    return str(path)


# each format as its tool writes it (column order and extra columns as in the tools' own files)
FILES = {
    # ASCAT: ascat.output$segments of two samples (ASCAT names contigs without 'chr')
    "ascat": ("segments.txt", """
sample\tchr\tstartpos\tendpos\tnMajor\tnMinor
T1\t1\t1001\t400000\t1\t1
T1\t1\t400001\t900000\t2\t0
T1\tX\t1\t450000\t1\t0
T2\t1\t1001\t900000\t1\t1
"""),
    # FACETS emcncf()$cncf as facets-suite writes *.cncf.txt: X is 23, lcn.em NA without hets
    "facets": ("T1.cncf.txt", """
chrom\tseg\tnum.mark\tnhet\tcnlr.median\tmafR\tsegclust\tcnlr.median.clust\tmafR.clust\tstart\tend\tcf.em\ttcn.em\tlcn.em
1\t1\t500\t60\t0.01\t0.01\t1\t0\t0\t1001\t400000\t1\t2\t1
1\t2\t700\t80\t0.30\t0.90\t2\t0.3\t0.9\t400001\t900000\t0.62\t3\t0
2\t3\t300\t0\t-0.40\tNA\t3\t-0.4\tNA\t1001\t700000\t0.30\t1\tNA
23\t4\t200\t10\t-0.5\t1.2\t4\t-0.5\t1.2\t1\t450000\t0.62\t1\t0
"""),
    # PURPLE *.purple.cnv.somatic.tsv (fractional copy numbers, 1-based inclusive)
    "purple": ("T1.purple.cnv.somatic.tsv", """
chromosome\tstart\tend\tcopyNumber\tbafCount\tobservedBAF\tbaf\tsegmentStartSupport\tsegmentEndSupport\tmethod\tdepthWindowCount\tgcContent\tminStart\tmaxStart\tminorAlleleCopyNumber\tmajorAlleleCopyNumber
chr1\t1\t400000\t2.02\t120\t0.52\t0.51\tTELOMERE\tNONE\tBAF_WEIGHTED\t400\t0.41\t1\t1\t0.98\t1.04
chr1\t400001\t1000000\t3.04\t150\t0.70\t0.66\tNONE\tTELOMERE\tBAF_WEIGHTED\t600\t0.40\t400001\t400001\t1.01\t2.03
chr2\t1\t800000\t2.55\t100\t0.60\t0.58\tTELOMERE\tTELOMERE\tBAF_WEIGHTED\t800\t0.42\t1\t1\t1.00\t1.55
"""),
    # Battenberg *_subclones.txt: a clonal segment and a subclonal one (two states)
    "battenberg": ("T1_subclones.txt", """
chr\tstartpos\tendpos\tBAF\tpval\tLogR\tntot\tnMaj1_A\tnMin1_A\tfrac1_A\tnMaj2_A\tnMin2_A\tfrac2_A\tSDfrac_A\tSDfrac_A_BS\tfrac1_A_0.025\tfrac1_A_0.975
1\t1001\t400000\t0.5\t1\t0.0\t2\t1\t1\t1\tNA\tNA\tNA\tNA\tNA\tNA\tNA
1\t400001\t900000\t0.35\t1e-5\t0.1\t2.4\t1\t1\t0.3\t2\t1\t0.7\t0.05\t0.04\t0.25\t0.35
"""),
    # CNVkit call output: 0-based starts, cn1/cn2 empty where there is no BAF
    "cnvkit": ("T1.call.cns", """
chromosome\tstart\tend\tgene\tlog2\tbaf\tcn\tcn1\tcn2\tdepth\tprobes\tweight
chr1\t1000\t400000\tA,B\t0.0\t0.5\t2\t1\t1\t100\t40\t39
chr1\t400000\t900000\tC\t0.45\t0.75\t3\t2\t1\t150\t50\t49
chr2\t0\t700000\tD\t-0.6\t\t1\t\t\t60\t70\t69
"""),
    # Sequenza *_segments.txt (A, B NA where no BAF)
    "sequenza": ("T1_segments.txt", """
chromosome\tstart.pos\tend.pos\tBf\tN.BAF\tsd.BAF\tdepth.ratio\tN.ratio\tsd.ratio\tCNt\tA\tB\tLPP
chr1\t1001\t400000\t0.49\t60\t0.05\t1.0\t500\t0.1\t2\t1\t1\t-5.2
chr1\t400001\t900000\t0.0\t80\t0.04\t1.3\t700\t0.1\t2\t2\t0\t-6.0
chrX\t1\t450000\tNA\t0\tNA\t0.6\t200\t0.1\t1\tNA\tNA\t-4.0
"""),
}

PURITY_FILES = {
    # ascat.metrics() written by R's write.table (row names: no header field of their own)
    "ascat": ("metrics.txt", """
sex\tpurity\tploidy\tgoodness_of_fit\tWGD
T1\tXY\t0.71\t2.15\t98.2\t0
T2\tXY\t0.45\t2.02\t97.5\t0
"""),
    # facets-suite's .out
    "facets": ("T1.out", """
# Input parameters
TAG = T1
cval = 100

# FACETS output
Purity = 0.62
Ploidy = 2.3
dipLogR = -0.05
output flags = NULL
"""),
    "purple": ("T1.purple.purity.tsv", """
purity\tnormFactor\tscore\tdiploidProportion\tploidy\tgender\tstatus\tpolyclonalProportion\tminPurity\tmaxPurity\tminPloidy\tmaxPloidy\tminDiploidProportion\tmaxDiploidProportion\tversion\tsomaticPenalty\twholeGenomeDuplication\tmsIndelsPerMb\tmsStatus\ttml\ttmlStatus\ttmbPerMb\ttmbStatus\tsvTumorMutationalBurden
0.83\t0.71\t0.40\t0.55\t2.41\tFEMALE\tNORMAL\t0.05\t0.80\t0.86\t2.38\t2.45\t0.5\t0.6\t3.9\t0\tfalse\t0.1\tMSS\t100\tLOW\t3.2\tLOW\t80
"""),
    # Battenberg's rho_and_psi.txt (write.table with row names)
    "battenberg": ("T1_rho_and_psi.txt", """
rho\tpsi\tploidy\tdistance\tis.best
ASCAT\t0.66\t2.2\t2.18\tNA\tNA
FRAC_GENOME\t0.68\t2.25\t2.21\t0.05\tTRUE
REF_SEG\t0.67\t2.24\t2.2\t0.06\tFALSE
"""),
    "sequenza": ("T1_confints_CP.txt", """
cellularity\tploidy.estimate\tploidy.mean.cn
0.55\t2.0\t2.1
0.58\t2.1\t2.1
0.61\t2.2\t2.1
"""),
}


def seg_of(fmt: str, tmp_path: Path, **kw) -> pd.DataFrame:
    name, text = FILES[fmt]
    return read_segments(write(tmp_path / name, text), fmt, CONTIGS, **kw).segments


def test_ascat_segments_of_one_sample_in_the_reference_naming(tmp_path):
    s = seg_of("ascat", tmp_path, tool_sample="T1")
    assert s[["chrom", "start", "end", "major_cn", "minor_cn", "total_cn"]].values.tolist() == [
        ["chr1", 1001, 400000, 1, 1, 2], ["chr1", 400001, 900000, 2, 0, 2], ["chrX", 1, 450000, 1, 0, 1]]
    assert s["allele_specific"].all() and not s["subclonal"].any()
    # a multi-sample file needs the sample's name: the manifest's tool_sample, else our id
    assert len(seg_of("ascat", tmp_path, default_sample="T2")) == 1
    with pytest.raises(InputError, match="tool_sample"):
        seg_of("ascat", tmp_path)
    pur = read_purity(write(tmp_path / PURITY_FILES["ascat"][0], PURITY_FILES["ascat"][1]), "ascat", "T2")
    assert (pur.purity, pur.ploidy, pur.goodness_of_fit) == (0.45, 2.02, 97.5)


def test_facets_x_is_23_total_only_without_lcn_and_low_cell_fraction_is_subclonal(tmp_path):
    pur = read_purity(write(tmp_path / PURITY_FILES["facets"][0], PURITY_FILES["facets"][1]), "facets")
    assert (pur.purity, pur.ploidy) == (0.62, 2.3)
    s = seg_of("facets", tmp_path, purity=pur.purity)
    assert list(s["chrom"]) == ["chr1", "chr1", "chr2", "chrX"]
    assert s[["major_cn", "minor_cn"]].values.tolist() == [[1, 1], [3, 0], [1, 0], [1, 0]]
    # lcn.em NA: total copy number only, balanced split (1 -> 1 + 0), flagged
    assert s["allele_specific"].tolist() == [True, True, False, True]
    # cf.em 0.30 < 0.8 x purity: subclonal; cf.em = purity: clonal; 2/1 normal never
    assert s["subclonal"].tolist() == [False, False, True, False]
    assert s["log2r"].iloc[1] == pytest.approx(0.30) and s["n_snps"].iloc[1] == 80


def test_purple_fractional_copy_numbers_are_rounded_and_polyclonal_ones_subclonal(tmp_path):
    s = seg_of("purple", tmp_path)
    assert s[["major_cn", "minor_cn", "total_cn"]].values.tolist() == [[1, 1, 2], [2, 1, 3], [2, 1, 3]]
    # 1.55 is 0.45 from a whole copy number (PURPLE's polyclonal: more than 0.25)
    assert s["subclonal"].tolist() == [False, False, True]
    pur = read_purity(write(tmp_path / PURITY_FILES["purple"][0], PURITY_FILES["purple"][1]), "purple")
    assert (pur.purity, pur.ploidy) == (0.83, 2.41)


def test_battenberg_keeps_both_subclonal_states(tmp_path):
    s = seg_of("battenberg", tmp_path)
    clonal, sub = s.iloc[0], s.iloc[1]
    assert (clonal["major_cn"], clonal["minor_cn"], bool(clonal["subclonal"])) == (1, 1, False)
    assert math.isnan(clonal["fraction_2"])
    # the state of most tumour cells (2+1 in 70%) leads, the other (1+1 in 30%) is kept beside it
    assert (sub["major_cn"], sub["minor_cn"], bool(sub["subclonal"])) == (2, 1, True)
    assert (sub["major_cn_2"], sub["minor_cn_2"], sub["fraction_2"]) == (1, 1, 0.3)
    pur = read_purity(write(tmp_path / PURITY_FILES["battenberg"][0], PURITY_FILES["battenberg"][1]), "battenberg")
    assert (pur.purity, pur.ploidy) == (0.68, 2.21)


def test_cnvkit_starts_are_zero_based_and_missing_cn1_cn2_mean_total_only(tmp_path):
    s = seg_of("cnvkit", tmp_path)
    assert s[["start", "end"]].values.tolist() == [[1001, 400000], [400001, 900000], [1, 700000]]
    assert s[["major_cn", "minor_cn"]].values.tolist() == [[1, 1], [2, 1], [1, 0]]
    assert s["allele_specific"].tolist() == [True, True, False]
    assert s["log2r"].iloc[1] == pytest.approx(0.45) and s["n_bins"].iloc[2] == 70
    # `cnvkit.py call` without a VCF writes no cn1/cn2 at all: every segment total-only
    name, text = FILES["cnvkit"]
    lines = [ln.split("\t") for ln in text.strip().splitlines()]
    plain = "\n".join("\t".join(f for k, f in enumerate(ln) if k not in (7, 8)) for ln in lines) + "\n"
    imp = read_segments(write(tmp_path / "plain.call.cns", plain), "cnvkit", CONTIGS)
    assert not imp.segments["allele_specific"].any()
    assert imp.segments[["major_cn", "minor_cn"]].values.tolist() == [[1, 1], [2, 1], [1, 0]]
    assert any("total copy number only" in n for n in imp.notes)


def test_sequenza_segments_and_point_estimate(tmp_path):
    s = seg_of("sequenza", tmp_path)
    assert s[["major_cn", "minor_cn", "allele_specific"]].values.tolist() == [[1, 1, True], [2, 0, True],
                                                                             [1, 0, False]]
    assert s["log2r"].iloc[1] == pytest.approx(np.log2(1.3))
    pur = read_purity(write(tmp_path / PURITY_FILES["sequenza"][0], PURITY_FILES["sequenza"][1]), "sequenza")
    assert (pur.purity, pur.ploidy) == (0.58, 2.1)  # the middle row: lower bound, estimate, upper bound


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_missing_column_is_named_with_its_file(tmp_path, fmt):
    name, text = FILES[fmt]
    lines = [ln.split("\t") for ln in text.strip().splitlines()]
    column = REQUIRED[fmt][-1][0]  # the minor copy number (or its fraction), the column a hand edit loses first
    k = lines[0].index(column)
    path = write(tmp_path / name, "\n".join("\t".join(f for i, f in enumerate(ln) if i != k) for ln in lines) + "\n")
    with pytest.raises(InputError) as e:
        read_segments(path, fmt, CONTIGS, tool_sample="T1" if fmt == "ascat" else None)
    assert path in str(e.value) and f"'{column}'" in str(e.value) and fmt in str(e.value)


def test_contigs_of_another_build_stop_and_foreign_contigs_are_counted(tmp_path):
    path = write(tmp_path / "x.call.cns", "chromosome\tstart\tend\tlog2\tcn\nchr1\t0\t10\t0\t2\n"
                                          "chrUn_gl000220\t0\t10\t0\t2\n")
    imp = read_segments(path, "cnvkit", CONTIGS)
    assert len(imp.segments) == 1 and any("not in the reference" in n for n in imp.notes)
    other = write(tmp_path / "y.call.cns", "chromosome\tstart\tend\tlog2\tcn\nNC_000001\t0\t10\t0\t2\n")
    with pytest.raises(InputError, match="another reference build"):
        read_segments(other, "cnvkit", CONTIGS)


def _sheet():
    return pd.DataFrame({"patient": ["P", "P", "P", "P"], "sample": ["N", "T1", "T2", "PL"],
                         "type": ["normal", "tumour", "tumour", "plasma"], "purity": [np.nan] * 4})


def test_manifest_must_cover_every_tumour_and_name_existing_files(tmp_path):
    seg = write(tmp_path / "T1.call.cns", FILES["cnvkit"][1])
    m = tmp_path / "m.tsv"
    m.write_text(f"sample\tformat\tsegments\tpurity\nT1\tcnvkit\t{seg}\t0.6\n")
    with pytest.raises(InputError, match="T2 of patient P have no row"):
        check_manifest(read_manifest(str(m)), str(m), _sheet())
    m.write_text(f"sample\tformat\tsegments\tpurity\nT1\tcnvkit\t{seg}\t0.6\nT2\tcnvkit\t{tmp_path}/none.cns\t0.5\n")
    with pytest.raises(InputError, match="none.cns: file not found"):
        check_manifest(read_manifest(str(m)), str(m), _sheet())
    m.write_text(f"sample\tformat\tsegments\nT1\tcnvkit\t{seg}\nT2\tcnvkit\t{seg}\n")
    with pytest.raises(InputError, match="CNVkit writes none"):
        check_manifest(read_manifest(str(m)), str(m), _sheet())
    m.write_text(f"sample\tformat\tsegments\nPL\tcnvkit\t{seg}\n")
    with pytest.raises(InputError, match="plasma sample"):
        check_manifest(read_manifest(str(m)), str(m), _sheet())
    m.write_text(f"sample\tformat\tsegments\nT1\tascat3\t{seg}\n")
    with pytest.raises(InputError, match="format 'ascat3' unknown"):
        read_manifest(str(m))


def test_a_patient_of_two_tools_gets_shared_breakpoints_and_the_contract_of_own_calls(tmp_path):
    from ith.copynumber.call import PURITY_COLUMNS, SEGMENT_COLUMNS

    rows = [ImportRow("T1", "battenberg", write(tmp_path / "b.txt", FILES["battenberg"][1]),
                      write(tmp_path / "rp.txt", PURITY_FILES["battenberg"][1])),
            ImportRow("T2", "purple", write(tmp_path / "p.tsv", FILES["purple"][1]),
                      write(tmp_path / "pp.tsv", PURITY_FILES["purple"][1]))]
    samples = [{"name": "N", "type": "normal", "purity": None}, {"name": "T1", "type": "tumour", "purity": None},
               {"name": "T2", "type": "tumour", "purity": None}, {"name": "PL", "type": "plasma", "purity": None}]
    res = import_patient("P", rows, samples, CONTIGS, "female")
    assert list(res.segments.columns) == SEGMENT_COLUMNS and list(res.purity.columns) == PURITY_COLUMNS
    seg = res.segments
    chr1 = {s: t[t["chrom"] == "chr1"][["start", "end"]].values.tolist() for s, t in seg.groupby("sample")}
    # Battenberg breaks at 400001 and ends at 900000, PURPLE starts at 1 and ends at 1e6: both cut at
    # the union, where a sample covers the piece
    assert chr1["T1"] == [[1001, 400000], [400001, 900000]]
    assert chr1["T2"] == [[1, 1000], [1001, 400000], [400001, 900000], [900001, 1000000]]
    pur = res.purity.set_index("sample")
    assert pur.loc["T1", "purity"] == 0.68 and pur.loc["T2", "ploidy"] == 2.41
    assert pur.loc["T1", "method"] == "import:battenberg" and np.isnan(pur.loc["PL", "purity"])
    assert res.plasma["assessable"].tolist() == [False]
    assert res.metrics["samples"]["T1"]["subclonal_fraction"] > 0


def _counts(rows):
    return pd.DataFrame([dict(mutation_id=m, sample=s, ref_counts=60, alt_counts=20, depth=80, present=True)
                         for m, s in rows])


def test_mutations_outside_every_segment_take_the_nearest_within_max_gap_else_normal_copies():
    segs = pd.DataFrame({"sample": "T", "chrom": ["chr1", "chr1", "chr1", "chrX"],
                         "start": [1, 100_001, 300_001, 1], "end": [50_000, 200_000, 400_000, 100_000],
                         "major_cn": [2, 2, 3, 1], "minor_cn": [1, 1, 0, 0], "subclonal": [False, False, True, False]})
    muts = {"chr1:10:A:C": "segment", "chr1:70000:A:C": "gap",  # between two 2+1 segments
            "chr1:250000:A:C": "nearest",  # between 2+1 and 3+0: the nearer (end 200,000)
            "chr1:280000:A:C": "nearest",  # nearer to the 3+0 segment (starts 300,001)
            "chr1:2400000:A:C": "diploid",  # 2 Mb past the last segment
            "chr2:500:A:C": "diploid", "chrX:150000:A:C": "nearest", "chrX:1200000:A:C": "diploid"}
    counts = _counts([(m, "T") for m in muts])
    purity = pd.DataFrame({"sample": ["T"], "purity": [0.7]})
    full = build_input(counts, segs, purity, ["T"], "male", InputParams(), max_gap=1_000_000).set_index("mutation_id")
    assert full["cn_source"].to_dict() == muts
    assert full.loc["chr1:250000:A:C", ["major_cn", "minor_cn"]].tolist() == [2, 1]
    assert full.loc["chr1:280000:A:C", ["major_cn", "minor_cn", "cn_status"]].tolist() == [3, 0, "subclonal"]
    # beyond max_gap: the normal's copies (1+1; 1+0 on a male's X), reads kept in the fit
    assert full.loc["chr1:2400000:A:C", ["major_cn", "minor_cn", "cn_status"]].tolist() == [1, 1, "ok"]
    assert full.loc["chrX:1200000:A:C", ["major_cn", "minor_cn", "normal_cn"]].tolist() == [1, 0, 1]
    assert full.loc["chr2:500:A:C", "alt_counts"] == 20
    # max_gap 0: only the segment and the agreeing-gap mutations keep a segment's state
    tight = build_input(counts, segs, purity, ["T"], "male", InputParams(), max_gap=0).set_index("mutation_id")
    assert (tight["cn_source"] == "nearest").sum() == 0 and (tight["cn_source"] == "diploid").sum() == 6


def _same_top_tree(own: dict, imported: dict, own_clusters: pd.Series, imp_clusters: pd.Series) -> bool:
    """The two top trees are one up to cluster labels (each imported cluster named by the own
    cluster most of its mutations are in)."""
    both = pd.concat([own_clusters.rename("own"), imp_clusters.rename("imp")], axis=1).dropna()
    name = both.groupby("imp")["own"].agg(lambda v: v.value_counts().index[0])
    rename = {str(int(k)): str(int(v)) for k, v in name.items()}
    translated = {rename.get(c, c): (None if p is None else rename.get(str(p), str(p))) for c, p in imported.items()}
    return translated == {c: (None if p is None else str(p)) for c, p in own.items()}


@pytest.mark.workflow
def test_true_copy_number_imported_as_ascat_gives_the_clusters_and_tree_of_own_calls(cohort, workflow_run, tmp_path):
    """The `cohort`'s truth written as ASCAT's segments and metrics, imported (own calling off):
    copynumber_import and the clonal and tree stages run on the workflow run's variants, no
    copy-number job reads a BAM, and the clusters (ARI >= 0.95) and the top tree are those of
    the run on our own calls."""
    import json
    import shutil

    from ith.clonal.evaluate import adjusted_rand_index
    from ith.simulate.cnimport import import_config

    config = import_config(cohort, tmp_path)
    work = tmp_path / "run"
    # the run's qc and variants results (times kept, so they stay up to date), not its copy number
    shutil.copytree(workflow_run / "results", work / "results",
                    ignore=shutil.ignore_patterns("copynumber", "clonal", "phylogeny", "liquid", "report", "export"))
    patients = ["P1", "P2"]
    targets = [f"results/{t}/{p}/{f}" for p in patients for t, f in (("clonal", "mutations.tsv"),
                                                                      ("phylogeny", "trees.json"))]
    proc = snakemake(cohort, work, *targets, configfile=config)
    assert proc.returncode == 0, proc.stderr[-4000:]
    ran = proc.stdout + proc.stderr
    assert "rule copynumber_import" in ran and "copynumber_sample" not in ran and "copynumber_call" not in ran
    for p in patients:
        res = work / "results"
        truth = pd.read_csv(cohort / "truth" / p / "purity_ploidy.tsv", sep="\t").set_index("sample")
        pur = pd.read_csv(res / "copynumber" / p / "purity_ploidy.tsv", sep="\t").set_index("sample")
        tumours = pur.index[pur["method"] == "import:ascat"]
        assert len(tumours) == 3 and np.allclose(pur.loc[tumours, "purity"], truth.loc[tumours, "purity"], atol=1e-3)
        assert (res / "copynumber" / p / "cn_profile.png").stat().st_size > 0
        own = pd.read_csv(workflow_run / "results" / "clonal" / p / "mutations.tsv", sep="\t")
        imp = pd.read_csv(res / "clonal" / p / "mutations.tsv", sep="\t")
        a = own.drop_duplicates("mutation_id").set_index("mutation_id")["cluster_id"]
        b = imp.drop_duplicates("mutation_id").set_index("mutation_id")["cluster_id"]
        assert set(a.index) == set(b.index)
        ari = adjusted_rand_index(a.fillna(-1), b.reindex(a.index).fillna(-1))
        assert ari >= 0.95, (p, ari)
        top_own = json.loads((workflow_run / "results" / "phylogeny" / p / "trees.json").read_text())["trees"][0]
        top_imp = json.loads((res / "phylogeny" / p / "trees.json").read_text())["trees"][0]
        assert _same_top_tree(top_own["parents"], top_imp["parents"], a, b), (p, top_own, top_imp)


def test_config_check_needs_a_manifest_with_import_and_reads_it_against_the_sheet(tmp_path):
    from ith.config import check_cn_import

    with pytest.raises(InputError, match="import_manifest is empty"):
        check_cn_import({"copynumber": {"source": "import", "import_manifest": None}}, _sheet())
    assert check_cn_import({"copynumber": {"source": "own", "import_manifest": "unused.tsv"}}, _sheet()) is None
    seg = write(tmp_path / "T.call.cns", FILES["cnvkit"][1])
    m = write(tmp_path / "m.tsv", f"patient\tsample\tformat\tsegments\tpurity\nP\tT1\tcnvkit\t{seg}\t0.6\n"
                                  f"P\tT2\tcnvkit\t{seg}\t0.5\n")
    got = check_cn_import({"copynumber": {"source": "import", "import_manifest": m}}, _sheet())
    assert list(got["sample"]) == ["T1", "T2"]
