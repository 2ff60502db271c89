"""Shared fixtures: one simulated `test` cohort per session (about half a minute on 2 cores)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from ith.simulate.cohort import simulate


@pytest.fixture(scope="session")
def cohort(tmp_path_factory) -> Path:
    """The `test` preset, seed 1, with absolute paths in its sample sheet and config."""
    out = tmp_path_factory.mktemp("cohort") / "sim"
    simulate("test", seed=1, out=str(out), threads=min(2, os.cpu_count() or 1))
    return out


@pytest.fixture(scope="session")
def sheet(cohort) -> pd.DataFrame:
    return pd.read_csv(cohort / "samples.tsv", sep="\t", dtype={"patient": str, "sample": str})
