"""One patient's report: metrics.json, figures/ and a self-contained report.html."""

from __future__ import annotations

import base64
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ith.io.figures import save_figure
from ith.io.jsonout import write_json, write_text
from ith.report import figures as F
from ith.report.data import PatientData, PatientFiles, load_patient
from ith.report.inputs import from_result_tables
from ith.report.summary import DEFINITIONS, UNCERTAIN_SUPPORT, ReportParams, build_summary, flagged_samples

TEMPLATES = Path(__file__).parent / "templates"


def fmt(v, digits: int = 3) -> str:
    """A cell of the report: numbers rounded, missing as an en dash."""
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.{digits}g}" if abs(v) < 1e-3 and v != 0 else f"{float(v):.{digits}f}".rstrip("0").rstrip(".")
    return str(v)


@dataclass
class Cell:
    text: str
    num: bool = False
    link: str = ""


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Cell]]
    empty: str = "nothing to show"


def table(df: pd.DataFrame | None, columns: list[str] | None = None, empty: str = "nothing to show") -> Table:
    if df is None or df.empty:
        return Table(columns or [], [], empty)
    cols = [c for c in (columns or list(df.columns)) if c in df.columns]
    rows = [[Cell(fmt(v), isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool))
             for v in r] for r in df[cols].itertuples(index=False)]
    return Table(cols, rows, empty)


@dataclass
class Figure:
    uri: str
    caption: str
    path: str


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


CAPTIONS = {
    "sharing": "Every mutation (row, grouped by clone cluster, coloured bar) in every region: absent, subclonal or "
               "clonal (clonal stage calls).",
    "upset": "Number of mutations present in exactly each set of regions (dots), largest sets first.",
    "ccf_heatmap": "Mean cancer cell fraction of each cluster in each sample (clonal stage).",
    "composition": "Each clone's own share of the sample's cells in the best tree; grey: normal cells.",
    "cn_genome": "Total copy number of every region along the genome; hatched segments are subclonal.",
    "spatial": "Regions at their sample-sheet coordinates; each pie is the clone composition of the tumour cells.",
    "region_tree": "Region phylogeny: regions as leaves joined by the mutations they share; branch lengths are "
                   "mutation counts, the trunk leads from the germline.",
    "distance": "Genetic divergence (Jaccard) of each pair of regions against their physical distance.",
    "cn_profile": "Copy-number stage figure: log2 ratio, B-allele fraction and the fitted copy number per region.",
    "ccf": "Clonal stage figure: cluster CCFs and each mutation's CCF per region.",
    "tree": ("Best clone tree (edge labels: mutations gained, and support when below 1; dashed edges below 0.95 "
             "support; flagged clusters ringed in red) and clone proportions per sample."),
    "tree_best": "Best clone tree and clone proportions (details in the clone-tree section).",
    "sampling": "Sampling adequacy: against the number of regions sampled, the clones found (mean and range over "
                "subsets of the regions; dashed: the richness estimator's extrapolation; orange: its estimate with 95% "
                "interval; dotted: Chao2 when another estimator is chosen), the "
                "share of a subset's truncal calls that are not truncal in all regions, and the mean divergence.",
    "timing": "Timing stage figure: each timed segment's relative time (0 at the first, 1 at the last clonal "
              "mutation) with its bootstrap interval by event (open: not in every region), the pooled WGD time, and "
              "P(early) of the clonal SNVs in timed segments.",
    "tumour_fraction": "Tumour fraction of cfDNA over time with 95% intervals (liquid stage).",
    "plasma_clones": "Each clone's CCF in plasma over time; emerging clones drawn bold (liquid stage).",
    "plasma_fragments": "cfDNA fragment lengths: all fragments vs fragments carrying tumour mutations.",
    "cntree": "The copy-number tree: neighbour joining on the minimum number of segmental gains and losses between "
              "the regions' allele-specific profiles, rooted at the diploid normal, branch lengths in events; the "
              "distances beside it (cntree stage).",
    "signatures": "SBS96 profiles of the trunk, the subclonal mutations and every clone, titled with their COSMIC "
                  "signature exposures and 95% bootstrap intervals (signatures stage).",
}


def make_figures(d: PatientData, x, h: dict, fig_dir: Path, newick: str = "") -> dict[str, Figure]:
    """Draw the report's own figures into fig_dir, copy in the stages' figures; all inlined later."""
    fig_dir.mkdir(parents=True, exist_ok=True)
    coords = d.sheet.loc[d.sheet["type"] == "tumour", ["sample", "x", "y"]] if {"x", "y"} <= set(d.sheet) else \
        pd.DataFrame(columns=["sample", "x", "y"])
    drawn = {
        "sharing": F.sharing_heatmap(d.mutations, d.regions, d.patient) if not d.mutations.empty else None,
        "upset": F.upset(x.presence, d.patient),
        "ccf_heatmap": F.ccf_heatmap(d.clusters, d.regions, d.patient) if not d.clusters.empty else None,
        "composition": F.composition(d.proportions, d.regions, d.patient) if not d.proportions.empty else None,
        "cn_genome": F.cn_genome(d.segments, d.regions, d.patient) if not d.segments.empty else None,
        "spatial": F.spatial(coords, d.proportions, d.patient) if not d.proportions.empty else None,
        "region_tree": F.region_tree(newick, d.patient),
        "distance": F.distance_scatter(h["divergence"], coords, h["genetic_vs_physical_distance"] or np.nan,
                                       d.patient),
    }
    out = {}
    for name, fig in drawn.items():
        if fig is None:
            continue
        path = fig_dir / f"{name}.png"
        save_figure(fig, str(path))
        out[name] = path
    for name, src in d.figures.items():
        path = fig_dir / f"{name}.png"
        path.write_bytes(src.read_bytes())
        out[name] = path
    figs = {k: Figure(_data_uri(p), CAPTIONS[k], p.name) for k, p in out.items()}
    if "tree" in figs and d.trees.get("trees"):
        figs["tree_best"] = Figure(figs["tree"].uri, CAPTIONS["tree_best"], figs["tree"].path)
    return figs


def _metrics_table(h: dict) -> Table:
    rows = []
    for k in ("regions", "mutations", "mutations_truncal", "mutations_shared", "mutations_private", "clonal_fraction",
              "subclonal_fraction", "mean_divergence", "discordant_cn_fraction", "wgd", "genetic_vs_physical_distance"):
        rows.append([Cell(k), Cell(fmt(h.get(k)), True), Cell(DEFINITIONS[k])])
    priv = ", ".join(f"{r}: {n}" for r, n in h.get("private_by_region", {}).items())
    rows.append([Cell("private_by_region"), Cell(priv), Cell(DEFINITIONS["private_by_region"])])
    for k in ("math", "shannon", "simpson", "clones", "wgii"):
        rows.append([Cell(f"per_sample.{k}"), Cell("per sample, below"), Cell(DEFINITIONS[k])])
    rows.append([Cell("divergence"), Cell("per pair, region phylogeny section"), Cell(DEFINITIONS["divergence"])])
    return Table(["name", "value", "definition"], rows)


def _cluster_table(clusters: pd.DataFrame) -> Table:
    """One row per cluster: size, flags, and per sample its CCF [95% interval] and call."""
    if clusters.empty:
        return Table([], [], "no clusters (no mutations to cluster)")
    samples = list(dict.fromkeys(clusters["sample"]))
    rows = []
    for k, c in clusters.groupby("cluster_id", sort=True):
        c = c.set_index("sample")
        first = c.iloc[0]
        cells = [Cell(str(k), True), Cell(fmt(first["n_mutations"]), True),
                 Cell("yes" if str(first["artefact"]).lower() == "true" else "no"),
                 Cell(fmt(first["flags"] if isinstance(first["flags"], str) else None)),
                 Cell(fmt(first["drivers"] if isinstance(first["drivers"], str) else None))]
        for s in samples:
            if s in c.index:
                r = c.loc[s]
                cells.append(Cell(f"{r['ccf']:.2f} [{r['ccf_low']:.2f}–{r['ccf_high']:.2f}] {r['call']}"))
            else:
                cells.append(Cell("–"))
        rows.append(cells)
    return Table(["cluster", "mutations", "artefact", "flags", "drivers"] + samples, rows)


def _edges(parents: dict) -> str:
    """A tree's edges as 'parent→child', founders hung on 'root'."""
    return ", ".join(f"{'root' if p is None else p}→{c}" for c, p in parents.items())


def _tables(d: PatientData, s: dict) -> dict[str, Table]:
    h = s["heterogeneity"]
    per = pd.DataFrame([{"sample": k, "type": "tumour" if k in d.regions else "plasma", "purity": v["purity"],
                         "ploidy": v["ploidy"], "purity_method": v["method"],
                         **{m: h["per_sample"].get(k, {}).get(m) for m in ("clones", "math", "wgii", "wgd")}}
                        for k, v in s["purity"].items()])
    sample_metrics = pd.DataFrame([{"sample": k, **v} for k, v in h["per_sample"].items()])
    trees = pd.DataFrame([{"rank": t["rank"], "weight": t.get("weight"), "cost": t.get("cost"),
                           "edges (parent→child)": _edges(t["parents"])}
                          for t in d.trees.get("trees", [])])
    uncertain = pd.DataFrame(s["clones"]["uncertain_edges"], columns=["parent", "child", "support"])
    uncertain["parent"] = uncertain["parent"].map(lambda v: "root" if v is None or pd.isna(v) else int(v))
    flagged = pd.DataFrame([{"cluster": f["cluster"], "samples": flagged_samples(f),
                             "largest violation": max((f.get("violation") or {}).values(), default=None),
                             "cost (nats)": f.get("cost")} for f in s["clones"]["flagged"]])
    div = pd.DataFrame([{"region_a": k.split("|")[0], "region_b": k.split("|")[1], "divergence": v}
                        for k, v in h["divergence"].items()])
    ctdna_cols = ["sample", "timepoint", "status", "tumour_fraction", "tf_low", "tf_high", "p_value",
                  "limit_of_detection", "loci_used", "informative_reads", "alt_reads", "tumour_fraction_cn"]
    clone_cols = ["sample", "timepoint", "clone", "tissue_ccf", "n_loci", "alt_reads", "ccf", "ccf_low", "ccf_high",
                  "p_value", "detected", "change", "change_p_value", "emerging"]
    frag_cols = ["sample", "timepoint", "fragments", "mode", "median", "fraction_short", "mutant_fragments",
                 "mutant_median", "wildtype_median", "mutant_fraction_short", "shorter_p_value"]
    qc_cols = ["sample", "reads", "duplicate_percent", "fraction_mapq0", "mean_depth", "median_depth",
               "fragment_mode", "fraction_short_fragments", "sex", "declared_sex", "identity", "flags"]
    bad_pairs = d.identity[d.identity["verdict"] != "same_person"] if not d.identity.empty else d.identity
    return {
        "per_sample": table(per, empty="no tumour samples"),
        "qc": table(d.qc, qc_cols, "no QC table"),
        "orientation": table(d.orientation, ["sample", "modelled", "informative_sites", "artefact_burden", "prior_CT",
                                             "prior_CA", "present_before", "calls_removed", "sites_removed"],
                             "no orientation model"),
        "identity": table(d.identity_samples, ["sample", "compared", "mismatches", "status", "contamination",
                                               "contamination_low", "contamination_high", "contamination_flag"],
                          "no identity check"),
        "identity_pairs": table(bad_pairs, ["sample_a", "sample_b", "n_sites", "concordance", "ibs0", "verdict"],
                                "every pair of samples matches (same person)"),
        "clusters": _cluster_table(d.clusters),
        "purity": table(d.purity, ["sample", "purity", "ploidy", "goodness_of_fit", "wgd", "method"], "no fit"),
        "trees": table(trees, empty="no clone tree (fewer than one cluster of mutations)"),
        "uncertain_edges": table(uncertain, empty="none: every edge of the kept trees has support of at least "
                                                  f"{UNCERTAIN_SUPPORT:g}"),
        "flagged": table(flagged, empty="none: every cluster fits the best tree within read noise"),
        "branches": table(d.branches, ["regions", "n_regions", "kind", "n_mutations", "compatible"],
                          "no region tree"),
        "divergence": table(div, empty="fewer than two regions: no pairwise divergence"),
        "ctdna": table(d.ctdna, ctdna_cols), "plasma_clones": table(d.plasma_clones, clone_cols),
        "fragments": table(d.fragments, frag_cols),
        "ch": table(_ch_table(d.ch), empty="none found"),
        "signatures": table(_signature_table(d.signatures), empty="no signature fits"),
        "truncal_vs_subclonal": table(pd.DataFrame([{"signature": k, **v} for k, v in
                                                    s.get("signatures", {}).get("truncal_vs_subclonal", {}).items()]),
                                      empty="trunk or subclonal mutations too few to fit"),
        "metrics": _metrics_table(h),
        "sample_metrics": table(sample_metrics, empty="no per-sample metrics"),
        "sampling": _sampling_table(s.get("sampling") or {}),
        "cntree": table(d.cntree_distances, ["sample_1", "sample_2", "events"], "no copy-number tree"),
        "timing": table(_timing_table(d.timing_segments), empty="no copy-number event"),
    }


SAMPLING_ROWS = ("regions", "clones_observed", "clones_q1", "clones_q2", "estimator", "jackknife", "jackknife_low",
                 "jackknife_high", "chao2", "chao2_low", "chao2_high", "unseen_clones",
                 "clones_added_by_extra_regions", "last_region_gain", "false_truncal_single",
                 "false_truncal_leave_one_out", "adequate")


def _sampling_table(v: dict) -> Table:
    """The sampling stage's numbers, one per row."""
    if not v:
        return Table([], [], "no sampling-adequacy results")
    return Table(["name", "value"], [[Cell(k), Cell(fmt(v.get(k)), True)] for k in SAMPLING_ROWS if k in v])


def _timing_table(seg: pd.DataFrame) -> pd.DataFrame:
    """The timing stage's copy-number events: state, scope, mutations early/late and the time."""
    if seg.empty:
        return seg
    rows = []
    for r in seg.itertuples(index=False):
        timed = pd.notna(r.time)
        history = getattr(r, "history", "")
        rows.append({"segment": r.segment, "state": f"{r.major_cn}+{r.minor_cn}", "event": r.event, "scope": r.scope,
                     "regions": r.n_regions, "early / late": f"{r.n_early} / {r.n_late}" if r.n_mutations else "",
                     "history": "" if pd.isna(history) else str(history),
                     "time [interval]": ((f"{r.time:.2f} [{r.low:.2f}-{r.high:.2f}]" if pd.notna(r.low) else f"{r.time:.2f}")
                                         + (f" ({r.step})" if isinstance(getattr(r, "step", ""), str) and r.step else "")
                                         if timed else "")})
    return pd.DataFrame(rows)


def _signature_table(e: pd.DataFrame) -> pd.DataFrame:
    """One row per group of the signatures stage: its SNVs and its exposures with intervals, along
    the tree (trunk, subclonal, clones, region-tree branches, regions)."""
    if e.empty:
        return e
    rows = []
    for g, x in e.groupby("group", sort=False):
        fit = x[x["fitted"].astype(str).str.lower() == "true"]
        fit = fit[fit["exposure"] > 0].sort_values("exposure", ascending=False)
        rows.append({"group": g, "SNVs": int(x["n_mutations"].iloc[0]),
                     "exposures [95% bootstrap interval]": "; ".join(
                         f"{r.signature} {r.exposure:.2f} [{r.low:.2f}-{r.high:.2f}]" for r in fit.itertuples())
                     or "not fitted (too few SNVs)",
                     "cosine": x["cosine"].iloc[0] if len(fit) else None})
    return pd.DataFrame(rows)


def _ch_table(ch: pd.DataFrame) -> pd.DataFrame:
    """One row per clonal-haematopoiesis variant: its evidence, the normal's and the tissue's
    counts, and its VAF in each plasma sample."""
    if ch.empty:
        return ch
    first = ch.groupby("mutation_id", sort=False).first()
    out = first[["gene", "evidence", "normal_alt", "normal_depth", "normal_vaf", "tissue_alt", "tissue_depth",
                 "tumour_locus"]].copy()
    for s, g in ch.groupby("sample", sort=False):
        out[f"vaf {s}"] = g.set_index("mutation_id")["vaf"].reindex(out.index)
    return out.reset_index()


def _generated() -> str:
    """The report's date; SOURCE_DATE_EPOCH (reproducible builds) fixes it."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch else dt.datetime.now(dt.timezone.utc)
    return when.strftime("%Y-%m-%d %H:%M UTC")


def render(template: str, **context) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=False, lstrip_blocks=False)
    return env.get_template(template).render(css=(TEMPLATES / "style.css").read_text(), f=fmt, **context)


def write_report(files: PatientFiles, patient: str, sheet: pd.DataFrame, params: ReportParams, out_dir: Path,
                 config: dict | None = None, inputs: list[str] | None = None) -> dict:
    """Write out_dir/metrics.json, out_dir/figures/*.png and out_dir/report.html (last, so a report
    present means the rest is complete) from the patient's files. inputs: the files to list as the
    report's provenance. Returns the summary."""
    d = load_patient(files, patient, sheet)
    x = from_result_tables(d.mutations, d.proportions, d.segments, d.purity, d.sheet, patient)
    s = build_summary(d, x, params, config)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(s, str(out_dir / "metrics.json"))
    newick = files.newick.read_text().strip() if files.newick is not None else ""
    figs = make_figures(d, x, s["heterogeneity"], out_dir / "figures", newick)
    input_sizes = pd.DataFrame({"file": inputs or [], "bytes": [os.path.getsize(p) if os.path.exists(p) else None
                                                               for p in (inputs or [])]})
    sheet_rows = d.sheet[["sample", "type", "bam"]].rename(columns={"bam": "file"})
    sheet_rows["bytes"] = [os.path.getsize(f) if isinstance(f, str) and os.path.exists(f) else None
                           for f in sheet_rows["file"]]
    html = render("patient.html.j2", s=s, figs=figs, tables={**_tables(d, s), "inputs": table(
        pd.concat([sheet_rows, input_sizes], ignore_index=True), empty="no inputs recorded")},
        newick=newick,
        parameters=yaml.safe_dump(s["parameters"], sort_keys=True, default_flow_style=False),
        generated=_generated())
    write_text(html, str(out_dir / "report.html"))
    return s

