"""The anchor region of a patient's copy-number fit: the region whose integer states the others
pay to depart from (the regions share the truncal genome), the truncal mutations whose
multiplicities in it pin the other regions' purities, and its refit on the truncal mutations the
other regions confirm."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pandas as pd

from ith.copynumber.fit import (Anchor, Fit, FitParams, Segments, anchor_multiplicity, clonal_in_region,
                                fit_hypotheses, fit_sample, truncal_multiplicity)

log = logging.getLogger(__name__)


def anchor_region(inputs: dict[str, tuple[Segments, float | None]], params: FitParams
                  ) -> tuple[str | None, Anchor | None, Fit | None]:
    """First pass: every region alone, with and without a whole-genome doubling. The doubling is
    truncal, so the patient takes the hypothesis with the better summed score over its regions
    (ties: not doubled); of the regions whose own best fit agrees, the best determined (purity x
    goodness of fit) becomes the anchor: the regions share the truncal genome, so in the second
    pass the others pay to depart from its integer states. This keeps a region from the
    equivalent solution with all copies doubled (or halved) that fits one sample alone about as
    well: a region made of two sibling subclones reads half-way levels that a doubled genome
    turns into integers, and a majority vote of such regions outvoted the clear ones."""
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
    n_wgd = sum(f.wgd for f in ok.values())
    wgd = total[True] < total[False] if both else n_wgd > len(ok) - n_wgd
    voters = {k: f for k, f in ok.items() if f.wgd == wgd}
    name = max(voters, key=lambda k: (voters[k].purity * voters[k].goodness_of_fit, k))
    f = ok[name]
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
    test). A subclone near-clonal in the anchor passes there, and the anchor's purity drifts to
    fit it and the trunk alike; the regions that hold little of it show what it is."""
    seg, _, _, ids = seg_inputs[anchor_name]
    others = [n for n, (f, _) in second.items() if n != anchor_name and f.identifiable]
    if ids is None or not others:
        return {}
    mult = anchor_multiplicity(seg, anchor_fit)
    keep = {i: int(m) for i, m in zip(ids, mult) if m > 0 and i in everywhere}
    for name in others:
        oseg, _, _, oid = seg_inputs[name]
        if oid is None:
            return {}
        m = np.array([keep.get(i, 0) for i in oid], dtype=np.int64)
        clonal = set(oid[clonal_in_region(oseg, second[name][0], m)].tolist())
        keep = {i: m for i, m in keep.items() if i in clonal}
    return keep


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
        refit = fit_sample(seg, params, prior, own)
        if not refit.identifiable or abs(refit.purity - anchor_fit.purity) <= params.purity_step + 1e-9:
            seg.snv_mult = saved
            break
        log.info("anchor %s refitted on them: purity %.2f (was %.2f), ploidy %.2f",
                 anchor_name, refit.purity, anchor_fit.purity, refit.ploidy)
        anchor_fit = refit
        second[anchor_name] = (refit, method + "+confirmed")
    return second
