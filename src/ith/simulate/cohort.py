"""Simulate a whole cohort: reference, patients, BAMs, truth, and a ready-to-run sample sheet + config."""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pysam
import yaml

from ith.io.tables import write_tsv
from ith.simulate import truth
from ith.simulate.ch import ch_regions_bed, ch_table, draw_ch
from ith.simulate.capture import design_sites, make_targets, panel_targets, sample_efficiency, target_mask, write_bed
from ith.simulate.genome import Genome, make_genome, write_fasta
from ith.simulate.presets import PRESETS, Preset
from ith.simulate.reads import CaptureModel, ReadModel, SampleReads, contaminant_weight
from ith.simulate.samples import SampleSpec, plasma_compositions, plasma_series, separable_compositions
from ith.simulate.tumour import Patient, draw_germline, evolve

log = logging.getLogger(__name__)


@dataclass
class SampleJob:
    patient: Patient
    spec: SampleSpec
    model: ReadModel
    seed: list[int]
    path: str


def capture_targets(rng_seed: int, preset: Preset, genome: Genome) -> pd.DataFrame | None:
    """The capture kit of an exome preset (chrom, start, end, gene, efficiency), None for a
    whole genome or a panel (whose kit follows the patients' mutations: panel_kit)."""
    if preset.capture != "exome":
        return None
    return make_targets(np.random.default_rng([rng_seed, 4]), genome, preset.n_targets, preset.target_length,
                        preset.exons_per_gene, preset.intron_length, preset.target_efficiency_sd)


def panel_kit(rng_seed: int, preset: Preset, genome: Genome,
              cohort: list[tuple[Patient, list[SampleSpec]]]) -> pd.DataFrame:
    """A tumour-informed panel's kit: each patient's designed SNVs (design_sites), common SNPs
    and genes (panel_targets); the cohort is sequenced on the union, as the workflow takes one
    targets BED per cohort."""
    designed = {}
    for pi, (patient, _) in enumerate(cohort):
        rng = np.random.default_rng([rng_seed, 5, pi])
        n = int(rng.integers(preset.panel_mutations[0], preset.panel_mutations[1] + 1))
        snvs = patient.tumour.snvs
        other = [(c, p) for sites in designed.values() for c, p, _ in sites]
        designed[patient.id] = [(snvs[i].contig, snvs[i].pos, snvs[i].mutation_id)
                                for i in design_sites(rng, genome, patient.tumour, n, preset.panel_truncal_share,
                                                      other)]
    return panel_targets(np.random.default_rng([rng_seed, 4]), genome, designed, preset.n_targets,
                         preset.snp_targets, preset.target_length, preset.exons_per_gene, preset.intron_length,
                         preset.target_efficiency_sd)


def cohort_and_kit(rng_seed: int, preset: Preset,
                   genome: Genome) -> tuple[list[tuple[Patient, list[SampleSpec]]], pd.DataFrame | None]:
    """The patients and the capture kit (None: a whole genome). An exome's kit comes first and
    the mutations are placed in it; a panel's is designed from the mutations."""
    targets = capture_targets(rng_seed, preset, genome)
    cohort = patients(rng_seed, preset, genome, targets)
    if preset.capture == "panel":
        targets = panel_kit(rng_seed, preset, genome, cohort)
    if preset.ch_variants:
        add_ch(rng_seed, preset, genome, cohort, targets)
    return cohort, targets


def add_ch(rng_seed: int, preset: Preset, genome: Genome, cohort: list[tuple[Patient, list[SampleSpec]]],
           targets: pd.DataFrame | None) -> None:
    """Clonal haematopoiesis in every patient's blood (preset.ch_variants variants), each away
    from the cohort's germline and somatic variants and from the other patients' CH, inside the
    kit's gene targets when there is a kit. Its own generators: the rest of the cohort is the
    same with CH or without."""
    taken: dict[str, set[int]] = {}
    for patient, _ in cohort:
        for c, pos in patient.germline.pos.items():
            taken.setdefault(c, set()).update(int(x) for x in pos)
        for m in patient.tumour.snvs:
            taken.setdefault(m.contig, set()).add(m.pos)
    for s in genome.snps:
        taken.setdefault(s.contig, set()).add(s.pos)
    for pi, (patient, _) in enumerate(cohort):
        patient.ch = draw_ch(np.random.default_rng([rng_seed, 6, pi]), genome, taken, preset.ch_variants,
                             preset.ch_vaf, targets)
        patient.notes["ch_infiltrate"] = preset.ch_infiltrate
        for v in patient.ch:
            taken.setdefault(v.contig, set()).add(v.pos)


def patients(rng_seed: int, preset: Preset, genome: Genome,
             targets: pd.DataFrame | None = None) -> list[tuple[Patient, list[SampleSpec]]]:
    """The cohort `simulate` draws for this seed and genome: each patient (germline, tumour
    evolution, notes) with its samples, nothing written. With capture `targets`, the preset's
    share of the mutations is placed in them."""
    masks = None if targets is None else {c.name: target_mask(targets, c.name, c.length) for c in genome.contigs}
    out = []
    for pi in range(preset.n_patients):
        rng = np.random.default_rng([rng_seed, 1, pi])
        pid = f"P{pi + 1}"
        sex = preset.sexes[pi % len(preset.sexes)]
        germline = draw_germline(rng, genome, sex)
        n_clones = int(rng.integers(preset.clones[0], preset.clones[1] + 1))
        tumour = evolve(rng, genome, germline, sex, n_clones,
                        int(rng.integers(preset.snvs[0], preset.snvs[1] + 1)),
                        int(rng.integers(preset.cn_events[0], preset.cn_events[1] + 1)),
                        preset.cn_event_length, wgd=pi in preset.wgd_patients,
                        indel_fraction=preset.indel_fraction, targets=masks,
                        target_share=preset.target_mutation_share, processes=preset.signatures)
        patient = Patient(pid, sex, germline, tumour)
        n_regions = int(rng.integers(preset.regions[0], preset.regions[1] + 1))
        purities = np.round(rng.uniform(0.3, 0.9, n_regions), 3)
        comps, separation, unique = separable_compositions(rng, tumour, purities, preset.tumour_depth,
                                                           preset.clone_separation, preset.tree_margin)
        patient.notes["clone_separation"] = round(separation, 2)
        patient.notes["tree_identifiable"] = unique
        specs = [SampleSpec(f"{pid}-N", "normal", 0.0, np.zeros(n_clones), preset.normal_depth)]
        for r in range(n_regions):
            specs.append(SampleSpec(f"{pid}-R{r + 1}", "tumour", float(purities[r]), comps[r],
                                    round(preset.tumour_depth * float(rng.uniform(0.9, 1.15)), 1), region=f"R{r + 1}",
                                    x=round(float(rng.uniform(0, 30)), 1), y=round(float(rng.uniform(0, 30)), 1)))
        n_plasma = preset.plasma[pi % len(preset.plasma)]
        growing = pi in preset.growing_clone_patients
        if preset.plasma_tf:
            if n_plasma > len(preset.plasma_tf):
                raise ValueError(f"preset {preset.name}: {n_plasma} plasma timepoints but {len(preset.plasma_tf)} "
                                 "plasma_tf values")
            tfs = np.array(preset.plasma_tf[:n_plasma], dtype=float)
        else:
            tfs = plasma_series(rng, n_plasma, growing)
        plasma_comps, g = plasma_compositions(rng, tumour, comps, n_plasma, growing)
        for t in range(n_plasma):
            specs.append(SampleSpec(f"{pid}-PL{t + 1}", "plasma", float(tfs[t]), plasma_comps[t], preset.plasma_depth,
                                    timepoint=90 * t, growing_clone=g))
        out.append((patient, specs))
    return contaminate(rng_seed, preset, genome, out)


def contaminate(rng_seed: int, preset: Preset, genome: Genome,
                cohort: list[tuple[Patient, list[SampleSpec]]]) -> list[tuple[Patient, list[SampleSpec]]]:
    """Give the preset's contaminated samples their fraction and a contaminant: another person
    of the patient's sex, genotyped as a patient is (draw_germline, from a generator of its own,
    so every other draw of the cohort stays as it was)."""
    wanted = dict(preset.contamination)
    for pi, (patient, specs) in enumerate(cohort):
        for si, spec in enumerate(specs):
            c = float(wanted.pop(spec.sample, 0.0))
            if not 0.0 <= c < 1.0:
                raise ValueError(f"preset {preset.name}: contamination of {spec.sample} must be in [0, 1), not {c}")
            if c > 0:
                spec.contamination = c
                spec.contaminant = draw_germline(np.random.default_rng([rng_seed, 6, pi, si]), genome, patient.sex)
                spec.contaminant_cells = contaminant_weight(genome, patient, spec)
    if wanted:
        raise ValueError(f"preset {preset.name}: contamination names samples the cohort lacks: {', '.join(wanted)}")
    return cohort


def read_model(rng: np.random.Generator, preset: Preset, spec: SampleSpec,
               targets: pd.DataFrame | None = None) -> ReadModel:
    """How the reads of one sample are drawn (depth, fragments, duplicates, GC bias; with capture
    `targets`, this library's efficiency of each, drawn last)."""
    plasma = spec.type == "plasma"
    model = ReadModel(read_length=preset.read_length, depth=spec.depth,
                      duplicate_rate=preset.plasma_duplicate_rate if plasma else preset.duplicate_rate,
                      plasma=plasma, tissue_fragment=preset.tissue_fragment,
                      gc_center=float(rng.uniform(0.40, 0.48)), gc_width=float(rng.uniform(0.14, 0.28)))
    if targets is None:
        return model
    eff = sample_efficiency(rng, targets, preset.sample_efficiency_sd)
    start, end = targets["start"].to_numpy(np.int64), targets["end"].to_numpy(np.int64)
    per_contig = {str(c): (start[idx], end[idx], eff[idx])
                  for c, idx in targets.groupby("chrom", sort=False).indices.items()}
    return replace(model, capture=CaptureModel(per_contig, preset.off_target_fraction))


_GENOME: Genome | None = None
ASSAY_TYPE = {"exome": "wes", "panel": "panel"}  # the config's assay.type of a capture preset


def write_sample_bam(genome: Genome, patient: Patient, spec: SampleSpec, model: ReadModel, seed: list[int],
                     path: str) -> int:
    """One sample's indexed BAM at `path` (written aside and moved in place); its number of reads."""
    return _write_bam(genome, patient, spec, model, seed, path)[0]


def draw_artefacts(seed: int, preset: Preset, cohort: list[tuple[Patient, list[SampleSpec]]]) -> None:
    """Each tumour sample's orientation artefact (preset.artefact), its rate drawn log-uniform in
    preset.artefact_rate from a stream of its own, so cohorts without artefacts are unchanged."""
    if not preset.artefact:
        return
    lo, hi = preset.artefact_rate
    for pi, (_, specs) in enumerate(cohort):
        for si, spec in enumerate(specs):
            if spec.type == "tumour":
                rng = np.random.default_rng([seed, 4, pi, si])
                spec.artefact = preset.artefact
                spec.artefact_rate = round(float(np.exp(rng.uniform(np.log(lo), np.log(hi)))), 6)
                spec.artefact_cpg_weight = preset.artefact_cpg_weight


def _write_bam(genome: Genome, patient: Patient, spec: SampleSpec, model: ReadModel, seed: list[int],
               path: str) -> tuple[int, dict[str, int], list]:
    reads = SampleReads(genome, patient, spec, model, seed)
    tmp = path + ".tmp.bam"
    n = reads.write_bam(tmp, threads=1)
    pysam.index(tmp, path + ".bai")
    os.replace(tmp, path)
    return n, reads.fragment_counts, reads.artefact_sites() if spec.artefact else []


def _write_sample(job: SampleJob) -> tuple[str, int, float, dict[str, int], list]:
    t0 = time.time()
    n, fragments, artefacts = _write_bam(_GENOME, job.patient, job.spec, job.model, job.seed, job.path)
    return job.spec.sample, n, time.time() - t0, fragments, artefacts


def _write_population_vcf(genome: Genome, path: str) -> None:
    lines = ["##fileformat=VCFv4.2", '##INFO=<ID=AF,Number=A,Type=Float,Description="Population allele frequency">']
    lines += [f"##contig=<ID={c.name},length={c.length}>" for c in genome.contigs]
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
    for s in genome.snps:
        lines.append(f"{s.contig}\t{s.pos + 1}\t.\t{'ACGT'[s.ref]}\t{'ACGT'[s.alt]}\t.\t.\tAF={s.af:.4f}")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    pysam.tabix_compress(path, path + ".gz", force=True)
    pysam.tabix_index(path + ".gz", preset="vcf", force=True)
    os.remove(path)


def simulate(preset_name: str, seed: int, out: str, threads: int = 1, **overrides) -> dict:
    """Write the cohort under `out`; paths in samples.tsv/config.yaml are `out`-prefixed as given.
    `overrides`: Preset fields to change (e.g. clone_separation)."""
    global _GENOME
    preset = replace(PRESETS[preset_name], **overrides)
    t0 = time.time()
    for sub in ("reference", "bams", "truth"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    rng = np.random.default_rng([seed, 0])
    genome = make_genome(rng, preset.autosome_lengths, preset.x_length, preset.y_length, preset.segdups_per_mb)
    fasta = os.path.join(out, "reference", "genome.fa")
    write_fasta(genome, fasta)
    _write_population_vcf(genome, os.path.join(out, "reference", "population.vcf"))
    segdups = pd.DataFrame([dict(chrom=d.contig, start=s, end=s + d.length) for d in genome.segdups for s in (d.src, d.dst)])
    segdups.sort_values(["chrom", "start"]).to_csv(os.path.join(out, "reference", "segdups.bed"), sep="\t",
                                                   header=False, index=False)
    cohort, targets = cohort_and_kit(seed, preset, genome)
    draw_artefacts(seed, preset, cohort)
    bed = os.path.join(out, "reference", "targets.bed")
    if targets is not None:
        write_bed(targets, bed)
    jobs = []
    for pi, (patient, specs) in enumerate(cohort):
        os.makedirs(os.path.join(out, "bams", patient.id), exist_ok=True)
        _write_truth(genome, patient, specs, os.path.join(out, "truth", patient.id), targets)
        for si, spec in enumerate(specs):
            model = read_model(np.random.default_rng([seed, 2, pi, si]), preset, spec, targets)
            path = os.path.join(out, "bams", patient.id, f"{spec.sample}.bam")
            jobs.append(SampleJob(patient, spec, model, [seed, 3, pi, si], path))
    _GENOME = genome
    # biggest first, so the deep plasma samples do not end up alone at the tail
    jobs.sort(key=lambda j: -j.model.depth)
    stats = {}
    if threads > 1:
        with ProcessPoolExecutor(threads) as ex:
            for sample, n, dt, fragments, artefacts in ex.map(_write_sample, jobs):
                stats[sample] = (n, dt, fragments, artefacts)
    else:
        for job in jobs:
            sample, n, dt, fragments, artefacts = _write_sample(job)
            stats[sample] = (n, dt, fragments, artefacts)
    write_tsv(sample_sheet(cohort, out), os.path.join(out, "samples.tsv"), na_rep="")
    n_reads = pd.DataFrame([dict(sample=s, reads=n) for s, (n, *_) in stats.items()])
    if preset.artefact:
        _write_artefact_truth(cohort, stats, out)
    truth_samples = []
    for patient, specs in cohort:
        for spec in specs:
            row = dict(patient=patient.id, sample=spec.sample, type=spec.type, sex=patient.sex,
                       purity=spec.purity, contamination=spec.contamination, depth=spec.depth,
                       fragment_mode=167 if spec.type == "plasma" else int(preset.tissue_fragment[0]),
                       reads=stats[spec.sample][0])
            if targets is not None:  # depth is then the mean on-target depth
                f = stats[spec.sample][2]
                row["off_target_fraction"] = round(f["background"] / max(1, f["background"] + f["captured"]), 4)
            truth_samples.append(row)
    write_tsv(pd.DataFrame(truth_samples), os.path.join(out, "truth", "samples.tsv"))
    if targets is not None:
        # the kit's efficiency of each target, and each library's (kit x its own variation)
        libraries = {j.spec.sample: np.concatenate([v[2] for v in j.model.capture.targets.values()]) for j in jobs}
        order = [s.sample for _, specs in cohort for s in specs]
        write_tsv(targets.assign(start=targets["start"] + 1, **{s: libraries[s] for s in order}),
                  os.path.join(out, "truth", "targets.tsv"))
    write_tsv(pd.DataFrame([dict(patient=p.id, sex=p.sex, n_clones=p.tumour.n_clones, wgd=p.tumour.wgd,
                                 clone_separation=p.notes["clone_separation"],
                                 tree_identifiable=p.notes["tree_identifiable"]) for p, _ in cohort]),
              os.path.join(out, "truth", "patients.tsv"))
    config = {
        "samples": os.path.join(out, "samples.tsv"),
        "reference": {"fasta": fasta},
        "assay": {"type": "wgs"} if targets is None else {"type": ASSAY_TYPE[preset.capture], "targets": bed},
        "known_sites": os.path.join(out, "reference", "population.vcf.gz"),
        # small chunks, so the simulated genome is scattered over several discovery jobs as a WGS
        # would be; an exome's hold only its padded targets, ~5% of them, so fewer, larger ones
        "variants": {"chunk_size": 200_000 if targets is None else 500_000,
                     "germline_resource": os.path.join(out, "reference", "population.vcf.gz")},
        # bins small enough that the simulated copy-number events span 15-100 of them (an exome:
        # its targets, and off-target bins of 20 x bin_size between them)
        "copynumber": {"bin_size": preset.cn_bin_size},
        # the simulator draws mutations per site, shared evenly by the alleles present, not per
        # copy as real genomes gather them (docs/methods/timing.md)
        "timing": {"clock": "sites"},
    }
    ch = [v for p, _ in cohort for v in p.ch]
    if ch:  # the CH gene regions, as a user's liquid.ch_regions BED
        bed_ch = os.path.join(out, "reference", "ch_genes.bed")
        ch_regions_bed(ch).to_csv(bed_ch, sep="\t", header=False, index=False)
        config["liquid"] = {"ch_regions": bed_ch}
    with open(os.path.join(out, "config.yaml"), "w") as fh:
        changed = "".join(f", {k} {v}" for k, v in sorted(overrides.items()))
        fh.write(f"# Simulated cohort: preset {preset_name}{changed}, seed {seed}. Run: snakemake --configfile {out}/config.yaml\n")
        yaml.safe_dump(config, fh, sort_keys=False)
    return {"seconds": time.time() - t0, "reads": int(n_reads["reads"].sum()), "samples": len(jobs)}


def _write_artefact_truth(cohort: list[tuple[Patient, list[SampleSpec]]], stats: dict, out: str) -> None:
    """truth/artefacts.tsv (each sample's artefact mode and rate) and truth/<patient>/artefact_sites.tsv
    (positions where >= 2 distinct non-duplicate fragments carry an artefact, 1-based)."""
    write_tsv(pd.DataFrame([dict(patient=p.id, sample=s.sample, type=s.type, artefact=s.artefact or "none",
                                 rate=s.artefact_rate, cpg_weight=s.artefact_cpg_weight if s.artefact else 0.0)
                            for p, specs in cohort for s in specs]), os.path.join(out, "truth", "artefacts.tsv"))
    for p, specs in cohort:
        rows = [dict(sample=s.sample, chrom=c, pos=g + 1, ref="ACGT"[r], alt="ACGT"[a], fragments=k)
                for s in specs for c, g, r, a, k in stats[s.sample][3]]
        cols = ["sample", "chrom", "pos", "ref", "alt", "fragments"]
        write_tsv(pd.DataFrame(rows, columns=cols), os.path.join(out, "truth", p.id, "artefact_sites.tsv"))


def sample_sheet(cohort: list[tuple[Patient, list[SampleSpec]]], out: str) -> pd.DataFrame:
    rows = [dict(patient=p.id, sample=s.sample, type=s.type, bam=os.path.join(out, "bams", p.id, f"{s.sample}.bam"),
                 region=s.region, x=s.x, y=s.y, timepoint=s.timepoint, sex=p.sex)
            for p, specs in cohort for s in specs]
    sheet = pd.DataFrame(rows)
    sheet["timepoint"] = sheet["timepoint"].astype("Int64")
    return sheet


def planned_sheet(preset_name: str, seed: int, out: str) -> pd.DataFrame:
    """The sample sheet `simulate` would write, without writing anything."""
    preset = PRESETS[preset_name]
    genome = make_genome(np.random.default_rng([seed, 0]), preset.autosome_lengths, preset.x_length,
                         preset.y_length, preset.segdups_per_mb)
    return sample_sheet(cohort_and_kit(seed, preset, genome)[0], out)


def _write_truth(genome: Genome, patient: Patient, specs: list[SampleSpec], folder: str,
                 targets: pd.DataFrame | None = None) -> None:
    os.makedirs(folder, exist_ok=True)
    write_tsv(truth.tree_table(patient), os.path.join(folder, "tree.tsv"))
    write_tsv(truth.timing_table(patient), os.path.join(folder, "timing.tsv"))
    write_tsv(truth.mutation_table(patient, specs, targets), os.path.join(folder, "mutations.tsv"))
    write_tsv(truth.segment_table(genome, patient, specs), os.path.join(folder, "segments.tsv"))
    write_tsv(truth.purity_ploidy_table(genome, patient, specs), os.path.join(folder, "purity_ploidy.tsv"))
    write_tsv(truth.clone_proportion_table(patient, specs), os.path.join(folder, "clone_proportions.tsv"))
    write_tsv(truth.ctdna_table(patient, specs), os.path.join(folder, "ctdna.tsv"))
    write_tsv(truth.plasma_clone_table(patient, specs), os.path.join(folder, "clones.tsv"))
    write_tsv(truth.germline_table(genome, patient), os.path.join(folder, "germline.tsv"))
    if patient.ch:
        shares = [_normal_share(patient, s) for s in specs]
        write_tsv(ch_table(patient.id, patient.ch, specs, shares, float(patient.notes.get("ch_infiltrate", 0.0))),
                  os.path.join(folder, "ch.tsv"))


def _normal_share(patient: Patient, spec: SampleSpec) -> np.ndarray:
    """The normal cells' share of a sample's DNA at each of the patient's CH variants."""
    from ith.simulate.tumour import CN_CELL

    t = patient.tumour
    f0 = 1.0 - spec.purity
    out = []
    for v in patient.ch:
        cell = v.pos // CN_CELL
        normal = f0 * float(t.baseline[v.contig][cell].sum())
        tumour = float(sum(spec.purity * spec.clone_props[k] * t.copies[v.contig][k, cell].sum()
                           for k in range(len(spec.clone_props))))
        out.append(normal / (normal + tumour) if normal + tumour > 0 else 0.0)
    return np.array(out)
