"""The clonal stage for one patient: its PyClone-VI input from the earlier stages, and the
annotated results from a fit (ours or PyClone-VI's).

Input: variants `counts.tsv` (allele counts of every mutation in every sample), copy number
`segments.tsv` and `purity_ploidy.tsv`. Only tumour regions are clustered; plasma is the
liquid-biopsy stage's. Mutations that cannot inform the fit (indels by default, no region
with data, optionally those on subclonal copy number) are kept: they are assigned to the
fitted clusters afterwards and reported with a reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ith.clonal.annotate import Annotated, PostParams, cluster_table, mutation_table, posterior_table, \
    postprocess, pyclone_output
from ith.clonal.data import from_frame
from ith.clonal.engine import EngineOptions
from ith.clonal.likelihood import ccf_grid, log_likelihood
from ith.clonal.purity import truncal_members, truncal_purity
from ith.clonal.results import assign, clusters_from_labels, labels_from_table
from ith.errors import InputError

log = logging.getLogger(__name__)

PYCLONE_COLUMNS = ["mutation_id", "sample_id", "ref_counts", "alt_counts", "normal_cn", "major_cn", "minor_cn",
                   "tumour_content"]


@dataclass
class InputParams:
    indels: bool = False
    subclonal_cn: str = "keep"  # keep | missing | exclude


def _is_x(chrom: pd.Series) -> np.ndarray:
    return chrom.str.replace("^chr", "", regex=True).str.upper().eq("X").to_numpy()


def _is_y(chrom: pd.Series) -> np.ndarray:
    return chrom.str.replace("^chr", "", regex=True).str.upper().eq("Y").to_numpy()


def _flag(table: pd.DataFrame, column: str) -> np.ndarray | bool:
    """A boolean column as written by our tables (True/False), False when absent."""
    return table[column].astype(str).str.lower().eq("true").to_numpy() if column in table else False


def _segment_states(muts: pd.DataFrame, segs: pd.DataFrame, max_gap: int = 1_000_000) -> pd.DataFrame:
    """major/minor/subclonal of the segment holding each mutation of one sample, and where it
    came from (`cn_source`):

    - `segment`: the segment holding it;
    - `gap`: between two segments (bins left out as unmappable, a tool's unsegmented stretch)
      of the same state, at any distance: theirs;
    - `nearest`: outside every segment but within `max_gap` bp of one: the nearest's (the left
      one at equal distance);
    - `diploid`: farther, or on a contig without segments: no state here (NaN); the caller gives
      it the normal copy number.
    """
    out = pd.DataFrame({"major_cn": np.nan, "minor_cn": np.nan, "subclonal": False, "cn_source": "diploid"},
                       index=muts.index)
    for chrom, sub in muts.groupby("chrom", sort=False):
        s = segs[segs["chrom"] == chrom].sort_values("start")
        if s.empty:
            continue
        n = len(s)
        starts, ends = s["start"].to_numpy(), s["end"].to_numpy()
        pos = sub["pos"].to_numpy()
        i = np.searchsorted(starts, pos, side="right") - 1
        j = np.maximum(i, 0)
        nxt = np.minimum(i + 1, n - 1)
        inside = (i >= 0) & (pos <= ends[j])
        major, minor = s["major_cn"].to_numpy(float), s["minor_cn"].to_numpy(float)
        sub_flag = np.broadcast_to(_flag(s, "subclonal"), n)
        gap_ok = (~inside) & (i >= 0) & (i + 1 < n) & (major[j] == major[nxt]) & (minor[j] == minor[nxt])
        d_left = np.where(i >= 0, pos - ends[j], np.inf)
        d_right = np.where(i + 1 < n, starts[nxt] - pos, np.inf)
        near = np.where(d_left <= d_right, j, nxt)
        near_ok = (~inside) & (~gap_ok) & (np.minimum(d_left, d_right) <= max_gap)
        k = np.where(near_ok, near, j)
        take = inside | gap_ok | near_ok
        out.loc[sub.index, "major_cn"] = np.where(take, major[k], np.nan)
        out.loc[sub.index, "minor_cn"] = np.where(take, minor[k], np.nan)
        out.loc[sub.index, "subclonal"] = np.where(take, sub_flag[k] | (gap_ok & sub_flag[nxt]), False)
        out.loc[sub.index, "cn_source"] = np.select([inside, gap_ok, near_ok], ["segment", "gap", "nearest"],
                                                    "diploid")
    return out


def build_input(counts: pd.DataFrame, segments: pd.DataFrame, purity: pd.DataFrame, tumours: list[str],
                sex: str | None, params: InputParams, sheet_purity: dict[str, float | None] | None = None,
                files: tuple[str, str, str] = ("counts.tsv", "segments.tsv", "purity_ploidy.tsv"),
                max_gap: int = 1_000_000) -> pd.DataFrame:
    """One row per mutation x tumour region with the real counts, the counts the fit sees and why.

    Columns: PyClone-VI's input columns (ref/alt as the fit sees them), `raw_ref`/`raw_alt`,
    `cn_status` (ok, subclonal, zero_cn, no_cn), `cn_source` (segment, gap, nearest, diploid:
    _segment_states; `diploid` entries carry the normal copy number), `clustered` and `reason`
    per mutation, plus `present`, `indel`, `driver` from the variants stage.
    """
    if params.subclonal_cn not in ("keep", "missing", "exclude"):
        raise ValueError("subclonal_cn must be keep, missing or exclude")
    f_counts, f_segments, f_purity = files
    c = counts[counts["sample"].isin(tumours)].copy()
    if c.empty:
        return pd.DataFrame(columns=PYCLONE_COLUMNS + ["raw_ref", "raw_alt", "cn_status", "cn_source", "clustered",
                                                       "reason",
                                                       "present", "indel", "driver", "cn_subclonal"])
    parts = c["mutation_id"].str.rsplit(":", n=3, expand=True)
    c["chrom"] = parts[0]
    c["pos"] = pd.to_numeric(parts[1], errors="coerce")
    if c["pos"].isna().any():
        bad = c.loc[c["pos"].isna(), "mutation_id"].iloc[0]
        raise InputError(f"{f_counts}: mutation_id {bad!r} is not chrom:pos:ref:alt")
    pur = purity.set_index("sample")["purity"] if not purity.empty else pd.Series(dtype=float)
    tumour_content = {}
    for s in tumours:
        value = pur.get(s, np.nan)
        if pd.isna(value) and sheet_purity and sheet_purity.get(s) is not None:
            log.warning("%s: no purity for %s from copy number; using the sample sheet's %.3f", f_purity, s,
                        sheet_purity[s])
            value = sheet_purity[s]
        if pd.isna(value) or not 0 < float(value) <= 1:
            raise InputError(f"{f_purity}: no usable purity for tumour sample {s} (copy-number fit failed); give "
                             "its purity in the sample sheet's purity column to cluster its mutations")
        tumour_content[s] = float(value)
    frames = []
    for s in tumours:
        sub = c[c["sample"] == s]
        st = _segment_states(sub, segments[segments["sample"] == s], max_gap)
        frames.append(pd.concat([sub, st], axis=1))
    c = pd.concat(frames).sort_index(kind="stable")
    male = (sex or "").lower() == "male"
    x, y = _is_x(c["chrom"]), _is_y(c["chrom"])
    normal_cn = np.where(y | (x & male), 1, 2)
    # outside every segment and beyond max_gap: the normal's copy number, flagged by cn_source
    diploid = c["cn_source"].eq("diploid").to_numpy()
    c["major_cn"] = np.where(diploid, 1, c["major_cn"].to_numpy(float))
    c["minor_cn"] = np.where(diploid, normal_cn - 1, c["minor_cn"].to_numpy(float))
    no_cn = c["major_cn"].isna().to_numpy()
    zero = (~no_cn) & (c["major_cn"].fillna(0).to_numpy() <= 0)
    subclonal = (~no_cn) & (~zero) & c["subclonal"].astype(bool).to_numpy()
    status = np.select([no_cn, zero, subclonal], ["no_cn", "zero_cn", "subclonal"], "ok")
    blind = no_cn | zero | (subclonal & (params.subclonal_cn == "missing"))
    ref = c["ref_counts"].to_numpy(np.int64)
    alt = c["alt_counts"].to_numpy(np.int64)
    # an entry without usable copy number carries no reads into the fit, and a copy number
    # PyClone-VI accepts (the normal's), so either engine reads it as "no data"
    major = np.where(blind, 1, c["major_cn"].fillna(1).to_numpy()).astype(np.int64)
    minor = np.where(blind, np.where(normal_cn == 1, 0, 1), c["minor_cn"].fillna(0).to_numpy()).astype(np.int64)
    out = pd.DataFrame({
        "mutation_id": c["mutation_id"].to_numpy(), "sample_id": c["sample"].to_numpy(),
        "ref_counts": np.where(blind, 0, ref), "alt_counts": np.where(blind, 0, alt),
        "normal_cn": normal_cn, "major_cn": major, "minor_cn": minor,
        "tumour_content": c["sample"].map(tumour_content).to_numpy(),
        "raw_ref": ref, "raw_alt": alt, "cn_status": status, "cn_source": c["cn_source"].to_numpy(),
        "present": _flag(c, "present"), "indel": _flag(c, "indel"),
        "driver": c["driver"].fillna("").astype(str).to_numpy() if "driver" in c else "",
        "cn_subclonal": subclonal,
    })
    g = out.groupby("mutation_id", sort=False)
    informative = g["ref_counts"].transform("sum") + g["alt_counts"].transform("sum") > 0
    excl_sub = g["cn_status"].transform(lambda v: (v == "subclonal").any()) & (params.subclonal_cn == "exclude")
    reason = np.select([out["indel"] & (not params.indels), excl_sub, ~informative],
                       ["indel", "subclonal_cn", "no_data"], "")
    out["reason"] = reason
    out["clustered"] = out["reason"] == ""
    return out


def log_input_summary(full: pd.DataFrame) -> None:
    per_mut = full.drop_duplicates("mutation_id")
    log.info("%d mutations x %d tumour regions; %d clustered", len(per_mut), full["sample_id"].nunique(),
             int(per_mut["clustered"].sum()))
    for reason, n in per_mut.loc[~per_mut["clustered"], "reason"].value_counts().sort_index().items():
        log.info("  not clustered (%s): %d, assigned to the fitted clusters afterwards", reason, n)
    for status, n in full["cn_status"].value_counts().sort_index().items():
        if status != "ok":
            log.info("  entries with copy-number status %s: %d", status, n)
    if "cn_source" in full:
        src = full["cn_source"].value_counts()
        log.info("  entries outside every segment: %d, of which %d took the nearest segment within max_gap and %d "
                 "the normal copy number (cn_source diploid); %d lay between two segments of the same state",
                 int(src.get("nearest", 0) + src.get("diploid", 0)), int(src.get("nearest", 0)),
                 int(src.get("diploid", 0)), int(src.get("gap", 0)))
    alt_on_zero = int(((full["cn_status"] == "zero_cn") & (full["raw_alt"] > 0)).sum())
    if alt_on_zero:
        log.warning("  %d entries have alt reads on a segment with no tumour copies (copy-number error?)", alt_on_zero)


def pyclone_input(full: pd.DataFrame) -> pd.DataFrame:
    """The rows the fit sees, in PyClone-VI's input format."""
    return full.loc[full["clustered"], PYCLONE_COLUMNS].reset_index(drop=True)


MUTATION_COLUMNS = ["patient", "mutation_id", "sample", "cluster_id", "cluster_assignment_prob", "clustered", "reason",
                    "ref_counts", "alt_counts", "depth", "present", "major_cn", "minor_cn", "normal_cn", "cn_status",
                    "cn_source",
                    "purity", "ccf", "ccf_low", "ccf_high", "cluster_ccf", "multiplicity", "multiplicity_prob",
                    "call", "truncal", "indel", "driver"]
SUMMARY_COLUMNS = ["patient", "cluster_id", "sample", "n_mutations", "ccf", "ccf_std", "ccf_low", "ccf_high", "call",
                   "median_depth", "artefact", "flags", "drivers"]
PURITY_COLUMNS = ["patient", "sample", "purity_cn", "purity_truncal", "low", "high", "n_truncal", "flag"]
RESULT_COLUMNS = ["mutation_id", "sample_id", "cluster_id", "cellular_prevalence", "cellular_prevalence_std",
                  "cluster_assignment_prob"]


def empty_outputs(patient: str) -> dict[str, pd.DataFrame]:
    """A patient without mutations: every table with its header and no rows."""
    return {"clusters": pd.DataFrame(columns=RESULT_COLUMNS), "mutations": pd.DataFrame(columns=MUTATION_COLUMNS),
            "summary": pd.DataFrame(columns=SUMMARY_COLUMNS),
            "posteriors": pd.DataFrame(columns=["patient", "cluster_id", "sample", "ccf", "probability"]),
            "purity": pd.DataFrame(columns=PURITY_COLUMNS)}


def annotate_patient(patient: str, full: pd.DataFrame, fit_table: pd.DataFrame, fit: EngineOptions,
                     post: PostParams) -> dict[str, pd.DataFrame]:
    """Post-process a fit and write out every mutation: clusters.tsv, mutations.tsv, summaries."""
    if full.empty:
        return empty_outputs(patient)
    grid = ccf_grid(fit.grid_size)
    data = from_frame(full[PYCLONE_COLUMNS], "input")
    L = log_likelihood(data, grid, fit.density, fit.precision, fit.state_prior)
    clustered = full.drop_duplicates("mutation_id").set_index("mutation_id").loc[data.mutation_ids, "clustered"]
    clustered = clustered.to_numpy(bool)
    labels = labels_from_table(data, fit_table)
    missing = clustered & (labels < 0)
    if missing.any():
        raise InputError(f"clusters: {int(missing.sum())} clustered mutations have no cluster in the fit's results "
                         f"(first {data.mutation_ids[int(np.flatnonzero(missing)[0])]}); was it run on this input?")
    prob_in = fit_table.drop_duplicates("mutation_id").set_index("mutation_id")["cluster_assignment_prob"]
    prob = prob_in.reindex(data.mutation_ids).to_numpy(float)
    fitted = np.flatnonzero(clustered)
    if fitted.size:
        ann = postprocess(L[fitted], labels[fitted], prob[fitted], data.n_samples, grid.size, post)
        labels = np.full(data.n_mutations, -1, np.int64)
        prob = np.full(data.n_mutations, np.nan)
        labels[fitted], prob[fitted] = ann.labels, ann.assign_prob
        for old, new in sorted(ann.merged.items()):
            log.info("cluster %d (below %d mutations) %s", old, post.min_cluster_size,
                     f"merged into {new}" if new >= 0 else "dropped")
    else:
        log.warning("no mutation could be clustered")
    clusters = clusters_from_labels(L, labels, data.n_samples, grid.size)
    rest = np.flatnonzero(~clustered)
    if rest.size and clusters.ids.size:
        labels[rest], prob[rest] = assign(L[rest], clusters, post.mix_weight_prior)
    final = Annotated(labels=labels, assign_prob=prob, clusters=clusters, merged={})
    sub_data = data.subset(clustered)
    sub_ann = Annotated(labels=labels[clustered], assign_prob=prob[clustered], clusters=clusters, merged={})
    clusters_tsv = pyclone_output(sub_data, sub_ann, grid)
    summary = cluster_table(sub_data, sub_ann, grid, post)
    muts = mutation_table(data, L, final, grid, fit.density, fit.precision, post, fit.state_prior)
    # real counts and copy number beside the model's view
    key = full.set_index(["mutation_id", "sample_id"])
    idx = pd.MultiIndex.from_arrays([muts["mutation_id"], muts["sample_id"]])
    k = key.loc[idx]
    muts["ref_counts"] = k["raw_ref"].to_numpy()
    muts["alt_counts"] = k["raw_alt"].to_numpy()
    muts["depth"] = muts["ref_counts"] + muts["alt_counts"]
    muts["present"] = k["present"].to_numpy()
    muts["cn_status"] = k["cn_status"].to_numpy()
    muts["cn_source"] = k["cn_source"].to_numpy() if "cn_source" in k else "segment"
    muts["clustered"] = k["clustered"].to_numpy()
    muts["reason"] = k["reason"].to_numpy()
    muts["indel"] = k["indel"].to_numpy()
    muts["driver"] = k["driver"].to_numpy()
    # a region whose segment kept no tumour copy cannot carry the mutation, whatever its cluster
    lost = muts["cn_status"] == "zero_cn"
    if lost.any():
        muts.loc[lost, "call"] = "absent"
        clonal_all = (muts["call"] == "clonal").groupby(muts["mutation_id"], sort=False).transform("all")
        muts["truncal"] = muts["truncal"] & clonal_all
    muts = muts.rename(columns={"sample_id": "sample", "tumour_content": "purity"})
    muts.insert(0, "patient", patient)
    muts = muts[MUTATION_COLUMNS]
    drivers = muts.drop_duplicates("mutation_id")
    drivers = drivers[drivers["driver"] != ""].groupby("cluster_id")["driver"].agg(lambda v: ",".join(sorted(set(v))))
    summary["drivers"] = summary["cluster_id"].map(drivers).fillna("")
    summary = summary.rename(columns={"sample_id": "sample"})
    summary.insert(0, "patient", patient)
    summary = summary[SUMMARY_COLUMNS]
    post_tab = posterior_table(sub_data, clusters, grid).rename(columns={"sample_id": "sample"})
    post_tab.insert(0, "patient", patient)
    if summary.empty:
        trunk = np.zeros(int(clustered.sum()), bool)
    else:
        ccf = summary.pivot(index="cluster_id", columns="sample", values="ccf")[data.sample_ids]
        trunk = truncal_members(labels[clustered], ccf, post.clonal_ccf)
    purity = truncal_purity(sub_data, trunk, fit.density, fit.precision)
    purity.insert(0, "patient", patient)
    for r in purity[purity["flag"] != ""].itertuples():
        log.warning("%s: %s (copy-number purity %.3f, truncal mutations say %s)", r.sample, r.flag, r.purity_cn,
                    "n/a" if np.isnan(r.purity_truncal) else f"{r.purity_truncal:.3f} [{r.low:.3f}, {r.high:.3f}]")
    return {"clusters": clusters_tsv, "mutations": muts, "summary": summary, "posteriors": post_tab, "purity": purity}
