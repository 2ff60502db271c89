"""The tables the heterogeneity metrics are computed from, built either from the workflow's
result files or from the simulator's truth, so that one code path scores both."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ith.report import metrics as m


@dataclass
class MetricInputs:
    presence: pd.DataFrame  # mutations x tumour regions (bool)
    clonal: pd.DataFrame  # mutations x tumour regions (bool): clonal there
    vaf: pd.DataFrame  # sample, vaf of mutations present in the sample
    proportions: pd.DataFrame  # sample, clone, fraction (of the sample's tumour cells, the clone's own)
    segments: pd.DataFrame  # sample, chrom, start, end, total_cn (tumour regions)
    ploidy: dict[str, float]
    wgd: dict[str, bool]
    coords: pd.DataFrame  # sample, x, y


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=["NA", ""],
                       dtype={"sample": str, "mutation_id": str, "clone": str, "regions": str, "chrom": str})


def _matrix(long: pd.DataFrame, value: str, regions: list[str]) -> pd.DataFrame:
    wide = long.pivot_table(index="mutation_id", columns="sample", values=value, aggfunc="first")
    return wide.reindex(columns=regions).fillna(False).astype(bool)


def _regions(sheet: pd.DataFrame, patient: str) -> list[str]:
    return list(sheet.loc[(sheet["patient"] == patient) & (sheet["type"] == "tumour"), "sample"])


def _inputs(muts: pd.DataFrame, vaf: pd.DataFrame, props: pd.DataFrame, seg: pd.DataFrame, pp: pd.DataFrame,
            sheet: pd.DataFrame, regions: list[str]) -> MetricInputs:
    """muts: mutation x region rows with is_present / is_clonal; the rest as MetricInputs."""
    return MetricInputs(
        _matrix(muts, "is_present", regions), _matrix(muts, "is_clonal", regions), vaf,
        props[props["sample"].isin(regions)][["sample", "clone", "fraction"]],
        seg[seg["sample"].isin(regions)][["sample", "chrom", "start", "end", "total_cn"]],
        dict(zip(pp["sample"], pp["ploidy"].astype(float))),
        dict(zip(pp["sample"], pp["wgd"].astype(str).str.lower() == "true")),
        sheet.loc[sheet["sample"].isin(regions), ["sample", "x", "y"]])


def from_result_files(mutations: Path, proportions: Path, segments: Path, purity: Path, sheet: pd.DataFrame,
                      patient: str) -> MetricInputs:
    """The clonal stage's mutations.tsv, phylogeny's clone_proportions.tsv and copy number's
    segments.tsv and purity_ploidy.tsv of the patient."""
    return from_result_tables(_read(mutations), _read(proportions), _read(segments), _read(purity), sheet, patient)


def from_result_tables(muts: pd.DataFrame, props: pd.DataFrame, segments: pd.DataFrame, purity: pd.DataFrame,
                       sheet: pd.DataFrame, patient: str) -> MetricInputs:
    """The clonal stage's mutations.tsv, phylogeny's clone_proportions.tsv and copy number's
    segments.tsv and purity_ploidy.tsv of the patient, already read."""
    regions = _regions(sheet, patient)
    muts = muts[muts["sample"].isin(regions)]
    muts = muts.assign(is_present=muts["call"] != "absent", is_clonal=muts["call"] == "clonal",
                       vaf=muts["alt_counts"] / muts["depth"].where(muts["depth"] > 0))
    present_reads = muts["present"].astype(str).str.lower() == "true"
    props = props[~props["clone"].isin(["normal", "unassigned"])]
    # the clone's own share of the tumour cells (its `fraction` there is of all cells)
    props = props.drop(columns="fraction").rename(columns={"tumour_fraction": "fraction"})
    return _inputs(muts, muts.loc[present_reads, ["sample", "vaf"]], props, segments, purity, sheet, regions)


def from_truth(truth: Path, patient: str, sheet: pd.DataFrame) -> MetricInputs:
    """truth: the simulator's truth directory (truth/{patient}/*.tsv), not the workflow's results."""
    regions = _regions(sheet, patient)
    muts = _read(truth / patient / "mutations.tsv")
    muts = muts[muts["sample"].isin(regions)]
    muts = muts.assign(is_present=muts["status"] != "absent", is_clonal=muts["status"] == "clonal")
    props = _read(truth / patient / "clone_proportions.tsv")
    vaf = muts.loc[muts["is_present"], ["sample", "expected_vaf"]].rename(columns={"expected_vaf": "vaf"})
    return _inputs(muts, vaf, props[props["clone"] != "normal"], _read(truth / patient / "segments.tsv"),
                   _read(truth / patient / "purity_ploidy.tsv"), sheet, regions)


def patient_metrics(x: MetricInputs, min_clone_fraction: float = 0.05) -> dict:
    """Every metric of the patient (names as in metrics.json)."""
    per = m.sample_metrics(x.vaf, x.proportions, min_clone_fraction)
    div = m.pairwise_divergence(x.presence)
    out = {"regions": int(x.presence.shape[1]), "mutations": int(x.presence.any(axis=1).sum()),
           **m.class_counts(x.presence), "clonal_fraction": m.clonal_fraction(x.presence, x.clonal)}
    out["subclonal_fraction"] = 1.0 - out["clonal_fraction"] if np.isfinite(out["clonal_fraction"]) else np.nan
    per = per.set_index("sample")
    out["per_sample"] = {
        r: {**({k: per.at[r, k] for k in ("math", "shannon", "simpson", "clones")} if r in per.index else
               {"math": np.nan, "shannon": np.nan, "simpson": np.nan, "clones": 0}),
            "wgii": m.wgii(x.segments[x.segments["sample"] == r], x.ploidy.get(r, np.nan)),
            "wgd": bool(x.wgd.get(r, False))}
        for r in x.presence.columns}
    out["divergence"] = div
    out["mean_divergence"] = float(np.nanmean(list(div.values()))) if div else float("nan")
    out["discordant_cn_fraction"] = m.discordant_cn_fraction(x.segments)
    out["wgd"] = any(x.wgd.values())
    out["genetic_vs_physical_distance"] = m.distance_correlation(div, x.coords)
    return out
