"""Which tissue clones the blood shows, and how their share changes over time.

Given a plasma sample's tumour fraction, a clone's CCF in plasma is fitted on its own loci by
maximum likelihood (copy number and multiplicity as in the tissue), with a 95% profile interval
and a likelihood-ratio test against absence. Between timepoints, the two CCFs are tested for
equality (likelihood ratio, one degree of freedom). A clone is flagged emerging when its CCF
rises significantly from the first to the last timepoint by at least a minimum step, and none
of its descendants in the clone tree does: an ancestor's CCF rises with any descendant's, so
the rise belongs to the deepest clone that shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ith.liquid.detect import LociModel
from ith.liquid.model import as_rates, boundary_pvalue, log_lik, maximise, profile_interval, read_prob


@dataclass(frozen=True)
class CloneParams:
    alpha: float = 0.05  # level of the per-clone presence test and of the trend tests
    min_rise: float = 0.1  # least CCF rise from first to last timepoint to call a clone emerging


def clone_loglik(alt, depth, err, loci: LociModel, tf: float):
    """Log likelihood of the clone's CCF in plasma on its loci, at tumour fraction tf."""
    err = as_rates(err)

    def ll(c: float) -> float:
        v = loci.fraction(tf, np.full(len(alt), c))
        return log_lik(alt, depth, read_prob(v, err), err)
    return ll


@dataclass
class CloneFit:
    ccf: float
    low: float
    high: float
    llr: float
    p_value: float
    n_loci: int
    alt_reads: int
    depth: int


def fit_clone(alt, depth, err, loci: LociModel, tf: float, dispersion: float = 1.0) -> CloneFit:
    if len(alt) == 0 or depth.sum() == 0 or not tf > 0:
        return CloneFit(float("nan"), float("nan"), float("nan"), 0.0, 1.0, len(alt), int(alt.sum()), int(depth.sum()))
    ll = clone_loglik(alt, depth, err, loci, tf)
    c, best = maximise(ll, 0.0, 1.0)
    low, high = profile_interval(ll, c, best, 0.0, 1.0)
    llr = max(0.0, 2.0 * (best - ll(0.0)))
    return CloneFit(c, low, high, llr, float(boundary_pvalue(llr, dispersion)), len(alt), int(alt.sum()),
                    int(depth.sum()))


def change_pvalue(a: tuple, b: tuple) -> tuple[float, float]:
    """(p-value, statistic) of the test that a clone has the same CCF in two plasma samples;
    a and b: (alt, depth, err, loci, tf, dispersion) of the clone's loci in each; the statistic
    is divided by the larger dispersion of the two samples' controls."""
    la, lb = clone_loglik(*a[:5]), clone_loglik(*b[:5])
    _, ba = maximise(la, 0.0, 1.0)
    _, bb = maximise(lb, 0.0, 1.0)
    _, joint = maximise(lambda c: la(c) + lb(c), 0.0, 1.0)
    stat = max(0.0, 2.0 * (ba + bb - joint)) / max(a[5] if len(a) > 5 else 1.0, b[5] if len(b) > 5 else 1.0, 1.0)
    return float(stats.chi2.sf(stat, 1)), stat


def descendants(parents: dict[int, int | None], clone: int) -> set[int]:
    out: set[int] = set()
    frontier = [clone]
    while frontier:
        kids = [k for k, p in parents.items() if p is not None and p in frontier and k not in out]
        out.update(kids)
        frontier = kids
    return out


def emerging_clones(rising: dict[int, bool], parents: dict[int, int | None]) -> set[int]:
    """The rising clones none of whose descendants rise."""
    return {k for k, up in rising.items() if up and not any(rising.get(d, False) for d in descendants(parents, k))}
