"""The timing method against the simulator's truth at the table level (tests/test_timing.py,
bench/timing.py): simulated patients' truth tables become the clonal and copy-number stages'
tables (alt reads ~ Binomial(depth, true VAF), the true copy number, purity and clonal calls), the
timing runs on them, and its early/late calls and times are compared with the true
multiplicities and the true order of events (truth timing.tsv).

The oracle: each timed history fitted by the stage's own estimator (fit_history) on the true
multiplicity of every SNV it timed instead of the read counts' likelihoods, so that its error is
only the sampling of how many mutations fell in each interval of the segment (with a segment's
count of SNVs, the best any estimator of this model could do); `count_limit`: the same on
multiplicity counts drawn for a given number of SNVs at the true times."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ith.simulate import truth
from ith.simulate.cohort import cohort_and_kit
from ith.simulate.genome import make_genome
from ith.simulate.presets import PRESETS
from ith.timing.core import TimingParams, _solve, fit_history, gain_time, time_patient_events
from ith.timing.history import History, design, histories


def truth_patients(preset_name: str, seed: int, **overrides) -> list[tuple]:
    """Per simulated patient: (id, truth mutations over its tumour regions, truth segments, wgd
    and purity per region, regions, truth timing). overrides: Preset fields."""
    preset = replace(PRESETS[preset_name], **overrides)
    genome = make_genome(np.random.default_rng([seed, 0]), preset.autosome_lengths, preset.x_length,
                         preset.y_length, preset.segdups_per_mb)
    cohort, targets = cohort_and_kit(seed, preset, genome)
    out = []
    for patient, specs in cohort:
        regions = [s for s in specs if s.type == "tumour"]
        pp = truth.purity_ploidy_table(genome, patient, regions)
        out.append((patient.id, truth.mutation_table(patient, regions, targets),
                    truth.segment_table(genome, patient, regions), dict(zip(pp["sample"], pp["wgd"].astype(bool))),
                    {s.sample: s.purity for s in regions}, [s.sample for s in regions], truth.timing_table(patient)))
    return out


def clonal_calls(tm: pd.DataFrame, purity: dict[str, float], depth: float, rng: np.random.Generator) -> pd.DataFrame:
    """The clonal stage's mutations.tsv columns the timing reads, from truth mutations: depth
    ~ Poisson(depth), alt reads ~ Binomial(depth, true VAF), the true copy number, purity and
    clonal/subclonal/absent status as the call."""
    d = rng.poisson(depth, len(tm))
    return pd.DataFrame({"mutation_id": tm["mutation_id"], "sample": tm["sample"],
                         "alt_counts": rng.binomial(d, np.clip(tm["expected_vaf"].to_numpy(float), 0, 1)),
                         "depth": d, "major_cn": tm["major_cn"], "minor_cn": tm["minor_cn"],
                         "normal_cn": tm["normal_cn"], "purity": tm["sample"].map(purity),
                         "call": tm["status"], "indel": tm["type"] == "indel"})


def evaluate_patient(pid: str, mutations: pd.DataFrame, segments: pd.DataFrame, wgd: dict, regions: list[str],
                     truth_mutations: pd.DataFrame, truth_timing: pd.DataFrame,
                     params: TimingParams) -> dict:
    """Early/late calls of truncal SNVs against their true multiplicity, truncal gains' and the
    WGD's times against the truth. The truth's times are on the founder clone's clock (its own
    mutations); the regions show a longer trunk when a later clone is in every cell of every
    region, so the truth is put on that clock: the founder's mutations before the event over
    all the mutations clonal in every region."""
    seg, mut, events, metrics = time_patient_events(mutations, segments, wgd, regions, params, pid)
    return score_patient(pid, events, mut, metrics, truth_mutations, truth_timing)


def find_history(label: str, major: int, minor: int) -> History | None:
    """The history of (major, minor), with or without a doubling, whose label (events.tsv
    `history`) is `label`."""
    for doubled in (False, True):
        for h in histories(int(major), int(minor), doubled):
            if h.label() == label:
                return h
    return None


def true_multiplicity(mut: pd.DataFrame, truth_mutations: pd.DataFrame) -> np.ndarray:
    """Per row of the timing's mutations.tsv: the SNV's true multiplicity (truth mutations.tsv
    `multiplicity`, the highest over the regions it was timed in; they agree where it is clonal
    in all of them); NaN where the truth does not hold it (a false call)."""
    if not len(mut):
        return np.zeros(0)
    truth_m = truth_mutations.set_index(["mutation_id", "sample"])["multiplicity"]
    rows = mut[["mutation_id", "regions"]].assign(sample=mut["regions"].astype(str).str.split(",")).explode("sample")
    m = pd.Series(truth_m.reindex(pd.MultiIndex.from_arrays([rows["mutation_id"], rows["sample"]])).to_numpy(float),
                  index=rows.index)
    return m.groupby(level=0).max().reindex(mut.index).to_numpy(float)


def onehot_loglik(mult: np.ndarray, major: int) -> np.ndarray:
    """(n, major) log-likelihoods of multiplicities 1..major that are certain: 0 for the true
    one, -1e6 for the others (so the stage's posteriors are one-hot and their sums the counts)."""
    ll = np.full((len(mult), major), -1e6)
    ll[np.arange(len(mult)), np.asarray(mult, dtype=int) - 1] = 0.0
    return ll


def oracle_times(mult: np.ndarray, h: History, clock: str, wgd_time: float = float("nan"),
                 hold_wgd: bool = False) -> np.ndarray:
    """Per step of history h: the time the stage's estimator (fit_history's point estimate; with
    `wgd_time`, the doubling held there for the steps that need it) gives on the true
    multiplicities `mult` (1..major) of the segment's SNVs; NaN where it gives none. hold_wgd:
    the same steps timed with the doubling held at `wgd_time` even where the segment times it
    on its own (3+2, 4+2: what knowing the genome's doubling time would add)."""
    major = h.states[-1][0]
    ll = onehot_loglik(mult, major)
    fixed = (float(wgd_time), np.zeros(0)) if np.isfinite(wgd_time) else None
    steps = fit_history(ll, h, TimingParams(clock=clock, bootstrap=0), [0], fixed)
    out = np.array([st["time"] for st in steps], dtype=float)
    wgd_step = next((k for k, (kind, _) in enumerate(h.steps) if kind == "wgd"), None)
    if hold_wgd and wgd_step is not None and np.isfinite(wgd_time):
        counts = np.bincount(np.asarray(mult, dtype=int), minlength=major + 1)[1:].astype(float)
        out = np.where(np.isfinite(out), _solve(design(h, clock), counts, wgd_step, float(wgd_time)), np.nan)
    return out


def oracle_events(events: pd.DataFrame, mut: pd.DataFrame, metrics: dict,
                  truth_mutations: pd.DataFrame) -> tuple[pd.Series, float]:
    """(oracle time per row of events.tsv, the oracle's pooled doubling time): each timed
    segment's history fitted on the true multiplicities of the SNVs the stage timed it with
    (oracle_times; the steps timed only given the doubling hold it at the oracle's pooled time),
    the pooled doubling on the true multiplicities of the 2+2 SNVs the stage pooled, with its
    formula. Same clock as the stage (metrics `parameters`); NaN where the stage gave no time."""
    clock = (metrics.get("parameters") or {}).get("clock", TimingParams().clock)
    out = pd.Series(np.nan, index=events.index, dtype=float)
    mut = mut.assign(true_m=true_multiplicity(mut, truth_mutations))
    oracle_wgd = float("nan")
    doubled = set(metrics.get("wgd_regions") or [])
    if metrics.get("wgd") is not None and doubled and len(mut):
        pooled = mut[(mut["event"] == "wgd") & (mut["major_cn"] == 2) & (mut["minor_cn"] == 2)
                     & mut["regions"].astype(str).str.split(",").map(set).eq(doubled)]
        m = pooled.drop_duplicates("mutation_id")["true_m"].dropna()
        if len(m):
            oracle_wgd = gain_time(float((m >= 2).sum()), float(len(m)), "wgd", clock)
    timed = events[events["time"].notna()]
    keys = ["segment", "major_cn", "minor_cn", "regions", "history"]
    for (segment, major, minor, regions, label), rows in timed.groupby(keys, sort=False):
        h = find_history(label, major, minor)
        m = mut.loc[(mut["segment"] == segment) & (mut["major_cn"] == major) & (mut["minor_cn"] == minor)
                    & (mut["regions"].astype(str) == str(regions)), "true_m"].to_numpy(float)
        m = m[np.isfinite(m) & (m >= 1) & (m <= major)]
        if h is None or not len(m):
            continue
        t = oracle_times(m, h, clock, oracle_wgd)
        out[rows.index] = t[rows["step"].to_numpy(int) - 1]
    return out, oracle_wgd


def count_limit(h: History, times: list[float], clock: str, step: int, ns: list[int], draws: int,
                rng: np.random.Generator, wgd_time: float = float("nan"), hold_wgd: bool = False) -> np.ndarray:
    """(len(ns), draws) absolute errors of step `step` (0-based) of history h with the true
    multiplicities known: per number n of the segment's SNVs, `draws` multiplicity counts
    ~ Multinomial(n, expected shares of the history with its steps at `times` on the clock),
    each fitted as oracle_times does (the doubling, where needed or with `hold_wgd`, held at
    `wgd_time`)."""
    w = design(h, clock)
    d = np.diff(np.concatenate([[0.0], np.asarray(times, dtype=float), [1.0]]))
    share = np.clip(d, 0, None) @ w
    share = share / share.sum()
    err = np.full((len(ns), draws), np.nan)
    for i, n in enumerate(ns):
        for j, counts in enumerate(rng.multinomial(n, share, size=draws)):
            mult = np.repeat(np.arange(1, len(share) + 1), counts)
            err[i, j] = abs(oracle_times(mult, h, clock, wgd_time, hold_wgd)[step] - times[step])
    return err


def score_patient(pid: str, events: pd.DataFrame, mut: pd.DataFrame, metrics: dict, truth_mutations: pd.DataFrame,
                  truth_timing: pd.DataFrame) -> dict:
    """The timing's outputs (its events, mutations and metrics, from time_patient_events or the
    workflow's results/timing/<patient>/ files) against the truth: early/late calls of the
    founder clone's SNVs against their true multiplicity, truncal gains' and the WGD's times
    against the true times put on the trunk's clock. truth_mutations: the truth mutations.tsv
    rows of the tumour regions only (a normal's rows would make no mutation clonal everywhere)."""
    everywhere = (truth_mutations["status"] == "clonal").groupby(truth_mutations["mutation_id"]).all()
    clone = truth_mutations.groupby("mutation_id")["clone"].first()
    n_founder = int((clone == "C0").sum())
    n_trunk = n_founder + int((everywhere & (clone != "C0")).sum())
    scale = n_founder / n_trunk if n_trunk else 1.0
    tm = truth_mutations[truth_mutations["clone"] == "C0"]
    true_m = tm.groupby("mutation_id")["multiplicity"].max()
    mm = mut[mut["mutation_id"].isin(true_m.index)]
    right = ((mm["call"] == "early") == (mm["mutation_id"].map(true_m) >= 2))
    gains = []
    true_wgd = truth_timing[truth_timing["kind"] == "wgd"]
    wgd_truth = float(true_wgd["time"].iloc[0]) * scale if len(true_wgd) else float("nan")
    oracle, oracle_wgd = oracle_events(events, mut, metrics, truth_mutations)
    events = events.assign(oracle=oracle)
    truncal = events[(events["scope"] == "truncal") & events["time"].notna()]
    for e in truth_timing[(truth_timing["clone"] == "C0") & truth_timing["kind"].isin(["gain", "cnloh", "loss"])].itertuples():
        hit = truncal[(truncal["chrom"] == e.chrom) & (truncal["start"] < int(e.end)) & (truncal["end"] > int(e.start))]
        for s in hit[hit["event"] == e.kind].itertuples():
            gains.append(dict(patient=pid, segment=s.segment, event=s.event, history=s.history, step=s.step,
                              identifiable=s.identifiable, n=s.n_mutations, time=s.time, low=s.low, high=s.high,
                              truth=float(e.time) * scale, oracle=s.oracle, wgd_truth=wgd_truth))
        if len(true_wgd):  # the doubling's time from this segment's own history (4+2, 3+2, ...)
            for s in hit[(hit["event"] == "wgd") & (hit["history"] != "1+1>2+2")].itertuples():
                gains.append(dict(patient=pid, segment=s.segment, event="wgd (segment)", history=s.history,
                                  step=s.step, identifiable=s.identifiable, n=s.n_mutations, time=s.time, low=s.low,
                                  high=s.high, truth=wgd_truth, oracle=s.oracle, wgd_truth=wgd_truth))
    wgd_eval = None
    if len(true_wgd) and metrics["wgd"] is not None:
        w = metrics["wgd"]
        wgd_eval = dict(patient=pid, time=w["time"], low=w["low"], high=w["high"], n=w["n_mutations"],
                        truth=wgd_truth, oracle=oracle_wgd)
    return dict(calls=len(mm), right=int(right.sum()), gains=gains, wgd=wgd_eval, true_wgd=bool(len(true_wgd)))


def evaluate(patients: list[tuple], depth: float, params: TimingParams, seed: int = 0) -> dict:
    """Pooled over truth_patients' patients at one depth: truncal SNVs' early/late calls (count,
    share right), the truncal gains' and the WGDs' (time, interval, truth) rows, WGDs not timed."""
    calls = right = 0
    gains, wgds, missed_wgd = [], [], 0
    for k, (pid, tm, segs, wgd, purity, regions, tt) in enumerate(patients):
        m = clonal_calls(tm, purity, depth, np.random.default_rng([seed, k, int(depth)]))
        r = evaluate_patient(pid, m, segs, wgd, regions, tm, tt, params)
        calls += r["calls"]
        right += r["right"]
        gains += r["gains"]
        if r["wgd"] is not None:
            wgds.append(r["wgd"])
        elif r["true_wgd"]:
            missed_wgd += 1
    return dict(calls=calls, accuracy=right / calls if calls else float("nan"),
                gains=pd.DataFrame(gains), wgd=pd.DataFrame(wgds), missed_wgd=missed_wgd)
