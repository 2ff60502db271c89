"""Deterministic JSON (and text) output, written atomically: a half-written file never takes
the final name."""

from __future__ import annotations

import json

from ith.io.atomic import atomic_path


def write_text(text: str, path: str) -> None:
    with atomic_path(path) as tmp, open(tmp, "w") as fh:
        fh.write(text)


def write_json(obj: object, path: str) -> None:
    write_text(json.dumps(obj, indent=1, allow_nan=False) + "\n", path)
