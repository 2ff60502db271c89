"""The patient's loci in the liquid stage: its SNV sites (where plasma and controls are
counted), what the tissue says about each (cluster, CCF, copy number), and what one sample's
pileup shows at them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ith.io.mutations import split_ids
from ith.liquid.detect import LociModel
from ith.liquid.pileup import alt_count

NO_PILEUP = pd.DataFrame({c: pd.Series(dtype=str if c == "chrom" else np.int64)
                          for c in ("chrom", "pos", "depth", "A", "C", "G", "T")})  # a sample without sites


def patient_sites(counts: pd.DataFrame, contig_order: list[str]) -> pd.DataFrame:
    """The patient's SNV sites (chrom, pos, ref, alt) from its variant counts, in genome order:
    where its plasma and its controls are counted."""
    ids = counts.loc[~counts["indel"].astype(bool), "mutation_id"].drop_duplicates()
    s = split_ids(ids)
    s = s[(s["ref"].str.len() == 1) & (s["alt"].str.len() == 1)].drop(columns="mutation_id")
    rank = {c: i for i, c in enumerate(contig_order)}
    s = s.assign(_r=s["chrom"].map(rank).fillna(len(rank)))
    return s.sort_values(["_r", "chrom", "pos", "ref", "alt"]).drop(columns="_r").reset_index(drop=True)


def loci_from_clonal(mutations: pd.DataFrame, summary: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per SNV of the patient with what the tissue says (cluster, mean cluster CCF over
    the regions, multiplicity, tumour and normal copy number, truncal), and the SNVs left out
    with the reason."""
    m = mutations[~mutations["indel"].astype(bool)].copy()
    art = set(summary.loc[summary["artefact"].astype(str).str.lower() == "true", "cluster_id"].astype(int))
    m["cn_total"] = m["major_cn"] + m["minor_cn"]
    ok_cn = m["cn_status"].isin(["ok", "subclonal"])  # a subclonal segment: its called state is the best there is
    g = m.groupby("mutation_id", sort=False)
    present = m["call"] != "absent"
    mult = m[present & ok_cn].groupby("mutation_id")["multiplicity"].median()
    loci = pd.DataFrame({
        "cluster_id": g["cluster_id"].first().astype(int),
        "tissue_ccf": g["cluster_ccf"].mean(),
        "cn": m[ok_cn].groupby("mutation_id")["cn_total"].mean(),
        "normal_cn": g["normal_cn"].first(),
        "truncal": g["truncal"].first().astype(str).str.lower() == "true",
    })
    loci["multiplicity"] = mult.reindex(loci.index).fillna(1.0)
    loci = loci.reset_index()
    reason = np.where(loci["cluster_id"] < 0, "not clustered",
                      np.where(loci["cluster_id"].isin(art), "artefact cluster",
                               np.where(loci["cn"].isna(), "no copy number",
                                        np.where(loci["cn"] <= 0, "no tumour copy", ""))))
    loci["reason"] = reason
    sites = split_ids(loci["mutation_id"])
    loci = sites.merge(loci, on="mutation_id")
    return loci[loci["reason"] == ""].drop(columns="reason").reset_index(drop=True), \
        loci.loc[loci["reason"] != "", ["mutation_id", "reason"]].reset_index(drop=True)


def loci_model(loci: pd.DataFrame) -> LociModel:
    return LociModel(loci["tissue_ccf"].to_numpy(float).clip(0, 1), loci["multiplicity"].to_numpy(float),
                     loci["cn"].to_numpy(float), loci["normal_cn"].to_numpy(float), loci["truncal"].to_numpy(bool))


def counts_at(pileup: pd.DataFrame, loci: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(alt, depth) of each locus' alt base in one sample's pileup table (0 where not counted)."""
    key = loci[["chrom", "pos"]].astype({"chrom": str, "pos": int})
    p = pileup.drop_duplicates(["chrom", "pos"]).astype({"chrom": str, "pos": int})
    j = key.merge(p, on=["chrom", "pos"], how="left")
    depth = j["depth"].fillna(0).to_numpy(np.int64)
    alt = alt_count(j.fillna({b: 0 for b in "ACGT"}), loci["alt"].reset_index(drop=True))
    return alt, depth


def fragments_at(alt_lengths: pd.DataFrame | None, loci: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(locus index, length) of the fragments carrying each locus' alt allele in one sample."""
    if alt_lengths is None or alt_lengths.empty:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    key = loci[["chrom", "pos", "alt"]].astype({"chrom": str, "pos": int}).rename(columns={"alt": "base"})
    key = key.assign(_i=np.arange(len(loci)))
    m = alt_lengths.astype({"chrom": str, "pos": int}).merge(key, on=["chrom", "pos", "base"])
    return m["_i"].to_numpy(np.int64), m["length"].to_numpy(np.int64)


def tumour_allele_lengths(pileups: list[tuple[pd.DataFrame, pd.DataFrame]]) -> np.ndarray:
    """Lengths of the fragments that carry their site's alt allele, from (counts, alt_lengths)
    pileups of plasma samples at their own patient's sites (counts has each site's alt)."""
    out = []
    for counts, alt_lengths in pileups:
        if alt_lengths.empty or "alt" not in counts:
            continue
        sites = counts[["chrom", "pos", "alt"]].rename(columns={"alt": "base"}).astype({"chrom": str, "pos": int})
        m = alt_lengths.astype({"chrom": str, "pos": int}).merge(sites, on=["chrom", "pos", "base"])
        out.append(m["length"].to_numpy(np.int64))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
