"""The read model of tumour-informed ctDNA analysis and the one-parameter fits built on it.

A plasma sample holds a fraction `tf` of tumour cells' DNA (genome equivalents). At a mutation
with multiplicity m on a tumour copy number CN (normal copy number N), carried by a fraction c
of the tumour cells (its CCF in plasma), the fraction of fragments that carry the allele is

    v = tf m c / (tf CN + N (1 - tf))

(the WISP correction for copy number), and a fragment reads as the allele with probability
q = v (1 - e) + (1 - v) e for the locus' background error e (INVAR). Counts are binomial.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import optimize, special, stats

CI_DROP = stats.chi2.ppf(0.95, 1) / 2  # log-likelihood drop of a 95% profile interval


def mutant_fraction(tf: float, ccf: np.ndarray, mult: np.ndarray, cn: np.ndarray, normal_cn: np.ndarray,
                    coverage: float = 1.0) -> np.ndarray:
    """`coverage`: how likely a tumour genome copy is to be read at a locus relative to a normal
    one (coverage_ratio), so that tf counts genome copies, not fragments."""
    t = tf * coverage
    den = t * cn + normal_cn * (1.0 - tf)
    return np.where(den > 0, t * mult * ccf / np.where(den > 0, den, 1.0), 0.0)


def coverage_ratio(mutant_lengths: np.ndarray, wildtype_hist: np.ndarray, max_covered: float,
                   min_fragments: int = 50, background: float = 0.0, max_length: int = 1000) -> float:
    """How likely a tumour genome copy is to be read at a locus over a normal copy, from the
    lengths of the fragments seen at the loci.

    A plasma genome copy is there whole, cut into fragments that tile it: a locus lies inside
    exactly one fragment of each copy, whatever their lengths (shorter fragments are more
    numerous, not fewer bases), and the fragment of length L is read there with probability
    c(L) / L, c(L) = min(L, max_covered) the bases its two reads cover. A copy is read at a
    locus with probability E[c] / E[L] over its fragments, and the fragments seen there come in
    proportion to c(L) f(L), so the mean of L / c over them is E[L] / E[c]: the ratio is that
    mean over the reference fragments over the same mean over the tumour-allele ones. It is 1
    while the fragments are shorter than the two reads, whatever their lengths; below 1 when
    more tumour fragments than normal ones are longer than that. `background`: how many of the
    allele's fragments are expected to be errors on normal fragments, taken out of the mean.
    1 with too few tumour fragments."""
    mut = np.asarray(mutant_lengths, dtype=float)
    mut = mut[(mut > 0) & (mut <= max_length)]
    lengths = np.arange(len(wildtype_hist), dtype=float)
    w = np.asarray(wildtype_hist, dtype=float) * (lengths > 0) * (lengths <= max_length)
    tumour = len(mut) - background
    if tumour < min_fragments or w.sum() < min_fragments:
        return 1.0
    spread_n = float((w * np.maximum(lengths / max_covered, 1.0)).sum() / w.sum())
    spread_t = (float(np.sum(np.maximum(mut / max_covered, 1.0))) - background * spread_n) / tumour
    return float(np.clip(spread_n / spread_t, 0.5, 1.5)) if spread_t > 0 else 1.0


@dataclass
class Hyper:
    """What the locus rates were shrunk towards: the classes' and all loci's control counts."""

    class_alt: np.ndarray
    class_depth: np.ndarray
    all_alt: float
    all_depth: float
    class_strength: np.ndarray  # Beta prior strength of each class' loci
    floor: float
    pseudo_errors: float = 2.0  # weight of the all-loci rate in a class' rate (background.CLASS_PSEUDO_ERRORS)
    # classes that pool several substitution classes (background.POOLED): already the pooled
    # level, drawn from their own counts under the flat prior, not shrunk towards all loci again
    pooled: np.ndarray | None = None


@dataclass
class ErrorRates:
    """Each locus' background error rate and how sure it is: the rate is a Beta posterior mean
    worth `strength` reads (control reads plus the prior's; inf: known exactly). With the
    control counts behind it, rates can be drawn under their joint uncertainty (draw)."""

    rate: np.ndarray
    strength: np.ndarray
    control_alt: np.ndarray | None = None
    control_depth: np.ndarray | None = None
    prior_strength: np.ndarray | None = None
    class_index: np.ndarray | None = None
    hyper: Hyper | None = None

    def __getitem__(self, m) -> "ErrorRates":
        def sub(a):
            return None if a is None else a[m]
        return ErrorRates(self.rate[m], self.strength[m], sub(self.control_alt), sub(self.control_depth),
                          sub(self.prior_strength), sub(self.class_index), self.hyper)

    def __len__(self) -> int:
        return len(self.rate)

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """(size, L) rates drawn from their posterior, top down: the all-loci rate, each class'
        around it, each locus' around its class. The upper levels' errors are shared by many
        loci, so they move a sample's total error count, which per-locus draws around fixed
        class rates would miss."""
        if self.hyper is None:
            s = np.where(np.isfinite(self.strength), self.strength, 1e12)
            return rng.beta(np.maximum(self.rate * s, 1e-9), np.maximum((1 - self.rate) * s, 1e-9),
                            size=(size, len(self.rate)))
        h = self.hyper
        mu = self.draw_classes(rng, size)
        k = self.prior_strength
        a = np.maximum(self.control_alt + k * mu, 1e-9)
        b = np.maximum(self.control_depth - self.control_alt + k * (1 - mu), 1e-9)
        return np.maximum(rng.beta(a, b), h.floor)


    def draw_classes(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """(size, L) each locus at its class' rate, drawn from the posterior top down (all loci,
        then the class): the part of the background many loci share, which no locus' own
        beta-binomial spread holds."""
        h = self.hyper
        # the flat prior's posterior, not Jeffreys' (alt + 1/2): a plasma's pooled error count
        # drawn from it is then the exact conditional test against the controls' count
        # (binomial given their sum), which holds its level whatever the true rate; Jeffreys'
        # under-predicts a deep plasma's errors after a normal that saw 0 or 1
        mu_all = rng.gamma(h.all_alt + 1.0, 1.0 / max(h.all_depth, 1.0), size=(size, 1))
        mu_all = np.maximum(mu_all, h.floor)
        pseudo = h.pseudo_errors / mu_all
        mu_c = rng.gamma(h.class_alt[None, :] + pseudo * mu_all, 1.0 / (h.class_depth[None, :] + pseudo))
        if h.pooled is not None and h.pooled.any():
            flat = rng.gamma(h.class_alt + 1.0, 1.0 / np.maximum(h.class_depth, 1.0), size=(size, len(h.class_alt)))
            mu_c = np.where(h.pooled[None, :], flat, mu_c)
        return np.clip(mu_c, h.floor, 0.5)[:, self.class_index]


def as_rates(err: "ErrorRates | np.ndarray") -> ErrorRates:
    if isinstance(err, ErrorRates):
        return err
    err = np.asarray(err, dtype=float)
    return ErrorRates(err, np.full(err.shape, np.inf))


def read_prob(v: np.ndarray, err: "ErrorRates | np.ndarray") -> np.ndarray:
    e = err.rate if isinstance(err, ErrorRates) else err
    return np.clip(v * (1.0 - e) + (1.0 - v) * e, 1e-12, 1.0 - 1e-12)


def log_lik(alt: np.ndarray, depth: np.ndarray, q: np.ndarray, err: "ErrorRates | None" = None) -> float:
    """Log likelihood of the alt counts without the constant binomial coefficient: binomial, or
    where the background rate is uncertain beta-binomial, with the spread of q that the rate's
    Beta posterior gives (a deep plasma sample would otherwise read the error of a background
    learned from fewer control reads as signal)."""
    return float(log_lik_rows(alt, depth, q, err))


def log_lik_rows(alt: np.ndarray, depth: np.ndarray, q: np.ndarray, err: "ErrorRates | None" = None) -> np.ndarray:
    """log_lik summed over the last axis: alt may be (B, L) for B count vectors at once."""
    binom = alt * np.log(q) + (depth - alt) * np.log1p(-q)
    if err is None or not np.isfinite(err.strength).any():
        return binom.sum(axis=-1)
    e = np.clip(err.rate, 1e-12, 1 - 1e-12)
    finite = np.isfinite(err.strength)
    # Var(q) = Var(e) = e (1 - e) / (s + 1) matched by Beta(q s', (1 - q) s')
    s2 = np.maximum(q * (1 - q) * (np.where(finite, err.strength, 1.0) + 1.0) / (e * (1 - e)) - 1.0, 1e-3)
    a, b = q * s2, (1 - q) * s2
    bb = special.betaln(alt + a, depth - alt + b) - special.betaln(a, b)
    return np.where(finite, bb, binom).sum(axis=-1)


def pearson_dispersion(alt: np.ndarray, depth: np.ndarray, q: np.ndarray, err: "ErrorRates | None" = None,
                       n_fitted: int = 1) -> float:
    """Pearson chi-square of the counts around their fitted probabilities q over its degrees of
    freedom: how much more the loci scatter than the model (binomial, or beta-binomial where the
    background rate is uncertain, as log_lik_rows) allows. nan without degrees of freedom."""
    m = depth > 0
    dof = int(m.sum()) - n_fitted
    if dof < 1:
        return float("nan")
    a, d, qq = alt[m].astype(float), depth[m].astype(float), q[m]
    var = d * qq * (1 - qq)
    if err is not None and np.isfinite(err.strength).any():
        e = np.clip(err.rate[m], 1e-12, 1 - 1e-12)
        finite = np.isfinite(err.strength[m])
        s2 = np.maximum(qq * (1 - qq) * (np.where(finite, err.strength[m], 1.0) + 1.0) / (e * (1 - e)) - 1.0, 1e-3)
        var = var * np.where(finite, 1.0 + (d - 1.0) / (s2 + 1.0), 1.0)
    return float(((a - d * qq) ** 2 / np.maximum(var, 1e-12)).sum() / dof)


def maximise(ll: Callable[[float], float], lo: float, hi: float, n_grid: int = 60) -> tuple[float, float]:
    """Maximiser and maximum of a one-dimensional log likelihood on [lo, hi]: a grid (dense
    near lo, where ctDNA levels live) then a bounded Brent refinement around the best point."""
    grid = np.unique(np.concatenate([[lo, hi], lo + (hi - lo) * np.geomspace(1e-5, 1.0, n_grid)]))
    vals = np.array([ll(float(x)) for x in grid])
    i = int(np.argmax(vals))
    a, b = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    best_x, best = float(grid[i]), float(vals[i])
    if b > a:
        res = optimize.minimize_scalar(lambda x: -ll(float(x)), bounds=(a, b), method="bounded",
                                       options={"xatol": 1e-7 * max(hi - lo, 1e-12)})
        if -res.fun > best:
            best_x, best = float(res.x), float(-res.fun)
    return best_x, best


def profile_interval(ll: Callable[[float], float], x_hat: float, ll_max: float, lo: float, hi: float,
                     drop: float = CI_DROP) -> tuple[float, float]:
    """The 95% likelihood interval: where the log likelihood falls `drop` below its maximum."""
    def f(x: float) -> float:
        return ll(x) - (ll_max - drop)

    low = lo if f(lo) >= 0 else optimize.brentq(f, lo, x_hat, xtol=1e-9) if x_hat > lo else lo
    high = hi if f(hi) >= 0 else optimize.brentq(f, x_hat, hi, xtol=1e-9) if x_hat < hi else hi
    return float(low), float(high)


def boundary_pvalue(llr: np.ndarray | float, dispersion: float = 1.0) -> np.ndarray:
    """P-value of a likelihood-ratio statistic 2 (l(hat) - l(0)) for a parameter on the boundary
    under the null: half chi-square(0), half chi-square(1); `dispersion` >= 1 widens the null
    for loci noisier than binomial."""
    llr = np.maximum(np.asarray(llr, dtype=float) / max(dispersion, 1.0), 0.0)
    return np.where(llr > 0, 0.5 * stats.chi2.sf(llr, 1), 1.0)


@dataclass
class LengthWeights:
    """How much likelier a fragment of each length is to come from the tumour: w(L) =
    f_tumour(L) / f_normal(L), and f_normal to draw error fragments' lengths from."""

    w: np.ndarray  # (MAX+1,) by length
    normal: np.ndarray  # (MAX+1,) probabilities

    def of(self, lengths: np.ndarray) -> np.ndarray:
        lengths = np.clip(np.asarray(lengths, dtype=np.int64), 0, len(self.w) - 1)
        return self.w[lengths]

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Weights of n fragments whose lengths follow the normal profile."""
        return self.w[rng.choice(len(self.normal), size=n, p=self.normal)]


def _smoothed(hist: np.ndarray, bandwidth: float) -> np.ndarray:
    x = np.arange(-int(4 * bandwidth), int(4 * bandwidth) + 1)
    kernel = np.exp(-0.5 * (x / bandwidth) ** 2)
    out = np.convolve(hist.astype(float), kernel / kernel.sum(), mode="same")
    return out / out.sum()


def length_weights(tumour_lengths: np.ndarray, normal_hist: np.ndarray, max_length: int = 1000,
                   bandwidth: float = 5.0, min_fragments: int = 200) -> "LengthWeights | None":
    """Length weights from the lengths of tumour-allele fragments (learned elsewhere than in the
    sample tested) and a reference-fragment histogram, both smoothed with a Gaussian kernel and
    mixed with 5% of the other so that no length is impossible under either. None with fewer
    than `min_fragments` tumour fragments."""
    t = np.asarray(tumour_lengths, dtype=np.int64)
    t = t[(t > 0) & (t <= max_length)]
    n = np.zeros(max_length + 1)
    h = np.asarray(normal_hist, dtype=float)[: max_length + 1]
    n[: len(h)] = h
    n[0] = 0.0
    if len(t) < min_fragments or n.sum() < min_fragments:
        return None
    f_t = _smoothed(np.bincount(t, minlength=max_length + 1).astype(float), bandwidth)
    f_n = _smoothed(n, bandwidth)
    f_t, f_n = 0.95 * f_t + 0.05 * f_n, 0.95 * f_n + 0.05 * f_t
    ratio = np.divide(f_t, f_n, out=np.ones_like(f_t), where=f_n > 0)  # lengths neither shows: neutral
    return LengthWeights(np.clip(ratio, 0.05, 20.0), f_n / f_n.sum())


def fragment_log_lik(v: np.ndarray, err: np.ndarray, q: np.ndarray, locus: np.ndarray, weight: np.ndarray) -> float:
    """Log likelihood of the tumour-allele fragments' lengths (relative to all of them being
    errors on normal fragments): each is tumour-derived with probability v (1 - e) / q at its
    locus, an error otherwise."""
    if len(locus) == 0:
        return 0.0
    pi = v * (1.0 - err) / q
    p = pi[locus]
    return float(np.log(p * weight + 1.0 - p).sum())
