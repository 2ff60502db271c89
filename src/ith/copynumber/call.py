"""Copy number of one patient: log2 ratios, joint segmentation of the regions, purity/ploidy
fits, integer allele-specific states, plasma tumour fractions and patient-level metrics."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.stats import chi2

from ith.copynumber.anchor import anchor_region, present_everywhere, refit_anchor, share_truncal_multiplicities
from ith.copynumber.baf import bin_mirrored_baf, segment_baf, snp_bins
from ith.copynumber.depth import LOG2_FLOOR, NormalModel, chrom_kind, log2_ratio, normal_model, segment_gc_trend
from ith.copynumber.fit import Anchor, Fit, FitParams, Segments, fit_region, fixed_purity_states, states_of
from ith.copynumber.mixture import read_patient_mixtures
from ith.copynumber.plasma import PlasmaFit, plasma_fraction
from ith.copynumber.reference import hybrid_model, pooled_model
from ith.copynumber.segment import default_penalty, noise_sd, segment_matrix
from ith.errors import InputError
from ith.germline import HetParams

log = logging.getLogger(__name__)

SEGMENT_COLUMNS = ["patient", "sample", "chrom", "start", "end", "n_bins", "n_snps", "log2r", "baf", "major_cn",
                   "minor_cn", "total_cn", "subclonal", "major_cn_2", "minor_cn_2", "fraction_2", "allele_specific"]
GC_REFIT_ROUNDS = 3  # copynumber.gc_refit: rounds of curve refit and segmentation at most
PURITY_COLUMNS = ["patient", "sample", "purity", "ploidy", "goodness_of_fit", "wgd", "method"]


@dataclass(frozen=True)
class SegmentParams:
    """`copynumber.segment`."""
    penalty: float = 1.5
    min_bins: int = 3
    merge_alpha: float = 0.01  # adjacent segments no region tells apart at this level are joined (0: never)


@dataclass(frozen=True)
class CnParams:
    """The `copynumber` section but the keys only the rules read (ith.copynumber.params.RULE_KEYS),
    same names and defaults."""
    min_mappable: float = 0.75
    normal_depth_range: tuple[float, float] = (0.5, 2.0)
    normal_window: int = 1  # bins in the running median of the normal's depth (1 = none)
    gc_refit: bool = True  # refit each sample's GC curve with one free level per joint segment
    gc_refit_min_wald: float = 30.0  # evidence (Wald chi-square, 2 df) the refit needs to change a sample's ratios
    min_bin_reads: float = 20.0  # median reads per bin below which a sample cannot be assessed
    hets: HetParams = field(default_factory=HetParams)
    segment: SegmentParams = field(default_factory=SegmentParams)
    fit: FitParams = field(default_factory=FitParams)


@dataclass(frozen=True)
class CnSample:
    name: str
    type: str  # normal, tumour, plasma
    purity: float | None = None  # sample-sheet prior


@dataclass
class PatientCn:
    segments: pd.DataFrame
    purity: pd.DataFrame
    plasma: pd.DataFrame
    metrics: dict
    # per sample, the bin log2 ratios the segments were read from (after copynumber.gc_refit);
    # empty for imported copy number
    log2r: dict[str, np.ndarray] = field(default_factory=dict)


def _segment_features(log2r: dict[str, np.ndarray], mbaf: dict[str, np.ndarray], usable: np.ndarray,
                      lag: int = 1) -> np.ndarray:
    """Features for the joint segmentation, each of unit noise and independent of the others.

    The regions' log2 ratios share one normal, whose counting noise is therefore common to all of
    them: left correlated, ten regions would see every normal fluctuation ten times over and
    break on it. So the log2 ratios are whitened with their noise covariance (measured on
    differences `lag` bins apart, which removes the copy-number steps). Mirrored BAF is read from
    each region's own reads and only scaled."""
    cols = []
    names = [n for n in log2r if np.isfinite(log2r[n][usable]).sum() > lag + 2]
    if names:
        x = np.stack([log2r[n][usable] for n in names], axis=1)
        x = x - np.nanmedian(x, axis=0)
        x = np.where(np.isfinite(x), x, 0.0)
        d = (x[lag:] - x[:-lag]) / np.sqrt(2)
        scale = 1.4826 * np.median(np.abs(d), axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        calm = (np.abs(d / scale) < 4).all(axis=1)  # differences across a breakpoint would inflate it
        cov = np.cov(d[calm], rowvar=False).reshape(len(names), len(names)) if calm.sum() > len(names) + 2 \
            else np.diag(scale ** 2)
        vals, vecs = np.linalg.eigh(cov)
        vals = np.maximum(vals, 1e-12 * vals.max() if vals.max() > 0 else 1e-12)
        cols.append(x @ vecs @ np.diag(vals ** -0.5) @ vecs.T)
    for name in log2r:
        b = mbaf.get(name)
        if b is None:
            continue
        sd = noise_sd(b[usable])
        if np.isfinite(sd) and sd > 0:
            cols.append(((b[usable] - np.nanmedian(b[usable])) / sd)[:, None])
    return np.concatenate(cols, axis=1) if cols else np.zeros((int(usable.sum()), 0))


def joint_segments(bins: pd.DataFrame, usable: np.ndarray, features: np.ndarray, penalty: float,
                   min_bins: int) -> list[np.ndarray]:
    """Per segment: the indices of its (usable) bins; breakpoints shared by all samples."""
    idx_usable = np.flatnonzero(usable)
    out = []
    chrom = bins["chrom"].to_numpy()[idx_usable]
    d = max(features.shape[1], 1)
    beta = default_penalty(len(idx_usable), d, penalty)
    for c in pd.unique(chrom):
        rows = np.flatnonzero(chrom == c)
        ends = segment_matrix(features[rows], beta, min_bins) if features.shape[1] else np.array([len(rows)])
        starts = np.concatenate([[0], ends[:-1]])
        out += [idx_usable[rows[a:b]] for a, b in zip(starts, ends)]
    return out


def _sample_snvs(mutations: pd.DataFrame | None, sample: str, bins: pd.DataFrame, seg_of_bin: np.ndarray):
    """Segment index, alt, depth and id of the single-base mutations present in a sample."""
    if mutations is None or not len(mutations):
        return None, None, None, None
    m = mutations[(mutations["sample"] == sample) & mutations["present"].astype(bool)]
    parts = m["mutation_id"].str.rsplit(":", n=3, expand=True)  # a contig name may hold ":"
    if not len(m):
        return None, None, None, None
    snv = (parts[2].str.len() == 1) & (parts[3].str.len() == 1)
    m = m[snv.to_numpy()]
    where = pd.DataFrame({"chrom": parts[0][snv].to_numpy(), "pos": parts[1][snv].astype(int).to_numpy()})
    b = snp_bins(where, bins)
    k = np.where(b >= 0, seg_of_bin[np.clip(b, 0, None)], -1)
    ok = (k >= 0) & (m["depth"].to_numpy() >= 10)
    return k[ok], m["alt_counts"].to_numpy()[ok], m["depth"].to_numpy()[ok], m["mutation_id"].to_numpy()[ok]


def _snp_segments(bin_of: dict, name: str, seg_of_bin: np.ndarray):
    """A sample's SNPs (alt, depth) and the segment of each (-1: outside every segment)."""
    t, b = bin_of[name]
    alt, dep = t["alt_counts"].to_numpy(float), (t["ref_counts"] + t["alt_counts"]).to_numpy(float)
    return alt, dep, np.where(b >= 0, seg_of_bin[np.clip(b, 0, None)], -1)


def _segment_levels(x: np.ndarray, sd: float, seg_of_bin: np.ndarray, n0: np.ndarray, snps, params: CnParams):
    """Per segment: mean log2 ratio and its standard error, BAF and its standard error (on
    segments of two germline copies), bins and SNPs counted. `snps`: `_snp_segments`' or None."""
    n_seg = len(n0)
    inside = (seg_of_bin >= 0) & np.isfinite(x)
    nb = np.bincount(seg_of_bin[inside], minlength=n_seg)
    with np.errstate(invalid="ignore", divide="ignore"):
        lv = np.bincount(seg_of_bin[inside], weights=x[inside], minlength=n_seg) / nb
    se_l = np.sqrt(sd ** 2 / np.maximum(nb, 1) + params.fit.log2r_sd_floor ** 2)
    bv, se_b, ns = np.full(n_seg, np.nan), np.full(n_seg, np.nan), np.zeros(n_seg, int)
    if snps is not None:
        alt, dep, snp_seg = snps
        order = np.argsort(snp_seg, kind="stable")
        bounds = np.searchsorted(snp_seg[order], np.arange(n_seg + 1))
        for k in range(n_seg):
            if n0[k] != 2:
                continue
            sel = order[bounds[k]:bounds[k + 1]]
            ns[k] = len(sel)
            if len(sel):
                bv[k], e = segment_baf(alt[sel], dep[sel])
                se_b[k] = np.hypot(e, params.fit.baf_sd_floor)
    return lv, se_l, bv, se_b, nb, ns


def _segment_inputs(s: CnSample, l2r, bin_of, bins, seg_of_bin, n0, seg_kind, length, seg_usable, params: CnParams,
                    mutations) -> tuple[Segments, np.ndarray, np.ndarray, np.ndarray | None]:
    """A sample's segment means of log2 ratio and BAF with their standard errors, and its mutations."""
    x = l2r[s.name]
    sd = noise_sd(x[seg_usable], params.normal_window)
    snps = _snp_segments(bin_of, s.name, seg_of_bin) if s.name in bin_of else None
    lv, se_l, bv, se_b, nb, ns = _segment_levels(x, sd, seg_of_bin, n0, snps, params)
    k, alt, dep, ids = _sample_snvs(mutations, s.name, bins, seg_of_bin)
    seg = Segments(n0, lv, se_l, bv, se_b, length, seg_kind == "A", k, alt, dep, n_bins=nb)
    return seg, nb, ns, ids


def merge_alike(segs: list[np.ndarray], chroms: np.ndarray, n0_of_bin: np.ndarray, l2r: dict[str, np.ndarray],
                bin_of: dict, seg_usable: np.ndarray, params: CnParams) -> list[np.ndarray]:
    """Join adjacent segments of a chromosome that no sample tells apart.

    The joint segmentation cuts where the bins' features change summed over every sample, on
    bin-level noise (a few bins with few SNPs, or the mirrored BAF's bias, can pay for a cut);
    the fit then reads each segment's means with its own standard errors. A cut that no sample
    supports at those errors splits one event in two, and the short side, read with fewer bins,
    is read as another state in some regions (a spurious difference between regions, and a
    spurious clade of the copy-number tree). So, as FACETS clusters its segments, adjacent
    segments are compared in every sample (`_adjacent_pvalues`) and joined where the
    difference does not reach the level `segment.merge_alpha`, the most alike pairs first, until
    every pair left differs."""
    alpha = params.segment.merge_alpha
    noise = {n: noise_sd(l2r[n][seg_usable], params.normal_window) for n in l2r}
    names = [n for n in l2r if np.isfinite(noise[n]) and noise[n] > 0]  # too few ratios: no noise level
    if alpha <= 0 or not names or len(segs) < 2:
        return segs
    sds = np.array([noise[n] for n in names])
    segs = list(segs)
    while True:
        pairs, pvalue = _adjacent_pvalues(segs, chroms, n0_of_bin, {n: l2r[n] for n in names}, sds, bin_of,
                                          len(seg_usable), params)
        # join, in order of likeness, every pair that qualifies and shares no segment with a pair
        # joined before it this round; then compare again with the joined segments' levels
        taken = np.zeros(len(segs), bool)
        join = []
        for q in np.argsort(-pvalue, kind="stable"):
            if pvalue[q] <= alpha:
                break
            k = pairs[q]
            if not (taken[k] or taken[k + 1]):
                taken[k] = taken[k + 1] = True
                join.append(k)
        if not join:
            return segs
        for k in sorted(join, reverse=True):
            segs[k:k + 2] = [np.concatenate([segs[k], segs[k + 1]])]


def _adjacent_pvalues(segs: list[np.ndarray], chroms: np.ndarray, n0_of_bin: np.ndarray, l2r: dict[str, np.ndarray],
                      sds: np.ndarray, bin_of: dict, n_bins: int, params: CnParams) -> tuple[np.ndarray, np.ndarray]:
    """Each pair of adjacent segments of a chromosome (the index of its first) and the p-value
    that their log2 ratios and BAFs are the same in every sample: chi-square of the difference
    of the two means with sampling errors only, per sample (Bonferroni over the samples) and
    over all of them (a lineage at a small share in several regions), the smaller of the two
    taken at half the level (adjusted, so above 1 where nothing differs; `sds`: the samples' bin
    noise). The fit's log2 ratio floor stands for systematic error (GC, normalisation, the
    shared normal's own depth), and that moves every region alike (seed 22's P4: one event cut
    in two, its 7-bin side 0.04-0.08 lower in all six regions): it is taken as a shift common to
    all samples, each segment its own, not as each sample's error; as each sample's, with the
    BAF floor, a private gain in a region of purity 0.33 (16 bins, log2 ratio +0.11, BAF 0.445)
    was joined."""
    sampling = replace(params, fit=replace(params.fit, log2r_sd_floor=0.0, baf_sd_floor=0.0))
    seg_of_bin = np.full(n_bins, -1)
    for k, i in enumerate(segs):
        seg_of_bin[i] = k
    n0 = np.array([n0_of_bin[i[0]] for i in segs])
    seg_chrom = np.array([chroms[i[0]] for i in segs], dtype=object)
    pairs = np.flatnonzero(seg_chrom[1:] == seg_chrom[:-1])
    names = list(l2r)
    levels = []
    for j, n in enumerate(names):
        snps = _snp_segments(bin_of, n, seg_of_bin) if n in bin_of else None
        levels.append(_segment_levels(l2r[n], float(sds[j]), seg_of_bin, n0, snps, sampling))
    lv, se_l, bv, se_b = (np.stack([v[i] for v in levels]) for i in range(4))  # (samples, segments)
    common = 2 * params.fit.log2r_sd_floor ** 2  # a shift of every sample alike, each segment its own
    pvalue = np.ones(len(pairs))
    for q, k in enumerate(pairs):
        dl, db = lv[:, k] - lv[:, k + 1], bv[:, k] - bv[:, k + 1]
        # log2 ratios: each sample's sampling error, and the common shift; whitened symmetrically,
        # so each sample's term keeps to that sample
        each = np.zeros(len(names))
        i = np.flatnonzero(np.isfinite(dl))
        if len(i):
            each[i] = _whiten(np.diag(se_l[i, k] ** 2 + se_l[i, k + 1] ** 2) + common, dl[i]) ** 2
        ob = np.isfinite(db)
        each += np.where(ob, db ** 2 / (se_b[:, k] ** 2 + se_b[:, k + 1] ** 2), 0.0)
        dof = np.isfinite(dl).astype(int) + ob
        least = min((chi2.sf(c, d) for c, d in zip(each, dof) if d > 0), default=1.0)
        p_all = chi2.sf(each.sum(), dof.sum()) if dof.sum() else 1.0
        # one sample: the two tests are one, taken at the full level
        pvalue[q] = min(least * len(names), p_all) * (2 if len(names) > 1 else 1)
    return pairs, np.where(np.isfinite(pvalue), pvalue, 0.0)  # undecidable: the cut stays


def _whiten(s: np.ndarray, d: np.ndarray) -> np.ndarray:
    """`d` times the inverse symmetric square root of its covariance `s`."""
    vals, vecs = np.linalg.eigh(s)
    vals = np.maximum(vals, 1e-12 * max(float(vals.max()), 1e-300))
    return vecs @ ((vecs.T @ d) / np.sqrt(vals))


def reread_states(second: dict[str, tuple[Fit, str]], segments: dict[str, Segments], anchor_name: str | None,
                  anchor_first: Fit | None, params: FitParams) -> dict[str, tuple[Fit, str]]:
    """Every region's fit with its states read again on other segments (`segments`, per region)
    at its fitted purity and ploidy, against the anchor states its fit was read against: the
    anchor region's first-pass fit (`anchor_first`) read on the new segments, for the other
    regions and for the anchor's refit on confirmed mutations (`refit_anchor`); none for the
    anchor's own second fit."""
    pin = None
    if anchor_name is not None and anchor_first is not None:
        first = states_of(segments[anchor_name], anchor_first, params)
        pin = Anchor(first.major, first.minor, params.anchor_cost)
    out = {}
    for name, (fit, method) in second.items():
        own = pin if name != anchor_name or method.endswith("+confirmed") else None
        out[name] = (states_of(segments[name], fit, params, own), method)
    return out


def _second_pass(fitted: list[CnSample], seg_inputs, params: CnParams, anchor_name: str | None,
                 anchor: Anchor | None, wgd: bool | None = None) -> dict[str, tuple[Fit, str]]:
    """Every assessable region's fit (against the anchor's states, but the anchor's own, which
    keeps the patient's doubling `wgd`) and how its purity was found."""
    out = {}
    for s in fitted:
        seg = seg_inputs[s.name][0]
        own = anchor if s.name != anchor_name else None
        fit = fit_region(seg, params.fit, s.purity, own, wgd if s.name == anchor_name else None)
        method = "ascat_grid" + ("+snv" if seg.snv_seg is not None and len(seg.snv_seg) else "") + \
            ("+prior" if s.purity is not None else "")
        if not fit.identifiable:
            if s.purity is not None:
                fit = fixed_purity_states(seg, s.purity, params.fit, own)
                method = "sheet_prior (copy-number profile not informative)"
            else:
                method = "not_identifiable (too few copy-number changes)"
        out[s.name] = (fit, method)
    return out


def ratio_model(bins: pd.DataFrame, normal_depth: np.ndarray | None, params: CnParams, mode: str = "matched",
                reference: pd.DataFrame | None = None, hybrid_window: int = 15,
                sex: str | None = None) -> NormalModel:
    """What a tumour's depth is divided by: the matched normal (`matched`), the pooled reference
    (`pooled`; the sex from the matched normal's X depth, else the sheet's, else female), or the
    pool with the matched normal's broad departures from it (`hybrid`)."""
    matched = None
    if normal_depth is not None:
        matched = normal_model(bins, normal_depth, params.min_mappable, params.normal_depth_range)
    if mode == "matched":
        if matched is None:
            raise InputError("copy number against the matched normal needs a normal; use a pooled reference")
        return matched
    if reference is None:
        raise InputError(f"copy-number mode {mode} needs a pooled reference")
    if mode == "pooled":
        use_sex = matched.sex if matched is not None and matched.sex != "unknown" else (sex or "female")
        return pooled_model(reference, bins, use_sex, params.min_mappable)
    if mode == "hybrid":
        if matched is None:
            raise InputError("copy-number mode hybrid needs a matched normal; use pooled without one")
        return hybrid_model(matched, reference, bins, params.min_mappable, hybrid_window)
    raise InputError(f"copy-number mode {mode!r}: choose matched, pooled or hybrid")


def sample_bins(patient: str, sample: str, bins: pd.DataFrame, normal_depth: np.ndarray | None, depth: np.ndarray,
                params: CnParams, mode: str = "matched", reference: pd.DataFrame | None = None,
                hybrid_window: int = 15, sex: str | None = None) -> pd.DataFrame:
    """The contract's {sample}.bins.tsv: GC-corrected log2 ratio against the normal model of
    `mode` (ratio_model), and depth."""
    nm = ratio_model(bins, normal_depth, params, mode, reference, hybrid_window, sex)
    # the pool's depth is already smooth (a median of many libraries): no running median on it
    l2r = log2_ratio(depth, nm, bins, params.normal_window if mode == "matched" else 1)
    out = bins[["chrom", "start", "end"]].assign(log2r=np.round(l2r, 4), depth=depth)
    return out.assign(patient=patient, sample=sample)[["patient", "sample", "chrom", "start", "end", "log2r", "depth"]]


def refit_gc(log2r: dict[str, np.ndarray], bins: pd.DataFrame, segs: list[np.ndarray],
             use: np.ndarray, min_wald: float = 0.0) -> dict[str, np.ndarray]:
    """Every sample's log2 ratios with the GC curve that is left in them, learnt within the joint
    segments (ith.copynumber.depth.segment_gc_trend; targets and off-target bins each on their
    own), taken out, and scaled again to a mean ratio of 1 over the `use` bins."""
    seg_of_bin = np.full(len(bins), -1)
    for k, i in enumerate(segs):
        seg_of_bin[i] = k
    gc = bins["gc"].to_numpy(float)
    target = bins["target"].to_numpy(bool) if "target" in bins else np.zeros(len(bins), bool)
    out = {}
    for name, x in log2r.items():
        trend = np.zeros(len(x))
        for group in (False, True):
            members = target == group
            if members.any():
                curve, wald = segment_gc_trend(x, gc, seg_of_bin, use & members, min_wald=min_wald)
                trend[members] = curve[members]
                log.info("%s%s: GC curve within segments, Wald %.1f (copynumber.gc_refit_min_wald %g): %s", name,
                         " targets" if group else (" off-target bins" if target.any() else ""), wald, min_wald,
                         "taken out" if np.isfinite(wald) and wald >= min_wald else "first correction kept")
        y = np.where(x > LOG2_FLOOR, x - trend, x)  # a homozygous deletion's floor stays where it is
        ok = use & np.isfinite(y)
        mean = float(np.mean(np.exp2(y[ok]))) if ok.any() else np.nan
        out[name] = np.maximum(y - np.log2(mean), LOG2_FLOOR) if np.isfinite(mean) and mean > 0 else x
    return out


def call_patient(patient: str, bins: pd.DataFrame, depth: dict[str, np.ndarray], reads: dict[str, np.ndarray],
                 samples: list[CnSample], baf: pd.DataFrame, params: CnParams, sex: str | None = None,
                 mutations: pd.DataFrame | None = None, log2r: dict[str, np.ndarray] | None = None) -> PatientCn:
    """`mutations`: the variants stage's counts.tsv (somatic SNVs inform purity), optional.
    Without a normal sample (a tumour-only patient) the ratios `log2r` are required (taken
    against the pooled reference); the sex is the sheet's, else female; every het SNP of `baf`
    is used (population SNPs chosen in the tumours)."""
    normal = [s for s in samples if s.type == "normal"]
    if len(normal) > 1:
        raise InputError(f"patient {patient}: copy number needs at most one normal sample, found {len(normal)}")
    nrm = normal[0] if normal else None
    kind = chrom_kind(bins["chrom"])
    if not (kind == "A").any():
        raise InputError(f"patient {patient}: no autosome among the bins (contig names like chr1 or 1 expected)")
    flags = []
    if nrm is None:
        if log2r is None:
            raise InputError(f"patient {patient}: no normal sample, and no log2 ratios against a pooled reference")
        nm = NormalModel(np.ones(len(bins), bool), np.full(len(bins), np.nan), np.nan, np.nan, "unknown")
        flags.append("tumour-only: copy number against the pooled reference of other individuals' normals (germline "
                     "copy-number variants may look somatic); BAF at population SNPs of the tumours; sex "
                     f"{sex or 'female (assumed)'}")
        log.warning(flags[-1])
    else:
        nd = depth[nrm.name]
        normal_depth = np.median(nd[kind == "A"])
        if normal_depth <= 0.5:
            raise InputError(f"patient {patient}: the normal {nrm.name} has almost no coverage (median depth "
                             f"{normal_depth:.2f} over the bins); copy number needs a sequenced matched normal")
        nm = normal_model(bins, nd, params.min_mappable, params.normal_depth_range)
    if sex and nm.sex != "unknown" and sex != nm.sex:
        flags.append(f"normal {nrm.name} looks {nm.sex} by X depth (x_dosage {nm.x_dosage:.2f}) but the sheet says "
                     f"{sex}; X copy number is read against the normal's own X dosage (sample swap?)")
        log.warning(flags[-1])
    use_sex = nm.sex if nm.sex != "unknown" else (sex or "female")
    usable = nm.usable
    log.info("patient %s: %d bins, %d usable (mappable >= %.2f, normal depth in range); normal sex by coverage %s "
             "(X dosage %.2f)", patient, len(bins), int(usable.sum()), params.min_mappable, nm.sex, nm.x_dosage)

    others = [s for s in samples if s.type != "normal"]
    if log2r is not None and others:
        # ratios taken against a pooled reference leave out the bins the pool distrusts too (a
        # sample without any ratio, too shallow to normalise, leaves the normal's bins as they are)
        finite = np.any([np.isfinite(log2r[s.name]) for s in others], axis=0)
        if finite.any():
            usable = usable & finite
    l2r, assessable = {}, {}
    for s in others:
        l2r[s.name] = log2r[s.name] if log2r is not None else log2_ratio(depth[s.name], nm, bins, params.normal_window)
        assessable[s.name] = bool(np.median(reads[s.name][usable & (kind == "A")]) >= params.min_bin_reads
                                  and np.isfinite(l2r[s.name]).any())

    tumours = [s for s in others if s.type == "tumour"]
    # BAF at the normal's heterozygous SNPs (without a normal: every SNP of the table)
    hets = baf[baf["sample"] == nrm.name] if nrm is not None else baf
    baf_t = baf.merge(hets[["chrom", "pos"]].drop_duplicates(), on=["chrom", "pos"]) if len(baf) else baf
    bin_of = {}
    mbaf = {}
    for s in tumours:
        t = baf_t[baf_t["sample"] == s.name]
        b = snp_bins(t, bins)
        bin_of[s.name] = (t, b)
        mbaf[s.name] = bin_mirrored_baf(t["alt_counts"].to_numpy(float), (t["ref_counts"] + t["alt_counts"]).to_numpy(float),
                                        b, len(bins))
    seg_samples = [s.name for s in tumours if assessable[s.name]]
    for s in tumours:
        if not assessable[s.name]:
            flags.append(f"{s.name}: too little coverage for copy number; reported without a fit")
            log.warning(flags[-1])
    seg_usable = usable & (kind != "O")
    features = _segment_features({k: l2r[k] for k in seg_samples}, {k: mbaf[k] for k in seg_samples}, seg_usable,
                                 params.normal_window)
    segs = joint_segments(bins, seg_usable, features, params.segment.penalty, params.segment.min_bins)
    log.info("joint segmentation of %d tumour samples (%d features): %d segments", len(seg_samples),
             features.shape[1], len(segs))
    if params.gc_refit and "gc" in bins:
        # each round learns the curves within the last round's segments and segments again, until
        # the breakpoints stay (a breakpoint the first, GC-bent ratios misplaced moves in round 1)
        first = l2r
        for round_ in range(1, GC_REFIT_ROUNDS + 1):
            l2r = refit_gc(first, bins, segs, seg_usable & (kind == "A"), params.gc_refit_min_wald)
            features = _segment_features({k: l2r[k] for k in seg_samples}, {k: mbaf[k] for k in seg_samples},
                                         seg_usable, params.normal_window)
            before = [int(i[0]) for i in segs]
            segs = joint_segments(bins, seg_usable, features, params.segment.penalty, params.segment.min_bins)
            log.info("GC refit round %d: curves learnt within the segments, segmented again: %d segments", round_,
                     len(segs))
            if [int(i[0]) for i in segs] == before:
                break

    starts = bins["start"].to_numpy()
    ends = bins["end"].to_numpy()
    chroms = bins["chrom"].to_numpy()
    n0_of_bin = np.where(kind == "A", 2, np.where(kind == "X", 1 if use_sex == "male" else 2, 1))

    def layout(segs):
        """Per segment: chromosome, kind, normal copies, start, end, length; every sample's inputs."""
        first = np.array([s[0] for s in segs])
        seg_chrom = chroms[first].astype(object)
        seg_kind, n0 = np.asarray(kind)[first], n0_of_bin[first]  # a segment lies on one chromosome
        seg_start = np.array([starts[s[0]] for s in segs])
        seg_end = np.array([ends[s[-1]] for s in segs])
        length = (seg_end - seg_start + 1).astype(float)
        seg_of_bin = np.full(len(bins), -1)
        for k, i in enumerate(segs):
            seg_of_bin[i] = k
        inputs = {s.name: _segment_inputs(s, l2r, bin_of, bins, seg_of_bin, n0, seg_kind, length, seg_usable,
                                          params, mutations) for s in others}
        return seg_chrom, seg_kind, n0, seg_start, seg_end, length, inputs

    seg_chrom, seg_kind, n0, seg_start, seg_end, length, seg_inputs = layout(segs)
    fitted = [s for s in tumours if assessable[s.name]]
    anchor_name, anchor, anchor_fit = anchor_region({s.name: (seg_inputs[s.name][0], s.purity) for s in fitted},
                                                    params.fit, {s.name: seg_inputs[s.name][3] for s in fitted})
    known, everywhere = {}, present_everywhere(mutations, [s.name for s in fitted])
    if anchor_fit is not None:
        known = share_truncal_multiplicities(seg_inputs, anchor_name, anchor_fit, [s.name for s in fitted], everywhere)
    second = _second_pass(fitted, seg_inputs, params, anchor_name, anchor,
                          anchor_fit.wgd if anchor_fit is not None else None)
    if anchor_fit is not None and known:
        prior = next(s.purity for s in fitted if s.name == anchor_name)
        second = refit_anchor(seg_inputs, params.fit, anchor_name, prior, anchor_fit, known, second, everywhere)
    # purity and ploidy come from the segmentation's own cuts; the states are read on the
    # segments joined where no region tells them apart (merge_alike)
    joined = merge_alike(segs, chroms, n0_of_bin, {k: l2r[k] for k in seg_samples},
                         {k: bin_of[k] for k in seg_samples}, seg_usable, params)
    log.info("adjacent segments no sample tells apart joined (merge_alpha %g): %d segments of %d left",
             params.segment.merge_alpha, len(joined), len(segs))
    if len(joined) < len(segs):
        segs = joined
        seg_chrom, seg_kind, n0, seg_start, seg_end, length, seg_inputs = layout(segs)
        second = reread_states(second, {n: v[0] for n, v in seg_inputs.items()}, anchor_name, anchor_fit, params.fit)
    mixtures = read_patient_mixtures({n: (seg_inputs[n][0], f) for n, (f, _) in second.items()}, params.fit)
    rows, pp_rows, fits = [], [], {}
    for s in others:
        seg, nb, ns, _ = seg_inputs[s.name]
        lv, bv = seg.log2r, seg.baf
        major = minor = major2 = minor2 = np.full(len(segs), -1)
        fraction2 = np.full(len(segs), np.nan)
        subclonal = np.zeros(len(segs), bool)
        if s.type == "tumour" and assessable[s.name]:
            fit, method = second[s.name]
            fits[s.name] = (fit, seg)
            mix = mixtures[s.name]
            major, minor, subclonal = mix.major, mix.minor, fit.subclonal
            major2, minor2, fraction2 = mix.major2, mix.minor2, mix.fraction2
            if mix.mixed.any():
                log.info("%s: %d of %d subclonal segments read as two states of the patient",
                         s.name, int(mix.mixed.sum()), int(fit.subclonal.sum()))
            purity = fit.purity if (fit.identifiable or s.purity is not None) else np.nan
            pp_rows.append(dict(patient=patient, sample=s.name, purity=purity, ploidy=round(fit.ploidy, 4),
                                goodness_of_fit=round(fit.goodness_of_fit, 4), wgd=fit.wgd, method=method))
            log.info("%s: purity %.2f ploidy %.2f (grid psi %.2f) fit %.3f wgd %s aberrant %.3f method %s", s.name,
                     fit.purity, fit.ploidy, fit.ploidy_grid, fit.goodness_of_fit, fit.wgd, fit.aberrant_fraction,
                     method)
        elif s.type == "tumour":
            pp_rows.append(dict(patient=patient, sample=s.name, purity=np.nan, ploidy=np.nan, goodness_of_fit=np.nan,
                                wgd=False, method="not_assessable (coverage)"))
        fits.setdefault(s.name, (None, seg))
        for k, i in enumerate(segs):
            called = major[k] >= 0
            rows.append(dict(patient=patient, sample=s.name, chrom=seg_chrom[k], start=int(seg_start[k]),
                             end=int(seg_end[k]), n_bins=int(nb[k]), n_snps=int(ns[k]),
                             log2r=round(float(lv[k]), 4) if np.isfinite(lv[k]) else np.nan,
                             baf=round(float(bv[k]), 4) if np.isfinite(bv[k]) else np.nan,
                             major_cn=int(major[k]) if called else pd.NA, minor_cn=int(minor[k]) if called else pd.NA,
                             total_cn=int(major[k] + minor[k]) if called else pd.NA,
                             subclonal=bool(subclonal[k]) if called else pd.NA,
                             major_cn_2=int(major2[k]) if major2[k] >= 0 else pd.NA,
                             minor_cn_2=int(minor2[k]) if major2[k] >= 0 else pd.NA,
                             fraction_2=fraction2[k] if np.isfinite(fraction2[k]) else np.nan))
    segments = pd.DataFrame(rows, columns=SEGMENT_COLUMNS)
    segments["allele_specific"] = segments["major_cn"].notna()

    plasma_rows = _plasma(patient, others, fits, n0, pp_rows)
    purity = pd.DataFrame(pp_rows, columns=PURITY_COLUMNS)
    metrics = patient_metrics(patient, fits, tumours, seg_kind, length, flags, nm, use_sex)
    metrics["tumour_only"] = nrm is None
    return PatientCn(segments, purity, pd.DataFrame(plasma_rows), metrics, l2r)


def _plasma(patient, others, fits, n0, pp_rows) -> list[dict]:
    fitted = [f for s in others if s.type == "tumour" for f in [fits[s.name][0]] if f is not None and np.isfinite(f.purity)]
    out = []
    if fitted:
        total = np.stack([f.major + f.minor for f in fitted])
        sub = np.stack([f.subclonal for f in fitted])
        consensus = (total == total[0]).all(axis=0) & ~sub.any(axis=0)
        w = fits[next(s.name for s in others if s.type == "tumour")][1].weight
        a = fits[next(s.name for s in others if s.type == "tumour")][1].autosome
        psi = float(np.average(total.mean(axis=0)[a], weights=w[a]))
        ctotal = total[0]
    for s in others:
        if s.type != "plasma":
            continue
        seg = fits[s.name][1]
        if fitted:
            pf = plasma_fraction(seg.log2r, seg.se_log2r, ctotal, n0, consensus, psi)
        else:
            pf = PlasmaFit(np.nan, np.nan, np.nan, np.nan, False, "not assessable: no tissue copy-number fit")
        out.append(dict(patient=patient, sample=s.name, tumour_fraction=pf.tumour_fraction, ci_low=pf.ci_low,
                         ci_high=pf.ci_high, lod=pf.lod, assessable=pf.assessable, note=pf.note))
        pp_rows.append(dict(patient=patient, sample=s.name, purity=pf.tumour_fraction,
                            ploidy=round(psi, 4) if fitted else np.nan, goodness_of_fit=np.nan, wgd=False,
                            method="cn_tumour_informed" if pf.assessable else "not_assessable"))
        log.info("%s: plasma tumour fraction %.3f [%.3f, %.3f] lod %.3f %s", s.name, pf.tumour_fraction, pf.ci_low,
                 pf.ci_high, pf.lod, pf.note)
    return out


def patient_metrics(patient, fits, tumours, seg_kind, length, flags, nm, sex) -> dict:
    """wGII (autosomal genome fraction whose total CN differs from the sample's rounded ploidy),
    LOH fraction (minor CN 0), and the fraction whose integer state differs between regions."""
    a = seg_kind == "A"
    per_sample = {}
    states = []
    for s in tumours:
        fit = fits[s.name][0]
        if fit is None or not np.isfinite(fit.purity):
            continue
        total = fit.major + fit.minor
        w = length[a]
        per_sample[s.name] = {
            "wgii": round(float(w[(total[a] != round(fit.ploidy))].sum() / w.sum()), 4),
            "loh_fraction": round(float(w[fit.minor[a] == 0].sum() / w.sum()), 4),
            "subclonal_fraction": round(float(w[fit.subclonal[a]].sum() / w.sum()), 4),
            "wgd": fit.wgd,
        }
        states.append(np.stack([fit.major, fit.minor], axis=1))
    discordant = None
    if len(states) >= 2:
        st = np.stack(states)  # (samples, segments, 2)
        differs = (st != st[:1]).any(axis=(0, 2))
        discordant = round(float(length[a & differs].sum() / length[a].sum()), 4)
    return {"patient": patient, "sex_by_coverage": nm.sex, "sex_used": sex,
            "normal_x_dosage": round(float(nm.x_dosage), 3) if np.isfinite(nm.x_dosage) else None,
            "region_discordant_fraction": discordant, "samples": per_sample, "flags": flags,
            "definitions": {
                "wgii": "autosomal genome fraction whose total copy number differs from the sample's rounded ploidy",
                "loh_fraction": "autosomal genome fraction with minor copy number 0",
                "subclonal_fraction": "autosomal genome fraction whose segments fit no integer state",
                "region_discordant_fraction": "autosomal genome fraction whose major/minor state differs between "
                                              "any two regions"}}
