"""Atomic output: every file a rule writes is written under a temporary name beside it and takes
its final name only when complete, so a half-written file never looks like a result."""

from __future__ import annotations

import glob
import os
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def atomic_path(path: str, suffix: str = "") -> Iterator[str]:
    """A temporary name beside `path` to write to (`suffix` keeps an extension a writer needs);
    renamed to `path` when the block ends, removed if it fails. Temporary files of `path` left by
    an earlier job that was killed before it could remove them (SIGKILL, or SIGTERM during the
    write) are removed first: Snakemake runs one job at a time per output, so they are stale."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    for stale in glob.glob(glob.escape(path) + ".tmp*"):
        try:
            os.remove(stale)
        except FileNotFoundError:
            pass
    tmp = f"{path}.tmp{os.getpid()}{suffix}"
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
