"""The content of a patient's metrics.json: every number and statement the HTML report shows
(the HTML reads only this and the result tables)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ith import __version__
from ith.params import from_section
from ith.report.data import PatientData
from ith.report.inputs import MetricInputs, patient_metrics
from ith.report.resolution import resolution, resolution_limits

DEFINITIONS = {
    "regions": "Tumour regions (samples of type tumour) of the patient.",
    "mutations": "Somatic mutations present in at least one region (clonal stage calls).",
    "mutations_truncal": "Mutations present in every region.",
    "mutations_shared": "Mutations present in more than one region but not all.",
    "mutations_private": "Mutations present in exactly one region.",
    "private_by_region": "Per region, the mutations present there and in no other region.",
    "clonal_fraction": "Share of the patient's mutations that are present and clonal (CCF call 'clonal') in every "
                       "region.",
    "subclonal_fraction": "1 - clonal_fraction.",
    "math": "Mutant-allele tumour heterogeneity: 100 x 1.4826 x MAD / median of the VAFs of the sample's present "
            "mutations (Mroz & Rocco 2013).",
    "shannon": "Shannon diversity (natural log) of the sample's clone proportions (each clone's own share of the "
               "tumour cells).",
    "simpson": "Simpson diversity, 1 - sum p^2, of the same proportions.",
    "clones": "Clones making up at least `min_clone_fraction` of the sample's tumour cells.",
    "wgii": "Weighted genome instability index: per autosome, the fraction whose total copy number differs from the "
            "sample's rounded ploidy, averaged over autosomes (Burrell 2013).",
    "wgd": "Whole-genome doubling called by the copy-number stage (patient: in any region).",
    "divergence": "Per pair of regions, the Jaccard distance of their mutation sets (1 - shared / union).",
    "mean_divergence": "Mean pairwise divergence over all pairs of regions.",
    "discordant_cn_fraction": "Fraction of the autosomal genome whose total copy number is not the same in every "
                              "region.",
    "genetic_vs_physical_distance": "Spearman correlation of pairwise divergence with the Euclidean distance of the "
                                    "regions' x/y coordinates (needs >= 3 pairs).",
    "purity": "Tumour cell fraction per tumour sample (copy-number fit); tumour fraction of cfDNA for plasma "
              "(liquid stage where assessable, else copy number).",
    "clones_in_tree": "Clusters of mutations placed in the clone tree: every cluster except those the clonal stage "
                      "flagged as artefacts (every ranked tree holds every other cluster).",
    "trees_kept": "Clone trees kept by the search, ranked by the likelihood of the read counts under each tree's "
                  "sum-rule constraints (cost: log-likelihood in nats the constraints take from the clusters' free "
                  "fits; lower is better).",
    "best_tree_weight": "Likelihood share of the top-ranked tree among the kept trees.",
    "edge_support": "Per edge (parent -> child) of the kept trees, the likelihood-weighted share of the kept trees "
                    "that hold it; edges with support < 0.95 are listed as uncertain.",
    "flagged": "Clusters that fit the best tree only at a large cost (its likelihood against the same tree with the "
               "cluster left free, beyond chance in some sample): named with the samples, the size of the sum-rule "
               "violation (cell fraction) there and the cost in nats; the tree without them is listed beside the "
               "answer in trees.json, never instead of it (cohort table: flagged_clusters, their number).",
    "drivers": "Driver mutations (annotation.drivers gene list: protein-changing or splice-site mutations, as gene "
               "and protein change; variants.drivers regions by name) on the best clone tree: truncal on the trunk "
               "(a clone whose parent is the germline), subclonal on any other clone.",
    "tumour_fraction": "Fraction of cfDNA from the tumour, with its 95% interval (liquid stage).",
    "clones_detected": "Clones whose mutations are detected in the plasma sample (liquid stage, clone test).",
    "emerging": "Clones whose plasma CCF rises significantly from the first to the last timepoint.",
    "sampling": "Sampling adequacy (sampling stage, docs/methods/sampling.md): clones_observed (clusters present in "
                "at least one region), clones_q1 / clones_q2 (those present in exactly one / two regions), jackknife with "
                "jackknife_low / jackknife_high and chao2 with chao2_low / chao2_high (the second-order "
                "jackknife's and "
                "Chao2's estimates of all clones, 95% intervals), estimator (the one the verdict uses, "
                "sampling.estimator), unseen_clones (its estimate - observed), clones_added_by_extra_regions (its "
                "extrapolation to extra_regions more regions), last_region_gain "
                "(mean clones the n-th region adds to n - 1), false_truncal_single / false_truncal_leave_one_out (share "
                "of the mutations one region / n - 1 regions call clonal that are not truncal in all regions), "
                "adequate (unseen_clones < sampling.min_unseen) and the verdict.",
    "timing": "Timing (timing stage, docs/methods/timing.md): wgd (the doubling's relative time on the clock of the "
              "clonal mutations, 0 at the first and 1 at the last, with its bootstrap interval, n_mutations and "
              "n_segments 2+2 in every doubled region pooled; null when no region doubled or too few mutations), gains (segments timed, "
              "their median time and that of the truncal ones), mutations (clonal SNVs in timeable segments called "
              "early: two or more copies, before a gain or the doubling; or late), events (copy-number states other "
              "than the doubling in every region: truncal, in some: shared, in one: private) and steps (the steps "
              "of the segments' copy-number histories timed, not identifiable, timed only given the pooled "
              "doubling time, before the doubling; segments with an ambiguous history).",
    "resolution": "What the mutation counts can resolve: the smallest clone the clustering reports carries "
                  "min_cluster_size mutations (smallest_clone_share of the patient's); per region, ccf_separation is "
                  "the least CCF difference at which two such clusters are told apart (80% power, 5% two-sided, "
                  "binomial counting at the region's median depth, purity and copy number at its mutations, CCF 0.5).",
    "cntree": "Copy-number tree (cntree stage, docs/methods/cntree.md): events_from_diploid (least segmental gains "
              "and losses, and WGD when allowed, from the diploid normal to each region), newick (neighbour-joining "
              "tree on the regions' minimum-event distances, rooted at the diploid normal), clades / snv_clades (the "
              "copy-number and SNV region trees' clades), robinson_foulds (clades in one tree but not the other), "
              "robinson_foulds_normalised (over both trees' clade count) and same_topology (distance 0).",
}


@dataclass(frozen=True)
class ReportParams:
    low_purity: float = 0.3
    low_depth: float = 30.0
    ambiguous_weight: float = 0.9
    min_clone_fraction: float = 0.05
    limit_clone_share: float = 0.02
    limit_ccf_separation: float = 0.2

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> "ReportParams":
        """From the validated `report` section (same names and defaults)."""
        return from_section(cls, section, "report")


UNCERTAIN_SUPPORT = 0.95  # edges of the kept trees with less likelihood-weighted support are listed as uncertain


def _num(v):
    """JSON-safe number: NaN and inf become null, numpy scalars plain Python."""
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return round(float(v), 6) if math.isfinite(float(v)) else None
    return v


def clean(obj):
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    return _num(obj)


def _purity(d: PatientData) -> dict:
    pp = d.purity.set_index("sample") if not d.purity.empty else pd.DataFrame()
    out = {}
    for s in d.regions + d.plasma:
        row = pp.loc[s] if s in pp.index else None
        out[s] = {"purity": None if row is None else _num(row["purity"]),
                  "ploidy": None if row is None else _num(row["ploidy"]),
                  "method": None if row is None else str(row["method"])}
    if not d.ctdna.empty:
        for r in d.ctdna.itertuples(index=False):
            if r.sample in out and r.status != "not assessable" and np.isfinite(r.tumour_fraction):
                out[r.sample].update(purity=_num(r.tumour_fraction), method="liquid (tumour-informed)")
    return out


def _clones(d: PatientData) -> dict:
    t = d.trees
    trees = t.get("trees", [])
    best = trees[0] if trees else None
    clusters = sorted(d.clusters["cluster_id"].unique().tolist()) if not d.clusters.empty else []
    artefact = sorted(d.clusters.loc[d.clusters["artefact"].astype(str).str.lower() == "true", "cluster_id"]
                      .unique().tolist()) if not d.clusters.empty else []
    search = t.get("search", {})
    support = t.get("edge_support", [])
    return {"clusters": len(clusters), "artefact_clusters": artefact,
            "clones_in_tree": len(t.get("clusters", [])),
            "excluded": t.get("excluded", []),
            "trees_kept": search.get("n_kept"), "search_method": search.get("method"),
            "search_exact": search.get("exact"),
            "best_tree": None if best is None else {k: best.get(k) for k in ("parents", "weight", "cost")},
            "best_tree_weight": None if best is None else best.get("weight"),
            "edge_support": support,
            "uncertain_edges": [e for e in support if e["support"] < UNCERTAIN_SUPPORT],
            "flagged": t.get("flagged", []),
            "drivers": tree_drivers(t), "drivers_text": drivers_sentence(tree_drivers(t))}


def tree_drivers(trees: dict) -> dict:
    """Driver labels of the best clone tree: truncal (on a clone whose parent is the germline, the
    trunk) and subclonal (every other clone of the tree), each as {cluster, driver}, in cluster
    order; empty lists without a tree."""
    best = (trees.get("trees") or [None])[0]
    if best is None:
        return {"truncal": [], "subclonal": []}
    parents = best.get("parents", {})
    out: dict[str, list] = {"truncal": [], "subclonal": []}
    for c in sorted(trees.get("clusters", []), key=lambda c: c["id"]):
        if str(c["id"]) not in parents:
            continue
        kind = "truncal" if parents[str(c["id"])] is None else "subclonal"
        out[kind] += [{"cluster": int(c["id"]), "driver": d} for d in c.get("drivers", [])]
    return out


def drivers_sentence(drivers: dict) -> str:
    """'truncal TP53 p.R175H; subclonal PIK3CA p.H1047R (clone 3)' or 'none named'."""
    parts = []
    if drivers.get("truncal"):
        parts.append("truncal " + ", ".join(d["driver"] for d in drivers["truncal"]))
    if drivers.get("subclonal"):
        parts.append("subclonal " + ", ".join(f"{d['driver']} (clone {d['cluster']})" for d in drivers["subclonal"]))
    return "; ".join(parts) or "none named"


def _plasma(d: PatientData) -> dict:
    if d.ctdna.empty:
        return {}
    samples = {}
    for r in d.ctdna.itertuples(index=False):
        cl = d.plasma_clones[d.plasma_clones["sample"] == r.sample] if not d.plasma_clones.empty else pd.DataFrame()
        det = cl[cl["detected"].astype(str).str.lower() == "true"] if not cl.empty else cl
        samples[r.sample] = {"timepoint": None if pd.isna(r.timepoint) else str(r.timepoint), "status": r.status,
                             "tumour_fraction": _num(r.tumour_fraction), "tf_low": _num(r.tf_low),
                             "tf_high": _num(r.tf_high), "p_value": _num(r.p_value),
                             "limit_of_detection": _num(r.limit_of_detection),
                             "low_sensitivity": str(r.low_sensitivity).lower() == "true",
                             "clones_detected": sorted(int(c) for c in det["clone"]) if not det.empty else []}
    emerging = []
    if not d.plasma_clones.empty:
        em = d.plasma_clones[d.plasma_clones["emerging"].astype(str).str.lower() == "true"]
        emerging = sorted({int(c) for c in em["clone"]})
    shown = sorted({c for s in samples.values() for c in s["clones_detected"]})
    last = list(samples)[-1]  # ctdna.tsv is in time order
    return {"samples": samples, "clones_detected": shown, "emerging": emerging,
            "last": {"sample": last, **{k: samples[last][k] for k in ("timepoint", "status", "tumour_fraction")}},
            "plasma_only_mutations": int(len(d.plasma_only)),
            "ch_variants": sorted(set(d.ch["mutation_id"])) if not d.ch.empty else []}


# what analysing a patient without its normal costs (docs/methods/variants.md#tumour-only-patients)
TUMOUR_ONLY_COST = ("Germline variants are removed by population frequency, the panel of normals and their allele "
                    "fraction against copy number; rare germline variants in regions whose copy number or purity is "
                    "misjudged can remain as (truncal-looking) mutations. Copy number is read against a pooled "
                    "reference of other individuals' normals (a germline copy-number variant can look somatic) and "
                    "BAF only at population SNPs.")


def flagged_samples(f: dict, most: int = 5) -> str:
    """The samples of a flagged cluster, at most `most` of them, then '...'."""
    samples = list(f.get("samples") or f.get("violation") or [])
    return ", ".join(samples[:most]) + (", ..." if len(samples) > most else "")


def flagged_sentence(f: dict) -> str:
    """One sentence on a cluster that fits the tree only at a cost."""
    worst = max((f.get("violation") or {}).values(), default=None)
    breaks = f" by up to {worst:.2f}" if worst is not None else ""
    cost = f" ({f['cost']:.1f} nats)" if f.get("cost") is not None else ""
    return (f"Cluster {f['cluster']} fits the tree only at a cost{cost}: its frequencies break the sum rule{breaks} "
            f"in {flagged_samples(f)}; the tree without it is listed in trees.json.")


def limitations(d: PatientData, summary: dict, p: ReportParams) -> list[str]:
    """Plain statements of what limits the reading of this patient's results."""
    out = [f"Tumour-only (no matched normal): {summary['tumour_only_cost']}"] if summary.get("tumour_only") else []
    for s, v in summary["purity"].items():
        if s in d.regions and v["purity"] is not None and v["purity"] < p.low_purity:
            out.append(f"{s}: purity {v['purity']:.2f} < {p.low_purity}: subclonal mutations there are hard to see.")
        if s in d.regions and v["method"] and not v["method"].startswith("ascat"):
            out.append(f"{s}: purity from '{v['method']}', not a copy-number fit.")
    if not d.qc.empty:
        for r in d.qc.itertuples(index=False):
            if r.sample in d.regions + d.plasma and np.isfinite(r.median_depth) and r.median_depth < p.low_depth:
                out.append(f"{r.sample}: median depth {r.median_depth:.0f}x < {p.low_depth:.0f}x.")
            if isinstance(r.flags, str) and r.flags:
                out.append(f"{r.sample}: QC flags {r.flags}.")
            if isinstance(r.identity, str) and r.identity not in ("ok", ""):
                out.append(f"{r.sample}: identity check '{r.identity}': the sample may not be this patient's.")
    if not d.purity_check.empty:
        for r in d.purity_check.itertuples(index=False):
            if isinstance(r.flag, str) and r.flag:
                out.append(f"{r.sample}: purity check: {r.flag}.")
    h = summary["heterogeneity"]
    if h["regions"] < 2:
        out.append("One region only: shared/private mutations, divergence and region-discordant copy number "
                   "cannot be assessed.")
    if h["mutations"] == 0:
        out.append("No somatic mutations were found: no clones, trees or plasma tracking.")
    c = summary["clones"]
    if c["trees_kept"] and c["trees_kept"] > 1 and (c["best_tree_weight"] or 0) < p.ambiguous_weight:
        out.append(f"Ambiguous clone tree: {c['trees_kept']} trees kept; the best has weight "
                   f"{c['best_tree_weight']:.2f}. Edges with support < {UNCERTAIN_SUPPORT:g} are uncertain.")
    if c["search_exact"] is False:
        out.append("The tree search was heuristic (beam search, the exact branch and bound being over its budget): "
                   "the best tree shown may not be the most likely one.")
    for f in c["flagged"]:
        out.append(flagged_sentence(f))
    for e in c["excluded"]:
        out.append(f"Cluster {e['cluster']} left out of the trees: {e['reason']}.")
    if summary.get("resolution"):
        out += resolution_limits(summary["resolution"], p.limit_clone_share, p.limit_ccf_separation)
    for s, v in summary.get("plasma", {}).get("samples", {}).items():
        if v["status"] == "not assessable":
            out.append(f"{s}: plasma not assessable (too few informative reads or loci).")
        elif v["low_sensitivity"]:
            out.append(f"{s}: plasma with low sensitivity (limit of detection {v['limit_of_detection']:.2g}).")
    return out


def build_summary(d: PatientData, inputs: MetricInputs, params: ReportParams, config: dict | None = None) -> dict:
    """Everything metrics.json holds, JSON-safe and deterministic (no timestamps)."""
    normal = d.samples_of("normal")
    summary = {"patient": d.patient, "ith_version": __version__,
               "mode": "tumour-only" if not normal else "matched normal", "tumour_only": not normal,
               "samples": {"normal": normal[0] if normal else None, "regions": d.regions, "plasma": d.plasma},
               "purity": _purity(d), "heterogeneity": patient_metrics(inputs, params.min_clone_fraction),
               "clones": _clones(d), "plasma": _plasma(d),
               "sampling": {k: v for k, v in d.sampling.items() if k not in ("patient", "parameters")},
               "timing": {k: v for k, v in d.timing.items() if k not in ("patient", "parameters")}}
    min_size = ((config or {}).get("clonal") or {}).get("min_cluster_size")
    if min_size is not None and summary["heterogeneity"]["mutations"]:
        summary["resolution"] = resolution(d.mutations, d.regions, summary["heterogeneity"]["mutations"], min_size)
    if not normal:
        summary["tumour_only_cost"] = TUMOUR_ONLY_COST + (" In plasma, no locus is vetoed by the patient's own "
                                                          "normal and clonal haematopoiesis is recognised only by its "
                                                          "gene (liquid.ch_regions), not by the blood's reads."
                                                          if d.plasma else "")
    if d.signatures_metrics:
        summary["signatures"] = {k: v for k, v in d.signatures_metrics.items() if k != "patient"}
    if d.cntree_metrics:
        summary["cntree"] = {k: v for k, v in d.cntree_metrics.items() if k != "patient"}
    summary["limitations"] = limitations(d, summary, params)
    summary["definitions"] = DEFINITIONS
    summary["parameters"] = {"report": params.__dict__, "config": config or {}}
    return clean(summary)
