"""Faults: a run killed mid-way (SIGTERM, then SIGKILL of everything) and started again ends
with the same results as an uninterrupted run; a corrupt BAM or another person's sample stops its
patient clearly while --keep-going finishes the others."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import sheet_of, snakemake, snakemake_cmd
from test_cluster import result_tables


# one patient's clone trees: every stage that reads BAMs, the copy number and the clonal chain, at
# about a third of the whole cohort's run time (the stages after the trees only read tables)
TARGET = "results/phylogeny/P1/trees.json"


def _start(cohort: Path, workdir: Path) -> subprocess.Popen:
    # Snakemake's log goes to a file: a pipe nobody reads fills up and stalls the run
    workdir.mkdir(parents=True, exist_ok=True)
    log = open(workdir.parent / f"{workdir.name}.{len(list(workdir.parent.glob('*.log')))}.log", "w")
    proc = subprocess.Popen(snakemake_cmd(cohort, workdir, TARGET), stdout=subprocess.DEVNULL, stderr=log,
                            start_new_session=True)  # its own process group, to kill jobs and all
    proc.log_path = log.name
    return proc


def _wait_for(path_glob: str, workdir: Path, proc: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if list(workdir.glob(path_glob)):
            return
        if proc.poll() is not None:
            pytest.fail(f"the run ended before {path_glob} appeared: {Path(proc.log_path).read_text()[-2000:]}")
        time.sleep(0.5)
    pytest.fail(f"{path_glob} did not appear: {Path(proc.log_path).read_text()[-2000:]}")


def test_killed_runs_resume_to_the_uninterrupted_results(cohort, workflow_run, tmp_path):
    work = tmp_path / "run"
    # SIGTERM while the variant calling runs: Snakemake stops its jobs and marks them incomplete
    proc = _start(cohort, work)
    _wait_for("results/variants/P1/chunks/*.tsv", work, proc)
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        # Snakemake can stay after its jobs died of the SIGTERM (seen once, stop 36, on a machine
        # running nothing else: its log ends at a killed job's error); a user would kill it, and
        # the resume below is what this test is about
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        assert snakemake(cohort, work, "--unlock").returncode == 0
    assert not (work / TARGET).exists()
    # started again, then killed hard (SIGKILL to Snakemake and every job) while clustering
    proc = _start(cohort, work)
    _wait_for("results/clonal/P1/input.tsv", work, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    # a hard kill leaves the working directory locked: unlock, then finish
    assert snakemake(cohort, work, "--unlock").returncode == 0
    done = snakemake(cohort, work, TARGET)
    assert done.returncode == 0, done.stderr[-3000:]
    local, resumed = result_tables(Path(workflow_run) / "results"), result_tables(work / "results")
    assert "phylogeny/P1/trees.json" in resumed and len(resumed) > 20 and set(resumed) <= set(local)
    assert [k for k in resumed if local[k] != resumed[k]] == []
    assert not list((work / "results").rglob("*.tmp*"))  # no half-written file left behind


@pytest.mark.workflow
def test_a_corrupt_bam_or_another_persons_sample_stops_its_patient_and_the_others_go_on(cohort, tmp_path):
    """One run, three patients made from the test cohort's BAMs under other sample ids (so the
    BAMs' @RG SM name no sample of the sheet, as when a lab names files its own way): BAD's region
    is a BAM garbled in its middle, SWAP's second region is P2's, GOOD is P2 as it is. With
    --keep-going the jobs reading the garbled BAM fail and name it, the identity check stops SWAP
    before clonal analysis, GOOD goes on, and the console lists the flag; with
    qc.on_identity_failure: warn, SWAP goes on too."""
    import yaml

    bams = cohort / "bams"
    bad = tmp_path / "bad"
    bad.mkdir()
    # a BAM garbled in its middle: the header, index and end-of-file marker are intact, so it
    # passes the input checks, and the jobs reading it fail (a truncated BAM is stopped by the
    # input checks before any job: test_config)
    src = bams / "P2" / "P2-R1.bam"
    data = bytearray(src.read_bytes())
    mid = len(data) // 3
    data[mid:mid + 200_000] = np.random.default_rng(1).integers(0, 256, 200_000, dtype=np.uint8).tobytes()
    (bad / "BAD-R1.bam").write_bytes(bytes(data))
    shutil.copy(f"{src}.bai", bad / "BAD-R1.bam.bai")
    rows = [("GOOD", "GOOD-N", "normal", bams / "P2" / "P2-N.bam"), ("GOOD", "GOOD-R1", "tumour", src),
            ("BAD", "BAD-N", "normal", bams / "P2" / "P2-N.bam"), ("BAD", "BAD-R1", "tumour", bad / "BAD-R1.bam"),
            ("SWAP", "SWAP-N", "normal", bams / "P1" / "P1-N.bam"),
            ("SWAP", "SWAP-R1", "tumour", bams / "P1" / "P1-R1.bam"),
            ("SWAP", "SWAP-R2", "tumour", bams / "P2" / "P2-R2.bam")]
    configfile = sheet_of(cohort, tmp_path, rows)
    work = tmp_path / "run"
    # up to the clonal input (past the identity check) and the QC summaries: every job that reads
    # a BAM, at a fraction of the reports' cost
    targets = [f"results/{what}/{patient}/{name}" for patient in ("SWAP", "GOOD", "BAD")
               for what, name in (("clonal", "input.tsv"), ("qc", "summary.tsv"))]
    proc = snakemake(cohort, work, "--keep-going", *targets, configfile=configfile)
    assert proc.returncode != 0
    assert (work / "results" / "clonal" / "GOOD" / "input.tsv").exists()
    assert (work / "results" / "qc" / "GOOD" / "summary.tsv").exists()
    assert not (work / "results" / "clonal" / "BAD" / "input.tsv").exists()
    assert not (work / "results" / "clonal" / "SWAP" / "input.tsv").exists()
    err = proc.stderr
    # the garbled BAM: the failed job names the sample (the input check's warnings name it too:
    # BAD-R1.bam's @RG SM is P2-R1, no sample of this sheet; they do not count) and the file
    jobs = "\n".join(line for line in err.splitlines() if not line.startswith("Input check warning:"))
    assert re.search(r"rule \w+ \(patient BAD, sample BAD-R1\) failed: .*BAD-R1\.bam", jobs), jobs[-3000:]
    logs = "".join(p.read_text(errors="replace") for p in (work / "logs").rglob("*.log")
                   if "BAD" in str(p) and p.stat().st_size)
    assert "BAD-R1.bam" in logs, logs[-2000:]  # and its log names the file
    # the other person's sample
    assert "rule clonal_input (patient SWAP) failed: patient SWAP stopped before clonal analysis: sample SWAP-R2 " \
           "looks like another person than SWAP-N" in err, err[-3000:]
    assert "SWAP-R1" in err and "qc.on_identity_failure: warn" in err
    assert "patient SWAP, sample SWAP-R2: identity: looks like another person" in err  # the console's QC summary
    config = yaml.safe_load(configfile.read_text())
    config["qc"] = {"on_identity_failure": "warn"}
    configfile.write_text(yaml.safe_dump(config))
    proc = snakemake(cohort, work, targets[0], configfile=configfile)
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = (work / "logs" / "clonal" / "SWAP" / "input.log").read_text()
    assert "sample SWAP-R2 looks like another person" in log and "going on" in log
