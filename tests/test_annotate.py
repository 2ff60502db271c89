"""Gene annotation against hand-worked answers on a small synthetic genome
(tests/data/annotation: genome.fa, genes.gtf).

chrT (360 bp):
  1-20 intergenic | KRAS (+ strand, transcript TP1, Ensembl_canonical):
    exon 1 21-40 (5'UTR 21-30, CDS c.1-10 = 31-40), intron 41-60 (GT..AG),
    exon 2 61-90 (c.11-40), intron 91-110, exon 3 111-140 (c.41-60 = 111-130, 3'UTR 131-140)
    CDS ATG AAA CGC TGG CAG CTG GAA AAG AAG AAG GGC TAC TGC GAT CCT GTT TCA GCA ACC TAA
        M1  K2  R3  W4  Q5  L6  E7  K8  K9  K10 G11 Y12 C13 D14 P15 V16 S17 A18 T19 *20
    c.N is at 30+N (N<=10), 50+N (11..40), 70+N (41..60); 3'UTR GCCTCGGCCA has no in-frame stop.
    A second transcript TP2 (no CDS, tag basic only) is not chosen.
  141-200 intergenic | TP53 (- strand, transcript TM1, MANE_Select; GENCODE-style CDS + stop_codon):
    mRNA 5'UTR GCAGCCAC, CDS ATG GCT CGC GAA TGG AAA CAG TTC GGA CTG AAG CCA TAC CGA TGA,
                             M1  A2  R3  E4  W5  K6  Q7  F8  G9  L10 K11 P12 Y13 R14 *15
    3'UTR GCCTGCC; exons (transcript order) 300-281, 260-240, 219-201; introns 280-261, 239-220.
    c.N is at 293-N (N<=12), 273-N (13..33), 253-N (34..45); c.-8..-1 at 300..293; c.*1 at 207.
    The plus-strand base of the VCF is the complement of the mRNA base.
  301-360 intergenic.
chrU: gene BAD, CDS of 10 bases (fails the translation check: annotated as non-coding).
"""

from __future__ import annotations

import os

import pandas as pd
import pytest

from ith.annotate.drivers import driver_label, read_driver_genes
from ith.annotate.gtf import choose_transcripts, read_gtf
from ith.annotate.patient import Annotator, annotate_sites, merge_drivers

DATA = os.path.join(os.path.dirname(__file__), "data", "annotation")
FASTA, GTF = os.path.join(DATA, "genome.fa"), os.path.join(DATA, "genes.gtf")

# (VCF chrom, pos, ref, alt) -> (gene, SO term, MAF classification, HGVSc, HGVSp), each worked out by hand
CASES = [
    # intergenic: chrT:10 is G, before KRAS
    (("chrT", 10, "G", "A"), ("", "intergenic_variant", "IGR", "", "")),
    # KRAS 5'UTR: 25 is transcript base 5, the CDS starts at transcript base 11 -> c.-6
    (("chrT", 25, "C", "T"), ("KRAS", "5_prime_UTR_variant", "5'UTR", "c.-6C>T", "")),
    # ATG -> ACG
    (("chrT", 32, "T", "C"), ("KRAS", "start_lost", "Translation_Start_Site", "c.2T>C", "p.M1?")),
    # codon 3 CGC -> CAC (His)
    (("chrT", 38, "G", "A"), ("KRAS", "missense_variant", "Missense_Mutation", "c.8G>A", "p.R3H")),
    # codon 3 CGC -> CGT (Arg)
    (("chrT", 39, "C", "T"), ("KRAS", "synonymous_variant", "Silent", "c.9C>T", "p.R3=")),
    # codon 3 CG -> TA: TAC (Tyr), an MNV
    (("chrT", 37, "CG", "TA"), ("KRAS", "missense_variant", "Missense_Mutation", "c.7_8delinsTA", "p.R3Y")),
    # codon 4 TGG spans the intron: c.11 (61) G>A makes TAG
    (("chrT", 61, "G", "A"), ("KRAS", "stop_gained", "Nonsense_Mutation", "c.11G>A", "p.W4*")),
    # codon 5 CAG -> TAG
    (("chrT", 63, "C", "T"), ("KRAS", "stop_gained", "Nonsense_Mutation", "c.13C>T", "p.Q5*")),
    # intron 1: +1 and +2 (GT) donor, -1 (G of AG) acceptor, +10 and -3 plain intron
    (("chrT", 41, "G", "T"), ("KRAS", "splice_donor_variant", "Splice_Site", "c.10+1G>T", "")),
    (("chrT", 42, "T", "C"), ("KRAS", "splice_donor_variant", "Splice_Site", "c.10+2T>C", "")),
    (("chrT", 60, "G", "A"), ("KRAS", "splice_acceptor_variant", "Splice_Site", "c.11-1G>A", "")),
    (("chrT", 50, "T", "C"), ("KRAS", "intron_variant", "Intron", "c.10+10T>C", "")),
    (("chrT", 58, "C", "T"), ("KRAS", "intron_variant", "Intron", "c.11-3C>T", "")),
    # intron 2 donor +1
    (("chrT", 91, "G", "A"), ("KRAS", "splice_donor_variant", "Splice_Site", "c.40+1G>A", "")),
    # the last exonic base before intron 2 is coding, not splice: GAT -> TAT
    (("chrT", 90, "G", "T"), ("KRAS", "missense_variant", "Missense_Mutation", "c.40G>T", "p.D14Y")),
    # first base of exon 3: GAT -> GTT
    (("chrT", 111, "A", "T"), ("KRAS", "missense_variant", "Missense_Mutation", "c.41A>T", "p.D14V")),
    # stop TAA -> CAA (Gln); the 3'UTR has no stop in frame
    (("chrT", 128, "T", "C"), ("KRAS", "stop_lost", "Nonstop_Mutation", "c.58T>C", "p.*20Qext*?")),
    # stop TAA -> TAG
    (("chrT", 130, "A", "G"), ("KRAS", "stop_retained_variant", "Silent", "c.60A>G", "p.*20=")),
    # 3'UTR: 135 is the 5th base after the stop
    (("chrT", 135, "C", "A"), ("KRAS", "3_prime_UTR_variant", "3'UTR", "c.*5C>A", "")),
    # frameshift: one A of codon 2 (AAA) deleted: ATG AAC GCT ... reads to the end of the UTR without a stop
    (("chrT", 33, "GA", "G"), ("KRAS", "frameshift_variant", "Frame_Shift_Del", "c.4del", "p.K2Nfs*?")),
    # frameshift: A inserted between c.11 and c.12: codon 4 T-G-A is a stop at once
    (("chrT", 61, "G", "GA"), ("KRAS", "frameshift_variant", "Frame_Shift_Ins", "c.11_12insA", "p.W4*")),
    # in-frame deletion of AAG (c.22-24) in the K8 K9 K10 run: HGVS names the 3'-most residue
    (("chrT", 71, "AAAG", "A"), ("KRAS", "inframe_deletion", "In_Frame_Del", "c.22_24del", "p.K10del")),
    # c.23-25 (AGA) deleted: AAG AAG -> A+AG = AAG, again one K fewer
    (("chrT", 72, "AAGA", "A"), ("KRAS", "inframe_deletion", "In_Frame_Del", "c.23_25del", "p.K10del")),
    # AAG inserted after c.30 (end of K10): a duplication of K10
    (("chrT", 80, "G", "GAAG"), ("KRAS", "inframe_insertion", "In_Frame_Ins", "c.30_31insAAG", "p.K10dup")),
    # TGG inserted between codons 11 and 12: Trp between G11 and Y12
    (("chrT", 83, "C", "CTGG"), ("KRAS", "inframe_insertion", "In_Frame_Ins", "c.33_34insTGG", "p.G11_Y12insW")),
    # TAA inserted between codons 11 and 12: a stop
    (("chrT", 83, "C", "CTAA"), ("KRAS", "stop_gained", "Nonsense_Mutation", "c.33_34insTAA", "p.G11_Y12ins*")),
    # TP53 (minus strand). c.8 G>A (CGC -> CAC): genomic 285 C>T
    (("chrT", 285, "C", "T"), ("TP53", "missense_variant", "Missense_Mutation", "c.8G>A", "p.R3H")),
    # c.6 T>C (GCT -> GCC): genomic 287 A>G
    (("chrT", 287, "A", "G"), ("TP53", "synonymous_variant", "Silent", "c.6T>C", "p.A2=")),
    # c.14 G>A (TGG -> TAG): genomic 259 C>T
    (("chrT", 259, "C", "T"), ("TP53", "stop_gained", "Nonsense_Mutation", "c.14G>A", "p.W5*")),
    # c.1 A>G (ATG -> GTG): genomic 292 T>C
    (("chrT", 292, "T", "C"), ("TP53", "start_lost", "Translation_Start_Site", "c.1A>G", "p.M1?")),
    # c.43 T>C (TGA -> CGA, Arg); 3'UTR GCC TGC C has no stop
    (("chrT", 210, "A", "G"), ("TP53", "stop_lost", "Nonstop_Mutation", "c.43T>C", "p.*15Rext*?")),
    # intron 1 +1 (G of GT) at genomic 280: C>A is G>T on the mRNA
    (("chrT", 280, "C", "A"), ("TP53", "splice_donor_variant", "Splice_Site", "c.12+1G>T", "")),
    # intron 1 -2 (A of AG) at genomic 262: T>C is A>G
    (("chrT", 262, "T", "C"), ("TP53", "splice_acceptor_variant", "Splice_Site", "c.13-2A>G", "")),
    # intron 1 at 270: 11 from exon 1's end (281), 10 from exon 2's start (260)
    (("chrT", 270, "A", "G"), ("TP53", "intron_variant", "Intron", "c.13-10T>C", "")),
    # 5'UTR: 296 is transcript base 5 -> c.-4
    (("chrT", 296, "G", "A"), ("TP53", "5_prime_UTR_variant", "5'UTR", "c.-4C>T", "")),
    # 3'UTR: 205 is the third base after the stop
    (("chrT", 205, "G", "T"), ("TP53", "3_prime_UTR_variant", "3'UTR", "c.*3C>A", "")),
    # c.10 G (codon 4 GAA, genomic 283) deleted: ATG GCT CGC AAT GGA AAC AGT TCG GAC TGA
    #                                              M   A   R   N4  G   N   S   S   D   *10 -> stop 7th from N4
    (("chrT", 282, "TC", "T"), ("TP53", "frameshift_variant", "Frame_Shift_Del", "c.10del", "p.E4Nfs*7")),
    # codon 6 AAA (c.16-18, genomic 257-255) deleted
    (("chrT", 254, "GTTT", "G"), ("TP53", "inframe_deletion", "In_Frame_Del", "c.16_18del", "p.K6del")),
    # GGC (Gly) inserted between c.15 (genomic 258) and c.16 (257): on the plus strand GCC after 257's T
    (("chrT", 257, "T", "TGCC"), ("TP53", "inframe_insertion", "In_Frame_Ins", "c.15_16insGGC", "p.W5_K6insG")),
    # intergenic after TP53
    (("chrT", 330, "C", "G"), ("", "intergenic_variant", "IGR", "", "")),
    # BAD fails the translation check: its exon is read as non-coding (n. numbering from exon start 9)
    (("chrU", 15, "A", "G"), ("BAD", "non_coding_transcript_exon_variant", "RNA", "n.7A>G", "")),
]


@pytest.fixture(scope="module")
def annotator() -> Annotator:
    return Annotator(FASTA, GTF)


def test_at_least_30_hand_checked_variants_cover_every_category():
    terms = {c[1][1] for c in CASES}
    assert len(CASES) >= 30
    for needed in ("synonymous_variant", "missense_variant", "stop_gained", "splice_donor_variant",
                   "splice_acceptor_variant", "frameshift_variant", "inframe_deletion", "inframe_insertion",
                   "5_prime_UTR_variant", "3_prime_UTR_variant", "intergenic_variant", "intron_variant",
                   "start_lost", "stop_lost"):
        assert needed in terms
    assert {c[1][0] for c in CASES} >= {"KRAS", "TP53"}  # both strands


@pytest.mark.parametrize("site,expected", CASES, ids=[f"{s[0]}:{s[1]}:{s[2]}>{s[3]}" for s, _ in CASES])
def test_consequence_matches_the_hand_worked_answer(annotator, site, expected):
    e = annotator.effect(*site)
    assert (e.gene, e.consequence, e.variant_classification, e.hgvsc, e.hgvsp) == expected


def test_transcript_choice_and_translation_check():
    import pysam

    fasta = pysam.FastaFile(FASTA)
    tx = read_gtf(GTF, set(fasta.references))
    # GENCODE's CDS lacks the stop codon; the stop_codon feature is merged back
    assert tx["TM1"].cds == [(208, 219), (240, 260), (281, 292)]
    assert tx["TM1"].tags >= {"basic", "MANE_Select"}  # every tag, not only pysam's last
    chosen = {t.gene_name: t for t in choose_transcripts(tx, fasta)}
    assert chosen["KRAS"].transcript_id == "TP1" and chosen["KRAS"].translation_ok
    assert chosen["TP53"].translation_ok
    assert not chosen["BAD"].translation_ok and "not a multiple of 3" in chosen["BAD"].problem


def test_driver_list_formats(tmp_path):
    plain = tmp_path / "genes.txt"
    plain.write_text("# source: test\nTP53\nKRAS\n\n")
    assert read_driver_genes(str(plain)) == {"TP53", "KRAS"}
    table = tmp_path / "Compendium_Cancer_Genes.tsv"
    table.write_text("SYMBOL\tTRANSCRIPT\tCOHORT\nTP53\tENST1\tA\nTP53\tENST1\tB\nPIK3CA\tENST2\tA\n")
    assert read_driver_genes(str(table)) == {"TP53", "PIK3CA"}
    bad = tmp_path / "bad.txt"
    bad.write_text("TP53 KRAS\n")
    with pytest.raises(Exception, match="not one gene symbol"):
        read_driver_genes(str(bad))
    assert driver_label("TP53", "Missense_Mutation", "p.R175H", "c.524G>A", {"TP53"}) == "TP53 p.R175H"
    assert driver_label("TP53", "Splice_Site", "", "c.375+1G>A", {"TP53"}) == "TP53 c.375+1G>A"
    assert driver_label("TP53", "Silent", "p.R3=", "c.9C>T", {"TP53"}) == ""  # synonymous: not a driver
    assert driver_label("KRAS", "Missense_Mutation", "p.G12D", "c.35G>A", {"TP53"}) == ""


def test_the_shipped_default_list_reads_and_names_its_source():
    path = os.path.join(os.path.dirname(__file__), "..", "config", "drivers", "cancer_genes.txt")
    genes = read_driver_genes(path)
    assert {"TP53", "KRAS", "PIK3CA", "APC"} <= genes and len(genes) >= 50
    assert open(path).readline().startswith("#")


def test_annotation_table_and_drivers_merged_with_region_labels(annotator):
    sites = pd.DataFrame({"chrom": ["chrT", "chrT", "chrT"], "pos": [285, 39, 10], "ref": ["C", "C", "G"],
                          "alt": ["T", "T", "A"]})
    sites["mutation_id"] = sites["chrom"] + ":" + sites["pos"].astype(str) + ":" + sites["ref"] + ":" + sites["alt"]
    ann = annotate_sites("P1", sites, annotator, {"TP53", "KRAS"})
    assert list(ann["driver"]) == ["TP53 p.R3H", "", ""]  # KRAS p.R3= is synonymous
    assert list(ann["source"]) == ["gtf"] * 3
    counts = pd.DataFrame({"mutation_id": list(sites["mutation_id"]) * 2, "driver": ["hotspot1", "", ""] * 2})
    merged = merge_drivers(counts, ann)
    assert list(merged["driver"][:3]) == ["hotspot1,TP53 p.R3H", "", ""]


VEP_HEADER = """##fileformat=VCFv4.2
##contig=<ID=chr1,length=1000>
##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|HGVSc|HGVSp|CANONICAL|PICK">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO
"""
SNPEFF_HEADER = """##fileformat=VCFv4.2
##contig=<ID=chr2,length=1000>
##INFO=<ID=ANN,Number=.,Type=String,Description="Functional annotations: 'Allele | Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | CDS.pos / CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO' ">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO
"""


def _vcf(tmp_path, name, header, rows):
    path = tmp_path / name
    path.write_text(header + "".join("\t".join(r) + "\n" for r in rows))
    return str(path)


def test_vep_csq_is_read_by_its_header_order_picking_the_flagged_record(tmp_path):
    from ith.annotate.vcffields import read_vcf_annotation

    rows = [
        # two transcripts: the PICK=1 one is taken
        ("chr1", "100", ".", "C", "T", ".", "PASS",
         "CSQ=T|synonymous_variant|LOW|TP53|ENSG1|Transcript|ENST2|protein_coding|ENST2.1:c.9C>T|ENSP2.1:p.Arg3%3D||,"
         "T|missense_variant|MODERATE|TP53|ENSG1|Transcript|ENST1|protein_coding|ENST1.1:c.524G>A|"
         "ENSP1.1:p.Arg175His|YES|1"),
        # a deletion: VEP's allele drops the shared first base ('-')
        ("chr1", "200", ".", "CTG", "C", ".", "PASS",
         "CSQ=-|frameshift_variant|HIGH|KRAS|ENSG2|Transcript|ENST3|protein_coding|ENST3.1:c.34_35del|"
         "ENSP3.1:p.Leu12LysfsTer5|YES|1"),
        # several terms: the most severe counts; a stop in three-letter code
        ("chr1", "300", ".", "G", "A", ".", "PASS",
         "CSQ=A|splice_region_variant&stop_gained|HIGH|APC|ENSG3|Transcript|ENST4|protein_coding|ENST4.1:c.637C>T|"
         "ENSP4.1:p.Arg213Ter|YES|"),
        ("chr1", "400", ".", "G", "A", ".", "PASS", "CSQ=A|intergenic_variant|MODIFIER|||||||||"),
    ]
    t = read_vcf_annotation(_vcf(tmp_path, "vep.vcf", VEP_HEADER, rows))
    got = {(r.pos, r.ref, r.alt): (r.gene, r.transcript, r.consequence, r.variant_classification, r.hgvsc, r.hgvsp)
           for r in t.itertuples()}
    assert got == {
        (100, "C", "T"): ("TP53", "ENST1", "missense_variant", "Missense_Mutation", "c.524G>A", "p.R175H"),
        (200, "CTG", "C"): ("KRAS", "ENST3", "frameshift_variant", "Frame_Shift_Del", "c.34_35del", "p.L12Kfs*5"),
        (300, "G", "A"): ("APC", "ENST4", "stop_gained", "Nonsense_Mutation", "c.637C>T", "p.R213*"),
        (400, "G", "A"): ("", "", "intergenic_variant", "IGR", "", ""),
    }
    assert set(t["source"]) == {"vep"}


def test_snpeff_ann_is_read_taking_the_first_annotation_of_each_allele(tmp_path):
    from ith.annotate.vcffields import read_vcf_annotation

    rows = [
        ("chr2", "100", ".", "A", "G", ".", "PASS",
         "ANN=G|missense_variant|MODERATE|EGFR|ENSG5|transcript|ENST5|protein_coding|20/28|c.2573T>G|p.Leu858Arg|"
         "2700/5000|2573/3633|858/1210||,G|upstream_gene_variant|MODIFIER|LINC1|ENSG6|transcript|ENST6|lncRNA||"
         "n.-100A>G||||||100|"),
        ("chr2", "200", ".", "T", "TA", ".", "PASS",
         "ANN=TA|frameshift_variant|HIGH|APC|ENSG7|transcript|ENST7|protein_coding|16/16|c.4666_4667insA|"
         "p.Thr1556fs|||||"),
        # multi-allelic: each alt its own annotation
        ("chr2", "300", ".", "C", "A,T", ".", "PASS",
         "ANN=A|synonymous_variant|LOW|PIK3CA|ENSG8|transcript|ENST8|protein_coding|2/21|c.3C>A|p.Pro1Pro|||||,"
         "T|stop_gained|HIGH|PIK3CA|ENSG8|transcript|ENST8|protein_coding|2/21|c.3C>T|p.Gln1*|||||"),
        ("chr2", "400", ".", "G", "C", ".", "PASS", "ANN=C|intergenic_region|MODIFIER|A-B|A-B|intergenic_region|A-B|||n.400G>C||||||"),
    ]
    t = read_vcf_annotation(_vcf(tmp_path, "snpeff.vcf", SNPEFF_HEADER, rows))
    got = {(r.pos, r.ref, r.alt): (r.gene, r.consequence, r.variant_classification, r.hgvsc, r.hgvsp)
           for r in t.itertuples()}
    assert got == {
        (100, "A", "G"): ("EGFR", "missense_variant", "Missense_Mutation", "c.2573T>G", "p.L858R"),
        (200, "T", "TA"): ("APC", "frameshift_variant", "Frame_Shift_Ins", "c.4666_4667insA", "p.T1556fs"),
        (300, "C", "A"): ("PIK3CA", "synonymous_variant", "Silent", "c.3C>A", "p.P1P"),
        (300, "C", "T"): ("PIK3CA", "stop_gained", "Nonsense_Mutation", "c.3C>T", "p.Q1*"),
        (400, "G", "C"): ("", "intergenic_variant", "IGR", "n.400G>C", ""),
    }
    assert set(t["source"]) == {"snpeff"}


def test_vcf_without_csq_or_ann_gives_nothing(tmp_path):
    from ith.annotate.vcffields import read_vcf_annotation

    header = VEP_HEADER.replace('##INFO=<ID=CSQ', '##INFO=<ID=OTHER')
    assert read_vcf_annotation(_vcf(tmp_path, "plain.vcf", header, [("chr1", "5", ".", "A", "C", ".", "PASS", ".")])).empty


def test_vcf_annotation_wins_over_the_gtf_and_names_the_driver(annotator, tmp_path):
    from ith.annotate.vcffields import read_vcf_annotation

    header = VEP_HEADER.replace("chr1,length=1000", "chrT,length=360")
    given = read_vcf_annotation(_vcf(tmp_path, "v.vcf", header, [
        ("chrT", "38", ".", "G", "A", ".", "PASS",
         "CSQ=A|missense_variant|MODERATE|KRAS|G|Transcript|ENSTX|protein_coding|ENSTX:c.8G>A|ENSPX:p.Arg3His|YES|1")]))
    sites = pd.DataFrame({"mutation_id": ["chrT:38:G:A", "chrT:285:C:T"], "chrom": "chrT", "pos": [38, 285],
                          "ref": ["G", "C"], "alt": ["A", "T"]})
    ann = annotate_sites("P", sites, annotator, {"KRAS", "TP53"}, given)
    assert list(ann["source"]) == ["vep", "gtf"] and list(ann["transcript"]) == ["ENSTX", "TM1"]
    assert list(ann["driver"]) == ["KRAS p.R3H", "TP53 p.R3H"]


def test_gene_list_drivers_reach_the_clonal_input_beside_region_drivers(annotator):
    from ith.clonal.patient import InputParams, build_input

    sites = pd.DataFrame({"mutation_id": ["chrT:285:C:T", "chrT:39:C:T"], "chrom": "chrT", "pos": [285, 39],
                          "ref": ["C", "C"], "alt": ["T", "T"]})
    ann = annotate_sites("P", sites, annotator, {"TP53", "KRAS"})
    counts = pd.DataFrame({"mutation_id": ["chrT:285:C:T", "chrT:39:C:T"] * 2, "sample": ["R1", "R1", "R2", "R2"],
                           "ref_counts": 20, "alt_counts": 10, "depth": 30, "present": True, "indel": False,
                           "driver": ["hotspot_TP53", "", "hotspot_TP53", ""]})
    segments = pd.DataFrame({"sample": ["R1", "R2"], "chrom": "chrT", "start": 1, "end": 360, "major_cn": 1,
                             "minor_cn": 1, "subclonal": False})
    purity = pd.DataFrame({"sample": ["R1", "R2"], "purity": [0.8, 0.6]})
    full = build_input(merge_drivers(counts, ann), segments, purity, ["R1", "R2"], None, InputParams())
    labels = full.drop_duplicates("mutation_id").set_index("mutation_id")["driver"].to_dict()
    assert labels == {"chrT:285:C:T": "hotspot_TP53,TP53 p.R3H", "chrT:39:C:T": ""}


def test_report_names_truncal_and_subclonal_drivers_of_the_best_tree():
    from ith.report.summary import drivers_sentence, tree_drivers

    trees = {"clusters": [{"id": 0, "drivers": ["TP53 p.R175H"]}, {"id": 1, "drivers": []},
                          {"id": 2, "drivers": ["PIK3CA p.H1047R", "KRAS p.G12D"]}, {"id": 5, "drivers": ["APC p.R213*"]}],
             "trees": [{"rank": 1, "parents": {"0": None, "1": 0, "2": 1}}, {"rank": 2, "parents": {"0": None}}]}
    d = tree_drivers(trees)  # cluster 5 is in no tree (an artefact): not named
    assert d == {"truncal": [{"cluster": 0, "driver": "TP53 p.R175H"}],
                 "subclonal": [{"cluster": 2, "driver": "PIK3CA p.H1047R"}, {"cluster": 2, "driver": "KRAS p.G12D"}]}
    assert drivers_sentence(d) == "truncal TP53 p.R175H; subclonal PIK3CA p.H1047R (clone 2), KRAS p.G12D (clone 2)"
    assert tree_drivers({"clusters": [], "trees": []}) == {"truncal": [], "subclonal": []}
    assert drivers_sentence(tree_drivers({})) == "none named"


def test_a_gzipped_gtf_reads_the_same_and_a_missing_one_stops_before_any_job(tmp_path):
    import gzip

    import pysam

    from ith.annotate.check import check_annotation_config
    from ith.errors import InputError

    gz = tmp_path / "genes.gtf.gz"
    with open(GTF, "rb") as src, gzip.open(gz, "wb") as dst:
        dst.write(src.read())
    contigs = set(pysam.FastaFile(FASTA).references)
    plain, packed = read_gtf(GTF, contigs), read_gtf(str(gz), contigs)
    assert {k: (t.exons, t.cds) for k, t in plain.items()} == {k: (t.exons, t.cds) for k, t in packed.items()}
    with pytest.raises(InputError, match="no exon records on the reference's contigs"):
        read_gtf(GTF, {"1", "2"})  # chr-named GTF, 1-named reference
    with pytest.raises(InputError, match="annotation.gtf 'nope.gtf' not found"):
        check_annotation_config({"gtf": "nope.gtf", "drivers": None, "vcf_fields": True}, "config.yaml")
    bad = tmp_path / "drivers.txt"
    bad.write_text("TP53 KRAS\n")
    with pytest.raises(InputError, match="config.yaml: annotation.drivers .* not one gene symbol"):
        check_annotation_config({"gtf": GTF, "drivers": str(bad), "vcf_fields": True}, "config.yaml")


def test_the_chosen_transcripts_round_trip_through_their_table(annotator):
    import pysam

    from ith.annotate.gtf import transcript_table, transcripts_from_table

    fasta = pysam.FastaFile(FASTA)
    chosen = choose_transcripts(read_gtf(GTF, set(fasta.references)), fasta)
    table = transcript_table(chosen)
    assert list(table["transcript_id"]) == ["TP1", "TM1", "TB1"]
    back = transcripts_from_table(table.astype(str))
    assert [(t.transcript_id, t.exons, t.cds, t.tags, t.translation_ok) for t in back] == \
        [(t.transcript_id, t.exons, t.cds, t.tags, t.translation_ok) for t in chosen]
    again = Annotator(FASTA, transcripts=back)
    for site, expected in CASES:
        e = again.effect(*site)
        assert (e.gene, e.consequence, e.variant_classification, e.hgvsc, e.hgvsp) == expected


def test_the_annotate_job_reads_the_vep_fields_of_external_and_imported_calls(cohort, tmp_path):
    """With a GTF, each patient's annotate job takes its imported calls' VCFs (and its external
    VCF) for their CSQ / ANN fields; with annotation.vcf_fields false, none of them."""
    import re
    import subprocess
    import sys

    import yaml
    from test_import import import_run_config
    from conftest import ROOT

    config_path = import_run_config(cohort, tmp_path / "imported")
    contig = open(cohort / "reference" / "genome.fa.fai").readline().split("\t")[0]
    gtf = tmp_path / "genes.gtf"
    gtf.write_text(f'{contig}\tt\texon\t1001\t1100\t.\t+\t.\tgene_id "G"; transcript_id "T"; gene_name "G";\n')
    for vcf_fields in (True, False):
        config = yaml.safe_load(config_path.read_text())
        config["annotation"] = {"gtf": str(gtf), "vcf_fields": vcf_fields}
        path = tmp_path / f"config_{vcf_fields}.yaml"
        path.write_text(yaml.safe_dump(config))
        proc = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--configfile",
                               str(path), "--directory", str(tmp_path / "run"), "-n",
                               "results/variants/P1/annotation.tsv"], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-3000:]
        job = re.search(r"rule annotate:.*?(?=\n\n)", proc.stdout + proc.stderr, re.S).group(0)
        assert ("P1.mutect2.vcf.gz" in job) == vcf_fields, job
