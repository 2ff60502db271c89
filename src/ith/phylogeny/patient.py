"""From the clonal stage's tables to a patient's clone trees, proportions, region tree and
mutation classes."""

from __future__ import annotations

import logging

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ith.errors import InputError
from ith.io.jsonout import write_json, write_text
from ith.io.tables import write_tsv
from ith.phylogeny.data import PYCLONE_COLUMNS, CloneData, from_posteriors
from ith.phylogeny.formats import PARENT_COLUMNS, parent_frame
from ith.phylogeny.output import parent_map, plot_tree, trees_json
from ith.phylogeny.proportions import proportion_table
from ith.phylogeny.ranking import PhylogenyParams, TreeResult, build, own_fractions
from ith.phylogeny.reads import READ_COLUMNS, ClusterReads, from_table
from ith.phylogeny.regions import classify_mutations, region_tree

log = logging.getLogger(__name__)


def _flag(values: pd.Series) -> np.ndarray:
    return values.astype(str).str.lower().eq("true").to_numpy()


def clone_data_from_tables(posteriors: pd.DataFrame, summary: pd.DataFrame,
                           source: str = "cluster_posteriors.tsv") -> tuple[CloneData, dict[int, str]]:
    """Clusters with their CCF posteriors, mutation counts and drivers; clusters the clonal stage
    flagged as artefacts (near zero CCF everywhere) are left out, with the reason."""
    per = summary.drop_duplicates("cluster_id").set_index("cluster_id")
    n_mut = per["n_mutations"].astype(int).to_dict() if len(per) else {}
    data = from_posteriors(posteriors, source, n_mut)
    drivers = per["drivers"].astype(object).where(per["drivers"].notna(), "").astype(str) \
        if "drivers" in per else pd.Series(dtype=str)
    data.drivers = {int(k): [d for d in v.split(",") if d] for k, v in drivers.items() if v}
    excluded: dict[int, str] = {}
    if "artefact" in per and len(data.clusters):
        art = per["artefact"]
        bad = {int(k) for k, v in zip(art.index, _flag(art)) if v}
        for k in sorted(bad):
            excluded[k] = f"flagged as an artefact by the clonal stage ({per.loc[k, 'flags']})" \
                if "flags" in per else "flagged as an artefact by the clonal stage"
        data = data.subset(~np.isin(data.clusters, sorted(bad)))
    return data, excluded


def artefact_clusters(summary: pd.DataFrame) -> dict[int, str]:
    """Clusters the clonal stage flagged as artefacts (near zero everywhere, few mutations or low
    depth): not clones, so not in the trees; the reason is reported."""
    per = summary.drop_duplicates("cluster_id").set_index("cluster_id")
    if "artefact" not in per or per.empty:
        return {}
    out = {}
    for k, bad in zip(per.index, _flag(per["artefact"])):
        if bad:
            why = f" ({per.loc[k, 'flags']})" if "flags" in per and isinstance(per.loc[k, "flags"], str) else ""
            out[int(k)] = f"flagged as an artefact by the clonal stage{why}"
    return out


PYCLONE_INPUT = ["mutation_id", "sample_id", "ref_counts", "alt_counts", "normal_cn"]


def var_read_prob(frame: pd.DataFrame, source: str) -> np.ndarray:
    """A carrier cell's variant-read probability from a PyClone-VI-format table (tumour_content,
    normal_cn, major_cn + minor_cn or total_cn, multiplicity): purity x multiplicity / (purity x
    total copy number + normal copy number x (1 - purity)), a carrier cell having the segment's
    copy number (the clonal stage's clonal_cn states; with PyClone-VI's uniform states an
    approximation); 0 where the segment kept no tumour copy."""
    p = frame["tumour_content"].astype(float).to_numpy() if "tumour_content" in frame else np.ones(len(frame))
    bad = ~((p > 0) & (p <= 1))
    if bad.any():
        r = frame[bad].iloc[0]
        raise InputError(f"{source}: mutation {r['mutation_id']} in sample {r['sample_id']}: tumour_content "
                         f"{r.get('tumour_content')} is not a purity in (0, 1]; give the sample's purity")
    normal = frame["normal_cn"].astype(float).to_numpy()
    if "total_cn" in frame:
        total = frame["total_cn"].astype(float)
        if "major_cn" in frame and "minor_cn" in frame:
            total = total.where(total.notna(), frame["major_cn"].astype(float) + frame["minor_cn"].astype(float))
        total = total.to_numpy()
    elif "major_cn" in frame and "minor_cn" in frame:
        total = (frame["major_cn"].astype(float) + frame["minor_cn"].astype(float)).to_numpy()
    else:
        raise InputError(f"{source}: needs major_cn and minor_cn, or total_cn")
    if not np.isfinite(total).all() or not np.isfinite(normal).all():
        i = int(np.flatnonzero(~(np.isfinite(total) & np.isfinite(normal)))[0])
        r = frame.iloc[i]
        raise InputError(f"{source}: mutation {r['mutation_id']} in sample {r['sample_id']}: no copy number")
    m = frame["multiplicity"].astype(float).fillna(1).clip(lower=1).to_numpy() if "multiplicity" in frame \
        else np.ones(len(frame))
    with np.errstate(divide="ignore", invalid="ignore"):
        om = p * np.minimum(m, np.maximum(total, 1)) / (p * total + normal * (1 - p))
    return np.where((total > 0) & np.isfinite(om), np.clip(om, 0, 1), 0.0)


def _int_ids(values: pd.Series) -> pd.Series:
    """Cluster ids as integers, -1 where there is none (NA: a mutation no cluster kept)."""
    return pd.to_numeric(values, errors="coerce").fillna(-1).astype(int)


def reads_from_clonal(mutations: pd.DataFrame, summary: pd.DataFrame, params: PhylogenyParams,
                      source: str = "mutations.tsv", inputs: pd.DataFrame | None = None,
                      inputs_source: str = "input.tsv") -> tuple[ClusterReads, dict[int, str]]:
    """The clusters' read counts as the clonal stage fitted them: its input.tsv (the rows and
    reads its fit saw, with no reads where copy number was unusable) with each mutation's cluster
    and multiplicity from mutations.tsv, less the artefact clusters; drivers from
    cluster_summary.tsv. Without input.tsv, mutations.tsv's raw reads of the clustered mutations
    on segments with a tumour copy number."""
    need = ["mutation_id", "sample", "cluster_id", "multiplicity"]
    missing = [c for c in need if c not in mutations.columns]
    if missing:
        raise InputError(f"{source}: missing column(s) {', '.join(missing)}; is it the clonal stage's mutations.tsv?")
    excluded = artefact_clusters(summary)
    m = mutations.assign(cluster_id=_int_ids(mutations["cluster_id"]), mutation_id=mutations["mutation_id"].astype(str),
                         sample=mutations["sample"].astype(str))
    m = m[(m["cluster_id"] >= 0) & ~m["cluster_id"].isin(excluded)]
    if inputs is not None:
        miss = [c for c in PYCLONE_INPUT if c not in inputs.columns]
        if miss:
            raise InputError(f"{inputs_source}: missing column(s) {', '.join(miss)}; is it the clonal stage's input.tsv?")
        rows = inputs.assign(mutation_id=inputs["mutation_id"].astype(str), sample_id=inputs["sample_id"].astype(str))
        rows = rows.merge(m[["mutation_id", "sample", "cluster_id", "multiplicity"]].rename(columns={"sample": "sample_id"}),
                          on=["mutation_id", "sample_id"], how="inner")
        src = inputs_source
    else:
        extra = [c for c in ("alt_counts", "depth", "purity", "major_cn", "minor_cn", "normal_cn", "cn_status")
                 if c not in m.columns]
        if extra:
            raise InputError(f"{source}: missing column(s) {', '.join(extra)}; is it the clonal stage's mutations.tsv?")
        m = m[~m["cn_status"].isin(["no_cn", "zero_cn"])]
        if "clustered" in m:
            m = m[m["clustered"].astype(str).str.lower().eq("true")]
        rows = pd.DataFrame({"mutation_id": m["mutation_id"], "sample_id": m["sample"], "cluster_id": m["cluster_id"],
                             "multiplicity": m["multiplicity"], "alt_counts": m["alt_counts"],
                             "ref_counts": m["depth"] - m["alt_counts"], "tumour_content": m["purity"],
                             "normal_cn": m["normal_cn"], "major_cn": m["major_cn"], "minor_cn": m["minor_cn"]})
        src = source
    table = pd.DataFrame({"mutation_id": rows["mutation_id"], "sample": rows["sample_id"],
                          "cluster_id": rows["cluster_id"], "var_reads": rows["alt_counts"].astype(float),
                          "total_reads": (rows["ref_counts"] + rows["alt_counts"]).astype(float),
                          "var_read_prob": var_read_prob(rows, src)})
    samples = list(dict.fromkeys(mutations["sample"].astype(str)))
    reads = from_table(table[READ_COLUMNS], src, params.overdispersion, params.error, samples)
    per = summary.drop_duplicates("cluster_id").set_index("cluster_id")
    if "drivers" in per:
        drv = per["drivers"].where(per["drivers"].notna(), "").astype(str)
        reads.drivers = {int(k): [d for d in v.split(",") if d] for k, v in drv.items() if v and int(k) not in excluded}
    return reads, excluded


@dataclass
class PatientTrees:
    result: TreeResult
    trees: dict  # trees.json
    proportions: pd.DataFrame
    own: np.ndarray | None  # (S, K) own fractions under the best tree
    newick: str
    branches: pd.DataFrame
    mutations: pd.DataFrame
    parents: pd.DataFrame  # the best tree as cluster -> parent (and Pairtree's parent vector)


MUTATION_COLUMNS = ["patient", "mutation_id", "cluster_id", "regions", "n_regions", "kind"]


def mutation_kind(pattern: str, truncal: bool) -> str:
    """truncal = clonal in every region (the clonal stage's call); else shared or private by
    where the mutation is present (a subclonal mutation present everywhere is shared)."""
    if truncal:
        return "truncal"
    return {"trunk": "shared"}.get(pattern, pattern)


def sample_purity(mutations: pd.DataFrame) -> dict[str, float]:
    if "purity" not in mutations or mutations.empty:
        return {}
    p = mutations.drop_duplicates("sample").set_index("sample")["purity"].astype(float)
    return {s: float(v) for s, v in p.items() if np.isfinite(v)}


def presence_table(mutations: pd.DataFrame, presence: str) -> pd.DataFrame:
    """Per mutation x region: present by the cluster's call (default; not absent) or by reads."""
    if presence == "reads":
        flag = mutations["present"].astype(str).str.lower().eq("true")
    else:
        flag = mutations["call"].astype(str) != "absent"
    return pd.DataFrame({"mutation_id": mutations["mutation_id"], "sample": mutations["sample"], "present": flag})


def parent_table(res: TreeResult) -> pd.DataFrame:
    """The best tree, one row per cluster, with Pairtree's parent vector (formats.parent_frame)."""
    if res.best is None:
        return pd.DataFrame(columns=PARENT_COLUMNS)
    ids = [int(c) for c in res.reads.clusters]
    return parent_frame(parent_map(res.best, res.reads.clusters), ids)


def run_patient(patient: str, reads: ClusterReads, excluded: dict[int, str], mutations: pd.DataFrame | None,
                params: PhylogenyParams, purity: dict[str, float] | None = None) -> PatientTrees:
    res = build(reads, params)
    own = None
    if res.best is not None:
        own = own_fractions(res.phi, res.best)
        seen = (reads.stop > reads.start).any(axis=1)  # a sample without reads has no proportions to give
        props = proportion_table(patient, [s for s, ok in zip(reads.samples, seen) if ok], reads.clusters, own[seen],
                                 purity)
    else:
        props = proportion_table(patient, [], np.zeros(0), np.zeros((0, 0)), purity)
    regions = reads.samples if reads.samples else (sorted(mutations["sample"].unique()) if mutations is not None else [])
    if mutations is not None and not mutations.empty:
        pres = presence_table(mutations, params.presence)
        rt = region_tree(pres, regions)
        cls = classify_mutations(pres, regions)
        first = mutations.drop_duplicates("mutation_id").set_index("mutation_id")
        cls.insert(1, "cluster_id", cls["mutation_id"].map(first["cluster_id"]).fillna(-1).astype(int).to_numpy())
        truncal = cls["mutation_id"].map(first["truncal"].astype(str).str.lower().eq("true")) \
            if "truncal" in first else pd.Series(False, index=cls.index)
        cls["kind"] = [mutation_kind(p, bool(t)) for p, t in zip(cls["pattern"], truncal.fillna(False))]
        cls = cls[["mutation_id", "cluster_id", "regions", "n_regions", "kind"]]
    else:
        rt = region_tree(pd.DataFrame(columns=["mutation_id", "sample", "present"]), regions)
        cls = pd.DataFrame(columns=["mutation_id", "cluster_id", "regions", "n_regions", "kind"])
    cls.insert(0, "patient", patient)
    return PatientTrees(res, trees_json(patient, res, params, excluded), props, own,
                        rt.newick(outgroup="germline") + "\n", rt.branch_table(patient), cls[MUTATION_COLUMNS],
                        parent_table(res))


def reads_from_pyclone(results: pd.DataFrame, inputs: pd.DataFrame, params: PhylogenyParams,
                       source: str, inputs_source: str) -> ClusterReads:
    """PyClone-VI's results (clusters) with its input (reads, copy number, purity: tumour_content,
    1 when absent, as in PyClone-VI). PyClone-VI keeps no multiplicity, so a carrier cell has one
    mutant copy."""
    missing = [c for c in PYCLONE_INPUT if c not in inputs.columns]
    if missing:
        raise InputError(f"{inputs_source}: the PyClone-VI input lacks column(s) {', '.join(missing)}")
    cl = results.drop_duplicates("mutation_id").set_index("mutation_id")["cluster_id"]
    m = inputs[inputs["mutation_id"].isin(cl.index)]
    if m.empty:
        raise InputError(f"{inputs_source}: no mutation of the PyClone-VI results {source} is in this input; "
                         f"same run?")
    table = pd.DataFrame({"mutation_id": m["mutation_id"].astype(str), "sample": m["sample_id"].astype(str),
                          "cluster_id": m["mutation_id"].map(cl), "var_reads": m["alt_counts"],
                          "total_reads": m["ref_counts"] + m["alt_counts"], "var_read_prob": var_read_prob(m, inputs_source)})
    return from_table(table, inputs_source, params.overdispersion, params.error)


def reads_from_cellular_prevalence(results: pd.DataFrame, source: str, error: float) -> ClusterReads:
    """PyClone-VI's results alone: each cluster's cellular prevalence in a sample (mean, std)
    becomes the read counts of one pseudo-mutation with that binomial mean and spread (variant
    reads mu x n of n = mu (1 - mu) / std^2, carrier cells showing the variant in every read), so
    trees are ranked as the results' uncertainty says. Exact read counts are better: --reads."""
    per = results.groupby(["cluster_id", "sample_id"], sort=False)[["cellular_prevalence",
                                                                    "cellular_prevalence_std"]].first().reset_index()
    mu = per["cellular_prevalence"].astype(float).clip(0.005, 0.995)
    sd = per["cellular_prevalence_std"].astype(float).fillna(0.0).clip(lower=0.005)
    n = mu * (1 - mu) / sd**2
    table = pd.DataFrame({"mutation_id": "cluster" + per["cluster_id"].astype(str), "sample": per["sample_id"].astype(str),
                          "cluster_id": per["cluster_id"].astype(int), "var_reads": mu * n, "total_reads": n,
                          "var_read_prob": 1.0})
    samples = list(dict.fromkeys(results["sample_id"].astype(str)))
    reads = from_table(table, source, None, error, samples)
    sizes = results.drop_duplicates("mutation_id").groupby("cluster_id").size()
    reads.n_mutations = sizes.reindex(reads.clusters).fillna(0).to_numpy(int)
    return reads


def read_input(path: str, params: PhylogenyParams, summary: str | None = None, reads: str | None = None,
               pairtree_params: str | None = None) -> tuple[ClusterReads, dict[int, str], pd.DataFrame | None]:
    """Any of the inputs `ith phylogeny` reads, told apart by their columns: the clonal stage's
    mutations.tsv (with its cluster_summary.tsv and, as `reads`, its input.tsv), a PyClone-VI
    results file (with its input file as `reads`, or alone), a CONIPHER input table, or Pairtree's .ssm (with its .params.json).
    Returns the clusters' reads, the clusters left out and the mutation table when it is ours."""
    from ith.phylogeny.formats import read_conipher, read_pairtree

    if pairtree_params:
        table, samples = read_pairtree(path, pairtree_params)
        return from_table(table, path, params.overdispersion, params.error, samples), {}, None
    table = pd.read_csv(path, sep="\t", keep_default_na=False, na_values=["NA", ""],
                        dtype={"mutation_id": str, "sample": str, "sample_id": str})
    cols = set(table.columns)
    if {"alt_counts", "depth", "multiplicity", "cluster_id", "sample"} <= cols:
        summ = pd.read_csv(summary, sep="\t", keep_default_na=False, na_values=["NA"], dtype={"flags": str,
                           "drivers": str}) if summary else pd.DataFrame(columns=["cluster_id"])
        inputs = pd.read_csv(reads, sep="\t", dtype={"mutation_id": str, "sample_id": str}) if reads else None
        r, excluded = reads_from_clonal(table, summ, params, path, inputs, reads or "")
        return r, excluded, table
    if set(PYCLONE_COLUMNS) <= cols:
        if not reads:
            log.warning("%s: PyClone-VI results without their input (--reads): each cluster's read counts are "
                        "approximated from its cellular prevalence and std", path)
            return reads_from_cellular_prevalence(table, path, params.error), {}, None
        inputs = pd.read_csv(reads, sep="\t", dtype={"mutation_id": str, "sample_id": str})
        return reads_from_pyclone(table, inputs, params, path, reads), {}, None
    if {"CASE_ID", "SAMPLE", "VAR_COUNT", "CLUSTER"} <= cols:
        t, samples, _ = read_conipher(path)
        return from_table(t, path, params.overdispersion, params.error, samples), {}, None
    raise InputError(f"{path}: not an input ith phylogeny reads: the clonal stage's mutations.tsv, a PyClone-VI "
                     f"results file (with --reads), a CONIPHER input table, or a Pairtree .ssm (with "
                     f"--pairtree-params)")


def write_outputs(result: PatientTrees, trees: str, proportions: str | None = None, newick: str | None = None,
                  branches: str | None = None, mutations: str | None = None, figure: str | None = None,
                  parents: str | None = None) -> None:
    write_json(result.trees, trees)
    if proportions:
        write_tsv(result.proportions, proportions)
    if newick:
        write_text(result.newick, newick)
    if branches:
        write_tsv(result.branches, branches)
    if mutations:
        write_tsv(result.mutations, mutations)
    if parents:
        write_tsv(result.parents, parents)
    if figure:
        plot_tree(figure, result.trees["patient"], result.result, result.own)
