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
  simulator draws per site): what assuming the wrong accrual costs.

    python bench/timing.py --seeds 1 2 3 --patients 9
    python bench/timing.py --seeds 1 2 3 --patients 9 --depths 30 60 100 --snvs 3000 4000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from ith.timing.core import TimingParams
from ith.timing.validate import evaluate, truth_patients


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
    return {f"{name}s": len(t), f"{name}_mae": round(float(err.mean()), 3),
            f"{name}_within_0.1": round(float((err <= 0.1).mean()), 3),
            f"{name}_coverage": round(float(((t["low"] <= t["truth"]) & (t["truth"] <= t["high"])).mean()), 3)}


def figures(r: dict) -> dict:
    out = {"snvs": r["calls"], "early_late_right": round(r["accuracy"], 3)}
    g = r["gains"]
    cat = category(g) if len(g) else pd.Series(dtype=str)
    for name in ("single", "with_wgd", "given_wgd", "wgd_segment"):
        out.update(_errors(name, g[cat == name] if len(g) else g))
    out.update(_errors("wgd", r["wgd"]))
    out["wgd_not_timed"] = r["missed_wgd"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--patients", type=int, default=9)
    ap.add_argument("--depths", type=float, nargs="+", default=[30, 60, 100])
    ap.add_argument("--snvs", type=int, nargs=2, default=[8000, 10000])
    ap.add_argument("--details", help="write every timed event's row (time, interval, truth) to this TSV")
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


if __name__ == "__main__":
    main()
