"""Inputs of other clone-tree builders from the clonal stage's mutations.tsv: Pairtree's .ssm and
.params.json and CONIPHER's input table (ith.phylogeny.formats reads both back).

Both hold the mutations the clonal fit clustered, in the clusters the clone trees use: a mutation
left out of the fit (indel, subclonal or no copy number, no data) or in an artefact cluster
(cluster_summary.tsv) is Pairtree 'garbage' and not in CONIPHER's table.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ith.io.atomic import atomic_path
from ith.io.mutations import split_ids

CONIPHER_EXPORT_COLUMNS = ["CASE_ID", "SAMPLE", "CHR", "POS", "REF", "ALT", "REF_COUNT", "VAR_COUNT", "DEPTH",
                           "CLUSTER", "CCF_PHYLO", "CCF_OBS", "MUT_COPY", "COPY_NUMBER_A", "COPY_NUMBER_B", "ACF",
                           "PLOIDY"]
SSM_EXPORT_COLUMNS = ["id", "name", "var_reads", "total_reads", "var_read_prob"]


def artefact_clusters(summary: pd.DataFrame) -> set[int]:
    """Clusters cluster_summary.tsv marks as artefacts (in any region)."""
    if summary.empty:
        return set()
    art = summary["artefact"].astype(str).str.lower() == "true"
    return {int(c) for c in summary.loc[art, "cluster_id"].unique()}


def _bool(s: pd.Series) -> pd.Series:
    return s.astype(str).str.lower() == "true"


def tree_mutations(mutations: pd.DataFrame, artefacts: set[int]) -> pd.Series:
    """Per row of mutations.tsv: whether its mutation is in the clone trees' data (clustered, in a
    cluster that is not an artefact)."""
    cluster = pd.to_numeric(mutations["cluster_id"], errors="coerce")
    return _bool(mutations["clustered"]) & cluster.notna() & ~cluster.isin(sorted(artefacts))


def var_read_prob(multiplicity: np.ndarray, major: np.ndarray, minor: np.ndarray, purity: np.ndarray,
                  normal_cn: np.ndarray) -> np.ndarray:
    """Pairtree's omega: the probability that a read of the locus carries the variant when every
    cell of the sample carries the mutation, so that a subclone present in a fraction phi of all
    cells shows the variant on a share phi * omega of the reads. A carrier cell holds m mutated
    copies, and the locus averages p * C + n * (1 - p) copies per cell (tumour copy number C at
    purity p, normal copy number n), so omega = m / (p * C + n * (1 - p)): 0.5 for a heterozygous
    mutation in a diploid region, m / C at purity 1. Missing values fall back to m = 1, C = n,
    p = 1; the result is kept within 0..1 (0 where the locus has no copy)."""
    m = np.where(np.isfinite(multiplicity), multiplicity, 1.0)
    n = np.where(np.isfinite(normal_cn), normal_cn, 2.0)
    c = np.where(np.isfinite(major) & np.isfinite(minor), major + minor, n)
    p = np.where(np.isfinite(purity), purity, 1.0)
    denom = p * c + n * (1.0 - p)
    with np.errstate(divide="ignore", invalid="ignore"):
        omega = np.where(denom > 0, m / np.where(denom > 0, denom, 1.0), 0.0)
    return np.clip(omega, 0.0, 1.0)


def _num(t: pd.DataFrame, col: str) -> np.ndarray:
    return np.asarray(pd.to_numeric(t[col], errors="coerce"), dtype=float)


def pairtree_inputs(mutations: pd.DataFrame, artefacts: set[int]) -> tuple[pd.DataFrame, dict]:
    """Pairtree's .ssm table and .params.json content from mutations.tsv. Mutations in file order
    get ids s0, s1, ... (name: ith's mutation_id); samples are the tumour regions in file order,
    every mutation one comma-separated value per sample (0 reads where a region has no row).
    'clusters' lists the tree clusters in increasing cluster_id (Pairtree numbers them 1..K in that
    order), 'garbage' the other mutations."""
    m = mutations.copy()
    m["mutation_id"] = m["mutation_id"].astype(str)
    m["sample"] = m["sample"].astype(str)
    samples = list(dict.fromkeys(m["sample"]))
    ids = list(dict.fromkeys(m["mutation_id"]))
    key = {mid: f"s{i}" for i, mid in enumerate(ids)}
    m["omega"] = var_read_prob(_num(m, "multiplicity"), _num(m, "major_cn"), _num(m, "minor_cn"),
                               _num(m, "purity"), _num(m, "normal_cn"))
    m["var"] = pd.to_numeric(m["alt_counts"], errors="coerce").fillna(0).astype(np.int64)
    m["total"] = (pd.to_numeric(m["ref_counts"], errors="coerce").fillna(0).astype(np.int64) + m["var"])
    wide = m.drop_duplicates(["mutation_id", "sample"]).set_index(["mutation_id", "sample"])
    full = pd.MultiIndex.from_product([ids, samples], names=["mutation_id", "sample"])
    wide = wide.reindex(full)
    var = wide["var"].fillna(0).astype(np.int64).to_numpy().reshape(len(ids), len(samples))
    total = wide["total"].fillna(0).astype(np.int64).to_numpy().reshape(len(ids), len(samples))
    omega = wide["omega"].fillna(0.5).to_numpy().reshape(len(ids), len(samples))

    def joined(a: np.ndarray, fmt: str) -> list[str]:
        return [",".join(format(x, fmt) for x in row) for row in a]

    ssm = pd.DataFrame({"id": [key[i] for i in ids], "name": ids, "var_reads": joined(var, "d"),
                        "total_reads": joined(total, "d"), "var_read_prob": joined(omega, ".6g")},
                       columns=SSM_EXPORT_COLUMNS)
    used = m[tree_mutations(m, artefacts)].drop_duplicates("mutation_id")
    cluster_of = dict(zip(used["mutation_id"], pd.to_numeric(used["cluster_id"]).astype(int)))
    clusters = [[key[i] for i in ids if cluster_of.get(i) == c] for c in sorted(set(cluster_of.values()))]
    garbage = [key[i] for i in ids if i not in cluster_of]
    params = {"samples": samples, "clusters": clusters, "garbage": garbage,
              "cluster_ids": sorted(set(cluster_of.values()))}
    return ssm, params


def write_pairtree(ssm: pd.DataFrame, params: dict, ssm_path: str, params_path: str) -> None:
    """Both files written atomically; the same input gives the same bytes."""
    with atomic_path(ssm_path) as tmp:
        ssm[SSM_EXPORT_COLUMNS].to_csv(tmp, sep="\t", index=False, lineterminator="\n")
    with atomic_path(params_path) as tmp, open(tmp, "w") as fh:
        json.dump(params, fh)
        fh.write("\n")


def conipher_table(mutations: pd.DataFrame, artefacts: set[int], ploidy: dict[str, float]) -> pd.DataFrame:
    """CONIPHER's input table (its data/input_table.tsv columns): one row per tree mutation and
    tumour region. CLUSTER is ith's cluster_id + 1 (CONIPHER numbers clusters from 1); CCF_OBS and
    CCF_PHYLO the mutation's own CCF (0 where it has none); MUT_COPY its mutated copies averaged over tumour cells (CCF x
    multiplicity, so MUT_COPY / CCF_PHYLO gives back the multiplicity); COPY_NUMBER_A and _B the
    major and minor copy number; ACF the purity and PLOIDY the region's ploidy (ploidy: sample ->
    ploidy from purity_ploidy.tsv)."""
    t = mutations[tree_mutations(mutations, artefacts)].reset_index(drop=True)
    loc = split_ids(t["mutation_id"].astype(str))
    ccf = np.nan_to_num(_num(t, "ccf"), nan=0.0)
    mult = _num(t, "multiplicity")
    mult = np.where(np.isfinite(mult), mult, 1.0)
    ref = pd.to_numeric(t["ref_counts"]).astype(np.int64)
    var = pd.to_numeric(t["alt_counts"]).astype(np.int64)
    return pd.DataFrame({
        "CASE_ID": t["patient"].astype(str), "SAMPLE": t["sample"].astype(str), "CHR": loc["chrom"],
        "POS": loc["pos"], "REF": loc["ref"], "ALT": loc["alt"], "REF_COUNT": ref, "VAR_COUNT": var,
        "DEPTH": ref + var, "CLUSTER": pd.to_numeric(t["cluster_id"]).astype(int) + 1,
        "CCF_PHYLO": ccf, "CCF_OBS": ccf, "MUT_COPY": ccf * mult,
        "COPY_NUMBER_A": pd.to_numeric(t["major_cn"]).astype(int), "COPY_NUMBER_B": pd.to_numeric(t["minor_cn"]).astype(int),
        "ACF": _num(t, "purity"), "PLOIDY": t["sample"].astype(str).map(ploidy).astype(float),
    }, columns=CONIPHER_EXPORT_COLUMNS)
