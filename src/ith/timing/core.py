"""Timing of copy-number gains and whole-genome doubling from the multiplicity of clonal mutations
(docs/methods/timing.md).

A clonal mutation in a segment where an allele went from 1 to 2 copies carries 2 copies when it
arose before the gain (early) and 1 copy when it arose after it or on the other allele (late).
Its reads, the region's purity and the segment's copy number give the posterior probability of
each multiplicity; the share of early mutations in a segment gives the gain's relative time on
the clock of the mutations (0: at the first clonal mutation, 1: at the last), as MutationTimeR
and PhylogicNDT time gains. Each copy-number state of a segment is also scoped truncal (every
region), shared (some) or private (one).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from ith.io.mutations import split_ids

CLOCKS = ("copies", "sites")

# Expected counts as functions of the gain's time t on the clock: E[n_early] = a t and
# E[n_all] = b + c t (per unit of mutation rate), so t = b n_early / (a n_all - c n_early).
# copies: mutations accrue per copy of the DNA (MutationTimeR's model); sites: per base whatever
# the copy number, split evenly between the alleles present (the simulator's model).
COEFFICIENTS = {
    ("copies", "gain"): (1.0, 3.0, -1.0),  # 1+1 -> 2+1
    ("copies", "cnloh"): (1.0, 2.0, -1.0),  # 1+1 -> 1+0 (or copy-neutral) -> 2+0
    ("copies", "wgd"): (1.0, 2.0, -1.0),  # 1+1 -> 2+2
    ("sites", "gain"): (0.5, 1.0, 0.0),
    ("sites", "cnloh"): (0.5, 1.0, -0.5),
    ("sites", "wgd"): (1.0, 1.0, 0.0),
}

SEGMENT_COLUMNS = ["patient", "segment", "chrom", "start", "end", "major_cn", "minor_cn", "event", "timeable",
                   "regions", "n_regions", "scope", "n_mutations", "n_early", "n_late", "expected_early",
                   "time", "low", "high"]
MUTATION_COLUMNS = ["patient", "mutation_id", "segment", "event", "major_cn", "minor_cn", "regions",
                    "alt_counts", "depth", "p_early", "call"]


@dataclass(frozen=True)
class TimingParams:
    min_mutations: int = 10  # clonal SNVs a segment needs for a time
    bootstrap: int = 500  # resamples for the interval
    interval: float = 0.95
    seed: int = 1
    clock: str = "copies"
    seq_error: float = 0.001
    early_threshold: float = 0.5

    @classmethod
    def from_config(cls, cfg: dict | None) -> "TimingParams":
        names = {f.name for f in fields(cls)}
        params = cls(**{k: v for k, v in (cfg or {}).items() if k in names})
        if params.clock not in CLOCKS:
            raise ValueError(f"timing.clock must be one of {CLOCKS}, not {params.clock!r}")
        return params


def event_of(major: int, minor: int, normal: int, wgd: bool) -> tuple[str | None, bool]:
    """(event, timeable) of a segment's state in a region: None where it is the region's
    baseline (1+1, or 2+2 after a doubling... which is the doubling itself) or not diploid in the
    germline (male X and Y). Timeable: one allele went from 1 to 2 copies (2+1 and 2+0 without a
    doubling; 2+2 with one)."""
    if normal != 2:
        return None, False
    if wgd:
        if (major, minor) == (2, 2):
            return "wgd", True
        base = 4
    else:
        if (major, minor) == (1, 1):
            return None, False
        if (major, minor) == (2, 1):
            return "gain", True
        if (major, minor) == (2, 0):
            return "cnloh", True
        base = 2
    total = major + minor
    if total > base:
        return "gain", False
    if total < base:
        return "loss", False
    return ("cnloh" if minor == 0 else "imbalance"), False


def multiplicity_posterior(alt: np.ndarray, depth: np.ndarray, purity: np.ndarray, total: np.ndarray,
                           normal: np.ndarray, max_m: int, err: float) -> np.ndarray:
    """(n, max_m) log-likelihoods of multiplicity 1..max_m of clonal mutations (binomial reads;
    VAF = purity m / (purity total + (1 - purity) normal))."""
    m = np.arange(1, max_m + 1)[None, :]
    den = purity[:, None] * total[:, None] + (1 - purity[:, None]) * normal[:, None]
    vaf = np.clip(purity[:, None] * m / den, err, 1 - err)
    return alt[:, None] * np.log(vaf) + (depth - alt)[:, None] * np.log1p(-vaf)


def gain_time(n_early: float, n_all: float, event: str, clock: str) -> float:
    """The gain's relative time from the (expected) early and all mutation counts."""
    a, b, c = COEFFICIENTS[(clock, event)]
    den = a * n_all - c * n_early
    if n_all <= 0 or den <= 0:
        return float("nan")
    return float(np.clip(b * n_early / den, 0.0, 1.0))


def time_interval(p_early: np.ndarray, event: str, params: TimingParams, key: list[int]) -> tuple[float, float, float]:
    """(time, low, high): the estimate from the expected early count and a bootstrap interval
    (mutations resampled, each early with its probability)."""
    n = len(p_early)
    t = gain_time(float(p_early.sum()), n, event, params.clock)
    if n == 0 or params.bootstrap <= 0:
        return t, float("nan"), float("nan")
    rng = np.random.default_rng([params.seed, *key])
    idx = rng.integers(0, n, (params.bootstrap, n))
    early = (rng.random((params.bootstrap, n)) < p_early[idx]).sum(axis=1)
    boot = np.array([gain_time(float(e), n, event, params.clock) for e in early])
    q = (1 - params.interval) / 2
    boot = boot[np.isfinite(boot)]
    if not len(boot):
        return t, float("nan"), float("nan")
    return t, float(np.quantile(boot, q)), float(np.quantile(boot, 1 - q))


def _scope(n: int, n_regions: int) -> str:
    if n == n_regions:
        return "truncal"
    return "private" if n == 1 else "shared"


def time_patient(mutations: pd.DataFrame, segments: pd.DataFrame, wgd: dict[str, bool], regions: list[str],
                 params: TimingParams, patient: str) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(segments, mutations, metrics). mutations: the clonal stage's mutations.tsv (mutation_id,
    sample, alt_counts, depth, major_cn, minor_cn, normal_cn, purity, call; indel optional);
    segments: the copy-number stage's segments.tsv (sample, chrom, start, end, major_cn,
    minor_cn; subclonal, allele_specific and normal_cn when present, else the germline copies of
    each contig from the mutations' normal_cn); wgd: per region."""
    seg = segments[segments["sample"].astype(str).isin(regions)].copy()
    if "normal_cn" not in seg.columns:  # the copy-number stage's segments: the germline copies from the mutations
        normal = mutations.assign(chrom=split_ids(mutations["mutation_id"])["chrom"].to_numpy()).groupby("chrom")["normal_cn"]
        known = seg["chrom"].astype(str).map(normal.agg(lambda x: x.mode().iloc[0]))
        sex = seg["chrom"].astype(str).str.upper().str.removeprefix("CHR").isin(["X", "Y"])
        seg["normal_cn"] = known.where(known.notna() | sex, 2)  # X and Y without mutations: unknown, left out
    seg = seg.dropna(subset=["major_cn", "minor_cn", "normal_cn"])
    seg = seg.astype({"major_cn": int, "minor_cn": int, "normal_cn": int, "start": int, "end": int})
    units: dict[tuple, list[str]] = {}
    for r in seg.itertuples(index=False):
        is_doubled = bool(wgd.get(str(r.sample), False))
        event, timeable = event_of(r.major_cn, r.minor_cn, r.normal_cn, is_doubled)
        # a state of only some tumour cells, or a total copy number split by a guess, is not timed
        if _truthy(getattr(r, "subclonal", False)) or not _truthy(getattr(r, "allele_specific", True)):
            timeable = False
        if event is not None:
            key = (str(r.chrom), r.start, r.end, r.major_cn, r.minor_cn, event, timeable)
            units.setdefault(key, []).append(str(r.sample))

    units = join_neighbours(units)

    muts = mutations[mutations["sample"].astype(str).isin(regions) & (mutations["call"] == "clonal")].copy()
    if "indel" in muts.columns:
        muts = muts[~muts["indel"].astype(str).str.lower().isin(["true", "1"])]
    muts = muts.dropna(subset=["alt_counts", "depth", "purity", "major_cn", "minor_cn", "normal_cn"])
    muts = muts[(muts["depth"] > 0) & (muts["purity"] > 0)]
    ids = split_ids(muts["mutation_id"])
    muts["chrom"] = ids["chrom"].to_numpy()
    muts["pos"] = ids["pos"].to_numpy()
    muts["sample"] = muts["sample"].astype(str)

    doubled = {r for r in regions if wgd.get(r, False)}
    contig_order = {c: i for i, c in enumerate(pd.unique(seg["chrom"].astype(str)))}
    keys = sorted(units, key=lambda k: (contig_order.get(k[0], 1 << 30), k[1], k[2], k[3], k[4], k[6]))
    seg_rows, mut_rows, wgd_p = [], [], {}
    for i, key in enumerate(keys):
        chrom, start, end, major, minor, event, timeable = key
        here = units[key]
        name = f"{chrom}:{start}-{end}"
        row = dict(patient=patient, segment=name, chrom=chrom, start=start, end=end, major_cn=major, minor_cn=minor,
                   event=event, timeable=timeable, regions=",".join(r for r in regions if r in here),
                   n_regions=len(here), scope=_scope(len(here), len(regions)), n_mutations=0, n_early=0, n_late=0,
                   expected_early=np.nan, time=np.nan, low=np.nan, high=np.nan)
        if timeable:
            m = muts[(muts["chrom"] == chrom) & (muts["pos"] >= start) & (muts["pos"] <= end)
                     & muts["sample"].isin(here) & (muts["major_cn"] == major) & (muts["minor_cn"] == minor)]
            # the mutations clonal in every region holding this state: those all its cells share
            m = m[m.groupby("mutation_id")["sample"].transform("nunique") == len(here)]
            if len(m):
                ll = multiplicity_posterior(m["alt_counts"].to_numpy(float), m["depth"].to_numpy(float),
                                            m["purity"].to_numpy(float), np.full(len(m), major + minor, float),
                                            m["normal_cn"].to_numpy(float), 2, params.seq_error)
                pooled = pd.DataFrame(ll, columns=["l1", "l2"]).assign(
                    mutation_id=m["mutation_id"].to_numpy(), alt=m["alt_counts"].to_numpy(int),
                    depth=m["depth"].to_numpy(int), sample=m["sample"].to_numpy())
                g = pooled.groupby("mutation_id", sort=False)
                agg = g.agg(l1=("l1", "sum"), l2=("l2", "sum"), alt=("alt", "sum"), depth=("depth", "sum"),
                            regions=("sample", lambda s: ",".join(r for r in regions if r in set(s))))
                p_early = 1.0 / (1.0 + np.exp(agg["l1"].to_numpy() - agg["l2"].to_numpy()))
                early = p_early >= params.early_threshold
                for mid, a, d, rg, p, e in zip(agg.index, agg["alt"], agg["depth"], agg["regions"], p_early, early):
                    mut_rows.append(dict(patient=patient, mutation_id=mid, segment=name, event=event, major_cn=major,
                                         minor_cn=minor, regions=rg, alt_counts=int(a), depth=int(d),
                                         p_early=round(float(p), 4), call="early" if e else "late"))
                row.update(n_mutations=len(agg), n_early=int(early.sum()), n_late=int((~early).sum()),
                           expected_early=round(float(p_early.sum()), 3))
                if event == "wgd" and set(here) == doubled:  # 2+2 in every doubled region: the trunk's clock
                    for mid, p in zip(agg.index, p_early):
                        wgd_p.setdefault(mid, p)
                if len(agg) >= params.min_mutations:
                    t, lo, hi = time_interval(p_early, event, params, [i])
                    row.update(time=_r(t), low=_r(lo), high=_r(hi))
        seg_rows.append(row)
    seg_out = pd.DataFrame(seg_rows, columns=SEGMENT_COLUMNS)
    mut_out = pd.DataFrame(mut_rows, columns=MUTATION_COLUMNS)
    metrics = _metrics(seg_out, mut_out, wgd_p, wgd, regions, params, patient)
    return seg_out, mut_out, metrics


def join_neighbours(units: dict[tuple, list[str]]) -> dict[tuple, list[str]]:
    """Neighbouring pieces with one state in the same regions become one unit (key: chrom,
    start, end, major, minor, event, timeable; value: the regions). The segmentation can break
    where no region's integer state changes (a step of the log ratio or BAF alone); an event cut
    so would be timed twice, each piece on its share of the SNVs, and counted twice."""
    out: dict[tuple, list[str]] = {}
    open_key: dict[tuple, tuple] = {}  # (chrom, state, regions) -> the unit that may grow
    for key in sorted(units, key=lambda k: (k[0], k[1], k[2])):
        chrom, start, end, *state = key
        tag = (chrom, *state, tuple(sorted(units[key])))
        prev = open_key.get(tag)
        if prev is not None and prev[2] + 1 == start:
            grown = (chrom, prev[1], end, *state)
            out[grown] = out.pop(prev)
            open_key[tag] = grown
        else:
            out[key] = units[key]
            open_key[tag] = key
    return out


def _truthy(v) -> bool:
    return str(v).strip().lower() in ("true", "1")


def _r(x: float) -> float:
    return round(float(x), 4) if np.isfinite(x) else np.nan


def _metrics(seg: pd.DataFrame, mut: pd.DataFrame, wgd_p: dict, wgd: dict[str, bool], regions: list[str],
             params: TimingParams, patient: str) -> dict:
    doubled = [r for r in regions if wgd.get(r, False)]
    out: dict = {"patient": patient, "regions": len(regions), "wgd_regions": doubled}
    if wgd_p and len(wgd_p) >= params.min_mutations:
        p = np.array(list(wgd_p.values()))
        t, lo, hi = time_interval(p, "wgd", params, [len(seg) + 1])
        out["wgd"] = {"time": _r(t), "low": _r(lo), "high": _r(hi), "n_mutations": len(p),
                      "n_segments": int(((seg["event"] == "wgd") & (seg["n_regions"] == len(doubled))).sum())}
    else:
        out["wgd"] = None
    timed = seg[seg["time"].notna() & (seg["event"] != "wgd")]
    out["gains"] = {"timed": len(timed),
                    "median_time": _r(float(timed["time"].median())) if len(timed) else None,
                    "truncal_median_time": (_r(float(timed.loc[timed["scope"] == "truncal", "time"].median()))
                                            if (timed["scope"] == "truncal").any() else None)}
    out["mutations"] = {"timed": len(mut), "early": int((mut["call"] == "early").sum()),
                        "late": int((mut["call"] == "late").sum())}
    events = seg[seg["event"] != "wgd"]
    out["events"] = {s: int((events["scope"] == s).sum()) for s in ("truncal", "shared", "private")}
    out["parameters"] = params.__dict__
    return out
