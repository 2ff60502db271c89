"""Every result table of one patient that the report shows, read once; a stage that did not run
for the patient (no plasma, no mutations) leaves its part empty rather than failing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ith.qc.summary import qc_summary

STR_COLUMNS = {c: str for c in ("patient", "sample", "mutation_id", "clone", "regions", "chrom", "flags", "flag",
                                "drivers", "driver", "reason", "call", "status", "identity", "verdict", "method",
                                "tf_basis", "calibration", "change", "sample_a", "sample_b", "kind", "sex",
                                "declared_sex", "region", "lesion")}


def read_table(path: Path) -> pd.DataFrame:
    """A result TSV ('NA' and empty cells missing); an absent file is an empty table."""
    if not path.exists():
        return pd.DataFrame()
    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=["NA", ""], dtype=STR_COLUMNS)


@dataclass
class PatientData:
    patient: str
    sheet: pd.DataFrame  # the patient's rows of the sample sheet
    qc: pd.DataFrame  # results/qc/summary.tsv rows
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
    figures: dict[str, Path] = field(default_factory=dict)  # the stages' own figures that exist

    def samples_of(self, kind: str) -> list[str]:
        return list(self.sheet.loc[self.sheet["type"] == kind, "sample"])

    @property
    def regions(self) -> list[str]:
        return self.samples_of("tumour")

    @property
    def plasma(self) -> list[str]:
        return self.samples_of("plasma")


STAGE_FIGURES = {"cn_profile": "copynumber/{p}/cn_profile.png", "ccf": "clonal/{p}/ccf.png",
                 "tree": "phylogeny/{p}/tree.png", "tumour_fraction": "liquid/{p}/tumour_fraction.png",
                 "plasma_clones": "liquid/{p}/clones.png", "plasma_fragments": "liquid/{p}/fragments.png"}


def _json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def _qc(results: Path, patient: str, samples: list[str]) -> pd.DataFrame:
    """The patient's rows of the QC summary, from its own files (not the cohort table, so that
    another patient's samples never re-run this report)."""
    jsons = [results / "qc" / patient / f"{s}.json" for s in samples]
    ident = results / "qc" / patient / "identity_samples.tsv"
    if not all(p.exists() for p in jsons):
        return pd.DataFrame()
    return qc_summary([str(p) for p in jsons], [str(ident)] if ident.exists() else [])


def load_patient(results: Path, patient: str, sheet: pd.DataFrame) -> PatientData:
    """results: the workflow's results directory; sheet: the whole sample sheet."""
    p = patient
    rows = sheet[sheet["patient"] == p].reset_index(drop=True)
    if rows.empty:
        raise ValueError(f"patient {p!r} is not in the sample sheet")
    liquid = results / "liquid" / p
    return PatientData(
        patient=p, sheet=rows,
        qc=_qc(results, p, list(rows["sample"])),
        identity=read_table(results / "qc" / p / "identity.tsv"),
        identity_samples=read_table(results / "qc" / p / "identity_samples.tsv"),
        purity=read_table(results / "copynumber" / p / "purity_ploidy.tsv"),
        segments=read_table(results / "copynumber" / p / "segments.tsv"),
        purity_check=read_table(results / "clonal" / p / "purity_check.tsv"),
        mutations=read_table(results / "clonal" / p / "mutations.tsv"),
        clusters=read_table(results / "clonal" / p / "cluster_summary.tsv"),
        trees=_json(results / "phylogeny" / p / "trees.json"),
        proportions=read_table(results / "phylogeny" / p / "clone_proportions.tsv"),
        branches=read_table(results / "phylogeny" / p / "branches.tsv"),
        ctdna=read_table(liquid / "ctdna.tsv"), plasma_clones=read_table(liquid / "clones.tsv"),
        fragments=read_table(liquid / "fragments.tsv"), plasma_only=read_table(liquid / "plasma_only.tsv"),
        figures={k: results / v.format(p=p) for k, v in STAGE_FIGURES.items()
                 if (results / v.format(p=p)).exists()})
