"""Background error per locus and alt base, from control samples at the same loci.

Controls are samples that cannot carry the patient's mutations: the patient's own normal and
every sample of the other patients (unless that patient was called with the same mutation).
Each locus' rate is shrunk towards the pooled rate of its substitution class (C>A ... T>G, the
strand-collapsed six) with a prior strength fitted by the method of moments across loci, so a
locus with few control reads borrows from its class and a noisy locus keeps its own rate. A
floor keeps a locus with no control errors from being treated as error-free.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ith.liquid.model import ErrorRates

_COMPLEMENT = str.maketrans("ACGT", "TGCA")
MAX_PRIOR_STRENGTH = 1e7


def substitution_class(ref: pd.Series, alt: pd.Series) -> np.ndarray:
    """Pyrimidine-centred class of each SNV (G>A is C>T on the other strand)."""
    r = ref.astype(str).str.upper()
    a = alt.astype(str).str.upper()
    purine = r.isin(["A", "G"])
    r2 = r.where(~purine, r.str.translate(_COMPLEMENT))
    a2 = a.where(~purine, a.str.translate(_COMPLEMENT))
    return (r2 + ">" + a2).to_numpy()


@dataclass
class Background:
    error: np.ndarray  # (L,) posterior mean error rate of each locus' alt base
    alt: np.ndarray  # (L,) control alt fragments summed over usable controls
    depth: np.ndarray  # (L,) control fragments summed over usable controls
    class_rate: dict[str, float]
    class_strength: dict[str, float]
    cls: np.ndarray  # (L,) substitution class
    floor: float

    def _prior(self) -> tuple[np.ndarray, np.ndarray]:
        return (np.array([self.class_rate[c] for c in self.cls]),
                np.array([self.class_strength[c] for c in self.cls]))

    def rates(self) -> ErrorRates:
        """Each locus' rate with its strength (control reads plus the prior's)."""
        _, k = self._prior()
        return ErrorRates(self.error, self.depth + k)

    def leave_out(self, alt: np.ndarray, depth: np.ndarray) -> ErrorRates:
        """Error rates without one control's counts (alt, depth: that control's usable counts):
        a control scored against a background it helped make would look too clean."""
        mu, k = self._prior()
        n = self.depth - depth + k
        return ErrorRates(np.maximum((self.alt - alt + k * mu) / n, self.floor), n)


def _strength(rate_per_locus: np.ndarray, depth: np.ndarray, mu: float) -> float:
    """Beta prior strength k from the spread of locus rates beyond their binomial noise."""
    ok = depth > 0
    if ok.sum() < 3 or mu <= 0:
        return MAX_PRIOR_STRENGTH
    r, n = rate_per_locus[ok], depth[ok]
    binom = np.mean(mu * (1 - mu) / n)
    tau2 = np.var(r) - binom
    if tau2 <= 0:
        return MAX_PRIOR_STRENGTH
    return float(np.clip(mu * (1 - mu) / tau2 - 1.0, 10.0, MAX_PRIOR_STRENGTH))


def fit_background(alt: np.ndarray, depth: np.ndarray, usable: np.ndarray, cls: np.ndarray, floor: float) -> Background:
    """alt, depth, usable: (L, J) control counts of each locus' alt base and the mask of the
    control entries that may be used."""
    a = np.where(usable, alt, 0).sum(axis=1).astype(float)
    n = np.where(usable, depth, 0).sum(axis=1).astype(float)
    rates, strengths = {}, {}
    for c in sorted(set(cls.tolist())):
        m = cls == c
        mu = a[m].sum() / n[m].sum() if n[m].sum() > 0 else floor
        mu = max(mu, floor)
        rates[c] = float(mu)
        strengths[c] = _strength(np.divide(a[m], n[m], out=np.zeros(int(m.sum())), where=n[m] > 0), n[m], mu)
    mu = np.array([rates[c] for c in cls])
    k = np.array([strengths[c] for c in cls])
    err = np.maximum((a + k * mu) / (n + k), floor)
    return Background(err, a, n, rates, strengths, cls, floor)
