"""Truth tables of a simulated patient, in the formats of results/ so tests compare like with like."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ith.simulate.capture import in_targets
from ith.simulate.genome import Genome
from ith.simulate.samples import SampleSpec, clone_ccf
from ith.simulate.tumour import CN_CELL, Patient

BASE = "ACGT"


def clone_label(c: int) -> str:
    return f"C{c}"


def _fractions(spec: SampleSpec) -> tuple[float, np.ndarray]:
    return 1.0 - spec.purity, spec.purity * spec.clone_props


def _dominant_clone(spec: SampleSpec) -> int | None:
    return int(np.argmax(spec.clone_props)) if spec.purity > 0 and spec.clone_props.sum() > 0 else None


def mutation_table(patient: Patient, specs: list[SampleSpec], targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per mutation x sample; with capture `targets`, an `in_target` column (the mutated base, or
    an indel's anchor, inside a target)."""
    t = patient.tumour
    rows = []
    for i, s in enumerate(t.snvs):
        cell = s.pos // CN_CELL
        normal_cn = int(t.baseline[s.contig][cell].sum())
        clone_cn = t.copies[s.contig][:, cell, :]  # (clones, 2)
        carrying = t.mut_copies[i] > 0
        for spec in specs:
            f_norm, f_clone = _fractions(spec)
            tumour_cn = clone_cn.sum(axis=1)
            denom = f_norm * normal_cn + float((f_clone * tumour_cn).sum())
            if spec.contamination > 0:  # the contaminant's cells carry normal copies, never the mutation
                denom += spec.contaminant_cells * normal_cn
            vaf = float((f_clone * t.mut_copies[i]).sum()) / denom if denom > 0 else 0.0
            ccf = float(spec.clone_props[carrying].sum()) if spec.purity > 0 else 0.0
            dom = _dominant_clone(spec)
            if dom is None:
                major, minor, mult = max(t.baseline[s.contig][cell]), min(t.baseline[s.contig][cell]), 0
            else:
                major, minor = int(clone_cn[dom].max()), int(clone_cn[dom].min())
                carriers = np.flatnonzero(carrying & (spec.clone_props > 0))
                mult = int(t.mut_copies[i, carriers[np.argmax(spec.clone_props[carriers])]]) if len(carriers) else 0
            status = "absent" if ccf <= 0 else ("clonal" if ccf >= 0.999 else "subclonal")
            rows.append(dict(patient=patient.id, mutation_id=s.mutation_id, chrom=s.contig, pos=s.pos + 1,
                             ref=s.ref_allele, alt=s.alt_allele, type="indel" if s.is_indel else "snv",
                             clone=clone_label(s.clone), sample=spec.sample,
                             ccf=round(ccf, 6), multiplicity=mult, major_cn=major, minor_cn=minor,
                             total_cn=major + minor, normal_cn=normal_cn, expected_vaf=round(vaf, 6), status=status))
    table = pd.DataFrame(rows)
    if any(s.process for s in t.snvs) and len(table):  # a cohort simulated with mutational processes
        process = {s.mutation_id: s.process for s in t.snvs}
        signature = {s.mutation_id: s.signature for s in t.snvs}
        table.insert(table.columns.get_loc("clone") + 1, "process", table["mutation_id"].map(process))
        table.insert(table.columns.get_loc("clone") + 2, "signature", table["mutation_id"].map(signature))
    if targets is not None and len(table):
        table["in_target"] = in_targets(targets, table["chrom"].to_numpy(), table["pos"].to_numpy() - 1)
    return table


def tumour_ploidy(genome: Genome, patient: Patient, spec: SampleSpec) -> float:
    """Mean total copy number of the tumour cells over the autosomes (ASCAT's ploidy)."""
    t = patient.tumour
    num = den = 0.0
    for c in genome.contigs:
        if c.kind != "autosome":
            continue
        per_cell = t.copies[c.name].sum(axis=2)  # (clones, cells)
        mean_cn = (spec.clone_props[:, None] * per_cell).sum(axis=0)
        lengths = np.minimum(np.arange(1, per_cell.shape[1] + 1) * CN_CELL, c.length) - np.arange(per_cell.shape[1]) * CN_CELL
        num += float((mean_cn * lengths).sum())
        den += float(lengths.sum())
    return num / den


def segment_table(genome: Genome, patient: Patient, specs: list[SampleSpec]) -> pd.DataFrame:
    t = patient.tumour
    rows = []
    for spec in specs:
        if spec.purity <= 0:
            continue
        p = spec.purity
        psi = tumour_ploidy(genome, patient, spec)
        present = np.flatnonzero(spec.clone_props > 0)
        dom = _dominant_clone(spec)
        for c in genome.contigs:
            base = t.baseline[c.name]
            cp = t.copies[c.name][present]  # (present clones, cells, 2)
            key = np.concatenate([cp.reshape(len(present), -1, 2).transpose(1, 0, 2).reshape(cp.shape[1], -1),
                                  base], axis=1)
            change = np.flatnonzero((np.diff(key, axis=0) != 0).any(axis=1)) + 1
            starts = np.concatenate([[0], change])
            ends = np.concatenate([change, [key.shape[0]]])
            for a, b in zip(starts, ends):
                n0 = int(base[a].sum())
                if n0 == 0:
                    continue  # no DNA here in this individual (chrY of a female)
                states = t.copies[c.name][:, a, :]
                subclonal = len({tuple(states[k]) for k in present}) > 1
                major, minor = int(states[dom].max()), int(states[dom].min())
                mean_c = float((spec.clone_props[:, None] * states).sum(axis=0).sum())
                mean_b = float((spec.clone_props * states.min(axis=1)).sum())
                depth_t = p * mean_c + (1 - p) * n0
                log2r = np.log2(depth_t / (p * psi + 2 * (1 - p)) * 2 / n0)
                baf = (p * mean_b + (1 - p)) / depth_t if n0 == 2 else np.nan
                rows.append(dict(patient=patient.id, sample=spec.sample, chrom=c.name, start=a * CN_CELL + 1,
                                 end=min(b * CN_CELL, c.length), log2r=round(float(log2r), 6),
                                 baf=round(float(baf), 6) if n0 == 2 else np.nan, major_cn=major, minor_cn=minor,
                                 total_cn=major + minor, normal_cn=n0, subclonal=subclonal))
    return pd.DataFrame(rows)


def purity_ploidy_table(genome: Genome, patient: Patient, specs: list[SampleSpec]) -> pd.DataFrame:
    rows = []
    for spec in specs:
        if spec.type == "normal":
            continue
        ploidy = tumour_ploidy(genome, patient, spec) if spec.purity > 0 else np.nan
        rows.append(dict(patient=patient.id, sample=spec.sample, purity=spec.purity,
                         ploidy=round(ploidy, 4) if spec.purity > 0 else np.nan,
                         wgd=bool(patient.tumour.wgd and spec.purity > 0), method="truth"))
    return pd.DataFrame(rows)


def clone_proportion_table(patient: Patient, specs: list[SampleSpec]) -> pd.DataFrame:
    rows = []
    for spec in specs:
        rows.append(dict(patient=patient.id, sample=spec.sample, clone="normal", fraction=round(1 - spec.purity, 6),
                         ccf=np.nan))
        ccf = clone_ccf(patient.tumour, spec.clone_props) if spec.purity > 0 else np.zeros(len(spec.clone_props))
        for c, share in enumerate(spec.clone_props):
            rows.append(dict(patient=patient.id, sample=spec.sample, clone=clone_label(c),
                             fraction=round(spec.purity * float(share), 6), ccf=round(float(ccf[c]), 6)))
    return pd.DataFrame(rows)


def tree_table(patient: Patient) -> pd.DataFrame:
    t = patient.tumour
    rows = []
    for c, parent in enumerate(t.parents):
        events = [f"{e.kind}:{e.contig}:{e.start + 1}-{e.end}:{'AB'[e.hap]}" if e.kind != "wgd" else "wgd"
                  for e in t.events if e.clone == c]
        rows.append(dict(patient=patient.id, clone=clone_label(c), parent=clone_label(parent) if parent >= 0 else "",
                         n_snvs=sum(s.clone == c for s in t.snvs), cn_events=";".join(events)))
    return pd.DataFrame(rows)


def timing_table(patient: Patient) -> pd.DataFrame:
    """Per copy-number event: its clone and the event's true relative time on the clone's branch,
    the share of the clone's own mutations that arose before it (docs/methods/timing.md; a WGD is
    one row with empty coordinates)."""
    t = patient.tumour
    rows = []
    for i, e in enumerate(t.events):
        wgd = e.kind == "wgd"
        rows.append(dict(patient=patient.id, clone=clone_label(e.clone), kind=e.kind, chrom="" if wgd else e.contig,
                         start="" if wgd else e.start + 1, end="" if wgd else e.end, haplotype="" if wgd else "AB"[e.hap],
                         time=round(float(t.event_time.get(i, np.nan)), 6)))
    cols = ["patient", "clone", "kind", "chrom", "start", "end", "haplotype", "time"]
    return pd.DataFrame(rows, columns=cols)


def ctdna_table(patient: Patient, specs: list[SampleSpec]) -> pd.DataFrame:
    rows = []
    for spec in specs:
        if spec.type != "plasma":
            continue
        rows.append(dict(patient=patient.id, sample=spec.sample, timepoint=spec.timepoint,
                         tumour_fraction=spec.purity, detected=spec.purity > 0))
    return pd.DataFrame(rows, columns=["patient", "sample", "timepoint", "tumour_fraction", "detected"])


def plasma_clone_table(patient: Patient, specs: list[SampleSpec]) -> pd.DataFrame:
    rows = []
    for spec in specs:
        if spec.type != "plasma":
            continue
        ccf = clone_ccf(patient.tumour, spec.clone_props)
        for c in range(patient.tumour.n_clones):
            rows.append(dict(patient=patient.id, sample=spec.sample, timepoint=spec.timepoint, clone=clone_label(c),
                             ccf=round(float(ccf[c]), 6), share=round(float(spec.clone_props[c]), 6),
                             growing=spec.growing_clone is not None and (c == spec.growing_clone)))
    return pd.DataFrame(rows, columns=["patient", "sample", "timepoint", "clone", "ccf", "share", "growing"])


def germline_table(genome: Genome, patient: Patient) -> pd.DataFrame:
    g = patient.germline
    frames = []
    for c in genome.contigs:
        hap = g.hap[c.name]
        hemizygous = patient.tumour.baseline[c.name][:, 1].max() == 0 if len(hap) else False
        gt = np.where(hemizygous, "1", np.where(hap.sum(axis=1) == 2, "1/1", "0/1"))
        frames.append(pd.DataFrame(dict(patient=patient.id, chrom=c.name, pos=g.pos[c.name] + 1,
                                        ref=[BASE[x] for x in g.ref[c.name]], alt=[BASE[x] for x in g.alt[c.name]],
                                        genotype=gt)))
    return pd.concat(frames, ignore_index=True)
