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

from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

from scipy.optimize import nnls

from ith.io.mutations import split_ids
from ith.timing.history import History, design, histories, identifiable, resolved

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
                   "time", "low", "high", "history", "step", "identifiable"]
MUTATION_COLUMNS = ["patient", "mutation_id", "segment", "event", "major_cn", "minor_cn", "regions",
                    "alt_counts", "depth", "p_early", "call", "multiplicity"]
EVENT_COLUMNS = ["patient", "segment", "chrom", "start", "end", "major_cn", "minor_cn", "regions", "scope", "history",
                 "step", "event", "allele", "before", "after", "n_mutations", "time", "low", "high", "identifiable"]


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
    """(event, callable) of a segment's state in a region: None where it is the region's
    baseline (1+1, or 2+2 after a doubling... which is the doubling itself) or not diploid in the
    germline (male X and Y). Callable: an allele has two or more copies, so a clonal mutation's
    multiplicity says whether it arose before a gain (whether the state's history can be timed is
    ith.timing.history's question)."""
    if normal != 2:
        return None, False
    if wgd:
        if (major, minor) == (2, 2):
            return "wgd", True
        base = 4
    else:
        if (major, minor) == (1, 1):
            return None, False
        base = 2
    total = major + minor
    if total > base:
        event = "gain"
    elif total < base:
        event = "loss"
    else:
        event = "cnloh" if minor == 0 else "imbalance"
    return event, major >= 2


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


def time_interval(p_early: np.ndarray, event: str, params: TimingParams, key: list[int],
                  boot_out: list | None = None) -> tuple[float, float, float]:
    """(time, low, high): the estimate from the expected early count and a bootstrap interval
    (mutations resampled, each early with its probability). boot_out: receives the bootstrap
    times (NaN where undefined), in resample order."""
    n = len(p_early)
    t = gain_time(float(p_early.sum()), n, event, params.clock)
    if n == 0 or params.bootstrap <= 0:
        return t, float("nan"), float("nan")
    rng = np.random.default_rng([params.seed, *key])
    idx = rng.integers(0, n, (params.bootstrap, n))
    early = (rng.random((params.bootstrap, n)) < p_early[idx]).sum(axis=1)
    boot = np.array([gain_time(float(e), n, event, params.clock) for e in early])
    if boot_out is not None:
        boot_out.append(boot)
    q = (1 - params.interval) / 2
    boot = boot[np.isfinite(boot)]
    if not len(boot):
        return t, float("nan"), float("nan")
    return t, float(np.quantile(boot, q)), float(np.quantile(boot, 1 - q))


def _solve(w: np.ndarray, counts: np.ndarray, wgd_step: int | None = None, wgd_time: float = float("nan")) -> np.ndarray:
    """Step times (cumulative interval lengths over their sum) from the expected multiplicity
    counts: non-negative least squares of W^T x = counts; with `wgd_step`, the doubling's time
    held at `wgd_time` (a heavily weighted row). NaN when no mutation is expected."""
    a, b = w.T, counts.astype(float)
    if wgd_step is not None:
        c = (np.arange(w.shape[0]) <= wgd_step).astype(float)
        weight = 1e3 * max(float(b.sum()), 1.0)
        a = np.vstack([a, weight * (c - wgd_time)])
        b = np.append(b, 0.0)
    x, _ = nnls(a, b)
    total = x.sum()
    if not np.isfinite(total) or total <= 0:
        return np.full(w.shape[0] - 1, np.nan)
    return np.clip(np.cumsum(x)[:-1] / total, 0.0, 1.0)


EM_ITERATIONS = 200


def multiplicity_prior(lik: np.ndarray, start: np.ndarray | None = None, iterations: int = EM_ITERATIONS,
                       tol: float = 1e-6) -> np.ndarray:
    """The share of each multiplicity among a segment's mutations by EM (as MutationTimeR fits
    it): lik (..., n, M) likelihoods scaled per mutation; returns (..., M). Stops when no share
    moves by more than `tol`."""
    shape = lik.shape[:-2] + (lik.shape[-1],)
    pi = np.full(shape, 1.0 / lik.shape[-1]) if start is None else np.broadcast_to(start, shape).copy()
    for _ in range(iterations):
        joint = lik * pi[..., None, :]
        new = (joint / joint.sum(axis=-1, keepdims=True)).mean(axis=-2)
        done = np.abs(new - pi).max() < tol
        pi = new
        if done:
            break
    return pi


def multiplicity_posteriors(ll: np.ndarray) -> np.ndarray:
    """(n, M) posterior of each mutation's multiplicity: with two, under a flat prior (the
    two-state form); with more, under the EM prior, which keeps a rare class from being filled
    by its neighbours' misread mutations."""
    lik = np.exp(ll - ll.max(axis=1, keepdims=True))
    if ll.shape[1] > 2 and len(ll):
        lik = lik * multiplicity_prior(lik)[None, :]
    return lik / lik.sum(axis=1, keepdims=True)


def fit_history(ll: np.ndarray, h: History, params: TimingParams, key: list[int],
                wgd: tuple[float, np.ndarray] | None = None) -> list[dict]:
    """Per step of history h: time, low, high and identifiable (`yes`: from the segment's own
    mutations; `given_wgd`: only with the doubling's time held at the pooled estimate, `wgd` =
    (time, its bootstrap times); `no`: NA). ll: (mutations, major) log-likelihoods of the
    multiplicities. Expected counts: the sums of the posteriors (multiplicity_posteriors);
    interval: mutations resampled, and, with two multiplicities, each one's drawn from its
    posterior (as time_interval does), with more the EM refitted; the fit repeated."""
    w = design(h, params.clock)
    post = multiplicity_posteriors(ll)
    n_steps = len(h.steps)
    alone = identifiable(w) & resolved(h)
    wgd_step = next((k for k, (kind, _) in enumerate(h.steps) if kind == "wgd"), None)
    given = np.zeros(n_steps, dtype=bool)
    if wgd is not None and wgd_step is not None and np.isfinite(wgd[0]) and not alone.all():
        c = (np.arange(w.shape[0]) <= wgd_step).astype(float)
        given = identifiable(w, (c - wgd[0])[None, :]) & ~alone & resolved(h)
        given[wgd_step] = False
    times = np.full(n_steps, np.nan)
    times[alone] = _solve(w, post.sum(axis=0))[alone]
    if given.any():
        times[given] = _solve(w, post.sum(axis=0), wgd_step, wgd[0])[given]
    low, high = np.full(n_steps, np.nan), np.full(n_steps, np.nan)
    n = len(post)
    if n and params.bootstrap > 0 and (alone | given).any():
        rng = np.random.default_rng([params.seed, *key])
        idx = rng.integers(0, n, (params.bootstrap, n))
        if post.shape[1] == 2:
            u = rng.random((params.bootstrap, n))
            # the draws of time_interval: early (m = 2) where u < P(m = 2)
            early = (u < post[idx, 1]).sum(axis=1)
            counts = np.stack([n - early, early], axis=1).astype(float)
        else:
            lik = np.exp(ll - ll.max(axis=1, keepdims=True))
            # in chunks of resamples, so that memory stays ~ 2e6 x multiplicities floats
            chunk = max(1, int(2e6 // max(n, 1)))
            counts = np.concatenate([n * multiplicity_prior(lik[idx[b : b + chunk]], post.mean(axis=0))
                                     for b in range(0, params.bootstrap, chunk)])
        boot = np.full((params.bootstrap, n_steps), np.nan)
        for b in range(params.bootstrap):
            if alone.any():
                boot[b, alone] = _solve(w, counts[b])[alone]
            if given.any():
                tw = wgd[1][b] if len(wgd[1]) > b and np.isfinite(wgd[1][b]) else wgd[0]
                boot[b, given] = _solve(w, counts[b], wgd_step, tw)[given]
        q = (1 - params.interval) / 2
        for k in np.flatnonzero(alone | given):
            v = boot[:, k][np.isfinite(boot[:, k])]
            if len(v):
                low[k], high[k] = np.quantile(v, q), np.quantile(v, 1 - q)
    return [dict(time=times[k], low=low[k], high=high[k],
                 identifiable="yes" if alone[k] else "given_wgd" if given[k] else "no") for k in range(n_steps)]


def _scope(n: int, n_regions: int) -> str:
    if n == n_regions:
        return "truncal"
    return "private" if n == 1 else "shared"


def time_patient(mutations: pd.DataFrame, segments: pd.DataFrame, wgd: dict[str, bool], regions: list[str],
                 params: TimingParams, patient: str) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(segments, mutations, metrics); metrics["events"] also... see time_patient_events for the
    per-step table. mutations: the clonal stage's mutations.tsv (mutation_id, sample,
    alt_counts, depth, major_cn, minor_cn, normal_cn, purity, call; indel optional); segments:
    the copy-number stage's segments.tsv (sample, chrom, start, end, major_cn, minor_cn;
    subclonal, allele_specific and normal_cn when present, else the germline copies of each
    contig from the mutations' normal_cn); wgd: per region."""
    seg, mut, _, metrics = time_patient_events(mutations, segments, wgd, regions, params, patient)
    return seg, mut, metrics


def time_patient_events(mutations: pd.DataFrame, segments: pd.DataFrame, wgd: dict[str, bool], regions: list[str],
                        params: TimingParams, patient: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    """(segments, mutations, events, metrics): time_patient's tables and the per-step one."""
    seg = segments[segments["sample"].astype(str).isin(regions)].copy()
    if "normal_cn" not in seg.columns:  # the copy-number stage's segments: the germline copies from the mutations
        normal = mutations.assign(chrom=split_ids(mutations["mutation_id"])["chrom"].to_numpy()).groupby("chrom")["normal_cn"]
        known = seg["chrom"].astype(str).map(normal.agg(lambda x: x.mode().iloc[0]))
        sex = seg["chrom"].astype(str).str.upper().str.removeprefix("CHR").isin(["X", "Y"])
        seg["normal_cn"] = known.where(known.notna() | sex, 2)  # X and Y without mutations: unknown, left out
    seg = seg.dropna(subset=["major_cn", "minor_cn", "normal_cn"])
    seg = seg.astype({"major_cn": int, "minor_cn": int, "normal_cn": int, "start": int, "end": int})
    units: dict[tuple, list[str]] = {}
    reasons: dict[tuple, str] = {}
    for r in seg.itertuples(index=False):
        is_doubled = bool(wgd.get(str(r.sample), False))
        event, callable_ = event_of(r.major_cn, r.minor_cn, r.normal_cn, is_doubled)
        # a state of only some tumour cells, or a total copy number split by a guess, is not timed
        why = ""
        if _truthy(getattr(r, "subclonal", False)):
            callable_, why = False, "subclonal copy number: not timed"
        elif not _truthy(getattr(r, "allele_specific", True)):
            callable_, why = False, "not allele-specific: not timed"
        if event is not None:
            key = (str(r.chrom), r.start, r.end, r.major_cn, r.minor_cn, event, callable_, is_doubled)
            units.setdefault(key, []).append(str(r.sample))
            reasons.setdefault(key, why)

    units, reasons = join_neighbours(units, reasons)

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
    keys = sorted(units, key=lambda k: (contig_order.get(k[0], 1 << 30), k[1], k[2], k[3], k[4], k[6], k[7]))
    seg_rows, mut_rows, wgd_p, fits = [], [], {}, []
    for i, key in enumerate(keys):
        chrom, start, end, major, minor, event, callable_, is_doubled = key
        here = units[key]
        name = f"{chrom}:{start}-{end}"
        hs = histories(major, minor, is_doubled) if callable_ else ()
        h = hs[0] if len(hs) == 1 else None
        timeable = h is not None and _timeable(h, params.clock)
        label = h.label() if h is not None else ("ambiguous: " + " | ".join(x.label() for x in hs) if hs else reasons[key])
        row = dict(patient=patient, segment=name, chrom=chrom, start=start, end=end, major_cn=major, minor_cn=minor,
                   event=event, timeable=timeable, regions=",".join(r for r in regions if r in here),
                   n_regions=len(here), scope=_scope(len(here), len(regions)), n_mutations=0, n_early=0, n_late=0,
                   expected_early=np.nan, time=np.nan, low=np.nan, high=np.nan, history=label, step="",
                   identifiable="")
        ll_all = None
        if callable_:
            m = muts[(muts["chrom"] == chrom) & (muts["pos"] >= start) & (muts["pos"] <= end)
                     & muts["sample"].isin(here) & (muts["major_cn"] == major) & (muts["minor_cn"] == minor)]
            # the mutations clonal in every region holding this state: those all its cells share
            m = m[m.groupby("mutation_id")["sample"].transform("nunique") == len(here)]
            if len(m):
                ll = multiplicity_posterior(m["alt_counts"].to_numpy(float), m["depth"].to_numpy(float),
                                            m["purity"].to_numpy(float), np.full(len(m), major + minor, float),
                                            m["normal_cn"].to_numpy(float), major, params.seq_error)
                cols = [f"l{k}" for k in range(1, major + 1)]
                pooled = pd.DataFrame(ll, columns=cols).assign(
                    mutation_id=m["mutation_id"].to_numpy(), alt=m["alt_counts"].to_numpy(int),
                    depth=m["depth"].to_numpy(int), sample=m["sample"].to_numpy())
                g = pooled.groupby("mutation_id", sort=False)
                agg = g.agg(**{c: (c, "sum") for c in cols}, alt=("alt", "sum"), depth=("depth", "sum"),
                            regions=("sample", lambda s: ",".join(r for r in regions if r in set(s))))
                ll_all = agg[cols].to_numpy()
                post = multiplicity_posteriors(ll_all)
                p_early = 1.0 - post[:, 0]
                if major == 2:  # the two-state form, as before: P(m = 2) = 1 / (1 + exp(l1 - l2))
                    p_early = 1.0 / (1.0 + np.exp(ll_all[:, 0] - ll_all[:, 1]))
                mult = post.argmax(axis=1) + 1
                early = p_early >= params.early_threshold
                for mid, a, d, rg, p, mm, e in zip(agg.index, agg["alt"], agg["depth"], agg["regions"], p_early, mult, early):
                    mut_rows.append(dict(patient=patient, mutation_id=mid, segment=name, event=event, major_cn=major,
                                         minor_cn=minor, regions=rg, alt_counts=int(a), depth=int(d),
                                         p_early=round(float(p), 4), call="early" if e else "late",
                                         multiplicity=int(mm)))
                row.update(n_mutations=len(agg), n_early=int(early.sum()), n_late=int((~early).sum()),
                           expected_early=round(float(p_early.sum()), 3))
                if event == "wgd" and set(here) == doubled:  # 2+2 in every doubled region: the trunk's clock
                    for mid, p in zip(agg.index, p_early):
                        wgd_p.setdefault(mid, p)
        seg_rows.append(row)
        fits.append((i, h if h is not None else hs, ll_all))

    wgd_boot: list = []
    pooled_wgd = None
    if wgd_p and len(wgd_p) >= params.min_mutations:
        p = np.array(list(wgd_p.values()))
        t, lo, hi = time_interval(p, "wgd", params, [len(seg_rows) + 1], wgd_boot)
        pooled_wgd = {"time": _r(t), "low": _r(lo), "high": _r(hi), "n_mutations": len(p),
                      "n_segments": int(sum(1 for r in seg_rows if r["event"] == "wgd" and r["n_regions"] == len(doubled)))}

    event_rows = []
    fixed = ((pooled_wgd["time"], wgd_boot[0] if wgd_boot else np.zeros(0))
             if pooled_wgd is not None and np.isfinite(pooled_wgd["time"]) else None)
    for i, h, ll_all in fits:
        row = seg_rows[i]
        enough = ll_all is not None and len(ll_all) >= params.min_mutations
        chosen = False
        if isinstance(h, tuple):  # no history, or several as short
            h = _choose_by_wgd(h, ll_all, params, [i], fixed) if enough and fixed is not None else None
            if h is None:
                continue
            chosen = True
            row.update(history=h.label(), timeable=True)
        if enough:
            steps = fit_history(ll_all, h, params, [i], fixed)
            if chosen:
                steps = [{**st, "identifiable": "given_wgd" if st["identifiable"] != "no" else "no"} for st in steps]
        else:
            steps = [dict(time=np.nan, low=np.nan, high=np.nan, identifiable=s) for s in _structure(h, params.clock)]
        names = h.step_names()
        main = next((k for k, (kind, _) in enumerate(h.steps) if kind != "wgd"), 0)
        row.update(step=names[main], identifiable=steps[main]["identifiable"])
        if enough:
            row.update(time=_r(steps[main]["time"]), low=_r(steps[main]["low"]), high=_r(steps[main]["high"]))
        for k, st in enumerate(steps):
            kind, allele = h.steps[k]
            event_rows.append(dict(patient=patient, segment=row["segment"], chrom=row["chrom"], start=row["start"],
                                   end=row["end"], major_cn=row["major_cn"], minor_cn=row["minor_cn"],
                                   regions=row["regions"], scope=row["scope"], history=row["history"], step=k + 1,
                                   event=kind, allele="both" if allele < 0 else ("major", "minor")[allele],
                                   before="{}+{}".format(*h.states[k]), after="{}+{}".format(*h.states[k + 1]),
                                   n_mutations=row["n_mutations"], time=_r(st["time"]), low=_r(st["low"]),
                                   high=_r(st["high"]), identifiable=st["identifiable"]))
    seg_out = pd.DataFrame(seg_rows, columns=SEGMENT_COLUMNS)
    mut_out = pd.DataFrame(mut_rows, columns=MUTATION_COLUMNS)
    ev_out = pd.DataFrame(event_rows, columns=EVENT_COLUMNS)
    metrics = _metrics(seg_out, mut_out, ev_out, pooled_wgd, wgd, regions, params, patient)
    return seg_out, mut_out, ev_out, metrics


def _choose_by_wgd(candidates: tuple[History, ...], ll: np.ndarray, params: TimingParams, key: list[int],
                   wgd: tuple[float, np.ndarray] | None) -> History | None:
    """Of two or more equally short histories that all hold the doubling (4+0 of a doubled genome:
    the LOH before or after it), the one whose own doubling time (every step identifiable from
    the segment alone) is nearest the pooled doubling time; None when not all of them are
    identifiable or one does not hold the doubling."""
    if wgd is None or len(candidates) < 2:
        return None
    best, dist = None, np.inf
    for h in candidates:
        k = next((j for j, (kind, _) in enumerate(h.steps) if kind == "wgd"), None)
        if k is None or not (identifiable(design(h, params.clock)) & resolved(h)).all():
            return None
        t = fit_history(ll, h, replace(params, bootstrap=0), key)[k]["time"]
        if np.isfinite(t) and abs(t - wgd[0]) < dist:
            best, dist = h, abs(t - wgd[0])
    return best


def _structure(h: History, clock: str) -> list[str]:
    """Per step: `yes` (identifiable from the segment's mutations), `given_wgd` (with the doubling's
    time known) or `no`: what fit_history would say with enough mutations."""
    w = design(h, clock)
    alone = identifiable(w) & resolved(h)
    wgd_step = next((k for k, (kind, _) in enumerate(h.steps) if kind == "wgd"), None)
    given = np.zeros(len(h.steps), dtype=bool)
    if wgd_step is not None and not alone.all():
        c = (np.arange(w.shape[0]) <= wgd_step).astype(float)
        given = identifiable(w, (c - 0.5)[None, :]) & ~alone & resolved(h)
        given[wgd_step] = False
    return ["yes" if a else "given_wgd" if g else "no" for a, g in zip(alone, given)]


def _timeable(h: History, clock: str) -> bool:
    return any(s != "no" for s in _structure(h, clock))


def join_neighbours(units: dict[tuple, list[str]], reasons: dict[tuple, str] | None = None
                    ) -> tuple[dict[tuple, list[str]], dict[tuple, str]]:
    """Neighbouring pieces with one state in the same regions (and, when given, the same reason
    for not being timed) become one unit (key: chrom, start, end, then the state; value: the
    regions); returns the units and their reasons re-keyed. The segmentation can break where no
    region's integer state changes (a step of the log ratio or BAF alone); an event cut so would
    be timed twice, each piece on its share of the SNVs, and counted twice."""
    reasons = reasons or {}
    out: dict[tuple, list[str]] = {}
    why: dict[tuple, str] = {}
    open_key: dict[tuple, tuple] = {}  # (chrom, state, regions, reason) -> the unit that may grow
    for key in sorted(units, key=lambda k: (k[0], k[1], k[2])):
        chrom, start, end, *state = key
        tag = (chrom, *state, tuple(sorted(units[key])), reasons.get(key, ""))
        prev = open_key.get(tag)
        if prev is not None and prev[2] + 1 == start:
            grown = (chrom, prev[1], end, *state)
            out[grown] = out.pop(prev)
            why[grown] = why.pop(prev)
            open_key[tag] = grown
        else:
            out[key] = units[key]
            why[key] = reasons.get(key, "")
            open_key[tag] = key
    return out, why


def _truthy(v) -> bool:
    return str(v).strip().lower() in ("true", "1")


def _r(x: float) -> float:
    return round(float(x), 4) if np.isfinite(x) else np.nan


def _metrics(seg: pd.DataFrame, mut: pd.DataFrame, ev: pd.DataFrame, pooled_wgd: dict | None, wgd: dict[str, bool],
             regions: list[str], params: TimingParams, patient: str) -> dict:
    doubled = [r for r in regions if wgd.get(r, False)]
    out: dict = {"patient": patient, "regions": len(regions), "wgd_regions": doubled, "wgd": pooled_wgd}
    timed = seg[seg["time"].notna() & (seg["event"] != "wgd")]
    out["gains"] = {"timed": len(timed),
                    "median_time": _r(float(timed["time"].median())) if len(timed) else None,
                    "truncal_median_time": (_r(float(timed.loc[timed["scope"] == "truncal", "time"].median()))
                                            if (timed["scope"] == "truncal").any() else None)}
    out["mutations"] = {"timed": len(mut), "early": int((mut["call"] == "early").sum()),
                        "late": int((mut["call"] == "late").sum())}
    events = seg[seg["event"] != "wgd"]
    out["events"] = {s: int((events["scope"] == s).sum()) for s in ("truncal", "shared", "private")}
    wgd_step = ev[ev["event"] == "wgd"].set_index(["segment", "history"])["step"]
    steps = ev[ev["event"] != "wgd"].copy()
    steps["wgd_step"] = [wgd_step.get((a, b), -np.inf) for a, b in zip(steps["segment"], steps["history"])]
    out["steps"] = {"timed": int(steps["time"].notna().sum()),
                    "not_identifiable": int((steps["identifiable"] == "no").sum()),
                    "given_wgd": int(((steps["identifiable"] == "given_wgd") & steps["time"].notna()).sum()),
                    "before_wgd": int((steps["time"].notna() & (steps["step"] < steps["wgd_step"])).sum()),
                    "ambiguous_segments": int(seg["history"].astype(str).str.startswith("ambiguous").sum())}
    out["parameters"] = params.__dict__
    return out

