"""Per-sample BAM/CRAM metrics (rule qc_sample) from one compiled pass over the records
(ith.qc.onepass): counts, MAPQ, fragment sizes, base quality, error rate, the depth histogram
over the assay and the reads per contig that tell the sex. `samtools_qc` keeps the previous
method (two `samtools stats` passes and `samtools idxstats`) as the benchmark's baseline.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field

import numba
import numpy as np
import pysam

from ith.errors import InputError
from ith.io.naming import bed_in_reference_naming, resource_naming
from ith.io.reference import contig_class, is_autosome, read_fai
from ith.io.sitecount import SiteCounter
from ith.qc.onepass import qc_pass

@dataclass(frozen=True)
class SexParams:
    """`qc.sex`: X and Y depth, relative to the autosomes, that tell the sexes apart."""
    male_max_x: float = 0.75
    male_min_y: float = 0.15
    female_max_y: float = 0.05


@dataclass(frozen=True)
class QcParams:
    """The `qc` section but its `identity` sub-section (ith.qc.identity.IdentityParams)."""
    min_mapq: int = 20
    max_depth_bin: int = 10_000
    max_insert: int = 1_000
    short_fragment: int = 150
    sex: SexParams = field(default_factory=SexParams)


# the FASTA is scanned in pieces of this many bases: chr1 whole would be 500 MB of str and bytes
FASTA_PIECE = 1 << 24


def non_n_intervals(fasta: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per contig, the runs of bases that are not N (0-based, half-open): the WGS assay."""
    out = {}
    with pysam.FastaFile(fasta) as fa:
        for name, length in zip(fa.references, fa.lengths):
            runs = [_non_n_runs(np.frombuffer(fa.fetch(name, at, at + FASTA_PIECE).encode("ascii"), np.uint8))
                    for at in range(0, length, FASTA_PIECE)]
            offsets = range(0, length, FASTA_PIECE)
            s = np.concatenate([r[0] + at for r, at in zip(runs, offsets)] or [np.zeros(0, np.int64)])
            e = np.concatenate([r[1] + at for r, at in zip(runs, offsets)] or [np.zeros(0, np.int64)])
            # runs within a piece are apart (an N between them); runs that touch were cut by a piece's end
            cut = e[:-1] == s[1:]
            out[name] = (s[np.concatenate([[True], ~cut])], e[np.concatenate([~cut, [True]])]) if len(s) else (s, e)
    return out


@numba.njit(cache=True)
def _non_n_runs(seq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = 0
    prev = False
    for b in seq:
        base = b != 78 and b != 110  # N, n
        if base and not prev:
            n += 1
        prev = base
    starts = np.empty(n, dtype=np.int64)
    ends = np.empty(n, dtype=np.int64)
    k = -1
    prev = False
    for i in range(len(seq)):
        base = seq[i] != 78 and seq[i] != 110
        if base and not prev:
            k += 1
            starts[k] = i
        if base:
            ends[k] = i + 1
        prev = base
    return starts, ends


def target_intervals(targets: str, fasta: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The capture targets, in the reference's naming, merged where they overlap (a base counts
    once); a line that is no BED interval of the reference stops with its file and line."""
    # imported here: pandas, which reads the BED, would add ~0.4 CPU s to every WGS job's start
    from ith.io.targets import read_targets

    contigs = read_fai(fasta, "reference")
    df = read_targets(targets, contigs, contigs)
    return {c: (g["start"].to_numpy(np.int64), g["end"].to_numpy(np.int64))
            for c, g in df.groupby("chrom", sort=False)}


def depth_summary(hist: np.ndarray) -> dict[str, float]:
    """Mean and median depth, fraction >= 10x and >= 30x, from positions per depth (hist[d]:
    positions at depth d; its last bin, at most the depth the histogram holds, has those above)."""
    depth = np.arange(len(hist), dtype=np.int64)
    total = int(hist.sum())
    if total == 0:
        return {"mean_depth": 0.0, "median_depth": 0.0, "fraction_10x": 0.0, "fraction_30x": 0.0}
    cum = np.cumsum(hist)
    return {
        "mean_depth": round(float((depth * hist).sum() / total), 3),
        "median_depth": float(depth[np.searchsorted(cum, (total + 1) / 2)]),
        "fraction_10x": round(float(hist[10:].sum() / total), 4),
        "fraction_30x": round(float(hist[30:].sum() / total), 4),
    }


def fragment_summary(pairs: np.ndarray, max_insert: int, short: int) -> dict:
    """Mode, median, mean and the fraction shorter than `short` of the fragment sizes; pairs[s]:
    inward-oriented pairs of size s (sizes 1..max_insert count)."""
    sizes = np.arange(len(pairs), dtype=np.int64)
    keep = (sizes > 0) & (sizes <= max_insert)
    sizes, pairs = sizes[keep], pairs[keep]
    n = int(pairs.sum())
    if n == 0:
        return {"fragment_pairs": 0, "fragment_mode": None, "fragment_median": None, "fragment_mean": None,
                "fraction_short_fragments": None, "fragment_histogram": []}
    cum = np.cumsum(pairs)
    return {
        "fragment_pairs": n,
        "fragment_mode": int(sizes[np.argmax(pairs)]),
        "fragment_median": int(sizes[np.searchsorted(cum, (n + 1) / 2)]),
        "fragment_mean": round(float((sizes * pairs).sum() / n), 2),
        "fraction_short_fragments": round(float(pairs[sizes < short].sum() / n), 4),
        "fragment_histogram": [[int(s), int(c)] for s, c in zip(sizes, pairs) if c > 0],
    }


def mapq_summary(hist: np.ndarray) -> dict:
    """Mean MAPQ, fractions at 0 and >= 30; hist[q]: reads at MAPQ q."""
    q = np.arange(len(hist), dtype=np.int64)
    total = hist.sum()
    if total == 0:
        return {"mapq_mean": None, "fraction_mapq0": None, "fraction_mapq_ge30": None}
    return {
        "mapq_mean": round(float((q * hist).sum() / total), 2),
        "fraction_mapq0": round(float(hist[0] / total), 4),
        "fraction_mapq_ge30": round(float(hist[30:].sum() / total), 4),
    }


def infer_sex(mapped: dict[str, int], lengths: dict[str, int], params: QcParams) -> dict:
    """Sex from read density on X and Y relative to the autosomes: `mapped` records per contig
    (what samtools idxstats counts), `lengths` the contigs' bases that are not N."""
    auto = [n for n in mapped if is_autosome(n) and lengths.get(n, 0) > 0]
    x = next((n for n in mapped if contig_class(n) == "X"), None)
    y = next((n for n in mapped if contig_class(n) == "Y"), None)
    if not auto or x is None:
        return {"sex": "unknown", "x_ratio": None, "y_ratio": None, "sex_note": "no autosomes or chrX recognised"}
    density = sum(mapped[n] for n in auto) / sum(lengths[n] for n in auto)
    if density == 0:
        return {"sex": "unknown", "x_ratio": None, "y_ratio": None, "sex_note": "no reads on the autosomes"}
    xr = mapped[x] / max(lengths[x], 1) / density
    yr = mapped[y] / max(lengths[y], 1) / density if y is not None and lengths.get(y) else None
    # Y decides where the reference has it: X depth moves with tumour aneuploidy and GC bias.
    note = ""
    if yr is not None and yr >= params.sex.male_min_y:
        sex = "male"
        if xr > params.sex.male_max_x:
            note = "Y present but X not reduced (XXY, X gain, or contamination?)"
    elif yr is not None and yr <= params.sex.female_max_y:
        sex = "female"
        if xr <= params.sex.male_max_x:
            note = "no Y but X reduced (X loss in the tumour, or 45,X?)"
    elif yr is None:
        sex = "male" if xr <= params.sex.male_max_x else "female"
        note = "no chrY in the reference; sex from X depth alone"
    else:
        sex = "unknown"
        note = "Y depth between the male and female thresholds (contamination or a mixed sample?)"
    return {"sex": sex, "x_ratio": round(xr, 3), "y_ratio": round(yr, 3) if yr is not None else None, "sex_note": note}


def sample_qc(bam: str, fasta: str, sample: str, patient: str, params: QcParams = QcParams(),
              targets: str | None = None, declared_sex: str | None = None, sites: SiteCounter | None = None
              ) -> dict:
    """The QC metrics of one BAM/CRAM (a CRAM decoded against `fasta`), from one pass over it;
    `sites` (the identity SNPs' counter) is handed the same records."""
    non_n = non_n_intervals(fasta)
    lengths = {c: int(np.sum(e - s)) for c, (s, e) in non_n.items()}
    assay = target_intervals(targets, fasta) if targets else non_n
    n = qc_pass(bam, assay, params.min_mapq, params.max_insert, params.max_depth_bin, reference=fasta, sites=sites)
    return _result(
        patient, sample, bam, params, declared_sex, reads=n.reads, mapped=n.mapped, duplicates=n.duplicates,
        proper=n.properly_paired,
        read_length=round(n.read_length_mean, 2) if n.read_length_mean is not None else None,
        base_quality=round(n.base_quality_mean, 2) if n.base_quality_mean is not None else None,
        error_rate=float(f"{n.error_rate:.6e}") if n.error_rate is not None else None,
        mapq_hist=n.mapq_hist, depth_hist=n.depth_hist, insert_hist=n.insert_hist,
        assay_bases=int(sum(int(np.sum(e - s)) for s, e in assay.values())),
        mapped_per_contig=n.mapped_per_contig, lengths=lengths)


def _result(patient: str, sample: str, bam: str, params: QcParams, declared_sex: str | None, *, reads: int,
            mapped: int, duplicates: int, proper: int, read_length: float | None, base_quality: float | None,
            error_rate: float | None, mapq_hist: np.ndarray, depth_hist: np.ndarray, insert_hist: np.ndarray,
            assay_bases: int, mapped_per_contig: dict[str, int], lengths: dict[str, int]) -> dict:
    """The JSON of rule qc_sample (docs/outputs.md), in its key order."""
    result = {
        "patient": patient,
        "sample": sample,
        "bam": bam,
        "reads": reads,
        "mapped_reads": mapped,
        "mapped_percent": round(100 * mapped / reads, 3) if reads else 0.0,
        "duplicate_percent": round(100 * duplicates / mapped, 3) if mapped else 0.0,
        "properly_paired_percent": round(100 * proper / mapped, 3) if mapped else 0.0,
        "read_length_mean": read_length,
        "base_quality_mean": base_quality,
        "error_rate": error_rate,
        **mapq_summary(mapq_hist),
        "depth_min_mapq": params.min_mapq,
        "assay_bases": assay_bases,
    }
    result.update(depth_summary(depth_hist))
    result.update(fragment_summary(insert_hist, params.max_insert, params.short_fragment))
    result["short_fragment_bp"] = params.short_fragment
    sex = infer_sex(mapped_per_contig, lengths, params)
    result.update(sex)
    result["declared_sex"] = declared_sex
    result["sex_mismatch"] = bool(declared_sex and sex["sex"] != "unknown" and sex["sex"] != declared_sex)
    return result


# -- the previous method, two `samtools stats` passes and `samtools idxstats`: the benchmark's
# baseline (bench/qc.py) and the reference the one pass is tested against (tests/test_qc.py) --

def _sections(text: str) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            f = line.split("\t")
            out.setdefault(f[0], []).append(f[1:])
    return out


def samtools_stats(bam: str, fasta: str, *args: str) -> dict[str, list[list[str]]]:
    """The sections of `samtools stats` (htslib, in-process via pysam), keyed by their tag."""
    try:
        return _sections(pysam.samtools.stats("--reference", fasta, *args, bam))
    except pysam.utils.SamtoolsError as e:
        raise InputError(f"cannot read '{bam}': samtools stats failed ({str(e).strip()})") from None


def _histogram(rows: list[list[str]], value: int, size: int) -> np.ndarray:
    """A samtools stats section (first column an integer key) as counts per key; keys beyond
    the last bin go to it."""
    out = np.zeros(size, dtype=np.int64)
    for f in rows:
        out[min(int(f[0]), size - 1)] += int(f[value])
    return out


def samtools_qc(bam: str, fasta: str, sample: str, patient: str, params: QcParams = QcParams(),
                targets: str | None = None, declared_sex: str | None = None) -> dict:
    """sample_qc as it was computed before the one pass: `samtools stats` for the counts,
    again with -d (duplicates dropped; its -q is BWA's trimming quality, not a MAPQ filter, so
    no MAPQ threshold applied) for the depth histogram, `samtools idxstats` for the sex."""
    counts = samtools_stats(bam, fasta, "-i", str(params.max_insert * 2))
    sn = {f[0].rstrip(":"): float(f[1]) for f in counts["SN"]}
    dargs = ["-d", "-q", str(params.min_mapq), "-c", f"1,{params.max_depth_bin},1"]
    with tempfile.TemporaryDirectory() as tmp:
        if targets:
            # samtools reads the BED itself: hand it a copy in the reference's naming when it differs
            naming = resource_naming(targets, "assay.targets", read_fai(fasta, "reference"), "bed")
            dargs += ["-t", bed_in_reference_naming(targets, naming, tmp)]
        depth = samtools_stats(bam, fasta, *dargs)
    non_n = non_n_intervals(fasta)
    lengths = {c: int(np.sum(e - s)) for c, (s, e) in non_n.items()}
    if targets:
        assay_bases = 0
        with open(targets) as fh:
            for line in fh:
                if line.strip() and not line.startswith(("#", "track", "browser")):
                    f = line.split("\t")
                    assay_bases += int(f[2]) - int(f[1])
    else:
        assay_bases = sum(lengths.values())
    # COV: [range] depth positions; positions it does not list have depth 0
    depth_hist = _histogram([f[1:] for f in depth.get("COV", [])], 1, params.max_depth_bin + 1)
    depth_hist[0] = max(0, assay_bases - int(depth_hist[1:].sum()))
    stats = pysam.idxstats(bam)
    mapped_per_contig = {f.split("\t")[0]: int(f.split("\t")[2]) for f in stats.splitlines()
                         if f and not f.startswith("*")}
    return _result(
        patient, sample, bam, params, declared_sex, reads=int(sn.get("raw total sequences", 0)),
        mapped=int(sn.get("reads mapped", 0)), duplicates=int(sn.get("reads duplicated", 0)),
        proper=int(sn.get("reads properly paired", 0)), read_length=sn.get("average length"),
        base_quality=sn.get("average quality"), error_rate=sn.get("error rate"),
        mapq_hist=_histogram(counts.get("MAPQ", []), 1, 256), depth_hist=depth_hist,
        # IS: size, all pairs, inward (FR) pairs, outward, other
        insert_hist=_histogram(counts.get("IS", []), 2, params.max_insert * 2 + 1), assay_bases=assay_bases,
        mapped_per_contig=mapped_per_contig, lengths=lengths)
