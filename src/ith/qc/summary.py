"""The cohort QC table: headline metrics per sample and flags a reader should look at."""

from __future__ import annotations

import json

import pandas as pd

COLUMNS = ["patient", "sample", "reads", "mapped_percent", "duplicate_percent", "fraction_mapq0", "mean_depth",
           "median_depth", "fragment_mode", "fraction_short_fragments", "sex", "declared_sex"]
# from the identity tables (rule qc_identity)
CONTAMINATION = ["contamination", "contamination_low", "contamination_high", "contamination_flag"]


def qc_summary(json_paths: list[str], identity_paths: list[str]) -> pd.DataFrame:
    rows = []
    for p in json_paths:
        with open(p) as fh:
            d = json.load(fh)
        rows.append({c: d.get(c) for c in COLUMNS} | {"sex_mismatch": d.get("sex_mismatch", False)})
    table = pd.DataFrame(rows, columns=COLUMNS + ["sex_mismatch"])
    ident = pd.concat([pd.read_csv(p, sep="\t", dtype={"patient": str, "sample": str}) for p in identity_paths],
                      ignore_index=True) if identity_paths else pd.DataFrame(columns=["patient", "sample", "status"])
    for c in CONTAMINATION:  # identity tables written before contamination was estimated
        if c not in ident:
            ident[c] = pd.NA
    table = table.merge(ident[["patient", "sample", "status", *CONTAMINATION]].rename(columns={"status": "identity"}),
                        on=["patient", "sample"], how="left")
    flags = []
    for r in table.itertuples(index=False):
        f = []
        if r.identity == "suspect":
            f.append("identity")
        if r.sex_mismatch:
            f.append("sex")
        if r.contamination_flag in ("flagged", "unusable"):
            f.append("contamination")
        flags.append(",".join(f))
    table["flags"] = flags
    return table.drop(columns=["sex_mismatch"])


def _flag_text(flag: str, row: pd.Series) -> str:
    if flag == "identity":
        return "identity: looks like another person than the patient's other samples"
    if flag == "sex":
        return f"sex: inferred {row['sex']}, declared {row['declared_sex']}"
    if flag == "contamination":
        c, lo, hi = (100 * float(row[k]) for k in ("contamination", "contamination_low", "contamination_high"))
        what = "unusable for subclonal work" if row["contamination_flag"] == "unusable" else "flagged"
        return f"contamination: {c:.1f}% of another person's DNA (95% interval {lo:.1f}-{hi:.1f}%), {what}"
    return flag


def console_flags(summary_paths: list[str]) -> list[str]:
    """One line per flagged sample of the patients' QC tables (those that exist: a failed run
    may not have reached every patient's), for the summary printed when a run ends."""
    lines = []
    for p in summary_paths:
        table = pd.read_csv(p, sep="\t", dtype=str, keep_default_na=False)
        for _, row in table[table["flags"] != ""].iterrows():
            texts = "; ".join(_flag_text(f, row) for f in row["flags"].split(","))
            lines.append(f"patient {row['patient']}, sample {row['sample']}: {texts}")
    return lines
