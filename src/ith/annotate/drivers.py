"""The driver gene list: one HGNC symbol a line ('#' starts a comment), or a table with a header
naming a SYMBOL, Hugo_Symbol, gene_symbol or Gene Symbol column (e.g. IntOGen's
Compendium_Cancer_Genes.tsv, COSMIC's Cancer Gene Census export), tab- or comma-separated."""

from __future__ import annotations

import csv
import os

from ith.annotate.consequence import PROTEIN_CHANGING
from ith.errors import InputError

SYMBOL_COLUMNS = ("SYMBOL", "Hugo_Symbol", "gene_symbol", "Gene Symbol", "gene")
# the list shipped with the workflow (docs/methods/annotation.md#driver-genes)
DEFAULT_LIST = "config/drivers/cancer_genes.txt"


def read_driver_genes(path: str) -> set[str]:
    if not os.path.exists(path):
        raise InputError(f"annotation.drivers '{path}' not found; correct the path, or set it to null for the "
                         "list shipped with the workflow")
    with open(path, newline="") as fh:
        lines = [ln.rstrip("\r\n") for ln in fh if ln.strip() and not ln.startswith("#")]
    if not lines:
        return set()
    delim = "\t" if "\t" in lines[0] else ("," if "," in lines[0] else None)
    if delim is None:
        bad = [ln for ln in lines if len(ln.split()) != 1]
        if bad:
            raise InputError(f"annotation.drivers '{path}': line '{bad[0]}' is not one gene symbol; give one "
                             "symbol a line, or a table with a SYMBOL column")
        return {ln.strip() for ln in lines}
    rows = list(csv.reader(lines, delimiter=delim))
    col = next((rows[0].index(c) for c in SYMBOL_COLUMNS if c in rows[0]), None)
    if col is None:
        raise InputError(f"annotation.drivers '{path}': a table without a column named one of "
                         f"{', '.join(SYMBOL_COLUMNS)}; give one symbol a line or add that column")
    return {r[col].strip() for r in rows[1:] if len(r) > col and r[col].strip()}


def driver_label(gene: str, classification: str, hgvsp: str, hgvsc: str, genes: set[str]) -> str:
    """`TP53 p.R175H` for a protein-changing or splice-site mutation of a listed gene, else ''."""
    if not gene or gene not in genes or classification not in PROTEIN_CHANGING:
        return ""
    change = hgvsp if hgvsp and hgvsp != "p.?" else hgvsc
    return f"{gene} {change}".strip()
