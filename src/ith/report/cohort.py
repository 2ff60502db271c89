"""The cohort summary: one row per patient from the patients' metrics.json, a few cohort plots
and a sortable HTML table linking to each patient's report."""

from __future__ import annotations

import io
import base64
from pathlib import Path

import numpy as np
import pandas as pd

from ith import __version__
from ith.io.jsonout import write_text
from ith.report.patient import Table, _generated, render, table

COHORT_COLUMNS = ["patient", "mode", "regions", "plasma_samples", "mutations", "mutations_truncal", "mutations_shared",
                  "mutations_private", "clonal_fraction", "subclonal_fraction", "mean_divergence", "mean_math",
                  "mean_shannon", "mean_wgii", "discordant_cn_fraction", "wgd", "genetic_vs_physical_distance",
                  "clusters", "clones_in_tree", "trees_kept", "best_tree_weight", "flagged_clusters", "clones_in_blood",
                  "emerging_clones", "last_tumour_fraction", "trunk_signature", "subclonal_signature", "limitations",
                  "sampling_adequate", "unseen_clones", "wgd_time", "gains_timed", "early_fraction",
                  "cn_same_topology", "cn_rf_normalised"]


def _mean(per: dict, key: str) -> float:
    v = [x[key] for x in per.values() if x.get(key) is not None]
    return float(np.mean(v)) if v else float("nan")


def cohort_row(s: dict) -> dict:
    h, c, p = s["heterogeneity"], s["clones"], s.get("plasma") or {}
    per = h["per_sample"]
    return {"patient": s["patient"], "mode": s.get("mode", "matched normal"), "regions": h["regions"], "plasma_samples": len(s["samples"]["plasma"]),
            **{k: h[k] for k in ("mutations", "mutations_truncal", "mutations_shared", "mutations_private",
                                 "clonal_fraction", "subclonal_fraction", "mean_divergence")},
            "mean_math": _mean(per, "math"), "mean_shannon": _mean(per, "shannon"), "mean_wgii": _mean(per, "wgii"),
            "discordant_cn_fraction": h["discordant_cn_fraction"], "wgd": h["wgd"],
            "genetic_vs_physical_distance": h["genetic_vs_physical_distance"],
            "clusters": c["clusters"], "clones_in_tree": c["clones_in_tree"], "trees_kept": c["trees_kept"],
            "best_tree_weight": c["best_tree_weight"], "flagged_clusters": len(c.get("flagged") or []),
            "clones_in_blood": ",".join(str(k) for k in p.get("clones_detected", [])) if p else None,
            "emerging_clones": ",".join(str(k) for k in p.get("emerging", [])) if p else None,
            "last_tumour_fraction": (p.get("last") or {}).get("tumour_fraction") if p else None,
            **{f"{g}_signature": ((s.get("signatures") or {}).get("groups") or {}).get(g, {}).get("dominant")
               for g in ("trunk", "subclonal")},
            "limitations": len(s["limitations"]),
            "sampling_adequate": (s.get("sampling") or {}).get("adequate"),
            "unseen_clones": (s.get("sampling") or {}).get("unseen_clones"),
            **_timing_columns(s.get("timing") or {}),
            "cn_same_topology": (s.get("cntree") or {}).get("same_topology"),
            "cn_rf_normalised": (s.get("cntree") or {}).get("robinson_foulds_normalised")}


def _timing_columns(t: dict) -> dict:
    """The timing stage's headline numbers: the pooled doubling time, the segments with a timed
    gain (or loss, LOH) other than the doubling, and the share of called clonal SNVs that are early."""
    muts = t.get("mutations") or {}
    return {"wgd_time": (t.get("wgd") or {}).get("time"), "gains_timed": (t.get("gains") or {}).get("timed"),
            "early_fraction": (round(muts["early"] / muts["timed"], 4) if muts.get("timed") else None)}


def cohort_table(summaries: list[dict]) -> pd.DataFrame:
    rows = [cohort_row(s) for s in sorted(summaries, key=lambda s: s["patient"])]
    t = pd.DataFrame(rows, columns=COHORT_COLUMNS)
    for col in ("clones_in_blood", "emerging_clones"):
        t[col] = t[col].fillna("")
    return t


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def cohort_figures(t: pd.DataFrame, summaries: list[dict]) -> list[tuple[str, str]]:
    """(data URI, caption) of the cohort plots."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = []
    if t.empty:
        return out
    fig, ax = plt.subplots(figsize=(max(4, 0.5 * len(t) + 2), 3.2))
    bottom = np.zeros(len(t))
    for col, colour in (("mutations_truncal", "#08519c"), ("mutations_shared", "#6baed6"),
                        ("mutations_private", "#fd8d3c")):
        v = t[col].fillna(0).to_numpy(float)
        ax.bar(t["patient"], v, bottom=bottom, color=colour, label=col.replace("mutations_", ""))
        bottom += v
    ax.set_ylabel("mutations")
    ax.legend(fontsize=8, frameon=False)
    ax.tick_params(axis="x", rotation=90)
    out.append((_png(fig), "Truncal, shared and private mutations per patient."))
    ok = t.dropna(subset=["clonal_fraction", "mean_divergence"])
    if len(ok):
        fig, ax = plt.subplots(figsize=(4.2, 3.4))
        ax.scatter(ok["mean_divergence"], ok["clonal_fraction"], s=20 + 8 * ok["regions"], color="#3182bd")
        for r in ok.itertuples(index=False):
            ax.annotate(r.patient, (r.mean_divergence, r.clonal_fraction), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
        ax.set_xlabel("mean pairwise divergence")
        ax.set_ylabel("clonal fraction")
        ax.set_xlim(0, 1)  # both are fractions: a fixed frame keeps patients comparable across cohorts
        ax.set_ylim(0, 1)
        out.append((_png(fig), "Clonal fraction against mean divergence between regions (marker size: regions)."))
    tf = [(s["patient"], v.get("timepoint"), v["tumour_fraction"], v["status"])
          for s in summaries for k, v in ((s.get("plasma") or {}).get("samples") or {}).items()]
    if tf:
        fig, ax = plt.subplots(figsize=(4.8, 3.4))
        for patient, rows in pd.DataFrame(tf, columns=["patient", "t", "tf", "status"]).groupby("patient"):
            x = pd.to_numeric(rows["t"], errors="coerce")
            x = x if x.notna().all() else pd.Series(np.arange(len(rows)), index=rows.index)
            ax.plot(x, rows["tf"], marker="o", label=patient)
        ax.set_yscale("log")
        ax.set_xlabel("timepoint")
        ax.set_ylabel("tumour fraction of cfDNA")
        ax.legend(fontsize=7, frameon=False)
        out.append((_png(fig), "Tumour fraction in plasma over time, per patient (liquid stage)."))
    return out


def _table_with_links(t: pd.DataFrame) -> Table:
    tab = table(t, empty="no patients")
    for row in tab.rows:
        row[0].link = f"{row[0].text}/report.html"
    return tab


def write_cohort(summaries: list[dict], tsv: Path, html: Path) -> pd.DataFrame:
    from ith.io.tables import write_tsv

    t = cohort_table(summaries)
    write_tsv(t, str(tsv))
    defs = summaries[0]["definitions"] if summaries else {}
    page = render("cohort.html.j2", table=_table_with_links(t), figures=cohort_figures(t, summaries),
                  definitions=defs, version=__version__, generated=_generated(), n=len(t))
    write_text(page, str(html))
    return t
