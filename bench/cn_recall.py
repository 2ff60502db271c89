"""Copy number of finished `bench/evolution_bam.py` runs called again from their coverage, BAF
and mutation-count files under two fit settings, and scored against the simulator's truth: the
share of bases with the right clonal state, the purity error, the doubling, and the copy-number
tree's clades (docs/methods/cntree.md, "From BAMs"), with the eligible patients split by whether
any region mixes lineages (`mixed_regions` of bench/cntree_bam.py). It measures a copy-number change without
running the workflow again; the runs' BAMs are not read.

Settings: `default` (the schema's defaults), `no two states` (`copynumber.fit.two_state_mixtures:
false`: flagged segments keep their nearest integer state) and `stop 34` (that and
`copynumber.fit.ploidy_tolerance: 0`, the fit before stop 35). Trees are built with the
default `cntree` settings (`tree_right`) and with boundary segments kept
(`cntree.boundary_bins: 0`, the tree before stop 36; `boundary_kept` in the summary), and the
default tree is also scored against each region's majority clone (`majority` in the summary;
`bench/cntree_bam.py`'s `majority truth`).

    python bench/cn_recall.py evo4 evo5 evo16 evo17 evo20 [--settings default] [--out table.tsv]
"""

from __future__ import annotations

import argparse
import dataclasses
import os

import numpy as np
import pandas as pd

from ith.cntree.build import CnTreeParams, cn_tree
from ith.cntree.tree import informative
from ith.config import load_config
from ith.copynumber.params import cn_params
from ith.io.segments import shared_states
from ith.io.tables import read_tsv

# run as bench/cn_recall.py: bench/ is on sys.path
from cntree_bam import majority_clades, mixed_regions
from cntree_subclonal import bench_patients, true_clades
from gc_correction import call_from_files, folders, patient_inputs, run_name

SETTINGS = {"stop 34": {"ploidy_tolerance": 0.0, "two_state_mixtures": False},
            "no two states": {"two_state_mixtures": False}, "default": {}}


def bases_right(called: pd.DataFrame, truth: pd.DataFrame, tumours: list[str]) -> float:
    """Mean over the regions of the autosomal genome share whose major and minor copy number
    match the truth's (the truth's largest clone)."""
    both = pd.concat([called.assign(sample="c" + called["sample"]), truth.assign(sample="t" + truth["sample"])])
    table, values = shared_states(both, ["c" + s for s in tumours] + ["t" + s for s in tumours], autosomes_only=True)
    w = (table["end"] - table["start"] + 1).to_numpy(float)
    return float(np.mean([w[(values["c" + s] == values["t" + s]).all(axis=1)].sum() / w.sum() for s in tumours]))


def recall(run: str, patient: str, change: dict):
    """The patient's copy-number call from the run's files, with `change` applied to the fit."""
    config = load_config(os.path.join(folders(run)[0], "config.yaml"))
    params = cn_params(config["copynumber"])
    params = dataclasses.replace(params, fit=dataclasses.replace(params.fit, **change))
    return call_from_files(patient, params, patient_inputs(run, patient, config))


def score(run: str, row) -> list[dict]:
    cohort = folders(run)[0]
    truth = read_tsv(os.path.join(cohort, "truth", row.patient, "segments.tsv"), dtype={"chrom": str, "sample": str})
    tpp = read_tsv(os.path.join(cohort, "truth", row.patient, "purity_ploidy.tsv"), dtype={"sample": str})
    tpp = tpp.set_index("sample")
    tumours = sorted(truth["sample"].unique())
    out = []
    for label, change in SETTINGS.items():
        res = recall(run, row.patient, change)
        seg = res.segments[res.segments["sample"].isin(tumours)]
        pp = res.purity.set_index("sample")
        def clades(params: CnTreeParams) -> set[frozenset[str]]:
            return {frozenset(x.split("-")[-1] for x in c)
                    for c in informative(cn_tree(row.patient, seg, tumours, params).clades, len(tumours))}
        out.append(dict(run=run_name(run), patient=row.patient, eligible=bool(row.cn_eligible),
                        mixed_regions=mixed_regions(os.path.join(cohort, "truth", row.patient)), setting=label,
                        tree_right=clades(CnTreeParams()) == true_clades(row.true_clades),
                        tree_right_boundary_kept=clades(CnTreeParams(boundary_bins=0)) == true_clades(row.true_clades),
                        tree_right_majority=clades(CnTreeParams()) == majority_clades(os.path.join(cohort, "truth",
                                                                                                   row.patient)),
                        bases_right=round(bases_right(seg, truth, tumours), 4),
                        purity_error=round(float(np.mean([abs(pp.loc[s, "purity"] - tpp.loc[s, "purity"])
                                                          for s in tumours])), 4),
                        wgd_right=all(bool(pp.loc[s, "wgd"]) == bool(tpp.loc[s, "wgd"]) for s in tumours)))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="evolution_bam.py output folders")
    ap.add_argument("--out", help="write the per-patient table here (TSV)")
    ap.add_argument("--settings", action="append", choices=list(SETTINGS),
                    help="a fit setting to re-call with; repeat for more (default: all)")
    args = ap.parse_args(argv)
    for k in [k for k in SETTINGS if args.settings and k not in args.settings]:
        del SETTINGS[k]
    table = pd.DataFrame([r for run, row in bench_patients(args.runs) for r in score(run, row)])
    if args.out:
        table.to_csv(args.out, sep="\t", index=False)
    wide = table.pivot_table(index=["run", "patient", "eligible", "mixed_regions"], columns="setting",
                             values=["tree_right", "tree_right_boundary_kept", "bases_right", "purity_error"],
                             sort=False)
    print(wide.round(3).to_string())
    summary = table.groupby("setting", sort=False).agg(
        eligible_trees_right=("tree_right", lambda x: int(x[table.loc[x.index, "eligible"]].sum())),
        boundary_kept=("tree_right_boundary_kept", lambda x: int(x[table.loc[x.index, "eligible"]].sum())),
        majority=("tree_right_majority", lambda x: int(x[table.loc[x.index, "eligible"]].sum())),
        eligible=("eligible", "sum"), bases_right=("bases_right", "mean"), purity_error=("purity_error", "mean"),
        wgd_right=("wgd_right", "sum"), patients=("patient", "size"))
    print(summary.round(4).to_string())
    eligible = table[table["eligible"]]
    for label, part in (("no mixed region", eligible[eligible["mixed_regions"] == 0]),
                        ("mixed regions", eligible[eligible["mixed_regions"] > 0])):
        right = part.groupby("setting", sort=False)["tree_right"].sum()
        print(f"eligible, {label} ({len(part) // len(SETTINGS)} patients): " +
              ", ".join(f"{k} {int(v)}/{len(part) // len(SETTINGS)}" for k, v in right.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
