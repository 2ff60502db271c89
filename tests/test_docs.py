"""The documentation stays true: README size and first lines, links inside the repository,
docs/configuration.md as the schemas generate it, and every output file and column described
in docs/outputs.md (on a workflow run)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from ith import schemadoc

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
OUTPUTS = DOCS / "outputs.md"
README_MAX_BYTES = 8192

# Paths and files that exist only outside the repository.
OUTSIDE = ["design.md", "/work/", "../shared", "/home/", "/tmp/"]

_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def markdown_files() -> list[Path]:
    return [README] + sorted(DOCS.rglob("*.md"))


def test_readme_is_at_most_8_kb():
    size = README.stat().st_size
    assert size <= README_MAX_BYTES, f"README.md is {size} bytes; at most {README_MAX_BYTES}: move detail into docs/"


def test_readme_starts_with_the_two_commands():
    lines = [line for line in README.read_text().splitlines() if line.strip()]
    body = lines[1:] if lines[0].startswith("# ") else lines
    assert body[0].startswith("```"), "README.md must start (after its title) with the two commands in a code block"
    end = body.index("```", 1)
    commands = [line.split("#")[0].strip() for line in body[1:end]]
    assert commands == ["make demo", "make test"], commands


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve_inside_the_repository(path):
    broken = []
    for target in _LINK.findall(path.read_text()):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # URL or an anchor in the same page
        file = (path.parent / target.split("#")[0]).resolve()
        if not file.exists() or ROOT not in file.parents:
            broken.append(target)
    assert not broken, f"{path.relative_to(ROOT)}: links to nothing in the repository: {broken}"


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_reference_outside_the_repository(path):
    text = path.read_text()
    found = [s for s in OUTSIDE if s in text]
    assert not found, f"{path.relative_to(ROOT)} mentions {found}, which is not in the repository"


def test_configuration_md_is_generated_from_the_schemas():
    current = (DOCS / "configuration.md").read_text() if (DOCS / "configuration.md").exists() else ""
    assert current == schemadoc.render(), (
        f"docs/configuration.md is stale (the schemas in config/schemas/ changed): run `{schemadoc.COMMAND}`")


def test_configuration_md_names_every_schema_key():
    import yaml

    text = (DOCS / "configuration.md").read_text()

    def keys(node: dict, prefix: str):
        for k, v in node.get("properties", {}).items():
            yield prefix + k
            if isinstance(v, dict):
                yield from keys(v, prefix + k + ".")

    schema = yaml.safe_load((ROOT / "config" / "schemas" / "config.schema.yaml").read_text())
    sheet = yaml.safe_load((ROOT / "config" / "schemas" / "samples.schema.yaml").read_text())
    missing = [k for k in list(keys(schema, "")) + list(sheet["properties"]) if f"`{k}`" not in text]
    assert not missing, missing


# ---------------------------------------------------------------------------------------------
# docs/outputs.md against a results tree


def _sections(markdown: str) -> list[tuple[str, str]]:
    """(path, text of the section) for every path in backticks of every `### ` heading (one
    section may describe several files with the same columns)."""
    out = []
    parts = re.split(r"^### ", markdown, flags=re.M)
    for part in parts[1:]:
        heading, _, body = part.partition("\n")
        for path in re.findall(r"`([^`]+)`", heading):
            out.append((path, heading + "\n" + body.split("\n## ")[0]))
    return out


def _as_regex(pattern: str) -> re.Pattern:
    """A documented path with {placeholders} as a regular expression ({patient} and {sample} literal)."""
    keep = {"{patient}", "{sample}"}
    out = ""
    for piece in re.split(r"(\{[a-z_]+\})", pattern):
        out += re.escape(piece) if piece in keep or not piece.startswith("{") else r"[^/]+"
    return re.compile(out + "$")


def output_patterns(results: Path) -> dict[str, list[Path]]:
    """Every file under results/ by its path with {patient} and {sample} for the sheet's ids
    (taken from results/qc/summary.tsv)."""
    ids = pd.read_csv(results / "qc" / "summary.tsv", sep="\t", dtype=str)
    patients, samples = set(ids["patient"]), set(ids["sample"])
    out: dict[str, list[Path]] = {}
    for f in sorted(results.rglob("*")):
        if not f.is_file() or f.name.startswith("."):
            continue  # directories and Snakemake's markers (.snakemake_timestamp)
        parts = list(f.relative_to(results).parts)
        parts = ["{patient}" if p in patients else p for p in parts]
        name = parts[-1]
        for s in sorted(samples, key=len, reverse=True):
            if name.startswith(s + "."):
                name = "{sample}" + name[len(s):]
                break
        else:  # files named after their patient (the exports: {patient}.maf)
            for p in sorted(patients, key=len, reverse=True):
                if name.startswith(p + "."):
                    name = "{patient}" + name[len(p):]
                    break
        pattern = "/".join(["results"] + parts[:-1] + [name])
        out.setdefault(pattern, []).append(f)
    return out


def _header(path: Path) -> list[str]:
    with open(path) as fh:
        for line in fh:
            if not line.startswith("#"):
                line = line.rstrip("\n")
                return line.split("\t") if line else []  # an empty file (e.g. no plasma) has no columns
    return []


def undocumented_outputs(results: Path, outputs_md: Path = OUTPUTS) -> list[str]:
    """What docs/outputs.md does not describe: files under `results` (as patterns) and columns
    of their TSV files. Empty when everything is documented."""
    text = outputs_md.read_text()
    sections = _sections(text)
    problems = []
    for pattern, files in output_patterns(results).items():
        name = pattern.rsplit("/", 1)[-1]
        folder = pattern.rsplit("/", 1)[0]
        own = [body for head, body in sections if head == pattern]
        near = [body for head, body in sections
                if _as_regex(head.rsplit("/", 1)[0]).match(folder) and f"`{name}`" in body]
        if not own and not near:
            problems.append(f"file {pattern} is not in docs/outputs.md")
            continue
        if not pattern.endswith(".tsv"):
            continue
        body = (own or near)[0]
        columns: list[str] = []
        for f in files:
            columns += [c for c in _header(f) if c not in columns]
        if "" in columns:
            problems.append(f"{pattern}: a column without a name")
        missing = [c for c in columns if c and f"`{c}`" not in body]
        if missing:
            problems.append(f"{pattern}: columns not described in its section of docs/outputs.md: {missing}")
    return problems


@pytest.mark.workflow
def test_every_output_file_and_column_is_documented(workflow_run):
    problems = undocumented_outputs(workflow_run / "results")
    assert not problems, "\n".join(problems)
