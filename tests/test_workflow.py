"""The workflow runs end to end on the simulated test cohort, lint-clean, and re-runs nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import snakemake as _snakemake


@pytest.fixture(scope="module")
def run(workflow_run):
    return workflow_run


@pytest.mark.workflow
def test_lint_is_clean(cohort, tmp_path):
    proc = _snakemake(cohort, tmp_path, "--lint")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Congratulations" in proc.stdout + proc.stderr


@pytest.mark.workflow
def test_workflow_writes_qc_for_every_sample_and_identity_per_patient(run, sheet, cohort):
    truth = pd.read_csv(cohort / "truth" / "samples.tsv", sep="\t").set_index("sample")
    for r in sheet.itertuples():
        qc = json.loads((run / "results" / "qc" / r.patient / f"{r.sample}.json").read_text())
        assert qc["sample"] == r.sample and qc["patient"] == r.patient
        assert qc["reads"] == truth.loc[r.sample, "reads"]
        assert qc["sex"] == truth.loc[r.sample, "sex"]
        assert (run / "logs" / "qc" / r.patient / f"{r.sample}.log").stat().st_size > 0
        assert (run / "benchmarks" / "qc_sample" / r.patient / f"{r.sample}.tsv").exists()
    for p in sheet["patient"].unique():
        ident = pd.read_csv(run / "results" / "qc" / p / "identity.tsv", sep="\t")
        n = (sheet["patient"] == p).sum()
        assert len(ident) == n * (n - 1) // 2
        assert (ident["verdict"] == "same_person").all()
    summary = pd.read_csv(run / "results" / "qc" / "summary.tsv", sep="\t", keep_default_na=False)
    assert list(summary["sample"]) == list(sheet["sample"])
    assert (summary["flags"] == "").all() and (summary["identity"] == "ok").all()


@pytest.mark.workflow
def test_second_run_has_nothing_to_do(run, cohort):
    # same inputs give byte-identical tables in a fresh directory: the CRAM run below (every P1
    # table, from a fresh directory) and the killed-and-resumed run of test_faults prove it
    proc = _snakemake(cohort, run, "-n")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def _vcf_records(path) -> list[str]:
    import pysam

    with pysam.VariantFile(str(path)) as vcf:
        return [str(r) for r in vcf]


@pytest.mark.workflow
def test_cram_input_gives_the_bam_runs_results(run, cram_run, cram_cohort):
    """The cohort's BAMs converted to CRAM give the same results byte for byte: every table, JSON,
    tree and figure (a sample's QC JSON, which names its input, with the CRAM's path put back to
    the BAM's) and the VCFs' records. Only the HTML pages, which carry the time they were made, and
    Snakemake's own timestamps are left out."""
    pairs = pd.read_csv(cram_cohort / "crams.tsv", sep="\t")

    def files(workdir):
        return {p.relative_to(workdir) for p in (workdir / "results").rglob("*") if p.is_file()}

    crams = files(cram_run)
    assert Path("results/report/P1/metrics.json") in crams and crams <= files(run)
    compared, masked = [], []
    for rel in sorted(crams):
        if rel.suffix in (".html", ".tbi") or rel.name == ".snakemake_timestamp":
            continue
        if rel.name.endswith(".vcf.gz"):
            assert _vcf_records(cram_run / rel) == _vcf_records(run / rel), rel
        else:
            want, got = (run / rel).read_bytes(), (cram_run / rel).read_bytes()
            if got != want:
                text = got.decode()
                for cram, bam in zip(pairs["cram"], pairs["bam"]):
                    text = text.replace(cram, bam)
                assert text == want.decode(), rel
                masked.append(rel)
        compared.append(rel)
    assert sum(r.suffix == ".tsv" for r in compared) > 45  # P1 and the cohort files: 52
    assert all(len(r.parts) == 4 and r.parts[1] == "qc" and r.suffix == ".json" for r in masked), masked
