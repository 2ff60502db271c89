"""Other tree builders' files: Pairtree's input pair and CONIPHER's input table read into the
clone-tree stage's read table, and trees written as Pairtree's parent vector.

Public data in tests/data/, taken unchanged from the projects' repositories:
- pairtree-example/example.ssm, example.params.json: morrislab/pairtree, example/, commit 1f81fdb
  (MIT). 30 simulated mutations x 3 samples, 3 clusters of 19, 7 and 4 mutations.
- conipher-example/input_table.tsv: McGranahanLab/CONIPHER, inst/extdata/input_table.tsv, commit
  324cf7a (BSD-3). Toy case CRUKTOY001: 577 mutations x 5 samples, 12 clusters.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ith.errors import InputError
from ith.phylogeny.formats import (conipher_multiplicity, parent_vector, read_conipher, read_pairtree,
                                   write_parents)
from ith.phylogeny.reads import READ_COLUMNS, from_table


def _data(folder: str) -> Path:
    """tests/data/<folder>; skip without it."""
    d = Path(__file__).resolve().parent / "data" / folder
    if d.is_dir():
        return d
    pytest.skip(f"public example {folder} not available")


@pytest.fixture(scope="module")
def pairtree() -> tuple[Path, Path]:
    d = _data("pairtree-example")
    return d / "example.ssm", d / "example.params.json"


@pytest.fixture(scope="module")
def conipher() -> Path:
    return _data("conipher-example") / "input_table.tsv"


# ---------------------------------------------------------------------------------------------
# Pairtree
# ---------------------------------------------------------------------------------------------

def test_pairtree_example_reads_to_its_mutations_samples_and_clusters(pairtree):
    """Pairtree's example pair (morrislab/pairtree, example/, 1f81fdb, MIT): 30 mutations x 3
    samples; cluster i of the params file is cluster_id i + 1 and keeps its size (19, 7, 4)."""
    ssm, params = pairtree
    table, samples = read_pairtree(str(ssm), str(params))
    p = json.loads(params.read_text())
    assert list(table.columns) == READ_COLUMNS
    assert samples == p["samples"] == ["Sample 1", "Sample 2", "Sample 3"]
    assert table["mutation_id"].nunique() == 30 and len(table) == 90
    sizes = table.drop_duplicates("mutation_id").groupby("cluster_id").size()
    assert sizes.to_dict() == {1: 19, 2: 7, 3: 4} == {i + 1: len(c) for i, c in enumerate(p["clusters"])}
    for i, members in enumerate(p["clusters"], start=1):
        assert set(table.loc[table["cluster_id"] == i, "mutation_id"]) == set(members)
    assert np.allclose(table["var_read_prob"], 0.5)
    # s0 is "54,175,196 / 1000,1000,1000" in the file, in the params' sample order
    s0 = table[table["mutation_id"] == "s0"].set_index("sample")
    assert s0.loc[samples, "var_reads"].tolist() == [54, 175, 196]
    assert s0.loc[samples, "total_reads"].tolist() == [1000] * 3
    assert (s0["cluster_id"] == 2).all()
    reads = from_table(table, str(ssm), samples=samples)  # the ranking takes the table as it is
    assert reads.clusters.tolist() == [1, 2, 3] and reads.n_mutations.tolist() == [19, 7, 4]


def _params(tmp_path: Path, src: Path, **change) -> Path:
    p = json.loads(src.read_text())
    p.update(change)
    out = tmp_path / "x.params.json"
    out.write_text(json.dumps(p))
    return out


def test_pairtree_garbage_is_dropped(pairtree, tmp_path):
    """A mutation listed under 'garbage' (and in no cluster) leaves the table."""
    ssm, params = pairtree
    clusters = json.loads(params.read_text())["clusters"]
    clusters = [[m for m in c if m != "s0"] for c in clusters]
    table, _ = read_pairtree(str(ssm), str(_params(tmp_path, params, clusters=clusters, garbage=["s0"])))
    assert table["mutation_id"].nunique() == 29 and "s0" not in set(table["mutation_id"])
    assert table.drop_duplicates("mutation_id").groupby("cluster_id").size().to_dict() == {1: 19, 2: 6, 3: 4}


def test_pairtree_unclustered_mutation_and_missing_key_are_errors(pairtree, tmp_path):
    ssm, params = pairtree
    clusters = [[m for m in c if m != "s7"] for c in json.loads(params.read_text())["clusters"]]
    with pytest.raises(InputError, match=r"mutation s7 .*no cluster.*garbage"):
        read_pairtree(str(ssm), str(_params(tmp_path, params, clusters=clusters)))
    p = json.loads(params.read_text())
    del p["clusters"]
    bad = tmp_path / "nokey.params.json"
    bad.write_text(json.dumps(p))
    with pytest.raises(InputError, match=r"nokey\.params\.json.*missing key 'clusters'"):
        read_pairtree(str(ssm), str(bad))


def _ssm(tmp_path: Path, rows: list[str]) -> Path:
    out = tmp_path / "bad.ssm"
    out.write_text("id\tname\tvar_reads\ttotal_reads\tvar_read_prob\n" + "".join(r + "\n" for r in rows))
    return out


@pytest.fixture()
def small_params(tmp_path) -> Path:
    out = tmp_path / "small.params.json"
    out.write_text(json.dumps({"samples": ["A", "B"], "clusters": [["m1"], ["m2"]]}))
    return out


@pytest.mark.parametrize("row, pattern", [
    ("m2\tM2\t3,4,5\t10,10\t0.5,0.5", r"bad\.ssm: mutation m2: column 'var_reads' has 3 value\(s\).*2 sample"),
    ("m2\tM2\t3\t10,10\t0.5,0.5", r"mutation m2: column 'var_reads' has 1 value"),
    ("m2\tM2\t3,4\t10,10\t0.5", r"mutation m2: column 'var_read_prob' has 1 value"),
    ("m2\tM2\t3,4.5\t10,10\t0.5,0.5", r"mutation m2: value 2 of column 'var_reads' \('4.5'\) is not a whole number"),
    ("m2\tM2\t3,11\t10,10\t0.5,0.5", r"mutation m2, sample B .*var_reads exceeds total_reads"),
    ("m2\tM2\t3,4\t10,10\t0.5,1.5", r"mutation m2, sample B .*var_read_prob is outside 0..1"),
])
def test_pairtree_bad_ssm_row_names_the_mutation(tmp_path, small_params, row, pattern):
    ssm = _ssm(tmp_path, ["m1\tM1\t1,2\t10,10\t0.5,0.5", row])
    with pytest.raises(InputError, match=pattern):
        read_pairtree(str(ssm), str(small_params))


def test_pairtree_small_pair_keeps_params_sample_order(tmp_path, small_params):
    ssm = _ssm(tmp_path, ["m1\tM1\t1,2\t10,20\t0.5,0.25", "m2\tM2\t3,4\t30,40\t1,0.5"])
    table, samples = read_pairtree(str(ssm), str(small_params))
    assert samples == ["A", "B"]
    assert table.to_dict("list") == {"mutation_id": ["m1", "m1", "m2", "m2"], "sample": ["A", "B", "A", "B"],
                                     "cluster_id": [1, 1, 2, 2], "var_reads": [1, 2, 3, 4],
                                     "total_reads": [10, 20, 30, 40], "var_read_prob": [0.5, 0.25, 1.0, 0.5]}


# ---------------------------------------------------------------------------------------------
# CONIPHER
# ---------------------------------------------------------------------------------------------

def test_conipher_example_reads_to_its_mutations_samples_and_clusters(conipher):
    """CONIPHER's toy input (McGranahanLab/CONIPHER, inst/extdata/input_table.tsv, 324cf7a,
    BSD-3): 577 mutations x 5 samples in 12 clusters, one case."""
    table, samples, meta = read_conipher(str(conipher))
    assert list(table.columns) == READ_COLUMNS
    assert meta == {"case": "CRUKTOY001"}
    assert samples == [f"CRUKTOY001_S{i}" for i in range(1, 6)]
    assert table["mutation_id"].nunique() == 577 and len(table) == 577 * 5
    assert table["cluster_id"].nunique() == 12
    assert table["mutation_id"].iloc[0] == "15:693:T>A"
    p = table["var_read_prob"]
    assert ((p > 0) & (p <= 1)).all()
    reads = from_table(table, str(conipher), samples=samples)
    assert len(reads.clusters) == 12 and reads.n_mutations.sum() == 577


def test_conipher_clonal_cluster_vaf_matches_var_read_prob(conipher):
    """The check that var_read_prob is right: in the clonal cluster (CCF_PHYLO ~1 in every sample
    of CONIPHER's toy case, McGranahanLab/CONIPHER, inst/extdata/input_table.tsv, 324cf7a) every
    carrier cell is every tumour cell, so a mutation's VAF / var_read_prob estimates CCF = 1."""
    raw = pd.read_csv(conipher, sep="\t")
    ccf = raw.groupby(["CLUSTER", "SAMPLE"])["CCF_PHYLO"].mean().unstack()
    clonal = ccf.index[(ccf > 0.9).all(axis=1)].tolist()
    assert len(clonal) == 1
    table, samples, _ = read_conipher(str(conipher))
    c = table[table["cluster_id"] == clonal[0]]
    ratio = (c["var_reads"] / c["total_reads"] / c["var_read_prob"]).groupby(c["sample"]).mean()
    assert list(ratio.index.sort_values()) == sorted(samples)
    assert np.all(np.abs(ratio - 1) < 0.15), ratio


def _conipher_rows(rows: list[dict]) -> pd.DataFrame:
    base = {"CASE_ID": "T1", "SAMPLE": "S1", "CHR": "1", "POS": 100, "REF": "A", "ALT": "G", "REF_COUNT": 50,
            "VAR_COUNT": 50, "DEPTH": 100, "CLUSTER": 1, "CCF_PHYLO": 1.0, "CCF_OBS": 1.0, "MUT_COPY": 1.0,
            "COPY_NUMBER_A": 1, "COPY_NUMBER_B": 1, "ACF": 1.0, "PLOIDY": 2}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_conipher_var_read_prob_follows_purity_copy_number_and_multiplicity(tmp_path):
    """The toy case is pure and diploid throughout (var_read_prob 0.5 everywhere), so purity,
    copy number and the MUT_COPY / CCF_PHYLO multiplicity are checked on made-up rows."""
    rows = [
        {"POS": 1, "ACF": 0.6, "COPY_NUMBER_A": 2, "COPY_NUMBER_B": 0, "CCF_PHYLO": 0.5, "MUT_COPY": 1.0},  # m = 2
        {"POS": 2, "ACF": 0.6, "COPY_NUMBER_A": 2, "COPY_NUMBER_B": 1, "CCF_PHYLO": 1.0, "MUT_COPY": 1.1},  # m = 1
        {"POS": 3, "ACF": 0.6, "COPY_NUMBER_A": 2, "COPY_NUMBER_B": 1, "CCF_PHYLO": 0.2, "MUT_COPY": 1.0},  # 5 -> 2
        {"POS": 4, "ACF": 0.6, "COPY_NUMBER_A": 1, "COPY_NUMBER_B": 1, "CCF_PHYLO": 0.0, "MUT_COPY": 0.0},  # absent
        {"POS": 5, "ACF": 0.6, "COPY_NUMBER_A": 0, "COPY_NUMBER_B": 0, "CCF_PHYLO": 1.0, "MUT_COPY": 0.0},  # no copy
        {"POS": 6, "ACF": 1.0, "COPY_NUMBER_A": 1, "COPY_NUMBER_B": 1, "DEPTH": None, "REF_COUNT": 70,
         "VAR_COUNT": 30},
    ]
    path = tmp_path / "synthetic.tsv"
    _conipher_rows(rows).to_csv(path, sep="\t", index=False)
    table, _, _ = read_conipher(str(path))
    prob = dict(zip(table["mutation_id"], table["var_read_prob"]))
    assert prob["1:1:A>G"] == pytest.approx(0.6 * 2 / (0.6 * 2 + 0.8))
    assert prob["1:2:A>G"] == pytest.approx(0.6 * 1 / (0.6 * 3 + 0.8))
    assert prob["1:3:A>G"] == pytest.approx(0.6 * 2 / (0.6 * 3 + 0.8))
    assert prob["1:4:A>G"] == pytest.approx(0.6 / (0.6 * 2 + 0.8))
    assert prob["1:5:A>G"] == 0.0
    assert table.loc[table["mutation_id"] == "1:6:A>G", "total_reads"].item() == 100
    assert conipher_multiplicity(np.array([2.0, 0.9, 3.0]), np.array([1.0, 0.0, 1.0]), np.array([2, 1, 0]),
                                 np.array([1, 1, 0])).tolist() == [2.0, 1.0, 1.0]


def test_conipher_var_read_prob_recovers_ccf_from_expected_reads(tmp_path):
    """Reads drawn at their expected VAF for known CCF, purity, copy number and multiplicity:
    VAF / var_read_prob gives the CCF back."""
    rng = np.random.default_rng(0)
    rows, truth = [], {}
    for i in range(200):
        a, b = int(rng.integers(1, 4)), int(rng.integers(0, 2))
        m, ccf, acf = int(rng.integers(1, max(a, b) + 1)), float(rng.uniform(0.1, 1)), float(rng.uniform(0.2, 0.9))
        vaf = ccf * acf * m / (acf * (a + b) + 2 * (1 - acf))
        depth = 100_000
        var = int(round(vaf * depth))
        rows.append({"POS": i, "COPY_NUMBER_A": a, "COPY_NUMBER_B": b, "ACF": acf, "CCF_PHYLO": ccf,
                     "MUT_COPY": ccf * m, "DEPTH": depth, "VAR_COUNT": var, "REF_COUNT": depth - var})
        truth[f"1:{i}:A>G"] = ccf
    path = tmp_path / "synthetic.tsv"
    _conipher_rows(rows).to_csv(path, sep="\t", index=False)
    table, _, _ = read_conipher(str(path))
    est = table["var_reads"] / table["total_reads"] / table["var_read_prob"]
    assert np.allclose(est, table["mutation_id"].map(truth), atol=2e-3)


def test_conipher_errors_name_the_file_and_the_fix(tmp_path):
    path = tmp_path / "two.tsv"
    _conipher_rows([{"POS": 1}, {"POS": 2, "CASE_ID": "T2"}]).to_csv(path, sep="\t", index=False)
    with pytest.raises(InputError, match=r"two\.tsv: .*more than one CASE_ID \(T1 and T2\)"):
        read_conipher(str(path))
    path = tmp_path / "split.tsv"
    _conipher_rows([{"SAMPLE": "S1"}, {"SAMPLE": "S2", "CLUSTER": 2}]).to_csv(path, sep="\t", index=False)
    with pytest.raises(InputError, match=r"mutation 1:100:A>G has different CLUSTER values"):
        read_conipher(str(path))
    path = tmp_path / "over.tsv"
    _conipher_rows([{"VAR_COUNT": 120}]).to_csv(path, sep="\t", index=False)
    with pytest.raises(InputError, match=r"line 2 \(mutation 1:100:A>G, sample S1\): VAR_COUNT exceeds"):
        read_conipher(str(path))
    path = tmp_path / "nocol.tsv"
    _conipher_rows([{}]).drop(columns=["MUT_COPY"]).to_csv(path, sep="\t", index=False)
    with pytest.raises(InputError, match=r"missing column\(s\) MUT_COPY"):
        read_conipher(str(path))


# ---------------------------------------------------------------------------------------------
# Parent vectors
# ---------------------------------------------------------------------------------------------

TREE = {"3": None, "1": 3, "2": 3, "5": 1, "4": None}  # two founders (3 and 4), cluster 5 under 1
ORDER = [1, 2, 3, 4, 5]


def test_parent_vector_numbers_clusters_in_the_given_order():
    assert parent_vector(TREE, ORDER) == [3, 3, 0, 0, 1]
    assert parent_vector(TREE, [3, 1, 2, 5, 4]) == [0, 1, 1, 2, 0]
    with pytest.raises(ValueError, match="differ"):
        parent_vector(TREE, [1, 2, 3, 4])
    with pytest.raises(ValueError, match="cycle"):
        parent_vector({"1": 2, "2": 1}, [1, 2])
    with pytest.raises(ValueError, match="parent 9"):
        parent_vector({"1": 9}, [1])


def test_write_parents_round_trips(tmp_path):
    path = tmp_path / "out" / "parents.tsv"
    write_parents(str(path), TREE, ORDER)
    df = pd.read_csv(path, sep="\t", dtype=str)
    assert list(df.columns) == ["cluster_id", "parent_id", "index", "parent_index"]
    assert df["cluster_id"].tolist() == ["1", "2", "3", "4", "5"]
    assert df["parent_id"].tolist() == ["3", "3", "root", "root", "1"]
    back = {c: (None if p == "root" else int(p)) for c, p in zip(df["cluster_id"], df["parent_id"])}
    assert back == TREE
    assert df["index"].astype(int).tolist() == [1, 2, 3, 4, 5]
    assert df["parent_index"].astype(int).tolist() == parent_vector(back, [int(c) for c in df["cluster_id"]])
    assert not list(path.parent.glob("*.tmp*"))
