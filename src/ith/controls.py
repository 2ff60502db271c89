"""Which samples serve as a patient's background controls (config liquid.controls): a cohort-level
fact, read when the workflow is planned and by the liquid stage that counts them.

Two sources:
- "cohort": samples of the other patients, the first `max_controls` in sample-sheet order. Taking
  them in sheet order keeps every patient's controls fixed when patients are appended to the
  sheet once it holds more than `max_controls` such samples, so adding a patient (or a sample at
  the end of the sheet) re-runs no other patient's liquid analysis; a small cohort uses every
  other sample.
- a control sheet (TSV: sample, bam[, type]): a fixed panel, e.g. healthy-donor plasma; adding
  patients never changes it.
The patient's own normal always serves too (it also vetoes loci with alt reads)."""

from __future__ import annotations

import os

import pandas as pd

from ith.errors import InputError

CONTROL_COLUMNS = ["sample", "patient", "type", "bam"]
CONTROL_TYPES = ("plasma", "normal", "tumour")


def cohort_controls(rows: list[dict], patient: str, max_controls: int) -> list[dict]:
    """The first max_controls samples of other patients, in sheet order (rows: the sheet's
    records with CONTROL_COLUMNS)."""
    out: list[dict] = []
    for r in rows:
        if len(out) == max_controls:
            break
        if r["patient"] != patient:
            out.append({c: r[c] for c in CONTROL_COLUMNS})
    return out


def panel_controls(panel: pd.DataFrame, max_controls: int) -> list[dict]:
    """A fixed control sheet (columns sample, bam, optional type). Each control is its own
    individual ('control:<sample>'), so one donor carrying an allele leaves only it out there."""
    missing = {"sample", "bam"} - set(panel.columns)
    if missing:
        raise ValueError(f"control sheet lacks column(s) {sorted(missing)}; it needs sample and bam")
    out = panel.assign(patient="control:" + panel["sample"].astype(str),
                       type=panel["type"] if "type" in panel else "plasma")
    return out.iloc[:max_controls][CONTROL_COLUMNS].to_dict("records")


def choose_controls(rows: list[dict], patient: str, source: str, max_controls: int,
                    panel: pd.DataFrame | None = None) -> list[dict]:
    """The patient's controls, its own normal first, then the chosen ones (rows: the sample
    sheet's records; panel: the control sheet when source is not 'cohort')."""
    own = [{c: r[c] for c in CONTROL_COLUMNS} for r in rows if r["patient"] == patient and r["type"] == "normal"]
    if source == "cohort":
        return own + cohort_controls(rows, patient, max_controls)
    if panel is None:
        raise ValueError("liquid.controls names a control sheet but none was read")
    return own + panel_controls(panel, max_controls)


def read_control_sheet(path: str, cohort_samples: set[str]) -> pd.DataFrame:
    """The control sheet named by liquid.controls, checked: columns sample and bam (type
    optional: plasma, normal or tumour; default plasma), unique ids that are not the cohort's."""
    where = f"liquid.controls '{path}'"
    if not os.path.exists(path):
        raise InputError(f"{where}: not found; give a TSV with columns sample and bam, or 'cohort'.")
    try:
        t = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise InputError(f"{where}: not a readable tab-separated table ({e}).") from e
    t.columns = [c.strip() for c in t.columns]
    missing = [c for c in ("sample", "bam") if c not in t.columns]
    if missing:
        raise InputError(f"{where}: missing column(s) {', '.join(missing)}; the header needs sample and bam "
                         f"(type optional).")
    if t.empty:
        raise InputError(f"{where}: no rows; list at least one control sample.")
    if "type" not in t:
        t["type"] = "plasma"
    for i, r in t.iterrows():
        if not r["sample"].strip() or not r["bam"].strip():
            raise InputError(f"{where} line {i + 2}: empty sample or bam.")
        if r["type"] not in CONTROL_TYPES:
            raise InputError(f"{where} line {i + 2} (sample {r['sample']}): type '{r['type']}' is not one of "
                             f"{', '.join(CONTROL_TYPES)}.")
    dup = t["sample"][t["sample"].duplicated()].tolist()
    if dup:
        raise InputError(f"{where}: sample id(s) {', '.join(dup[:5])} repeated; give each control once.")
    clash = sorted(set(t["sample"]) & cohort_samples)
    if clash:
        raise InputError(f"{where}: sample id(s) {', '.join(clash[:5])} are also in the sample sheet; a patient's "
                         f"sample cannot be a fixed control; rename them or use liquid.controls: cohort.")
    return t[["sample", "type", "bam"]]
