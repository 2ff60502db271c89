"""Gene annotation already in a VCF: Ensembl VEP's `CSQ` or snpEff's `ANN` INFO field, their
sub-field order read from the header's Description ("... Format: Allele|Consequence|..." for VEP,
"Functional annotations: 'Allele | Annotation | ...'" for snpEff).

Per allele one record is kept: for VEP the one flagged PICK, else CANONICAL=YES, else the most
severe consequence; for snpEff the first (snpEff sorts its annotations by impact). HGVSp is
turned into the short one-letter form (`p.Arg175His` -> `p.R175H`, `Ter` -> `*`) and any
`ENSP...:` prefix removed; HGVSc keeps its c./n. part.
"""

from __future__ import annotations

import re

import pandas as pd
import pysam

from ith.annotate.consequence import maf_classification, most_severe
from ith.io.pileup import normalise

THREE_TO_ONE = {
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E", "Gly": "G", "His": "H",
    "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F", "Pro": "P", "Ser": "S", "Thr": "T", "Trp": "W",
    "Tyr": "Y", "Val": "V", "Ter": "*", "Sec": "U", "Pyl": "O", "Xaa": "X",
}
_AA3 = re.compile("|".join(THREE_TO_ONE))

COLUMNS = ["chrom", "pos", "ref", "alt", "gene", "gene_id", "transcript", "consequence", "variant_classification",
           "hgvsc", "hgvsp", "source"]


def short_hgvsp(value: str) -> str:
    """`ENSP0001.1:p.Arg175His` -> `p.R175H`; `p.(Arg175His)` -> `p.R175H`; `%3D` -> `=`."""
    if not value:
        return ""
    value = value.split(":", 1)[1] if ":" in value else value
    value = value.replace("%3D", "=").replace("(", "").replace(")", "")
    return _AA3.sub(lambda m: THREE_TO_ONE[m.group(0)], value)


def _hgvsc(value: str) -> str:
    return value.split(":", 1)[1] if ":" in value else value


def field_names(header: pysam.VariantHeader) -> tuple[str, list[str]] | None:
    """('CSQ' or 'ANN', sub-field names) from the header, None when it has neither."""
    info = header.info
    if "CSQ" in info:
        desc = info["CSQ"].description or ""
        m = re.search(r"Format:\s*(.+?)\s*\"?$", desc)
        if m:
            return "CSQ", [f.strip() for f in m.group(1).split("|")]
    if "ANN" in info:
        desc = info["ANN"].description or ""
        m = re.search(r"'\s*(.+?)\s*'", desc)
        if m:
            return "ANN", [f.strip() for f in m.group(1).split("|")]
    return None


def _vep_allele(ref: str, alts: list[str], alt: str) -> str:
    """VEP's Allele string of an alt: the shared first base removed when every allele has it."""
    alleles = [ref, *alts]
    if len({a[0] for a in alleles if a}) == 1 and any(len(a) != len(ref) for a in alts):
        return alt[1:] or "-"
    return alt


def _pick_vep(records: list[dict[str, str]]) -> dict[str, str]:
    for key, value in (("PICK", "1"), ("CANONICAL", "YES")):
        hit = [r for r in records if r.get(key) == value]
        if hit:
            records = hit
            break
    return min(records, key=lambda r: _severity(r.get("Consequence", "")))


def _severity(consequence: str) -> int:
    from ith.annotate.consequence import SEVERITY
    term = most_severe(consequence.split("&"))
    return SEVERITY.index(term) if term in SEVERITY else len(SEVERITY)


def read_vcf_annotation(path: str) -> pd.DataFrame:
    """Per (chrom, pos, ref, alt) in minimal form (as the variants stage writes its ids): the
    gene, transcript, SO consequence, MAF classification, HGVSc and short HGVSp of the VCF's
    CSQ or ANN field. Empty (with COLUMNS) when the VCF has neither."""
    rows = []
    with pysam.VariantFile(path) as fh:
        spec = field_names(fh.header)
        if spec is None:
            return pd.DataFrame(columns=COLUMNS)
        key, names = spec
        for rec in fh:
            if key not in rec.info:
                continue
            raw = rec.info[key]
            entries = [dict(zip(names, str(e).split("|"))) for e in (raw if isinstance(raw, tuple) else (raw,))]
            alts = list(rec.alts or ())
            for alt in alts:
                if alt.startswith("<") or alt == "*":
                    continue
                if key == "CSQ":
                    want = _vep_allele(rec.ref, alts, alt)
                    mine = [e for e in entries if e.get("Allele") == want]
                    if "ALLELE_NUM" in names:
                        mine = [e for e in entries if e.get("ALLELE_NUM") == str(alts.index(alt) + 1)] or mine
                    if not mine:
                        continue
                    e = _pick_vep(mine)
                    term = most_severe(e.get("Consequence", "").split("&"))
                    gene, gid, tx = e.get("SYMBOL", ""), e.get("Gene", ""), e.get("Feature", "")
                    hgvsc, hgvsp = _hgvsc(e.get("HGVSc", "")), short_hgvsp(e.get("HGVSp", ""))
                else:
                    mine = [e for e in entries if e.get("Allele") == alt]
                    if not mine:
                        continue
                    e = mine[0]
                    term = most_severe(e.get("Annotation", "").split("&"))
                    gene, gid, tx = e.get("Gene_Name", ""), e.get("Gene_ID", ""), e.get("Feature_ID", "")
                    hgvsc, hgvsp = e.get("HGVS.c", ""), short_hgvsp(e.get("HGVS.p", ""))
                r, a, shift = normalise(rec.ref.upper(), alt.upper())
                if term == "intergenic_variant" or term == "intergenic_region":
                    term, gene, gid, tx = "intergenic_variant", "", "", ""
                rows.append((rec.chrom, rec.pos + shift, r, a, gene, gid, tx, term,
                             maf_classification(term, r, a), hgvsc, hgvsp, "vep" if key == "CSQ" else "snpeff"))
    return pd.DataFrame(rows, columns=COLUMNS).drop_duplicates(["chrom", "pos", "ref", "alt"]).reset_index(drop=True)
