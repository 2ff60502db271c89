"""Other tree builders' files: Pairtree's input pair and CONIPHER's input table read into the long
read table the clone-tree stage ranks trees on (`ith.phylogeny.reads.READ_COLUMNS`), and a tree
written as Pairtree's parent vector.

Reading their inputs lets the same mutations, clusters and reads be run through `ith` and through
the tool they were prepared for, so the two trees can be compared on identical data; the parent
vector is the form Pairtree (and its comparison scripts) take a tree in.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ith.errors import InputError
from ith.io.tables import write_tsv
from ith.phylogeny.reads import READ_COLUMNS

SSM_COLUMNS = ["id", "var_reads", "total_reads", "var_read_prob"]
CONIPHER_COLUMNS = ["CASE_ID", "SAMPLE", "CHR", "POS", "REF", "ALT", "VAR_COUNT", "CLUSTER", "CCF_PHYLO",
                    "MUT_COPY", "COPY_NUMBER_A", "COPY_NUMBER_B", "ACF"]


# ---------------------------------------------------------------------------------------------
# Pairtree
# ---------------------------------------------------------------------------------------------

def _load_params(params_path: str) -> tuple[list[str], list[list[str]], set[str]]:
    try:
        with open(params_path) as fh:
            params = json.load(fh)
    except FileNotFoundError as e:
        raise InputError(f"{params_path}: file not found; give Pairtree's .params.json") from e
    except json.JSONDecodeError as e:
        raise InputError(f"{params_path}: not valid JSON ({e.msg} at line {e.lineno}); fix the file") from e
    if not isinstance(params, dict):
        raise InputError(f"{params_path}: expected a JSON object with keys 'samples' and 'clusters'")
    for key in ("samples", "clusters"):
        if key not in params:
            raise InputError(f"{params_path}: missing key '{key}'; Pairtree's params file needs 'samples' (the "
                             f"sample names) and 'clusters' (lists of mutation ids)")
    samples, clusters, garbage = params["samples"], params["clusters"], params.get("garbage", [])
    if not isinstance(samples, list) or not samples:
        raise InputError(f"{params_path}: key 'samples' must be a non-empty list of sample names")
    samples = [str(s) for s in samples]
    if len(set(samples)) != len(samples):
        dup = next(s for s in samples if samples.count(s) > 1)
        raise InputError(f"{params_path}: sample '{dup}' is listed twice under 'samples'; give each sample once")
    if not isinstance(clusters, list) or not all(isinstance(c, list) for c in clusters):
        raise InputError(f"{params_path}: key 'clusters' must be a list of lists of mutation ids")
    if not isinstance(garbage, list):
        raise InputError(f"{params_path}: key 'garbage' must be a list of mutation ids")
    for i, c in enumerate(clusters):
        if not c:
            raise InputError(f"{params_path}: cluster {i + 1} (entry {i} of 'clusters') is empty; drop it")
    return samples, [[str(m) for m in c] for c in clusters], {str(m) for m in garbage}


def _split_counts(ssm: pd.DataFrame, col: str, n: int, path: str, integer: bool) -> np.ndarray:
    """One .ssm column's comma-separated per-sample values as an (M, n) array, each value checked."""
    out = np.empty((len(ssm), n), dtype=np.int64 if integer else float)
    for i, (mid, raw) in enumerate(zip(ssm["id"], ssm[col])):
        parts = str(raw).split(",") if pd.notna(raw) else []
        if len(parts) != n:
            raise InputError(f"{path}: mutation {mid}: column '{col}' has {len(parts)} value(s) but the params "
                             f"file lists {n} sample(s); give one comma-separated value per sample")
        for j, p in enumerate(parts):
            try:
                x = float(p)
            except ValueError:
                x = np.nan
            if not np.isfinite(x) or (integer and x != round(x)):
                kind = "a whole number" if integer else "a number"
                raise InputError(f"{path}: mutation {mid}: value {j + 1} of column '{col}' ('{p.strip()}') is not "
                                 f"{kind}; fix that value")
            out[i, j] = x
    return out


def read_pairtree(ssm_path: str, params_path: str) -> tuple[pd.DataFrame, list[str]]:
    """Pairtree's .ssm and .params.json as a READ_COLUMNS table (mutations in .ssm order, samples
    in the params' order) and the sample list.

    Pairtree's files carry exactly what the tree ranking needs (reads and the variant-read
    probability per mutation and sample, and the clusters), so nothing is estimated here. Cluster
    i of the params' 'clusters' list gets cluster_id i + 1: Pairtree numbers the tree's nodes that
    way, with 0 its root, so trees from both tools name clusters alike. Mutations listed under
    'garbage' are dropped; a mutation in no cluster and not garbage is an error, as in Pairtree.
    """
    samples, clusters, garbage = _load_params(params_path)
    try:
        ssm = pd.read_csv(ssm_path, sep="\t", dtype=str, keep_default_na=False, na_values=[""])
    except FileNotFoundError as e:
        raise InputError(f"{ssm_path}: file not found; give Pairtree's .ssm file") from e
    missing = [c for c in SSM_COLUMNS if c not in ssm.columns]
    if missing:
        raise InputError(f"{ssm_path}: missing column(s) {', '.join(missing)}; a Pairtree .ssm has the "
                         f"tab-separated columns id, name, var_reads, total_reads, var_read_prob")
    if ssm["id"].isna().any():
        raise InputError(f"{ssm_path}: line {int(np.flatnonzero(ssm['id'].isna())[0]) + 2}: empty 'id'; give "
                         f"every mutation an id")
    dup = ssm["id"][ssm["id"].duplicated()]
    if len(dup):
        raise InputError(f"{ssm_path}: mutation id {dup.iloc[0]} appears twice; give each mutation one row")

    ids = set(ssm["id"])
    cluster_of: dict[str, int] = {}
    for k, members in enumerate(clusters, start=1):
        for m in members:
            if m not in ids:
                raise InputError(f"{params_path}: cluster {k} lists mutation {m}, which is not in {ssm_path}; "
                                 f"remove it from the cluster or add its row")
            if m in cluster_of:
                raise InputError(f"{params_path}: mutation {m} is in clusters {cluster_of[m]} and {k}; put it "
                                 f"in one")
            if m in garbage:
                raise InputError(f"{params_path}: mutation {m} is both in cluster {k} and under 'garbage'; "
                                 f"keep it in one")
            cluster_of[m] = k
    unassigned = [m for m in ssm["id"] if m not in cluster_of and m not in garbage]
    if unassigned:
        raise InputError(f"{params_path}: mutation {unassigned[0]} ({len(unassigned)} in all) is in no cluster and "
                         f"not under 'garbage'; Pairtree needs every mutation clustered: add it to a cluster or to "
                         f"'garbage'")
    ssm = ssm[ssm["id"].isin(cluster_of.keys())].reset_index(drop=True)

    n = len(samples)
    var = _split_counts(ssm, "var_reads", n, ssm_path, integer=True)
    total = _split_counts(ssm, "total_reads", n, ssm_path, integer=True)
    prob = _split_counts(ssm, "var_read_prob", n, ssm_path, integer=False)
    checks = [(var < 0, "var_reads is negative"), (total < var, "var_reads exceeds total_reads"),
              ((prob < 0) | (prob > 1), "var_read_prob is outside 0..1")]
    for bad, what in checks:
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise InputError(f"{ssm_path}: mutation {ssm['id'].iloc[i]}, sample {samples[j]} (value {j + 1}): "
                             f"{what}; fix that value")

    table = pd.DataFrame({
        "mutation_id": np.repeat(ssm["id"].to_numpy(), n),
        "sample": np.tile(np.array(samples, dtype=object), len(ssm)),
        "cluster_id": np.repeat([cluster_of[m] for m in ssm["id"]], n).astype(int),
        "var_reads": var.ravel(), "total_reads": total.ravel(), "var_read_prob": prob.ravel(),
    })
    return table[READ_COLUMNS], samples


# ---------------------------------------------------------------------------------------------
# CONIPHER
# ---------------------------------------------------------------------------------------------

def _numeric(t: pd.DataFrame, col: str, path: str, allow_na: bool = False) -> np.ndarray:
    x = np.array(pd.to_numeric(t[col], errors="coerce"), dtype=float)  # a writable copy
    bad = ~np.isfinite(x) & (~t[col].isna().to_numpy() if allow_na else True)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{path}: line {i + 2} (mutation {t['mutation_id'].iloc[i]}, sample {t['SAMPLE'].iloc[i]}): "
                         f"column '{col}' is '{t[col].iloc[i]}', not a number; fix or drop that row")
    return x


def conipher_multiplicity(mut_copy: np.ndarray, ccf: np.ndarray, cn_a: np.ndarray, cn_b: np.ndarray) -> np.ndarray:
    """Mutated copies per carrier cell: CONIPHER's MUT_COPY is the mutation's copy number (mutated
    copies averaged over tumour cells) and CCF_PHYLO the share of tumour cells carrying it, so
    their ratio is the copies in a carrier cell. Rounded to a whole number and kept within
    1..max(A, B, 1), since a mutation sits on one allele; 1 where CCF_PHYLO is 0 (absent from the
    sample: the multiplicity cannot be read off, and 1 is the usual case)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(ccf > 0, mut_copy / np.where(ccf > 0, ccf, 1.0), 1.0)
    m = np.floor(ratio + 0.5)
    top = np.maximum(np.maximum(cn_a, cn_b), 1.0)
    return np.clip(np.where(np.isfinite(m), m, 1.0), 1.0, top)


def read_conipher(path: str) -> tuple[pd.DataFrame, list[str], dict]:
    """CONIPHER's input table as a READ_COLUMNS table, the samples in file order and {"case": CASE_ID}.

    CONIPHER's CCFs count tumour cells, so a cell carrying the mutation shows it on a read with
    probability ACF * m / (ACF * (A + B) + 2 * (1 - ACF)): its m mutated copies over the reads'
    average copy number in a sample of purity ACF whose normal cells hold 2 copies (CONIPHER's
    own CCF assumes the same). m comes from MUT_COPY / CCF_PHYLO (see `conipher_multiplicity`).
    A mutation at a locus with no tumour copy (A + B = 0) gets probability 0, which the ranking
    drops as carrying no information. mutation_id is CHR:POS:REF>ALT; total reads are DEPTH, or
    REF_COUNT + VAR_COUNT where DEPTH is absent.
    """
    try:
        t = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, na_values=["", "NA", "NaN", "nan"])
    except FileNotFoundError as e:
        raise InputError(f"{path}: file not found; give CONIPHER's input table") from e
    missing = [c for c in CONIPHER_COLUMNS if c not in t.columns]
    if "DEPTH" not in t.columns and "REF_COUNT" not in t.columns:
        missing.append("DEPTH (or REF_COUNT)")
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; CONIPHER's input table has CASE_ID, "
                         f"SAMPLE, CHR, POS, REF, ALT, REF_COUNT, VAR_COUNT, DEPTH, CLUSTER, CCF_PHYLO, CCF_OBS, "
                         f"MUT_COPY, COPY_NUMBER_A, COPY_NUMBER_B, ACF, PLOIDY")
    if t.empty:
        raise InputError(f"{path}: no rows; give at least one mutation")
    for col in ("CASE_ID", "SAMPLE", "CHR", "POS", "REF", "ALT"):
        if t[col].isna().any():
            i = int(np.flatnonzero(t[col].isna())[0])
            raise InputError(f"{path}: line {i + 2}: column '{col}' is empty; fill it or drop that row")
    cases = list(dict.fromkeys(t["CASE_ID"]))
    if len(cases) > 1:
        raise InputError(f"{path}: holds more than one CASE_ID ({cases[0]} and {cases[1]}); give one tumour per "
                         f"file")
    pos = t["POS"].str.strip().str.replace(r"\.0+$", "", regex=True)
    t["mutation_id"] = t["CHR"].str.strip() + ":" + pos + ":" + t["REF"].str.strip() + ">" + t["ALT"].str.strip()
    t["SAMPLE"] = t["SAMPLE"].str.strip()
    dup = t.duplicated(["mutation_id", "SAMPLE"])
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputError(f"{path}: line {i + 2}: mutation {t['mutation_id'].iloc[i]} appears twice in sample "
                         f"{t['SAMPLE'].iloc[i]}; give one row per mutation and sample")

    var = _numeric(t, "VAR_COUNT", path)
    depth = _numeric(t, "DEPTH", path, allow_na=True) if "DEPTH" in t.columns else np.full(len(t), np.nan)
    no_depth = np.isnan(depth)
    if no_depth.any():
        if "REF_COUNT" not in t.columns:
            i = int(np.flatnonzero(no_depth)[0])
            raise InputError(f"{path}: line {i + 2}: DEPTH is empty and there is no REF_COUNT column; give either")
        ref = _numeric(t, "REF_COUNT", path, allow_na=True)
        both = no_depth & np.isnan(ref)
        if both.any():
            i = int(np.flatnonzero(both)[0])
            raise InputError(f"{path}: line {i + 2}: DEPTH and REF_COUNT are both empty; give either")
        depth[no_depth] = ref[no_depth] + var[no_depth]
    cluster = _numeric(t, "CLUSTER", path)
    if (cluster != np.round(cluster)).any():
        i = int(np.flatnonzero(cluster != np.round(cluster))[0])
        raise InputError(f"{path}: line {i + 2}: CLUSTER '{t['CLUSTER'].iloc[i]}' is not a whole number")
    t["cluster_id"] = cluster.astype(int)
    split = t.groupby("mutation_id", sort=False)["cluster_id"].nunique()
    if (split > 1).any():
        mid = split.index[split > 1][0]
        raise InputError(f"{path}: mutation {mid} has different CLUSTER values in different samples "
                         f"({', '.join(map(str, sorted(t.loc[t['mutation_id'] == mid, 'cluster_id'].unique())))}); "
                         f"give it one cluster")
    ccf, mut_copy = _numeric(t, "CCF_PHYLO", path), _numeric(t, "MUT_COPY", path)
    cn_a, cn_b, acf = _numeric(t, "COPY_NUMBER_A", path), _numeric(t, "COPY_NUMBER_B", path), _numeric(t, "ACF", path)
    checks = [(var < 0, "VAR_COUNT is negative"), (depth < var, "VAR_COUNT exceeds the depth"),
              ((cn_a < 0) | (cn_b < 0), "a copy number is negative"), ((acf < 0) | (acf > 1), "ACF is outside 0..1"),
              (var != np.round(var), "VAR_COUNT is not a whole number"),
              (depth != np.round(depth), "the depth is not a whole number")]
    for bad, what in checks:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"{path}: line {i + 2} (mutation {t['mutation_id'].iloc[i]}, sample "
                             f"{t['SAMPLE'].iloc[i]}): {what}; fix that row")

    m = conipher_multiplicity(mut_copy, ccf, cn_a, cn_b)
    tumour_cn = cn_a + cn_b
    denom = acf * tumour_cn + 2.0 * (1.0 - acf)
    with np.errstate(divide="ignore", invalid="ignore"):
        prob = np.where((tumour_cn > 0) & (denom > 0), acf * m / np.where(denom > 0, denom, 1.0), 0.0)
    table = pd.DataFrame({"mutation_id": t["mutation_id"].to_numpy(), "sample": t["SAMPLE"].to_numpy(),
                          "cluster_id": t["cluster_id"].to_numpy(), "var_reads": var.astype(np.int64),
                          "total_reads": depth.astype(np.int64), "var_read_prob": np.clip(prob, 0.0, 1.0)})
    return table[READ_COLUMNS], list(dict.fromkeys(t["SAMPLE"])), {"case": cases[0]}


# ---------------------------------------------------------------------------------------------
# Parent vectors
# ---------------------------------------------------------------------------------------------

def parent_vector(parents: dict[str, int | None], cluster_order: list[int]) -> list[int]:
    """Pairtree's parent vector of a tree {cluster id: parent cluster id, None for a founder}: the
    clusters numbered 1..K in `cluster_order`, entry i the number of cluster i+1's parent, 0 for
    the root. Pairtree reads and scores trees in this form, so it is how a tree goes to it."""
    index = {str(c): i for i, c in enumerate(cluster_order, start=1)}
    if len(index) != len(cluster_order):
        raise ValueError(f"cluster_order lists a cluster twice: {cluster_order}")
    keys = {str(k) for k in parents}
    if keys != set(index):
        extra, absent = sorted(keys - set(index)), sorted(set(index) - keys)
        raise ValueError(f"the tree's clusters and cluster_order differ (only in the tree: {extra}; only in the "
                         f"order: {absent})")
    up = {str(k): (None if p is None else str(p)) for k, p in parents.items()}
    for c, p in up.items():
        if p is not None and p not in index:
            raise ValueError(f"cluster {c}'s parent {p} is not a cluster of the tree")
    for c in up:  # every cluster must reach the root: no cycles
        seen, node = set(), c
        while up[node] is not None:
            if node in seen:
                raise ValueError(f"the tree has a cycle through cluster {node}")
            seen.add(node)
            node = up[node]
    return [0 if up[str(c)] is None else index[up[str(c)]] for c in cluster_order]


PARENT_COLUMNS = ["cluster_id", "parent_id", "index", "parent_index"]


def parent_frame(parents: dict[str, int | None], cluster_order: list[int]) -> pd.DataFrame:
    """The tree as a table (cluster_id, parent_id with `root` for founders, index 1..K,
    parent_index with 0 the root), rows in cluster_order: readable by people and, through the
    index columns, by Pairtree's tooling."""
    vec = parent_vector(parents, cluster_order)
    up = {str(k): p for k, p in parents.items()}
    return pd.DataFrame({"cluster_id": [str(c) for c in cluster_order],
                         "parent_id": ["root" if up[str(c)] is None else str(up[str(c)]) for c in cluster_order],
                         "index": np.arange(1, len(cluster_order) + 1), "parent_index": vec}, columns=PARENT_COLUMNS)


def write_parents(path: str, parents: dict[str, int | None], cluster_order: list[int]) -> None:
    """parent_frame written atomically."""
    write_tsv(parent_frame(parents, cluster_order), path)
