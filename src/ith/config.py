"""Loading and validating the workflow config and sample sheet: the pre-flight checks.

Everything here runs before any job starts; each failure raises InputError naming the file, the
line or field, and the fix. Nothing the user gave is modified.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pysam
import yaml

from ith.annotate.check import check_annotation_config
from ith.controls import read_control_sheet
from ith.errors import InputError
from ith.io import inputcheck
from ith.io.alignments import open_alignments, read_group_samples
from ith.io.naming import resource_naming
from ith.io.reference import check_exclusion, read_fai
from ith.variants.imported import ImportRow, check_vcf, read_manifest

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "config" / "schemas"
ID_COLUMNS = ["patient", "sample", "type", "bam", "region", "lesion", "timepoint", "sex"]
NUMERIC_COLUMNS = ["x", "y", "z", "purity"]


def load_schema(name: str) -> dict:
    with open(SCHEMA_DIR / f"{name}.schema.yaml") as fh:
        return yaml.safe_load(fh)


def _with_defaults(validator_class):
    """A validator that fills `default` values in, as snakemake.utils.validate does."""
    validate_props = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for prop, sub in properties.items():
                if "default" in sub and prop not in instance:
                    instance[prop] = sub["default"] if not isinstance(sub["default"], dict) else dict(sub["default"])
        yield from validate_props(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_DefaultFilling = _with_defaults(jsonschema.Draft202012Validator)


def validate_config(config: dict, source: str = "config") -> dict:
    """Validate a config dict in place against config.schema.yaml, filling defaults."""
    schema = load_schema("config")
    errors = sorted(_DefaultFilling(schema).iter_errors(config), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        if e.validator == "additionalProperties":
            raise InputError(_unknown_keys_message(source, e))
        field = ".".join(str(p) for p in e.path) or "(top level)"
        raise InputError(f"{source}: field '{field}': {e.message}. Fix the value in the config file "
                         f"(allowed values and defaults: config/schemas/config.schema.yaml).")
    return config


def _unknown_keys_message(source: str, error: jsonschema.ValidationError) -> str:
    """A misspelt key would otherwise leave its setting at the default without a word (a
    `panel_of_normal:` switches the panel off): name each unknown key with the nearest known one."""
    known = sorted(error.schema.get("properties", {}))
    unknown = sorted(set(error.instance) - set(known))
    where = ".".join(str(p) for p in error.path)
    parts = []
    for key in unknown:
        near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        name = f"{where}.{key}" if where else key
        parts.append(f"'{name}'" + (f" (did you mean '{near[0]}'?)" if near else ""))
    section = f"section '{where}'" if where else "the top level"
    return (f"{source}: unknown key(s) {', '.join(parts)}; {section} takes: {', '.join(known)}. "
            f"Fix the key's spelling in the config file (every key: docs/configuration.md).")


def load_config(path: str) -> dict:
    if not os.path.exists(path):
        raise InputError(f"{path}: config file not found; pass the path of your config.yaml.")
    with open(path) as fh:
        config = yaml.safe_load(fh) or {}
    return validate_config(config, source=path)


def read_sample_sheet(path: str) -> pd.DataFrame:
    """Read samples.tsv with ids kept as text (numeric columns stay numbers for validation)."""
    if not os.path.exists(path):
        raise InputError(f"{path}: sample sheet not found; set 'samples' in the config to your samples.tsv.")
    try:
        sheet = pd.read_csv(path, sep="\t", dtype={c: str for c in ID_COLUMNS}, comment=None)
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: not a readable tab-separated table ({e}); save it as TSV with a header line.") from e
    sheet.columns = [str(c).strip() for c in sheet.columns]
    return sheet


def _row_record(row: pd.Series) -> dict[str, Any]:
    rec = {}
    for k, v in row.items():
        if v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and v.strip() == ""):
            continue
        rec[k] = v.strip() if isinstance(v, str) else (v.item() if hasattr(v, "item") else v)
    return rec


def validate_sheet(sheet: pd.DataFrame, path: str) -> pd.DataFrame:
    schema = load_schema("samples")
    allowed = set(schema["properties"])
    required = schema["required"]
    missing = [c for c in required if c not in sheet.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; the header needs at least "
                         f"{', '.join(required)} (tab-separated).")
    unknown = [c for c in sheet.columns if c not in allowed]
    if unknown:
        raise InputError(f"{path}: unknown column(s) {', '.join(unknown)}; allowed columns are "
                         f"{', '.join(schema['properties'])}. Rename or remove them.")
    for c in NUMERIC_COLUMNS:
        if c in sheet.columns and not pd.api.types.is_numeric_dtype(sheet[c]):
            for i, v in sheet[c].items():
                if isinstance(v, str) and v.strip():
                    try:
                        float(v)
                    except ValueError:
                        raise InputError(f"{path} line {i + 2} (sample {sheet.at[i, 'sample']}): column '{c}' "
                                         f"is '{v}', not a number; write a number or leave it empty.") from None
            sheet[c] = pd.to_numeric(sheet[c].replace(r"^\s*$", None, regex=True))
    validator = jsonschema.Draft202012Validator(schema)
    for i, row in sheet.iterrows():
        rec = _row_record(row)
        for e in sorted(validator.iter_errors(rec), key=lambda e: list(e.path)):
            col = e.path[0] if e.path else ", ".join(e.validator_value) if e.validator == "required" else "?"
            value = rec.get(col, "") if isinstance(col, str) else ""
            hint = schema["properties"].get(col, {}).get("description", "") if isinstance(col, str) else ""
            who = f"sample {rec['sample']}" if "sample" in rec else "no sample id"
            raise InputError(f"{path} line {i + 2} ({who}): column '{col}' = '{value}': {e.message}. "
                             f"Expected: {hint}")
    for c in schema["properties"]:
        if c not in sheet.columns:
            sheet[c] = pd.NA
    for c in ID_COLUMNS:
        sheet[c] = sheet[c].where(sheet[c].notna(), None)
        sheet[c] = [v.strip() if isinstance(v, str) else v for v in sheet[c]]
    return sheet


def check_cohort(sheet: pd.DataFrame, path: str, tumour_only: bool = False) -> None:
    """The sheet's patients; `tumour_only` (config tumour_only.allow) accepts a patient without a normal."""
    dup = sheet["sample"][sheet["sample"].duplicated()]
    if len(dup):
        lines = [str(i + 2) for i in sheet.index[sheet["sample"] == dup.iloc[0]]]
        raise InputError(f"{path} lines {', '.join(lines)}: sample id '{dup.iloc[0]}' is used more than once; "
                         f"sample ids must be unique in the sheet.")
    for patient, rows in sheet.groupby("patient", sort=False):
        n_normal = int((rows["type"] == "normal").sum())
        lines = ", ".join(str(i + 2) for i in rows.index)
        if n_normal == 0 and not tumour_only:
            raise InputError(f"{path} lines {lines} (patient {patient}): no normal sample; the matched normal "
                             f"(type 'normal') is missing. Add the patient's normal row, or, to analyse it "
                             f"tumour-only, set tumour_only.allow: true in the config (germline variants are then "
                             f"removed by population frequency, panel of normals and copy number; "
                             f"docs/methods/variants.md#tumour-only-patients).")
        if n_normal > 1:
            raise InputError(f"{path} lines {lines} (patient {patient}): {n_normal} normal samples; each patient "
                             f"needs exactly one matched normal (type 'normal').")
        if not (rows["type"] == "tumour").any():
            raise InputError(f"{path} lines {lines} (patient {patient}): no tumour sample; each patient needs at "
                             f"least one row of type 'tumour'.")
        sexes = {s for s in rows["sex"] if s}
        if len(sexes) > 1:
            raise InputError(f"{path} lines {lines} (patient {patient}): column 'sex' disagrees between rows "
                             f"({', '.join(sorted(sexes))}); give one sex per patient or leave it empty.")
        normal = rows[rows["type"] == "normal"]
        if normal["purity"].notna().any():
            i = normal.index[0]
            raise InputError(f"{path} line {i + 2} (sample {normal.at[i, 'sample']}): a purity is given for the "
                             f"normal sample; purity applies to tumour and plasma samples only, leave it empty.")


def tumour_only_patients(sheet: pd.DataFrame) -> list[str]:
    """Patients of the sheet without a normal row, in sheet order."""
    with_normal = set(sheet.loc[sheet["type"] == "normal", "patient"])
    return [p for p in dict.fromkeys(sheet["patient"]) if p not in with_normal]


def check_tumour_only(config: dict, sheet: pd.DataFrame, source: str) -> None:
    """What tumour-only patients need besides the flag: the population resource that removes
    common germline variants, and normals of other patients (or a pre-built pooled reference) to
    read copy number against."""
    alone = tumour_only_patients(sheet)
    if not alone:
        return
    names = ", ".join(alone)
    if not config["variants"]["germline_resource"]:
        raise InputError(f"{source}: patient(s) {names} have no normal (tumour-only), which needs "
                         f"variants.germline_resource (a population VCF with INFO/AF, e.g. gnomAD) to remove "
                         f"germline variants; set it, or add the normal rows.")
    if not (sheet["type"] == "normal").any() and not config["copynumber"]["reference"]["file"]:
        raise InputError(f"{source}: patient(s) {names} have no normal (tumour-only) and the sample sheet holds no "
                         f"other patient's normal to pool a copy-number reference from; give a pre-built one "
                         f"(copynumber.reference.file, made by `ith cnref` from unrelated normals) or add normal rows.")


def bam_index_path(bam: str, remote: bool = False) -> str | None:
    """The index next to a BAM/CRAM; in remote storage (no listing here) <bam>.bai or <cram>.crai."""
    if remote:
        return bam + (".crai" if bam.endswith(".cram") else ".bai")
    candidates = [bam + ".crai", bam[:-5] + ".crai"] if bam.endswith(".cram") else \
        [bam + ".bai", bam[:-4] + ".bai", bam + ".csi"]
    return next((c for c in candidates if os.path.exists(c)), None)


def check_bam(bam: str, line: int, sample: str, path: str, fasta: str, contigs: list[tuple[str, int]],
              sheet_bams: Mapping[str, tuple[int, str]] | None = None) -> list[str]:
    """One BAM/CRAM of a sheet; sheet_bams: the sheet's sample -> (line, bam), for its read
    groups' SM. Returns warnings."""
    where = f"{path} line {line} (sample {sample})"
    if not os.path.exists(bam):
        raise InputError(f"{where}: BAM/CRAM '{bam}' not found; correct the path in column 'bam' "
                         f"(relative paths are relative to the directory Snakemake runs in).")
    if not bam.endswith((".bam", ".cram")):
        raise InputError(f"{where}: '{bam}' is neither .bam nor .cram; give an aligned, indexed BAM or CRAM.")
    index = bam_index_path(bam)
    if index is None:
        raise InputError(f"{where}: '{bam}' is not indexed; run: samtools index {bam}")
    try:
        with pysam.AlignmentFile(bam, reference_filename=fasta if bam.endswith(".cram") else None,
                                 check_sq=False) as fh:
            header = list(zip(fh.references, fh.lengths))
    except (ValueError, OSError) as e:
        raise InputError(f"{where}: cannot read '{bam}' ({e}); check it with: samtools quickcheck -v {bam}") from e
    ref = dict(contigs)
    bam_contigs = dict(header)
    wrong_len = [(n, ln, ref[n]) for n, ln in header if n in ref and ref[n] != ln]
    if wrong_len:
        n, ln, rl = wrong_len[0]
        raise InputError(f"{where}: contig {n} is {ln} bp in '{bam}' but {rl} bp in the reference '{fasta}'; the BAM "
                         f"was aligned to another reference build. Use the FASTA the BAM was aligned to.")
    extra = [n for n in bam_contigs if n not in ref]
    absent = [n for n in ref if n not in bam_contigs]
    if extra or absent:
        detail = []
        if extra:
            detail.append(f"in the BAM but not the reference: {', '.join(extra[:5])}")
        if absent:
            detail.append(f"in the reference but not the BAM: {', '.join(absent[:5])}")
        raise InputError(f"{where}: contigs of '{bam}' do not match the reference '{fasta}' "
                         f"({'; '.join(detail)}). Use the FASTA the BAM was aligned to.")
    return inputcheck.check_alignments(bam, index, where, fasta, sample, sheet_bams or {})


def _warn(warnings: list[str]) -> None:
    for w in warnings:
        inputcheck.log.warning(w)


def check_config_files(config: dict, source: str) -> list[tuple[str, int]]:
    fasta = config["reference"]["fasta"]
    contigs = read_fai(fasta, source)
    for section in ("variants", "copynumber"):
        check_exclusion(contigs, config[section]["exclude_contigs"], f"{section}.exclude_contigs", fasta, source)
    targets = config["assay"]["targets"]
    if targets and not os.path.exists(targets):
        raise InputError(f"{source}: assay.targets '{targets}' not found.")
    variants = config["variants"]
    drivers = variants["drivers"]
    if drivers and not os.path.exists(drivers):
        raise InputError(f"{source}: variants.drivers '{drivers}' not found; correct the path or set it to null.")
    ch_regions = config["liquid"]["ch_regions"]
    if ch_regions and not os.path.exists(ch_regions):
        raise InputError(f"{source}: liquid.ch_regions '{ch_regions}' not found; correct the path or set it to null.")
    for patient, vcf in variants["external_vcfs"].items():
        if not os.path.exists(vcf):
            raise InputError(f"{source}: variants.external_vcfs.{patient} '{vcf}' not found; correct the path.")
    resources = [("known_sites", config["known_sites"]), ("panel_of_normals", config["panel_of_normals"]),
                 ("variants.germline_resource", variants["germline_resource"])]
    for key, p in resources:
        if p:
            if not os.path.exists(p):
                raise InputError(f"{source}: {key} '{p}' not found; correct the path or set it to null.")
            if not (os.path.exists(p + ".tbi") or os.path.exists(p + ".csi")):
                raise InputError(f"{source}: {key} '{p}' is not indexed; run: bcftools index -t {p}")
    # a resource named otherwise (1 vs chr1) is read in the reference's naming; one that matches
    # no reference contig at all, or states other contig lengths, stops here
    named = [("assay.targets", targets, "bed"), ("variants.drivers", drivers, "bed"),
             ("liquid.ch_regions", ch_regions, "bed")] + \
        [(key, p, "vcf") for key, p in resources] + \
        [(f"variants.external_vcfs.{patient}", vcf, "vcf") for patient, vcf in variants["external_vcfs"].items()]
    for key, p, kind in named:
        if p:
            try:
                resource_naming(p, key, contigs, kind, quiet=True)
            except InputError as e:
                raise InputError(f"{source}: {e}") from None
    check_annotation_config(config["annotation"], source)
    return contigs


def check_config_values(config: dict, source: str) -> None:
    assay = config["assay"]
    if assay["type"] in ("wes", "panel") and not assay["targets"]:
        raise InputError(f"{source}: assay.type is '{assay['type']}' but assay.targets is empty; give the BED of "
                         f"captured regions.")
    from ith.signatures.fit import SignatureParams, candidate_matrix

    try:  # the COSMIC set exists for that version and build, and holds every candidate named
        candidate_matrix(SignatureParams.from_config(config.get("signatures") or {}, assay["type"]))
    except InputError as e:
        raise InputError(f"{source}: {e}") from None
    from ith.cntree.build import CnTreeParams

    if "cntree" in config:  # an engine that is installed
        try:
            CnTreeParams.from_config(config["cntree"])
        except InputError as e:
            raise InputError(f"{source}: {e}") from None


def preflight(config: dict, source: str = "config", check_files: bool = True) -> pd.DataFrame:
    """All checks on config, reference and sample sheet; returns the validated sheet.
    check_files=False (data in remote storage): the config and sample sheet are checked, the
    files they name are not opened here (Snakemake finds missing inputs before any job runs).
    The config is validated first (in place, filling the schema's defaults, as Snakemake's
    `validate` already did for the workflow), so every key read here is present."""
    validate_config(config, source)
    check_config_values(config, source)
    contigs = check_config_files(config, source) if check_files else []
    if check_files:
        _warn(inputcheck.check_reference(config["reference"]["fasta"], source))
    path = config["samples"]
    sheet = validate_sheet(read_sample_sheet(path), path)
    check_cohort(sheet, path, config["tumour_only"]["allow"])
    check_tumour_only(config, sheet, source)
    unknown = sorted(set(config["variants"]["external_vcfs"]) - set(sheet["patient"]))
    if unknown:
        raise InputError(f"{source}: variants.external_vcfs names patient(s) {', '.join(unknown)} that are not in "
                         f"{path}; use the sheet's patient ids.")
    check_imports(config, sheet, source, contigs, check_files)
    check_cn_import(config, sheet, source, check_files)
    if check_files:
        sheet_bams = {row["sample"]: (i + 2, row["bam"]) for i, row in sheet.iterrows()}
        for i, row in sheet.iterrows():
            _warn(check_bam(row["bam"], i + 2, row["sample"], path, config["reference"]["fasta"], contigs,
                            sheet_bams))
    return sheet.set_index("sample", drop=False)


def import_rows(config: dict, sheet: pd.DataFrame) -> dict[str, list[ImportRow]]:
    """The lines of variants.import.manifest by patient (none without a manifest)."""
    manifest = config["variants"]["import"]["manifest"]
    if not manifest:
        return {}
    patients = {p: list(zip(rows["sample"], rows["type"])) for p, rows in sheet.groupby("patient", sort=False)}
    out: dict[str, list[ImportRow]] = {}
    for row in read_manifest(manifest, patients):
        out.setdefault(row.patient, []).append(row)
    return out


def bam_read_group_samples(bam: str, fasta: str) -> set[str]:
    """The SM of a BAM's or CRAM's read groups (what Mutect2 names its sample columns by)."""
    with open_alignments(bam, fasta) as fh:
        return read_group_samples(fh.header.to_dict())


def check_imports(config: dict, sheet: pd.DataFrame, source: str, contigs: list[tuple[str, int]],
                  check_files: bool = True) -> None:
    """variants.own_calls and variants.import: the manifest's lines, and (check_files) each VCF's
    header against its format, its sample columns against the patient's samples, and its contigs
    against the reference."""
    variants = config["variants"]
    manifest = variants["import"]["manifest"]
    if not variants["own_calls"]:
        if variants["external_vcfs"]:
            raise InputError(f"{source}: variants.external_vcfs is set and variants.own_calls is false; external "
                             f"sites are re-scored by our own calling, which own_calls false switches off. List the "
                             f"VCFs in variants.import.manifest instead (taken as called), or set own_calls true.")
        if not manifest:
            raise InputError(f"{source}: variants.own_calls is false and variants.import.manifest is null: no "
                             f"patient would have mutations. Give the manifest of imported calls, or set own_calls "
                             f"true.")
    rows = import_rows(config, sheet)
    if not variants["own_calls"]:
        missing = [p for p in dict.fromkeys(sheet["patient"]) if p not in rows]
        if missing:
            raise InputError(f"{manifest}: no line for patient(s) {', '.join(missing)}, and variants.own_calls is "
                             f"false, so they would have no mutations; add their VCFs, or set own_calls true.")
    if not check_files:
        return
    fasta = config["reference"]["fasta"]
    for patient, patient_rows in rows.items():
        names: dict[str, str] = {}
        for r in sheet[sheet["patient"] == patient].itertuples(index=False):
            names[r.sample] = r.sample
            if any(x.format == "mutect2" for x in patient_rows) and os.path.exists(r.bam):
                for sm in bam_read_group_samples(r.bam, fasta):
                    names.setdefault(sm, r.sample)
        for row in patient_rows:
            check_vcf(row, names)
            try:
                resource_naming(row.vcf, f"{row.manifest} line {row.line}", contigs, "vcf", quiet=True)
            except InputError as e:
                raise InputError(f"{source}: {e}") from None


def check_cn_import(config: dict, sheet: pd.DataFrame, source: str = "config",
                    check_files: bool = True) -> pd.DataFrame | None:
    """With copynumber.source import: the manifest read and checked against the sheet (every
    tumour sample covered, files present with their format's columns); None otherwise."""
    from ith.copynumber.importers import check_manifest, read_manifest

    cn = config["copynumber"]
    if cn["source"] != "import":
        if cn["import_manifest"]:
            inputcheck.log.warning(f"{source}: copynumber.import_manifest is set but copynumber.source is "
                                   f"'{cn['source']}': the manifest is not used (set source: import to use it).")
        return None
    path = cn["import_manifest"]
    if not path:
        raise InputError(f"{source}: copynumber.source is import but copynumber.import_manifest is empty; give the "
                         "TSV naming each tumour sample's copy-number file (docs/methods/copynumber.md).")
    manifest = read_manifest(path)
    check_manifest(manifest, path, sheet, check_files=check_files)
    return manifest


def check_control_sheet(config: dict, sheet: pd.DataFrame, contigs: list[tuple[str, int]],
                        source: str = "config", check_files: bool = True) -> pd.DataFrame | None:
    """The fixed control sheet of the liquid stage (liquid.controls), checked with its BAMs
    (unless they are in remote storage); None when the controls come from the cohort."""
    path = config["liquid"]["controls"]  # present: preflight validated the config, filling defaults
    if path == "cohort":
        return None
    controls = read_control_sheet(path, set(sheet["sample"]))
    control_bams = {row["sample"]: (i + 2, row["bam"]) for i, row in controls.iterrows()}
    for i, row in controls.iterrows() if check_files else ():
        _warn(check_bam(row["bam"], i + 2, row["sample"], path, config["reference"]["fasta"], contigs,
                        control_bams))
    return controls
