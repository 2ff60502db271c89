"""Table-level simulated patients for methods that start from the clonal stage's calls (the
sampling-adequacy curves): the simulator's truth, and per-region calls made from it as the
clonal stage would see them, without writing reads.

Calls: each true clone is a cluster; in a region, each of its mutations draws alt reads
~ Binomial(depth, expected VAF); the cluster's CCF estimate is its true CCF times the ratio of
the alt reads drawn to those expected (the read-count noise of a cluster's CCF); the cluster is
`clonal` at or above `clonal_ccf`, `absent` below `absent_ccf` and `subclonal` between (the
clonal stage's thresholds); a mutation takes its cluster's call, except `absent` where it has no
tumour copy in the region."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ith.simulate import truth
from ith.simulate.cohort import cohort_and_kit
from ith.simulate.genome import make_genome
from ith.simulate.presets import PRESETS


def truth_tables(preset_name: str, seed: int, **overrides) -> dict[str, tuple[pd.DataFrame, dict[str, float]]]:
    """Per patient: its truth mutations.tsv over the tumour regions (as simulate writes it) and
    the regions' depths. overrides: Preset fields (e.g. regions=(8, 8), n_patients=20)."""
    preset = replace(PRESETS[preset_name], **overrides)
    genome = make_genome(np.random.default_rng([seed, 0]), preset.autosome_lengths, preset.x_length,
                         preset.y_length, preset.segdups_per_mb)
    cohort, targets = cohort_and_kit(seed, preset, genome)
    out = {}
    for patient, specs in cohort:
        regions = [s for s in specs if s.type == "tumour"]
        out[patient.id] = (truth.mutation_table(patient, regions, targets), {s.sample: s.depth for s in regions})
    return out


def calls_from_truth(muts: pd.DataFrame, depth: dict[str, float], rng: np.random.Generator,
                     clonal_ccf: float = 0.9, absent_ccf: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(mutations, clusters) in the clonal stage's formats (the columns the sampling stage reads:
    mutation_id, sample, cluster_id, call; cluster_id, sample, ccf, call, artefact) from a truth
    mutations table; depth: per region (rounded to whole reads)."""
    m = muts.copy()
    d = np.rint(m["sample"].map(depth).to_numpy(float)).astype(int)
    vaf = m["expected_vaf"].to_numpy(float)
    m["alt"] = rng.binomial(d, np.clip(vaf, 0, 1))
    m["expected_alt"] = d * vaf
    m["cluster_id"] = m["clone"].str.lstrip("C").astype(int)
    g = m.groupby(["cluster_id", "sample"], sort=True)
    cl = g.agg(true_ccf=("ccf", "max"), alt=("alt", "sum"), expected_alt=("expected_alt", "sum")).reset_index()
    ratio = np.where(cl["expected_alt"] > 0, cl["alt"] / cl["expected_alt"].where(cl["expected_alt"] > 0, 1), 0.0)
    cl["ccf"] = np.round(np.clip(cl["true_ccf"] * ratio, 0, 1), 4)
    cl["call"] = np.where(cl["ccf"] >= clonal_ccf, "clonal", np.where(cl["ccf"] < absent_ccf, "absent", "subclonal"))
    cl["artefact"] = False
    m = m.merge(cl[["cluster_id", "sample", "call"]], on=["cluster_id", "sample"], how="left")
    m.loc[vaf <= 0, "call"] = "absent"
    clonal_all = (m["call"] == "clonal").groupby(m["mutation_id"]).transform("all")
    m["truncal"] = clonal_all
    return (m[["mutation_id", "sample", "cluster_id", "ccf", "status", "call", "truncal"]],
            cl[["cluster_id", "sample", "true_ccf", "ccf", "call", "artefact"]])


def truth_false_truncal(muts: pd.DataFrame, regions: list[str]) -> float:
    """The truth's single-biopsy false truncal rate: over regions, the mean share of the
    mutations truly clonal there (CCF 1) that are not clonal in every region."""
    clonal = (muts.assign(c=muts["status"] == "clonal").pivot_table(index="mutation_id", columns="sample",
                                                                    values="c", aggfunc="first")
              .reindex(columns=regions).fillna(False).astype(bool))
    everywhere = clonal.all(axis=1)
    rates = [float((clonal[r] & ~everywhere).sum() / clonal[r].sum()) for r in regions if clonal[r].sum()]
    return float(np.mean(rates)) if rates else float("nan")
