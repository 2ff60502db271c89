"""From the clonal stage's tables to the clusters a patient's trees are built from."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ith.errors import InputError
from ith.io.tables import write_tsv
from ith.phylogeny.data import POSTERIOR_COLUMNS, PYCLONE_COLUMNS, CloneData, from_posteriors, from_pyclone
from ith.phylogeny.output import plot_tree, trees_json
from ith.phylogeny.proportions import own_fractions, proportion_table
from ith.phylogeny.regions import classify_mutations, region_tree
from ith.phylogeny.trees import TreeParams, TreeReport, build_trees


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


@dataclass
class PatientTrees:
    report: TreeReport
    trees: dict  # trees.json
    proportions: pd.DataFrame
    own: np.ndarray | None  # (S, K) own fractions under the best tree
    newick: str
    branches: pd.DataFrame
    mutations: pd.DataFrame


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


def run_patient(patient: str, data: CloneData, excluded: dict[int, str], mutations: pd.DataFrame | None,
                params: TreeParams, presence: str = "cluster", purity: dict[str, float] | None = None) -> PatientTrees:
    report = build_trees(data, params, excluded)
    d = report.data
    own = None
    if report.best is not None:
        own = own_fractions(d.mean, d.sd, report.best.parents)
        props = proportion_table(patient, d.samples, d.clusters, own, purity)
    else:
        props = proportion_table(patient, [], np.zeros(0), np.zeros((0, 0)), purity)
    regions = d.samples if d.samples else (sorted(mutations["sample"].unique()) if mutations is not None else [])
    if mutations is not None and not mutations.empty:
        pres = presence_table(mutations, presence)
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
    return PatientTrees(report, trees_json(patient, report, params), props, own,
                        rt.newick(outgroup="germline") + "\n", rt.branch_table(patient), cls[MUTATION_COLUMNS])


def read_clusters(path: str, summary: str | None = None) -> tuple[CloneData, dict[int, str]]:
    """A cluster_posteriors.tsv (with the cluster_summary.tsv beside it, if given) or a
    PyClone-VI results file."""
    table = pd.read_csv(path, sep="\t")
    if set(POSTERIOR_COLUMNS) <= set(table.columns):
        summ = pd.read_csv(summary, sep="\t") if summary else pd.DataFrame(columns=["cluster_id", "n_mutations"])
        return clone_data_from_tables(table, summ, path)
    if set(PYCLONE_COLUMNS) <= set(table.columns):
        return from_pyclone(table, path), {}
    raise InputError(f"{path}: neither a PyClone-VI results file ({', '.join(PYCLONE_COLUMNS)}) nor a "
                     f"cluster_posteriors.tsv ({', '.join(POSTERIOR_COLUMNS)})")


def write_outputs(result: PatientTrees, trees: str, proportions: str | None = None, newick: str | None = None,
                  branches: str | None = None, mutations: str | None = None, figure: str | None = None) -> None:
    with open(trees, "w") as fh:
        json.dump(result.trees, fh, indent=1)
        fh.write("\n")
    if proportions:
        write_tsv(result.proportions, proportions)
    if newick:
        with open(newick, "w") as fh:
            fh.write(result.newick)
    if branches:
        write_tsv(result.branches, branches)
    if mutations:
        write_tsv(result.mutations, mutations)
    if figure:
        plot_tree(figure, result.trees["patient"], result.report, result.own)
