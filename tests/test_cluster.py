"""The cluster path for real: a single-node SLURM on 127.0.0.1 (installed and started here when
run as root on Debian, stopped afterwards), the `test` cohort run through `--profile
profiles/slurm`, and every result table compared with the local run's."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from conftest import ROOT, snakemake

TABLE_SUFFIXES = (".tsv", ".json", ".nwk")


def result_tables(results: Path) -> dict[str, bytes]:
    """Every result table (and the VCFs' records) by relative path; figures and HTML (dated)
    are left out."""
    out = {}
    for p in sorted(results.rglob("*")):
        rel = str(p.relative_to(results))
        if p.suffix in TABLE_SUFFIXES and p.is_file():
            out[rel] = p.read_bytes()
        elif p.name.endswith(".vcf.gz"):
            with gzip.open(p, "rb") as fh:
                out[rel] = b"".join(line for line in fh if not line.startswith(b"##"))
    return out


def test_the_slurm_profile_gives_the_local_results(slurm_run, workflow_run):
    # one patient's clone trees (conftest.slurm_run, started in the background early in the
    # session): the per-sample groups and the patient group's chain from copy number to the
    # trees (the groups' full DAG is checked without a scheduler below)
    if slurm_run.why:
        pytest.skip(f"no local SLURM cluster: {slurm_run.why}")
    if slurm_run.error is not None:
        raise slurm_run.error
    code, log = slurm_run.wait()
    assert code == 0, log[-5000:]
    # the jobs went through the scheduler, bundled: the profile's groups make far fewer SLURM
    # jobs than workflow jobs
    slurm_jobs = set(re.findall(r"SLURM jobid (\d+)", log))
    workflow_jobs = re.search(r"^total\s+(\d+)", log, re.M)
    assert slurm_jobs and workflow_jobs, log[-3000:]
    print(f"{workflow_jobs.group(1)} workflow jobs ran as {len(slurm_jobs)} SLURM jobs")
    assert len(slurm_jobs) <= int(workflow_jobs.group(1)) / 2
    local, cluster = result_tables(Path(workflow_run) / "results"), result_tables(slurm_run.workdir / "results")
    assert "phylogeny/P1/trees.json" in cluster and len(cluster) > 20 and set(cluster) <= set(local)
    differ = [k for k in cluster if local[k] != cluster[k]]
    assert differ == [], differ


def test_every_profiles_job_groups_build_the_dag(cohort, tmp_path):
    """The cluster and cloud profiles bundle the same rules, and their groups hold every rule
    between two of their members (a rule added to a patient's chain and left out of the groups
    stops every cluster run while the DAG is built): a dry run with them, no scheduler needed."""
    import yaml

    profiles = {p.parent.name: yaml.safe_load(p.read_text()) for p in sorted((ROOT / "profiles").glob("*/config.yaml"))}
    grouped = {name: (c["groups"], c.get("group-components", [])) for name, c in profiles.items() if c.get("groups")}
    assert len(grouped) >= 4 and len({repr(g) for g in grouped.values()}) == 1, grouped
    groups, components = next(iter(grouped.values()))
    proc = snakemake(cohort, tmp_path, "-n", "--groups", *groups, "--group-components", *components)
    assert proc.returncode == 0, proc.stderr[-3000:]
