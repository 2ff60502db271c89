"""A job's error reaches the console as one message naming the rule, the job and the file;
everything the job and its C libraries print goes to its log."""

from __future__ import annotations

import subprocess
import sys

from ith.errors import InputError
from ith.rulescript import failure_message

SCRIPT = """
import os, types
from ith.rulescript import start
class Wildcards(dict):
    pass
snakemake = types.SimpleNamespace(log=[{log!r}], input=["in/P1-R1.bam", "in/P1-R1.bam.bai", "ref/genome.fa"],
                                  wildcards=Wildcards(patient="P1", sample="P1-R1"), rule="demo_rule")
start(snakemake)
os.write(2, b"[E::hts_open] htslib speaks on descriptor 2\\n")
raise OSError("error -3 while reading file")
"""


def test_an_uncaught_error_is_one_console_message_and_the_details_are_in_the_log(tmp_path):
    log = tmp_path / "job.log"
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(log=str(log))], capture_output=True, text=True)
    assert proc.returncode != 0
    console = proc.stderr
    assert "rule demo_rule (patient P1, sample P1-R1) failed: OSError: error -3 while reading file" in console
    # the error names no file, so the job's data inputs are named (not the index)
    assert "while reading in/P1-R1.bam, ref/genome.fa" in console
    assert f"Full log: {log}" in console
    assert "htslib speaks" not in console and "Traceback" not in console
    text = log.read_text()
    assert "htslib speaks on descriptor 2" in text and "Traceback" in text


def test_an_error_naming_its_file_is_passed_on_as_it_is():
    msg = failure_message("copynumber_coverage", {"sample": "S1"}, ["a/S1.cram", "ref.fa"],
                          ValueError("a/S1.cram: truncated BAM"), "logs/x.log")
    assert msg.startswith("rule copynumber_coverage (sample S1) failed: ValueError: a/S1.cram: truncated BAM.")
    assert "while reading" not in msg
    err = failure_message("clonal_input", {"patient": "P1"}, ["x.tsv"], InputError("patient P1 stopped: why"), "l")
    assert err == "rule clonal_input (patient P1) failed: patient P1 stopped: why\nFull log: l"


def test_many_inputs_are_listed_briefly():
    inputs = [f"b{i}.bam" for i in range(10)]
    msg = failure_message("r", {}, inputs, RuntimeError("boom"), "l")
    assert "while reading b0.bam, b1.bam, b2.bam, b3.bam, b4.bam, b5.bam and 4 more" in msg
    assert msg.startswith("rule r failed")
