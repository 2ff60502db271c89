"""A simulated cohort's true copy number written as another tool's output (ASCAT's segments and
metrics table), with the import manifest and a config that runs the workflow on it
(`copynumber.source: import`): the yardstick for imported copy number."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

ASCAT_SEGMENT_COLUMNS = ["sample", "chr", "startpos", "endpos", "nMajor", "nMinor"]


def write_ascat(segments: pd.DataFrame, purity: pd.DataFrame, out_dir: Path | str, patient: str) -> tuple[Path, Path]:
    """A patient's segments (our columns: sample, chrom, start, end, major_cn, minor_cn; 1-based)
    and purity/ploidy as ASCAT writes them: `{patient}.segments.txt` (ascat.output$segments) and
    `{patient}.metrics.txt` (ascat.metrics(), row names = samples, as R's write.table writes them)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    seg = segments.rename(columns={"chrom": "chr", "start": "startpos", "end": "endpos", "major_cn": "nMajor",
                                   "minor_cn": "nMinor"})[ASCAT_SEGMENT_COLUMNS]
    seg_path = out / f"{patient}.segments.txt"
    seg.to_csv(seg_path, sep="\t", index=False)
    met = purity.set_index("sample")[["purity", "ploidy"]].copy()
    met["goodness_of_fit"] = 100.0
    met["WGD"] = purity.set_index("sample")["wgd"].astype(bool).astype(int) if "wgd" in purity else 0
    met_path = out / f"{patient}.metrics.txt"
    with open(met_path, "w") as fh:  # R's write.table(row.names=TRUE): no header field for the row names
        fh.write("\t".join(met.columns) + "\n")
        for name, row in met.iterrows():
            fh.write("\t".join([str(name)] + [str(v) for v in row.to_numpy()]) + "\n")
    return seg_path, met_path


def truth_as_ascat(cohort: Path | str, out_dir: Path | str) -> Path:
    """Every patient's truth (truth/{patient}/segments.tsv, purity_ploidy.tsv) written in ASCAT's
    format into out_dir, and the import manifest naming them; returns the manifest's path."""
    cohort, out = Path(cohort), Path(out_dir)
    sheet = pd.read_csv(cohort / "samples.tsv", sep="\t", dtype=str)
    rows = []
    for patient in sorted(sheet["patient"].unique()):
        seg = pd.read_csv(cohort / "truth" / patient / "segments.tsv", sep="\t", dtype={"chrom": str, "sample": str})
        pur = pd.read_csv(cohort / "truth" / patient / "purity_ploidy.tsv", sep="\t", dtype={"sample": str})
        tumours = list(sheet.loc[(sheet["patient"] == patient) & (sheet["type"] == "tumour"), "sample"])
        seg_path, met_path = write_ascat(seg[seg["sample"].isin(tumours)], pur[pur["sample"].isin(tumours)], out,
                                         patient)
        rows += [dict(patient=patient, sample=s, format="ascat", segments=str(seg_path), purity=str(met_path))
                 for s in tumours]
    manifest = out / "copynumber_import.tsv"
    pd.DataFrame(rows).to_csv(manifest, sep="\t", index=False)
    return manifest


def import_config(cohort: Path | str, out_dir: Path | str, config: Path | str | None = None) -> Path:
    """The cohort's config (or `config`) with copy number imported from its truth in ASCAT's format
    (own calling off); returns the new config's path in out_dir."""
    cohort, out = Path(cohort), Path(out_dir)
    manifest = truth_as_ascat(cohort, out / "ascat")
    cfg = yaml.safe_load(Path(config or cohort / "config.yaml").read_text())
    cn = cfg.setdefault("copynumber", {})
    cn["source"] = "import"
    cn["import_manifest"] = str(manifest)
    path = out / "config_import_cn.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path
