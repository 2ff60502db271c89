"""What every rule script in scripts/ does first: send its stderr and its logging to the rule's
log file, so that everything a job prints, library warnings included, ends up in that one file."""
from __future__ import annotations

import logging
import sys
from typing import Any

LOG_FORMAT = "%(asctime)s %(message)s"


def start(snakemake: Any) -> None:
    """Redirect stderr to the job's `log:` file and log at INFO level with timestamps."""
    sys.stderr = open(snakemake.log[0], "w")
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format=LOG_FORMAT, force=True)
