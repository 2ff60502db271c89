"""Deterministic JSON (and text) output, written atomically: a half-written file never takes
the final name."""

from __future__ import annotations

import json
import os


def write_text(text: str, path: str) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def write_json(obj: object, path: str) -> None:
    write_text(json.dumps(obj, indent=1, allow_nan=False) + "\n", path)
