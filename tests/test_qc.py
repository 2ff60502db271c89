"""QC metrics agree with the simulator's truth; a swapped sample is flagged."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ith.errors import InputError
from ith.io.jsonout import write_json
from ith.io.tables import write_tsv
from ith.qc.bamstats import QcParams, sample_qc
from ith.qc.gate import apply_identity_policy, identity_failures
from ith.qc.identity import IdentityParams, identity_check
from ith.qc.summary import console_flags, qc_summary
from ith.simulate.presets import PRESETS


@pytest.fixture(scope="module")
def qc_results(cohort):
    truth = pd.read_csv(cohort / "truth" / "samples.tsv", sep="\t")
    fasta = str(cohort / "reference" / "genome.fa")
    out = {}
    for r in truth.itertuples():
        bam = str(cohort / "bams" / r.patient / f"{r.sample}.bam")
        out[r.sample] = (r, sample_qc(bam, fasta, sample=r.sample, patient=r.patient, params=QcParams(),
                                      declared_sex=r.sex))
    return out


def test_depth_matches_the_simulated_depth_after_duplicates(qc_results):
    for sample, (truth, qc) in qc_results.items():
        expected = truth.depth * (1 - qc["duplicate_percent"] / 100)
        assert qc["mean_depth"] == pytest.approx(expected, rel=0.12), sample
        assert qc["median_depth"] == pytest.approx(truth.depth, rel=0.15), sample


def test_duplicate_rate_matches_the_simulated_pcr_duplicates(qc_results):
    preset = PRESETS["test"]
    for sample, (truth, qc) in qc_results.items():
        rate = preset.plasma_duplicate_rate if truth.type == "plasma" else preset.duplicate_rate
        assert qc["duplicate_percent"] == pytest.approx(100 * rate / (1 + rate), abs=0.6), sample


def test_plasma_fragments_peak_at_the_nucleosome_and_tissue_at_the_library_insert(qc_results):
    for sample, (truth, qc) in qc_results.items():
        if truth.type == "plasma":
            assert 160 <= qc["fragment_mode"] <= 175, sample
            assert qc["fraction_short_fragments"] > 0.05
        else:
            assert abs(qc["fragment_mode"] - truth.fragment_mode) <= 30, sample
            assert qc["fraction_short_fragments"] < 0.02
    plasma = [qc["fraction_short_fragments"] for t, qc in qc_results.values() if t.type == "plasma"]
    tissue = [qc["fraction_short_fragments"] for t, qc in qc_results.values() if t.type != "plasma"]
    assert min(plasma) > 5 * max(tissue)


def test_sex_is_inferred_right_for_every_sample(qc_results):
    for sample, (truth, qc) in qc_results.items():
        assert qc["sex"] == truth.sex, (sample, qc["x_ratio"], qc["y_ratio"])
        assert not qc["sex_mismatch"]


def test_mapq_and_mapping_summaries_are_present_and_plausible(qc_results):
    for sample, (truth, qc) in qc_results.items():
        assert qc["reads"] == truth.reads
        assert qc["mapped_percent"] == 100.0
        assert 0 < qc["fraction_mapq0"] < 0.1
        assert qc["fraction_mapq_ge30"] > 0.9


def _patient_rows(cohort, sheet, patient):
    rows = sheet[sheet["patient"] == patient]
    return list(rows["sample"]), [str(cohort / "bams" / patient / f"{s}.bam") for s in rows["sample"]], \
        list(rows["type"]).index("normal")


@pytest.mark.parametrize("use_known_sites", [True, False])
def test_a_swapped_sample_is_flagged_and_the_others_are_not(cohort, sheet, use_known_sites):
    samples, bams, normal = _patient_rows(cohort, sheet, "P1")
    swapped = samples.index("P1-R2")
    bams[swapped] = str(cohort / "bams" / "P2" / "P2-R2.bam")
    known = str(cohort / "reference" / "population.vcf.gz") if use_known_sites else None
    pairs, verdicts, info = identity_check("P1", samples, bams, normal, str(cohort / "reference" / "genome.fa"),
                                           known, IdentityParams(), 20)
    assert info["sites"] >= 100
    status = dict(zip(verdicts["sample"], verdicts["status"]))
    assert status.pop("P1-R2") == "suspect"
    assert set(status.values()) == {"ok"}
    involved = (pairs["sample_a"] == "P1-R2") | (pairs["sample_b"] == "P1-R2")
    assert (pairs.loc[involved, "verdict"] == "different_person").all()
    assert (pairs.loc[~involved, "verdict"] == "same_person").all()
    assert (pairs.loc[~involved, "ibs0"] < 0.01).all() and (pairs.loc[involved, "ibs0"] > 0.03).all()
    # the patient stops, naming the swapped sample and every sample it disagrees with
    with pytest.raises(InputError) as stop:
        apply_identity_policy("P1", verdicts, pairs, "stop", "samples.tsv")
    msg = str(stop.value)
    assert "patient P1 stopped before clonal analysis: sample P1-R2 looks like another person than" in msg
    assert all(s in msg for s in samples) and "qc.on_identity_failure: warn" in msg and "samples.tsv" in msg
    assert apply_identity_policy("P1", verdicts, pairs, "warn", "samples.tsv") == identity_failures(verdicts, pairs)
    assert len(identity_failures(verdicts, pairs)) == 1


def test_summary_flags_identity_and_sex_problems(tmp_path):
    base = dict(patient="P1", reads=10, mapped_percent=100, duplicate_percent=1, fraction_mapq0=0.01, mean_depth=30,
                median_depth=30, fragment_mode=300, fraction_short_fragments=0.01, declared_sex="female")
    paths = []
    for s, sex in (("A", "female"), ("B", "male"), ("C", "female")):
        p = tmp_path / f"{s}.json"
        write_json(base | {"sample": s, "sex": sex, "sex_mismatch": sex != "female"}, str(p))
        paths.append(str(p))
    ident = tmp_path / "identity_samples.tsv"
    write_tsv(pd.DataFrame(dict(patient="P1", sample=["A", "B", "C"], compared=2, mismatches=[0, 0, 2],
                                status=["ok", "ok", "suspect"])), str(ident))
    table = qc_summary(paths, [str(ident)]).set_index("sample")
    assert table.loc["A", "flags"] == "" and table.loc["B", "flags"] == "sex" and table.loc["C", "flags"] == "identity"
    write_tsv(table.reset_index(), str(tmp_path / "summary.tsv"))
    assert console_flags([str(tmp_path / "summary.tsv")]) == [
        "patient P1, sample B: sex: inferred male, declared female",
        "patient P1, sample C: identity: looks like another person than the patient's other samples"]
    assert json.loads((tmp_path / "A.json").read_text())["sample"] == "A"
