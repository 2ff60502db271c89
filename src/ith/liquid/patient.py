"""The liquid-biopsy stage for one patient: loci from the tissue, background from controls,
then per plasma sample detection, tumour fraction, limit of detection, clone CCFs, and over
timepoints the clones' trends."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ith.liquid import fragments as frag
from ith.liquid import ch as chm
from ith.liquid.background import fit_background, substitution_class
from ith.liquid.carriers import carrier_entries
from ith.liquid.clones import CloneParams, change_pvalue, emerging_clones, fit_clone
from ith.liquid.detect import limit_of_detection, tumour_fraction_fit
from ith.liquid.files import LiquidInputs, write_outputs
from ith.io.mutations import split_ids
from ith.liquid.loci import NO_PILEUP, counts_at, fragments_at, loci_model
from ith.liquid.model import coverage_ratio
from ith.liquid.null import call_sample, learn_length_weights, null_model
from ith.liquid.params import LiquidParams

log = logging.getLogger(__name__)


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
    ch: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=chm.CH_COLUMNS))  # ch.tsv
    lengths: dict = field(default_factory=dict)  # sample -> (mutant lengths, wild-type histogram)


def analyse_patient(patient: str, data: LiquidInputs, p: LiquidParams) -> LiquidResult:
    """Detection, tumour fraction, limit of detection and clone CCFs in each plasma sample of
    the patient, and the clones' trends over its timepoints."""
    sheet, controls, loci, pileups = data.sheet, data.controls, data.loci, data.pileups
    alt_lengths, ref_lengths, qc, parents = data.alt_lengths, data.ref_lengths, data.qc, data.parents
    cn_tf, variant_counts, tumour_lengths = data.cn_tf, data.variant_counts, data.tumour_lengths
    own = sheet[sheet["patient"] == patient]
    plasma = order_timepoints(own[own["type"] == "plasma"])
    normals = list(own.loc[own["type"] == "normal", "sample"])  # none: a tumour-only patient
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
    # without its own normal no locus is vetoed by it (its germline candidates are already out)
    j_normal = names.index(normals[0]) if normals else None
    weights = None
    if p.fragment_weighting:
        weights = learn_length_weights(tumour_lengths if tumour_lengths is not None else np.zeros(0, dtype=np.int64),
                                       frag.pooled(ref_lengths[s] for s in plasma["sample"] if s in ref_lengths))
    # tissue fragments are no cfDNA: their lengths would mislead the weighting, so tissue and
    # normal controls are scored by their counts alone
    kind = controls.set_index("sample")["type"].to_dict()
    control_frags = [fragments_at(alt_lengths.get(s), loci) if kind.get(s) == "plasma" else None for s in names]
    # clonal haematopoiesis, over every site of the patient (tissue calls and plasma-only
    # discoveries): a CH locus is no tumour locus, so it is left out of detection, tumour
    # fraction and clones
    # (class rates without the loci the normal carries: their normal fragments are germline or
    # CH, no errors, and would make the check's own background hide the CH it looks for)
    vetoed = (ca[:, j_normal] >= p.detect.max_normal_alt)[:, None] if j_normal is not None else \
        np.zeros((len(loci), 1), dtype=bool)
    class_rate = fit_background(ca, cd, usable & ~vetoed, cls, p.detect.error_floor).class_rate if len(loci) else {}
    ch = check_ch(patient, data, p, plasma, names, owner, class_rate)
    ch_ids = ch.ids()
    is_ch = loci["mutation_id"].isin(ch_ids).to_numpy()
    log.info("clonal haematopoiesis: %d of %d sites (%d tumour-informed loci left out): %s", len(ch_ids),
             len(ch.sites), int(is_ch.sum()), sorted(ch_ids))
    # a CH locus' alt reads in the normal are the blood's, no background error
    null = null_model(ca, cd, usable & ~is_ch[:, None], cls, j_normal, model, p.detect, weights, control_frags,
                      ch=is_ch)
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
        fit = tumour_fraction_fit(alt, depth, rates, model_s, det.used, p.detect.min_dispersion_loci)
        tf, tf_lo, tf_hi, n_tf = fit.tf, fit.low, fit.high, fit.loci
        lod = limit_of_detection(depth[det.used], rates[det.used], model_s.subset(det.used), p.detect.fpr,
                                 dispersion=disp_used)
        status = "not assessable" if not assessable else ("detected" if detected else "not detected")
        cn_row = cn_tf[cn_tf["sample"] == s] if cn_tf is not None else pd.DataFrame()
        ct_rows.append(dict(
            patient=patient, sample=s, timepoint=r.timepoint, status=status, detected=detected,
            score=round(det.llr, 4), p_value=pv, p_value_mc=call.p_value_mc, ctdna_level=det.level,
            tumour_fraction=tf if assessable else np.nan, tf_low=tf_lo if assessable else np.nan,
            tf_high=tf_hi if assessable else np.nan, tf_loci=n_tf, tf_dispersion=fit.dispersion,
            tf_basis="" if not assessable else ("truncal loci" if (det.used & model.truncal).any()
                                                 else "all loci at their tissue CCF"),
            tumour_fraction_cn=float(cn_row["tumour_fraction"].iloc[0]) if len(cn_row) else np.nan,
            limit_of_detection=lod, informative_reads=det.informative_reads, alt_reads=det.alt_reads,
            background_reads=round(det.background_reads, 3), loci_used=int(det.used.sum()),
            loci_outliers=int(det.outliers.sum()), loci_excluded=int((~usable_locus).sum()),
            low_sensitivity=not lod <= p.detect.max_lod, coverage_ratio=rho,
            controls=int(np.isfinite(control_llr).sum()), dispersion=disp, calibration=method,
            ch_variants=int((ch.table["sample"] == s).mul(ch.table["alt_reads"] > 0).sum())))
        log.info("%s: %s, score %.2f, p %.3g, level %.4g, TF %.4g [%.4g, %.4g] on %d truncal loci, LoD %.3g, "
                 "%d informative reads, %d outliers", s, status, det.llr, pv, det.level, tf, tf_lo, tf_hi, n_tf, lod,
                 det.informative_reads, int(det.outliers.sum()))
        loci_rows.append(pd.DataFrame({
            "patient": patient, "sample": s, "mutation_id": loci["mutation_id"], "cluster_id": loci["cluster_id"],
            "truncal": loci["truncal"], "tissue_ccf": loci["tissue_ccf"], "multiplicity": loci["multiplicity"],
            "tumour_cn": loci["cn"], "background_error": null.rates.rate, "control_depth": bg.depth.astype(np.int64),
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
    po = plasma_only(variant_counts, sheet, patient)
    po["clonal_haematopoiesis"] = po["mutation_id"].isin(ch_ids) if len(po) else pd.Series(dtype=bool)
    return LiquidResult(pd.DataFrame(ct_rows), clones, pd.concat(loci_rows) if loci_rows else pd.DataFrame(),
                        pd.DataFrame(frag_rows), po, ch.table, lengths)


def check_ch(patient: str, data: LiquidInputs, p: LiquidParams, plasma: pd.DataFrame, names: list[str],
             owner: np.ndarray, class_rate: dict[str, float]) -> chm.PatientCH:
    """The clonal-haematopoiesis check over the patient's SNV sites: its tumour-informed loci
    and every other SNV the variants stage reports (plasma-only discoveries among them), counted
    in its normal, its plasma and the other patients' controls (background), with the tissue's
    counts from the variants stage."""
    vc = data.variant_counts
    other = vc.loc[~vc["indel"].astype(bool), "mutation_id"] if "indel" in vc else vc.get("mutation_id", [])
    ids = pd.concat([data.loci["mutation_id"], pd.Series(other, dtype=str)]).drop_duplicates()
    sites = split_ids(ids)
    sites = sites[(sites["ref"].str.len() == 1) & (sites["alt"].str.len() == 1)].reset_index(drop=True)
    own = data.sheet[data.sheet["patient"] == patient]
    normals = list(own.loc[own["type"] == "normal", "sample"])  # none: a tumour-only patient
    sa = np.zeros((len(sites), len(names)), dtype=np.int64)
    sd = np.zeros_like(sa)
    for j, s in enumerate(names):
        if s in data.pileups:
            sa[:, j], sd[:, j] = counts_at(data.pileups[s], sites)
    carrier = carrier_entries(sa, sd, owner, patient, p.detect.error_floor)
    others = owner != patient
    err = chm.site_errors(sa[:, others], sd[:, others], (~carrier & (sd > 0))[:, others],
                          substitution_class(sites["ref"], sites["alt"]), class_rate, p.detect.error_floor)
    # without the patient's normal (tumour-only) the blood's own evidence is missing: CH is then
    # seen only by its gene (liquid.ch_regions)
    j_normal = names.index(normals[0]) if normals else None
    normal_alt = sa[:, j_normal] if j_normal is not None else np.zeros(len(sites), dtype=np.int64)
    normal_depth = sd[:, j_normal] if j_normal is not None else np.zeros(len(sites), dtype=np.int64)
    per_sample = {s: counts_at(data.pileups.get(s, NO_PILEUP), sites) for s in plasma["sample"]}
    pa = sum((a for a, _ in per_sample.values()), np.zeros(len(sites), dtype=np.int64))
    pdp = sum((d for _, d in per_sample.values()), np.zeros(len(sites), dtype=np.int64))
    ta, td = chm.tissue_counts(vc, list(own.loc[own["type"] == "tumour", "sample"]), sites["mutation_id"])
    gene = chm.gene_labels(sites["chrom"].to_numpy(str), sites["pos"].to_numpy(np.int64), data.ch_regions)
    ev = chm.SiteEvidence(err, normal_alt, normal_depth, pa, pdp, ta, td, gene)
    call = chm.classify(ev, p.ch)
    table = chm.build_table(patient, sites, call, ev, plasma[["sample", "timepoint"]], per_sample,
                            set(data.loci["mutation_id"]))
    return chm.PatientCH(sites, call, ev, table)


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


def run_and_write(patient: str, data: LiquidInputs, p: LiquidParams, out) -> LiquidResult:
    res = analyse_patient(patient, data, p)
    write_outputs(patient, res, data.qc, out)
    if len(res.clones):
        em = sorted(set(res.clones.loc[res.clones["emerging"], "clone"].tolist()))
        log.info("clones detected per sample: %s; emerging: %s",
                 res.clones.groupby("sample")["detected"].sum().to_dict(), em)
    log.info("%d plasma-only mutation observations; %d clonal-haematopoiesis variants", len(res.plasma_only),
             res.ch["mutation_id"].nunique() if len(res.ch) else 0)
    return res
