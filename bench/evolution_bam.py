"""Signatures, timing and copy-number trees end to end from BAMs (docs/benchmarks.md).

`ith simulate` (the demo genome, no plasma, the mutational processes on: SBS1/SBS5 on the trunk,
SBS2/SBS13 on clone 1; 1,200-1,400 mutations, 4-6 regions at ~100x, a WGD in every second
patient; by default 3-4 clones and 7-10 copy-number events of 60-200 kb), the workflow up to every patient's signatures, timing
and copy-number tree, and the workflow's own outputs scored against the simulator's truth with
the table-level benchmarks' scorers:

- signatures (ith.signatures.evaluate.score_exposures): the dominant signature and the largest
  exposure error of the trunk group and of the APOBEC branch (the clone group holding most of
  true clone 1's SNVs), against the realised shares of the true clone's SNVs; patients with
  >= 100 true SNVs in each;
- timing (ith.timing.validate.score_patient): early/late calls of the founder's clonal SNVs in
  gained segments, truncal gain and WGD times against the truth on the trunk's clock, and the
  oracle's (the same fits on the true multiplicities of the same SNVs, ith.timing.validate);
- copy-number tree: the workflow's clades (results/cntree/<patient>/metrics.json) against the
  true clades (ith.simulate.cntruth.true_cn_clades); patients with >= 4 regions and >= 3
  private copy-number events count for the must-reach; the same tree built from the truth
  segments (the table-level figure) and the share of the genome whose allele-specific copy
  number the workflow called right show where a miss comes from.

    nice -n 10 python bench/evolution_bam.py --seed 1 --patients 2 --out evo1 --threads 2
    nice -n 10 python bench/evolution_bam.py --seed 2 --patients 3 --out evo2 --threads 2 \
        --clones 3 5 --cn-events 11 14 --cn-event-length 40000 150000
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd

from ith.cntree.build import CnTreeParams, cn_tree
from ith.cntree.tree import informative
from ith.io.tables import read_tsv
from ith.simulate.cntruth import private_cn_events, true_cn_clades
from ith.simulate.cohort import cohort_and_kit, simulate
from ith.simulate.genome import make_genome
from ith.simulate.presets import PRESETS
from ith.simulate.samples import region_ccfs
from ith.signatures.evaluate import score_exposures
from ith.timing.validate import score_patient

PRESET = "demo"
OVERRIDES = dict(plasma=(0,), signatures=True, snvs=(1200, 1400))
SEPARABLE = 4.0  # standard errors between trunk and branch, as tests/conftest.py separable_cohort
STAGE_FILES = {"signatures": ("sbs96.tsv", "exposures.tsv", "metrics.json"),
               "timing": ("mutations.tsv", "segments.tsv", "metrics.json"),
               "cntree": ("distances.tsv", "tree.nwk", "metrics.json")}


def overrides(args: argparse.Namespace) -> dict:
    return dict(OVERRIDES, n_patients=args.patients, wgd_patients=tuple(range(1, args.patients, 2)),
                clones=tuple(args.clones), cn_events=tuple(args.cn_events), cn_event_length=tuple(args.cn_event_length))


def branch_separation(patient, specs) -> float:
    """How far the trunk (C0) and the APOBEC clone (C1) are from every other clone, in standard
    errors of a heterozygous VAF combined over the regions (the simulator's clone_separation,
    over the pairs that hold C0 or C1): a clone at the same CCF as the trunk in every region is
    truncal to what was sampled (the illusion of clonality), and one at its child's CCF
    everywhere shares its cluster, so no method can give either a signature of its own. The
    tests call clones separable at >= 4 (tests/conftest.py separable_cohort)."""
    regions = [s for s in specs if s.type == "tumour" and s.purity > 0]
    ccf = region_ccfs(patient.tumour, np.array([s.clone_props for s in regions]))
    p = np.array([s.purity for s in regions])[:, None]
    ploidy = 4.0 if patient.tumour.wgd else 2.0
    vaf = p * ccf / (p * ploidy + 2 * (1 - p))
    depth = np.array([s.depth for s in regions])
    best = float("inf")
    for i in (0, 1):
        for j in range(vaf.shape[1]):
            if j != i and not (i == 1 and j == 0):
                mean = np.clip((vaf[:, i] + vaf[:, j]) / 2, 0.01, 0.99)
                best = min(best, float(np.sqrt(((vaf[:, i] - vaf[:, j]) ** 2 / (mean * (1 - mean) / depth)).sum())))
    return best


def signature_figures(results: str, truth_dir: str, pid: str) -> dict:
    """Trunk and APOBEC branch: the workflow's fit against the true clones' realised shares."""
    tm = read_tsv(os.path.join(truth_dir, pid, "mutations.tsv"), dtype={"clone": str, "signature": str})
    tm = tm[tm["type"] == "snv"].drop_duplicates("mutation_id")
    clonal = read_tsv(os.path.join(results, "clonal", pid, "mutations.tsv"), dtype={"cluster_id": str})
    cluster = clonal.drop_duplicates("mutation_id").set_index("mutation_id")["cluster_id"].fillna("")
    # SNVs only (chrom:pos:ref:alt with one base each), as the signatures count them
    cluster = cluster[cluster.index.str.fullmatch(r".+:\d+:[ACGT]:[ACGT]")]
    exp = read_tsv(os.path.join(results, "signatures", pid, "exposures.tsv"), dtype={"group": str})
    exp["fitted"] = exp["fitted"].astype(str).str.lower() == "true"
    out: dict = {}
    truth = {}
    for label, clone in (("trunk", "C0"), ("branch", "C1")):
        mine = tm[tm["clone"] == clone]
        out[f"{label}_true_snvs"] = len(mine)
        truth[label] = mine["signature"].value_counts(normalize=True).to_dict()
    # the clone group that holds most of true clone 1's called SNVs
    c1 = cluster.reindex(tm.loc[tm["clone"] == "C1", "mutation_id"]).dropna()
    c1 = c1[c1 != ""]
    groups = set(exp["group"])
    best = c1.value_counts()
    best = [c for c in best.index if f"clone {c}" in groups]
    branch_group = f"clone {best[0]}" if best else ""
    if best:
        members = cluster[cluster == best[0]].index
        out["branch_cluster"] = best[0]
        out["branch_recall"] = round(float((c1 == best[0]).mean()), 3)  # of clone 1's called SNVs
        out["branch_precision"] = round(float(tm.set_index("mutation_id")["clone"].reindex(members).eq("C1").mean()), 3)
    trunk_ids = tm.loc[tm["clone"] == "C0", "mutation_id"]
    c0 = cluster.reindex(trunk_ids).dropna()
    c0 = c0[c0 != ""]
    label = exp.loc[exp["group"] == "trunk", "label"].astype(str)
    founders = label.iloc[0].removeprefix("founder clone(s) ").split(",") if len(label) else []
    trunk_members = cluster[cluster.isin(founders)].index
    out["trunk_called"] = len(c0)
    out["trunk_recall"] = round(float(c0.isin(founders).mean()), 3) if len(c0) else None
    out["trunk_precision"] = round(float(tm.set_index("mutation_id")["clone"].reindex(trunk_members).eq("C0").mean()), 3)
    renamed = exp.assign(group=exp["group"].replace({branch_group: "branch"}) if branch_group else exp["group"])
    for r in score_exposures(renamed, truth, pid):
        g = r["group"]
        out.update({f"{g}_n": r["n_mutations"], f"{g}_dominant": f"{r['fitted_dominant']}/{r['true_dominant']}",
                    f"{g}_dominant_right": r["fitted_dominant"] == r["true_dominant"],
                    f"{g}_max_error": r["max_error"], f"{g}_fitted": r["fitted"]})
    return out


def timing_figures(results: str, truth_dir: str, pid: str, tumours: list[str]) -> dict:
    d = os.path.join(results, "timing", pid)
    events = read_tsv(os.path.join(d, "events.tsv"), dtype={"chrom": str})
    mut = read_tsv(os.path.join(d, "mutations.tsv"))
    with open(os.path.join(d, "metrics.json")) as fh:
        metrics = json.load(fh)
    tm = read_tsv(os.path.join(truth_dir, pid, "mutations.tsv"), dtype={"clone": str, "chrom": str})
    tm = tm[tm["sample"].isin(tumours)]
    tt = read_tsv(os.path.join(truth_dir, pid, "timing.tsv"), dtype={"clone": str, "chrom": str})
    r = score_patient(pid, events, mut, metrics, tm, tt)
    gains = pd.DataFrame(r["gains"])
    if len(gains):  # the truncal gains and LOHs (losses and a doubling's per-segment time aside)
        gains = gains[gains["event"].isin(["gain", "cnloh"])]
    true_gains = tt[(tt["clone"] == "C0") & tt["kind"].isin(["gain", "cnloh"])]
    out = {"timed_snvs": r["calls"], "early_late_right": round(r["right"] / r["calls"], 3) if r["calls"] else None,
           "truncal_gains_true": len(true_gains), "gain_segments_timed": len(gains),
           "gain_errors": ";".join(f"{e:.2f}" for e in (gains["time"] - gains["truth"]).abs()) if len(gains) else "",
           "gain_errors_oracle": ";".join(f"{e:.2f}" for e in (gains["oracle"] - gains["truth"]).abs()) if len(gains) else "",
           "true_wgd": r["true_wgd"]}
    out["_gains"] = gains
    if r["wgd"] is not None:
        out["wgd_error"] = round(abs(r["wgd"]["time"] - r["wgd"]["truth"]), 3)
        out["wgd_time"] = f"{r['wgd']['time']:.2f}/{r['wgd']['truth']:.2f}"
    return out


def cn_agreement(called: pd.DataFrame, true: pd.DataFrame, tumours: list[str]) -> float:
    """Share of the autosomal bases of the regions whose major and minor copy number the
    workflow called as the truth has them."""
    from ith.io.segments import shared_states

    right = total = 0
    for s in tumours:
        both = pd.concat([called[called["sample"] == s].assign(sample="called"),
                          true[true["sample"] == s].assign(sample="true")])
        pieces, vals = shared_states(both, ["called", "true"])
        if len(pieces) and len(vals) == 2:
            w = (pieces["end"] - pieces["start"] + 1).to_numpy()
            ok = (vals["called"] == vals["true"]).all(axis=1)
            right += int(w[ok].sum())
            total += int(w.sum())
    return round(right / total, 3) if total else float("nan")


def cntree_figures(results: str, truth_dir: str, pid: str, patient, specs) -> dict:
    tumours = [s.sample for s in specs if s.type == "tumour"]
    with open(os.path.join(results, "cntree", pid, "metrics.json")) as fh:
        m = json.load(fh)
    mine = {frozenset(c.split(",")) for c in m.get("clades", [])}
    truth = true_cn_clades(patient, specs)
    tseg = read_tsv(os.path.join(truth_dir, pid, "segments.tsv"), dtype={"sample": str, "chrom": str})
    table_level = cn_tree(pid, tseg, tumours, CnTreeParams())
    cseg = read_tsv(os.path.join(results, "copynumber", pid, "segments.tsv"), dtype={"sample": str, "chrom": str})
    fmt = lambda cl: " ".join(sorted("{" + ",".join(sorted(x.split("-")[-1] for x in c)) + "}" for c in cl)) or "star"  # noqa: E731
    return {"regions": len(tumours), "private_cn_events": private_cn_events(patient, specs),
            "cn_eligible": len(tumours) >= 4 and private_cn_events(patient, specs) >= 3,
            "same_topology": mine == truth,
            "truth_segments_same_topology": informative(table_level.clades, len(tumours)) == truth,
            "clades": fmt(mine), "true_clades": fmt(truth), "cn_right": cn_agreement(cseg, tseg, tumours)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--patients", type=int, default=2)
    ap.add_argument("--out", required=True, help="folder for the cohort (cohort/) and the workflow's results (work/)")
    ap.add_argument("--threads", type=int, default=2, help="cores for simulating and for Snakemake")
    ap.add_argument("--clones", type=int, nargs=2, default=[3, 4], help="clones per patient (min, max)")
    ap.add_argument("--cn-events", type=int, nargs=2, default=[7, 10], help="copy-number events per patient")
    ap.add_argument("--cn-event-length", type=int, nargs=2, default=[60_000, 200_000], help="their length (bp)")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    cohort_dir, work = os.path.join(out, "cohort"), os.path.join(out, "work")
    ov = overrides(args)
    t0 = time.time()
    if not os.path.exists(os.path.join(cohort_dir, "config.yaml")):  # simulated once; re-scoring reuses it
        info = simulate(PRESET, args.seed, cohort_dir, threads=args.threads, **ov)
        print(f"simulated {info['samples']} BAMs, {info['reads']:,} reads in {info['seconds']:.0f} s", flush=True)
    preset = dataclasses.replace(PRESETS[PRESET], **ov)
    genome = make_genome(np.random.default_rng([args.seed, 0]), preset.autosome_lengths, preset.x_length,
                         preset.y_length, preset.segdups_per_mb)
    cohort, _ = cohort_and_kit(args.seed, preset, genome)
    targets = [f"results/{stage}/{p.id}/{f}" for p, _ in cohort for stage, files in STAGE_FILES.items() for f in files]
    t1 = time.time()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cmd = [sys.executable, "-m", "snakemake", "-s", os.path.join(repo, "Snakefile"), "--configfile",
           os.path.join(cohort_dir, "config.yaml"), "--directory", work, "--cores", str(args.threads),
           *targets]
    with open(os.path.join(out, "snakemake.log"), "w") as log:
        subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT)
    print(f"workflow to signatures, timing and cntree: {time.time() - t1:.0f} s", flush=True)
    results, truth_dir = os.path.join(work, "results"), os.path.join(cohort_dir, "truth")
    rows, gains = [], []
    for patient, specs in cohort:
        tumours = [s.sample for s in specs if s.type == "tumour"]
        row = {"patient": patient.id, "wgd": patient.tumour.wgd}
        row["branch_separation"] = round(branch_separation(patient, specs), 2)
        row.update(signature_figures(results, truth_dir, patient.id))
        tf = timing_figures(results, truth_dir, patient.id, tumours)
        gains.append(tf.pop("_gains"))
        row.update(tf)
        row.update(cntree_figures(results, truth_dir, patient.id, patient, specs))
        rows.append(row)
    table = pd.DataFrame(rows)
    table.to_csv(os.path.join(out, "evolution_bam.tsv"), sep="\t", index=False)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 60)
    pd.set_option("display.max_colwidth", 60)
    print(table.T.to_string(header=False))
    summary(table, pd.concat(gains) if gains else pd.DataFrame())
    print(f"total {time.time() - t0:.0f} s")


def summary(t: pd.DataFrame, gains: pd.DataFrame) -> None:
    sig = t[(t["trunk_true_snvs"] >= 100) & (t["branch_true_snvs"] >= 100)]
    ok = sig["trunk_dominant_right"] & sig["branch_dominant_right"]
    close = (sig["trunk_max_error"] <= 0.1) & (sig["branch_max_error"] <= 0.1)
    print(f"\nsignatures ({len(sig)} patients with >= 100 true SNVs on trunk and branch): dominant right in "
          f"{int(ok.sum())}, exposures within 0.1 in {int(close.sum())}, both {int((ok & close).sum())}")
    sep = sig["branch_separation"] >= SEPARABLE
    print(f"  of them {int(sep.sum())} with the branch separable from the trunk (>= {SEPARABLE:g} SE): dominant right "
          f"in {int(ok[sep].sum())}, exposures within 0.1 in {int(close[sep].sum())}, both {int((ok & close)[sep].sum())}")
    calls = t["timed_snvs"].sum()
    right = (t["timed_snvs"] * t["early_late_right"].fillna(0)).sum()
    line = f"timing: early/late right {right / calls:.3f} of {int(calls)} clonal SNVs in gained segments" if calls \
        else "timing: no SNV timed"
    if len(gains):
        err = (gains["time"] - gains["truth"]).abs()
        line += f"; truncal gains timed {len(gains)}, mean error {err.mean():.3f}, within 0.1 {(err <= 0.1).mean():.2f}"
        oracle = (gains["oracle"] - gains["truth"]).abs()  # the same fits on the true multiplicities of the same SNVs
        line += f" (oracle: mean error {oracle.mean():.3f}, within 0.1 {(oracle <= 0.1).mean():.2f})"
    if "wgd_error" in t:
        w = t["wgd_error"].dropna()
        line += f"; WGD timed {len(w)} of {int(t['true_wgd'].sum())}, errors " + ", ".join(f"{e:.3f}" for e in w)
    print(line)
    cn = t[t["cn_eligible"]]
    print(f"copy-number tree: same topology {int(t['same_topology'].sum())}/{len(t)} patients "
          f"({int(cn['same_topology'].sum())}/{len(cn)} with >= 4 regions and >= 3 private events); from the "
          f"truth segments {int(t['truth_segments_same_topology'].sum())}/{len(t)}; copy number called right "
          f"over {t['cn_right'].mean():.3f} of the regions' autosomes")


if __name__ == "__main__":
    main()
