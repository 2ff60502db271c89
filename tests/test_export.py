"""Exports (src/ith/export): GDC MAF, Pairtree, CONIPHER and MEDICC2 inputs written from small
hand-made tables and read back (Pairtree and CONIPHER with ith.phylogeny.formats' readers), and a
workflow run's exports read back."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ith.export.maf import (GDC_COLUMNS, MAF_COLUMNS, MAF_DTYPES, concat_mafs, maf_allele, maf_table,
                            ncbi_build, read_maf, write_maf)
from ith.export.medicc2 import MEDICC2_COLUMNS, medicc2_table
from ith.export.trees import (CONIPHER_EXPORT_COLUMNS, artefact_clusters, conipher_table, pairtree_inputs,
                              var_read_prob, write_pairtree)
from ith.io.tables import write_tsv
from ith.phylogeny.formats import CONIPHER_COLUMNS, read_conipher, read_pairtree

SAMPLES = ["T1", "T2"]


def mutations() -> pd.DataFrame:
    """mutations.tsv of one patient: an SNV, a deletion and an insertion clustered, an MNV in an
    artefact cluster, an indel left out of the fit."""
    rows = []
    spec = [  # id, cluster, clustered, reason, major, minor, multiplicity
        ("chr1:100:C:T", 0, True, "", 1, 1, 1),
        ("chr1:200:CTG:C", 0, True, "", 2, 1, 2),
        ("chr2:300:A:AGT", 1, True, "", 1, 1, 1),
        ("chr2:400:AC:GT", 2, True, "", 1, 1, 1),
        ("chrX:500:GA:G", 1, False, "indel", np.nan, np.nan, np.nan),
    ]
    for k, (mid, cl, clustered, reason, major, minor, mult) in enumerate(spec):
        for j, s in enumerate(SAMPLES):
            ref, alt = 40 + k + j, 10 + k - 5 * j
            rows.append({"patient": "P", "mutation_id": mid, "sample": s, "cluster_id": cl,
                         "cluster_assignment_prob": 0.9, "clustered": clustered, "reason": reason,
                         "ref_counts": ref, "alt_counts": alt, "depth": ref + alt, "present": alt > 6,
                         "major_cn": major, "minor_cn": minor, "normal_cn": 2, "cn_status": "ok",
                         "purity": [0.8, 0.5][j], "ccf": 0.9 - 0.1 * k, "ccf_low": 0.7 - 0.1 * k,
                         "ccf_high": 1.0, "cluster_ccf": 0.9, "multiplicity": mult, "multiplicity_prob": 0.9,
                         "call": "clonal", "truncal": False, "indel": "," not in mid, "driver": ""})
    return pd.DataFrame(rows)


def summary() -> pd.DataFrame:
    return pd.DataFrame({"patient": "P", "cluster_id": [0, 0, 1, 1, 2, 2], "sample": SAMPLES * 3,
                         "artefact": [False, False, False, False, True, True]})


def normal_counts() -> pd.DataFrame:
    ids = mutations()["mutation_id"].unique()
    return pd.DataFrame({"mutation_id": ids, "sample": "N", "ref_counts": 30, "alt_counts": [0, 1, 0, 0, 0],
                         "depth": [30, 31, 30, 30, 30]})


# ---------------------------------------------------------------------------------------------
# MAF


@pytest.mark.parametrize("pos, ref, alt, expected", [
    (100, "C", "T", (100, 100, "C", "T", "SNP")),
    (100, "AC", "GT", (100, 101, "AC", "GT", "DNP")),
    (100, "ACG", "TTA", (100, 102, "ACG", "TTA", "TNP")),
    (100, "ACGT", "TTAA", (100, 103, "ACGT", "TTAA", "ONP")),
    (100, "CTG", "C", (101, 102, "TG", "-", "DEL")),  # anchor stripped, the deleted bases
    (100, "C", "CAT", (100, 101, "-", "AT", "INS")),  # between the flanking bases
    (100, "CA", "TGG", (100, 101, "CA", "TGG", "INS")),  # complex: longer alt
])
def test_maf_positions_follow_maf_conventions(pos, ref, alt, expected):
    assert maf_allele(pos, ref, alt) == expected


def test_ncbi_build_from_chromosome_1_else_the_fasta_name():
    assert ncbi_build([("chr1", 248_956_422)], "/ref/Homo_sapiens_assembly38.fasta") == "GRCh38"
    assert ncbi_build([("1", 249_250_621), ("2", 243_199_373)], "/ref/hs37d5.fa") == "GRCh37"
    assert ncbi_build([("chr1", 1_000_000)], "/ref/genome.fa.gz") == "genome"


def test_maf_has_the_gdc_columns_then_ith_columns_and_reads_back_with_its_dtypes(tmp_path):
    t = maf_table(mutations(), normal_counts(), "N", "GRCh38", tree_clusters={0, 1})
    assert list(t.columns) == MAF_COLUMNS and MAF_COLUMNS[:len(GDC_COLUMNS)] == GDC_COLUMNS
    assert GDC_COLUMNS[:13] == ["Hugo_Symbol", "Entrez_Gene_Id", "Center", "NCBI_Build", "Chromosome",
                                "Start_Position", "End_Position", "Strand", "Variant_Classification",
                                "Variant_Type", "Reference_Allele", "Tumor_Seq_Allele1", "Tumor_Seq_Allele2"]
    write_maf(t, str(tmp_path / "P.maf"))
    assert (tmp_path / "P.maf").read_text().startswith("#version gdc-1.0.0\nHugo_Symbol\tEntrez_Gene_Id\t")
    m = read_maf(str(tmp_path / "P.maf"))
    assert list(m.columns) == MAF_COLUMNS
    for col, dtype in MAF_DTYPES.items():
        assert str(m[col].dtype) == dtype, col
    assert len(m) == 10  # one row per mutation and tumour sample
    assert set(m["Hugo_Symbol"]) == {"Unknown"} and set(m["Entrez_Gene_Id"]) == {0}
    assert set(m["Variant_Classification"]) == {"Targeted_Region"} and set(m["NCBI_Build"]) == {"GRCh38"}
    assert m["dbSNP_RS"].isna().all()  # unfilled GDC columns are empty
    d = m[m["mutation_id"] == "chr1:200:CTG:C"].iloc[0]
    assert (d["Start_Position"], d["End_Position"], d["Reference_Allele"], d["Tumor_Seq_Allele1"],
            d["Tumor_Seq_Allele2"], d["Variant_Type"]) == (201, 202, "TG", "TG", "-", "DEL")
    i = m[(m["mutation_id"] == "chr2:300:A:AGT") & (m["Tumor_Sample_Barcode"] == "T2")].iloc[0]
    assert (i["Start_Position"], i["End_Position"], i["Reference_Allele"], i["Tumor_Seq_Allele2"]) == (300, 301, "-",
                                                                                                        "GT")
    assert (i["t_ref_count"], i["t_alt_count"], i["t_depth"]) == (43, 7, 50)
    assert (i["n_depth"], i["n_ref_count"], i["n_alt_count"]) == (30, 30, 0)
    assert i["Matched_Norm_Sample_Barcode"] == "N" and i["cluster"] == 1 and i["clone"] == 1
    assert i["ccf"] == pytest.approx(0.7) and i["present"]
    art = m[m["mutation_id"] == "chr2:400:AC:GT"]
    assert art["clone"].isna().all() and (art["cluster"] == 2).all()  # a cluster not in the tree is no clone


def test_maf_same_table_same_bytes_and_cohort_concatenates(tmp_path):
    t = maf_table(mutations(), normal_counts(), "N", "GRCh38", tree_clusters={0, 1})
    write_maf(t, str(tmp_path / "a.maf"))
    write_maf(t, str(tmp_path / "b.maf"))
    assert (tmp_path / "a.maf").read_bytes() == (tmp_path / "b.maf").read_bytes()
    concat_mafs([str(tmp_path / "a.maf"), str(tmp_path / "b.maf")], str(tmp_path / "cohort.maf"))
    c = read_maf(str(tmp_path / "cohort.maf"))
    assert len(c) == 2 * len(t) and list(c.columns) == MAF_COLUMNS
    assert (tmp_path / "cohort.maf").read_text().count("#version") == 1


# ---------------------------------------------------------------------------------------------
# Pairtree


def test_var_read_prob_is_pairtree_omega():
    one = np.array([1.0])
    assert var_read_prob(one, one, one, np.array([0.6]), np.array([2.0]))[0] == pytest.approx(0.5)
    # 2 mutated copies of 3 at purity 1: 2/3; at purity 0.5 the locus averages 2.5 copies per cell
    assert var_read_prob(2 * one, 2 * one, one, one, 2 * one)[0] == pytest.approx(2 / 3)
    assert var_read_prob(2 * one, 2 * one, one, 0.5 * one, 2 * one)[0] == pytest.approx(2 / 2.5)
    assert var_read_prob(np.array([np.nan]), np.array([np.nan]), np.array([np.nan]), one, one)[0] == 1.0  # male X


def test_pairtree_export_reads_back(tmp_path):
    m = mutations()
    ssm, params = pairtree_inputs(m, artefact_clusters(summary()))
    write_pairtree(ssm, params, str(tmp_path / "P.ssm"), str(tmp_path / "P.params.json"))
    table, samples = read_pairtree(str(tmp_path / "P.ssm"), str(tmp_path / "P.params.json"))
    assert samples == SAMPLES
    raw = json.loads((tmp_path / "P.params.json").read_text())
    assert raw["cluster_ids"] == [0, 1]
    names = dict(zip(ssm["id"], ssm["name"]))
    assert len(raw["garbage"]) == 2  # the artefact cluster's MNV and the unclustered indel
    assert {names[g] for g in raw["garbage"]} == {"chr2:400:AC:GT", "chrX:500:GA:G"}
    table["mutation_id"] = table["mutation_id"].map(names)
    got = table.set_index(["mutation_id", "sample"])
    for r in m[m["clustered"] & (m["cluster_id"] != 2)].itertuples():
        g = got.loc[(r.mutation_id, r.sample)]
        assert (g["var_reads"], g["total_reads"]) == (r.alt_counts, r.ref_counts + r.alt_counts)
        assert raw["cluster_ids"][int(g["cluster_id"]) - 1] == r.cluster_id
    # the deletion: 2 mutated copies of 3 at purity 0.8 -> 2 / (0.8 * 3 + 0.2 * 2)
    assert got.loc[("chr1:200:CTG:C", "T1"), "var_read_prob"] == pytest.approx(2 / 2.8, rel=1e-5)
    assert got.loc[("chr1:100:C:T", "T2"), "var_read_prob"] == pytest.approx(0.5)


# ---------------------------------------------------------------------------------------------
# CONIPHER


def test_conipher_export_reads_back(tmp_path):
    m = mutations()
    t = conipher_table(m, artefact_clusters(summary()), {"T1": 2.1, "T2": 3.4})
    assert list(t.columns) == CONIPHER_EXPORT_COLUMNS and set(CONIPHER_COLUMNS) <= set(t.columns)
    write_tsv(t, str(tmp_path / "conipher_input.tsv"))
    table, samples, meta = read_conipher(str(tmp_path / "conipher_input.tsv"))
    assert samples == SAMPLES and meta == {"case": "P"}
    assert len(table) == 6  # three tree mutations x two regions
    got = table.set_index(["mutation_id", "sample"])
    d = got.loc[("chr1:200:CTG>C", "T1")]
    assert (d["var_reads"], d["total_reads"], d["cluster_id"]) == (11, 52, 1)  # CLUSTER = cluster_id + 1
    # CONIPHER's read probability per carrier (tumour) cell: purity x multiplicity over the copies
    assert d["var_read_prob"] == pytest.approx(0.8 * 2 / 2.8, rel=1e-4)
    assert t.loc[t["SAMPLE"] == "T2", "PLOIDY"].iloc[0] == 3.4


# ---------------------------------------------------------------------------------------------
# MEDICC2


def test_medicc2_table_autosomes_shared_segments_and_a_diploid_normal():
    seg = pd.DataFrame({
        "patient": "P", "sample": ["T1", "T1", "T1", "T2", "T2", "T2", "PL", "PL", "PL"],
        "chrom": ["chr1", "chr2", "chrX"] * 3, "start": [1, 1, 1] * 3, "end": [100, 200, 300] * 3,
        "major_cn": [2, 1, 1, 1, np.nan, 1, np.nan, np.nan, np.nan],
        "minor_cn": [1, 1, 0, 0, np.nan, 0, np.nan, np.nan, np.nan]})
    t = medicc2_table(seg, ["T1", "T2"])
    assert list(t.columns) == MEDICC2_COLUMNS
    # chr2 has no copy number in T2 (left out for all), chrX is not an autosome, plasma is no region
    assert t.values.tolist() == [["T1", "chr1", 1, 100, 2, 1], ["T2", "chr1", 1, 100, 1, 0],
                                 ["diploid", "chr1", 1, 100, 1, 1]]


# ---------------------------------------------------------------------------------------------
# A workflow run's exports


@pytest.mark.workflow
def test_workflow_exports_read_back(workflow_run):
    results = workflow_run / "results"
    patients = sorted(p.name for p in (results / "export").iterdir() if p.is_dir())
    assert patients
    cohort = read_maf(str(results / "export" / "cohort.maf"))
    assert list(cohort.columns) == MAF_COLUMNS
    total = 0
    for p in patients:
        d = results / "export" / p
        muts = pd.read_csv(results / "clonal" / p / "mutations.tsv", sep="\t", dtype={"sample": str})
        maf = read_maf(str(d / f"{p}.maf"))
        total += len(maf)
        assert len(maf) == len(muts)
        assert set(maf["Tumor_Sample_Barcode"]) == set(muts["sample"])
        assert (maf["t_depth"] == maf["t_ref_count"] + maf["t_alt_count"]).all()
        table, samples = read_pairtree(str(d / f"{p}.ssm"), str(d / f"{p}.params.json"))
        assert samples == list(dict.fromkeys(muts["sample"]))
        assert table["var_read_prob"].between(0, 1).all() and len(table)
        ctable, csamples, meta = read_conipher(str(d / "conipher_input.tsv"))
        assert meta == {"case": p} and set(csamples) <= set(samples)
        assert len(ctable) == len(table)  # the same mutations x regions as Pairtree's clusters
        medicc = pd.read_csv(d / "medicc2_input.tsv", sep="\t", dtype={"sample_id": str, "chrom": str})
        assert list(medicc.columns) == MEDICC2_COLUMNS and "diploid" in set(medicc["sample_id"])
        per = medicc.groupby("sample_id").size()
        assert per.nunique() == 1  # every sample on the same segments
    assert len(cohort) == total


def documented_maf_dtypes() -> dict[str, str]:
    """The dtype table of the MAF's section in docs/outputs.md: {column: dtype}."""
    import re
    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "outputs.md").read_text()
    section = text[text.index("### `results/export/{patient}/{patient}.maf`"):text.index("### `results/export/cohort.maf`")]
    out = {}
    for dtype, cols in re.findall(r"^\| `(Int64|float64|boolean)` \| (.+) \|$", section, flags=re.M):
        out.update({c: dtype for c in re.findall(r"`([^`]+)`", cols)})
    return out


def test_maf_gdc_column_set_is_the_gdc_schema():
    """GDC MAF v1.0.0: 120 columns; ALLELE_NUM (GDC's gdc-1.0.0-protected schema) after Existing_variation,
    One_Consequence between Feature_type and Consequence; the vcf_* columns of the protected schema are not
    in a public MAF."""
    assert len(GDC_COLUMNS) == 120 and len(set(GDC_COLUMNS)) == 120
    i = GDC_COLUMNS.index
    assert i("ALLELE_NUM") == i("Existing_variation") + 1 and i("DISTANCE") == i("ALLELE_NUM") + 1
    assert i("One_Consequence") == i("Feature_type") + 1 and i("Consequence") == i("One_Consequence") + 1
    assert GDC_COLUMNS[33] == "Matched_Norm_Sample_UUID" and GDC_COLUMNS[-1] == "GDC_Validation_Status"
    assert not any(c.startswith("vcf_") for c in GDC_COLUMNS)


def test_maf_with_gene_annotation_loads_in_pandas_with_the_documented_dtypes(tmp_path):
    m = mutations()
    m.loc[m["mutation_id"] == "chr1:100:C:T", "driver"] = "TP53 p.R175H"
    annotation = pd.DataFrame({
        "patient": "P", "mutation_id": ["chr1:100:C:T", "chr1:200:CTG:C", "chr2:300:A:AGT"],
        "gene": ["TP53", "KRAS", ""], "gene_id": ["G1", "G2", ""], "transcript": ["T1", "T2", ""],
        "strand": ["-", "+", ""], "consequence": ["missense_variant", "frameshift_variant", "intergenic_variant"],
        "variant_classification": ["Missense_Mutation", "Frame_Shift_Del", "IGR"],
        "hgvsc": ["c.524G>A", "c.34_35del", ""], "hgvsp": ["p.R175H", "p.L12Kfs*5", ""], "source": "gtf",
        "driver": ["TP53 p.R175H", "", ""]})
    t = maf_table(m, normal_counts(), "N", "GRCh38", {0, 1}, annotation)
    write_maf(t, str(tmp_path / "P.maf"))
    documented = documented_maf_dtypes()
    assert documented == MAF_DTYPES  # the docs and read_maf agree
    plain = pd.read_csv(tmp_path / "P.maf", sep="\t", skiprows=1, keep_default_na=False, na_values=[""],
                        dtype={c: documented.get(c, str) for c in MAF_COLUMNS})
    for col, dtype in documented.items():
        assert str(plain[col].dtype) == dtype, col
    snv = plain[plain["mutation_id"] == "chr1:100:C:T"].iloc[0]
    assert (snv["Hugo_Symbol"], snv["Variant_Classification"], snv["HGVSc"], snv["HGVSp_Short"], snv["HGVSp"],
            snv["Transcript_ID"], snv["Consequence"], snv["TRANSCRIPT_STRAND"], snv["driver"]) == \
        ("TP53", "Missense_Mutation", "c.524G>A", "p.R175H", "p.Arg175His", "T1", "missense_variant", -1,
         "TP53 p.R175H")
    fs = plain[plain["mutation_id"] == "chr1:200:CTG:C"].iloc[0]
    assert (fs["Variant_Classification"], fs["HGVSp"], fs["Allele"], fs["ALLELE_NUM"]) == \
        ("Frame_Shift_Del", "p.Leu12LysfsTer5", "-", 1)
    igr = plain[plain["mutation_id"] == "chr2:300:A:AGT"].iloc[0]
    assert (igr["Hugo_Symbol"], igr["Variant_Classification"]) == ("Unknown", "IGR") and pd.isna(igr["HGVSp_Short"])
    rest = plain[plain["mutation_id"] == "chr2:400:AC:GT"]  # not in the annotation
    assert set(rest["Hugo_Symbol"]) == {"Unknown"} and set(rest["Variant_Classification"]) == {"Targeted_Region"}
    assert read_maf(str(tmp_path / "P.maf")).equals(plain[MAF_COLUMNS])
