"""Background error per locus and alt base, from control samples at the same loci.

Controls are samples that cannot carry the patient's mutations: the patient's own normal and
every sample of the other patients (unless that patient was called with the same mutation).
Rates are estimated in three levels: all loci together; each substitution class (C>A ... T>G,
the strand-collapsed six) shrunk towards that with a weight of CLASS_PSEUDO_ERRORS expected
errors, so a class with few control reads is not read as error-free; each locus shrunk towards
its class with a Beta prior whose strength is fitted by the method of moments across the
class' loci, never stronger than a Beta(1, .) (rates spread at least like an exponential), so a
noisy locus keeps its own rate. A floor keeps a locus from being treated as error-free.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ith.liquid.model import ErrorRates, Hyper

_COMPLEMENT = str.maketrans("ACGT", "TGCA")


def substitution_class(ref: pd.Series, alt: pd.Series) -> np.ndarray:
    """Pyrimidine-centred class of each SNV (G>A is C>T on the other strand)."""
    r = ref.astype(str).str.upper()
    a = alt.astype(str).str.upper()
    purine = r.isin(["A", "G"])
    r2 = r.where(~purine, r.str.translate(_COMPLEMENT))
    a2 = a.where(~purine, a.str.translate(_COMPLEMENT))
    return (r2 + ">" + a2).to_numpy()


# the class of loci whose substitution classes have too few control errors to be told apart
# (ith.liquid.null.detection_classes): drawn as the pooled level it is (model.Hyper.pooled)
POOLED = "pooled"
CLASS_PSEUDO_ERRORS = 2.0  # weight of the all-loci rate in a class' rate, in expected errors


@dataclass
class Background:
    error: np.ndarray  # (L,) posterior mean error rate of each locus' alt base
    alt: np.ndarray  # (L,) control alt fragments summed over usable controls
    depth: np.ndarray  # (L,) control fragments summed over usable controls
    class_rate: dict[str, float]
    class_strength: dict[str, float]  # Beta prior strength of the class' loci
    cls: np.ndarray  # (L,) substitution class
    floor: float

    def rates(self, per_locus: np.ndarray | None = None) -> ErrorRates:
        """Each locus' rate with its strength (control reads plus the prior's) and what a draw
        under their joint uncertainty needs. `per_locus` (L,) bool: the loci that keep their own
        rate; the others (default: none left out) are taken at their class' rate, known given
        the class in the fits (strength inf: binomial), while a draw (a Monte Carlo null) spreads
        them around their class by the prior alone (Beta of the class' strength; their own few
        control errors, which also chose them, left out), since their own rates may truly
        differ."""
        classes = sorted(self.class_rate)
        index = np.searchsorted(classes, self.cls) if len(self.cls) else np.zeros(0, dtype=int)
        k = np.array([self.class_strength[c] for c in self.cls], dtype=float)
        if per_locus is not None and not per_locus.all():
            at_class = ~per_locus
            rate = np.where(at_class, np.maximum(np.array([self.class_rate[c] for c in self.cls], dtype=float),
                                                 self.floor), self.error)
            strength = np.where(at_class, np.inf, self.depth + k)
            own_alt, own_depth = np.where(at_class, 0.0, self.alt), np.where(at_class, 0.0, self.depth)
        else:
            rate, strength, own_alt, own_depth = self.error, self.depth + k, self.alt, self.depth
        class_alt = np.array([self.alt[self.cls == c].sum() for c in classes], dtype=float)
        class_depth = np.array([self.depth[self.cls == c].sum() for c in classes], dtype=float)
        hyper = Hyper(class_alt, class_depth, float(self.alt.sum()), float(self.depth.sum()),
                      np.array([self.class_strength[c] for c in classes], dtype=float), self.floor,
                      CLASS_PSEUDO_ERRORS, np.array([c == POOLED for c in classes], dtype=bool))
        return ErrorRates(rate, strength, own_alt, own_depth, k, index, hyper)


MIN_SPREAD_ERRORS = 10  # control errors a class needs before its loci's spread is fitted


def _strength(rate_per_locus: np.ndarray, depth: np.ndarray, mu: float, errors: float = np.inf) -> float:
    """Beta prior strength k of a class' loci from the spread of their rates beyond binomial
    noise, at most 1 / mu: with few control reads per locus the spread hides under binomial
    noise, and pooling them fully would take a noisy locus for a clean one."""
    cap = 1.0 / max(mu, 1e-12)
    ok = depth > 0
    # with few errors the spread is binomial noise: one error among a class' loci reads as a
    # large excess variance, and the fit would call one locus noisy and the rest error-free,
    # a null that predicts no errors where the truth spreads them
    if ok.sum() < 3 or errors < MIN_SPREAD_ERRORS:
        return cap
    r, n = rate_per_locus[ok], depth[ok]
    tau2 = np.var(r) - np.mean(mu * (1 - mu) / n)
    if tau2 <= 0:
        return cap
    return float(np.clip(mu * (1 - mu) / tau2 - 1.0, 10.0, cap))


def fit_background(alt: np.ndarray, depth: np.ndarray, usable: np.ndarray, cls: np.ndarray, floor: float) -> Background:
    """alt, depth, usable: (L, J) control counts of each locus' alt base and the mask of the
    control entries that may be used."""
    a = np.where(usable, alt, 0).sum(axis=1).astype(float)
    n = np.where(usable, depth, 0).sum(axis=1).astype(float)
    mu_all = max((a.sum() + 0.5) / (n.sum() + 1.0), floor)
    pseudo = CLASS_PSEUDO_ERRORS / mu_all
    rates, strengths = {}, {}
    for c in sorted(set(cls.tolist())):
        m = cls == c
        mu = max((a[m].sum() + pseudo * mu_all) / (n[m].sum() + pseudo), floor)
        rates[c] = float(mu)
        strengths[c] = _strength(np.divide(a[m], n[m], out=np.zeros(int(m.sum())), where=n[m] > 0), n[m], mu,
                                 float(a[m].sum()))
    mu = np.array([rates[c] for c in cls])
    k = np.array([strengths[c] for c in cls])
    err = np.maximum((a + k * mu) / (n + k), floor)
    return Background(err, a, n, rates, strengths, cls, floor)
