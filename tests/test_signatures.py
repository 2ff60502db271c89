"""Signatures: SBS96 channels, reference fits, and recovery of simulated processes."""

import numpy as np
import pandas as pd
import pysam
import pytest

from ith.signatures.context import CHANNELS, channel, channels_from_fasta, count_matrix
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

    mats = simulated_counts(7, 8, snvs=(600, 800))
    # a lung-like candidate set (signatures.candidates), with flat and C>T look-alikes of the truth
    r = recovery(mats, SignatureParams(bootstrap=20, candidates=LUNG_LIKE), min_branch=100)
    assert r["patient"].nunique() >= 6, r
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
    kinds = {(s.clone, s.process) for s in t.snvs if not s.is_indel}
    assert {(0, "clock"), (1, "apobec")} <= kinds and all(p in ("", "clock", "apobec") for _, p in kinds)
    assert all(p == "" for c, p in kinds if c > 1)
