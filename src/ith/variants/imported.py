"""Somatic calls made elsewhere, imported as called: a manifest of VCFs per patient (Mutect2,
Strelka2 or any VCF), their FILTER deciding which records count, normalised as `bcftools norm`
does (multi-allelics split, complex alleles decomposed, indels left-aligned against the
reference), ready for the variants stage to genotype by its own counting in every sample.

Formats, as their tools document them:
- mutect2: GATK Mutect2 after FilterMutectCalls, one or several tumours in one VCF; sample columns
  named by the BAMs' read-group SM; FORMAT/AD (Number=R) per sample; FILTER PASS or the reasons.
- strelka2: Strelka2's somatic.snvs.vcf.gz and somatic.indels.vcf.gz of one tumour-normal pair;
  sample columns NORMAL and TUMOR; SNV records carry FORMAT/AU, CU, GU, TU (tier-1,2 counts of
  each base, no GT or AD), indel records FORMAT/TIR and TAR; FILTER PASS or the reasons.
- vcf: any VCF; only CHROM, POS, REF, ALT and FILTER are read, its sample columns are not.
"""

from __future__ import annotations

import gzip
import logging
import os
import re
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
import pysam
import pysam.bcftools

from ith.errors import InputError
from ith.io.naming import resource_naming
from ith.io.pileup import normalise
from ith.io.targets import Regions, in_regions

log = logging.getLogger(__name__)

FORMATS = ("mutect2", "strelka2", "vcf")
MANIFEST_REQUIRED = ["patient", "vcf", "format"]
MANIFEST_OPTIONAL = ["tumour"]
VCF_COLUMNS = ["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]
# FORMAT fields each tool documents for its records (what a file of that format must declare)
MUTECT2_FORMAT = ("AD",)
STRELKA2_SNV_FORMAT = ("AU", "CU", "GU", "TU")
STRELKA2_INDEL_FORMAT = ("TIR", "TAR")
STRELKA2_SAMPLES = ("NORMAL", "TUMOR")
SITE_COLUMNS = ["chrom", "pos", "ref", "alt", "source"]


@dataclass(frozen=True)
class ImportRow:
    """One line of the import manifest."""

    patient: str
    vcf: str
    format: str
    tumour: str | None  # the sheet sample a Strelka2 TUMOR column stands for
    line: int  # in the manifest, 1-based with the header as line 1 (0: not known, in a job)
    manifest: str

    @property
    def where(self) -> str:
        line = f" line {self.line}" if self.line else ""
        return f"{self.manifest}{line} ({self.patient}, {self.vcf})"

    @property
    def source(self) -> str:
        return f"imported:{self.format}"


@dataclass
class ImportStats:
    """What happened to one file's records, for the log."""

    records: int = 0
    filtered: Counter = field(default_factory=Counter)  # FILTER value set -> records dropped
    symbolic: int = 0  # alleles that are not sequence (<DEL>, breakends, *)
    other_contigs: int = 0
    kept_records: int = 0
    split: int = 0  # multi-allelic records split by bcftools norm
    realigned: int = 0  # records bcftools norm left-aligned or trimmed
    ref_mismatch: int = 0
    alleles: int = 0  # after normalisation


def read_manifest(path: str, patients: Mapping[str, Sequence[tuple[str, str]]]) -> list[ImportRow]:
    """The import manifest (TSV: patient, vcf, format[, tumour]); `patients`: each patient's
    (sample, type) pairs from the sample sheet. Relative VCF paths are relative to the directory
    the workflow runs in, as the sheet's BAMs are."""
    if not os.path.exists(path):
        raise InputError(f"variants.import.manifest '{path}' not found; correct the path or set it to null.")
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment=None)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: not a readable tab-separated table ({e}); write a header line "
                         f"({', '.join(MANIFEST_REQUIRED)}[, tumour]) and one line per VCF.") from e
    table.columns = [str(c).strip() for c in table.columns]
    missing = [c for c in MANIFEST_REQUIRED if c not in table.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; the import manifest needs the columns "
                         f"{', '.join(MANIFEST_REQUIRED)} (optional: tumour), tab-separated.")
    unknown = [c for c in table.columns if c not in MANIFEST_REQUIRED + MANIFEST_OPTIONAL]
    if unknown:
        raise InputError(f"{path}: unknown column(s) {', '.join(unknown)}; allowed are "
                         f"{', '.join(MANIFEST_REQUIRED + MANIFEST_OPTIONAL)}. Rename or remove them.")
    rows = []
    seen: dict[tuple[str, str], int] = {}
    for i, rec in enumerate(table.to_dict("records")):
        line = i + 2
        rec = {k: str(v).strip() for k, v in rec.items()}
        for c in MANIFEST_REQUIRED:
            if not rec[c]:
                raise InputError(f"{path} line {line}: column '{c}' is empty; every line needs "
                                 f"{', '.join(MANIFEST_REQUIRED)}.")
        patient, vcf, fmt, tumour = rec["patient"], rec["vcf"], rec["format"].lower(), rec.get("tumour") or None
        where = f"{path} line {line} (patient {patient})"
        if patient not in patients:
            raise InputError(f"{where}: patient '{patient}' is not in the sample sheet; use the sheet's patient ids.")
        if fmt not in FORMATS:
            raise InputError(f"{where}: column 'format' is '{rec['format']}'; use one of {', '.join(FORMATS)}.")
        if (patient, vcf) in seen:
            raise InputError(f"{where}: '{vcf}' is listed for this patient already (line {seen[patient, vcf]}); "
                             f"list each VCF once.")
        seen[patient, vcf] = line
        samples = dict(patients[patient])
        if tumour is not None and samples.get(tumour) not in ("tumour", "plasma"):
            raise InputError(f"{where}: column 'tumour' is '{tumour}', not a tumour or plasma sample of patient "
                             f"{patient} (its samples: {', '.join(samples)}); give the sheet's sample id.")
        if fmt == "strelka2" and tumour is None:
            tumours = [s for s, t in patients[patient] if t == "tumour"]
            if len(tumours) != 1:
                raise InputError(f"{where}: a Strelka2 VCF names its tumour column TUMOR, and patient {patient} has "
                                 f"{len(tumours)} tumour samples ({', '.join(tumours)}); say which one in column "
                                 f"'tumour'.")
            tumour = tumours[0]
        rows.append(ImportRow(patient, vcf, fmt, tumour, line, path))
    return rows


def _open_text(path: str):
    with open(path, "rb") as fh:
        magic = fh.read(2)
    return gzip.open(path, "rt") if magic == b"\x1f\x8b" else open(path)


def header_lines(path: str) -> tuple[list[str], list[str]]:
    """The meta lines (##...) and the columns of the #CHROM line of a VCF (plain or bgzipped)."""
    meta: list[str] = []
    try:
        with _open_text(path) as fh:
            for line in fh:
                line = line.rstrip("\n").rstrip("\r")
                if line.startswith("##"):
                    meta.append(line)
                elif line.startswith("#"):
                    return meta, line[1:].split("\t")
                else:
                    break
    except (OSError, UnicodeDecodeError, EOFError) as e:
        raise InputError(f"'{path}': not a readable VCF ({e}); check it with: bcftools view -h {path}") from None
    raise InputError(f"'{path}': no '#CHROM' header line; a VCF's header ends with the line "
                     f"#{chr(9).join(VCF_COLUMNS)}[\tFORMAT\tsample...]. Is it a VCF?")


def _declared(meta: list[str], kind: str) -> set[str]:
    pattern = re.compile(rf"^##{kind}=<ID=([^,>]+)")
    return {m.group(1) for m in (pattern.match(x) for x in meta) if m}


def check_vcf(row: ImportRow, sample_names: Mapping[str, str]) -> None:
    """The header of one imported VCF against its format's documented columns and fields, and its
    sample columns against the patient's samples. `sample_names`: every name that stands for a
    sample of the patient (its sheet id, and its BAM's read-group SM) -> the sheet's sample id."""
    where = row.where
    if not os.path.exists(row.vcf):
        raise InputError(f"{where}: VCF '{row.vcf}' not found; correct the path in column 'vcf' (relative paths "
                         f"are relative to the directory Snakemake runs in).")
    meta, columns = header_lines(row.vcf)
    for i, c in enumerate(VCF_COLUMNS):
        if i >= len(columns) or columns[i] != c:
            raise InputError(f"{where}: '{row.vcf}' has no {c} column where the #CHROM line should have it (it has "
                             f"{', '.join(columns)}); a VCF's columns are {', '.join(VCF_COLUMNS)}[, FORMAT, "
                             f"samples]. Write the file as VCF 4.x.")
    samples = columns[len(VCF_COLUMNS) + 1:]
    formats = _declared(meta, "FORMAT")
    if row.format == "mutect2":
        if not samples:
            raise InputError(f"{where}: '{row.vcf}' has no sample columns; Mutect2 writes one per BAM (named by its "
                             f"read-group SM). Is it Mutect2's VCF?")
        _require(row, formats, MUTECT2_FORMAT, "Mutect2 writes FORMAT/AD (allelic depths) for every sample")
        unknown = [s for s in samples if s not in sample_names]
        if unknown:
            raise InputError(f"{where}: sample column(s) {', '.join(unknown)} of '{row.vcf}' name no sample of "
                             f"patient {row.patient} (its sample ids and BAM read-group SMs: "
                             f"{', '.join(sorted(sample_names))}); Mutect2 names columns by the BAMs' SM. Check that "
                             f"the VCF belongs to this patient.")
    elif row.format == "strelka2":
        if tuple(samples) != STRELKA2_SAMPLES:
            raise InputError(f"{where}: '{row.vcf}' has sample columns {', '.join(samples) or '(none)'}; Strelka2's "
                             f"somatic VCFs have exactly {' and '.join(STRELKA2_SAMPLES)}. Use format 'vcf' for "
                             f"other files.")
        if not (set(STRELKA2_SNV_FORMAT) <= formats or set(STRELKA2_INDEL_FORMAT) <= formats):
            missing = [f for f in STRELKA2_SNV_FORMAT + STRELKA2_INDEL_FORMAT if f not in formats]
            raise InputError(f"{where}: '{row.vcf}' declares no FORMAT field(s) {', '.join(missing)}; Strelka2's "
                             f"somatic.snvs VCF has FORMAT/{',/'.join(STRELKA2_SNV_FORMAT)} and its somatic.indels "
                             f"VCF FORMAT/TIR,TAR. Is it Strelka2's somatic VCF?")


def _require(row: ImportRow, declared: set[str], fields: Sequence[str], what: str) -> None:
    missing = [f for f in fields if f not in declared]
    if missing:
        raise InputError(f"{row.where}: '{row.vcf}' declares no FORMAT field {', '.join(missing)} in its header; "
                         f"{what}. Is it {row.format} output? Otherwise give format 'vcf'.")


def _alleles_ok(alt: str) -> bool:
    return bool(alt) and not alt.startswith("<") and "[" not in alt and "]" not in alt and alt not in ("*", ".") \
        and set(alt.upper()) <= set("ACGTN")


def read_records(row: ImportRow, filters: Sequence[str], to_reference: Mapping[str, str],
                 stats: ImportStats) -> list[tuple[str, int, str, str]]:
    """(chrom in the reference's naming, pos, ref, comma-joined alts) of the records whose FILTER
    values are all in `filters` ("." for a record without filters); each record's FORMAT fields
    checked against the format."""
    keep = set(filters)
    out = []
    fmt_fields = {"mutect2": MUTECT2_FORMAT}
    try:
        with pysam.VariantFile(row.vcf) as fh:
            for rec in fh:
                stats.records += 1
                values = list(rec.filter.keys()) or ["."]
                if not set(values) <= keep:
                    stats.filtered[";".join(values)] += 1
                    continue
                kind = "Mutect2"
                need = fmt_fields.get(row.format, ())
                if row.format == "strelka2":
                    snv = len(rec.ref) == 1 and all(len(a) == 1 for a in rec.alts or ())
                    need = STRELKA2_SNV_FORMAT if snv else STRELKA2_INDEL_FORMAT
                    kind = "Strelka2 SNV" if snv else "Strelka2 indel"
                absent = [f for f in need if f not in rec.format]
                if absent:
                    raise InputError(f"{row.where}: the record at {rec.chrom}:{rec.pos} has no FORMAT field "
                                     f"{', '.join(absent)}, which every {kind} record carries. Is the file "
                                     f"{row.format} output? Otherwise give format 'vcf'.")
                alts = [a for a in (rec.alts or ()) if _alleles_ok(a)]
                stats.symbolic += len(rec.alts or ()) - len(alts)
                if not alts or not set(rec.ref.upper()) <= set("ACGTN"):
                    continue
                chrom = to_reference.get(rec.chrom)
                if chrom is None:
                    stats.other_contigs += 1
                    continue
                out.append((chrom, int(rec.pos), rec.ref.upper(), ",".join(a.upper() for a in alts)))
    except (OSError, ValueError) as e:
        raise InputError(f"{row.where}: '{row.vcf}' cannot be read past record {stats.records} ({e}); check it "
                         f"with: bcftools view {row.vcf} > /dev/null") from None
    stats.kept_records = len(out)
    return out


def normalise_records(records: list[tuple[str, int, str, str]], fasta: str, reference: Sequence[tuple[str, int]],
                      stats: ImportStats, where: str, workdir: str | None = None) -> pd.DataFrame:
    """`bcftools norm -m -any -a -f fasta -c wx` of the records: multi-allelics split, complex
    alleles (MNVs) decomposed into SNVs and indels, indels left-aligned and trimmed; records whose
    REF disagrees with the reference left out (an error when most do: another build). Rows of
    chrom, pos, ref, alt in minimal form."""
    cols = ["chrom", "pos", "ref", "alt"]
    if not records:
        return pd.DataFrame(columns=cols)
    order = {name: i for i, (name, _) in enumerate(reference)}
    records = sorted(records, key=lambda r: (order[r[0]], r[1]))
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        vcf = os.path.join(tmp, "calls.vcf")
        with open(vcf, "w") as fh:
            fh.write("##fileformat=VCFv4.2\n")
            fh.writelines(f"##contig=<ID={n},length={ln}>\n" for n, ln in reference)
            fh.write("#" + "\t".join(VCF_COLUMNS) + "\n")
            fh.writelines(f"{c}\t{p}\t.\t{r}\t{a}\t.\tPASS\t.\n" for c, p, r, a in records)
        text = pysam.bcftools.norm("-m", "-any", "-a", "--atom-overlaps", ".", "-f", fasta, "-c", "wx", vcf)
        messages = pysam.bcftools.norm.stderr or []
    messages = messages.splitlines() if isinstance(messages, str) else list(messages)
    mismatches = [m for m in messages if m.startswith("REF_MISMATCH")]
    stats.ref_mismatch = len(mismatches)
    for m in messages:
        if m.startswith("Lines"):
            numbers = m.split("\t")[-1].split("/")
            stats.split, stats.realigned = int(numbers[1]), int(numbers[3])
    if mismatches:
        log.warning("%s: %d record(s) whose REF disagrees with the reference left out, e.g. %s", where,
                    len(mismatches), "; ".join(" ".join(m.split("\t")[1:]) for m in mismatches[:5]))
        if len(mismatches) > len(records) / 2:
            raise InputError(f"{where}: {len(mismatches)} of {len(records)} records have a REF allele the reference "
                             f"does not have (e.g. {' '.join(mismatches[0].split(chr(9))[1:])}); the calls were "
                             f"made against another reference build. Use calls made on the reference of the config.")
    rows = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        chrom, pos, _, ref, alt = line.split("\t")[:5]
        if not _alleles_ok(alt) or ref == alt:
            continue
        r, a, shift = normalise(ref, alt)
        rows.append((chrom, int(pos) + shift, r, a))
    return pd.DataFrame(rows, columns=cols)


def import_calls(rows: Sequence[ImportRow], fasta: str, reference: Sequence[tuple[str, int]],
                 contigs: Sequence[str], filters: Sequence[str], regions: Regions | None = None,
                 workdir: str | None = None) -> pd.DataFrame:
    """The patient's imported calls: chrom, pos, ref, alt (normalised, one allele a row, sorted in
    the reference's order), source (`imported:<format>`, several joined by ',' when files of
    different formats call the site). `contigs`: the contigs the variants stage searches (the
    reference's, less variants.exclude_contigs); `regions`: an exome's or panel's padded targets,
    outside which calls are left out as discovery leaves them."""
    frames = []
    searched = set(contigs)
    for row in rows:
        stats = ImportStats()
        naming = resource_naming(row.vcf, row.where, reference, "vcf")
        to_reference = {k: v for k, v in naming.to_reference.items() if v in searched}
        records = read_records(row, filters, to_reference, stats)
        sites = normalise_records(records, fasta, reference, stats, row.where, workdir)
        before = len(sites)
        sites = sites.drop_duplicates().reset_index(drop=True)
        duplicates = before - len(sites)
        outside = 0
        if regions is not None and len(sites):
            inside = in_regions(regions, sites["chrom"].to_numpy(), sites["pos"].to_numpy())
            outside = int((~inside).sum())
            sites = sites[inside].reset_index(drop=True)
        stats.alleles = len(sites)
        filtered = sum(stats.filtered.values())
        log.info("%s (%s): %d records; %d left out by FILTER (kept: %s)%s; %d alleles not sequence (symbolic, *); "
                 "%d records on contigs not searched; %d multi-allelic records split, %d left-aligned or trimmed, "
                 "%d with a REF the reference does not have; %d duplicates merged; %d outside the padded targets; "
                 "%d calls kept", row.vcf, row.format, stats.records, filtered, ",".join(filters),
                 f" ({dict(stats.filtered.most_common(8))})" if filtered else "", stats.symbolic,
                 stats.other_contigs, stats.split, stats.realigned, stats.ref_mismatch, duplicates, outside,
                 stats.alleles)
        if stats.records and filtered == stats.records:
            log.warning("%s: every record was left out by its FILTER (values: %s); list the values to keep in "
                        "variants.import.filters ('.' keeps records without filters)", row.where,
                        dict(stats.filtered.most_common(8)))
        frames.append(sites.assign(source=row.source))
    if not frames:
        return pd.DataFrame(columns=SITE_COLUMNS)
    table = pd.concat(frames, ignore_index=True)
    if table.empty:
        return pd.DataFrame(columns=SITE_COLUMNS)
    table = table.groupby(["chrom", "pos", "ref", "alt"], sort=False)["source"].agg(
        lambda s: ",".join(sorted(set(s)))).reset_index()
    order = {name: i for i, (name, _) in enumerate(reference)}
    table = table.sort_values(["chrom", "pos", "ref", "alt"], key=lambda c: c.map(order) if c.name == "chrom" else c,
                              kind="stable").reset_index(drop=True)
    log.info("%d imported calls from %d file(s) after merging", len(table), len(rows))
    return table[SITE_COLUMNS]
