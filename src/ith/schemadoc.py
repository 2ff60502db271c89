"""docs/configuration.md, generated from the config and sample-sheet schemas.

    python -m ith.schemadoc > docs/configuration.md

Every key of config/schemas/config.schema.yaml with its type, default, allowed values and
description (nested sections as headings, keys as dotted names), then every column of
config/schemas/samples.schema.yaml. The output depends only on the schemas (tests/test_docs.py
checks that docs/configuration.md is up to date).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from ith.config import SCHEMA_DIR

COMMAND = "python -m ith.schemadoc > docs/configuration.md"


def _text(s: str | None) -> str:
    """One line of Markdown table text: whitespace collapsed, pipes escaped."""
    return " ".join(str(s or "").split()).replace("|", "\\|")


def _value(v) -> str:
    """A default or bound as it would be written in the YAML config."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, float) and v == int(v) and abs(v) < 1e15:
        return f"{v:.1f}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_value(x)}" for k, x in v.items()) + "}"
    return str(v)


def _code(s: str) -> str:
    return f"`{s}`".replace("|", "\\|") if s != "" else "`\"\"`"


def _type(node: dict) -> str:
    t = node.get("type", "any")
    types = t if isinstance(t, list) else [t]
    out = []
    for x in types:
        if x == "array" and isinstance(node.get("items"), dict):
            out.append(f"array of {node['items'].get('type', 'any')}")
        elif x == "object" and isinstance(node.get("additionalProperties"), dict):
            out.append(f"map to {node['additionalProperties'].get('type', 'any')}")
        else:
            out.append(x)
    return " or ".join(out)


def _bounds(node: dict) -> list[str]:
    out = []
    if "minimum" in node:
        out.append(f">= {_value(node['minimum'])}")
    if "exclusiveMinimum" in node:
        out.append(f"> {_value(node['exclusiveMinimum'])}")
    if "maximum" in node:
        out.append(f"<= {_value(node['maximum'])}")
    if "exclusiveMaximum" in node:
        out.append(f"< {_value(node['exclusiveMaximum'])}")
    return out


def _allowed(node: dict) -> str:
    parts = []
    if "enum" in node:
        parts.append(", ".join(_code(_value(x)) for x in node["enum"]))
    parts += _bounds(node)
    if "pattern" in node:
        parts.append(f"matches {_code(node['pattern'])}")
    if "minLength" in node:
        parts.append(f"at least {node['minLength']} character(s)")
    items = node.get("items")
    if isinstance(items, dict):
        b = _bounds(items)
        if b:
            parts.append("each " + " and ".join(b))
    if "minItems" in node or "maxItems" in node:
        lo, hi = node.get("minItems"), node.get("maxItems")
        parts.append(f"{lo} items" if lo == hi else f"{lo or 0}-{hi if hi is not None else 'any'} items")
    return "; ".join(_text(p) for p in parts) or ""


def _default(node: dict, required: bool) -> str:
    if "default" in node:
        return _code(_value(node["default"]))
    return "required" if required else "—"


def _is_section(node: dict) -> bool:
    return node.get("type") == "object" and "properties" in node


def _table(rows: list[list[str]], header: list[str]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def _section(path: list[str], node: dict, level: int) -> list[str]:
    """The keys of one object: a table of its plain keys, then a heading for each nested object."""
    name = ".".join(path)
    out = [f"{'#' * level} `{name}`", ""]
    if node.get("description"):
        out += [_text(node["description"]).replace("\\|", "|"), ""]
    out += _keys(path, node, level)
    return out


def _keys(path: list[str], node: dict, level: int) -> list[str]:
    props = node.get("properties", {})
    required = set(node.get("required", []))
    rows, nested = [], []
    for key, child in props.items():
        if not isinstance(child, dict):
            continue
        if _is_section(child):
            nested.append((key, child))
            continue
        rows.append([_code(".".join(path + [key])), _text(_type(child)), _default(child, key in required),
                     _allowed(child), _text(child.get("description"))])
    out = []
    if rows:
        out += _table(rows, ["key", "type", "default", "allowed", "description"]) + [""]
    for key, child in nested:
        out += _section(path + [key], child, min(level + 1, 6))
    return out


def config_doc(schema: dict) -> list[str]:
    out = ["## Config file", ""]
    if schema.get("description"):
        out += [_text(schema["description"]), ""]
    required = set(schema.get("required", []))
    props = schema.get("properties", {})
    top = {k: v for k, v in props.items() if isinstance(v, dict) and not _is_section(v)}
    sections = {k: v for k, v in props.items() if isinstance(v, dict) and _is_section(v)}
    if required:
        out += ["Required: " + ", ".join(_code(k) for k in props if k in required) + ". "
                "Every other key has a default and may be left out; an object's keys default one "
                "by one.", ""]
    rows = [[_code(k), _text(_type(v)), _default(v, k in required), _allowed(v), _text(v.get("description"))]
            for k, v in top.items()]
    out += ["### Top-level keys", ""] + _table(rows, ["key", "type", "default", "allowed", "description"]) + [""]
    for key, node in sections.items():
        out += _section([key], node, 3)
    return out


def samples_doc(schema: dict) -> list[str]:
    out = ["## Sample sheet", ""]
    if schema.get("description"):
        out += [_text(schema["description"]) + " Tab-separated, with a header line naming the columns.", ""]
    required = set(schema.get("required", []))
    rows = [[_code(k), _text(_type(v)), "yes" if k in required else "no", _allowed(v), _text(v.get("description"))]
            for k, v in schema.get("properties", {}).items() if isinstance(v, dict)]
    out += _table(rows, ["column", "type", "required", "allowed", "description"]) + [""]
    if schema.get("additionalProperties") is False:
        out += ["No other columns are allowed.", ""]
    return out


def render(schema_dir: Path = SCHEMA_DIR) -> str:
    config = yaml.safe_load((schema_dir / "config.schema.yaml").read_text())
    samples = yaml.safe_load((schema_dir / "samples.schema.yaml").read_text())
    out = ["# Configuration", "",
           "<!-- Generated from config/schemas/ by `" + COMMAND + "`; do not edit by hand. -->", "",
           "Every key of the config file (`config/config.yaml` is an example; schema "
           "`config/schemas/config.schema.yaml`) and every column of the sample sheet "
           "(`config/samples.tsv`; schema `config/schemas/samples.schema.yaml`). "
           "`ith check CONFIG` validates both, fills in the defaults and checks the files they name "
           "before any job runs. Keys are written with dots for nesting: `qc.sex.male_max_x` is",
           "",
           "```yaml", "qc:", "  sex:", "    male_max_x: 0.75", "```", "",
           "How the settings are used: [methods/](methods/qc.md); what a change re-runs: "
           "[execution.md](execution.md#re-runs). A key not listed here (a misspelling such as "
           "`panel_of_normal`) stops `ith check` and Snakemake with an error that names the nearest "
           "known key.", ""]
    out += config_doc(config)
    out += samples_doc(samples)
    return "\n".join(out).rstrip("\n") + "\n"


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
