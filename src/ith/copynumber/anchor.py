"""The anchor region of a patient's copy-number fit: the region whose integer states the others
pay to depart from (the regions share the truncal genome), the truncal mutations whose
multiplicities in it pin the other regions' purities, and its refit on the truncal mutations the
other regions confirm."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from ith.copynumber.fit import (Anchor, Fit, FitParams, Segments, anchor_multiplicity, clonal_in_region,
                                copies_carrying, fit_hypotheses, fit_of_kind, snv_likelihoods, truncal_multiplicity)

log = logging.getLogger(__name__)


def snv_scores(fits: dict[str, tuple[Segments, Fit]], ids: dict[str, np.ndarray], params: FitParams
               ) -> tuple[float, float]:
    """The mutations' part of the regions' summed fit scores (-2 log-likelihood): as the regions'
    own fits score them (each region picks each mutation's multiplicity anew, at prior odds
    1/major), and jointly: a mutation has one multiplicity in every region it is clonal in, so
    its prior odds are paid once (each region may still read it subclonal). Returns (own, joint).
    Summing the regions' own scores pays the odds once per region, which charges a doubled
    genome, whose truncal mutations have two multiplicities to choose from, the region count
    over: a doubled genome of few events (seed 22's P2 of bench/evolution_bam.py) was read
    undoubled at a higher purity, its late truncal mutations a subclone at half the clonal
    fraction in every region."""
    parts = {}
    for name, (seg, fit) in fits.items():
        if ids.get(name) is None:
            continue
        max_m = max(int(fit.major.max(initial=1)), 1)
        keep, sub, clonal = snv_likelihoods(seg, fit, params, max_m)
        if len(keep):
            parts[name] = (ids[name][keep], sub, clonal)
    if not parts:
        return 0.0, 0.0
    width = max(c.shape[1] for _, _, c in parts.values())
    own, rows = 0.0, []
    for name, (mid, sub, clonal) in parts.items():
        clonal = np.pad(clonal, ((0, 0), (0, width - clonal.shape[1])), constant_values=-np.inf)
        n_m = np.maximum(np.isfinite(clonal).sum(axis=1), 1)
        free = logsumexp(np.column_stack([sub + np.log(0.5), clonal + np.log(0.5 / n_m)[:, None]]), axis=1)
        own += float(-2.0 * free.sum())
        # per multiplicity: clonal with it, or subclonal here; a multiplicity above this region's
        # major copy number (a subclonal loss here) leaves the region its own free choice
        per_m = np.where(np.isfinite(clonal), np.logaddexp(sub[:, None] + np.log(0.5), clonal + np.log(0.5)),
                         free[:, None])
        rows.append(pd.DataFrame(per_m, index=pd.Index(mid, name="id")).assign(_n=n_m))
    table = pd.concat(rows)
    summed = table.drop(columns="_n").groupby(level="id").sum()
    n_m = table["_n"].groupby(level="id").max().reindex(summed.index).to_numpy()
    per_m = summed.to_numpy()
    per_m = np.where(np.arange(1, width + 1)[None, :] <= n_m[:, None], per_m, -np.inf)
    joint = logsumexp(per_m, axis=1) - np.log(n_m)
    return own, float(-2.0 * joint.sum())


def is_doubling(seg: Segments, undoubled: Fit, doubled: Fit, params: FitParams) -> bool:
    """Whether a region's doubled fit is its undoubled one with every state doubled (over at least
    `doubling_share` of the autosomes the undoubled fit reads as integers) at the purity that
    keeps the tumour's share of the DNA (p_d = p_u / (2 - p_u), within
    `doubling_purity_tolerance`): the copy number cannot tell the two apart, only the mutations'
    multiplicities can."""
    # over the segments the undoubled reading fits as integers: the ones it flags subclonal may
    # be odd doubled states (2+1, 3+2), the doubled reading's own evidence, scored by the copy number
    a = seg.autosome & np.isfinite(seg.log2r) & ~undoubled.subclonal
    if not a.any():
        return False
    twice = (doubled.major == 2 * undoubled.major) & (doubled.minor == 2 * undoubled.minor)
    expected = undoubled.purity / (2.0 - undoubled.purity)
    return bool(seg.weight[a & twice].sum() >= params.doubling_share * seg.weight[a].sum()
                and abs(doubled.purity - expected) <= params.doubling_purity_tolerance)


def anchor_region(inputs: dict[str, tuple[Segments, float | None]], params: FitParams,
                  ids: dict[str, np.ndarray] | None = None) -> tuple[str | None, Anchor | None, Fit | None]:
    """First pass: every region alone, with and without a whole-genome doubling. The doubling is
    truncal, so the patient takes the hypothesis with the better summed score over its regions
    (ties: not doubled); of the regions whose own best fit agrees, the best determined (purity x
    goodness of fit) becomes the anchor: the regions share the truncal genome, so in the second
    pass the others pay to depart from its integer states. This keeps a region from the
    equivalent solution with all copies doubled (or halved) that fits one sample alone about as
    well: a region made of two sibling subclones reads half-way levels that a doubled genome
    turns into integers, and a majority vote of such regions outvoted the clear ones.
    ids: each region's mutation ids (aligned with its `snv_seg`). With them, over the regions
    whose doubled fit is their undoubled one doubled (`is_doubling`: only the mutations can tell
    them apart) the mutations are scored jointly (`snv_scores`). Other regions keep their own
    scores: their two fits differ in copy number, and a wrong fit at low purity and high ploidy,
    whose extra multiplicities absorb subclonal clusters, decided the patient when every region
    was scored jointly (seed 21's P5)."""
    if len(inputs) < 2 or params.anchor_cost <= 0:
        return None, None, None
    # the kinds are compared without the ploidy consistency check: refusing a region's
    # inconsistent points can leave it a poor fit of the other kind, which then tips a close sum
    # (the simulated exome's P1: a region of two clones with no undoubled fit otherwise)
    unchecked = replace(params, ploidy_tolerance=0.0)
    hyps = {name: fit_hypotheses(seg, unchecked, prior) for name, (seg, prior) in inputs.items()}
    first = {name: min(h.values(), key=lambda f: f.score) for name, h in hyps.items()}
    ok = {k: f for k, f in first.items() if f.identifiable}
    if not ok:
        return None, None, None
    both = [k for k in ok if len(hyps[k]) == 2]
    total = {w: sum(hyps[k][w].score for k in both) for w in (False, True)}
    same = [k for k in both if is_doubling(inputs[k][0], hyps[k][False], hyps[k][True], params)] if ids else []
    if params.snv_weight > 0 and len(same) > 1:
        for w in (False, True):
            own, joint = snv_scores({k: (inputs[k][0], hyps[k][w]) for k in same}, ids, unchecked)
            total[w] += params.snv_weight * (joint - own)
            if own:
                log.info("%s: the mutations of the %d regions whose doubled fit is their undoubled one doubled (%s) "
                         "score %.1f with one multiplicity per mutation, %.1f with one per mutation and region",
                         "doubled" if w else "undoubled", len(same), ", ".join(same), joint, own)
    n_wgd = sum(f.wgd for f in ok.values())
    wgd = total[True] < total[False] if both else n_wgd > len(ok) - n_wgd
    # the anchor among the regions whose own best fit agrees; if none does (the joint scores
    # decided against each region alone), among every region's fit of the patient's kind
    voters = {k: f for k, f in ok.items() if f.wgd == wgd} or {k: hyps[k][wgd] for k in ok if wgd in hyps[k]}
    name = max(voters, key=lambda k: (voters[k].purity * voters[k].goodness_of_fit, k))
    f = voters[name]
    if params.ploidy_tolerance > 0:  # the anchor's states: its best consistent fit of the patient's kind
        f = fit_hypotheses(inputs[name][0], params, inputs[name][1]).get(wgd, f)
    for k, g in first.items():
        alt = hyps[k].get(not g.wgd)
        log.info("%s: first pass purity %.2f ploidy %.2f fit %.3f wgd %s (best %s: score %s higher)", k, g.purity,
                 g.ploidy, g.goodness_of_fit, g.wgd, "doubled" if not g.wgd else "undoubled",
                 f"{alt.score - g.score:.1f}" if alt is not None else "none")
    log.info("%d of %d regions alone look whole-genome doubled; summed over %d regions the doubled fits score "
             "%.1f, the undoubled %.1f: the patient is taken as %s", n_wgd, len(ok), len(both), total[True],
             total[False], "doubled" if wgd else "not doubled")
    log.info("anchor region %s (purity %.2f, ploidy %.2f); others pay %.1f per segment to differ from its states",
             name, f.purity, f.ploidy, params.anchor_cost)
    return name, Anchor(f.major, f.minor, params.anchor_cost), f


def share_truncal_multiplicities(seg_inputs, anchor_name: str, anchor_fit: Fit, fitted: list[str],
                                 everywhere: set) -> dict:
    """Give every other region the multiplicities of the anchor's truncal mutations."""
    seg, _, _, ids = seg_inputs[anchor_name]
    if ids is None or not everywhere:
        return {}
    mult = truncal_multiplicity(seg, anchor_fit, np.array([i in everywhere for i in ids], dtype=bool))
    known = dict(zip(ids[mult > 0], mult[mult > 0]))
    log.info("%d truncal mutations with their multiplicity in the anchor %s pin the other regions' purities",
             len(known), anchor_name)
    for name in fitted:
        other, _, _, oid = seg_inputs[name]
        if name != anchor_name and oid is not None:
            other.snv_mult = np.array([known.get(i, 0) for i in oid], dtype=np.int64)
    return known


def present_everywhere(mutations: pd.DataFrame | None, fitted: list[str]) -> set:
    """Ids of the mutations present in every fitted region."""
    if mutations is None or not len(mutations):
        return set()
    sub = mutations[mutations["sample"].isin(fitted)]
    every = sub.groupby("mutation_id")["present"].agg(lambda x: bool(np.all(x.astype(bool))))
    return set(every[every].index) if sub["sample"].nunique() == len(fitted) else set()


def _confirmed_truncal(seg_inputs, anchor_name: str, anchor_fit: Fit, second: dict[str, tuple[Fit, str]],
                       everywhere: set) -> dict:
    """The mutations present in every region that read clonal in every other fitted region
    with the multiplicity they have in the anchor at its current purity (two-sided binomial
    test; not tested in a region whose state on the mutation's segment differs from the
    anchor's). A subclone near-clonal in the anchor passes there, and the anchor's purity drifts
    to fit it and the trunk alike; the regions that hold little of it show what it is. A
    mutation the anchor holds at under half a copy per tumour cell is no truncal one (read at a
    purity too low, a truncal mutation reads above its multiplicity) and is left out."""
    seg, _, _, ids = seg_inputs[anchor_name]
    others = [n for n, (f, _) in second.items() if n != anchor_name and f.identifiable]
    if ids is None or not others:
        return {}
    mult = anchor_multiplicity(seg, anchor_fit)
    # not tested in the anchor at its current purity (the one being corrected), but a mutation
    # at less than half a copy per tumour cell there is no truncal one read at a purity too low
    # (that reads it above its multiplicity): a subclone the anchor holds in a fifth of its cells
    # but near-clonal elsewhere passed, held at one copy, and pulled the refit down
    held = copies_carrying(seg, anchor_fit) >= 0.5
    keep = {i: int(m) for i, m, h in zip(ids, mult, held) if m > 0 and h and i in everywhere}
    tested: set = set()
    for name in others:
        oseg, _, _, oid = seg_inputs[name]
        if oid is None:
            return {}
        m = np.array([keep.get(i, 0) for i in oid], dtype=np.int64)
        f = second[name][0]
        # where this region's state differs from the anchor's the multiplicity may differ too
        # (a CN-LOH after the mutation doubles it): such a mutation is not tested here
        differs = ((f.major != anchor_fit.major) | (f.minor != anchor_fit.minor)) & np.isfinite(oseg.log2r)
        differs = differs[oseg.snv_seg]
        clonal = set(oid[clonal_in_region(oseg, f, m) | differs].tolist())
        tested.update(oid[~differs].tolist())
        keep = {i: m for i, m in keep.items() if i in clonal}
    # a mutation no other region could test is not confirmed
    return {i: m for i, m in keep.items() if i in tested}


def refit_anchor(seg_inputs, params: FitParams, anchor_name: str, prior: float | None, anchor_fit: Fit,
                 known: dict, second: dict[str, tuple[Fit, str]], everywhere: set, rounds: int = 3):
    """When the other regions show that some of the mutations the anchor took as truncal are
    not (at least 10% of them read subclonal elsewhere), the anchor is refitted on the truncal
    mutations they confirm (_confirmed_truncal), against its own first-pass states (the
    mutations move its purity, not its genome: a flat doubled genome reads like an undoubled one
    at a lower purity); repeated while its purity moves. The other regions keep their fits: the
    anchor's states and multiplicities, which pinned them, are unchanged, and its false truncal
    mutations fall into their fits' subclonal part, as they read far below clonal there.
    prior: the anchor's sample-sheet purity. Returns every region's second-pass fit."""
    seg, _, _, ids = seg_inputs[anchor_name]
    own = Anchor(anchor_fit.major, anchor_fit.minor, params.anchor_cost)
    method = second[anchor_name][1]
    for r in range(rounds):
        confirmed = _confirmed_truncal(seg_inputs, anchor_name, anchor_fit, second, everywhere)
        rejected = [i for i in known if i not in confirmed]
        log.info("%d mutations read clonal in every region with the anchor's multiplicity; %d of the %d the "
                 "anchor %s took as truncal do not", len(confirmed), len(rejected), len(known), anchor_name)
        if len(confirmed) < params.min_snvs or (r == 0 and len(rejected) < max(3, 0.1 * len(known))):
            break
        saved = seg.snv_mult
        seg.snv_mult = np.array([confirmed.get(i, 0) for i in ids], dtype=np.int64)
        refit = fit_of_kind(seg, params, prior, own, anchor_fit.wgd)  # the patient's doubling stays
        if not refit.identifiable or abs(refit.purity - anchor_fit.purity) <= params.purity_step + 1e-9:
            seg.snv_mult = saved
            break
        log.info("anchor %s refitted on them: purity %.2f (was %.2f), ploidy %.2f",
                 anchor_name, refit.purity, anchor_fit.purity, refit.ploidy)
        anchor_fit = refit
        second[anchor_name] = (refit, method + "+confirmed")
    return second
