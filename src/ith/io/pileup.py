"""Allele depths from htslib, shared by every stage that counts alleles (qc identity, variants,
copy-number BAF): `bcftools mpileup` (bundled with pysam) filtered and flattened by `bcftools
query` in C, so Python only sees candidate sites, never every genome position."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pysam
import pysam.bcftools

INFO_FIELDS = ["RPBZ", "MQBZ", "BQBZ", "MQ0F", "SCBZ"]

Region = tuple[str, int, int]  # contig, start, end: 1-based, inclusive


def write_regions(path: str, regions: Sequence[Region]) -> None:
    """A tab-separated regions file for `-R`. Regions go to htslib in a file, never as
    `contig:start-end` strings: bcftools splits those at the first ':', so a legal contig name
    such as HLA-A*01:01:01:01 would be cut (and it does not take htslib's {name} braces)."""
    with open(path, "w") as fh:
        fh.writelines(f"{c}\t{s}\t{e}\n" for c, s, e in regions)


def region_label(regions: Sequence[Region], most: int = 4) -> str:
    """Regions for a log line, in htslib's notation ({name}:start-end where a name has ':'); more
    than `most` (an exome chunk's padded targets) as the first and last, their count and bases."""
    def one(r: Region) -> str:
        c, s, e = r
        return f"{{{c}}}:{s}-{e}" if ":" in c else f"{c}:{s}-{e}"

    if len(regions) > most:
        bases = sum(e - s + 1 for _, s, e in regions)
        return f"{one(regions[0])},...,{one(regions[-1])} ({len(regions)} regions, {bases} bp)"
    return ",".join(one(r) for r in regions)


@dataclass(frozen=True)
class PileupParams:
    min_mapq: int = 20
    min_baseq: int = 20
    max_depth: int = 100_000
    baq: bool = True


@dataclass
class SiteCounts:
    """Candidate sites (one alt allele each) and per-sample counts, arrays are (sites, samples)."""

    sites: pd.DataFrame  # chrom, pos, ref, alt, indel, n_alts, alt2_tumour, INFO fields
    samples: list[str]
    ref: np.ndarray
    alt: np.ndarray
    ref_fwd: np.ndarray
    ref_rev: np.ndarray
    alt_fwd: np.ndarray
    alt_rev: np.ndarray
    alt_qsum: np.ndarray  # sum of alt base qualities
    other: np.ndarray  # reads with any other allele

    def __len__(self) -> int:
        return len(self.sites)

    def subset(self, mask: np.ndarray) -> "SiteCounts":
        return SiteCounts(self.sites[mask].reset_index(drop=True), self.samples, *(a[mask] for a in self._arrays()))

    def _arrays(self):
        return (self.ref, self.alt, self.ref_fwd, self.ref_rev, self.alt_fwd, self.alt_rev, self.alt_qsum, self.other)


def mpileup(bams: list[str], fasta: str, out: str, params: PileupParams, targets: str | None = None,
            regions_file: str | None = None) -> None:
    args = ["-f", fasta, "-a", "FORMAT/AD,FORMAT/ADF,FORMAT/ADR,FORMAT/DP,FORMAT/QS", "-q", str(params.min_mapq),
            "-Q", str(params.min_baseq), "-d", str(params.max_depth), "-L", str(params.max_depth), "--ignore-RG",
            # indel candidate thresholds (-m, -F) per sample: pooled over many regions they drop an
            # indel that only one region carries
            "-p", "-Ou", "-o", out]
    if not params.baq:
        args.append("-B")
    if targets:
        args += ["-T", targets]
    if regions_file:
        args += ["-R", regions_file]
    pysam.bcftools.mpileup(*args, *bams, catch_stdout=False)


def query(bcf: str, n_samples: int, include: str | None) -> str:
    fmt = "%CHROM\t%POS\t%REF\t%ALT\t" + "\t".join(f"%INFO/{f}" for f in INFO_FIELDS) + "\t%INFO/INDEL"
    fmt += "".join(f"[\t%{t}]" for t in ("AD", "ADF", "ADR", "QS")) + "\n"
    args = ["-f", fmt]
    if include:
        args += ["-i", include]
    return pysam.bcftools.query(*args, bcf)


def _matrix(col: pd.Series, width: int) -> np.ndarray:
    """'3,1,0' strings -> (n, width) float array; missing entries are 0."""
    parts = col.str.split(",", expand=True).reindex(columns=range(width))
    return parts.apply(pd.to_numeric, errors="coerce").fillna(0.0).to_numpy(dtype=float)


def normalise(ref: str, alt: str) -> tuple[str, str, int]:
    """Trim an allele pair to its minimal VCF form (as bcftools norm): shared trailing bases, then
    shared leading bases beyond the anchor. Returns (ref, alt, shift of the position)."""
    while len(ref) > 1 and len(alt) > 1 and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    shift = 0
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, shift = ref[1:], alt[1:], shift + 1
    return ref, alt, shift


def _normalised_alleles(refs: np.ndarray, alt_names: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per site and alt: minimal (ref, alt) and position shift; only multi-base alleles need work."""
    n_ref = np.repeat(refs[:, None], alt_names.shape[1], axis=1).astype(object)
    n_alt = alt_names.astype(object).copy()
    shift = np.zeros(alt_names.shape, dtype=np.int64)
    rows = np.flatnonzero((pd.Series(refs).str.len().to_numpy() > 1) |
                          (np.vectorize(len)(alt_names) > 1).any(axis=1))
    for i in rows:
        for k, a in enumerate(alt_names[i]):
            if a in ("<*>", "*", ""):
                continue
            n_ref[i, k], n_alt[i, k], shift[i, k] = normalise(refs[i], a)
    return n_ref, n_alt, shift


def empty_counts(samples: list[str]) -> SiteCounts:
    n = len(samples)
    sites = pd.DataFrame({"chrom": pd.Series(dtype=str), "pos": pd.Series(dtype=int), "ref": pd.Series(dtype=str),
                          "alt": pd.Series(dtype=str), "indel": pd.Series(dtype=bool), "n_alts": pd.Series(dtype=int),
                          "alt2_tumour": pd.Series(dtype=float), **{f: pd.Series(dtype=float) for f in INFO_FIELDS}})
    z = np.zeros((0, n), dtype=np.int64)
    return SiteCounts(sites, samples, z, z, z, z, z, z, z.astype(float), z)


def parse_query(text: str, samples: list[str], tumour_idx: list[int],
                forced_alts: dict[tuple[str, int], tuple[str, str]] | None = None) -> SiteCounts:
    """One alt per site: the best supported in the tumours, or, when genotyping, the given one
    (counted 0 where no read shows it)."""
    n = len(samples)
    if not text.strip():
        return empty_counts(samples)
    names = ["chrom", "pos", "ref", "alts"] + INFO_FIELDS + ["indel"] + \
        [f"{t}{i}" for t in ("AD", "ADF", "ADR", "QS") for i in range(n)]
    df = pd.read_csv(io.StringIO(text), sep="\t", header=None, names=names, dtype=str, na_filter=False)
    alt_names = df["alts"].str.split(",", expand=True).fillna("<*>").to_numpy()
    width = alt_names.shape[1] + 1
    t = {k: np.stack([_matrix(df[f"{k}{i}"], width) for i in range(n)], axis=1) for k in ("AD", "ADF", "ADR", "QS")}
    ad = t["AD"]
    valid = ~np.isin(alt_names, ["<*>", "*", ""])
    idx = np.arange(len(df))
    support = ad[:, tumour_idx, 1:].sum(axis=1)
    pos = df["pos"].astype(int).to_numpy()
    n_ref, n_alt, shift = _normalised_alleles(df["ref"].to_numpy(dtype=object), alt_names)
    if forced_alts is None:
        masked = np.where(valid, support, -1.0)
        chosen = masked.argmax(axis=1) + 1
        keep = valid.any(axis=1)
        ref_out = n_ref[idx, chosen - 1]
        alt = n_alt[idx, chosen - 1]
        pos_out = pos + shift[idx, chosen - 1]
    else:
        want = [forced_alts.get((c, p)) for c, p in zip(df["chrom"], pos)]
        keep = np.array([w is not None for w in want])
        ref_out = np.array([w[0] if w is not None else "" for w in want], dtype=object)
        alt = np.array([w[1] if w is not None else "" for w in want], dtype=object)
        hit = valid & (n_alt == alt[:, None]) & (n_ref == ref_out[:, None]) & (shift == 0)
        chosen = np.where(hit.any(axis=1), hit.argmax(axis=1) + 1, 0)
        pos_out = pos
        # an indel's position has two records (its SNV record first): one row a site, the record
        # that shows the allele if any does
        rows = pd.DataFrame({"chrom": df["chrom"], "pos": pos, "matched": chosen > 0})[keep]
        best = rows.sort_values("matched", ascending=False, kind="stable").drop_duplicates(["chrom", "pos"])
        keep = np.zeros(len(df), dtype=bool)
        keep[best.index.to_numpy()] = True

    def pick(x: np.ndarray) -> np.ndarray:
        return np.where(chosen[:, None] > 0, x[idx, :, chosen], 0.0)

    ref = ad[:, :, 0]
    alt_counts = pick(ad)
    other = ad.sum(axis=2) - ref - alt_counts
    rest = np.where(valid, support, 0.0)  # tumour support of the alleles not chosen
    picked = chosen > 0
    rest[idx[picked], chosen[picked] - 1] = 0.0
    sites = pd.DataFrame({"chrom": df["chrom"], "pos": pos_out, "ref": ref_out, "alt": alt,
                          "indel": (df["indel"] == "1").to_numpy(), "n_alts": valid.sum(axis=1),
                          "alt2_tumour": rest.max(axis=1)})
    for f in INFO_FIELDS:
        sites[f] = pd.to_numeric(df[f].replace(".", None), errors="coerce")
    counts = SiteCounts(sites, samples, ref.astype(np.int64), alt_counts.astype(np.int64),
                        t["ADF"][:, :, 0].astype(np.int64), t["ADR"][:, :, 0].astype(np.int64),
                        pick(t["ADF"]).astype(np.int64), pick(t["ADR"]).astype(np.int64), pick(t["QS"]),
                        other.astype(np.int64))
    return counts.subset(keep)


def pileup_counts(bams: list[str], samples: list[str], fasta: str, params: PileupParams, tumour_idx: list[int],
                  regions: Sequence[Region] | None = None, include: str | None = None,
                  sites: pd.DataFrame | None = None, workdir: str | None = None,
                  visit: Sequence[Region] | None = None, jump: bool = False) -> SiteCounts:
    """Counts at candidate sites of some regions (discovery; the alt allele is the one best
    supported in the `tumour_idx` samples), or at given sites (genotyping, streaming -T; several
    alleles at one position are each counted). `visit`: within the regions, the only positions
    the pileup looks at (-T; ith.io.candidates), none when empty. `jump`: reach each given site
    through the index (-R of the sites, as well as -T), the same counts for sites sparse enough
    that the reads the index makes mpileup decode around them are fewer than the whole file's."""
    if sites is not None:
        if sites.empty:
            return empty_counts(samples)
        sites = sites[["chrom", "pos", "ref", "alt"]].drop_duplicates()
        rounds = sites.groupby(["chrom", "pos"]).cumcount()
        parts = [_pileup(bams, samples, fasta, params, tumour_idx, None, None, sites[rounds == k], workdir, jump=jump)
                 for k in sorted(rounds.unique())]
        return concat_counts(parts, samples) if len(parts) > 1 else parts[0]
    if visit is not None and not len(visit):
        return empty_counts(samples)
    return _pileup(bams, samples, fasta, params, tumour_idx, regions, include, None, workdir, visit)


def concat_counts(parts: list[SiteCounts], samples: list[str]) -> SiteCounts:
    sites = pd.concat([p.sites for p in parts], ignore_index=True)
    arrays = [np.concatenate([a for a in arrs]) for arrs in zip(*(p._arrays() for p in parts))]
    return SiteCounts(sites, samples, *arrays)


def _pileup(bams, samples, fasta, params, tumour_idx, regions, include, sites, workdir, visit=None,
            jump=False) -> SiteCounts:
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        bcf = os.path.join(tmp, "pileup.bcf")
        targets = forced = regions_file = None
        if regions is not None:
            regions_file = os.path.join(tmp, "regions.tsv")
            write_regions(regions_file, regions)
        if visit is not None:
            targets = os.path.join(tmp, "visit.tsv")
            write_regions(targets, visit)
        if sites is not None:
            targets = os.path.join(tmp, "sites.tsv")
            sites[["chrom", "pos"]].to_csv(targets, sep="\t", header=False, index=False)
            forced = {(c, int(p)): (r, a) for c, p, r, a in sites[["chrom", "pos", "ref", "alt"]].itertuples(index=False)}
            if jump:
                regions_file = os.path.join(tmp, "regions.tsv")
                write_regions(regions_file, [(c, int(p), int(p)) for c, p in sites[["chrom", "pos"]].itertuples(index=False)])
        mpileup(bams, fasta, bcf, params, targets=targets, regions_file=regions_file)
        text = query(bcf, len(bams), include)
    return parse_query(text, samples, tumour_idx, forced)
