# Config and sample sheet: loaded and validated once, before any job is scheduled.
import functools
import math
import os
import re
import sys
from pathlib import Path

import pandas as pd

try:
    import ith
except ModuleNotFoundError:
    raise SystemExit("ith is not installed in the Python that runs Snakemake: run `make setup` and use "
                     ".venv/bin/snakemake, or `pip install -e .` in this workflow's directory") from None
from ith.config import check_control_sheet, preflight, validate_config
from ith.controls import choose_controls
from ith.copynumber.importers import manifest_files, read_manifest
from ith.copynumber.params import reference_params
from ith.copynumber.reference import resolve_mode
from ith.errors import InputError
from ith.io.inputcheck import show_warnings
from ith.io.reference import read_fai

# Jobs import the same ith (rule scripts import it plainly; envs/ith.post-deploy.sh installs this
# checkout into the conda environment of --sdm conda, which reads ITH_SOURCE).
os.environ.setdefault("ITH_SOURCE", str(Path(workflow.basedir).resolve()))


# validated once, by ith (Snakemake's validate would repeat it with less helpful messages): the
# schema's defaults filled, a misspelt key named with its nearest known key
try:
    validate_config(config)
except InputError as e:
    raise WorkflowError(f"Input check failed before any job ran:\n{e}") from None

# With --default-storage-provider (cloud), the data (BAMs, reference, resources) are in a bucket
# and the results go there; the config and sample sheets stay local. The input checks then
# check the sheets, and Snakemake finds missing inputs in the bucket before any job runs.
STORAGE = workflow.storage_settings.default_storage_provider is not None


def storage_copy(path):
    """A local copy of a small file in the default storage, fetched at parse time (the
    reference's .fai, needed to plan the genome's chunks)."""
    prefix = (workflow.storage_settings.default_storage_prefix or "").rstrip("/")
    obj = workflow.storage_registry.default_storage_provider.object(f"{prefix}/{os.path.normpath(path)}")
    if not obj.exists():
        raise InputError(f"config: '{path}' is neither a local file nor in the storage at {obj.query}; upload it.")
    obj.local_path().parent.mkdir(parents=True, exist_ok=True)
    obj.retrieve_object()
    return str(obj.local_path())


show_warnings("Input check warning: ")  # e.g. a BAM's @RG SM naming no sample of the sheet: not fatal
# the files are checked once, by the Snakemake that plans the run: a cluster job parses this file
# again and would re-open every BAM of the cohort
CHECK_FILES = not STORAGE and workflow.is_main_process
try:
    samples = preflight(config, source="config", check_files=CHECK_FILES)
    FASTA = config["reference"]["fasta"]
    FAI = f"{FASTA}.fai"
    REFERENCE_CONTIGS = read_fai(FASTA, "config", fai=storage_copy(FAI) if STORAGE and not os.path.exists(FAI)
                                 else None)
    LIQUID_CONTROL_SHEET = check_control_sheet(config, samples, REFERENCE_CONTIGS, source="config",
                                               check_files=CHECK_FILES)
except InputError as e:
    raise WorkflowError(f"Input check failed before any job ran:\n{e}") from None

PATIENTS = sorted(samples["patient"].unique())
RETRY_FACTOR = config["execution"]["retry_factor"]


def retry_scaled(value):
    """A resource (mem_mb, runtime) that grows by execution.retry_factor with each retry, so a job
    killed for memory or time gets more (profiles set `retries`). value: a number or a function
    of (wildcards, input) sizing it from the job's inputs."""

    def resource(wildcards, input, attempt):
        base = value(wildcards, input) if callable(value) else value
        return int(math.ceil(base * RETRY_FACTOR ** (attempt - 1)))

    return resource


def alternatives(ids):
    """A wildcard constraint matching exactly these ids."""
    return "|".join(re.escape(i) for i in ids)


wildcard_constraints:
    patient=alternatives(PATIENTS),
    sample=alternatives(samples["sample"]),


# rows per patient, split once, and every per-patient list the rules ask for computed once: input
# functions run for every job, tens of thousands of times in a big cohort
SAMPLES_BY_PATIENT = {p: rows for p, rows in samples.groupby("patient", sort=False)}
SAMPLE_BAM = dict(zip(samples["sample"], samples["bam"]))
SAMPLE_SEX = dict(zip(samples["sample"], samples["sex"]))


def patient_samples(patient):
    """Rows of one patient, in sample-sheet order (normal first is not assumed)."""
    return SAMPLES_BY_PATIENT[patient]


def sample_bam(wildcards):
    return SAMPLE_BAM[wildcards.sample]


@functools.cache
def bam_index(bam):
    from ith.config import bam_index_path

    return bam_index_path(bam, remote=STORAGE)


def sample_bam_index(wildcards):
    return bam_index(SAMPLE_BAM[wildcards.sample])


def bam_size_mb(bams):
    """Size of BAMs for sizing a job; files in remote storage are not stat'ed here (0)."""
    return 0.0 if STORAGE else sum(Path(b).stat().st_size for b in bams) / 1e6


def discovery_rows(patient):
    rows = patient_samples(patient)
    kinds = ["normal", "tumour"] + (["plasma"] if config["variants"]["plasma_discovery"] else [])
    return rows[rows["type"].isin(kinds)]


def sample_records(rows):
    """What the library needs to know of each sample (BAMs come through input:)."""
    return [
        {"name": r.sample, "type": r.type, "purity": None if pd.isna(r.purity) else float(r.purity)}
        for r in rows.itertuples(index=False)
    ]


@functools.cache
def _patient_lists(patient):
    rows = patient_samples(patient)
    disc = discovery_rows(patient)
    ids, types = list(rows["sample"]), list(rows["type"])
    return {
        "samples": ids,
        "bams": list(rows["bam"]),
        "bais": [bam_index(b) for b in rows["bam"]],
        "records": sample_records(rows),
        "normal": ids[types.index("normal")] if "normal" in types else None,
        "nonnormal": [s for s, t in zip(ids, types) if t != "normal"],
        "tumours": [s for s, t in zip(ids, types) if t == "tumour"],
        "plasma": [s for s, t in zip(ids, types) if t == "plasma"],
        "discovery_bams": list(disc["bam"]),
        "discovery_bais": [bam_index(b) for b in disc["bam"]],
        "discovery_records": sample_records(disc),
    }


def patient_list(patient, key):
    """One of the patient's cached lists (a copy: Snakemake may keep what it is given)."""
    return list(_patient_lists(patient)[key])


def patient_normal(patient):
    """The patient's normal, or None for a tumour-only patient (tumour_only.allow)."""
    return _patient_lists(patient)["normal"]


def patient_nonnormal(patient):
    return patient_list(patient, "nonnormal")


# patients without a normal (accepted by the input check only with tumour_only.allow)
TUMOUR_ONLY = [p for p in PATIENTS if patient_normal(p) is None]
PATIENT_NORMALS = {p: patient_normal(p) for p in PATIENTS if p not in TUMOUR_ONLY}
NORMAL_SAMPLES = list(PATIENT_NORMALS.values())
if workflow.is_main_process and TUMOUR_ONLY:
    print(f"Tumour-only patient(s) (no normal row; tumour_only.allow): {', '.join(TUMOUR_ONLY)}: germline variants "
          "removed by population frequency, panel of normals and copy number; copy number against the pooled "
          "reference of the cohort's normals.", file=sys.stderr)
NONNORMAL_SAMPLES = [s for p in PATIENTS for s in patient_nonnormal(p)]
# the qc keys of a sample's metrics (a change to the identity check does not re-run them)
QC_SAMPLE_KEYS = ["min_mapq", "max_depth_bin", "max_insert", "short_fragment", "sex"]
# With known sites, the identity SNPs are chosen once for the cohort (qc_identity_sites) and each
# sample's QC pass counts their alleles as it reads the BAM, so the identity check reads no BAM;
# without them, qc_identity finds SNPs in the normal and genotypes every BAM itself.
IDENTITY_FROM_QC = bool(config["known_sites"])
IDENTITY_SITES = "results/qc/identity_sites.tsv"


def identity_counts(patient, sample):
    return f"results/qc/{patient}/{sample}.identity_counts.tsv"


def qc_identity_input(wildcards):
    if IDENTITY_FROM_QC:
        return {"counts": [identity_counts(wildcards.patient, s) for s in patient_list(wildcards.patient, "samples")]}
    return {"bams": patient_list(wildcards.patient, "bams"), "bais": patient_list(wildcards.patient, "bais"),
            "fasta": FASTA, "fai": FAI}


# the qc.identity keys that choose the identity SNPs (a change to how genotypes are compared does
# not re-count every sample)
IDENTITY_SITE_KEYS = ["max_sites", "min_af"]
# copy-number keys of a sample's log2 ratio (a change re-runs copynumber_sample)
CN_RATIO_KEYS = ["min_mappable", "normal_depth_range", "normal_window"]

# what each tumour's ratio is taken against (matched normal, pooled reference or both), decided
# once: a pooled reference built from the sheet's normals is a cohort-level file, required only
# when the mode needs it
try:
    CN_REFERENCE = reference_params(config["copynumber"])
    CN_MODE, CN_MODE_WHY = resolve_mode(CN_REFERENCE, config["assay"]["type"], len(NORMAL_SAMPLES))
except InputError as e:
    raise WorkflowError(f"Input check failed before any job ran:\n{e}") from None
if workflow.is_main_process and CN_REFERENCE.mode == "auto" and config["assay"]["type"] != "wgs" \
        and CN_MODE == "matched":  # the fallback, said once when the run starts
    print(f"Copy number: {CN_MODE_WHY}.", file=sys.stderr)
CN_REFERENCE_FILE = CN_REFERENCE.file or "results/copynumber/reference.tsv"
# a tumour-only patient is read against the pool, built from the cohort's normals even when
# fewer than min_normals (the input check stops a cohort with none and no reference file)
CN_REFERENCE_MIN_NORMALS = (min(CN_REFERENCE.min_normals, len(NORMAL_SAMPLES)) if TUMOUR_ONLY and CN_MODE == "matched"
                            else CN_REFERENCE.min_normals)


# copy number from the BAMs (copynumber_call) or imported from other tools' files named in the
# manifest (copynumber_import; preflight checked it against the sheet)
CN_IMPORT = config["copynumber"]["source"] == "import"
CN_IMPORT_ROWS = {} if not CN_IMPORT else \
    {r["sample"]: r for r in read_manifest(config["copynumber"]["import_manifest"]).to_dict("records")}


def cn_import_rows(patient):
    """The manifest rows of the patient's tumour samples (sheet order)."""
    return [CN_IMPORT_ROWS[s] for s in patient_tumours(patient)]


def cn_mode(patient):
    """The patient's copy-number normalisation: the cohort's, or pooled without a normal."""
    return "pooled" if patient in TUMOUR_ONLY else CN_MODE


def cn_reference_input(wildcards):
    """The pooled reference a sample's ratio reads, or none in matched mode."""
    return [] if cn_mode(wildcards.patient) == "matched" else [CN_REFERENCE_FILE]


@functools.cache
def patient_sex(patient):
    sexes = [s for s in patient_samples(patient).get("sex", []) if isinstance(s, str) and s]
    return sexes[0] if sexes else None


def optional(path):
    return [path] if path else []


def with_index(path):
    """An optional VCF resource and its index, both inputs, so remote storage fetches both."""
    if not path:
        return []
    if STORAGE:
        return [path, f"{path}.tbi"]
    return [path] + [f"{path}{s}" for s in (".tbi", ".csi") if os.path.exists(f"{path}{s}")][:1]


def get_final_output():
    out = [
        f"results/qc/{row.patient}/{row.sample}.json"
        for row in samples.itertuples(index=False)
    ]
    out += [f"results/qc/{p}/identity.tsv" for p in PATIENTS]
    out += [f"results/qc/{p}/summary.tsv" for p in PATIENTS]
    out.append("results/qc/summary.tsv")
    out += [f"results/variants/{p}/counts.tsv" for p in PATIENTS]
    out += [f"results/variants/{p}/somatic.vcf.gz" for p in PATIENTS]
    out += [f"results/variants/{p}/orientation.tsv" for p in PATIENTS]
    out += [f"results/copynumber/{p}/{f}" for p in PATIENTS
            for f in ("segments.tsv", "purity_ploidy.tsv", "plasma_tf.tsv", "metrics.json", "cn_profile.png")]
    out += [f"results/clonal/{p}/{f}" for p in PATIENTS
            for f in ("input.tsv", "clusters.tsv", "mutations.tsv", "cluster_summary.tsv", "cluster_posteriors.tsv",
                      "purity_check.tsv", "ccf.png")]
    out += [f"results/phylogeny/{p}/{f}" for p in PATIENTS
            for f in ("trees.json", "clone_proportions.tsv", "regions.nwk", "branches.tsv", "mutations.tsv",
                      "parents.tsv", "tree.png")]
    out += [f"results/sampling/{p}/{f}" for p in PATIENTS for f in ("curves.tsv", "richness.json", "curves.png")]
    out += [f"results/timing/{p}/{f}" for p in PATIENTS for f in ("mutations.tsv", "segments.tsv", "metrics.json", "timing.png")]
    out += [f"results/signatures/{p}/{f}" for p in PATIENTS
            for f in ("sbs96.tsv", "exposures.tsv", "metrics.json", "signatures.png")]
    out += [f"results/cntree/{p}/{f}" for p in PATIENTS for f in ("distances.tsv", "tree.nwk", "metrics.json", "cntree.png")]
    out += [f"results/liquid/{p}/{f}" for p in PATIENTS if patient_plasma(p) for f in [*LIQUID_REPORT_FILES.values(), "loci.tsv"]]
    out += [f"results/report/{p}/{f}" for p in PATIENTS for f in ("report.html", "metrics.json")]
    out += ["results/report/cohort.tsv", "results/report/cohort.html"]
    out += [f"results/export/{p}/{f}" for p in PATIENTS
            for f in (f"{p}.maf", f"{p}.ssm", f"{p}.params.json", "conipher_input.tsv", "medicc2_input.tsv")]
    out.append("results/export/cohort.maf")
    return out


# liquid stage: the pileup's keys (a change recounts); the others only re-run the analysis
LIQUID_PILEUP_KEYS = ["min_mapq", "min_baseq"]
# which controls and how they are counted: they reach the analysis as its control list and counts
LIQUID_CONTROL_KEYS = ["controls", "max_controls", "threads"]
# files the analysis reads as inputs of rule liquid, not as parameters
LIQUID_FILE_KEYS = ["ch_regions"]


def patient_plasma(patient):
    return patient_list(patient, "plasma")


SHEET_RECORDS = samples[["sample", "patient", "type", "bam"]].to_dict("records")


@functools.cache
def liquid_controls(patient):
    """The patient's background controls (its normal first): records of sample, patient, type, bam."""
    return choose_controls(SHEET_RECORDS, patient, config["liquid"]["controls"], config["liquid"]["max_controls"],
                           LIQUID_CONTROL_SHEET)


@functools.cache
def liquid_control_records(patient):
    return [{k: c[k] for k in ("sample", "patient", "type")} for c in liquid_controls(patient)]


def liquid_control_bams(patient):
    return [c["bam"] for c in liquid_controls(patient)]


def liquid_weight_tables(patient, kind):
    """With fragment-length weighting: the plasma tables of the patients whose plasma serves as
    this patient's controls, counted at their own loci, where their tumour-allele fragments are
    (fixed controls have none)."""
    if not config["liquid"]["fragment_weighting"] or config["liquid"]["controls"] != "cohort":
        return []
    owners = [c["patient"] for c in liquid_controls(patient) if c["type"] == "plasma" and c["patient"] != patient]
    return [f"results/liquid/{q}/plasma.{kind}.tsv" for q in dict.fromkeys(owners)]


@functools.cache
def liquid_sheet(patient):
    return [{"patient": r.patient, "sample": r.sample, "type": r.type,
             "timepoint": "" if pd.isna(r.timepoint) else str(r.timepoint)}
            for r in patient_samples(patient).itertuples(index=False)]


# clonal stage: which config keys each rule uses (so a change re-runs exactly those rules)
CLONAL_INPUT_KEYS = ["indels", "subclonal_cn"]
CLONAL_FIT_KEYS = ["engine", "state_prior", "num_clusters", "density", "precision", "grid_size", "num_restarts",
                   "max_iters", "convergence_threshold", "mix_weight_prior", "seed"]
CLONAL_POST_KEYS = ["state_prior", "density", "precision", "grid_size", "mix_weight_prior", "min_cluster_size",
                    "small_clusters", "clonal_ccf", "absent_ccf", "artefact_ccf", "low_depth_fraction"]


def clonal_params(keys):
    return {k: config["clonal"][k] for k in keys}


def patient_tumours(patient):
    return patient_list(patient, "tumours")


def clonal_fit_mem(wildcards, input):
    # the grid likelihoods: mutations x regions x grid points doubles, a few copies
    with open(input.pyclone) as f:
        rows = max(1, sum(1 for _ in f) - 1)
    return 1000 + int(rows * config["clonal"]["grid_size"] * 8 * 4 / 1e6)


# report stage
# the liquid stage's files a report reads, by the report rule's input name
LIQUID_REPORT_FILES = {"ctdna": "ctdna.tsv", "plasma_clones": "clones.tsv", "fragments": "fragments.tsv",
                       "plasma_only": "plasma_only.tsv", "ch": "ch.tsv", "tf_plot": "tumour_fraction.png",
                       "plasma_clones_plot": "clones.png", "fragments_plot": "fragments.png"}


def liquid_report_input(name):
    """A liquid-stage file of the patient for its report, or none when the patient has no plasma
    (the stage does not run then)."""
    return lambda w: [f"results/liquid/{w.patient}/{name}"] if patient_plasma(w.patient) else []


@functools.cache
def report_sheet(patient):
    """The patient's sample-sheet rows (coordinates, types, files) as plain records."""
    rows = patient_samples(patient)
    keep = [c for c in ("patient", "sample", "type", "bam", "region", "lesion", "x", "y", "z", "timepoint")
            if c in rows.columns]
    return [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in rows[keep].to_dict("records")]


def report_provenance():
    """The parameters a report shows: every stage's config section (not the paths of other patients)."""
    keys = ["assay", "qc", "variants", "copynumber", "clonal", "phylogeny", "sampling", "timing", "liquid", "report"]
    return {k: config[k] for k in keys}


def print_qc_flags():
    """At the end of a run (success or failure), every QC flag on the console: a flag buried in a
    table is a flag nobody reads."""
    from ith.qc.summary import console_flags

    paths = [f"results/qc/{p}/summary.tsv" for p in PATIENTS if os.path.exists(f"results/qc/{p}/summary.tsv")]
    lines = console_flags(paths)
    if not paths:
        return
    head = f"QC flags ({len(lines)} sample(s) of {len(paths)} patient(s) with a QC table; see results/qc/summary.tsv):"
    print("\n".join([head] + [f"  {line}" for line in lines]) if lines else
          f"QC flags: none ({len(paths)} patient(s) with a QC table).", file=sys.stderr)
