"""Copy-number trees against the simulator's truth, at the table level (no BAMs).

Patients are drawn with the `test` preset and ith.simulate.cntruth.CNTREE_OVERRIDES; for those
with >= 4 regions and >= 3 private copy-number events, the tree built from the truth
segments.tsv (each segment's major or minor copy number misread by one with the given
probability) is compared with the true clades (ith.simulate.cntruth.true_cn_clades).

    PYTHONPATH=src python bench/cntree.py [n_patients] [seed] [doubled]

doubled 1: every second patient has a whole-genome doubling (the `test` preset draws none).
Each row is given with and without cntree.doubled_root (the default roots a doubled trunk at the
doubled normal) and cntree.clade_support (the default keeps a clade only where its regions share
a derived state), and without WGD as an event.
"""

from __future__ import annotations

import dataclasses
import sys
import time

import numpy as np

from ith.cntree.build import CnTreeParams, cn_tree
from ith.cntree.tree import informative, robinson_foulds
from ith.simulate.cntruth import CNTREE_OVERRIDES, CNTREE_PRESET, misread, private_cn_events, true_cn_clades
from ith.simulate.cohort import patients
from ith.simulate.genome import make_genome
from ith.simulate.presets import PRESETS
from ith.simulate.truth import segment_table

NOISE = (0.0, 0.005, 0.01, 0.02)


def main(n_patients: int = 200, seed: int = 11, doubled: int = 0) -> None:
    t0 = time.time()
    wgd_patients = tuple(range(1, n_patients, 2)) if doubled else ()
    preset = dataclasses.replace(PRESETS[CNTREE_PRESET], n_patients=n_patients, wgd_patients=wgd_patients,
                                 **CNTREE_OVERRIDES)
    genome = make_genome(np.random.default_rng([seed, 0]), preset.autosome_lengths, preset.x_length,
                         preset.y_length, preset.segdups_per_mb)
    cohort = patients(seed, preset, genome)
    eligible = []
    for patient, specs in cohort:
        tumours = [s for s in specs if s.type == "tumour"]
        if len(tumours) >= 4 and private_cn_events(patient, specs) >= 3:
            eligible.append((patient, tumours, segment_table(genome, patient, tumours), true_cn_clades(patient, specs)))
    print(f"{len(cohort)} patients drawn, {len(eligible)} with >= 4 regions and >= 3 private copy-number events")
    stars = sum(not truth for *_, truth in eligible)
    print(f"{stars} of them have a star as the true tree (a method that never resolves would score "
          f"{stars / max(len(eligible), 1):.1%})")
    print(f"{sum(p.tumour.wgd for p, *_ in eligible)} of them doubled")
    print("misread rate | same topology | mean normalised RF | WGD allowed | clade support | doubled root")
    for wgd, support, root in ((True, True, True), (True, True, False), (True, False, True), (True, False, False),
                               (False, True, False), (False, False, False)):
        for noise in NOISE:
            rng = np.random.default_rng([seed, int(noise * 1e4)])
            same, rfs = 0, []
            for patient, tumours, seg, truth in eligible:
                res = cn_tree(patient.id, misread(seg, noise, rng), [s.sample for s in tumours],
                              CnTreeParams(wgd=wgd, clade_support=support, doubled_root=root))
                mine = informative(res.clades, len(tumours))
                same += mine == truth
                rfs.append(robinson_foulds(mine, truth)[1])
            print(f"{noise:.3f} | {same}/{len(eligible)} = {same / len(eligible):.1%} | {np.mean(rfs):.3f} | {wgd} | "
                  f"{support} | {root}", flush=True)
    print(f"{time.time() - t0:.0f} s")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:4]))
