"""The timing method against the simulator's truth at the table level (tests/test_timing.py,
bench/timing.py): simulated patients' truth tables become the clonal and copy-number stages'
tables (alt reads ~ Binomial(depth, true VAF), the true copy number, purity and clonal calls), the
timing runs on them, and its early/late calls and times are compared with the true
multiplicities and the true order of events (truth timing.tsv)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ith.simulate import truth
from ith.simulate.cohort import cohort_and_kit
from ith.simulate.genome import make_genome
from ith.simulate.presets import PRESETS
from ith.timing.core import TimingParams, time_patient_events


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
    truncal = events[(events["scope"] == "truncal") & events["time"].notna()]
    for e in truth_timing[(truth_timing["clone"] == "C0") & truth_timing["kind"].isin(["gain", "cnloh", "loss"])].itertuples():
        hit = truncal[(truncal["chrom"] == e.chrom) & (truncal["start"] < int(e.end)) & (truncal["end"] > int(e.start))]
        for s in hit[hit["event"] == e.kind].itertuples():
            gains.append(dict(patient=pid, segment=s.segment, event=s.event, history=s.history,
                              identifiable=s.identifiable, n=s.n_mutations, time=s.time, low=s.low, high=s.high,
                              truth=float(e.time) * scale))
        if len(true_wgd):  # the doubling's time from this segment's own history (4+2, 3+2, ...)
            for s in hit[(hit["event"] == "wgd") & (hit["history"] != "1+1>2+2")].itertuples():
                gains.append(dict(patient=pid, segment=s.segment, event="wgd (segment)", history=s.history,
                                  identifiable=s.identifiable, n=s.n_mutations, time=s.time, low=s.low, high=s.high,
                                  truth=float(true_wgd["time"].iloc[0]) * scale))
    wgd_row = truth_timing[truth_timing["kind"] == "wgd"]
    wgd_eval = None
    if len(wgd_row) and metrics["wgd"] is not None:
        w = metrics["wgd"]
        wgd_eval = dict(patient=pid, time=w["time"], low=w["low"], high=w["high"], n=w["n_mutations"],
                        truth=float(wgd_row["time"].iloc[0]) * scale)
    return dict(calls=len(mm), right=int(right.sum()), gains=gains, wgd=wgd_eval, true_wgd=bool(len(wgd_row)))


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
