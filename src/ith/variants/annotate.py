"""Look-ups of candidate sites in optional resources: a population germline VCF (AF), a panel of
normals, and a BED/TSV of driver genes or hotspots."""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pandas as pd
import pysam
import pysam.bcftools

from ith.io.naming import ContigMap
from ith.io.pileup import normalise
from ith.io.regions import read_named_regions


def vcf_lookup(sites: pd.DataFrame, vcf: str, info_af: bool, names: ContigMap) -> np.ndarray:
    """Per site: the resource's AF of the same (normalised) allele if info_af, else 1.0 when the
    allele is listed; NaN/0 otherwise. One indexed `bcftools query -R` pass, in C, with the
    regions in the resource's naming (`names`: its contigs in the reference's naming)."""
    out = np.full(len(sites), np.nan if info_af else 0.0)
    if not len(sites):
        return out
    to_resource = names.to_resource
    wanted = sites.loc[sites["chrom"].isin(to_resource), ["chrom", "pos"]].drop_duplicates()
    if wanted.empty:
        return out
    with tempfile.TemporaryDirectory() as tmp:
        regions = os.path.join(tmp, "sites.tsv")
        wanted.assign(chrom=wanted["chrom"].map(to_resource), end=wanted["pos"]).to_csv(
            regions, sep="\t", header=False, index=False)
        fmt = "%CHROM\t%POS\t%REF\t%ALT\t" + ("%INFO/AF" if info_af else ".") + "\n"
        text = pysam.bcftools.query("-R", regions, "-f", fmt, vcf)
    to_reference = names.to_reference
    found: dict[tuple[str, int, str, str], float] = {}
    for line in text.splitlines():
        chrom, pos, ref, alts, afs = line.split("\t")
        chrom = to_reference[chrom]
        af_list = afs.split(",")
        for k, alt in enumerate(alts.split(",")):
            r, a, shift = normalise(ref, alt)
            af = af_list[k] if k < len(af_list) else "."
            value = float(af) if info_af and af not in (".", "") else (np.nan if info_af else 1.0)
            key = (chrom, int(pos) + shift, r, a)
            found[key] = np.nanmax([found.get(key, np.nan), value])
    keys = zip(sites["chrom"], sites["pos"].astype(int), sites["ref"], sites["alt"])
    hits = [found.get(k) for k in keys]
    return np.array([out[i] if h is None else h for i, h in enumerate(hits)], dtype=float)


def read_drivers(path: str, reference: list[tuple[str, int]]) -> pd.DataFrame:
    """BED (chrom, start0, end[, name]) or TSV with header chrom/start/end[/name] (1-based), its
    contigs in the reference's naming."""
    return read_named_regions(path, "variants.drivers", reference)


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
