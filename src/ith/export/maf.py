"""Mutations as a GDC MAF: one row per mutation and tumour region, with the clonal stage's cluster,
clone and CCF in extra columns at the end.

Positions follow MAF's conventions (1-based; indels without the VCF anchor base): an SNV or MNV
spans its bases; a deletion spans the deleted bases with Tumor_Seq_Allele2 "-"; an insertion sits
between Start_Position and End_Position = Start_Position + 1 (the flanking reference bases) with
Reference_Allele "-". With gene annotation (annotation.gtf, or VEP/snpEff fields; the variants
stage's annotation.tsv) Hugo_Symbol, Variant_Classification, HGVSc, HGVSp, HGVSp_Short,
Transcript_ID and the VEP-style columns (Gene, Feature, Consequence, SYMBOL, ...) are filled; an
intergenic mutation has Hugo_Symbol "Unknown" and Variant_Classification "IGR". Without gene
annotation, Hugo_Symbol is "Unknown", Entrez_Gene_Id 0 and Variant_Classification
"Targeted_Region", what vcf2maf writes when no effect is known; "IGR" would claim the mutation is
intergenic (and cBioPortal drops IGR rows by default). Entrez_Gene_Id is 0 throughout (a GTF
names no Entrez ids).
"""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd

from ith.io.atomic import atomic_path
from ith.io.mutations import split_ids, trim_alleles

# GDC MAF v1.0.0 (docs.gdc.cancer.gov, Data/File_Formats/MAF_Format), in its order: 120 columns,
# checked against the GDC's own schemas in NCI-GDC/maf-lib (src/maflib/resources/): the 34 TCGA
# columns of gdc-1.0.0.json (commit 090cc18), then the annotation columns of gdc-1.0.0-protected.json
# (commit 4dc8705; ALLELE_NUM after Existing_variation) without its internal vcf_* and
# GDC_Valid_Somatic columns (filtered out of the public MAF by gdc-1.0.0-public.json), with
# One_Consequence between Feature_type and Consequence as in gdc-1.0.0-merged-protected.json
# (commit 02e1d92).
GDC_COLUMNS = [
    "Hugo_Symbol", "Entrez_Gene_Id", "Center", "NCBI_Build", "Chromosome", "Start_Position", "End_Position",
    "Strand", "Variant_Classification", "Variant_Type", "Reference_Allele", "Tumor_Seq_Allele1",
    "Tumor_Seq_Allele2", "dbSNP_RS", "dbSNP_Val_Status", "Tumor_Sample_Barcode", "Matched_Norm_Sample_Barcode",
    "Match_Norm_Seq_Allele1", "Match_Norm_Seq_Allele2", "Tumor_Validation_Allele1", "Tumor_Validation_Allele2",
    "Match_Norm_Validation_Allele1", "Match_Norm_Validation_Allele2", "Verification_Status", "Validation_Status",
    "Mutation_Status", "Sequencing_Phase", "Sequence_Source", "Validation_Method", "Score", "BAM_File",
    "Sequencer", "Tumor_Sample_UUID", "Matched_Norm_Sample_UUID", "HGVSc", "HGVSp", "HGVSp_Short",
    "Transcript_ID", "Exon_Number", "t_depth", "t_ref_count", "t_alt_count", "n_depth", "n_ref_count",
    "n_alt_count", "all_effects", "Allele", "Gene", "Feature", "Feature_type", "One_Consequence", "Consequence",
    "cDNA_position", "CDS_position", "Protein_position", "Amino_acids", "Codons", "Existing_variation",
    "ALLELE_NUM", "DISTANCE", "TRANSCRIPT_STRAND", "SYMBOL", "SYMBOL_SOURCE", "HGNC_ID", "BIOTYPE", "CANONICAL", "CCDS", "ENSP",
    "SWISSPROT", "TREMBL", "UNIPARC", "RefSeq", "SIFT", "PolyPhen", "EXON", "INTRON", "DOMAINS", "GMAF",
    "AFR_MAF", "AMR_MAF", "ASN_MAF", "EAS_MAF", "EUR_MAF", "SAS_MAF", "AA_MAF", "EA_MAF", "CLIN_SIG", "SOMATIC",
    "PUBMED", "MOTIF_NAME", "MOTIF_POS", "HIGH_INF_POS", "MOTIF_SCORE_CHANGE", "IMPACT", "PICK", "VARIANT_CLASS",
    "TSL", "HGVS_OFFSET", "PHENO", "MINIMISED", "ExAC_AF", "ExAC_AF_Adj", "ExAC_AF_AFR", "ExAC_AF_AMR",
    "ExAC_AF_EAS", "ExAC_AF_FIN", "ExAC_AF_NFE", "ExAC_AF_OTH", "ExAC_AF_SAS", "GENE_PHENO", "FILTER", "CONTEXT",
    "src_vcf_id", "tumor_bam_uuid", "normal_bam_uuid", "case_id", "GDC_FILTER", "COSMIC", "MC3_Overlap",
    "GDC_Validation_Status",
]
# ith's columns after the GDC set
ITH_COLUMNS = ["mutation_id", "cluster", "clone", "ccf", "ccf_low", "ccf_high", "present", "driver"]
MAF_COLUMNS = GDC_COLUMNS + ITH_COLUMNS
MAF_VERSION_LINE = "#version gdc-1.0.0"

# the dtypes read_maf gives (every other column is str, empty fields NA)
MAF_DTYPES: dict[str, str] = {
    "Entrez_Gene_Id": "Int64", "Start_Position": "Int64", "End_Position": "Int64",
    "t_depth": "Int64", "t_ref_count": "Int64", "t_alt_count": "Int64", "ALLELE_NUM": "Int64",
    "TRANSCRIPT_STRAND": "Int64",
    "n_depth": "Int64", "n_ref_count": "Int64", "n_alt_count": "Int64",
    "cluster": "Int64", "clone": "Int64", "ccf": "float64", "ccf_low": "float64", "ccf_high": "float64",
    "present": "boolean",
}

UNANNOTATED = {"Hugo_Symbol": "Unknown", "Entrez_Gene_Id": 0, "Variant_Classification": "Targeted_Region"}
CENTER = "."  # the sequencing centre is not known to the workflow (vcf2maf's default)

# chromosome 1's length identifies the human builds whatever their contig naming
_CHR1_LENGTH = {248_956_422: "GRCh38", 249_250_621: "GRCh37"}


def ncbi_build(contigs: list[tuple[str, int]], fasta: str) -> str:
    """GRCh38 or GRCh37 when chromosome 1 (chr1 or 1) has that build's length, else the FASTA's
    file name without its extensions (e.g. `genome` for genome.fa.gz)."""
    for name, length in contigs:
        if name in ("chr1", "1") and length in _CHR1_LENGTH:
            return _CHR1_LENGTH[length]
    base = os.path.basename(fasta)
    return re.sub(r"(\.(fa|fasta|fna))?(\.gz)?$", "", base, flags=re.I) or base


def maf_allele(pos: int, ref: str, alt: str) -> tuple[int, int, str, str, str]:
    """(Start_Position, End_Position, Reference_Allele, Tumor_Seq_Allele2, Variant_Type) of a VCF
    allele: the shared leading bases (the VCF anchor) and then shared trailing bases stripped."""
    start, r, a = trim_alleles(pos, ref, alt)
    if not r and not a:
        raise ValueError(f"{pos}:{ref}>{alt}: reference and alternate allele are the same")
    if not r:  # insertion between start - 1 and start
        return start - 1, start, "-", a, "INS"
    if not a:
        return start, start + len(r) - 1, r, "-", "DEL"
    if len(r) == len(a):
        kind = {1: "SNP", 2: "DNP", 3: "TNP"}.get(len(r), "ONP")
        return start, start + len(r) - 1, r, a, kind
    # complex: both alleles left, of different lengths (vcf2maf's rule: longer alt is an insertion)
    return start, start + len(r) - 1, r, a, "INS" if len(a) > len(r) else "DEL"


def maf_table(mutations: pd.DataFrame, normal: pd.DataFrame | None, normal_sample: str, build: str,
              tree_clusters: set[int] | None, annotation: pd.DataFrame | None = None) -> pd.DataFrame:
    """The MAF rows of one patient from the clonal stage's mutations.tsv (one row per mutation and
    tumour region, its file order kept), the normal's counts (the variants stage's counts.tsv rows
    of the normal: mutation_id, ref_counts, alt_counts, depth), the clusters of the best tree
    (`clone` is the cluster where the cluster is a clone of the tree, else empty) and the gene
    annotation (the variants stage's annotation.tsv; None without one)."""
    m = mutations.reset_index(drop=True)
    loc = split_ids(m["mutation_id"].astype(str))
    alleles = [maf_allele(p, r, a) for p, r, a in zip(loc["pos"], loc["ref"], loc["alt"])]
    start, end, ref, alt, vtype = (list(x) for x in zip(*alleles)) if alleles else ([], [], [], [], [])
    out = pd.DataFrame({c: pd.Series([""] * len(m), dtype=object) for c in MAF_COLUMNS})
    for k, v in UNANNOTATED.items():
        out[k] = v
    out["Center"] = CENTER
    out["NCBI_Build"] = build
    out["Chromosome"] = loc["chrom"].to_numpy()
    out["Start_Position"] = np.asarray(start, dtype=np.int64)
    out["End_Position"] = np.asarray(end, dtype=np.int64)
    out["Strand"] = "+"
    out["Variant_Type"] = vtype
    out["Reference_Allele"] = ref
    out["Tumor_Seq_Allele1"] = ref  # a heterozygous somatic mutation: allele 1 is the reference
    out["Tumor_Seq_Allele2"] = alt
    out["Tumor_Sample_Barcode"] = m["sample"].astype(str).to_numpy()
    out["Matched_Norm_Sample_Barcode"] = normal_sample
    out["t_ref_count"] = m["ref_counts"].astype("Int64").to_numpy()
    out["t_alt_count"] = m["alt_counts"].astype("Int64").to_numpy()
    out["t_depth"] = (m["ref_counts"] + m["alt_counts"]).astype("Int64").to_numpy()
    if normal is not None and len(normal):
        n = normal.drop_duplicates("mutation_id").set_index("mutation_id")
        ids = m["mutation_id"]
        out["n_ref_count"] = ids.map(n["ref_counts"]).astype("Int64").to_numpy()
        out["n_alt_count"] = ids.map(n["alt_counts"]).astype("Int64").to_numpy()
        out["n_depth"] = ids.map(n["depth"]).astype("Int64").to_numpy()
    out["case_id"] = m["patient"].astype(str).to_numpy() if "patient" in m else ""
    out["FILTER"] = "PASS"  # the variants stage's PASS mutations only
    out["mutation_id"] = m["mutation_id"].astype(str).to_numpy()
    cluster = pd.to_numeric(m["cluster_id"], errors="coerce").astype("Int64")
    out["cluster"] = cluster.to_numpy()
    in_tree = cluster.isin(sorted(tree_clusters)) if tree_clusters is not None else pd.Series(False, index=m.index)
    out["clone"] = cluster.where(in_tree.fillna(False).astype(bool)).to_numpy()
    for c in ("ccf", "ccf_low", "ccf_high"):
        out[c] = pd.to_numeric(m[c], errors="coerce").to_numpy()
    out["present"] = m["present"].astype("boolean").to_numpy()
    out["driver"] = m["driver"].fillna("").astype(str).to_numpy() if "driver" in m else ""
    out["Allele"] = alt
    out["ALLELE_NUM"] = pd.array([1] * len(m), dtype="Int64")  # one alt allele per mutation id
    if annotation is not None and len(annotation) and len(m):
        _annotate(out, m["mutation_id"].astype(str), annotation)
    return out[MAF_COLUMNS]


def long_hgvsp(short: str) -> str:
    """p.R175H -> p.Arg175His (HGVSp from HGVSp_Short): every capital letter or * is a residue."""
    if not short.startswith("p."):
        return short
    return "p." + "".join(THREE_LETTER.get(ch, ch) for ch in short[2:])


THREE_LETTER = {"A": "Ala", "R": "Arg", "N": "Asn", "D": "Asp", "C": "Cys", "Q": "Gln", "E": "Glu", "G": "Gly",
                "H": "His", "I": "Ile", "L": "Leu", "K": "Lys", "M": "Met", "F": "Phe", "P": "Pro", "S": "Ser",
                "T": "Thr", "W": "Trp", "Y": "Tyr", "V": "Val", "U": "Sec", "O": "Pyl", "X": "Xaa", "*": "Ter"}


def _annotate(out: pd.DataFrame, ids: pd.Series, annotation: pd.DataFrame) -> None:
    """The gene-annotation columns of the rows whose mutation the annotation names."""
    a = annotation.drop_duplicates("mutation_id").set_index("mutation_id").fillna("")
    known = ids.isin(a.index).to_numpy()
    if not known.any():
        return
    r = a.loc[ids[known]]
    gene = r["gene"].astype(str).to_numpy()
    cls = r["variant_classification"].astype(str).to_numpy()
    hgvsp = r["hgvsp"].astype(str).to_numpy()
    out.loc[known, "Hugo_Symbol"] = np.where(gene == "", "Unknown", gene)
    out.loc[known, "Variant_Classification"] = np.where(cls == "", "Targeted_Region", cls)
    out.loc[known, "HGVSc"] = r["hgvsc"].astype(str).to_numpy()
    out.loc[known, "HGVSp_Short"] = hgvsp
    out.loc[known, "HGVSp"] = [long_hgvsp(h) for h in hgvsp]
    out.loc[known, "Transcript_ID"] = r["transcript"].astype(str).to_numpy()
    out.loc[known, "Gene"] = r["gene_id"].astype(str).to_numpy()
    out.loc[known, "Feature"] = r["transcript"].astype(str).to_numpy()
    out.loc[known, "Feature_type"] = np.where(r["transcript"].astype(str).to_numpy() != "", "Transcript", "")
    out.loc[known, "One_Consequence"] = r["consequence"].astype(str).to_numpy()
    out.loc[known, "Consequence"] = r["consequence"].astype(str).to_numpy()
    out.loc[known, "SYMBOL"] = gene
    strand = r["strand"].astype(str).map({"+": 1, "-": -1}) if "strand" in r else pd.Series(np.nan, index=r.index)
    out["TRANSCRIPT_STRAND"] = out["TRANSCRIPT_STRAND"].astype(object)
    out.loc[known, "TRANSCRIPT_STRAND"] = strand.astype("Int64").to_numpy()


def _text(df: pd.DataFrame) -> pd.DataFrame:
    """Every column as text: numbers in a fixed format, missing values empty."""
    out = pd.DataFrame(index=df.index)
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_float_dtype(s):
            out[c] = [("" if pd.isna(x) else f"{x:.6g}") for x in s]
        else:
            out[c] = ["" if (x is None or x is pd.NA or (isinstance(x, float) and np.isnan(x))) else str(x)
                      for x in s]
    return out


def write_maf(df: pd.DataFrame, path: str) -> None:
    """The MAF with its version line, written atomically; the same table gives the same bytes."""
    with atomic_path(path) as tmp, open(tmp, "w") as fh:
        fh.write(MAF_VERSION_LINE + "\n")
        _text(df[MAF_COLUMNS]).to_csv(fh, sep="\t", index=False, lineterminator="\n")


def concat_mafs(paths: list[str], out: str) -> None:
    """The cohort MAF: the patients' MAFs in the order given, one version line and header."""
    frames = [pd.read_csv(p, sep="\t", skiprows=_comment_lines(p), dtype=str, keep_default_na=False) for p in paths]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=MAF_COLUMNS)
    with atomic_path(out) as tmp, open(tmp, "w") as fh:
        fh.write(MAF_VERSION_LINE + "\n")
        table[MAF_COLUMNS].to_csv(fh, sep="\t", index=False, lineterminator="\n")


def _comment_lines(path: str) -> int:
    """How many '#' lines (the version line) come before the header."""
    n = 0
    with open(path) as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            n += 1
    return n


def read_maf(path: str) -> pd.DataFrame:
    """A MAF written here (or any GDC MAF) with MAF_DTYPES for the columns it has; every other
    column str, empty fields NA. The '#' lines before the header are skipped."""
    t = pd.read_csv(path, sep="\t", skiprows=_comment_lines(path), dtype=str, keep_default_na=False,
                    na_values=[""])
    for c, dtype in MAF_DTYPES.items():
        if c not in t.columns:
            continue
        if dtype == "boolean":
            t[c] = t[c].map({"True": True, "False": False, "TRUE": True, "FALSE": False}).astype("boolean")
        elif dtype == "Int64":
            t[c] = pd.to_numeric(t[c]).astype("Int64")
        else:
            t[c] = pd.to_numeric(t[c]).astype(dtype)
    return t
