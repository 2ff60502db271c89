"""Every result table of one patient that the report shows, read once from the files its rule
names (PatientFiles); a stage that did not run for the patient (no plasma) leaves its part empty."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

import pandas as pd

STR_COLUMNS = {c: str for c in ("patient", "sample", "mutation_id", "clone", "regions", "chrom", "flags", "flag",
                                "drivers", "driver", "reason", "call", "status", "identity", "verdict", "method",
                                "tf_basis", "calibration", "change", "sample_a", "sample_b", "kind", "sex",
                                "declared_sex", "region", "lesion", "contamination_mode",
                                "contamination_flag", "gene", "evidence")}


def read_table(path: Path | None, na_values: Sequence[str] = ("NA", "")) -> pd.DataFrame:
    """A result TSV ('NA' and empty cells missing); no file (None) is an empty table."""
    if path is None:
        return pd.DataFrame()
    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=list(na_values), dtype=STR_COLUMNS)


@dataclass(frozen=True)
class PatientFiles:
    """The files of one patient the report reads, named as in rule report_patient's input. None: the
    stage wrote no such file for the patient (the liquid stage's, without plasma)."""
    qc: Path | None = None  # the QC stage's summary.tsv of the patient
    identity: Path | None = None
    identity_samples: Path | None = None
    purity: Path | None = None
    segments: Path | None = None
    cn_plot: Path | None = None
    mutations: Path | None = None
    clusters: Path | None = None
    purity_check: Path | None = None
    orientation: Path | None = None  # the variants stage's orientation.tsv (artefact burden, calls removed)
    ccf_plot: Path | None = None
    trees: Path | None = None
    proportions: Path | None = None
    branches: Path | None = None
    newick: Path | None = None
    tree_plot: Path | None = None
    sampling: Path | None = None  # the sampling stage's richness.json (verdict, jackknife, Chao2)
    sampling_plot: Path | None = None
    timing: Path | None = None  # the timing stage's metrics.json (WGD time, event scopes)
    timing_segments: Path | None = None  # and its segments.tsv
    timing_plot: Path | None = None
    ctdna: Path | None = None
    plasma_clones: Path | None = None
    fragments: Path | None = None
    plasma_only: Path | None = None
    ch: Path | None = None
    tf_plot: Path | None = None
    plasma_clones_plot: Path | None = None
    fragments_plot: Path | None = None
    signatures: Path | None = None  # the signatures stage's exposures.tsv
    signatures_metrics: Path | None = None
    signatures_plot: Path | None = None
    cntree_distances: Path | None = None  # the cntree stage's distances.tsv
    cntree_metrics: Path | None = None
    cntree_plot: Path | None = None

    @classmethod
    def from_inputs(cls, named: Mapping[str, str | Sequence[str]]) -> PatientFiles:
        """From a rule's named inputs (name -> a path, or a list of at most one: empty when the
        rule leaves the file out). Every file must be named, and nothing else, so that the rule
        and this list cannot drift apart."""
        names = {f.name for f in fields(cls)}
        if set(named) != names:
            raise ValueError(f"report inputs: unknown {sorted(set(named) - names)}, "
                             f"missing {sorted(names - set(named))}")
        return cls(**{k: _one(k, v) for k, v in named.items()})

    def figures(self) -> dict[str, Path]:
        """The stages' own figures the report shows, by the report's name for them."""
        named = {"cn_profile": self.cn_plot, "ccf": self.ccf_plot, "tree": self.tree_plot,
                 "sampling": self.sampling_plot, "timing": self.timing_plot, "tumour_fraction": self.tf_plot,
                 "plasma_clones": self.plasma_clones_plot, "plasma_fragments": self.fragments_plot,
                 "signatures": self.signatures_plot, "cntree": self.cntree_plot}
        return {k: v for k, v in named.items() if v is not None}


def _one(name: str, value: str | Sequence[str]) -> Path | None:
    if isinstance(value, str):
        return Path(value)
    if len(value) > 1:
        raise ValueError(f"report input {name!r}: one file expected, got {list(value)}")
    return Path(value[0]) if value else None


@dataclass
class PatientData:
    patient: str
    sheet: pd.DataFrame  # the patient's rows of the sample sheet
    qc: pd.DataFrame  # the QC stage's summary of the patient's samples
    identity: pd.DataFrame  # pairs of samples
    identity_samples: pd.DataFrame
    purity: pd.DataFrame  # copynumber purity_ploidy.tsv
    segments: pd.DataFrame
    purity_check: pd.DataFrame
    mutations: pd.DataFrame  # clonal mutations.tsv (mutation x sample)
    clusters: pd.DataFrame  # clonal cluster_summary.tsv
    trees: dict
    proportions: pd.DataFrame
    branches: pd.DataFrame
    ctdna: pd.DataFrame = field(default_factory=pd.DataFrame)
    plasma_clones: pd.DataFrame = field(default_factory=pd.DataFrame)
    fragments: pd.DataFrame = field(default_factory=pd.DataFrame)
    plasma_only: pd.DataFrame = field(default_factory=pd.DataFrame)
    orientation: pd.DataFrame = field(default_factory=pd.DataFrame)  # read-orientation artefacts per sample
    ch: pd.DataFrame = field(default_factory=pd.DataFrame)  # the liquid stage's ch.tsv
    sampling: dict = field(default_factory=dict)  # the sampling stage's richness.json
    timing: dict = field(default_factory=dict)  # the timing stage's metrics.json
    timing_segments: pd.DataFrame = field(default_factory=pd.DataFrame)  # and its segments.tsv
    signatures: pd.DataFrame = field(default_factory=pd.DataFrame)  # the signatures stage's exposures.tsv
    signatures_metrics: dict = field(default_factory=dict)  # and its metrics.json
    cntree_distances: pd.DataFrame = field(default_factory=pd.DataFrame)  # the cntree stage's distances.tsv
    cntree_metrics: dict = field(default_factory=dict)  # and its metrics.json
    figures: dict[str, Path] = field(default_factory=dict)  # the stages' own figures that exist

    def samples_of(self, kind: str) -> list[str]:
        return list(self.sheet.loc[self.sheet["type"] == kind, "sample"])

    @property
    def regions(self) -> list[str]:
        return self.samples_of("tumour")

    @property
    def plasma(self) -> list[str]:
        return self.samples_of("plasma")


def _json(path: Path | None) -> dict:
    return json.loads(path.read_text()) if path is not None else {}


def read_qc(path: Path | None) -> pd.DataFrame:
    """The QC stage's summary table; its empty flags stay empty strings (no flags), as written."""
    return read_table(path, na_values=["NA"])


def load_patient(files: PatientFiles, patient: str, sheet: pd.DataFrame) -> PatientData:
    """files: the patient's result files; sheet: the whole sample sheet."""
    p = patient
    rows = sheet[sheet["patient"] == p].reset_index(drop=True)
    if rows.empty:
        raise ValueError(f"patient {p!r} is not in the sample sheet")
    f = files
    return PatientData(
        patient=p, sheet=rows, qc=read_qc(f.qc),
        identity=read_table(f.identity), identity_samples=read_table(f.identity_samples),
        purity=read_table(f.purity), segments=read_table(f.segments), purity_check=read_table(f.purity_check),
        mutations=read_table(f.mutations), clusters=read_table(f.clusters), trees=_json(f.trees),
        proportions=read_table(f.proportions), branches=read_table(f.branches),
        ctdna=read_table(f.ctdna), plasma_clones=read_table(f.plasma_clones),
        fragments=read_table(f.fragments), plasma_only=read_table(f.plasma_only), ch=read_table(f.ch),
        orientation=read_table(f.orientation), sampling=_json(f.sampling),
        timing=_json(f.timing), timing_segments=read_table(f.timing_segments), signatures=read_table(f.signatures),
        signatures_metrics=_json(f.signatures_metrics), cntree_distances=read_table(f.cntree_distances),
        cntree_metrics=_json(f.cntree_metrics), figures=f.figures())
