"""The liquid-biopsy stage for one patient: loci from the tissue, background from controls,
then per plasma sample detection, tumour fraction, limit of detection, clone CCFs, and over
timepoints the clones' trends."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ith.errors import InputError
from ith.liquid import fragments as frag
from ith.liquid.background import Background, fit_background, substitution_class
from ith.liquid.clones import CloneParams, change_pvalue, emerging_clones, fit_clone
from ith.liquid.detect import (Detection, DetectParams, LociModel, detect, limit_of_detection, null_pvalue, pvalue,
                               tumour_fraction)
from ith.liquid.model import LengthWeights, coverage_ratio, length_weights
from ith.liquid.params import LiquidParams
from ith.liquid.pileup import alt_count

log = logging.getLogger(__name__)
CARRIER_MIN_ALT = 3  # a control with this many alt fragments at >= CARRIER_MIN_VAF carries the allele
CARRIER_MIN_VAF = 0.05
NO_PILEUP = pd.DataFrame({c: pd.Series(dtype=str if c == "chrom" else np.int64)
                          for c in ("chrom", "pos", "depth", "A", "C", "G", "T")})  # a sample without sites
CARRIER_ALPHA = 0.01  # family-wise level of the test that a control's alt fragments are no error


def split_ids(ids: pd.Series) -> pd.DataFrame:
    """chrom, pos, ref, alt of chrom:pos:ref:alt ids (contig names may hold ':')."""
    cols = ["mutation_id", "chrom", "pos", "ref", "alt"]
    ids = pd.Series(ids, dtype=str)
    if ids.empty:
        return pd.DataFrame({c: pd.Series(dtype=int if c == "pos" else str) for c in cols})
    parts = ids.str.rsplit(":", n=3, expand=True)
    if parts.shape[1] != 4 or parts.isna().any().any():
        bad = ids[parts.isna().any(axis=1)].iloc[0] if parts.shape[1] == 4 else ids.iloc[0]
        raise InputError(f"mutation id '{bad}' does not read chrom:pos:ref:alt")
    return pd.DataFrame({"mutation_id": ids.to_numpy(), "chrom": parts[0].to_numpy(),
                         "pos": parts[1].astype(int).to_numpy(), "ref": parts[2].to_numpy(),
                         "alt": parts[3].to_numpy()})


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


@dataclass
class NullModel:
    """The background and what the detection statistic does without ctDNA."""

    background: Background
    reason: np.ndarray  # (L,) why a locus is not used ("" when used)
    usable_locus: np.ndarray  # (L,) bool
    control_llr: np.ndarray  # (J,) detection statistic of each control (NaN: not a calibration control)
    weights: LengthWeights | None = None  # fragment-length weighting, when on and learnable

    def __post_init__(self) -> None:
        self.rates = self.background.rates()  # the loci's error rates, as every fit uses them


def null_model(ca: np.ndarray, cd: np.ndarray, usable: np.ndarray, cls: np.ndarray, j_normal: int | None,
               model: LociModel, p: DetectParams, weights: LengthWeights | None = None,
               control_frags: list | None = None) -> NullModel:
    """ca, cd, usable: (L, J) control alt and depth at the loci and the entries that may serve;
    j_normal: the column of the patient's own normal: its alt reads exclude a locus, and it
    teaches the background but does not calibrate (clonal haematopoiesis or tumour cells in
    the blood would make it no negative for this patient)."""
    bg = fit_background(ca, cd, usable, cls, p.error_floor)
    normal_alt = ca[:, j_normal] if j_normal is not None else np.zeros(len(cls), dtype=np.int64)
    reason = np.where(normal_alt >= p.max_normal_alt, "alt reads in the normal",
                      np.where(bg.error > p.max_error, "noisy locus", ""))
    usable_locus = reason == ""
    # each control scored against a background refitted without it
    llr = np.full(ca.shape[1], np.nan)
    for j in range(ca.shape[1]):
        if j == j_normal:
            continue
        rest = np.arange(ca.shape[1]) != j
        err = fit_background(ca[:, rest], cd[:, rest], usable[:, rest], cls, p.error_floor).rates()
        ok = usable_locus & usable[:, j] & (err.rate <= p.max_error)
        frags = _weighted(control_frags[j], weights) if weights is not None and control_frags \
            and control_frags[j] is not None else None
        llr[j] = detect(ca[:, j], cd[:, j], err, model, ok, p, frags=frags).llr
    return NullModel(bg, reason, usable_locus, llr, weights)


def _weighted(frags: tuple, weights: LengthWeights) -> tuple:
    """(locus index, length) of tumour-allele fragments -> (locus index, length weight)."""
    return frags[0], weights.of(frags[1])


@dataclass
class SampleCall:
    detection: Detection
    assessable: bool
    p_value: float  # asymptotic, widened by the controls' dispersion
    p_value_mc: float  # Monte Carlo under the background's uncertainty (NaN: not needed)
    dispersion: float
    calibration: str
    detected: bool


def call_sample(alt: np.ndarray, depth: np.ndarray, null: NullModel, model: LociModel, p: DetectParams,
                frags: tuple | None = None) -> SampleCall:
    """Detection in one plasma sample: fit, calibrated p-value, call. A call needs both the
    asymptotic p-value and, for every candidate, the Monte Carlo one at or below fpr (the
    latter resolves to 1/1001 at best, so the asymptotic one is what ranks samples). No
    fragment at any used locus: not assessable (never 'negative')."""
    weighted = _weighted(frags, null.weights) if null.weights is not None and frags is not None else None
    det = detect(alt, depth, null.rates, model, null.usable_locus, p, frags=weighted)
    if det.informative_reads == 0:
        return SampleCall(det, False, float("nan"), float("nan"), float("nan"), "", False)
    controls = null.control_llr[np.isfinite(null.control_llr)]
    pv, disp, method = pvalue(det.llr, controls, p)
    mc = float("nan")
    if pv <= p.fpr:
        mc = null_pvalue(depth, null.rates, model, det.used, alt, p.fpr / 5, frags=weighted,
                         weights=null.weights)
        method += "+monte_carlo"
    return SampleCall(det, True, pv, mc, disp, method, bool(pv <= p.fpr and not mc > p.fpr))


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


def learn_length_weights(tumour_lengths: np.ndarray, normal_hist: np.ndarray) -> LengthWeights | None:
    """Length weights for fragment-length weighting: tumour fragments' lengths from the control
    plasma samples at their own patients' loci (never the patient's own, whose detection they
    weigh), normal ones from the patient's plasma reference fragments at its loci."""
    w = length_weights(tumour_lengths, normal_hist)
    log.info("fragment-length weighting: %s", f"learned from {len(tumour_lengths)} tumour-allele fragments of the "
             "control plasma" if w is not None else
             f"off (only {len(tumour_lengths)} tumour-allele fragments in the control plasma)")
    return w


def carrier_entries(ca: np.ndarray, cd: np.ndarray, owner: np.ndarray, patient: str, floor: float,
                    alpha: float = CARRIER_ALPHA) -> np.ndarray:
    """(L, J) control entries that carry the locus' allele, so they are no background there: a
    control with CARRIER_MIN_ALT alt fragments at CARRIER_MIN_VAF, or with alt fragments the
    other controls' rate makes improbable (binomial tail below alpha over all entries, so a
    mutation at a low level in another patient's plasma is caught). A carrier's whole patient
    (owner: each control's patient) is then left out at that locus, as its samples share its
    mutations; the patient's own normal is judged by the normal veto instead."""
    from scipy.stats import binom

    carrier = (ca >= CARRIER_MIN_ALT) & (ca >= CARRIER_MIN_VAF * np.maximum(cd, 1))
    rest_alt = np.where(carrier, 0, ca)
    rest_depth = np.where(carrier, 0, cd)
    a_rest = rest_alt.sum(axis=1, keepdims=True) - rest_alt
    d_rest = rest_depth.sum(axis=1, keepdims=True) - rest_depth
    rate = np.maximum((a_rest + 0.5) / (d_rest + 1.0), floor)
    tail = binom.sf(ca - 1, cd, rate)
    carrier |= (ca >= 2) & (tail < alpha / max(ca.size, 1))
    others = owner != patient
    for q in np.unique(owner[others]):
        cols = owner == q
        carrier[:, cols] |= carrier[:, cols].any(axis=1, keepdims=True)
    carrier[:, ~others] = False
    return carrier


def order_timepoints(plasma: pd.DataFrame) -> pd.DataFrame:
    """Plasma rows in time order: by timepoint when every plasma sample has one and they are
    all numbers (days) or all dates; otherwise in sample-sheet order (logged)."""
    raw = plasma["timepoint"].fillna("").astype(str).str.strip()
    key = None
    if len(raw) and (raw != "").all():
        num = pd.to_numeric(raw, errors="coerce")
        if num.notna().all():
            key = num.to_numpy(float)
        else:
            dates = pd.to_datetime(raw, errors="coerce", format="mixed")
            if dates.notna().all():
                key = dates.to_numpy()
    if key is None:
        if len(raw) > 1:
            log.warning("plasma timepoints %s are not all numbers or all dates: sample-sheet order is used",
                        raw.tolist())
        return plasma
    return plasma.iloc[np.argsort(key, kind="stable")]


CLONE_COLUMNS = ["patient", "sample", "timepoint", "clone", "tissue_ccf", "n_loci", "alt_reads", "depth", "ccf",
                 "ccf_low", "ccf_high", "p_value", "detected", "change", "change_p_value", "emerging"]


@dataclass
class LiquidResult:
    ctdna: pd.DataFrame
    clones: pd.DataFrame
    loci: pd.DataFrame
    fragments: pd.DataFrame
    plasma_only: pd.DataFrame
    lengths: dict = field(default_factory=dict)  # sample -> (mutant lengths, wild-type histogram)


def analyse_patient(patient: str, sheet: pd.DataFrame, controls: pd.DataFrame, loci: pd.DataFrame,
                    pileups: dict[str, pd.DataFrame], alt_lengths: dict[str, pd.DataFrame],
                    ref_lengths: dict[str, np.ndarray], qc: dict[str, dict], parents: dict[int, int | None],
                    cn_tf: pd.DataFrame | None, variant_counts: pd.DataFrame, p: LiquidParams,
                    tumour_lengths: np.ndarray | None = None) -> LiquidResult:
    """sheet: the patient's sample-sheet rows; controls: sample, patient, type of its controls,
    its own normal among them; pileups, alt_lengths: sample -> table at the patient's sites,
    for its plasma and its controls; tumour_lengths: tumour-allele fragment lengths for the
    fragment-length weighting (control plasma at their own loci)."""
    own = sheet[sheet["patient"] == patient]
    plasma = order_timepoints(own[own["type"] == "plasma"])
    normal = own.loc[own["type"] == "normal", "sample"].iloc[0]
    names = list(controls["sample"])
    owner = controls["patient"].to_numpy(str)
    cls = substitution_class(loci["ref"], loci["alt"])
    model = loci_model(loci)

    ca = np.zeros((len(loci), len(names)), dtype=np.int64)
    cd = np.zeros_like(ca)
    for j, s in enumerate(names):
        if s in pileups:  # a control without a row had no site to count
            ca[:, j], cd[:, j] = counts_at(pileups[s], loci)
    carrier = carrier_entries(ca, cd, owner, patient, p.detect.error_floor)
    usable = ~carrier & (cd > 0)
    log.info("%d control entries (of %d covered) left out as carriers of the allele", int((carrier & (cd > 0)).sum()),
             int((cd > 0).sum()))
    j_normal = names.index(normal)
    weights = None
    if p.fragment_weighting:
        weights = learn_length_weights(tumour_lengths if tumour_lengths is not None else np.zeros(0, dtype=np.int64),
                                       frag.pooled(ref_lengths[s] for s in plasma["sample"] if s in ref_lengths))
    # tissue fragments are no cfDNA: their lengths would mislead the weighting, so tissue and
    # normal controls are scored by their counts alone
    kind = controls.set_index("sample")["type"].to_dict()
    control_frags = [fragments_at(alt_lengths.get(s), loci) if kind.get(s) == "plasma" else None for s in names]
    null = null_model(ca, cd, usable, cls, j_normal, model, p.detect, weights, control_frags)
    bg, reason, usable_locus, control_llr = null.background, null.reason, null.usable_locus, null.control_llr
    log.info("%d loci; %d with alt reads in the normal, %d noisy; %d controls; class error rates %s",
             len(loci), int((reason == "alt reads in the normal").sum()), int((reason == "noisy locus").sum()),
             len(names), {k: f"{v:.2e}" for k, v in bg.class_rate.items()})
    log.info("control statistics: %s", dict(zip(names, np.round(control_llr, 3).tolist())))

    ct_rows, clone_rows, loci_rows, frag_rows, lengths = [], [], [], [], {}
    clone_inputs: dict[str, dict[int, tuple]] = {}
    for r in plasma.itertuples(index=False):
        s = r.sample
        alt, depth = counts_at(pileups.get(s, NO_PILEUP), loci)
        call = call_sample(alt, depth, null, model, p.detect, fragments_at(alt_lengths.get(s), loci))
        det, pv, disp, method, detected = call.detection, call.p_value, call.dispersion, call.calibration, call.detected
        disp_used = disp if np.isfinite(disp) else 1.0
        assessable = call.assessable
        # fragment lengths at the used loci: tumour-allele vs reference fragments
        used_sites = loci.loc[det.used, ["chrom", "pos", "alt"]].rename(columns={"alt": "base"})
        mut = alt_lengths.get(s, pd.DataFrame(columns=["chrom", "pos", "base", "length"]))
        mut = mut.astype({"chrom": str}).merge(used_sites.astype({"chrom": str}), on=["chrom", "pos", "base"])
        wt = ref_lengths.get(s, np.zeros(1, dtype=np.int64))
        lengths[s] = (mut["length"].to_numpy(), wt)
        covered = 2 * float(qc.get(s, {}).get("read_length_mean") or 100.0)
        rho = coverage_ratio(mut["length"].to_numpy(), wt, covered, p.min_length_fragments,
                             background=det.background_reads) if detected and p.length_correction else 1.0
        model_s = replace(model, coverage=rho)
        rates = null.rates
        tf, tf_lo, tf_hi, n_tf = tumour_fraction(alt, depth, rates, model_s, det.used)
        lod = limit_of_detection(depth[det.used], rates[det.used], model_s.subset(det.used), p.detect.fpr,
                                 dispersion=disp_used)
        status = "not assessable" if not assessable else ("detected" if detected else "not detected")
        cn_row = cn_tf[cn_tf["sample"] == s] if cn_tf is not None else pd.DataFrame()
        ct_rows.append(dict(
            patient=patient, sample=s, timepoint=r.timepoint, status=status, detected=detected,
            score=round(det.llr, 4), p_value=pv, p_value_mc=call.p_value_mc, ctdna_level=det.level,
            tumour_fraction=tf if assessable else np.nan, tf_low=tf_lo if assessable else np.nan,
            tf_high=tf_hi if assessable else np.nan, tf_loci=n_tf,
            tf_basis="" if not assessable else ("truncal loci" if (det.used & model.truncal).any()
                                                 else "all loci at their tissue CCF"),
            tumour_fraction_cn=float(cn_row["tumour_fraction"].iloc[0]) if len(cn_row) else np.nan,
            limit_of_detection=lod, informative_reads=det.informative_reads, alt_reads=det.alt_reads,
            background_reads=round(det.background_reads, 3), loci_used=int(det.used.sum()),
            loci_outliers=int(det.outliers.sum()), loci_excluded=int((~usable_locus).sum()),
            low_sensitivity=bool(det.informative_reads < p.detect.min_informative_reads), coverage_ratio=rho,
            controls=int(np.isfinite(control_llr).sum()), dispersion=disp, calibration=method))
        log.info("%s: %s, score %.2f, p %.3g, level %.4g, TF %.4g [%.4g, %.4g] on %d truncal loci, LoD %.3g, "
                 "%d informative reads, %d outliers", s, status, det.llr, pv, det.level, tf, tf_lo, tf_hi, n_tf, lod,
                 det.informative_reads, int(det.outliers.sum()))
        loci_rows.append(pd.DataFrame({
            "patient": patient, "sample": s, "mutation_id": loci["mutation_id"], "cluster_id": loci["cluster_id"],
            "truncal": loci["truncal"], "tissue_ccf": loci["tissue_ccf"], "multiplicity": loci["multiplicity"],
            "tumour_cn": loci["cn"], "background_error": bg.error, "control_depth": bg.depth.astype(np.int64),
            "alt_reads": alt, "depth": depth, "used": det.used,
            "reason": np.where(det.used, "", np.where(det.outliers, "outlier", np.where(reason != "", reason,
                                                                                        "no coverage")))}))
        clone_inputs[s] = {}
        for k in sorted(loci["cluster_id"].unique()):
            m = det.used & (loci["cluster_id"].to_numpy() == k)
            args = (alt[m], depth[m], rates[m], model_s.subset(m), tf)
            clone_inputs[s][int(k)] = (*args, disp_used)
            # a clone's CCF is only defined where the tumour is seen
            fit = fit_clone(*args[:4], tf if detected else 0.0, dispersion=disp_used)
            tissue = float(loci.loc[loci["cluster_id"] == k, "tissue_ccf"].mean())
            clone_rows.append(dict(patient=patient, sample=s, timepoint=r.timepoint, clone=int(k),
                                   tissue_ccf=tissue, n_loci=fit.n_loci, alt_reads=fit.alt_reads, depth=fit.depth,
                                   ccf=fit.ccf, ccf_low=fit.low, ccf_high=fit.high, p_value=fit.p_value,
                                   detected=bool(detected and fit.p_value <= p.clones.alpha)))
        frag_rows.append(dict(patient=patient, sample=s, timepoint=r.timepoint,
                              **frag.profile(qc.get(s, {}).get("fragment_histogram", [])),
                              **frag.mutant_vs_wildtype(mut["length"].to_numpy(), wt)))

    clones = pd.DataFrame(clone_rows, columns=CLONE_COLUMNS[:-3])
    clones = _trends(clones, plasma, clone_inputs, ct_rows, parents, p.clones)
    return LiquidResult(pd.DataFrame(ct_rows), clones, pd.concat(loci_rows) if loci_rows else pd.DataFrame(),
                        pd.DataFrame(frag_rows), plasma_only(variant_counts, sheet, patient), lengths)


def _trends(clones: pd.DataFrame, plasma: pd.DataFrame, inputs: dict, ct_rows: list[dict],
            parents: dict[int, int | None], p: CloneParams) -> pd.DataFrame:
    """Change of each clone's CCF from the previous timepoint, and the emerging flag."""
    order = list(plasma["sample"])
    detected = {r["sample"]: r["detected"] for r in ct_rows}
    clones = clones.assign(change="", change_p_value=np.nan, emerging=False)
    seq = [s for s in order if detected[s]]
    rising: dict[int, bool] = {}

    ccf = clones.set_index(["sample", "clone"])["ccf"]

    def seen(s: str, k: int) -> bool:
        return len(inputs[s][k][0]) > 0 and inputs[s][k][1].sum() > 0

    for k in sorted(clones["clone"].unique()):
        for prev, cur in zip(seq, seq[1:]):
            sel = (clones["sample"] == cur) & (clones["clone"] == k)
            if not (seen(prev, k) and seen(cur, k)):
                clones.loc[sel, "change"] = "not assessable"
                continue
            pv, _ = change_pvalue(inputs[prev][k], inputs[cur][k])
            word = "stable" if pv > p.alpha else ("rising" if ccf[cur, k] > ccf[prev, k] else "falling")
            clones.loc[sel, "change"] = word
            clones.loc[sel, "change_p_value"] = pv
        if len(seq) >= 2 and seen(seq[0], k) and seen(seq[-1], k):
            pv, _ = change_pvalue(inputs[seq[0]][k], inputs[seq[-1]][k])
            # Bonferroni over the clones: the flag is a claim about one clone among many
            rising[int(k)] = bool(pv <= p.alpha / clones["clone"].nunique()
                                  and ccf[seq[-1], k] - ccf[seq[0], k] >= p.min_rise)
    flagged = emerging_clones(rising, parents)
    clones["emerging"] = clones["clone"].isin(flagged)
    return clones


def plasma_only(counts: pd.DataFrame, sheet: pd.DataFrame, patient: str) -> pd.DataFrame:
    """Mutations with plasma evidence but none in any tumour sample (found by discovery in
    plasma, variants.plasma_discovery)."""
    kinds = sheet.set_index("sample")["type"].to_dict()
    c = counts.assign(type=counts["sample"].map(kinds))
    tumour_present = c[c["type"] == "tumour"].groupby("mutation_id")["present"].any()
    pl = c[(c["type"] == "plasma") & c["present"].astype(bool)]
    pl = pl[~pl["mutation_id"].map(tumour_present).fillna(False).astype(bool)]
    cols = ["patient", "mutation_id", "sample", "ref_counts", "alt_counts", "depth", "vaf", "p_value"]
    return pl.assign(patient=patient)[[c for c in cols if c in pl.columns]].reset_index(drop=True)


def _histograms(t: pd.DataFrame) -> dict[str, np.ndarray]:
    """sample -> reference fragment length histogram, from a long (sample, length, fragments) table."""
    out = {}
    for s, g in t.groupby("sample", sort=False):
        h = np.zeros(int(g["length"].max()) + 1, dtype=np.int64)
        h[g["length"].to_numpy(int)] = g["fragments"].to_numpy(np.int64)
        out[str(s)] = h
    return out


def _by_sample(path: str) -> dict[str, pd.DataFrame]:
    t = pd.read_csv(path, sep="\t", dtype={"chrom": str, "sample": str})
    return {str(s): g.drop(columns="sample").reset_index(drop=True) for s, g in t.groupby("sample", sort=False)}


def read_inputs(patient: str, sheet: pd.DataFrame, controls: pd.DataFrame, paths) -> dict:
    """Every table the analysis needs, from the paths of the rule's inputs (attributes
    plasma_counts, plasma_alt_lengths, plasma_ref_lengths, control_counts, control_alt_lengths:
    long tables with a sample column; qc, mutations, summary, trees, counts, cn_tf; weight_counts,
    weight_alt_lengths (empty unless fragment weighting is on): the plasma tables of the patients whose plasma serves as
    controls, for the fragment-length weighting)."""
    import json

    na = {"keep_default_na": False, "na_values": ["NA", ""]}
    pileups = _by_sample(paths.plasma_counts)
    alt_lengths = _by_sample(paths.plasma_alt_lengths)
    pileups.update(_by_sample(paths.control_counts))
    alt_lengths.update(_by_sample(paths.control_alt_lengths))
    ref_lengths = _histograms(pd.read_csv(paths.plasma_ref_lengths, sep="\t", dtype={"sample": str}))
    qc = {}
    for f in paths.qc:
        with open(f) as fh:
            d = json.load(fh)
        qc[d["sample"]] = d
    with open(paths.trees) as fh:
        trees = json.load(fh)
    parents = {int(k): (None if v is None else int(v)) for k, v in (trees["trees"][0]["parents"].items()
                                                                   if trees.get("trees") else [])}
    muts = pd.read_csv(paths.mutations, sep="\t", **na, dtype={"mutation_id": str, "sample": str, "driver": str,
                                                               "reason": str, "cn_status": str, "call": str})
    summary = pd.read_csv(paths.summary, sep="\t", **na, dtype={"sample": str, "flags": str, "drivers": str})
    loci, left_out = loci_from_clonal(muts, summary)
    log.info("%d SNV loci from the clonal stage; left out: %s", len(loci), left_out["reason"].value_counts().to_dict())
    control_plasma = set(controls.loc[(controls["type"] == "plasma") & (controls["patient"] != patient), "sample"])
    weight_pileups = []
    for c, a in zip(paths.weight_counts, paths.weight_alt_lengths):
        counts_q, alts_q = _by_sample(c), _by_sample(a)
        weight_pileups += [(counts_q[s], alts_q.get(s, pd.DataFrame(columns=["chrom", "pos", "base", "length"])))
                           for s in counts_q if s in control_plasma]
    return dict(sheet=sheet, controls=controls, loci=loci, left_out=left_out, pileups=pileups,
                alt_lengths=alt_lengths, ref_lengths=ref_lengths, qc=qc, parents=parents,
                tumour_lengths=tumour_allele_lengths(weight_pileups),
                cn_tf=pd.read_csv(paths.cn_tf, sep="\t", dtype={"sample": str}),
                counts=pd.read_csv(paths.counts, sep="\t", **na, dtype={"mutation_id": str, "sample": str,
                                                                        "driver": str}))


def run_and_write(patient: str, data: dict, config: dict, out) -> LiquidResult:
    from ith.io.tables import write_tsv
    from ith.liquid.plot import plot_clones, plot_fragments, plot_tumour_fraction

    res = analyse_patient(patient, data["sheet"], data["controls"], data["loci"], data["pileups"],
                          data["alt_lengths"], data["ref_lengths"], data["qc"], data["parents"], data["cn_tf"],
                          data["counts"], LiquidParams.from_config(config), data["tumour_lengths"])
    write_tsv(res.ctdna, out.ctdna)
    write_tsv(res.clones, out.clones)
    write_tsv(res.loci, out.loci)
    write_tsv(res.fragments, out.fragments)
    write_tsv(res.plasma_only, out.plasma_only)
    plot_tumour_fraction(patient, res.ctdna, out.tf_plot)
    plot_clones(patient, res.clones, out.clones_plot)
    plot_fragments(patient, {s: data["qc"][s] for s in res.ctdna["sample"] if s in data["qc"]}, res.lengths,
                   out.fragments_plot)
    if len(res.clones):
        em = sorted(set(res.clones.loc[res.clones["emerging"], "clone"].tolist()))
        log.info("clones detected per sample: %s; emerging: %s",
                 res.clones.groupby("sample")["detected"].sum().to_dict(), em)
    log.info("%d plasma-only mutation observations", len(res.plasma_only))
    return res
