"""Shared fixtures: one simulated `test` cohort per session (about half a minute on 2 cores)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from ith.simulate.cohort import simulate


@pytest.fixture(scope="session")
def cohort(tmp_path_factory) -> Path:
    """The `test` preset, seed 1, with absolute paths in its sample sheet and config. Its liquid
    controls are capped at 5 other-patient samples, which its two patients already exceed, as a
    real cohort exceeds the default 40: appending a sample or a patient then leaves every other
    patient's controls (and work) alone, which tests/test_rerun.py proves."""
    import yaml

    out = tmp_path_factory.mktemp("cohort") / "sim"
    simulate("test", seed=1, out=str(out), threads=min(2, os.cpu_count() or 1))
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    cfg.setdefault("liquid", {})["max_controls"] = 5
    (out / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return out


@pytest.fixture(scope="session")
def sheet(cohort) -> pd.DataFrame:
    return pd.read_csv(cohort / "samples.tsv", sep="\t", dtype={"patient": str, "sample": str})


ROOT = Path(__file__).resolve().parents[1]


def snakemake_cmd(cohort: Path, workdir: Path, *args: str, configfile: Path | None = None) -> list[str]:
    import sys

    return [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--configfile",
            str(configfile or cohort / "config.yaml"), "--directory", str(workdir), "--cores", "2", *args]


def snakemake(cohort: Path, workdir: Path, *args: str, configfile: Path | None = None):
    import subprocess

    return subprocess.run(snakemake_cmd(cohort, workdir, *args, configfile=configfile), capture_output=True,
                          text=True)


def sheet_of(cohort: Path, where: Path, rows: list[tuple]) -> Path:
    """A cohort of (patient, sample, type, bam) rows, with the test cohort's config pointed at
    it, written into `where`; the path of its config."""
    import yaml

    pd.DataFrame(rows, columns=["patient", "sample", "type", "bam"]).to_csv(where / "samples.tsv", sep="\t",
                                                                          index=False)
    config = yaml.safe_load((cohort / "config.yaml").read_text())
    config["samples"] = str(where / "samples.tsv")
    (where / "config.yaml").write_text(yaml.safe_dump(config))
    return where / "config.yaml"


@pytest.fixture(scope="session")
def workflow_run(cohort, tmp_path_factory) -> Path:
    """The whole workflow run once on the test cohort; its working directory."""
    workdir = tmp_path_factory.mktemp("run")
    proc = snakemake(cohort, workdir)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return workdir


def to_cram(bam: Path | str, fasta: Path | str, out: Path) -> Path:
    """The BAM as an indexed CRAM written against the FASTA (htslib's defaults, as a user makes one)."""
    import pysam

    out.parent.mkdir(parents=True, exist_ok=True)
    pysam.samtools.view("-C", "-T", str(fasta), "-o", str(out), str(bam), catch_stdout=False)
    pysam.samtools.index(str(out))
    return out


@pytest.fixture(scope="session")
def cram_cohort(cohort, tmp_path_factory) -> Path:
    """The test cohort with every BAM (the liquid control sheet's too, if the config names one)
    converted to CRAM; its own sample sheet and config. crams.tsv maps each CRAM to its BAM."""
    import yaml

    out = tmp_path_factory.mktemp("cram_cohort")
    config = yaml.safe_load((cohort / "config.yaml").read_text())
    fasta = config["reference"]["fasta"]
    pairs = []

    def convert(table: pd.DataFrame) -> pd.DataFrame:
        crams = []
        for bam in table["bam"]:
            cram = to_cram(bam, fasta, out / "crams" / Path(bam).parent.name / (Path(bam).stem + ".cram"))
            pairs.append((str(cram), bam))
            crams.append(str(cram))
        return table.assign(bam=crams)

    sheet = pd.read_csv(config["samples"], sep="\t", dtype=str, keep_default_na=False)
    convert(sheet).to_csv(out / "samples.tsv", sep="\t", index=False)
    config["samples"] = str(out / "samples.tsv")
    controls = config.get("liquid", {}).get("controls", "cohort")
    if controls != "cohort":
        panel = pd.read_csv(controls, sep="\t", dtype=str, keep_default_na=False)
        convert(panel).to_csv(out / "controls.tsv", sep="\t", index=False)
        config["liquid"]["controls"] = str(out / "controls.tsv")
    (out / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    pd.DataFrame(pairs, columns=["cram", "bam"]).to_csv(out / "crams.tsv", sep="\t", index=False)
    return out


@pytest.fixture(scope="session")
def cram_run(cram_cohort, tmp_path_factory) -> Path:
    """The workflow run on the CRAM copy of the test cohort up to P1's report (every stage; P2's
    samples are read as P1's liquid controls); its working directory."""
    workdir = tmp_path_factory.mktemp("cram_run")
    proc = snakemake(cram_cohort, workdir, "results/report/P1/report.html")
    assert proc.returncode == 0, proc.stderr[-4000:]
    return workdir


@pytest.fixture(scope="session")
def separable_cohort(tmp_path_factory) -> Path:
    """The `test` preset, seed 1, with its clones drawn distinguishable and their tree
    identifiable: every two clones >= 4 standard errors of a heterozygous VAF apart
    (clone_separation) and no other tree within 0.05 CCF of fitting the true CCFs (tree_margin).
    The truth the clonal and tree stages are scored against is then one that a method can reach
    at this depth; in the plain `test` cohort P2 holds two clone pairs 0.1 CCF apart that no
    method separates at 100x. No plasma: the scoring stops at the trees."""
    out = tmp_path_factory.mktemp("separable") / "sim"
    simulate("test", seed=1, out=str(out), threads=min(2, os.cpu_count() or 1), clone_separation=4.0,
             tree_margin=0.05, plasma=(0,))
    return out


@pytest.fixture(scope="session")
def separable_run(separable_cohort, tmp_path_factory) -> Path:
    """The workflow on the separable cohort up to the clone trees; its working directory."""
    workdir = tmp_path_factory.mktemp("separable_run")
    targets = [f"results/phylogeny/{p}/trees.json" for p in ("P1", "P2")]
    proc = snakemake(separable_cohort, workdir, *targets)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return workdir


@pytest.fixture(scope="session")
def exome_cohort(tmp_path_factory) -> Path:
    """The `exome` preset, seed 1: 2 patients (P2 doubled), 3 regions each, 400 capture targets
    (~5% of a 1.5 Mb genome) at ~180x with 5% of fragments off target; config.yaml sets
    assay.type wes and assay.targets. Its clones are drawn distinguishable and its trees
    identifiable from the true CCFs (as separable_cohort's), so the trees can be scored. About
    30 s on 2 cores."""
    out = tmp_path_factory.mktemp("exome") / "sim"
    simulate("exome", seed=1, out=str(out), threads=min(2, os.cpu_count() or 1), clone_separation=4.0,
             tree_margin=0.05)
    return out


EXOME_OUTPUTS = [f"results/{stage}/{p}/{name}" for p in ("P1", "P2")
                 for stage, name in (("variants", "sites.tsv"), ("copynumber", "purity_ploidy.tsv"),
                                     ("copynumber", "segments.tsv"), ("phylogeny", "trees.json"),
                                     # the issue-25 stages (~25 s of the run on 2 cores): tests/test_capture.py
                                     ("timing", "events.tsv"), ("signatures", "exposures.tsv"),
                                     ("cntree", "metrics.json"), ("sampling", "richness.json"))]


@pytest.fixture(scope="session")
def exome_run(exome_cohort, tmp_path_factory) -> Path:
    """The workflow on the exome cohort up to the clone trees, the timing, signatures, copy-number
    trees and sampling; its working directory."""
    workdir = tmp_path_factory.mktemp("exome_run")
    proc = snakemake(exome_cohort, workdir, *EXOME_OUTPUTS)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return workdir


@pytest.fixture(scope="session")
def edge_run(cohort, tmp_path_factory) -> Path:
    """The workflow on two edge patients made from the test cohort's BAMs: ONE (a normal and one
    region, no plasma, no coordinates) and NOMUT (its normal given again as the tumour, so no
    somatic mutations). The working directory."""
    workdir = tmp_path_factory.mktemp("edge")
    bams = cohort / "bams"
    rows = [("ONE", "ONE-N", "normal", bams / "P2" / "P2-N.bam"), ("ONE", "ONE-R1", "tumour", bams / "P2" / "P2-R1.bam"),
            ("NOMUT", "NOMUT-N", "normal", bams / "P1" / "P1-N.bam"),
            ("NOMUT", "NOMUT-T", "tumour", bams / "P1" / "P1-N.bam")]
    sheet_of(cohort, workdir, rows)
    proc = snakemake(workdir, workdir)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return workdir


# The SLURM test's run spends most of its time waiting on the scheduler's status checks (the slurm
# executor backs off by 10 s per idle check). It is started in the background as soon as the
# test cohort exists, and the test collects it: the waiting overlaps the other tests' work.
SLURM_TEST = "test_the_slurm_profile_gives_the_local_results"
SLURM_TARGET = "results/phylogeny/P1/trees.json"


def pytest_collection_modifyitems(session, config, items):
    config.stash[_slurm_wanted] = any(item.name == SLURM_TEST for item in items)


_slurm_wanted = pytest.StashKey[bool]()


class SlurmRun:
    """A SLURM run of the test cohort in the background (or why there is none)."""

    def __init__(self, workdir: Path, proc=None, log: Path | None = None, why: str = "",
                 error: BaseException | None = None):
        self.workdir, self.proc, self.log, self.why, self.error = workdir, proc, log, why, error

    def wait(self, timeout: float = 1800) -> tuple[int, str]:
        """The run's exit code and its log (stderr and stdout)."""
        self.proc.wait(timeout=timeout)
        return self.proc.returncode, self.log.read_text()


@pytest.fixture(scope="session")
def slurm_run(cohort, tmp_path_factory):
    """The test cohort's P1 clone trees through profiles/slurm on a single-node SLURM on 127.0.0.1
    (installed and started here when run as root on Debian, stopped afterwards), started in the
    background; failures to start are kept for the SLURM test to report, not raised in whichever
    test started it."""
    import signal
    import subprocess

    import slurm_local

    workdir = tmp_path_factory.mktemp("slurm_run")
    why = slurm_local.unavailable()
    if why:
        yield SlurmRun(workdir, why=why)
        return
    cluster = None
    run = SlurmRun(workdir)
    try:
        slurm_local.install()
        cluster = slurm_local.start(tmp_path_factory.mktemp("slurm-state"))
        run.log = workdir.parent / "slurm_run.log"
        cmd = snakemake_cmd(cohort, workdir, SLURM_TARGET, "--profile", str(ROOT / "profiles" / "slurm"),
                            # this cluster keeps no accounting: squeue for job states, no account
                            "--slurm-status-command", "squeue", "--slurm-no-account",
                            "--slurm-init-seconds-before-status-checks", "5")
        with open(run.log, "w") as log:
            run.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    except Exception as e:  # reported by the SLURM test
        run.error = e
    try:
        yield run
    finally:
        if run.proc is not None and run.proc.poll() is None:
            os.killpg(run.proc.pid, signal.SIGTERM)
            run.proc.wait(timeout=120)
        if cluster is not None:
            slurm_local.stop(cluster)


@pytest.fixture(autouse=True)
def _start_the_slurm_run_early(request):
    if request.config.stash.get(_slurm_wanted, False) and "cohort" in request.fixturenames:
        request.getfixturevalue("slurm_run")
