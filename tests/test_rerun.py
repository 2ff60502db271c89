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
    downstream = {"clonal_annotate": 2, "phylogeny": 2, "liquid": 2, "report_patient": 2, "report_cohort": 1, "all": 1}
    # a parameter of the annotation only: the fit is kept
    assert dry_run_with(cohort, workflow_run, tmp_path, {"clonal": {"min_cluster_size": 7}}) == downstream
    # a parameter of the fit: the fit re-runs too, nothing upstream (qc, variants, copy number)
    assert dry_run_with(cohort, workflow_run, tmp_path, {"clonal": {"seed": 99}}) == {"clonal_fit": 2, **downstream}
    # how jobs are run changes no result
    assert dry_run_with(cohort, workflow_run, tmp_path, {"execution": {"retry_factor": 3}}) == {}
    # a report threshold: only the reports
    assert dry_run_with(cohort, workflow_run, tmp_path, {"report": {"low_purity": 0.5}}) == {
        "report_patient": 2, "report_cohort": 1, "all": 1}
