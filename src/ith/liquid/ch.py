"""Clonal haematopoiesis (CH): plasma variants that come from the patient's blood cells, not
from the tumour.

CH mutations (DNMT3A, TET2, ASXL1, PPM1D, JAK2, TP53, ...) sit in white cells, so they are in
the patient's blood normal (buffy coat) at a low VAF and in plasma at about the same fraction
(most cfDNA is blood-derived), and in tissue at most as much as its blood infiltrate carries.
A site of the patient (a tissue call, or a plasma-only discovery) is labelled CH when its
plasma shows the allele beyond background and either

- the blood normal carries it at a low VAF (`blood normal`): the normal's alt fragments are at
  least `ch_min_lr` times likelier at the plasma's VAF than as background error, the normal's
  VAF is at most `ch_max_vaf`; or
- it lies in a known CH gene (`liquid.ch_regions`) (`CH gene`);

and in both cases the tissue carries no more of it than blood would (the tumour regions'
pooled alt fragments are not improbable at the blood's VAF): a tumour mutation, in the tissue
at a tenth or more of its reads, is never CH, whatever the normal shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

CH_GENES = ("DNMT3A", "TET2", "ASXL1", "PPM1D", "JAK2", "TP53", "SF3B1", "SRSF2", "GNAS", "CBL")


@dataclass(frozen=True)
class CHParams:
    ch_min_lr: float = 20.0  # least likelihood ratio of the normal's alt fragments: blood VAF vs error
    ch_max_vaf: float = 0.2  # highest VAF in the normal still read as a blood clone, not germline
    ch_alpha: float = 0.01  # level of the plasma-support and tissue-excess tests


@dataclass
class SiteEvidence:
    """What the CH check sees at each site (arrays of length S)."""

    error: np.ndarray  # background error rate of the site's alt base
    normal_alt: np.ndarray
    normal_depth: np.ndarray
    plasma_alt: np.ndarray  # summed over the patient's plasma samples
    plasma_depth: np.ndarray
    tissue_alt: np.ndarray  # summed over the tumour regions
    tissue_depth: np.ndarray
    gene: np.ndarray  # CH gene of the site ("" outside ch_regions)


@dataclass
class CHCall:
    ch: np.ndarray  # (S,) bool
    evidence: np.ndarray  # (S,) "blood normal", "CH gene", "blood normal; CH gene" or ""
    normal_lr: np.ndarray  # (S,) log10 likelihood ratio of the normal's alt fragments
    plasma_p: np.ndarray  # (S,) binomial tail of the plasma's alt fragments under background
    tissue_p: np.ndarray  # (S,) binomial tail of the tissue's alt fragments at the blood's VAF


def _read_prob(f: np.ndarray, e: np.ndarray) -> np.ndarray:
    return f * (1.0 - e) + (1.0 - f) * e


def classify(ev: SiteEvidence, p: CHParams) -> CHCall:
    """Which sites are clonal haematopoiesis, and on what evidence."""
    e = np.clip(ev.error, 1e-12, 0.5)
    pa, pd_ = ev.plasma_alt.astype(float), ev.plasma_depth.astype(float)
    na, nd = ev.normal_alt.astype(float), ev.normal_depth.astype(float)
    ta, td = ev.tissue_alt.astype(float), ev.tissue_depth.astype(float)
    plasma_p = np.where(pd_ > 0, stats.binom.sf(pa - 1, pd_, e), 1.0)
    in_plasma = (pa >= 2) & (plasma_p < p.ch_alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        f_plasma = np.where(pd_ > 0, pa / pd_, 0.0)
        f_normal = np.where(nd > 0, na / nd, 0.0)
        f_blood = np.where(nd + pd_ > 0, (na + pa) / (nd + pd_), 0.0)
    # the normal at the plasma's VAF (blood-derived) against the normal at background
    normal_lr = np.where(nd > 0, (stats.binom.logpmf(na, nd, _read_prob(f_plasma, e))
                                  - stats.binom.logpmf(na, nd, e)) / np.log(10), 0.0)
    blood = in_plasma & (na >= 1) & (normal_lr >= np.log10(p.ch_min_lr)) & (f_normal <= p.ch_max_vaf)
    gene = in_plasma & (ev.gene.astype(str) != "") & (f_normal <= p.ch_max_vaf)
    # tissue beyond what its blood would carry at the blood's VAF: the tumour's own mutation
    tissue_p = np.where(td > 0, stats.binom.sf(ta - 1, td, _read_prob(f_blood, e)), 1.0)
    tumour_like = (ta >= 1) & (tissue_p < p.ch_alpha)
    ch = (blood | gene) & ~tumour_like
    evidence = np.where(blood & gene, "blood normal; CH gene", np.where(blood, "blood normal",
                                                                       np.where(gene, "CH gene", "")))
    return CHCall(ch, np.where(ch, evidence, ""), normal_lr, plasma_p, tissue_p)


def site_errors(alt: np.ndarray, depth: np.ndarray, usable: np.ndarray, cls: np.ndarray,
                class_rate: dict[str, float], floor: float) -> np.ndarray:
    """(S,) background error of each site's alt base from the other patients' controls (alt,
    depth, usable: (S, J) without the patient's normal), shrunk towards its substitution class'
    rate with a Beta(1, .) prior (the weakest the background model allows): a site no other
    control covers gets its class' rate."""
    a = np.where(usable, alt, 0).sum(axis=1).astype(float)
    n = np.where(usable, depth, 0).sum(axis=1).astype(float)
    default = float(np.mean(list(class_rate.values()))) if class_rate else floor
    mu = np.array([class_rate.get(c, default) for c in cls], dtype=float)
    mu = np.maximum(mu, floor)
    k = 1.0 / mu
    return np.maximum((a + k * mu) / (n + k), floor)


def gene_labels(chrom: np.ndarray, pos: np.ndarray, regions: pd.DataFrame | None) -> np.ndarray:
    """Name of the CH region (chrom, start0, end, name) holding each 1-based position ("" none)."""
    out = np.full(len(pos), "", dtype=object)
    if regions is None or regions.empty:
        return out
    for r in regions.itertuples(index=False):
        hit = (chrom == r.chrom) & (pos > r.start0) & (pos <= r.end) & (out == "")
        out[hit] = str(r.name)
    return out


CH_COLUMNS = ["patient", "mutation_id", "gene", "evidence", "tumour_locus", "normal_alt", "normal_depth",
              "normal_vaf", "normal_lr", "tissue_alt", "tissue_depth", "tissue_vaf", "sample", "timepoint",
              "alt_reads", "depth", "vaf"]


@dataclass
class PatientCH:
    """The CH check over one patient's sites."""

    sites: pd.DataFrame  # mutation_id, chrom, pos, ref, alt of every site checked
    call: CHCall
    evidence: SiteEvidence
    table: pd.DataFrame  # ch.tsv: one row per CH site x plasma sample (CH_COLUMNS)

    def ids(self) -> set[str]:
        return set(self.sites.loc[self.call.ch, "mutation_id"])


def tissue_counts(variant_counts: pd.DataFrame, tumours: list[str], ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(alt, depth) of each mutation id summed over the tumour regions, from the variants
    stage's counts (0 where it has none)."""
    need = {"mutation_id", "sample", "alt_counts", "depth"}
    if not need <= set(variant_counts.columns):
        return np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=np.int64)
    t = variant_counts[variant_counts["sample"].isin(tumours)]
    g = t.groupby("mutation_id")[["alt_counts", "depth"]].sum()
    g = g.reindex(pd.Index(ids)).fillna(0)
    return g["alt_counts"].to_numpy(np.int64), g["depth"].to_numpy(np.int64)


def build_table(patient: str, sites: pd.DataFrame, call: CHCall, ev: SiteEvidence, plasma: pd.DataFrame,
                plasma_counts: dict[str, tuple[np.ndarray, np.ndarray]], tumour_loci: set[str]) -> pd.DataFrame:
    """ch.tsv rows: each CH site in each plasma sample (plasma: sample, timepoint in time order)."""
    idx = np.flatnonzero(call.ch)
    rows = []
    for i in idx:
        with np.errstate(divide="ignore", invalid="ignore"):
            nv = ev.normal_alt[i] / ev.normal_depth[i] if ev.normal_depth[i] else np.nan
            tv = ev.tissue_alt[i] / ev.tissue_depth[i] if ev.tissue_depth[i] else np.nan
        for r in plasma.itertuples(index=False):
            a, d = plasma_counts[r.sample]
            rows.append(dict(patient=patient, mutation_id=sites["mutation_id"].iloc[i], gene=ev.gene[i],
                             evidence=call.evidence[i], tumour_locus=sites["mutation_id"].iloc[i] in tumour_loci,
                             normal_alt=int(ev.normal_alt[i]), normal_depth=int(ev.normal_depth[i]),
                             normal_vaf=round(float(nv), 6), normal_lr=round(float(call.normal_lr[i]), 3),
                             tissue_alt=int(ev.tissue_alt[i]), tissue_depth=int(ev.tissue_depth[i]),
                             tissue_vaf=round(float(tv), 6), sample=r.sample, timepoint=r.timepoint,
                             alt_reads=int(a[i]), depth=int(d[i]),
                             vaf=round(float(a[i] / d[i]), 6) if d[i] else np.nan))
    return pd.DataFrame(rows, columns=CH_COLUMNS)
