"""Checks of the sampling curves against what more regions actually show (tests/test_sampling.py,
bench/sampling.py): a study that took k of a patient's n regions predicts, from those k alone,
the clones the other n - k would add (the chosen estimator's extrapolation to n regions); the n
regions say how many they do add."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ith.sampling.curves import Calls, SamplingParams, chao2, region_subsets, richness


def restrict(calls: Calls, regions: list[str]) -> Calls:
    """The calls a study of only these regions would hold (clusters and mutations present in
    none of them dropped). The clusters stay those of the n-region clustering."""
    clones = calls.clones[regions]
    presence = calls.presence[regions]
    keep = presence.any(axis=1)
    return Calls(clones[clones.any(axis=1)], presence[keep], calls.clonal[regions][keep])


def added_clones(calls: Calls, k: int, params: SamplingParams, bias_corrected: bool = False) -> pd.DataFrame:
    """One row per k-subset of the regions (as curves() picks them): clones the subset saw, the
    prediction of `params.estimator` (Chao2's bias-corrected form throughout with bias_corrected)
    of the clones the other regions would add, and the clones they add."""
    n = len(calls.regions)
    total = len(calls.clones)
    subsets, _ = region_subsets(n, k, params.max_subsets, params.seed)
    rows = []
    for s in subsets:
        inc = restrict(calls, [calls.regions[i] for i in s]).clones.to_numpy(bool)
        rich = chao2(inc, True) if bias_corrected else richness(inc, params.estimator)
        # the verdict that study would print: its own curve's last gain and its estimate
        fewer = [inc[:, [j for j in range(k) if j != drop]].any(axis=1).sum() for drop in range(k)]
        gain = rich.observed - float(np.mean(fewer)) if k >= 2 else float("nan")
        rows.append(dict(k=k, regions=",".join(calls.regions[i] for i in s), seen=rich.observed,
                         unseen=rich.unseen, predicted=rich.expected(n) - rich.observed,
                         added=total - rich.observed,
                         adequate=bool(rich.unseen < params.min_unseen and gain <= params.max_last_gain)))
    return pd.DataFrame(rows)


def prediction_summary(per_subset: pd.DataFrame, tolerance: float = 1.0) -> dict:
    """Per patient, from its subsets of one size: the mean predicted and the mean actual number of
    clones the other regions add, within `tolerance` of each other or not, and the share of single
    subsets (single studies) whose prediction is within `tolerance`."""
    predicted, added = float(per_subset["predicted"].mean()), float(per_subset["added"].mean())
    ok = per_subset["adequate"]
    return {"predicted": predicted, "added": added, "within": bool(abs(predicted - added) <= tolerance),
            "single_within": float(((per_subset["predicted"] - per_subset["added"]).abs() <= tolerance).mean()),
            "naive_within": bool(added <= tolerance),
            # studies the verdict calls adequate / not, and how many of each the other regions added a clone to
            "adequate": int(ok.sum()), "adequate_gained": int((ok & (per_subset["added"] >= 1)).sum()),
            "inadequate": int((~ok).sum()), "inadequate_gained": int((~ok & (per_subset["added"] >= 1)).sum())}


def false_truncal_single(calls: Calls) -> float:
    """Mean over regions of the share of a region's clonal calls that are not truncal in all regions."""
    clonal = calls.clonal.to_numpy(bool)
    everywhere = clonal.all(axis=1)
    rates = [float((clonal[:, j] & ~everywhere).sum() / clonal[:, j].sum()) for j in range(clonal.shape[1])
             if clonal[:, j].sum()]
    return float(np.mean(rates)) if rates else float("nan")
