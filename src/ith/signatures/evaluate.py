"""Recovery of simulated mutational processes at the matrix level (no reads): the simulator's
truth mutations of the trunk (clone 0) and the APOBEC branch (clone 1), their SBS96 channels
from the simulated genome, fitted (tests and bench/signatures.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ith.signatures.context import channel, count_matrix
from ith.signatures.fit import SignatureParams, dominant, fit_groups
from ith.simulate.signatures import CLONE_PROCESS, PROCESSES

GROUP_OF_CLONE = {0: "trunk", 1: "branch"}


def simulated_counts(seed: int, n_patients: int, snvs: tuple[int, int] = (500, 700)) -> list[pd.DataFrame]:
    """Per simulated patient: the 96 x (trunk, branch) counts of its true SNVs; attrs["truth"]:
    each group's realised signature shares (the share of its SNVs each signature drew)."""
    from ith.simulate.cohort import patients
    from ith.simulate.genome import make_genome
    from ith.simulate.presets import PRESETS

    preset = replace(PRESETS["test"], n_patients=n_patients, snvs=snvs, signatures=True, clones=(3, 4))
    genome = make_genome(np.random.default_rng([seed, 0]), preset.autosome_lengths, preset.x_length,
                         preset.y_length, preset.segdups_per_mb)
    out = []
    for patient, _ in patients(seed, preset, genome):
        chans, groups = [], {g: [] for g in GROUP_OF_CLONE.values()}
        drawn: dict[str, list[str]] = {g: [] for g in GROUP_OF_CLONE.values()}
        for s in patient.tumour.snvs:
            if s.is_indel:
                continue
            seq = genome.contig(s.contig).seq
            chans.append(channel(*("ACGTN"[int(seq[s.pos + d])] for d in (-1,)), s.ref_allele, s.alt_allele,
                                 "ACGTN"[int(seq[s.pos + 1])]))
            for clone, g in GROUP_OF_CLONE.items():
                groups[g].append(s.clone == clone)
                if s.clone == clone:
                    drawn[g].append(s.signature)
        m = count_matrix(pd.Series(chans), {g: np.array(v) for g, v in groups.items()})
        m.attrs["patient"] = patient.id
        m.attrs["truth"] = {g: pd.Series(v).value_counts(normalize=True).to_dict() for g, v in drawn.items()}
        out.append(m)
    return out


def truth_exposures() -> dict[str, dict[str, float]]:
    """The processes' signature weights of each group (the expected shares)."""
    return {GROUP_OF_CLONE[c]: PROCESSES[p] for c, p in CLONE_PROCESS.items()}


def recovery(matrices: list[pd.DataFrame], params: SignatureParams, min_branch: int = 100) -> pd.DataFrame:
    """Per patient and group with >= min_branch mutations: the true and fitted dominant
    signature and the largest exposure error over the true and fitted signatures. The truth is
    the realised share of each signature among the group's SNVs (attrs["truth"]), else the
    processes' weights."""
    rows = []
    for m in matrices:
        truth = m.attrs.get("truth") or truth_exposures()
        n = m.sum()
        if (n < min_branch).any():
            continue
        e = fit_groups(m, params)
        rows += score_exposures(e, truth, m.attrs.get("patient", ""))
    return pd.DataFrame(rows)


def score_exposures(exposures: pd.DataFrame, truth: dict[str, dict[str, float]], patient: str = "") -> list[dict]:
    """Per group of `truth` (group -> signature -> true share): the true and fitted dominant
    signature and the largest exposure error over the true and fitted signatures. exposures: the
    fit's table (fit_groups, or the workflow's exposures.tsv; group, signature, exposure, fitted,
    n_mutations); a group that was not fitted has no dominant signature and error 1."""
    dom = dominant(exposures)
    rows = []
    for g, mix in truth.items():
        mine = exposures[exposures["group"] == g]
        fitted = mine.set_index("signature")["exposure"].astype(float)
        sigs = set(mix) | set(fitted[fitted > 0].index)
        err = max(abs(mix.get(s, 0.0) - float(fitted.get(s, 0.0))) for s in sigs) if g in dom else 1.0
        rows.append(dict(patient=patient, group=g, n_mutations=int(mine["n_mutations"].iloc[0]) if len(mine) else 0,
                         true_dominant=max(mix, key=mix.get), fitted_dominant=dom.get(g, ""),
                         max_error=round(err, 4),
                         fitted="; ".join(f"{s} {v:.2f}" for s, v in fitted[fitted > 0].items())))
    return rows
