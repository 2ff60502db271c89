"""One patient's timing from the clonal and copy-number stages' tables: mutations.tsv,
segments.tsv, metrics.json and timing.png (rule timing; docs/methods/timing.md)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ith.io.figures import save_figure
from ith.io.jsonout import write_json
from ith.io.tables import write_tsv
from ith.report.summary import clean
from ith.timing.core import TimingParams, time_patient_events

log = logging.getLogger(__name__)

COLOURS = {"gain": "#d6604d", "cnloh": "#7b3294", "loss": "#4d9221", "wgd": "#2166ac"}


def figure(seg: pd.DataFrame, mut: pd.DataFrame, metrics: dict, patient: str):
    """Left: each timed segment's relative time with its interval, along the genome, coloured by
    event (the pooled WGD time as a band). Right: the P(early) of the timed mutations."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [2.2, 1]})
    timed = seg[seg["time"].notna()].reset_index(drop=True)
    for i, r in timed.iterrows():
        c = COLOURS.get(r["event"], "grey")
        ax.errorbar(i, r["time"], yerr=[[r["time"] - r["low"]], [r["high"] - r["time"]]] if np.isfinite(r["low"]) else None,
                    fmt="o", color=c, ms=5, capsize=3, mfc=c if r["scope"] == "truncal" else "white")
    w = metrics.get("wgd")
    if w:
        ax.axhspan(w["low"], w["high"], color=COLOURS["wgd"], alpha=0.15, lw=0)
        ax.axhline(w["time"], color=COLOURS["wgd"], lw=1, ls="--", label=f"WGD {w['time']:.2f}")
    for ev, c in COLOURS.items():
        ax.plot([], [], "o", color=c, label=ev)
    ax.plot([], [], "o", color="grey", mfc="white", label="not truncal")
    ax.set_xticks(range(len(timed)))
    ax.set_xticklabels(timed["segment"], rotation=60, ha="right", fontsize=6)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("relative time (0 first, 1 last clonal mutation)")
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    if not len(timed):
        ax.text(0.5, 0.5, "no segment with enough clonal mutations", ha="center", transform=ax.transAxes)
    ax2.hist(mut["p_early"], bins=np.linspace(0, 1, 21), color="#636363")
    ax2.set_xlabel("P(early) of clonal SNVs in gained segments")
    ax2.set_ylabel("mutations")
    fig.suptitle(f"{patient}: timing of gains and WGD", fontsize=11)
    fig.tight_layout()
    return fig


def write(mutations: pd.DataFrame, segments: pd.DataFrame, wgd: dict[str, bool], regions: list[str],
          params: TimingParams, patient: str, mutations_tsv: str, segments_tsv: str, metrics_json: str,
          plot: str, events_tsv: str | None = None) -> dict:
    seg, mut, events, metrics = time_patient_events(mutations, segments, wgd, regions, params, patient)
    write_tsv(mut, mutations_tsv)
    write_tsv(seg, segments_tsv)
    if events_tsv is not None:
        write_tsv(events, events_tsv)
    metrics = clean(metrics)
    write_json(metrics, metrics_json)
    save_figure(figure(seg, mut, metrics, patient), plot)
    log.info("%s: %d copy-number states in %d regions (%s); %d timeable with %d clonal SNVs (%d early); "
             "%d segments timed; WGD %s; steps %s", patient, len(seg), len(regions), metrics["events"],
             int(seg["timeable"].sum()), len(mut), metrics["mutations"]["early"], int(seg["time"].notna().sum()),
             metrics["wgd"]["time"] if metrics["wgd"] else "none timed", metrics["steps"])
    return metrics
