"""Per-sample BAM metrics from one `samtools stats` pass (htslib, bundled with pysam).

Two invocations share nothing but the file: counts (reads, mapped, duplicates, MAPQ) come from
all primary reads; depth comes from a run that drops duplicates and reads below the MAPQ
threshold, as mosdepth and GATK do when they report coverage.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field

import numpy as np
import pysam

from ith.errors import InputError
from ith.io.alignments import is_cram
from ith.io.naming import bed_in_reference_naming, resource_naming
from ith.io.reference import contig_class, is_autosome, read_fai

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


def _sections(text: str) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            f = line.split("\t")
            out.setdefault(f[0], []).append(f[1:])
    return out


def _summary(sn: list[list[str]]) -> dict[str, float]:
    return {f[0].rstrip(":"): float(f[1]) for f in sn}


def samtools_stats(bam: str, fasta: str, *args: str) -> dict[str, list[list[str]]]:
    try:
        return _sections(pysam.samtools.stats("--reference", fasta, *args, bam))
    except pysam.utils.SamtoolsError as e:
        # name the file: samtools' own message ("Failure while decoding file") does not; a CRAM
        # also fails so when the FASTA is not the one it was written against
        if is_cram(bam):
            raise InputError(f"cannot read '{bam}' against the reference '{fasta}': samtools stats failed "
                             f"({str(e).strip()}); the CRAM must be intact and written against that FASTA (config "
                             f"reference.fasta); check with: samtools view -T {fasta} -o /dev/null {bam}") from None
        raise InputError(f"cannot read '{bam}': samtools stats failed ({str(e).strip()}); the BAM is corrupt or "
                         f"truncated inside; check it with: samtools view -c {bam}") from None


def non_n_lengths(fasta: str) -> dict[str, int]:
    """Bases that are not N, per contig (one scan of the FASTA)."""
    out = {}
    with pysam.FastaFile(fasta) as fa:
        for name in fa.references:
            seq = fa.fetch(name)
            out[name] = len(seq) - seq.count("N") - seq.count("n")
    return out


def assay_length(lengths: dict[str, int], targets: str | None = None) -> int:
    """Bases the depth is averaged over: target bases, or the non-N genome."""
    if not targets:
        return sum(lengths.values())
    total = 0
    with open(targets) as fh:
        for line in fh:
            if line.strip() and not line.startswith(("#", "track", "browser")):
                f = line.split("\t")
                total += int(f[2]) - int(f[1])
    return total


def depth_summary(cov: list[list[str]], n_positions: int) -> dict[str, float]:
    """Mean and median depth from the COV histogram; positions absent from it have depth 0."""
    depth = np.array([int(f[1]) for f in cov], dtype=np.int64)
    count = np.array([int(f[2]) for f in cov], dtype=np.int64)
    zero = max(0, n_positions - int(count.sum()))
    depth = np.concatenate([[0], depth])
    count = np.concatenate([[zero], count])
    total = count.sum()
    if total == 0:
        return {"mean_depth": 0.0, "median_depth": 0.0, "fraction_10x": 0.0, "fraction_30x": 0.0}
    cum = np.cumsum(count)
    return {
        "mean_depth": round(float((depth * count).sum() / total), 3),
        "median_depth": float(depth[np.searchsorted(cum, (total + 1) / 2)]),
        "fraction_10x": round(float(count[depth >= 10].sum() / total), 4),
        "fraction_30x": round(float(count[depth >= 30].sum() / total), 4),
    }


def fragment_summary(insert: list[list[str]], max_insert: int, short: int) -> dict:
    sizes = np.array([int(f[0]) for f in insert], dtype=np.int64)
    pairs = np.array([int(f[2]) for f in insert], dtype=np.int64)  # inward-oriented (FR) pairs
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


def mapq_summary(mapq: list[list[str]], n_mapped: float) -> dict:
    q = np.array([int(f[0]) for f in mapq], dtype=np.int64)
    c = np.array([int(f[1]) for f in mapq], dtype=np.int64)
    total = c.sum()
    if total == 0:
        return {"mapq_mean": None, "fraction_mapq0": None, "fraction_mapq_ge30": None}
    return {
        "mapq_mean": round(float((q * c).sum() / total), 2),
        "fraction_mapq0": round(float(c[q == 0].sum() / total), 4),
        "fraction_mapq_ge30": round(float(c[q >= 30].sum() / total), 4),
    }


def infer_sex(bam: str, lengths: dict[str, int], params: QcParams) -> dict:
    """Sex from read density on X and Y relative to the autosomes (from the BAM index)."""
    stats = pysam.idxstats(bam)
    mapped = {f.split("\t")[0]: int(f.split("\t")[2]) for f in stats.splitlines() if f and not f.startswith("*")}
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
              targets: str | None = None, declared_sex: str | None = None) -> dict:
    counts = samtools_stats(bam, fasta, "-i", str(params.max_insert * 2))
    sn = _summary(counts["SN"])
    dargs = ["-d", "-q", str(params.min_mapq), "-c", f"1,{params.max_depth_bin},1"]
    with tempfile.TemporaryDirectory() as tmp:
        if targets:
            # samtools reads the BED itself: hand it a copy in the reference's naming when it differs
            naming = resource_naming(targets, "assay.targets", read_fai(fasta, "reference"), "bed")
            dargs += ["-t", bed_in_reference_naming(targets, naming, tmp)]
        depth = samtools_stats(bam, fasta, *dargs)
    lengths = non_n_lengths(fasta)
    reads = sn.get("raw total sequences", 0.0)
    mapped = sn.get("reads mapped", 0.0)
    result = {
        "patient": patient,
        "sample": sample,
        "bam": bam,
        "reads": int(reads),
        "mapped_reads": int(mapped),
        "mapped_percent": round(100 * mapped / reads, 3) if reads else 0.0,
        "duplicate_percent": round(100 * sn.get("reads duplicated", 0.0) / mapped, 3) if mapped else 0.0,
        "properly_paired_percent": round(100 * sn.get("reads properly paired", 0.0) / mapped, 3) if mapped else 0.0,
        "read_length_mean": sn.get("average length"),
        "base_quality_mean": sn.get("average quality"),
        "error_rate": sn.get("error rate"),
        **mapq_summary(counts.get("MAPQ", []), mapped),
        "depth_min_mapq": params.min_mapq,
        "assay_bases": assay_length(lengths, targets),
    }
    result.update(depth_summary(depth.get("COV", []), result["assay_bases"]))
    result.update(fragment_summary(counts.get("IS", []), params.max_insert, params.short_fragment))
    result["short_fragment_bp"] = params.short_fragment
    sex = infer_sex(bam, lengths, params)
    result.update(sex)
    result["declared_sex"] = declared_sex
    result["sex_mismatch"] = bool(declared_sex and sex["sex"] != "unknown" and sex["sex"] != declared_sex)
    return result
