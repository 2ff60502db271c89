"""What every rule script in scripts/ does first: send its stderr and its logging to the rule's
log file, so that everything a job prints, library warnings included, ends up in that one file;
and turn an error that ends the job into one line on the console naming the rule, the job and
the file, where Snakemake alone would say only that the job failed."""
from __future__ import annotations

import logging
import os
import sys
import traceback
from typing import Any, Sequence

from ith.errors import InputError

LOG_FORMAT = "%(asctime)s %(message)s"
# at most this many input files are listed when an error names none of them
MAX_LISTED_INPUTS = 6
# the inputs worth naming: the ones a library parses (an index is read with its BAM or VCF)
_DATA_SUFFIXES = (".bam", ".cram", ".vcf.gz", ".vcf", ".bcf", ".fa", ".fasta", ".fa.gz", ".fasta.gz", ".fna",
                  ".tsv", ".bed", ".bed.gz", ".json", ".txt", ".csv", ".h5")


def failure_message(rule: str, wildcards: dict[str, str], inputs: Sequence[str], exc: BaseException,
                    log: str) -> str:
    """One paragraph for the console: the rule and its job, the error, the file it concerns
    (named by the error itself, else the job's data inputs) and where the full log is."""
    job = ", ".join(f"{k} {v}" for k, v in wildcards.items())
    where = f"rule {rule}" + (f" ({job})" if job else "")
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, InputError):
        return f"{where} failed: {text}\nFull log: {log}"
    data = [p for p in dict.fromkeys(inputs) if p.endswith(_DATA_SUFFIXES)]
    named = [p for p in data if p in text or os.path.basename(p) in text]
    if named:
        cause = f"{type(exc).__name__}: {text}"
    else:
        listed = ", ".join(data[:MAX_LISTED_INPUTS]) + (f" and {len(data) - MAX_LISTED_INPUTS} more"
                                                         if len(data) > MAX_LISTED_INPUTS else "")
        cause = f"{type(exc).__name__}: {text} (while reading {listed or 'its inputs'})"
    return (f"{where} failed: {cause}. If a file is damaged or truncated, check it (BAM/CRAM: samtools "
            f"quickcheck -v; VCF: bcftools view -h; FASTA: samtools faidx) and replace it.\nFull log: {log}")


def start(snakemake: Any) -> None:
    """Redirect stderr (Python's and the C libraries', htslib's messages included) to the job's
    `log:` file, log at INFO level with timestamps, and report an uncaught error on the console
    with failure_message."""
    log_path = snakemake.log[0]
    console = os.fdopen(os.dup(2), "w")
    log = open(log_path, "w")
    sys.stderr.flush()
    os.dup2(log.fileno(), 2)  # htslib writes to file descriptor 2, not to sys.stderr
    sys.stderr = log
    logging.basicConfig(stream=log, level=logging.INFO, format=LOG_FORMAT, force=True)
    inputs = [str(p) for p in snakemake.input]
    wildcards = {k: str(v) for k, v in dict(snakemake.wildcards.items()).items()}

    def report(kind, exc, tb) -> None:
        logging.error("".join(traceback.format_exception(kind, exc, tb)))
        if issubclass(kind, KeyboardInterrupt):
            return
        console.write(failure_message(snakemake.rule, wildcards, inputs, exc, log_path) + "\n")
        console.flush()

    sys.excepthook = report
