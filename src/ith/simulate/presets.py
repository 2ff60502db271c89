"""Size presets of the simulated cohort."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Preset:
    name: str
    # genome: autosomes then chrX, chrY
    autosome_lengths: tuple[int, ...]
    x_length: int
    y_length: int
    n_patients: int
    regions: tuple[int, int]  # min, max tumour regions per patient
    plasma: tuple[int, ...]  # plasma timepoints per patient, cycled over patients
    clones: tuple[int, int]
    snvs: tuple[int, int]
    cn_events: tuple[int, int]
    cn_event_length: tuple[int, int]  # bp
    normal_depth: float
    tumour_depth: float
    plasma_depth: float
    read_length: int = 100
    tissue_fragment: tuple[float, float] = (300.0, 60.0)
    duplicate_rate: float = 0.04
    plasma_duplicate_rate: float = 0.10
    segdups_per_mb: float = 6.0
    indel_fraction: float = 0.1  # of somatic mutations that are 1-3 bp indels
    wgd_patients: tuple[int, ...] = ()  # 0-based patient indices with whole-genome doubling
    growing_clone_patients: tuple[int, ...] = ()
    sexes: tuple[str, ...] = ("female", "male")
    # least distance between two clones, in standard errors of a heterozygous VAF at tumour_depth
    # combined over regions (samples.clone_separation); 0 draws compositions without the check.
    clone_separation: float = 0.0
    # with a value, compositions are also redrawn until the true CCFs fit no other clone tree
    # with every sum rule held to within this margin (samples.has_rival_tree); None: not checked.
    tree_margin: float | None = None
    cn_bin_size: int = 4_000  # copy-number bin size written to the cohort's config.yaml
    # Capture (exome or panel) instead of a whole genome: reads concentrate on a targets BED and the
    # depths above are mean on-target depths. None: whole genome (every field below unused).
    capture: str | None = None  # None, "exome" or "panel" (the config's assay.type wes or panel)
    n_targets: int = 0
    target_length: tuple[int, int] = (100, 300)  # bp, uniform
    exons_per_gene: tuple[int, int] = (1, 12)  # targets come in runs, as the exons of a gene
    intron_length: tuple[int, int] = (200, 5_000)  # bp between a gene's targets, log-uniform
    target_efficiency_sd: float = 0.4  # log-normal sd of the kit's per-target efficiency
    sample_efficiency_sd: float = 0.05  # log-normal sd of a library's own per-target variation
    off_target_fraction: float = 0.05  # of fragments, spread over the whole genome
    target_mutation_share: float = 0.8  # of somatic mutations placed inside targets (exome)
    # A panel is tumour-informed: mutations fall anywhere, then each patient's panel targets
    # `panel_mutations` of its SNVs (`panel_truncal_share` of them truncal), the kit also holds
    # `snp_targets` common SNPs, and genes as in an exome make up `n_targets` in all.
    panel_mutations: tuple[int, int] = (30, 50)
    panel_truncal_share: float = 0.7
    snp_targets: int = 0
    # fixed tumour fractions of the plasma timepoints (a patient's first n); empty: drawn
    # (samples.plasma_series)
    plasma_tf: tuple[float, ...] = ()
    # Orientation artefacts of the tumour blocks (FFPE deamination "ffpe", 8-oxoG "oxog"; None: off):
    # each tumour sample's artefact allele fraction at an affected base, drawn log-uniform in
    # artefact_rate (the base error of a Q>=20 base is ~1e-4 per alt allele), x artefact_cpg_weight
    # at a CpG. Off by default, so existing cohorts stay byte-identical.
    artefact: str | None = None
    artefact_rate: tuple[float, float] = (5e-4, 2e-3)
    artefact_cpg_weight: float = 2.0
    # (sample, fraction) pairs: that share of the sample's DNA comes from another person (a
    # contaminant drawn per sample from the population frequencies); every other sample is clean
    contamination: tuple[tuple[str, float], ...] = ()
    # clonal haematopoiesis: this many CH variants in each patient's blood (normal and plasma,
    # never the tumour) at a blood VAF uniform in ch_vaf (simulate/ch.py); 0: off
    ch_variants: int = 0
    ch_vaf: tuple[float, float] = (0.005, 0.02)
    ch_infiltrate: float = 0.0  # share of a tumour region's normal cells that are blood (carry the CH)
    # mutational processes: the trunk's SNVs follow a clock-like (SBS1/SBS5) and clone 1's an
    # APOBEC-like (SBS2/SBS13) SBS96 profile (simulate/signatures.py); off by default, so existing
    # cohorts stay byte-identical
    signatures: bool = False
    extra: dict = field(default_factory=dict)


PRESETS: dict[str, Preset] = {
    "test": Preset(
        name="test",
        autosome_lengths=(200_000, 150_000, 120_000),
        x_length=80_000,
        y_length=20_000,
        n_patients=2,
        regions=(3, 3),
        plasma=(2, 1),
        clones=(3, 5),
        snvs=(150, 200),
        cn_events=(3, 4),
        cn_event_length=(30_000, 80_000),
        normal_depth=50.0,
        tumour_depth=100.0,
        plasma_depth=400.0,
        wgd_patients=(1,),
        growing_clone_patients=(0,),
    ),
    "demo": Preset(
        name="demo",
        autosome_lengths=(450_000, 350_000, 300_000, 200_000),
        x_length=150_000,
        y_length=50_000,
        n_patients=3,
        regions=(4, 6),
        plasma=(3, 0, 2),
        clones=(3, 8),
        snvs=(300, 500),
        cn_events=(4, 7),
        cn_event_length=(60_000, 200_000),
        normal_depth=60.0,
        tumour_depth=100.0,
        plasma_depth=400.0,
        wgd_patients=(1,),
        growing_clone_patients=(0,),
        sexes=("female", "male", "female"),
        cn_bin_size=5_000,
    ),
    # an exome of the demo's genome: ~5% of it in 400 targets, 2 patients, 3 regions each, ~180x
    # on target; capture's shorter inserts and higher duplicate rate. 80% of 150-250 mutations in
    # the targets, as many as an exome of a typical tumour holds, is ~1000x a real exome's
    # density already: in fewer targets they would crowd the clustered-events filter's windows.
    "exome": Preset(
        name="exome",
        autosome_lengths=(450_000, 350_000, 300_000, 200_000),
        x_length=150_000,
        y_length=50_000,
        n_patients=2,
        regions=(3, 3),
        plasma=(0,),
        clones=(3, 4),
        snvs=(150, 250),
        cn_events=(4, 6),
        cn_event_length=(60_000, 200_000),
        normal_depth=150.0,
        tumour_depth=180.0,
        plasma_depth=0.0,
        tissue_fragment=(200.0, 40.0),
        duplicate_rate=0.15,
        wgd_patients=(1,),
        cn_bin_size=2_000,
        capture="exome",
        n_targets=400,
    ),
    # a tumour-informed panel (Signatera-like): each patient's 30-50 SNVs (70% truncal) in
    # targets of their own, 40 common-SNP targets and genes up to 200 targets, one kit for the
    # cohort (the union of the patients' designs); tissue at ~300x, plasma at 1000x on target
    # at tumour fractions 5%, 2%, 1%, 0.5% and 0 (a ctDNA-negative timepoint); a panel
    # library's duplicate rates.
    "panel": Preset(
        name="panel",
        autosome_lengths=(300_000, 250_000, 200_000),
        x_length=100_000,
        y_length=30_000,
        n_patients=2,
        regions=(2, 3),
        plasma=(5,),
        plasma_tf=(0.05, 0.02, 0.01, 0.005, 0.0),
        clones=(3, 4),
        snvs=(120, 160),
        cn_events=(3, 4),
        cn_event_length=(60_000, 150_000),
        normal_depth=300.0,
        tumour_depth=300.0,
        plasma_depth=1000.0,
        tissue_fragment=(200.0, 40.0),
        duplicate_rate=0.2,
        plasma_duplicate_rate=0.3,
        cn_bin_size=2_000,
        capture="panel",
        n_targets=200,
        snp_targets=40,
    ),
}
