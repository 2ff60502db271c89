"""Timing benchmark (docs/methods/timing.md, docs/benchmarks.md).

Simulated patients of the demo genome, dense in mutations (8,000-10,000 per patient, so that a
gained segment of 60-200 kb holds 50-500 truncal SNVs, as an arm of a real tumour does), 6-9
copy-number events, every third patient with a whole-genome doubling; table level: alt reads
~ Binomial(depth, true VAF) at each depth from the truth, the true copy number, purity and
clonal calls, no BAMs (ith.timing.validate). For each depth:

- early/late: the share of truncal SNVs in states with two or more copies of an allele whose call
  matches the truth (true multiplicity >= 2 = early);
- steps of the truncal segments' histories (events.tsv) against the truth (the share of the
  trunk's mutations before the event), by category: single (one gain or LOH: 2+1, 2+0), with_wgd
  (a gain before or after the doubling, timed from its segment: 4+2, 3+2), given_wgd (timed only
  with the pooled doubling time held, or the 4+0 whose order it settles), wgd_segment (the
  doubling from one such segment's history): mean absolute error, share within 0.1, interval
  coverage;
- WGD: the pooled doubling time, same figures;
- baseline: the same with the other clock (`copies`, MutationTimeR's per-copy model, on data the
  simulator draws per site): what assuming the wrong accrual costs;
- oracle (ith.timing.validate.oracle_events): every timed history fitted by the stage's estimator on
  the true multiplicity of each SNV it timed, so that only the sampling of how many mutations fell
  in each interval is left: its mean absolute error and share within 0.1 per category, and the
  stage's share within 0.1 among the steps where the oracle is within 0.1 (what the reads cost);
  per history, and by the segments' SNV counts (the truth's clock);
- count limit (ith.timing.validate.count_limit): per category, the oracle's share within 0.1 on
  multiplicity counts drawn at the benchmark's true times for n SNVs per segment (n on a grid), the
  n from which it reaches 0.9, and the share expected at the segments' own counts; for the gains
  in a doubled genome also with the doubling held at its true time.

    python bench/timing.py --seeds 1 2 3 --patients 9
    python bench/timing.py --seeds 1 2 3 --patients 9 --depths 30 60 100 --snvs 3000 4000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from ith.timing.core import TimingParams
from ith.timing.history import histories
from ith.timing.validate import count_limit, evaluate, find_history, truth_patients

GRID = [10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 2000, 5000, 10000]
BINS = [10, 50, 100, 200, 400, 1_000_000]


def category(t: pd.DataFrame) -> pd.Series:
    """single: one gain of one allele (2+1, 2+0 from 1+1); with_wgd: a gain, loss or LOH in a
    doubled genome timed from its segment alone (4+2, 3+2, ...); given_wgd: one timed only with the
    doubling's pooled time held (2+0 and 2+1 of a doubled genome); wgd_segment: the doubling's time
    from one such segment's own history."""
    single = t["history"].isin(["1+1>2+1", "1+1>2+0"])
    return pd.Series(np.select([t["event"] == "wgd (segment)", t["identifiable"] == "given_wgd", single],
                               ["wgd_segment", "given_wgd", "single"], "with_wgd"), index=t.index)


def _errors(name: str, t: pd.DataFrame) -> dict:
    if not len(t):
        return {f"{name}s": 0}
    err = (t["time"] - t["truth"]).abs()
    oracle = (t["oracle"] - t["truth"]).abs()
    good = oracle <= 0.1
    return {f"{name}s": len(t), f"{name}_mae": round(float(err.mean()), 3),
            f"{name}_within_0.1": round(float((err <= 0.1).mean()), 3),
            f"{name}_coverage": round(float(((t["low"] <= t["truth"]) & (t["truth"] <= t["high"])).mean()), 3),
            f"{name}_oracle_mae": round(float(oracle.mean()), 3),
            f"{name}_oracle_within_0.1": round(float(good.mean()), 3),
            f"{name}_within_0.1_where_oracle_is": round(float((err[good] <= 0.1).mean()), 3) if good.any() else float("nan")}


def figures(r: dict) -> dict:
    out = {"snvs": r["calls"], "early_late_right": round(r["accuracy"], 3)}
    g = r["gains"]
    cat = category(g) if len(g) else pd.Series(dtype=str)
    for name in ("single", "with_wgd", "given_wgd", "wgd_segment"):
        out.update(_errors(name, g[cat == name] if len(g) else g))
    out.update(_errors("wgd", r["wgd"]))
    out["wgd_not_timed"] = r["missed_wgd"]
    return out


def categorised(r: dict) -> pd.DataFrame:
    """The timed steps (gains) and the pooled doublings (category wgd) of one evaluation, one table."""
    g = r["gains"].assign(category=category(r["gains"])) if len(r["gains"]) else pd.DataFrame()
    w = r["wgd"].assign(category="wgd", history="1+1>2+2", event="wgd (pooled)", step=1, identifiable="yes")
    return pd.concat([g, w], ignore_index=True)


def by_history(t: pd.DataFrame) -> pd.DataFrame:
    """Per category, history and step kind: steps, the stage's and the oracle's share within 0.1
    and mean absolute error, the stage's share within 0.1 where the oracle is."""
    rows = []
    for (cat, hist, ev), g in t.groupby(["category", "history", "event"], sort=True):
        err, oracle = (g["time"] - g["truth"]).abs(), (g["oracle"] - g["truth"]).abs()
        good = oracle <= 0.1
        rows.append({"category": cat, "history": hist, "event": ev, "n": len(g), "snvs": f"{int(g['n'].min())}-{int(g['n'].max())}",
                     "stage_within_0.1": round(float((err <= 0.1).mean()), 2), "oracle_within_0.1": round(float(good.mean()), 2),
                     "stage_mae": round(float(err.mean()), 3), "oracle_mae": round(float(oracle.mean()), 3),
                     "stage_within_where_oracle_is": f"{int((err[good] <= 0.1).sum())}/{int(good.sum())}"})
    return pd.DataFrame(rows)


def by_count(t: pd.DataFrame) -> pd.DataFrame:
    """Per category and bin of the segments' SNV counts: steps, the oracle's and the stage's share
    within 0.1."""
    t = t.assign(bin=pd.cut(t["n"], BINS, right=False, labels=[f"{a}-{b - 1}" if b < BINS[-1] else f">={a}"
                                                                for a, b in zip(BINS[:-1], BINS[1:])]))
    rows = []
    for (cat, b), g in t.groupby(["category", "bin"], sort=True, observed=True):
        rows.append({"category": cat, "snvs": b, "n": len(g),
                     "oracle_within_0.1": round(float(((g["oracle"] - g["truth"]).abs() <= 0.1).mean()), 2),
                     "stage_within_0.1": round(float(((g["time"] - g["truth"]).abs() <= 0.1).mean()), 2)})
    return pd.DataFrame(rows)


def _true_times(unit: pd.DataFrame, wgd_truth: float) -> tuple | None:
    """(history, its steps' true times) of one segment's timed steps, the doubling at its true
    time; None when a step's truth is missing or the times are out of the history's order."""
    first = unit.iloc[0]
    h = next(iter(histories(2, 2, True))) if first["category"] == "wgd" else find_history(first["history"], *map(int, first["history"].split(">")[-1].split("+")))
    if h is None:
        return None
    truth = {int(s) - 1: float(v) for s, v in zip(unit["step"], unit["truth"])}
    times = [wgd_truth if kind == "wgd" else truth.get(k, np.nan) for k, (kind, _) in enumerate(h.steps)]
    if not np.isfinite(times).all() or np.any(np.diff(times) < 0):
        return None
    return h, times


def limits(t: pd.DataFrame, draws: int, seed: int = 1) -> pd.DataFrame:
    """Per benchmark step (category, history, event): the oracle's share within 0.1 on
    multiplicity counts drawn at its true times (the doubling held at its truth where the stage
    holds it) for each n of GRID (columns) and at its own count (`own`), and whether the oracle
    was within 0.1 (`oracle`); for the with_wgd steps also with the doubling held at its truth
    (category "with_wgd (doubling held)": what the genome's doubling time would add)."""
    rng = np.random.default_rng(seed)
    rows = []
    for _, unit in t.groupby(["seed", "patient", "segment", "history"], sort=False, dropna=False):
        wgd_truth = float(unit["wgd_truth"].iloc[0]) if unit["category"].iloc[0] != "wgd" else float(unit["truth"].iloc[0])
        ht = _true_times(unit, wgd_truth)
        if ht is None:
            continue
        h, times = ht
        for r in unit.itertuples():
            k = 0 if r.category == "wgd" else int(r.step) - 1
            for hold in (False, True) if r.category == "with_wgd" else (False,):
                err = count_limit(h, times, "sites", k, GRID + [int(r.n)], draws, rng, wgd_truth, hold)
                share = (err <= 0.1).mean(axis=1)
                rows.append({"category": r.category + (" (doubling held)" if hold else ""), "history": r.history,
                             "event": r.event, **dict(zip(GRID, share[:-1])), "own": share[-1],
                             "oracle": float(abs(r.oracle - r.truth) <= 0.1) if not hold else np.nan})
    return pd.DataFrame(rows)


def limit_table(per_step: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """per_step (limits) grouped by `by`: steps, the mean share within 0.1 at each n of GRID, the
    smallest n of GRID from which it stays >= 0.9, the steps expected within 0.1 at their own
    counts (sum of `own`) and the oracle's observed."""
    g = per_step.groupby(by, sort=True)
    out = g[GRID].mean().round(2)
    out.insert(0, "steps", g.size())
    out["snvs_for_0.9"] = pd.array([next((n for n in GRID if n > max([m for m in GRID if row[m] < 0.9], default=0)), None)
                           if (row[GRID] >= 0.9).any() else None for _, row in out.iterrows()], dtype="Int64")
    out["expected_within_0.1"] = g["own"].sum().round(1)
    out["oracle_within_0.1"] = g["oracle"].sum(min_count=1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--patients", type=int, default=9)
    ap.add_argument("--depths", type=float, nargs="+", default=[30, 60, 100])
    ap.add_argument("--snvs", type=int, nargs=2, default=[8000, 10000])
    ap.add_argument("--details", help="write every timed event's row (time, interval, truth, oracle) to this TSV")
    ap.add_argument("--draws", type=int, default=200, help="count limit: draws per step and SNV count (0: skip)")
    args = ap.parse_args()
    rows = []
    t0 = time.time()
    for seed in args.seeds:
        pts = truth_patients("demo", seed, snvs=tuple(args.snvs), n_patients=args.patients,
                             wgd_patients=tuple(range(1, args.patients, 3)), plasma=(0,), cn_events=(6, 9))
        for depth in args.depths:
            for clock in ("sites", "copies"):
                r = evaluate(pts, depth, TimingParams(clock=clock))
                rows.append({"seed": seed, "depth": depth, "clock": clock, "gains": r["gains"], "wgd": r["wgd"],
                             "calls": r["calls"], "right": r["accuracy"] * r["calls"], "missed": r["missed_wgd"]})
        print(f"seed {seed} done ({time.time() - t0:.0f} s)", flush=True)
    table = []
    for (depth, clock), g in pd.DataFrame(rows).groupby(["depth", "clock"], sort=True):
        pooled = {"calls": int(g["calls"].sum()), "accuracy": float(g["right"].sum() / g["calls"].sum()),
                  "gains": pd.concat(list(g["gains"])), "wgd": pd.concat(list(g["wgd"])), "missed_wgd": int(g["missed"].sum())}
        table.append({"depth": depth, "clock": clock + (" (truth's)" if clock == "sites" else " (baseline)"),
                      **figures(pooled)})
    if args.details:
        rows_out = [g.assign(seed=r["seed"], depth=r["depth"], clock=r["clock"]) for r in rows for g in [r["gains"]] if len(g)]
        pd.concat(rows_out).to_csv(args.details, sep="\t", index=False)
    out = pd.DataFrame(table).set_index(["depth", "clock"]).T
    print(out.to_string())
    pd.set_option("display.width", 250)
    truths = {}
    for r in rows:
        if r["clock"] == "sites":
            truths.setdefault(r["depth"], []).append(categorised(r).assign(seed=r["seed"]))
    for depth, parts in truths.items():
        print(f"\nper history, {depth:g}x, the truth's clock (sites):")
        print(by_history(pd.concat(parts, ignore_index=True)).to_string(index=False))
    depth = sorted(truths)[len(truths) // 2]
    t = pd.concat(truths[depth], ignore_index=True)
    print(f"\nby the segments' SNV count, {depth:g}x, sites:")
    print(by_count(t).to_string(index=False))
    if args.draws > 0:
        per_step = limits(t, args.draws)
        print(f"\ncount limit (sites): the oracle's share within 0.1 at n SNVs per segment ({args.draws} draws per step "
              "at each benchmark step's true times), the n from which it stays >= 0.9, and at the steps' own counts the "
              "number expected within 0.1 and the oracle's observed:")
        print(limit_table(per_step, ["category"]).to_string())
        print(limit_table(per_step, ["category", "history", "event"]).to_string())
    print(f"\ntotal {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
