"""Re-runs do exactly what a change needs: dry runs over the finished test-cohort run with a
changed config list the jobs Snakemake would run."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from conftest import snakemake


def planned_jobs(out: str) -> dict[str, int]:
    """rule -> count from a dry run's 'Job stats' table."""
    block = out.split("Job stats:", 1)[1].split("total", 1)[0] if "Job stats:" in out else ""
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", block, re.M)}


def dry_run_with(cohort: Path, workdir: Path, tmp_path: Path, change: dict) -> dict[str, int]:
    config = yaml.safe_load((cohort / "config.yaml").read_text())
    for section, values in change.items():
        config.setdefault(section, {}).update(values)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = snakemake(cohort, workdir, "-n", "--quiet", "rules", configfile=path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return planned_jobs(proc.stdout + proc.stderr)


def test_nothing_to_do_after_a_finished_run(workflow_run, cohort, tmp_path):
    assert dry_run_with(cohort, workflow_run, tmp_path, {}) == {}


def test_a_clonal_parameter_re_runs_the_clonal_rules_and_what_follows_only(workflow_run, cohort, tmp_path):
    downstream = {"clonal_annotate": 2, "phylogeny": 2, "signatures": 2, "sampling": 2, "timing": 2, "cntree": 2,
                  "liquid": 2, "report_patient": 2, "report_cohort": 1, "export": 2, "export_cohort": 1, "all": 1}
    # a parameter of the annotation only: the fit is kept
    assert dry_run_with(cohort, workflow_run, tmp_path, {"clonal": {"min_cluster_size": 7}}) == downstream
    # a parameter of the fit: the fit re-runs too, nothing upstream (qc, variants, copy number)
    assert dry_run_with(cohort, workflow_run, tmp_path, {"clonal": {"seed": 99}}) == {"clonal_fit": 2, **downstream}
    # how jobs are run changes no result
    assert dry_run_with(cohort, workflow_run, tmp_path, {"execution": {"retry_factor": 3}}) == {}
    # a report threshold: only the reports
    assert dry_run_with(cohort, workflow_run, tmp_path, {"report": {"low_purity": 0.5}}) == {
        "report_patient": 2, "report_cohort": 1, "all": 1}


def dry_run_with_sheet(cohort: Path, workdir: Path, tmp_path: Path, sheet) -> tuple[dict[str, int], set[str], str]:
    """A dry run with another sample sheet: (rule -> jobs, patients of the jobs' wildcards, the
    jobs' output lines)."""
    config = yaml.safe_load((cohort / "config.yaml").read_text())
    sheet.to_csv(tmp_path / "samples.tsv", sep="\t", index=False)
    config["samples"] = str(tmp_path / "samples.tsv")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = snakemake(cohort, workdir, "-n", configfile=path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    patients = set(re.findall(r"wildcards: .*?patient=([^,\s]+)", out))
    return planned_jobs(out), patients, "\n".join(re.findall(r"^\s*output: .*$", out, re.M))


COHORT_JOBS = {"qc_summary": 1, "report_cohort": 1, "export_cohort": 1, "all": 1}  # summaries over every patient


def test_adding_a_plasma_sample_re_runs_only_that_patients_work(workflow_run, cohort, tmp_path):
    """A later plasma sample of P2 appended to the sheet: every planned job is P2's (its QC,
    variants recounted with the new sample, copy number, clonal, liquid, report) or a cohort
    summary; P1's controls, liquid analysis and report stay."""
    import pandas as pd

    sheet = pd.read_csv(cohort / "samples.tsv", sep="\t", dtype=str, keep_default_na=False)
    new = sheet[sheet["sample"] == "P2-PL1"].assign(sample="P2-PL2", timepoint="120")
    jobs, patients, outputs = dry_run_with_sheet(cohort, workflow_run, tmp_path, pd.concat([sheet, new]))
    assert patients == {"P2"}, patients
    assert "/P1/" not in outputs and "results/liquid/P2/ctdna.tsv" in outputs
    assert {k: v for k, v in jobs.items() if k in COHORT_JOBS} == COHORT_JOBS
    assert jobs["liquid"] == 1 and jobs["liquid_counts"] == 1 and jobs["report_patient"] == 1
    assert jobs["qc_sample"] == 1  # the new sample's only


def test_adding_a_patient_re_runs_no_other_patients_work(workflow_run, cohort, tmp_path):
    """P3 appended (P2's BAMs under new ids): every planned job is P3's or a cohort summary."""
    import pandas as pd

    sheet = pd.read_csv(cohort / "samples.tsv", sep="\t", dtype=str, keep_default_na=False)
    p3 = sheet[sheet["patient"] == "P2"].assign(patient="P3")
    p3["sample"] = p3["sample"].str.replace("P2", "P3", regex=False)
    jobs, patients, outputs = dry_run_with_sheet(cohort, workflow_run, tmp_path, pd.concat([sheet, p3]))
    assert patients == {"P3"}, patients
    assert "/P1/" not in outputs and "/P2/" not in outputs and "results/report/P3/report.html" in outputs
    assert jobs["qc_sample"] == len(p3) and jobs["report_patient"] == 1 and jobs["liquid"] == 1
