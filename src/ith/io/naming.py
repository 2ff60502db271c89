"""Resources whose contig names differ from the reference's, read in the reference's naming.

A germline resource, panel of normals or known-sites VCF, or a BED of targets or drivers, made
for the same build but named `1, 2, X, MT` against a reference named `chr1, chr2, chrX, chrM` (or
the other way round) would match nothing and silently change results (no germline filter, no
panel filter, identity not assessable). Here each resource contig is matched to the reference
contig that stands for the same chromosome:

- the same name;
- else the same chromosome with or without 'chr': 1 and chr1, X and chrX, MT and chrM;
- else the same scaffold by its GenBank accession: KI270706.1 (Ensembl) and
  chr1_KI270706v1_random (UCSC), GL000192.1 (b37) and chr1_gl000192_random (hg19).

The mitochondria of hg19 (chrM, 16,571 bp) and of b37/GRCh38 (MT, chrM: the rCRS, 16,569 bp) are
different sequences; MT is mapped to chrM only when the lengths agree. Where the resource states
a contig's length (a VCF's ##contig header) and it differs from the reference's, the resource
is of another build, which stops the run. Resource files are only read, never rewritten: each
reader translates names on the fly (a BED handed to samtools is copied, renamed, into a
temporary directory).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pysam

from ith.errors import InputError
from ith.io.reference import contig_class

log = logging.getLogger(__name__)

ResourceKind = Literal["vcf", "bed"]

_PRIMARY = re.compile(r"^(?:chr)?([0-9]+|X|Y)$")
# UCSC scaffold names carry the GenBank accession: chr1_KI270706v1_random, chrUn_gl000220
_UCSC_SCAFFOLD = re.compile(r"^chr(?:[0-9]+|X|Y|Un)_([A-Za-z]+[0-9]+)(?:v([0-9]+))?(?:_random|_alt|_fix|_decoy)?$")
_ACCESSION = re.compile(r"^([A-Z]+[0-9]+)\.([0-9]+)$")
RCRS_LENGTH = 16_569  # the mitochondrion of GRCh37/b37 and GRCh38 (hg19's chrM is 16,571 bp)


def naming_key(name: str) -> str:
    """The chromosome a contig name stands for, whatever the naming."""
    m = _PRIMARY.match(name)
    if m:
        return m.group(1)
    if contig_class(name) == "mitochondrion":
        return "MT"
    m = _UCSC_SCAFFOLD.match(name)
    if m:
        return f"{m.group(1).upper()}.{m.group(2) or '1'}"
    m = _ACCESSION.match(name)
    if m:
        return f"{m.group(1)}.{m.group(2)}"
    return name


def _examples(names: Sequence[str]) -> str:
    if not names:
        return "(none)"
    shown = [f"'{n}'" for n in names[:3]] + (["...", f"'{names[-1]}'"] if len(names) > 3 else [])
    return ", ".join(shown) + f" ({len(names)} contig{'s' if len(names) != 1 else ''})"


@dataclass(frozen=True)
class ContigMap:
    """How the contigs of one resource read in the reference's naming."""

    what: str  # the config key naming the resource, e.g. panel_of_normals
    path: str
    to_reference: dict[str, str]  # resource name -> reference name, for every contig the reference has
    unmatched: tuple[str, ...] = field(default=())  # resource contigs the reference does not have

    @property
    def to_resource(self) -> dict[str, str]:
        return {ref: res for res, ref in self.to_reference.items()}

    @property
    def renamed(self) -> dict[str, str]:
        return {res: ref for res, ref in self.to_reference.items() if res != ref}

    def description(self) -> str | None:
        """The log line of a resource read in another naming (None when the names are the same)."""
        renamed = self.renamed
        if not renamed:
            return None
        mito = {a: b for a, b in renamed.items() if contig_class(b) == "mitochondrion"}
        rest = {a: b for a, b in renamed.items() if a not in mito}
        if rest and all(b == "chr" + a for a, b in rest.items()):
            style = "without 'chr'"
        elif rest and all(a == "chr" + b for a, b in rest.items()):
            style = "with 'chr'"
        else:
            style = "otherwise than the reference"
        parts = []
        if rest:
            refs = list(rest.values())
            span = f"{refs[0]}..{refs[-1]}" if len(refs) > 3 else ", ".join(refs)
            parts.append(f"read as {span} ({len(refs)} contigs)")
        parts += [f"{a} read as {b}" for a, b in mito.items()]
        return f"{self.what} {self.path} names contigs {style}; " + ", ".join(parts)


def contig_map(resource: Sequence[str], reference: Sequence[tuple[str, int]], what: str, path: str,
               resource_lengths: Mapping[str, int | None] | None = None) -> ContigMap:
    """Each resource contig matched to the reference contig of the same chromosome (see the
    module's docstring). InputError when none matches, or when a stated length shows another build."""
    ref_lengths = dict(reference)
    by_key: dict[str, list[str]] = {}
    for name, _ in reference:
        by_key.setdefault(naming_key(name), []).append(name)
    to_reference: dict[str, str] = {}
    taken: set[str] = set()
    # the same name first, so a resource holding both 1 and chr1 reads chr1 as chr1
    for name in resource:
        if name in ref_lengths:
            to_reference[name] = name
            taken.add(name)
    for name in resource:
        if name in to_reference:
            continue
        candidates = [c for c in by_key.get(naming_key(name), []) if c not in taken]
        if len(candidates) != 1:
            continue
        target = candidates[0]
        if contig_class(target) == "mitochondrion" and ref_lengths[target] != RCRS_LENGTH:
            continue  # hg19's chrM is not the rCRS that MT names
        to_reference[name] = target
        taken.add(target)
    for name, target in to_reference.items():
        stated = (resource_lengths or {}).get(name)
        if stated is not None and stated != ref_lengths[target]:
            raise InputError(f"{what} '{path}': contig {name} is {stated} bp there but {target} is "
                             f"{ref_lengths[target]} bp in the reference; the resource was made for another build "
                             f"(e.g. GRCh37 against GRCh38). Use a {what} made for the reference's build.")
    if not to_reference:
        ref_names = [n for n, _ in reference]
        if not resource:
            raise InputError(f"{what} '{path}' lists no contig (no records); give a resource with records for the "
                             f"reference's contigs ({_examples(ref_names)}), or set {what} to null.")
        raise InputError(f"{what} '{path}' names its contigs {_examples(list(resource))}, the reference "
                         f"{_examples(ref_names)}: none is a reference contig, with or without 'chr'. Use a {what} "
                         f"made for the reference's build, or a copy renamed to the reference's naming.")
    unmatched = tuple(n for n in resource if n not in to_reference)
    return ContigMap(what, path, to_reference, unmatched)


def vcf_contigs(path: str) -> tuple[list[str], dict[str, int | None]]:
    """Contigs of a VCF/BCF with records (from its index: cheap, however large the file), and
    the lengths its header states. Without an index: the header's contigs, else the records'."""
    try:
        with pysam.VariantFile(path) as fh:
            lengths = {name: c.length for name, c in fh.header.contigs.items()}
            if any(os.path.exists(path + ext) for ext in (".tbi", ".csi")) and fh.index is not None:
                return list(fh.index), lengths
            if lengths:
                return list(lengths), lengths
            return list(dict.fromkeys(rec.chrom for rec in fh)), lengths
    except (ValueError, OSError) as e:
        raise InputError(f"cannot read the VCF '{path}' ({e}); check it with: bcftools view -h {path}") from None


def bed_contigs(path: str) -> list[str]:
    """First-column names of a BED (or of a TSV with a `chrom` header), in order of appearance."""
    names: dict[str, None] = {}
    with open(path) as fh:
        for line in fh:
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            first = line.split("\t", 1)[0].strip()
            if first.lower() != "chrom":
                names[first] = None
    return list(names)


def resource_naming(path: str, what: str, reference: Sequence[tuple[str, int]], kind: ResourceKind,
                    quiet: bool = False) -> ContigMap:
    """The contig map of a VCF or BED resource against the reference, logged when the naming
    differs (quiet: the input check, which only wants the errors)."""
    if kind == "vcf":
        names, lengths = vcf_contigs(path)
        names_map = contig_map(names, reference, what, path, lengths)
    else:
        names_map = contig_map(bed_contigs(path), reference, what, path)
    if not quiet:
        line = names_map.description()
        if line:
            log.info(line)
    return names_map


def bed_in_reference_naming(path: str, names: ContigMap, tmpdir: str) -> str:
    """The BED itself when its names are the reference's, else a copy in `tmpdir` with the first
    column renamed (for tools that read the file themselves); lines on other contigs are kept."""
    if not names.renamed:
        return path
    out = os.path.join(tmpdir, os.path.basename(path) + ".renamed.bed")
    with open(path) as src, open(out, "w") as dst:
        for line in src:
            first, sep, rest = line.partition("\t")
            dst.write(names.to_reference.get(first, first) + sep + rest if sep else line)
    return out
