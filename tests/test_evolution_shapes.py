"""The signatures, timing, copy-number tree and sampling stages on the contig namings hospitals
have. Simulated patients name their contigs as GRCh38 does in UCSC's naming (chr1, ..., chrX,
chrY); the same truth tables renamed to Ensembl/b37's naming (1, ..., X, Y) and to two-digit
UCSC names (chr12, chr3, chr21: string order no longer the numeric order) must give the same
results apart from the names. A male patient's X (one copy in the germline) is no loss of
heterozygosity, and the copy-number tree reads autosomes only, whatever their naming. Table
level: each stage's library function, as its rule script calls it, on the simulator's truth."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pysam
import pytest

from ith.cntree.build import CnTreeParams, cn_tree
from ith.cntree.tree import informative
from ith.io.reference import contig_class
from ith.sampling.curves import SamplingParams
from ith.sampling.patient import run as sampling_run
from ith.signatures.fit import SignatureParams
from ith.signatures.patient import run as signatures_run
from ith.simulate import truth
from ith.simulate.cntruth import (CNTREE_OVERRIDES, CNTREE_PRESET, private_cn_events, true_cn_clades,
                                  true_cn_clades_from_tables)
from ith.simulate.cohort import cohort_and_kit
from ith.simulate.genome import make_genome, write_fasta
from ith.simulate.presets import PRESETS
from ith.timing.core import TimingParams, time_patient_events
from ith.timing.validate import clonal_calls

# simulated name -> a hospital's name, for the contigs of the `test` preset's genome
NAMINGS = {
    "ensembl": {"chr1": "1", "chr2": "2", "chr3": "3", "chrX": "X", "chrY": "Y"},
    "ucsc_two_digit": {"chr1": "chr12", "chr2": "chr3", "chr3": "chr21", "chrX": "chrX", "chrY": "chrY"},
}


def rename(table: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """`chrom`, the chrom of `mutation_id` (chrom:pos:ref:alt) and of `segment` (chrom:start-end)
    renamed."""
    out = table.copy()

    def new(name, sep=None):
        if sep is None:
            return names.get(name, name)
        head, tail = str(name).split(sep, 1)
        return names.get(head, head) + sep + tail

    for col, sep in (("chrom", None), ("mutation_id", ":"), ("segment", ":")):
        if col in out:  # the column's dtype kept
            out[col] = pd.Series([new(v, sep) for v in out[col]], index=out.index, dtype=out[col].dtype)
    return out


def back(names: dict[str, str]) -> dict[str, str]:
    return {v: k for k, v in names.items()}


def renamed_fasta(fasta: str, names: dict[str, str], out: str) -> str:
    """A copy of the FASTA with its sequences renamed (and indexed)."""
    with open(fasta) as src, open(out, "w") as dst:
        for line in src:
            if line.startswith(">"):
                name = line[1:].split()[0]
                line = f">{names.get(name, name)}\n"
            dst.write(line)
    pysam.faidx(out)
    return out


@dataclasses.dataclass
class Simulated:
    pid: str
    sex: str
    mutations: pd.DataFrame  # truth mutations.tsv of the tumour regions
    segments: pd.DataFrame  # truth segments.tsv of the tumour regions
    wgd: dict[str, bool]
    purity: dict[str, float]
    regions: list[str]
    parents: dict[int, int]
    ccf: pd.DataFrame  # truth clone_proportions.tsv


def _patients(preset, seed: int) -> tuple[object, list]:
    genome = make_genome(np.random.default_rng([seed, 0]), preset.autosome_lengths, preset.x_length,
                         preset.y_length, preset.segdups_per_mb)
    cohort, targets = cohort_and_kit(seed, preset, genome)
    return genome, cohort, targets


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    """Two patients of the test genome with mutational processes (P1 female, P2 male with a
    genome doubling), dense enough in SNVs for timed gains and fitted signatures; the genome's FASTA."""
    preset = dataclasses.replace(PRESETS["test"], signatures=True, snvs=(1500, 1800), cn_events=(4, 5))
    genome, cohort, targets = _patients(preset, 4)
    folder = tmp_path_factory.mktemp("shapes")
    fasta = str(folder / "genome.fa")
    write_fasta(genome, fasta)
    out = []
    for patient, specs in cohort:
        regions = [s for s in specs if s.type == "tumour"]
        pp = truth.purity_ploidy_table(genome, patient, regions)
        out.append(Simulated(patient.id, patient.sex, truth.mutation_table(patient, regions, targets),
                             truth.segment_table(genome, patient, regions),
                             dict(zip(pp["sample"], pp["wgd"].astype(bool))), {s.sample: s.purity for s in regions},
                             [s.sample for s in regions], dict(enumerate(patient.tumour.parents)),
                             truth.clone_proportion_table(patient, regions)))
    return out, fasta


# -- tables the stages read, from the truth ------------------------------------------------------
def clonal_mutations(p: Simulated, rng: np.random.Generator) -> pd.DataFrame:
    """The clonal stage's mutations.tsv columns the four stages read: reads drawn at ~100x around
    the true VAF, the true copy number, purity and call, the true clone as the cluster."""
    m = clonal_calls(p.mutations, p.purity, 100, rng)
    m["cluster_id"] = p.mutations["clone"].str.removeprefix("C").to_numpy()
    m["present"] = (p.mutations["status"] != "absent").to_numpy()
    m["driver"], m["reason"] = "", ""
    return m


def copynumber_segments(p: Simulated) -> pd.DataFrame:
    """segments.tsv as the copy-number stage writes it: no normal_cn column (the timing takes
    the germline copies of each contig from the mutations' normal_cn)."""
    return p.segments.drop(columns=["normal_cn"])


def phylogeny_tables(p: Simulated, clonal: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The phylogeny stage's mutations.tsv (presence pattern), parents.tsv (the true tree) and
    branches.tsv (every pattern, compatible)."""
    present = clonal[clonal["present"]].groupby("mutation_id", sort=False)["sample"].agg(
        lambda s: ",".join(r for r in p.regions if r in set(s)))
    phylo = pd.DataFrame({"mutation_id": present.index, "regions": present.to_numpy(),
                          "cluster_id": clonal.drop_duplicates("mutation_id").set_index("mutation_id")
                          .loc[present.index, "cluster_id"].to_numpy()})
    parents = pd.DataFrame({"cluster_id": [str(c) for c in p.parents],
                            "parent_id": ["root" if q < 0 else str(q) for q in p.parents.values()]})
    branches = pd.DataFrame({"regions": sorted(phylo["regions"].unique()), "compatible": True})
    return phylo, parents, branches


def cluster_summary(p: Simulated) -> pd.DataFrame:
    c = p.ccf[p.ccf["clone"] != "normal"]
    call = np.where(c["ccf"] <= 0, "absent", np.where(c["ccf"] >= 0.999, "clonal", "subclonal"))
    return pd.DataFrame({"cluster_id": c["clone"].str.removeprefix("C"), "sample": c["sample"], "call": call,
                         "artefact": False})


# -- timing --------------------------------------------------------------------------------------
def _timing(p: Simulated, names: dict[str, str] | None):
    muts = clonal_mutations(p, np.random.default_rng(7))
    segs = copynumber_segments(p)
    if names:
        muts, segs = rename(muts, names), rename(segs, names)
    return time_patient_events(muts, segs, p.wgd, p.regions, TimingParams(clock="sites", bootstrap=100), p.pid)


@pytest.mark.parametrize("naming", list(NAMINGS))
def test_timing_is_the_same_under_any_contig_naming(simulated, naming):
    patients, _ = simulated
    names = NAMINGS[naming]
    timed, doublings = 0, 0
    for p in patients:
        seg, mut, ev, metrics = _timing(p, None)
        seg2, mut2, ev2, metrics2 = _timing(p, names)
        for a, b in ((seg, seg2), (mut, mut2), (ev, ev2)):
            pd.testing.assert_frame_equal(a, rename(b, back(names)))
        assert metrics == metrics2
        timed += int(ev["time"].notna().sum())
        doublings += metrics["wgd"] is not None
    assert timed >= 5 and doublings == 1  # gains and P2's doubling were timed, not only listed


@pytest.mark.parametrize("naming", [None, *NAMINGS])
def test_a_male_x_is_not_a_loss_and_a_female_x_event_is_kept(simulated, naming):
    """The male patient's X (1+0 in the germline, 2+0 after his doubling) and Y give no event;
    the female patient's X event (a truncal copy-neutral LOH) is listed: X is not dropped wholesale."""
    patients, _ = simulated
    names = NAMINGS.get(naming, {}) if naming else {}
    for p in patients:
        seg, _, ev, _ = _timing(p, names)
        classes = seg["chrom"].map(contig_class)
        true_x = p.segments[(p.segments["chrom"] == "chrX") & ((p.segments["major_cn"] != 1) |
                                                               (p.segments["minor_cn"] != 1))]
        if p.sex == "male":
            assert len(true_x) and not classes.isin(["X", "Y"]).any(), seg
            assert not ev["chrom"].map(contig_class).isin(["X", "Y"]).any()
        else:
            assert len(true_x) and (classes == "X").any()


def _male_x(names: dict[str, str], x_mutations: bool):
    """A male region: chr1 2+1 and X 1+0 everywhere, then X gained (2+0), with clonal SNVs on
    both (normal_cn 1 on X, as the clonal stage writes it for a male) or on chr1 only."""
    rng = np.random.default_rng(2)
    rows = []
    for chrom, normal, major, minor, n in (("chr1", 2, 2, 1, 60), ("chrX", 1, 2, 0, 60 if x_mutations else 0)):
        for i in range(n):
            mult = 2 if i % 2 else 1
            vaf = 0.8 * mult / (0.8 * (major + minor) + 0.2 * normal)
            rows.append(dict(mutation_id=f"{names.get(chrom, chrom)}:{1000 + 10 * i}:C:T", sample="R1",
                             alt_counts=rng.binomial(100, vaf), depth=100, major_cn=major, minor_cn=minor,
                             normal_cn=normal, purity=0.8, call="clonal"))
    muts = pd.DataFrame(rows)
    segs = pd.DataFrame([dict(sample="R1", chrom=names.get(c, c), start=s, end=e, major_cn=M, minor_cn=m)
                         for c, s, e, M, m in (("chr1", 1, 5000, 2, 1), ("chrX", 1, 500, 1, 0),
                                               ("chrX", 501, 5000, 2, 0), ("chrY", 1, 5000, 1, 0))])
    return muts, segs


@pytest.mark.parametrize("naming", [None, *NAMINGS])
@pytest.mark.parametrize("x_mutations", [True, False])
def test_a_male_x_gain_is_not_timed_as_an_loh(naming, x_mutations):
    names = NAMINGS.get(naming, {}) if naming else {}
    muts, segs = _male_x(names, x_mutations)
    seg, mut, ev, _ = time_patient_events(muts, segs, {"R1": False}, ["R1"], TimingParams(clock="sites"), "P")
    assert seg["chrom"].tolist() == [names.get("chr1", "chr1")] and seg["event"].tolist() == ["gain"]
    assert seg["time"].notna().all() and (mut["segment"].str.split(":").str[0] == names.get("chr1", "chr1")).all()
    assert ev["event"].tolist() == ["gain"]


# -- copy-number tree ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cn_patients():
    """Patients drawn for the copy-number tree's validation (4-6 regions, many short events)
    with >= 3 private events: (id, regions, truth segments, true clades)."""
    preset = dataclasses.replace(PRESETS[CNTREE_PRESET], n_patients=12, **CNTREE_OVERRIDES)
    genome, cohort, _ = _patients(preset, 5)
    out = []
    for patient, specs in cohort:
        tumours = [s for s in specs if s.type == "tumour"]
        if len(tumours) >= 4 and private_cn_events(patient, specs) >= 3:
            clades = true_cn_clades(patient, specs)
            # the truth files' reading of the same clades (tests/test_capture.py scores the exome with it)
            assert true_cn_clades_from_tables(truth.tree_table(patient),
                                              truth.clone_proportion_table(patient, tumours)) == clades
            out.append((patient.id, [s.sample for s in tumours], truth.segment_table(genome, patient, tumours), clades))
    assert len(out) >= 3
    return out


def _same_tree(a, b, names: dict[str, str]):
    pd.testing.assert_frame_equal(a.distances, b.distances)
    assert a.clades == b.clades and a.newick == b.newick and a.metrics == b.metrics


@pytest.mark.parametrize("naming", list(NAMINGS))
def test_cn_tree_is_the_same_under_any_contig_naming(cn_patients, naming):
    names = NAMINGS[naming]
    right = 0
    for pid, regions, seg, clades in cn_patients:
        a = cn_tree(pid, seg, regions, CnTreeParams())
        b = cn_tree(pid, rename(seg, names), regions, CnTreeParams())
        _same_tree(a, b, names)
        assert a.metrics["n_segments"] > 0
        right += informative(a.clades, len(regions)) == clades
    assert right >= 0.8 * len(cn_patients)  # and the trees are the true ones


@pytest.mark.parametrize("naming", [None, *NAMINGS])
def test_cn_tree_ignores_x_y_and_other_contigs(cn_patients, naming):
    """X, Y, the mitochondrion and unplaced or decoy contigs, however named, differing between
    the regions, change nothing: the distances count autosomal events only."""
    names = NAMINGS.get(naming, {}) if naming else {}
    pid, regions, seg, _ = cn_patients[0]
    auto = seg[seg["chrom"].map(contig_class) == "autosome"]
    extra = []
    for k, r in enumerate(regions):  # a private X gain, Y loss and gains elsewhere in every region
        extra += [dict(patient=pid, sample=r, chrom=c, start=1, end=1000 * (k + 1), major_cn=1 + k, minor_cn=m)
                  for c, m in (("chrX", 0), ("chrY", 0), ("chrM" if not names else "MT", 0),
                               ("GL000192.1", 1), ("chrUn_KI270302v1", 1))]
    noisy = pd.concat([seg[seg["chrom"].map(contig_class) != "X"], pd.DataFrame(extra)], ignore_index=True)
    a = cn_tree(pid, rename(auto, names), regions, CnTreeParams())
    b = cn_tree(pid, rename(noisy, names), regions, CnTreeParams())
    _same_tree(a, b, names)


# -- signatures ----------------------------------------------------------------------------------
LUNG_LIKE = ("SBS1", "SBS2", "SBS3", "SBS4", "SBS5", "SBS13", "SBS17b", "SBS18", "SBS40a")


@pytest.mark.parametrize("naming", list(NAMINGS))
def test_signatures_are_the_same_under_any_contig_naming(simulated, naming, tmp_path, caplog):
    """With mutation ids and the FASTA's sequences renamed alike: the same SBS96 counts and
    exposures; the trunk's clock-like and the APOBEC clone's signatures are found either way."""
    patients, fasta = simulated
    names = NAMINGS[naming]
    other = renamed_fasta(fasta, names, str(tmp_path / "renamed.fa"))
    params = SignatureParams(candidates=LUNG_LIKE, bootstrap=20)
    p = patients[0]
    clonal = clonal_mutations(p, np.random.default_rng(1))
    phylo, parents, _ = phylogeny_tables(p, clonal)
    with pysam.FastaFile(fasta) as fa:
        sbs, exp, met = signatures_run(p.pid, clonal, phylo, parents, fa, params)
    with pysam.FastaFile(other) as fa:
        sbs2, exp2, met2 = signatures_run(p.pid, rename(clonal, names), rename(phylo, names), parents, fa, params)
    pd.testing.assert_frame_equal(sbs, sbs2)
    pd.testing.assert_frame_equal(exp, exp2)
    assert met == met2 and met["reference_mismatches"] == 0 and met["n_snvs"] > 1000
    if naming == "ensembl":  # the renamed ids against the simulated FASTA's names: nothing counted
        with pysam.FastaFile(fasta) as fa:
            _, _, none = signatures_run(p.pid, rename(clonal, names), rename(phylo, names), parents, fa, params)
        assert none["n_snvs"] == 0 and "on contigs the FASTA does not have (1, 2, 3" in caplog.text
    assert met["groups"]["trunk"]["dominant"] in ("SBS1", "SBS5")
    assert met["groups"]["clone 1"]["dominant"] in ("SBS2", "SBS13")


# -- sampling ------------------------------------------------------------------------------------
@pytest.mark.parametrize("naming", list(NAMINGS))
def test_sampling_is_the_same_under_any_contig_naming(simulated, naming):
    patients, _ = simulated
    names = NAMINGS[naming]
    for p in patients:
        muts = clonal_mutations(p, np.random.default_rng(3))[["mutation_id", "sample", "call"]]
        clusters = cluster_summary(p)
        curve, out, calls, _ = sampling_run(muts, clusters, p.regions, SamplingParams(), p.pid)
        curve2, out2, _, _ = sampling_run(rename(muts, names), clusters, p.regions, SamplingParams(), p.pid)
        pd.testing.assert_frame_equal(curve, curve2)
        assert out == out2
        assert out["clones_observed"] == (clusters.groupby("cluster_id")["call"].agg(lambda c: (c != "absent").any())).sum()
