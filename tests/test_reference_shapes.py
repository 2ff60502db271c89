"""References as hospitals have them: GRCh38 with UCSC and with Ensembl names, and b37 as hs37d5.
A dry run on inputs of each shape (the real contig names and lengths, an all-N reference, BAMs
with one read pair) plans discovery chunks and copy-number bins over exactly the primary
assembly: 1-22, X and Y, whatever the naming, and none of the scaffolds, decoys, EBV or the
mitochondrion."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml

from conftest import snakemake
from ith.config import validate_config
from ith.io.reference import contig_class, included_contigs
from ith.simulate.shapes import shape, write_shaped_bam, write_shaped_reference
from ith.variants.chunks import make_chunks

# the primary chromosomes, written here independently of ith.io.reference
PRIMARY = re.compile(r"^(chr)?([1-9]|1[0-9]|2[0-2]|X|Y)$")


def test_the_shapes_are_the_assemblies():
    ucsc, ens, b37 = shape("grch38_ucsc"), shape("grch38_ensembl"), shape("hs37d5")
    assert len(ucsc) == 195 and sum(ln for _, ln in ucsc) == 3_099_922_541
    assert len(ens) == 194 and ("KI270728.1", 1_872_759) in ens and ("GL000009.2", 201_709) in ens
    assert ("MT", 16_569) in ens and not any(n.startswith("chr") for n, _ in ens)
    assert len(b37) == 86 and ("hs37d5", 35_477_943) in b37 and ("NC_007605", 171_823) in b37


@pytest.mark.parametrize("name", ["grch38_ucsc", "grch38_ensembl", "hs37d5"])
def test_contig_classes(name):
    classes = {n: contig_class(n) for n, _ in shape(name)}
    assert sorted(n for n, c in classes.items() if c == "autosome") == \
        sorted(n for n in classes if PRIMARY.match(n) and not n.endswith(("X", "Y")))
    assert [n for n, c in classes.items() if c == "X"] == [n for n in classes if n in ("X", "chrX")]
    assert [n for n, c in classes.items() if c == "Y"] == [n for n in classes if n in ("Y", "chrY")]
    assert [n for n, c in classes.items() if c == "mitochondrion"] == [n for n in classes if n in ("MT", "chrM")]
    assert all(c == "other" for n, c in classes.items() if not PRIMARY.match(n) and n not in ("MT", "chrM"))


@pytest.mark.workflow
@pytest.mark.parametrize("name", ["grch38_ucsc", "grch38_ensembl", "hs37d5"])
def test_a_dry_run_plans_exactly_the_primary_assembly(name, tmp_path):
    contigs = shape(name)
    fasta = tmp_path / "genome.fa.gz"
    write_shaped_reference(contigs, str(fasta))
    rows = []
    for sample, kind in (("P1-N", "normal"), ("P1-R1", "tumour"), ("P1-R2", "tumour")):
        bam = tmp_path / f"{sample}.bam"
        write_shaped_bam(str(bam), contigs, sample)
        rows.append(("P1", sample, kind, str(bam)))
    pd.DataFrame(rows, columns=["patient", "sample", "type", "bam"]).to_csv(tmp_path / "samples.tsv", sep="\t",
                                                                          index=False)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"samples": str(tmp_path / "samples.tsv"),
                                                          "reference": {"fasta": str(fasta)}}))
    proc = snakemake(tmp_path, tmp_path / "run", "-n", "--quiet", "rules", configfile=tmp_path / "config.yaml")
    assert proc.returncode == 0, proc.stderr[-3000:]
    config = validate_config({"samples": "", "reference": {"fasta": ""}})
    primary = [(n, ln) for n, ln in contigs if PRIMARY.match(n)]
    assert len(primary) == 24
    # discovery: the chunks the workflow plans, one job each, cover the primary assembly exactly
    chunks = make_chunks(included_contigs(contigs, config["variants"]["exclude_contigs"]),
                         config["variants"]["chunk_size"])
    covered = {}
    for chunk in chunks:
        for contig, start, end in chunk.regions:
            covered[contig] = covered.get(contig, 0) + end - start + 1
    assert covered == dict(primary)
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)\s*$", proc.stdout.split("Job stats:", 1)[1], re.M))
    assert int(jobs["variants_discover"]) == len(chunks)
    # copy number: bins on the same contigs
    assert included_contigs(contigs, config["copynumber"]["exclude_contigs"]) == primary
