"""The input check stops bad inputs before any job (issue 21): a .fai that does not describe its
FASTA, an index older than its BAM or taken from another one, a BAM without reads, a BAM whose
@RG SM names another sample of the sheet, a CRAM made against another reference. Each message
names the file(s) and the fix; what may be deliberate is a warning. Tiny files built with pysam."""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest
import yaml

from ith.config import preflight, validate_config
from ith.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
CONTIGS = {"chr1": 6000, "chr2": 4000}
READ = 100


def _sequences(seed: int = 1) -> dict[str, str]:
    rng = np.random.default_rng(seed)
    return {n: "".join(rng.choice(list("ACGT"), ln)) for n, ln in CONTIGS.items()}


def _fasta(path: Path, seqs: dict[str, str], width: int = 60, index: bool = True) -> Path:
    with open(path, "w") as fh:
        for name, seq in seqs.items():
            fh.write(f">{name} test contig\n")
            fh.writelines(seq[i:i + width] + "\n" for i in range(0, len(seq), width))
    if index:
        pysam.faidx(str(path))
    return path


def _bam(path: Path, seqs: dict[str, str], sms: list[str] | None, n_reads: int = 3000, seed: int = 2) -> Path:
    """A sorted, indexed BAM of n_reads error-free reads spread over the contigs (3000 reads
    make a dozen BGZF blocks, so an index of another BAM points at other offsets)."""
    header = {"HD": {"VN": "1.6", "SO": "coordinate"},
              "SQ": [{"SN": n, "LN": len(s)} for n, s in seqs.items()]}
    if sms is not None:
        header["RG"] = [{"ID": f"rg{i}", "SM": sm} for i, sm in enumerate(sms)]
    rng = np.random.default_rng(seed)
    names = list(seqs)
    weights = np.array([len(seqs[n]) for n in names], float)
    tids = np.sort(rng.choice(len(names), n_reads, p=weights / weights.sum()))
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for tid in range(len(names)):
            starts = np.sort(rng.integers(0, len(seqs[names[tid]]) - READ, int((tids == tid).sum())))
            for i, start in enumerate(starts):
                a = pysam.AlignedSegment()
                a.query_name, a.reference_id, a.reference_start = f"r{tid}_{i}", tid, int(start)
                a.query_sequence = seqs[names[tid]][start:start + READ]
                a.flag, a.mapping_quality, a.cigarstring = 0, 60, f"{READ}M"
                a.query_qualities = pysam.qualitystring_to_array("I" * READ)
                if sms:
                    a.set_tag("RG", f"rg{i % len(sms)}")
                out.write(a)
    pysam.index(str(path))
    return path


class Cohort:
    """One patient (P1-N, P1-T) on a two-contig reference, in a folder of its own."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.seqs = _sequences()
        self.fasta = _fasta(root / "ref.fa", self.seqs)
        self.bams = {"P1-N": _bam(root / "P1-N.bam", self.seqs, ["P1-N"], seed=2),
                     "P1-T": _bam(root / "P1-T.bam", self.seqs, ["P1-T"], n_reads=2500, seed=3)}

    def sheet(self, **bams: Path) -> Path:
        chosen = {**self.bams, **{k.replace("_", "-"): v for k, v in bams.items()}}
        rows = [("P1", "P1-N", "normal", chosen["P1-N"]), ("P1", "P1-T", "tumour", chosen["P1-T"])]
        path = self.root / "samples.tsv"
        pd.DataFrame(rows, columns=["patient", "sample", "type", "bam"]).to_csv(path, sep="\t", index=False)
        return path

    def config(self, fasta: Path | None = None, **bams: Path) -> dict:
        return validate_config({"samples": str(self.sheet(**bams)),
                                "reference": {"fasta": str(fasta or self.fasta)}})

    def config_file(self, **bams: Path) -> Path:
        path = self.root / "config.yaml"
        path.write_text(yaml.safe_dump({"samples": str(self.sheet(**bams)),
                                        "reference": {"fasta": str(self.fasta)}}))
        return path


@pytest.fixture
def tiny(tmp_path) -> Cohort:
    return Cohort(tmp_path)


def _fails(config: dict, *fragments: str) -> str:
    with pytest.raises(InputError) as e:
        preflight(config)
    msg = str(e.value)
    for f in fragments:
        assert f in msg, f"'{f}' missing from: {msg}"
    return msg


def _older(path: Path, seconds: float = 100) -> None:
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - int(seconds * 1e9)))


def _ith_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "ith.input"]


def test_the_tiny_cohort_passes_without_warnings(tiny, caplog):
    with caplog.at_level(logging.WARNING):
        assert list(preflight(tiny.config())["sample"]) == ["P1-N", "P1-T"]
    assert _ith_warnings(caplog) == []


# --- 1. the reference and its .fai ---------------------------------------------------------------


def test_a_truncated_fasta_with_its_old_fai_is_stopped(tiny):
    data = tiny.fasta.read_bytes()
    tiny.fasta.write_bytes(data[:len(data) * 2 // 3])  # an interrupted copy; the .fai is the full one's
    _fails(tiny.config(), f"the index '{tiny.fasta}.fai' does not describe reference.fasta '{tiny.fasta}'",
           "contig chr2 ends at byte", "cut short", f"samtools faidx {tiny.fasta}", "copy it again")


def test_a_fasta_rewritten_with_other_lines_after_indexing_is_stopped(tiny):
    _fasta(tiny.fasta, tiny.seqs, width=70, index=False)  # same bases, other line width: the old .fai kept
    _fails(tiny.config(), f"'{tiny.fasta}.fai' does not describe", "contig chr1", f"samtools faidx {tiny.fasta}")


def test_a_fasta_with_a_contig_edited_after_indexing_is_stopped(tiny):
    seqs = dict(tiny.seqs)
    seqs["chr1"] = seqs["chr1"][:3000] + "ACGT" + seqs["chr1"][3000:]
    _fasta(tiny.fasta, seqs, index=False)
    _fails(tiny.config(), "does not describe", "contig chr", f"samtools faidx {tiny.fasta}")


def test_a_fasta_with_contigs_appended_after_indexing_is_stopped(tiny):
    with open(tiny.fasta, "a") as fh:
        fh.write(">chr3\n" + "ACGT" * 30 + "\n")
    _fails(tiny.config(), "does not describe", "goes on for", "after contig chr2")


def test_an_fai_older_than_a_fasta_it_describes_is_only_a_warning(tiny, caplog):
    _older(Path(f"{tiny.fasta}.fai"))
    with caplog.at_level(logging.WARNING):
        preflight(tiny.config())
    (warning,) = _ith_warnings(caplog)
    assert f"'{tiny.fasta}.fai' is older than" in warning and f"samtools faidx {tiny.fasta}" in warning


def _bgzip(tiny: Cohort) -> Path:
    gz = Path(f"{tiny.fasta}.gz")
    pysam.tabix_compress(str(tiny.fasta), str(gz))
    pysam.faidx(str(gz))
    return gz


def test_a_bgzipped_fasta_passes_and_one_cut_short_is_stopped(tiny):
    gz = _bgzip(tiny)
    assert Path(f"{gz}.gzi").exists()
    preflight(tiny.config(fasta=gz))
    gz.write_bytes(gz.read_bytes()[:gz.stat().st_size // 2])
    os.utime(f"{gz}.fai")
    _fails(tiny.config(fasta=gz), f"'{gz}.fai' does not describe", f"samtools faidx {gz}")


def test_a_bgzipped_fasta_without_gzi_and_a_gzipped_one_are_stopped(tiny):
    gz = _bgzip(tiny)
    os.remove(f"{gz}.gzi")
    _fails(tiny.config(fasta=gz), f"'{gz}' is bgzip-compressed but has no '{gz}.gzi'", f"samtools faidx {gz}")
    plain = tiny.root / "plain.fa.gz"
    plain.write_bytes(gzip.compress(tiny.fasta.read_bytes()))
    shutil.copy(f"{tiny.fasta}.fai", f"{plain}.fai")
    _fails(tiny.config(fasta=plain), f"'{plain}' is gzip-compressed", "bgzip")


# --- 2. the BAM's index --------------------------------------------------------------------------


def test_an_index_older_than_its_bam_is_stopped(tiny):
    bai = Path(f"{tiny.bams['P1-T']}.bai")
    _older(bai)
    _fails(tiny.config(), "samples.tsv line 3 (sample P1-T)", f"the index '{bai}' is older than '{tiny.bams['P1-T']}'",
           f"samtools index {tiny.bams['P1-T']}")


def test_an_index_of_another_bam_is_stopped(tiny):
    copy = tiny.root / "copy" / "P1-T.bam"
    copy.parent.mkdir()
    shutil.copy(tiny.bams["P1-T"], copy)
    shutil.copy(f"{tiny.bams['P1-N']}.bai", f"{copy}.bai")  # after the BAM: newer, so only its contents tell
    _fails(tiny.config(P1_T=copy), "line 3 (sample P1-T)", f"the index '{copy}.bai' does not belong to '{copy}'",
           f"samtools index {copy}")


def test_an_index_of_another_bam_from_the_same_pipeline_is_stopped(cohort, tmp_path):
    """The hard case: two regions of one patient, headers of one size, so the first reads sit at
    the same offset in both BAMs; the check must look further into the file."""
    sheet = pd.read_csv(cohort / "samples.tsv", sep="\t", dtype=str)
    copy = tmp_path / "P1-R1.bam"
    shutil.copy(cohort / "bams" / "P1" / "P1-R1.bam", copy)
    shutil.copy(cohort / "bams" / "P1" / "P1-R2.bam.bai", f"{copy}.bai")
    sheet.loc[sheet["sample"] == "P1-R1", "bam"] = str(copy)
    sheet.to_csv(tmp_path / "samples.tsv", sep="\t", index=False)
    config = validate_config({"samples": str(tmp_path / "samples.tsv"),
                              "reference": {"fasta": str(cohort / "reference" / "genome.fa")}})
    _fails(config, "(sample P1-R1)", f"the index '{copy}.bai' does not belong to '{copy}'", f"samtools index {copy}")


# --- 3. a BAM without reads ----------------------------------------------------------------------


def test_a_bam_with_a_header_and_no_reads_is_stopped(tiny):
    empty = _bam(tiny.root / "empty.bam", tiny.seqs, ["P1-T"], n_reads=0)
    _fails(tiny.config(P1_T=empty), "samples.tsv line 3 (sample P1-T)", f"'{empty}' has a header but no reads")


def test_a_control_bam_without_reads_is_stopped_naming_the_control_sheet(tiny):
    from ith.config import check_control_sheet
    from ith.io.reference import read_fai

    empty = _bam(tiny.root / "H1.bam", tiny.seqs, ["H1"], n_reads=0)
    controls = tiny.root / "controls.tsv"
    pd.DataFrame({"sample": ["H1"], "bam": [str(empty)]}).to_csv(controls, sep="\t", index=False)
    config = tiny.config()
    config["liquid"]["controls"] = str(controls)
    sheet = preflight(config)
    with pytest.raises(InputError, match=rf"{controls} line 2 \(sample H1\): '{empty}' has a header but no reads"):
        check_control_sheet(config, sheet, read_fai(str(tiny.fasta), "config"))


# --- 4. @RG SM against the sheet -----------------------------------------------------------------


def test_swapped_bams_are_stopped_naming_both_samples_and_files(tiny):
    n, t = tiny.bams["P1-N"], tiny.bams["P1-T"]
    msg = _fails(tiny.config(P1_N=t, P1_T=n), "line 2 (sample P1-N)", f"'{t}' has @RG SM 'P1-T'",
                 "sample P1-T of the sheet (line 3", f"BAM '{n}'", "column 'bam'")
    assert "P1-N" in msg and "swapped" in msg


def test_an_sm_naming_no_sample_of_the_sheet_is_a_warning(tiny, caplog):
    lab = _bam(tiny.root / "lab.bam", tiny.seqs, ["LAB-0042"], seed=4)
    with caplog.at_level(logging.WARNING):
        preflight(tiny.config(P1_T=lab))
    (warning,) = _ith_warnings(caplog)
    assert "line 3 (sample P1-T)" in warning and f"'{lab}' has @RG SM 'LAB-0042'" in warning
    assert "no sample of the sheet" in warning


def test_several_read_groups_stop_only_when_one_names_another_sample(tiny, caplog):
    merged = _bam(tiny.root / "merged.bam", tiny.seqs, ["P1-T", "P1-N"], seed=5)
    _fails(tiny.config(P1_T=merged), "(sample P1-T)", "read groups of samples 'P1-N', 'P1-T'",
           "sample P1-N of the sheet", f"BAM '{tiny.bams['P1-N']}'", "reads of P1-N as well")
    lanes = _bam(tiny.root / "lanes.bam", tiny.seqs, ["P1-T", "P1-T-lane2"], seed=6)
    with caplog.at_level(logging.WARNING):
        preflight(tiny.config(P1_T=lanes))
    (warning,) = _ith_warnings(caplog)
    assert "'P1-T-lane2' besides P1-T" in warning


def test_a_bam_without_read_groups_and_one_bam_for_two_samples_pass(tiny, caplog):
    bare = _bam(tiny.root / "bare.bam", tiny.seqs, None, seed=7)
    preflight(tiny.config(P1_T=bare))
    with caplog.at_level(logging.WARNING):  # the normal given again as the tumour (tests/conftest.py's NOMUT)
        preflight(tiny.config(P1_T=tiny.bams["P1-N"]))
    (warning,) = _ith_warnings(caplog)
    assert "(sample P1-T)" in warning and "also the BAM of sample P1-N" in warning


def test_the_edge_cohort_reusing_bams_under_other_names_passes(cohort, tmp_path, caplog):
    """tests/conftest.py's edge_run: P1-N's BAM (SM P1-N, not in this sheet) is NOMUT-N and NOMUT-T."""
    bams = cohort / "bams"
    rows = [("ONE", "ONE-N", "normal", bams / "P2" / "P2-N.bam"),
            ("ONE", "ONE-R1", "tumour", bams / "P2" / "P2-R1.bam"),
            ("NOMUT", "NOMUT-N", "normal", bams / "P1" / "P1-N.bam"),
            ("NOMUT", "NOMUT-T", "tumour", bams / "P1" / "P1-N.bam")]
    pd.DataFrame(rows, columns=["patient", "sample", "type", "bam"]).to_csv(tmp_path / "s.tsv", sep="\t", index=False)
    with caplog.at_level(logging.WARNING):
        preflight(validate_config({"samples": str(tmp_path / "s.tsv"),
                                   "reference": {"fasta": str(cohort / "reference" / "genome.fa")}}))
    assert len(_ith_warnings(caplog)) == 4


# --- 5. CRAM against the reference ---------------------------------------------------------------


def _cram(bam: Path, fasta: Path) -> Path:
    cram = bam.with_suffix(".cram")
    pysam.samtools.view("-C", "-T", str(fasta), "-o", str(cram), str(bam), catch_stdout=False)
    pysam.index(str(cram))
    return cram


def test_crams_made_with_the_reference_pass_and_their_md5s_are_cached_outside_the_inputs(tiny, tmp_path_factory,
                                                                                          monkeypatch):
    cache = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    crams = {s: _cram(b, tiny.fasta) for s, b in tiny.bams.items()}
    config = tiny.config(P1_N=crams["P1-N"], P1_T=crams["P1-T"])
    before = sorted(p.name for p in tiny.root.iterdir())
    preflight(config)
    assert sorted(p.name for p in tiny.root.iterdir()) == before
    (kept,) = (cache / "ith" / "reference-md5").glob("*.json")
    assert set(yaml.safe_load(kept.read_text())["md5"]) == set(CONTIGS)


def test_a_cram_made_against_another_reference_is_stopped(tiny, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg")))
    cram = _cram(tiny.bams["P1-T"], tiny.fasta)
    seqs = dict(tiny.seqs)
    seqs["chr2"] = seqs["chr2"][:100] + "N" * 50 + seqs["chr2"][150:]  # same length: only the M5 tells
    other = _fasta(tiny.root / "masked.fa", seqs)
    tiny.bams["P1-N"] = _cram(tiny.bams["P1-N"], other)
    _fails(tiny.config(fasta=other, P1_T=cram), "line 3 (sample P1-T)", f"CRAM '{cram}'",
           f"reference.fasta '{other}'", "contig chr2", "the FASTA the CRAM was made with")


def test_a_cram_index_of_another_cram_is_stopped(tiny, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg")))
    n, t = _cram(tiny.bams["P1-N"], tiny.fasta), _cram(tiny.bams["P1-T"], tiny.fasta)
    shutil.copy(f"{n}.crai", f"{t}.crai")
    _fails(tiny.config(P1_T=t), "(sample P1-T)", f"the index '{t}.crai' does not belong to '{t}'")


# --- what the user sees: ith check and Snakemake -------------------------------------------------


def test_ith_check_prints_the_error_and_the_warnings(tiny):
    cmd = [sys.executable, "-m", "ith.cli", "check"]
    n, t = tiny.bams["P1-N"], tiny.bams["P1-T"]
    run = subprocess.run([*cmd, str(tiny.config_file(P1_N=t, P1_T=n))], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.startswith("error: ") and "sample P1-N" in run.stderr and "sample P1-T" in run.stderr
    assert str(n) in run.stderr and str(t) in run.stderr
    lab = _bam(tiny.root / "lab.bam", tiny.seqs, ["LAB-0042"], seed=4)
    run = subprocess.run([*cmd, str(tiny.config_file(P1_T=lab))], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stderr.startswith("warning: ") and "'LAB-0042'" in run.stderr
    assert run.stdout.strip() == "ok: 1 patients, 2 samples (1 warning(s) above)"


def test_snakemake_stops_on_a_stale_index_before_any_job(tiny):
    bai = Path(f"{tiny.bams['P1-N']}.bai")
    _older(bai)
    work = tiny.root / "work"
    run = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--configfile",
                          str(tiny.config_file()), "--cores", "1", "--directory", str(work), "-n"],
                         capture_output=True, text=True)
    assert run.returncode != 0
    out = run.stdout + run.stderr
    assert "Input check failed before any job ran" in out
    assert f"the index '{bai}' is older than '{tiny.bams['P1-N']}'" in out and "samtools index" in out
    assert not (work / "results").exists()
