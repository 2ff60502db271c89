"""Control entries that carry a locus' allele (another patient's mutation, a shared germline
variant), so they are no background there."""

from __future__ import annotations

import numpy as np

CARRIER_MIN_ALT = 3  # a control with this many alt fragments at >= CARRIER_MIN_VAF carries the allele
CARRIER_MIN_VAF = 0.05
CARRIER_ALPHA = 0.01  # family-wise level of the test that a control's alt fragments are no error


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
