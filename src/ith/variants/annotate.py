"""Look-ups of candidate sites in optional resources: a population germline VCF (AF), a panel of
normals, and a BED/TSV of driver genes or hotspots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pysam


def vcf_lookup(sites: pd.DataFrame, vcf: str, info_af: bool) -> np.ndarray:
    """Per site: the resource's AF of the same alt allele (info_af) or 1.0 if listed (else 0/NaN)."""
    out = np.full(len(sites), np.nan if info_af else 0.0)
    if not len(sites):
        return out
    with pysam.VariantFile(vcf) as fh:
        contigs = set(fh.header.contigs)
        for i, (chrom, pos, ref, alt) in enumerate(sites[["chrom", "pos", "ref", "alt"]].itertuples(index=False)):
            if chrom not in contigs:
                continue
            for rec in fh.fetch(chrom, pos - 1, pos):
                if rec.pos != pos or rec.ref != ref or not rec.alts or alt not in rec.alts:
                    continue
                if info_af:
                    af = rec.info.get("AF")
                    if isinstance(af, tuple):
                        af = af[rec.alts.index(alt)]
                    out[i] = np.nanmax([out[i], af if af is not None else np.nan])
                else:
                    out[i] = 1.0
    return out


def read_drivers(path: str) -> pd.DataFrame:
    """BED (chrom, start0, end[, name]) or TSV with header chrom/start/end[/name] (1-based)."""
    with open(path) as fh:
        first = fh.readline().split("\t")
    if first[0].strip().lower() == "chrom":
        d = pd.read_csv(path, sep="\t", dtype={"chrom": str})
        d["start0"] = d["start"] - 1
    else:
        d = pd.read_csv(path, sep="\t", header=None, comment="#", dtype={0: str})
        d = d.rename(columns={0: "chrom", 1: "start0", 2: "end", 3: "name"})
    if "name" not in d:
        d["name"] = d["chrom"] + ":" + (d["start0"] + 1).astype(str) + "-" + d["end"].astype(str)
    return d[["chrom", "start0", "end", "name"]]


def driver_labels(sites: pd.DataFrame, drivers: pd.DataFrame) -> list[str]:
    out = []
    for chrom, pos in sites[["chrom", "pos"]].itertuples(index=False):
        hit = drivers[(drivers["chrom"] == chrom) & (drivers["start0"] < pos) & (drivers["end"] >= pos)]
        out.append(",".join(hit["name"].astype(str)))
    return out


def vcf_sites(path: str) -> pd.DataFrame:
    """Every (chrom, pos, ref, alt) of a VCF, one row per alt allele."""
    rows = []
    with pysam.VariantFile(path) as fh:
        for rec in fh:
            for alt in rec.alts or ():
                if not alt.startswith("<") and "[" not in alt and "]" not in alt:
                    rows.append((rec.chrom, rec.pos, rec.ref, alt))
    return pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt"]).drop_duplicates().reset_index(drop=True)
