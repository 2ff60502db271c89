"""Orientation artefacts (FFPE deamination, 8-oxoG) against the simulator's truth.

For each mode, the same simulated patient (preset `test`, one patient, three regions, no plasma)
is written with and without the artefact in every tumour block (rate drawn per block in
--rate-low..--rate-high, the artefact allele fraction at an affected base; the base error of a
Q>=20 base is ~1e-4 per alt allele), and the variants stage's library functions (discovery, then
the patient call) are run with the orientation model on and off. Prints per run: false private
calls per region (present in exactly one region, where the truth has no such mutation), recall
of true private SNVs at expected VAF >= 5%, the private fraction (of mutations present in some
region, those present in exactly one) and the mean divergence (Jaccard distance between two
regions' present sets), against the clean patient.

    python bench/orientation.py --out orientation-bench --seed 3
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ith.io.pileup import PileupParams
from ith.io.reference import read_fai
from ith.simulate.cohort import simulate
from ith.variants.call import Sample, call_patient, discover_chunk
from ith.variants.orientation import OrientationParams
from ith.variants.presence import PresenceParams
from ith.variants.somatic import SomaticParams


def run_calls(cohort: Path, patient: str, orientation: OrientationParams | None):
    sheet = pd.read_csv(cohort / "samples.tsv", sep="\t")
    sheet = sheet[sheet["patient"] == patient]
    samples = [Sample(r.sample, r.type, r.bam) for r in sheet.itertuples()]
    fasta = str(cohort / "reference" / "genome.fa")
    chunks = [discover_chunk(samples, fasta, [(c, 1, n)], PileupParams(), SomaticParams(), 2, False)[0]
              for c, n in read_fai(fasta, "reference")]
    return call_patient(patient, samples, chunks, fasta, PileupParams(), SomaticParams(), PresenceParams(), False,
                        germline_resource=str(cohort / "reference" / "population.vcf.gz"), orientation=orientation)


def score(res, cohort: Path, patient: str) -> dict[str, float]:
    """The figures of the issue's targets from one call result against the truth."""
    truth = pd.read_csv(cohort / "truth" / patient / "mutations.tsv", sep="\t")
    tum = truth[truth["sample"].str.contains("-R")]
    carried = set(zip(tum.loc[tum["expected_vaf"] > 0, "mutation_id"], tum.loc[tum["expected_vaf"] > 0, "sample"]))
    t = res.table[res.table["sample"].str.contains("-R")]
    regions = sorted(t["sample"].unique())
    pres = t.pivot(index="mutation_id", columns="sample", values="present").reindex(columns=regions).astype(bool)
    present = pres[pres.any(axis=1)]
    private = present[present.sum(axis=1) == 1]
    owner = private.idxmax(axis=1)
    false_private = sum((m, s) not in carried for m, s in owner.items())
    snv = tum[tum["type"] == "snv"]
    n_carriers = snv[snv["expected_vaf"] > 0].groupby("mutation_id")["sample"].nunique()
    priv_ids = n_carriers[n_carriers == 1].index
    tp = snv[snv["mutation_id"].isin(priv_ids) & (snv["expected_vaf"] >= 0.05)]
    found = [bool(pres.loc[m, s]) if m in pres.index else False for m, s in zip(tp["mutation_id"], tp["sample"])]
    div = []
    for a, b in itertools.combinations(regions, 2):
        union = (present[a] | present[b]).sum()
        div.append(((present[a] ^ present[b]).sum() / union) if union else 0.0)
    return dict(false_private_per_region=false_private / len(regions), true_private_snvs=len(tp),
                recall_private_vaf5=float(np.mean(found)) if found else float("nan"),
                private_fraction=len(private) / max(len(present), 1), mean_divergence=float(np.mean(div)),
                present_mutations=len(present))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--modes", nargs="+", default=["ffpe", "oxog"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rate-low", type=float, default=1e-3)
    ap.add_argument("--rate-high", type=float, default=2e-3)
    a = ap.parse_args()
    out = Path(a.out)
    common = dict(n_patients=1, plasma=(0,))
    cohorts = {"none": out / "none"}
    for m in a.modes:
        cohorts[m] = out / m
    for m, path in cohorts.items():
        if not (path / "samples.tsv").exists():
            extra = {} if m == "none" else dict(artefact=m, artefact_rate=(a.rate_low, a.rate_high))
            simulate("test", a.seed, str(path), threads=min(2, os.cpu_count() or 1), **common, **extra)
    rows = []
    for m, path in cohorts.items():
        for on in (False, True):
            t0 = time.time()
            res = run_calls(path, "P1", OrientationParams() if on else None)
            rows.append(dict(artefact=m, filter="on" if on else "off", **score(res, path, "P1"),
                             seconds=round(time.time() - t0, 1)))
            if on and res.orientation is not None:
                print(res.orientation.to_string(index=False))
    table = pd.DataFrame(rows)
    clean = table[(table["artefact"] == "none") & (table["filter"] == "on")].iloc[0]
    table["private_fraction_diff"] = (table["private_fraction"] - clean["private_fraction"]).round(4)
    table["divergence_diff"] = (table["mean_divergence"] - clean["mean_divergence"]).round(4)
    pd.set_option("display.width", 200)
    print(table.round(4).to_string(index=False))
    for m in a.modes:
        off = table[(table["artefact"] == m) & (table["filter"] == "off")].iloc[0]
        on = table[(table["artefact"] == m) & (table["filter"] == "on")].iloc[0]
        print(f"{m}: false private per region {off['false_private_per_region']:.2f} -> "
              f"{on['false_private_per_region']:.2f}")
    print(table.drop(columns=["seconds"]).round(4).to_csv(sep="\t", index=False))


if __name__ == "__main__":
    main()
