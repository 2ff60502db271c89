"""One patient's sampling adequacy from the clonal stage's tables: curves.tsv, richness.json and
curves.png (rule sampling; docs/methods/sampling.md)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ith.io.figures import save_figure
from ith.io.jsonout import write_json
from ith.io.tables import write_tsv
from ith.report.summary import clean
from ith.sampling.curves import Calls, Richness, SamplingParams, calls_from_tables, curves, estimates, summary

log = logging.getLogger(__name__)

LABELS = {"clones_found": "clones found", "false_truncal": "false truncal share",
          "divergence": "mean pairwise divergence (Jaccard)"}


def figure(curve: pd.DataFrame, found: dict[str, Richness], params: SamplingParams, patient: str):
    """Three panels against the number of regions: clones found (mean, range over subsets, the
    chosen estimator's extrapolation beyond the sampled regions and its asymptote with 95%
    interval, and Chao2's asymptote when Chao2 is not the chosen one), the false truncal share
    and the mean divergence."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    rich = found[params.estimator]
    label = "jackknife" if params.estimator == "jackknife" else "Chao2"
    n = rich.regions
    for ax, metric in zip(axes, LABELS):
        c = curve[(curve["metric"] == metric) & curve["mean"].notna()]
        ax.fill_between(c["k"], c["low"], c["high"], color="#9ecae1", alpha=0.5, lw=0, label="range over subsets")
        ax.plot(c["k"], c["mean"], "o-", color="#08519c", ms=4, label="mean")
        ax.set_xlabel("regions sampled")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(LABELS[metric], fontsize=10)
        if metric != "clones_found" or n < 2:
            continue
        ahead = np.arange(n, n + max(params.extra_regions, n) + 1)
        ax.plot(ahead, [rich.expected(int(t)) for t in ahead], "--", color="#08519c", label=f"extrapolated ({label})")
        if np.isfinite(rich.estimate):
            ax.axhspan(rich.low, rich.high, color="#fdae6b", alpha=0.3, lw=0)
            ax.axhline(rich.estimate, color="#e6550d", lw=1, label=f"{label} {rich.estimate:.1f}")
        other = found["chao2"]
        if params.estimator != "chao2" and np.isfinite(other.estimate):
            ax.axhline(other.estimate, color="#636363", lw=1, ls=":", label=f"Chao2 {other.estimate:.1f}")
        ax.legend(fontsize=7, loc="lower right")
    axes[1].set_ylim(bottom=0)
    fig.suptitle(f"{patient}: sampling adequacy", fontsize=11)
    fig.tight_layout()
    return fig


def run(mutations: pd.DataFrame, clusters: pd.DataFrame, regions: list[str], params: SamplingParams,
        patient: str) -> tuple[pd.DataFrame, dict, Calls, dict[str, Richness]]:
    calls = calls_from_tables(mutations, clusters, regions)
    curve = curves(calls, params, patient)
    found = estimates(calls.clones.to_numpy(bool))
    out = {"patient": patient, **summary(curve, found, params),
           "exhaustive": bool(curve["exhaustive"].all()) if len(curve) else True,
           "parameters": params.__dict__}
    return curve, clean(out), calls, found


def write(mutations: pd.DataFrame, clusters: pd.DataFrame, regions: list[str], params: SamplingParams,
          patient: str, curves_tsv: str, richness_json: str, plot: str) -> dict:
    curve, out, calls, found = run(mutations, clusters, regions, params, patient)
    write_tsv(curve, curves_tsv)
    write_json(out, richness_json)
    save_figure(figure(curve, found, params, patient), plot)
    log.info("%s: %d regions, %d clusters, %d mutations; %s", patient, len(regions), len(calls.clones),
             len(calls.presence), out["verdict"])
    return out
