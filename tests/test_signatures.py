"""Signatures: SBS96 channels, reference fits, and recovery of simulated processes."""

import numpy as np
import pandas as pd
import pysam
import pytest

from ith.signatures.context import CHANNELS, channel, channels_from_fasta
from ith.signatures.fit import SignatureParams, dominant, fit_groups, reference

LUNG_LIKE = ("SBS1", "SBS2", "SBS3", "SBS4", "SBS5", "SBS13", "SBS17b", "SBS18", "SBS40a")


def test_channels_are_cosmic():
    ref = reference("3.4", "GRCh38")
    assert list(ref.index) == list(CHANNELS) and len(CHANNELS) == 96
    assert np.allclose(ref.sum(), 1.0, atol=1e-3)


def test_channel_both_strands():
    assert channel("A", "C", "T", "G") == "A[C>T]G"
    # G>A in TGC on the reference = C>T in GCA on the pyrimidine strand
    assert channel("T", "G", "A", "C") == "G[C>T]A"
    assert channel("T", "A", "G", "C") == "G[T>C]A"
    assert channel("c", "t", "a", "g") == "C[T>A]G"
    assert channel("A", "C", "C", "G") is None and channel("N", "C", "T", "G") is None


def test_channels_from_fasta(tmp_path):
    fa = tmp_path / "g.fa"
    fa.write_text(">c1\nAACGTTGCAN\n")
    pysam.faidx(str(fa))
    with pysam.FastaFile(str(fa)) as f:
        ch, bad = channels_from_fasta(f, pd.Series(["c1"] * 5), pd.Series([3, 7, 1, 4, 9]),
                                      pd.Series(["C", "G", "A", "T", "C"]), pd.Series(["T", "A", "G", "TT", "T"]))
    # pos 3: ACG C>T; pos 7: TGC G>A -> G[C>T]A; pos 1: contig end; pos 4: an indel; pos 9: ref is A, not C
    assert ch == ["A[C>T]G", "G[C>T]A", None, None, None] and bad == 1


@pytest.mark.parametrize("engine", ["sigprofilerassignment", "nnls"])
def test_fit_recovers_mixture(engine):
    ref = reference("3.4", "GRCh38")
    rng = np.random.default_rng(3)
    mix = {"SBS4": 0.7, "SBS13": 0.3}
    p = sum(w * ref[s] for s, w in mix.items())
    counts = pd.DataFrame({"a": rng.multinomial(800, p / p.sum()), "few": rng.multinomial(20, p / p.sum())},
                          index=ref.index)
    e = fit_groups(counts, SignatureParams(engine=engine, bootstrap=100))
    assert dominant(e) == {"a": "SBS4"}
    a = e[e["group"] == "a"].set_index("signature")
    for s, w in mix.items():
        assert abs(a.loc[s, "exposure"] - w) < 0.08
        assert a.loc[s, "low"] <= a.loc[s, "exposure"] <= a.loc[s, "high"]
        assert a.loc[s, "high"] - a.loc[s, "low"] < 0.25
    few = e[e["group"] == "few"]
    assert len(few) == 1 and not few["fitted"].iloc[0] and few["n_mutations"].iloc[0] == 20


def test_simulated_processes_recovered():
    """Must reach: the dominant signature of trunk and branch right in >= 90% of simulated
    patients with >= 100 mutations per branch, exposures within 0.1."""
    from ith.signatures.evaluate import recovery, simulated_counts

    mats = simulated_counts(7, 8, snvs=(800, 1000))
    # a lung-like candidate set (signatures.candidates), with flat and C>T look-alikes of the truth
    r = recovery(mats, SignatureParams(bootstrap=20, candidates=LUNG_LIKE), min_branch=100)
    assert r["patient"].nunique() >= 7, r
    per_patient = r.assign(ok=(r["true_dominant"] == r["fitted_dominant"]) & (r["max_error"] <= 0.1))
    assert per_patient.groupby("patient")["ok"].all().mean() >= 0.9, r.to_string()
    # every non-artefact COSMIC signature: the dominant one is still right; the flat SBS5 can lose
    # a share to SBS40c or SBS3 (docs/benchmarks.md)
    r = recovery(mats, SignatureParams(bootstrap=0), min_branch=100)
    dom = r.assign(ok=r["true_dominant"] == r["fitted_dominant"]).groupby("patient")["ok"].all()
    assert dom.mean() >= 0.9, r.to_string()


def test_simulator_processes_off_by_default():
    from ith.simulate.genome import make_genome
    from ith.simulate.tumour import draw_germline, evolve

    genome = make_genome(np.random.default_rng([1, 0]), (200_000, 150_000), 80_000, 20_000, 6.0)
    rng = np.random.default_rng(5)
    germ = draw_germline(rng, genome, "female")
    t = evolve(rng, genome, germ, "female", 3, 100, 2, (30_000, 60_000), False)
    assert all(s.process == "" for s in t.snvs)
    rng = np.random.default_rng(5)
    germ = draw_germline(rng, genome, "female")
    t = evolve(rng, genome, germ, "female", 3, 300, 2, (30_000, 60_000), False, processes=True)
    kinds = {(s.clone, s.process, s.signature) for s in t.snvs if not s.is_indel}
    assert {(0, "clock", "SBS1"), (0, "clock", "SBS5"), (1, "apobec", "SBS2"), (1, "apobec", "SBS13")} <= kinds
    assert {(c, p, g) for c, p, g in kinds if c > 1} <= {(c, "", "") for c in range(2, 3)}
    assert {(c, p, g) for c, p, g in kinds if c <= 1} <= {(0, "clock", "SBS1"), (0, "clock", "SBS5"),
                                                          (1, "apobec", "SBS2"), (1, "apobec", "SBS13")}
    # the channels of the APOBEC branch are C>T and C>G in TCN, as SBS2/SBS13 are
    from ith.signatures.context import channel
    seqs = {c.name: c.seq for c in genome.contigs}
    ch = [channel("ACGT"[seqs[s.contig][s.pos - 1]], s.ref_allele, s.alt_allele, "ACGT"[seqs[s.contig][s.pos + 1]])
          for s in t.snvs if s.process == "apobec"]
    assert np.mean([c[0] == "T" and c[2:5] in ("C>T", "C>G") for c in ch]) > 0.8


def _patient_tables(tmp_path):
    """A FASTA and the clonal/phylogeny tables of one patient: founder cluster 2 (trunk, 80 SNVs
    at C>T in ACG, written half on each strand), clone 0 below it (60 SNVs, T>A in CTG), an
    artefact cluster 5 (4 SNVs, in no tree) and an indel; regions R1 (all) and R2 (the trunk)."""
    rng = np.random.default_rng(2)
    seq = rng.choice(list("ACGT"), 20_000)
    muts = []
    p = 10
    plan = [("ACG", "T", "2", 80), ("CTG", "A", "0", 60), ("ACG", "T", "5", 4)]
    for tri, alt, cluster, n in plan:
        for k in range(n):
            if k % 2:  # the reverse strand: reverse complement of the context, complement of alt
                t = tri[::-1].translate(str.maketrans("ACGT", "TGCA"))
                a = alt.translate(str.maketrans("ACGT", "TGCA"))
            else:
                t, a = tri, alt
            seq[p - 1:p + 2] = list(t)
            muts.append((f"c1:{p + 1}:{t[1]}:{a}", cluster))
            p += 37
    seq[p] = "A"
    muts.append((f"c1:{p + 1}:A:AT", "0"))  # an indel
    fa = tmp_path / "g.fa"
    fa.write_text(">c1\n" + "".join(seq) + "\n")
    pysam.faidx(str(fa))
    rows, phylo = [], []
    for mid, cluster in muts:
        regions = ["P1-R1", "P1-R2"] if cluster == "2" else ["P1-R1"]
        for s in ("P1-R1", "P1-R2"):
            rows.append(dict(mutation_id=mid, sample=s, cluster_id=cluster, present=s in regions,
                             indel=":AT" in mid))
        phylo.append(dict(patient="P1", mutation_id=mid, cluster_id=cluster, regions=",".join(regions),
                          n_regions=len(regions), kind="truncal" if cluster == "2" else "private"))
    parents = pd.DataFrame({"cluster_id": ["2", "0"], "parent_id": ["root", "2"]})
    return fa, pd.DataFrame(rows), pd.DataFrame(phylo), parents


def test_patient_groups_and_counts(tmp_path):
    from ith.signatures.patient import plot, run, wide_counts

    fa, clonal, phylo, parents = _patient_tables(tmp_path)
    with pysam.FastaFile(str(fa)) as f:
        sbs96, e, m = run("P1", clonal, phylo, parents, f, SignatureParams(engine="nnls", bootstrap=10,
                                                                            min_mutations=50))
    assert list(sbs96.columns) == ["group", "kind", "channel", "count"] and len(sbs96) == 96 * 8
    counts = wide_counts(sbs96)
    assert list(counts.index) == list(CHANNELS)
    assert list(counts.columns) == ["trunk", "subclonal", "clone 0", "clone 2", "branch P1-R1",
                                    "branch P1-R1,P1-R2", "region P1-R1", "region P1-R2"]
    assert counts.loc["A[C>T]G", "trunk"] == 80 and counts["trunk"].sum() == 80
    assert counts.loc["C[T>A]G", "subclonal"] == 60 and counts["subclonal"].sum() == 60
    assert counts["clone 0"].sum() == 60 and counts["branch P1-R1"].sum() == 64  # with the artefact's
    assert counts["region P1-R1"].sum() == 144 and counts["region P1-R2"].sum() == 80
    assert m["n_snvs"] == 144 and m["reference_mismatches"] == 0
    assert m["groups"]["trunk"]["fitted"] and m["groups"]["trunk"]["n_mutations"] == 80
    assert set(m["truncal_vs_subclonal"]) == set(e.loc[e["fitted"], "signature"])
    # a single channel is fitted by whatever signature peaks there; the trunk's is C>T at CpG (SBS1-like)
    trunk = e[(e["group"] == "trunk")].set_index("signature")["exposure"]
    assert trunk.idxmax() in ("SBS1", "SBS6", "SBS15", "SBS10d", "SBS87") and trunk.sum() == pytest.approx(1, abs=1e-3)
    plot(sbs96, e, str(tmp_path / "s.png"))
    assert (tmp_path / "s.png").stat().st_size > 1000


def test_config_check_names_a_wrong_candidate_or_reference():
    from ith.config import check_config_values
    from ith.errors import InputError

    base = {"assay": {"type": "wgs", "targets": None}}
    check_config_values({**base, "signatures": {"candidates": ["SBS1", "SBS2"]}}, "cfg")
    with pytest.raises(InputError, match=r"cfg: signatures.candidates: \['SBS999'\] not in COSMIC v3.4"):
        check_config_values({**base, "signatures": {"candidates": ["SBS1", "SBS999"]}}, "cfg")
    with pytest.raises(InputError, match="no COSMIC reference COSMIC_v9.9_SBS_GRCh38.txt"):
        check_config_values({**base, "signatures": {"cosmic_version": "9.9"}}, "cfg")


def test_patient_without_mutations_or_tree(tmp_path):
    from ith.signatures.patient import run

    fa, clonal, phylo, parents = _patient_tables(tmp_path)
    with pysam.FastaFile(str(fa)) as f:
        sbs96, e, m = run("P1", clonal.iloc[:0], phylo.iloc[:0], parents.iloc[:0], f,
                          SignatureParams(engine="nnls", bootstrap=5))
    assert list(e["group"]) == ["trunk", "subclonal"] and not e["fitted"].any()
    assert sbs96["count"].sum() == 0 and m["n_snvs"] == 0 and m["truncal_vs_subclonal"] == {}


def test_score_exposures_reads_a_workflow_exposures_table():
    """The scorer bench/evolution_bam.py applies to the workflow's exposures.tsv: the dominant
    signature, the largest error over true and fitted signatures, an unfitted group missed."""
    from ith.signatures.evaluate import score_exposures

    e = pd.DataFrame({"group": ["trunk", "trunk", "trunk", "branch"], "signature": ["SBS1", "SBS5", "SBS40c", None],
                      "exposure": [0.3, 0.6, 0.1, None], "n_mutations": [300, 300, 300, 20],
                      "fitted": [True, True, True, False]})
    truth = {"trunk": {"SBS1": 0.35, "SBS5": 0.65}, "branch": {"SBS2": 0.6, "SBS13": 0.4}}
    rows = {r["group"]: r for r in score_exposures(e, truth, "P1")}
    assert rows["trunk"]["fitted_dominant"] == rows["trunk"]["true_dominant"] == "SBS5"
    assert rows["trunk"]["max_error"] == pytest.approx(0.1)  # SBS40c, in the fit and not the truth
    assert rows["branch"]["fitted_dominant"] == "" and rows["branch"]["max_error"] == 1.0
    assert rows["branch"]["n_mutations"] == 20
