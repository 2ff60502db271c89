"""Pre-flight checks: every bad input stops the run with one message naming file, line, field and fix."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pysam
import pytest
import yaml

from ith.config import load_config, preflight, validate_config
from ith.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def _config(cohort: Path, sheet_path: Path, **extra) -> dict:
    cfg = {"samples": str(sheet_path), "reference": {"fasta": str(cohort / "reference" / "genome.fa")},
           "known_sites": str(cohort / "reference" / "population.vcf.gz")}
    cfg.update(extra)
    return validate_config(cfg)


def _write(df: pd.DataFrame, path: Path) -> Path:
    df.to_csv(path, sep="\t", index=False)
    return path


def _fails(cohort, tmp_path, df, *fragments, **extra):
    path = _write(df, tmp_path / "samples.tsv")
    with pytest.raises(InputError) as e:
        preflight(_config(cohort, path, **extra))
    msg = str(e.value)
    for f in fragments:
        assert f in msg, f"'{f}' missing from: {msg}"
    return msg


def test_the_simulated_cohort_passes(cohort, sheet, tmp_path):
    samples = preflight(_config(cohort, _write(sheet, tmp_path / "samples.tsv")))
    assert len(samples) == len(sheet)


def test_missing_bam_is_named_with_its_line(cohort, sheet, tmp_path):
    df = sheet.copy()
    df.loc[2, "bam"] = str(tmp_path / "nope.bam")
    _fails(cohort, tmp_path, df, "samples.tsv line 4", f"sample {df.loc[2, 'sample']}", "not found", "column 'bam'")


def test_unindexed_bam_says_how_to_index_it(cohort, sheet, tmp_path):
    df = sheet.copy()
    bam = tmp_path / "copy.bam"
    shutil.copy(df.loc[1, "bam"], bam)
    df.loc[1, "bam"] = str(bam)
    _fails(cohort, tmp_path, df, "line 3", "not indexed", f"samtools index {bam}")


def test_bam_with_contig_of_another_length_is_rejected(cohort, sheet, tmp_path):
    df = sheet.copy()
    fa = tmp_path / "other.fa"
    ref = pysam.FastaFile(str(cohort / "reference" / "genome.fa"))
    with open(fa, "w") as fh:
        for name in ref.references:
            seq = ref.fetch(name)
            fh.write(f">{name}\n{seq[:-10] if name == 'chr2' else seq}\n")
    pysam.faidx(str(fa))
    # without known sites, whose stated lengths would stop the check first (another build)
    msg = _fails(cohort, tmp_path, df, "line 2", "contig chr2", "another reference build",
                 reference={"fasta": str(fa)}, known_sites=None)
    assert "bp in the reference" in msg


def test_bam_with_contig_names_not_in_the_reference_is_rejected(cohort, sheet, tmp_path):
    fa = tmp_path / "renamed.fa"
    ref = pysam.FastaFile(str(cohort / "reference" / "genome.fa"))
    with open(fa, "w") as fh:
        for name in ref.references:
            fh.write(f">{name.replace('chr', '')}\n{ref.fetch(name)}\n")
    pysam.faidx(str(fa))
    _fails(cohort, tmp_path, sheet, "do not match the reference", "in the BAM but not the reference: chr1",
           reference={"fasta": str(fa)})


@pytest.mark.parametrize("bad", ["P 1", "P1/x", "é"])
def test_ids_outside_the_allowed_characters_are_rejected(cohort, sheet, tmp_path, bad):
    df = sheet.copy()
    df.loc[3, "sample"] = bad
    _fails(cohort, tmp_path, df, "line 5", "column 'sample'", "does not match")


def test_duplicate_sample_ids_name_both_lines(cohort, sheet, tmp_path):
    df = sheet.copy()
    df.loc[3, "sample"] = df.loc[2, "sample"]
    _fails(cohort, tmp_path, df, "lines 4, 5", "used more than once")


def test_patient_without_normal_is_rejected_naming_what_is_missing_and_both_fixes(cohort, sheet, tmp_path):
    df = sheet[~((sheet["patient"] == "P2") & (sheet["type"] == "normal"))]
    _fails(cohort, tmp_path, df, "patient P2", "no normal sample", "normal (type 'normal') is missing",
           "Add the patient's normal row", "tumour_only.allow: true")


def test_patient_without_normal_is_accepted_when_tumour_only_is_allowed(cohort, sheet, tmp_path):
    df = sheet[~((sheet["patient"] == "P2") & (sheet["type"] == "normal"))]
    cfg = _config(cohort, _write(df, tmp_path / "samples.tsv"), tumour_only={"allow": True},
                  variants={"germline_resource": str(cohort / "reference" / "population.vcf.gz")})
    samples = preflight(cfg)
    assert set(samples.loc[samples["patient"] == "P2", "type"]) == {"tumour", "plasma"}


def test_tumour_only_needs_a_population_resource(cohort, sheet, tmp_path):
    df = sheet[~((sheet["patient"] == "P2") & (sheet["type"] == "normal"))]
    _fails(cohort, tmp_path, df, "P2", "variants.germline_resource", tumour_only={"allow": True})


def test_tumour_only_cohort_without_any_normal_needs_a_reference_file(cohort, sheet, tmp_path):
    df = sheet[sheet["type"] != "normal"]
    _fails(cohort, tmp_path, df, "P1, P2", "copynumber.reference.file", tumour_only={"allow": True},
           variants={"germline_resource": str(cohort / "reference" / "population.vcf.gz")})


def test_patient_with_two_normals_is_rejected(cohort, sheet, tmp_path):
    df = sheet.copy()
    df.loc[1, "type"] = "normal"
    _fails(cohort, tmp_path, df, "patient P1", "2 normal samples")


def test_patient_without_tumour_is_rejected(cohort, sheet, tmp_path):
    df = sheet[~((sheet["patient"] == "P2") & (sheet["type"] == "tumour"))]
    _fails(cohort, tmp_path, df, "patient P2", "no tumour sample")


def test_unknown_sample_type_is_rejected(cohort, sheet, tmp_path):
    df = sheet.copy()
    df.loc[1, "type"] = "tumor"
    _fails(cohort, tmp_path, df, "line 3", "column 'type'", "'tumor' is not one of")


@pytest.mark.parametrize("column,value,expect", [
    ("x", "left", "not a number"),
    ("purity", "1.5", "column 'purity'"),
    ("purity", "0", "column 'purity'"),
    ("sex", "F", "column 'sex'"),
    ("timepoint", "next week", "column 'timepoint'"),
])
def test_optional_columns_must_have_the_right_type(cohort, sheet, tmp_path, column, value, expect):
    df = sheet.copy()
    if column not in df:
        df[column] = None
    df = df.astype({column: object})
    df.loc[2, column] = value
    _fails(cohort, tmp_path, df, "line 4", expect)


def test_sex_must_agree_between_rows_of_a_patient(cohort, sheet, tmp_path):
    df = sheet.copy()
    df.loc[2, "sex"] = "male"
    _fails(cohort, tmp_path, df, "patient P1", "column 'sex' disagrees")


def test_purity_on_a_normal_is_rejected(cohort, sheet, tmp_path):
    df = sheet.copy()
    df["purity"] = None
    df.loc[0, "purity"] = 0.5
    _fails(cohort, tmp_path, df, "line 2", "purity is given for the normal")


def test_unknown_and_missing_columns_are_named(cohort, sheet, tmp_path):
    _fails(cohort, tmp_path, sheet.rename(columns={"region": "regoin"}), "unknown column(s) regoin")
    _fails(cohort, tmp_path, sheet.drop(columns=["type"]), "missing column(s) type")


def test_dates_and_day_numbers_are_valid_timepoints(cohort, sheet, tmp_path):
    df = sheet.copy().astype({"timepoint": object})
    df.loc[4, "timepoint"] = "2024-03-01"
    df.loc[5, "timepoint"] = "-7"
    preflight(_config(cohort, _write(df, tmp_path / "samples.tsv")))


def test_reference_without_fai_says_how_to_make_one(cohort, sheet, tmp_path):
    fa = tmp_path / "nofai.fa"
    shutil.copy(cohort / "reference" / "genome.fa", fa)
    _fails(cohort, tmp_path, sheet, "no .fai index", f"samtools faidx {fa}", reference={"fasta": str(fa)})


def test_bad_config_field_is_named(cohort, tmp_path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"samples: x.tsv\nreference:\n  fasta: {cohort}/reference/genome.fa\nassay:\n  type: rna\n")
    with pytest.raises(InputError, match=r"field 'assay.type': 'rna' is not one of"):
        load_config(str(cfg))
    cfg.write_text("samples: x.tsv\nreference:\n  fasta: g.fa\nqc:\n  identity:\n    max_ibs0: 2\n")
    with pytest.raises(InputError, match=r"field 'qc.identity.max_ibs0'"):
        load_config(str(cfg))


def test_config_defaults_are_filled_from_the_schema(cohort):
    cfg = validate_config({"samples": "s.tsv", "reference": {"fasta": "g.fa"}})
    assert cfg["assay"]["type"] == "wgs"
    assert cfg["qc"]["identity"]["max_ibs0"] == 0.03
    assert cfg["qc"]["sex"]["male_min_y"] == 0.15


def test_snakemake_stops_before_any_job_and_writes_no_results(cohort, sheet, tmp_path):
    df = sheet.copy()
    df.loc[1, "type"] = "tumor"
    path = _write(df, tmp_path / "samples.tsv")
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"samples: {path}\nreference:\n  fasta: {cohort}/reference/genome.fa\n")
    run = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--configfile", str(cfg),
                          "--cores", "1", "--directory", str(tmp_path)], capture_output=True, text=True)
    assert run.returncode != 0
    out = run.stdout + run.stderr
    assert "line 3" in out and "column 'type'" in out and "'tumor' is not one of" in out
    assert not (tmp_path / "results").exists()


def test_defaults_file_sets_no_optional_input_that_would_leak_into_user_runs():
    """Snakemake merges a user's --configfile over config/config.yaml key by key."""
    import yaml

    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    assert cfg["known_sites"] is None and cfg["panel_of_normals"] is None and cfg["assay"]["targets"] is None


@pytest.mark.parametrize("text, named, suggested", [
    ("panel_of_normal: pon.vcf.gz\n", "'panel_of_normal'", "'panel_of_normals'"),
    ("variants:\n  germline_resorce: gnomad.vcf.gz\n", "'variants.germline_resorce'", "'germline_resource'"),
    ("qc:\n  sex:\n    male_max_X: 0.7\n", "'qc.sex.male_max_X'", "'male_max_x'"),
])
def test_a_misspelt_key_is_an_error_naming_the_nearest_key(text, named, suggested):
    """A misspelt key would leave its setting at the default without a word: it is refused,
    with the key it most likely meant."""
    config = yaml.safe_load("samples: s.tsv\nreference:\n  fasta: g.fa\n" + text)
    with pytest.raises(InputError) as e:
        validate_config(config, source="my_config.yaml")
    message = str(e.value)
    assert message.startswith("my_config.yaml: unknown key(s) ")
    assert named in message and f"did you mean {suggested}?" in message


def test_snakemake_refuses_a_misspelt_top_level_key_before_any_job(cohort, tmp_path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"samples: {cohort}/samples.tsv\nreference:\n  fasta: {cohort}/reference/genome.fa\n"
                   f"panel_of_normal: {cohort}/reference/population.vcf.gz\n")
    run = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--configfile", str(cfg),
                          "--cores", "1", "--directory", str(tmp_path), "-n"], capture_output=True, text=True)
    assert run.returncode != 0
    out = run.stdout + run.stderr
    assert "unknown key(s) 'panel_of_normal' (did you mean 'panel_of_normals'?)" in out
    assert not (tmp_path / "results").exists()
