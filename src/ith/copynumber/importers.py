"""Copy number made by other tools, read into our segment table (docs/methods/copynumber.md#imported-copy-number).

One reader per format, each returning a `Imported` (the sample's segments in our columns, 1-based
inclusive, contigs in the reference's naming) and a purity reader per format. Formats and the
version of each followed:

| format | segments | purity and ploidy |
|---|---|---|
| `ascat` | ASCAT >= 2.5 `ascat.output$segments` written as a table: `sample`, `chr`, `startpos`, `endpos`, `nMajor`, `nMinor` (1-based, inclusive) | `ascat.metrics()` table (ASCAT 3): `purity`, `ploidy` (and `goodness_of_fit`) of the sample's row |
| `facets` | FACETS 0.6 `emcncf()$cncf` (facets-suite `*.cncf.txt`): `chrom` (23 = X, 24 = Y), `start`, `end`, `tcn.em`, `lcn.em`, `cf.em` | facets-suite `*.out` (`Purity = `, `Ploidy = ` lines) |
| `purple` | PURPLE 3-4 `*.purple.cnv.somatic.tsv`: `chromosome` (or `#chromosome`), `start`, `end`, `copyNumber`, `minorAlleleCopyNumber`, `majorAlleleCopyNumber` (fractional copy numbers) | `*.purple.purity.tsv`: `purity`, `ploidy` |
| `battenberg` | Battenberg 2 `*_subclones.txt`: `chr`, `startpos`, `endpos`, `nMaj1_A`, `nMin1_A`, `frac1_A`, `nMaj2_A`, `nMin2_A`, `frac2_A` | `*_rho_and_psi.txt`: row `FRAC_GENOME`, columns `rho` and `ploidy` (else `psi`) |
| `cnvkit` | CNVkit 0.9 `*.call.cns`: `chromosome`, `start` (0-based, BED-like), `end`, `log2`, `cn`, optional `cn1`, `cn2` | none: the purity given to `cnvkit.py call --purity`, as a number |
| `sequenza` | Sequenza 3 `*_segments.txt`: `chromosome`, `start.pos`, `end.pos`, `CNt`, `A`, `B` | `*_confints_CP.txt`: second row (the point estimate) of `cellularity`, `ploidy.estimate` |

Any format also takes the purity (and ploidy) as numbers in the manifest, or a table with
`purity` and `ploidy` columns (one row, or a `sample` column).
"""

from __future__ import annotations

import logging
import math
import os
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ith.errors import InputError
from ith.io.naming import naming_key
from ith.io.reference import contig_class
from ith.io.segments import shared_segments

log = logging.getLogger(__name__)

FORMATS = ("ascat", "facets", "purple", "battenberg", "cnvkit", "sequenza")
# the columns each format must have (alternatives: any one of them)
REQUIRED: dict[str, list[tuple[str, ...]]] = {
    "ascat": [("sample",), ("chr",), ("startpos",), ("endpos",), ("nMajor",), ("nMinor",)],
    "facets": [("chrom",), ("start",), ("end",), ("tcn.em",), ("lcn.em",), ("cf.em",)],
    "purple": [("chromosome", "#chromosome"), ("start",), ("end",), ("copyNumber",),
               ("minorAlleleCopyNumber", "minorAllelePloidy"), ("majorAlleleCopyNumber", "majorAllelePloidy")],
    "battenberg": [("chr",), ("startpos",), ("endpos",), ("nMaj1_A",), ("nMin1_A",), ("frac1_A",), ("nMaj2_A",),
                   ("nMin2_A",), ("frac2_A",)],
    "cnvkit": [("chromosome",), ("start",), ("end",), ("log2",), ("cn",)],
    "sequenza": [("chromosome",), ("start.pos",), ("end.pos",), ("CNt",), ("A",), ("B",)],
}
# the documented source of each format's columns, named in errors
DOCUMENTED = {
    "ascat": "ASCAT's ascat.output$segments",
    "facets": "FACETS' emcncf()$cncf (facets-suite *.cncf.txt)",
    "purple": "PURPLE's *.purple.cnv.somatic.tsv",
    "battenberg": "Battenberg's *_subclones.txt",
    "cnvkit": "CNVkit's `call` output (*.call.cns)",
    "sequenza": "Sequenza's *_segments.txt",
}
# PURPLE's own definition of a polyclonal segment: more than 0.25 from a whole copy number
PURPLE_POLYCLONAL = 0.25
# FACETS: an aberrant segment whose cellular fraction is below this share of the purity is subclonal
FACETS_SUBCLONAL_CF = 0.8

SEGMENT_COLUMNS = ["chrom", "start", "end", "n_bins", "n_snps", "log2r", "baf", "major_cn", "minor_cn", "total_cn",
                   "subclonal", "major_cn_2", "minor_cn_2", "fraction_2", "allele_specific"]


@dataclass
class Imported:
    """One sample's imported segments (SEGMENT_COLUMNS) and what was dropped or assumed."""
    segments: pd.DataFrame
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PurityPloidy:
    purity: float
    ploidy: float  # nan: from the segments
    goodness_of_fit: float = math.nan
    source: str = ""


def _read_table(path: str, fmt: str, sep: str | None = "\t") -> pd.DataFrame:
    if not os.path.exists(path):
        raise InputError(f"{path}: file not found ({fmt} copy number); correct the path in the import manifest.")
    try:
        return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, engine="python" if sep is None else "c")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as e:
        raise InputError(f"{path}: not a readable tab-separated table ({e}); give {DOCUMENTED.get(fmt, fmt)} "
                         "as the tool wrote it.") from None


def require_columns(columns, path: str, fmt: str) -> dict[str, str]:
    """The column used for each required one (the first present alternative); a missing one is
    an InputError naming the file, the column and the format."""
    used = {}
    have = [str(c) for c in columns]
    for alts in REQUIRED[fmt]:
        hit = next((a for a in alts if a in have), None)
        if hit is None:
            names = " or ".join(f"'{a}'" for a in alts)
            raise InputError(f"{path}: column {names} missing for format {fmt} (expected {DOCUMENTED[fmt]}, "
                             f"columns {', '.join(a[0] for a in REQUIRED[fmt])}); found "
                             f"{', '.join(have[:12]) or 'no header'}. Give the tool's file unchanged, or fix the "
                             "manifest's format.")
        used[alts[0]] = hit
    return used


def header_columns(path: str, fmt: str) -> list[str]:
    """The header of a segments file (for the up-front check)."""
    if not os.path.exists(path):
        raise InputError(f"{path}: file not found ({fmt} copy number); correct the path in the import manifest.")
    with open(path) as fh:
        first = fh.readline().rstrip("\n\r")
    return first.split("\t")


def _numbers(t: pd.DataFrame, col: str, path: str, allow_na: bool = False) -> np.ndarray:
    raw = t[col].str.strip()
    na = raw.isin(["", "NA", "NaN", "nan", "."])
    vals = pd.to_numeric(raw.where(~na, None), errors="coerce")
    bad = vals.isna() & ~na
    if bad.any() or (na.any() and not allow_na):
        i = int(np.flatnonzero(bad.to_numpy() | (na.to_numpy() & (not allow_na)))[0])
        raise InputError(f"{path} line {i + 2}: column '{col}' is '{t[col].iloc[i]}', not a number; the file is "
                         "not as the tool writes it.")
    return vals.to_numpy(float)


def _optional_numbers(t: pd.DataFrame, path: str, columns: dict[str, str]) -> dict[str, np.ndarray]:
    """Our name -> the tool's column, for the diagnostic columns a tool writes only sometimes
    (depth ratio, BAF, bin and SNP counts): the ones present, as numbers."""
    return {ours: _numbers(t, col, path, True) for ours, col in columns.items() if col in t}


class ContigNames:
    """A tool's contig names in the reference's naming: the same name, else the same chromosome
    in the other naming (1 / chr1, MT / chrM), FACETS' 23 and 24 as X and Y."""

    def __init__(self, contigs: list[tuple[str, int]]):
        self.names = {n for n, _ in contigs}
        self.by_key = {}
        for n, _ in contigs:
            self.by_key.setdefault(naming_key(n), n)

    def __call__(self, name: str, fmt: str) -> str | None:
        name = str(name).strip()
        if name in self.names:
            return name
        if fmt == "facets" and name in ("23", "24"):
            name = "X" if name == "23" else "Y"
        return self.by_key.get(naming_key(name))


def _segments_frame(chrom, start, end, major, minor, total, subclonal, allele_specific, n_bins=None, n_snps=None,
                    log2r=None, baf=None, major2=None, minor2=None, fraction2=None) -> pd.DataFrame:
    n = len(chrom)
    na = np.full(n, np.nan)
    return pd.DataFrame({
        "chrom": chrom, "start": np.asarray(start, np.int64), "end": np.asarray(end, np.int64),
        "n_bins": na if n_bins is None else n_bins, "n_snps": na if n_snps is None else n_snps,
        "log2r": na if log2r is None else log2r, "baf": na if baf is None else baf,
        "major_cn": major, "minor_cn": minor, "total_cn": total, "subclonal": np.asarray(subclonal, bool),
        "major_cn_2": na if major2 is None else major2, "minor_cn_2": na if minor2 is None else minor2,
        "fraction_2": na if fraction2 is None else fraction2, "allele_specific": np.asarray(allele_specific, bool),
    })[SEGMENT_COLUMNS]


def _split_total(total: np.ndarray, major: np.ndarray, minor: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """major/minor where the tool gave them; where only the total is known, the balanced split
    ceil(C/2) + floor(C/2), flagged not allele-specific."""
    known = np.isfinite(major) & np.isfinite(minor)
    maj = np.where(known, np.maximum(major, minor), np.ceil(total / 2))
    mnr = np.where(known, np.minimum(major, minor), np.floor(total / 2))
    return maj, mnr, known


def read_segments(path: str, fmt: str, contigs: list[tuple[str, int]], tool_sample: str | None = None,
                  purity: float | None = None, default_sample: str | None = None) -> Imported:
    """One sample's segments from a tool's file. tool_sample: the sample's name in a
    multi-sample file (ASCAT's `sample` column; else the only sample there, else
    default_sample, our id); purity: FACETS' (to tell subclonal events)."""
    if fmt not in FORMATS:
        raise InputError(f"{path}: format '{fmt}' unknown; choose one of {', '.join(FORMATS)}.")
    t = _read_table(path, fmt)
    col = require_columns(t.columns, path, fmt)
    notes: list[str] = []
    if fmt == "ascat":
        names = t[col["sample"]].str.strip()
        if tool_sample is not None:
            if not (names == tool_sample).any():
                raise InputError(f"{path}: no rows of sample '{tool_sample}' in column 'sample' (samples there: "
                                 f"{', '.join(sorted(names.unique())[:5])}); set the manifest's tool_sample to the "
                                 "sample's name in the file.")
            t = t[names == tool_sample]
        elif names.nunique() > 1:
            if default_sample is None or not (names == default_sample).any():
                raise InputError(f"{path}: rows of {names.nunique()} samples, none named '{default_sample}'; set "
                                 "the manifest's tool_sample to say which is this sample.")
            t = t[names == default_sample]
    t = t.reset_index(drop=True)
    if t.empty:
        raise InputError(f"{path}: no segments; give the tool's file of this sample.")
    cn = ContigNames(contigs)
    if fmt == "ascat":
        chrom, start, end = t[col["chr"]], _numbers(t, col["startpos"], path), _numbers(t, col["endpos"], path)
        a, b = _numbers(t, col["nMajor"], path, True), _numbers(t, col["nMinor"], path, True)
        total = a + b
        major, minor, known = _split_total(total, a, b)
        seg = dict(subclonal=np.zeros(len(t), bool))
    elif fmt == "facets":
        chrom, start, end = t[col["chrom"]], _numbers(t, col["start"], path), _numbers(t, col["end"], path)
        total = _numbers(t, col["tcn.em"], path, True)
        lcn = _numbers(t, col["lcn.em"], path, True)
        cf = _numbers(t, col["cf.em"], path, True)
        major, minor, known = _split_total(total, total - lcn, lcn)
        normal = (total == 2) & (~known | (minor == 1))
        sub = np.zeros(len(t), bool)
        if purity is not None and np.isfinite(purity) and purity > 0:
            sub = (~normal) & np.isfinite(cf) & (cf < FACETS_SUBCLONAL_CF * purity)
        extra = _optional_numbers(t, path, {"log2r": "cnlr.median", "n_bins": "num.mark", "n_snps": "nhet"})
        seg = dict(subclonal=sub, **extra)
    elif fmt == "purple":
        chrom, start, end = t[col["chromosome"]], _numbers(t, col["start"], path), _numbers(t, col["end"], path)
        a = _numbers(t, col["majorAlleleCopyNumber"], path, True)
        b = _numbers(t, col["minorAlleleCopyNumber"], path, True)
        a, b = np.maximum(a, 0), np.maximum(b, 0)
        off = np.maximum(np.abs(a - np.round(a)), np.abs(b - np.round(b)))
        major, minor, known = _split_total(np.round(a) + np.round(b), np.round(a), np.round(b))
        total = major + minor
        extra = {}
        if "bafCount" in t:
            extra["n_snps"] = _numbers(t, "bafCount", path, True)
        if "depthWindowCount" in t:
            extra["n_bins"] = _numbers(t, "depthWindowCount", path, True)
        seg = dict(subclonal=np.isfinite(off) & (off > PURPLE_POLYCLONAL), **extra)
    elif fmt == "battenberg":
        chrom, start, end = t[col["chr"]], _numbers(t, col["startpos"], path), _numbers(t, col["endpos"], path)
        m1, n1 = _numbers(t, col["nMaj1_A"], path), _numbers(t, col["nMin1_A"], path)
        f1 = _numbers(t, col["frac1_A"], path)
        m2, n2 = _numbers(t, col["nMaj2_A"], path, True), _numbers(t, col["nMin2_A"], path, True)
        f2 = _numbers(t, col["frac2_A"], path, True)
        two = np.isfinite(f2) & np.isfinite(m2) & np.isfinite(n2) & (f2 > 0) & (f1 < 1)
        # the state in most tumour cells is the segment's copy number; the other is kept beside it
        first = ~two | (f1 >= f2)
        a = np.where(first, m1, m2)
        b = np.where(first, n1, n2)
        major, minor, known = _split_total(a + b, a, b)
        total = major + minor
        seg = dict(subclonal=two,
                   major2=np.where(two, np.where(first, np.maximum(m2, n2), np.maximum(m1, n1)), np.nan),
                   minor2=np.where(two, np.where(first, np.minimum(m2, n2), np.minimum(m1, n1)), np.nan),
                   fraction2=np.where(two, np.where(first, f2, f1), np.nan))
        if "BAF" in t:
            seg["baf"] = _numbers(t, "BAF", path, True)
        if "LogR" in t:
            seg["log2r"] = _numbers(t, "LogR", path, True)
    elif fmt == "cnvkit":
        chrom = t[col["chromosome"]]
        start = _numbers(t, col["start"], path) + 1  # BED-like: 0-based start, end inclusive-1-based
        end = _numbers(t, col["end"], path)
        total = _numbers(t, col["cn"], path, True)
        if "cn1" in t and "cn2" in t:
            a, b = _numbers(t, "cn1", path, True), _numbers(t, "cn2", path, True)
        else:
            a = b = np.full(len(t), np.nan)
            notes.append("no cn1/cn2 columns (cnvkit call without a VCF): total copy number only")
        major, minor, known = _split_total(total, a, b)
        extra = {"log2r": _numbers(t, col["log2"], path, True)}
        if "probes" in t:
            extra["n_bins"] = _numbers(t, "probes", path, True)
        if "baf" in t:
            extra["baf"] = _numbers(t, "baf", path, True)
        seg = dict(subclonal=np.zeros(len(t), bool), **extra)
    else:  # sequenza
        chrom, start, end = t[col["chromosome"]], _numbers(t, col["start.pos"], path), _numbers(t, col["end.pos"], path)
        total = _numbers(t, col["CNt"], path, True)
        a, b = _numbers(t, col["A"], path, True), _numbers(t, col["B"], path, True)
        major, minor, known = _split_total(total, a, b)
        extra = _optional_numbers(t, path, {"log2r": "depth.ratio", "baf": "Bf", "n_snps": "N.BAF", "n_bins": "N.ratio"})
        if "log2r" in extra:  # Sequenza writes the depth ratio itself
            with np.errstate(divide="ignore", invalid="ignore"):
                extra["log2r"] = np.log2(extra["log2r"])
        seg = dict(subclonal=np.zeros(len(t), bool), **extra)

    bad = np.flatnonzero(end < start)
    if bad.size:
        i = int(bad[0])
        raise InputError(f"{path} line {i + 2}: segment ends ({int(end[i])}) before it starts ({int(start[i])}); "
                         "the file is not as the tool writes it.")
    uncalled = ~np.isfinite(total)
    if uncalled.any():
        notes.append(f"{int(uncalled.sum())} segment(s) without a copy number left out")
    mapped = np.array([cn(c, fmt) for c in chrom], dtype=object)
    missing = pd.isna(mapped)
    if missing.all():
        raise InputError(f"{path}: none of its contigs ({', '.join(sorted(set(map(str, chrom)))[:5])}) is in the "
                         "reference; the file was made against another reference build.")
    if missing.any():
        notes.append(f"{int(missing.sum())} segment(s) on contigs not in the reference left out "
                     f"({', '.join(sorted(set(map(str, chrom[missing])))[:5])})")
    keep = ~missing & ~uncalled
    if (~known & keep).any():
        notes.append(f"{int((~known & keep).sum())} segment(s) with total copy number only (minor unknown): "
                     "balanced split assumed, allele_specific false")
    pick = {k: np.asarray(v)[keep] for k, v in seg.items()}
    out = _segments_frame(mapped[keep], start[keep], end[keep], major[keep], minor[keep], total[keep],
                          allele_specific=known[keep], **pick)
    return Imported(out.sort_values(["chrom", "start"], kind="stable").reset_index(drop=True), notes)


_KEY_VALUE = re.compile(r"^\s*(purity|ploidy)\s*[=:]\s*(\S+)\s*$", re.IGNORECASE)


def _as_float(value: str, path: str, what: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{path}: {what} '{value}' is not a number.") from None


def _table_row(t: pd.DataFrame, path: str, tool_sample: str | None) -> pd.Series:
    """The sample's row of a per-sample table (a `sample` column, the row names, or one row)."""
    if len(t) == 1:
        return t.iloc[0]
    key = "sample" if "sample" in t.columns else None
    names = t[key] if key else pd.Series(t.index.astype(str), index=t.index)
    if tool_sample is None or not (names == tool_sample).any():
        raise InputError(f"{path}: {len(t)} rows and none named '{tool_sample}'; set the manifest's tool_sample to "
                         "the sample's name in the file.")
    return t[names.to_numpy() == tool_sample].iloc[0]


def read_purity(path: str, fmt: str, tool_sample: str | None = None) -> PurityPloidy:
    """Purity and ploidy from the file a tool writes them to (module docstring), or a table with
    `purity` and `ploidy` columns."""
    if not os.path.exists(path):
        raise InputError(f"{path}: file not found (purity of {fmt} copy number); correct the manifest's purity "
                         "column (a number or the tool's purity file).")
    with open(path) as fh:
        text = fh.read()
    found = {}
    for line in text.splitlines():
        m = _KEY_VALUE.match(line)
        if m:
            found[m.group(1).lower()] = m.group(2)
    if fmt == "facets" and "purity" in found:  # facets-suite's .out
        pur = _as_float(found["purity"], path, "Purity") if found["purity"] != "NA" else math.nan
        plo = _as_float(found.get("ploidy", "nan"), path, "Ploidy") if found.get("ploidy", "NA") != "NA" else math.nan
        return PurityPloidy(pur, plo, source="facets .out")
    try:
        t = pd.read_csv(path, sep="\t", index_col=None)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise InputError(f"{path}: not a readable table ({e}).") from None
    if fmt == "battenberg":
        if "rho" not in t.columns or "FRAC_GENOME" not in set(t.index.astype(str)):
            raise InputError(f"{path}: column 'rho' or row 'FRAC_GENOME' missing (expected Battenberg's "
                             "*_rho_and_psi.txt).")
        row = t.loc["FRAC_GENOME"]
        plo = row["ploidy"] if "ploidy" in t.columns else row.get("psi", math.nan)
        return PurityPloidy(float(row["rho"]), float(plo), source="battenberg rho_and_psi")
    if fmt == "sequenza":
        for c in ("cellularity", "ploidy.estimate"):
            if c not in t.columns:
                raise InputError(f"{path}: column '{c}' missing (expected Sequenza's *_confints_CP.txt).")
        row = t.iloc[1] if len(t) >= 3 else t.iloc[0]  # rows: lower bound, estimate, upper bound
        return PurityPloidy(float(row["cellularity"]), float(row["ploidy.estimate"]), source="sequenza confints_CP")
    if fmt == "purple" and "purity" not in t.columns and "Purity" in t.columns:
        t = t.rename(columns={"Purity": "purity", "Ploidy": "ploidy"})
    if "purity" not in t.columns:
        raise InputError(f"{path}: column 'purity' missing (expected {'PURPLE *.purple.purity.tsv' if fmt == 'purple' else 'ASCAT ascat.metrics() table' if fmt == 'ascat' else 'a table with purity and ploidy'}); give the tool's purity file or the purity as a number.")
    row = _table_row(t, path, tool_sample)
    gof = float(row["goodness_of_fit"]) if "goodness_of_fit" in t.columns else math.nan
    return PurityPloidy(float(row["purity"]), float(row["ploidy"]) if "ploidy" in t.columns else math.nan, gof,
                        source=f"{fmt} purity table")


# --- the manifest ---------------------------------------------------------------------------------

MANIFEST_REQUIRED = ["sample", "format", "segments"]
MANIFEST_COLUMNS = ["patient", "sample", "format", "segments", "purity", "ploidy", "tool_sample"]


def read_manifest(path: str) -> pd.DataFrame:
    """The import manifest: one row per tumour sample (columns MANIFEST_COLUMNS; patient,
    purity, ploidy and tool_sample optional)."""
    if not os.path.exists(path):
        raise InputError(f"{path}: copy-number import manifest not found; set copynumber.import_manifest to the "
                         "TSV naming each tumour sample's copy-number file.")
    try:
        m = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise InputError(f"{path}: not a readable tab-separated table ({e}).") from None
    m.columns = [str(c).strip() for c in m.columns]
    missing = [c for c in MANIFEST_REQUIRED if c not in m.columns]
    if missing:
        raise InputError(f"{path}: column(s) {', '.join(missing)} missing; the manifest needs "
                         f"{', '.join(MANIFEST_REQUIRED)} (optional: patient, purity, ploidy, tool_sample).")
    unknown = [c for c in m.columns if c not in MANIFEST_COLUMNS]
    if unknown:
        raise InputError(f"{path}: unknown column(s) {', '.join(unknown)}; allowed: {', '.join(MANIFEST_COLUMNS)}.")
    for c in MANIFEST_COLUMNS:
        if c not in m.columns:
            m[c] = ""
    m = m.apply(lambda s: s.str.strip())
    for i, r in m.iterrows():
        where = f"{path} line {i + 2} (sample {r['sample']})"
        if r["format"].lower() not in FORMATS:
            raise InputError(f"{where}: format '{r['format']}' unknown; choose one of {', '.join(FORMATS)}.")
        if not r["segments"]:
            raise InputError(f"{where}: column 'segments' is empty; give the path of the tool's segments file.")
        if r["ploidy"]:
            try:
                float(r["ploidy"])
            except ValueError:
                raise InputError(f"{where}: ploidy '{r['ploidy']}' is not a number; leave it empty to take the "
                                 "tool's.") from None
    m["format"] = m["format"].str.lower()
    dup = m["sample"][m["sample"].duplicated()]
    if len(dup):
        raise InputError(f"{path}: sample '{dup.iloc[0]}' is listed more than once; one row per tumour sample.")
    return m[MANIFEST_COLUMNS]


def purity_value(text: str) -> float | None:
    """The manifest's purity when it is a number (else it names a file, or is empty)."""
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def check_manifest(m: pd.DataFrame, path: str, sheet: pd.DataFrame, check_files: bool = True) -> None:
    """Every tumour sample of the sheet has one row, no row names another sample, the patient
    column (when given) agrees, the files exist and the segments have their format's columns;
    a sample without purity from the manifest needs the sheet's."""
    types = dict(zip(sheet["sample"], sheet["type"]))
    patients = dict(zip(sheet["sample"], sheet["patient"]))
    sheet_purity = dict(zip(sheet["sample"], sheet["purity"])) if "purity" in sheet else {}
    for i, r in m.iterrows():
        where = f"{path} line {i + 2} (sample {r['sample']})"
        if r["sample"] not in types:
            raise InputError(f"{where}: sample not in the sample sheet; use the sheet's sample ids.")
        if types[r["sample"]] != "tumour":
            raise InputError(f"{where}: the sheet says it is a {types[r['sample']]} sample; copy number is imported "
                             "for tumour samples only (remove the row).")
        if r["patient"] and r["patient"] != patients[r["sample"]]:
            raise InputError(f"{where}: patient '{r['patient']}' but the sheet puts the sample in patient "
                             f"'{patients[r['sample']]}'.")
        value = purity_value(r["purity"])
        if value is not None and not 0 < value <= 1:
            raise InputError(f"{where}: purity {value} outside (0, 1].")
        if not r["purity"] and r["format"] == "cnvkit" and pd.isna(sheet_purity.get(r["sample"], np.nan)):
            raise InputError(f"{where}: no purity (CNVkit writes none); give the purity passed to `cnvkit.py call "
                             "--purity` in the manifest's purity column, or in the sample sheet.")
        if check_files:
            cols = header_columns(r["segments"], r["format"])
            require_columns(cols, r["segments"], r["format"])
            if r["purity"] and value is None and not os.path.exists(r["purity"]):
                raise InputError(f"{where}: purity '{r['purity']}' is neither a number nor an existing file; give "
                                 "the tool's purity file or the purity.")
    covered = set(m["sample"])
    for patient, rows in sheet.groupby("patient", sort=False):
        missing = [s for s, t in zip(rows["sample"], rows["type"]) if t == "tumour" and s not in covered]
        if missing:
            raise InputError(f"{path}: tumour sample(s) {', '.join(missing)} of patient {patient} have no row; "
                             "with copynumber.source import every tumour sample needs its copy-number file.")


def manifest_files(row: dict) -> list[str]:
    """The files a manifest row names (the rule's inputs)."""
    files = [row["segments"]]
    if row["purity"] and purity_value(row["purity"]) is None:
        files.append(row["purity"])
    return files


# --- a patient's imported copy number, in the contract of copynumber_call -------------------------

def shared_breakpoints(per_sample: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every sample's segments cut at the union of the samples' breakpoints, so the regions share
    them as our own joint segmentation's do (MEDICC2's table and the region-discordance metric
    need that); pieces a sample does not cover stay without a row for it."""
    tables = {s: t.reset_index(drop=True) for s, t in per_sample.items()}
    cut = shared_segments(tables)
    out = {}
    for s, t in tables.items():
        idx = cut.rows[s]
        got = idx >= 0
        piece = t.iloc[idx[got]].copy()
        piece["start"] = cut.pieces["start"].to_numpy()[got].astype(t["start"].dtype)
        piece["end"] = cut.pieces["end"].to_numpy()[got].astype(t["end"].dtype)
        out[s] = piece.reset_index(drop=True)
    return out


def _merge_adjacent(per_sample: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Join neighbouring pieces where every sample has the same state on both (the union of
    breakpoints cuts where only another file broke, at pieces no sample tells apart)."""
    names = list(per_sample)
    if not names:
        return per_sample
    state_cols = ["major_cn", "minor_cn", "total_cn", "subclonal", "major_cn_2", "minor_cn_2", "fraction_2",
                  "allele_specific", "n_bins", "n_snps", "log2r", "baf"]
    keys = pd.concat([t[["chrom", "start", "end"]] for t in per_sample.values()]).drop_duplicates()
    keys = keys.sort_values(["chrom", "start"], kind="stable").reset_index(drop=True)
    sig = []
    for s in names:
        t = keys.merge(per_sample[s], on=["chrom", "start", "end"], how="left")
        sig.append(t[state_cols].map(str).agg("|".join, axis=1))
    joint = pd.concat(sig, axis=1).agg("#".join, axis=1)
    same = (joint == joint.shift()) & (keys["chrom"] == keys["chrom"].shift()) & \
        (keys["start"] == keys["end"].shift() + 1)
    group = (~same).cumsum()
    spans = keys.groupby(group).agg(chrom=("chrom", "first"), start=("start", "min"), end=("end", "max"))
    first = keys.groupby(group)["start"].transform("min")
    out = {}
    for s in names:
        t = per_sample[s].merge(keys.assign(group=group, first=first), on=["chrom", "start", "end"])
        t = t[t["start"] == t["first"]].copy()
        t["end"] = t["group"].map(spans["end"]).to_numpy()
        out[s] = t.drop(columns=["group", "first"]).reset_index(drop=True)
    return out


def _autosomal(t: pd.DataFrame) -> np.ndarray:
    return np.array([contig_class(str(c)) == "autosome" for c in t["chrom"]], bool)


def segment_ploidy(t: pd.DataFrame) -> float:
    """Length-weighted mean total copy number over the autosomes (Battenberg's subclonal
    segments weighted by their two states' fractions)."""
    a = _autosomal(t)
    if not a.any():
        return math.nan
    u = t[a]
    length = (u["end"] - u["start"] + 1).to_numpy(float)
    total = u["total_cn"].to_numpy(float)
    f2 = u["fraction_2"].to_numpy(float)
    two = np.isfinite(f2)
    total2 = (u["major_cn_2"] + u["minor_cn_2"]).to_numpy(float)
    mean = np.where(two, (1 - np.where(two, f2, 0)) * total + np.where(two, f2 * total2, 0), total)
    return float(np.average(mean, weights=length))


@dataclass
class ImportRow:
    sample: str
    format: str
    segments: str
    purity: str = ""
    ploidy: str = ""
    tool_sample: str = ""


def import_patient(patient: str, rows: list[ImportRow], samples: list[dict], contigs: list[tuple[str, int]],
                   sex: str | None, wgd_major_fraction: float = 0.5):
    """The patient's copy number from other tools' files, as copynumber_call writes it
    (ith.copynumber.call.PatientCn). samples: the sheet's records (name, type, purity)."""
    from ith.copynumber.call import PURITY_COLUMNS, SEGMENT_COLUMNS as OUT_COLUMNS, PatientCn

    by_sample = {r.sample: r for r in rows}
    per, pp, flags, formats = {}, {}, [], {}
    for s in samples:
        if s["type"] != "tumour":
            continue
        r = by_sample.get(s["name"])
        if r is None:
            raise InputError(f"import manifest: no row for tumour sample {s['name']} of patient {patient}.")
        tool_sample = r.tool_sample or None
        value = purity_value(r.purity)
        if value is not None:
            pur = PurityPloidy(value, math.nan, source="manifest")
        elif r.purity:
            pur = read_purity(r.purity, r.format, tool_sample or s["name"])
        elif s.get("purity") is not None:
            pur = PurityPloidy(float(s["purity"]), math.nan, source="sample sheet")
        else:
            raise InputError(f"{r.segments}: no purity for sample {s['name']} ({r.format} writes none into its "
                             "segments); give it in the manifest's purity column or the sample sheet.")
        if r.ploidy:
            pur = PurityPloidy(pur.purity, float(r.ploidy), pur.goodness_of_fit, pur.source)
        imp = read_segments(r.segments, r.format, contigs, tool_sample, pur.purity, default_sample=s["name"])
        for n in imp.notes:
            flags.append(f"{s['name']} ({r.format}, {r.segments}): {n}")
            log.warning(flags[-1])
        per[s["name"]], pp[s["name"]], formats[s["name"]] = imp.segments, pur, r.format
        log.info("%s: %d segments from %s (%s); purity %.3f (%s)", s["name"], len(imp.segments), r.segments,
                 r.format, pur.purity, pur.source)
    per = _merge_adjacent(shared_breakpoints(per))
    if not sex:
        y = [t[[contig_class(str(c)) == "Y" for c in t["chrom"]]] for t in per.values()]
        if any(len(u) and (u["total_cn"].astype(float) >= 1).any() for u in y):
            sex = "male"
            flags.append("sex not in the sample sheet: male, from the imported chrY copy number")
        else:
            flags.append("sex not in the sample sheet and no chrY copies imported: X taken as two normal copies; "
                         "give the sex in the sample sheet")
        log.warning(flags[-1])
    seg_rows, pp_rows, metrics_samples, states = [], [], {}, []
    for name, t in per.items():
        pur = pp[name]
        ploidy = pur.ploidy if np.isfinite(pur.ploidy) else segment_ploidy(t)
        a = _autosomal(t)
        length = (t["end"] - t["start"] + 1).to_numpy(float)
        w = length[a]
        major, minor, total = (t[c].to_numpy(float) for c in ("major_cn", "minor_cn", "total_cn"))
        wgd = bool(w.sum() > 0 and w[major[a] >= 2].sum() / w.sum() > wgd_major_fraction)
        pp_rows.append(dict(patient=patient, sample=name, purity=round(pur.purity, 4),
                            ploidy=round(ploidy, 4) if np.isfinite(ploidy) else np.nan,
                            goodness_of_fit=pur.goodness_of_fit, wgd=wgd, method=f"import:{formats[name]}"))
        if w.sum() > 0:
            metrics_samples[name] = {
                "wgii": round(float(w[total[a] != round(ploidy)].sum() / w.sum()), 4) if np.isfinite(ploidy) else None,
                "loh_fraction": round(float(w[minor[a] == 0].sum() / w.sum()), 4),
                "subclonal_fraction": round(float(w[t["subclonal"].to_numpy(bool)[a]].sum() / w.sum()), 4),
                "wgd": wgd, "format": formats[name]}
        states.append(t.assign(sample=name))
        out = t.assign(patient=patient, sample=name)
        for c in ("major_cn", "minor_cn", "total_cn", "major_cn_2", "minor_cn_2"):
            out[c] = out[c].astype("Int64")
        seg_rows.append(out)
    segments = pd.concat(seg_rows, ignore_index=True)[OUT_COLUMNS] if seg_rows else pd.DataFrame(columns=OUT_COLUMNS)
    plasma_rows = []
    for s in samples:
        if s["type"] != "plasma":
            continue
        plasma_rows.append(dict(patient=patient, sample=s["name"], tumour_fraction=np.nan, ci_low=np.nan,
                                ci_high=np.nan, lod=np.nan, assessable=False,
                                note="copy number imported: no depth ratios of plasma (see the liquid stage)"))
        pp_rows.append(dict(patient=patient, sample=s["name"], purity=np.nan, ploidy=np.nan, goodness_of_fit=np.nan,
                            wgd=False, method="not_assessable (copy number imported)"))
    discordant = None
    if len(states) >= 2:
        allseg = pd.concat(states)
        a = _autosomal(allseg)
        allseg = allseg[a]
        key = allseg.groupby(["chrom", "start", "end"], sort=False)
        n = key["sample"].transform("nunique")
        both = allseg[n == len(states)]
        if len(both):
            differs = both.groupby(["chrom", "start", "end"], sort=False).apply(
                lambda g: bool(g["major_cn"].nunique() > 1 or g["minor_cn"].nunique() > 1), include_groups=False)
            length = np.array([e - b + 1 for _, b, e in differs.index], float)
            discordant = round(float(length[differs.to_numpy(bool)].sum() / length.sum()), 4)
    metrics = {"patient": patient, "source": "import", "sex_by_coverage": None, "sex_used": sex,
               "normal_x_dosage": None, "region_discordant_fraction": discordant, "samples": metrics_samples,
               "flags": flags,
               "definitions": {
                   "wgii": "autosomal genome fraction whose total copy number differs from the sample's rounded ploidy",
                   "loh_fraction": "autosomal genome fraction with minor copy number 0",
                   "subclonal_fraction": "autosomal genome fraction whose segments the tool called subclonal",
                   "region_discordant_fraction": "autosomal genome fraction whose major/minor state differs between "
                                                 "any two regions (where all regions have a segment)"}}
    purity = pd.DataFrame(pp_rows, columns=PURITY_COLUMNS)
    plasma = pd.DataFrame(plasma_rows, columns=["patient", "sample", "tumour_fraction", "ci_low", "ci_high", "lod",
                                                "assessable", "note"])
    return PatientCn(segments, purity, plasma, metrics)
