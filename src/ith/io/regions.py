"""Named regions from a BED or TSV resource (driver genes or hotspots, clonal-haematopoiesis
genes), read by several stages."""

from __future__ import annotations

import pandas as pd

from ith.io.naming import resource_naming


def read_named_regions(path: str, what: str, reference: list[tuple[str, int]]) -> pd.DataFrame:
    """BED (chrom, start0, end[, name]) or TSV with header chrom/start/end[/name] (1-based), its
    contigs in the reference's naming (`what`: the config key, for messages). Columns chrom,
    start0, end, name (chrom:start-end when the file names none)."""
    with open(path) as fh:
        first = fh.readline().split("\t")
    if first[0].strip().lower() == "chrom":
        d = pd.read_csv(path, sep="\t", dtype={"chrom": str})
        d["start0"] = d["start"] - 1
    else:
        d = pd.read_csv(path, sep="\t", header=None, comment="#", dtype={0: str})
        d = d.rename(columns={0: "chrom", 1: "start0", 2: "end", 3: "name"})
    to_reference = resource_naming(path, what, reference, "bed").to_reference
    d["chrom"] = d["chrom"].map(lambda c: to_reference.get(c, c))
    if "name" not in d:
        d["name"] = d["chrom"] + ":" + (d["start0"] + 1).astype(str) + "-" + d["end"].astype(str)
    return d[["chrom", "start0", "end", "name"]]
