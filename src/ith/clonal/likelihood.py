"""Read-count likelihood of each mutation x sample on a grid of cellular prevalences.

The genotype states (docs/methods/clonal.md): the mutation arose before the copy-number change on
j = 1..major_cn copies (variant cells carry C copies, j of them mutant), or, when C differs
from the normal copy number, after it on one copy. Normal cells and reference tumour cells
show the variant only at the error rate. With only a total copy number known, j runs 1..C.
States are equally likely a priori; the emission is binomial or beta-binomial.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from ith.clonal.data import ClonalData

MAX_STATES = 64


def ccf_grid(size: int) -> np.ndarray:
    """Cellular prevalences 0..1 inclusive, evenly spaced (PyClone-VI's grid)."""
    if size < 2:
        raise ValueError("the grid needs at least 2 points")
    return np.linspace(0.0, 1.0, size)


@nb.njit(cache=True, inline="always")
def _states(major, total, normal, err, cn_r, mu_v):
    """Fill the (reference-cell copies, variant allele fraction in variant cells) of each state."""
    s = 0
    top = major if major >= 0 else total
    for j in range(1, top + 1):
        if s >= MAX_STATES - 1:
            break
        cn_r[s] = normal
        mu_v[s] = min(1.0 - err, j / total)
        s += 1
    if total != normal:
        cn_r[s] = total
        mu_v[s] = min(1.0 - err, 1.0 / total)
        s += 1
    return s


@nb.njit(cache=True, inline="always")
def _log_emission(a, b, vaf, beta_binomial, precision, log_coef):
    if beta_binomial:
        al = vaf * precision
        be = (1.0 - vaf) * precision
        return (log_coef + math.lgamma(a + al) + math.lgamma(b + be) - math.lgamma(a + b + precision)
                + math.lgamma(precision) - math.lgamma(al) - math.lgamma(be))
    return log_coef + a * math.log(vaf) + b * math.log1p(-vaf)


@nb.njit(cache=True, inline="always")
def _vaf(t, phi, normal, cn_r, total, err, mu_v):
    num = (1.0 - t) * normal * err + t * (1.0 - phi) * cn_r * err + t * phi * total * mu_v
    den = (1.0 - t) * normal + t * (1.0 - phi) * cn_r + t * phi * total
    return num / den


@nb.njit(cache=True, inline="always")
def _state_vaf(s, s_n, phi, t, normal, total, err, cn_r, mu_v, clonal_cn):
    """Expected VAF of genotype state s at CCF phi and the state's log prior weight; NaN VAF
    when the state does not exist there.

    uniform (PyClone-VI): every state at every CCF, weight 1/S. clonal_cn: below CCF 1 only
    one copy, with the reference cells at C copies (counted as state 0, j = 1); at CCF 1 the
    distinct multiplicities j = 1..major (the "after" state repeats j = 1 there), summed, so a
    one-copy truncal mutation is not penalised against CCFs just below 1.
    """
    if not clonal_cn:
        return _vaf(t, phi, normal, cn_r[s], total, err, mu_v[s]), -math.log(s_n)
    if phi < 1.0:
        if s != 0:
            return np.nan, 0.0
        return _vaf(t, phi, normal, total, total, err, min(1.0 - err, 1.0 / total)), 0.0
    if s == s_n - 1 and total != normal:
        return np.nan, 0.0
    return _vaf(t, phi, normal, cn_r[s], total, err, mu_v[s]), 0.0


@nb.njit(parallel=True, cache=True)
def _loglik(ref, alt, major, total, normal, purity, error, observed, grid, beta_binomial, precision, clonal_cn,
            out):
    n_mut, n_smp = ref.shape
    n_grid = grid.shape[0]
    for n in nb.prange(n_mut):
        cn_r = np.empty(MAX_STATES, np.int64)
        mu_v = np.empty(MAX_STATES)
        for d in range(n_smp):
            base = d * n_grid
            if not observed[n, d]:
                for g in range(n_grid):
                    out[n, base + g] = 0.0
                continue
            a = float(alt[n, d])
            b = float(ref[n, d])
            err = error[n, d]
            t = purity[n, d]
            s_n = _states(major[n, d], total[n, d], normal[n, d], err, cn_r, mu_v)
            log_coef = math.lgamma(a + b + 1.0) - math.lgamma(a + 1.0) - math.lgamma(b + 1.0)
            for g in range(n_grid):
                best = -np.inf
                acc = 0.0
                # log-sum-exp over the states, one pass
                for s in range(s_n):
                    vaf, log_w = _state_vaf(s, s_n, grid[g], t, normal[n, d], total[n, d], err, cn_r, mu_v,
                                            clonal_cn)
                    if vaf != vaf:
                        continue
                    ll = _log_emission(a, b, vaf, beta_binomial, precision, log_coef) + log_w
                    if ll > best:
                        acc = acc * math.exp(best - ll) + 1.0
                        best = ll
                    else:
                        acc += math.exp(ll - best)
                out[n, base + g] = best + math.log(acc)


def log_likelihood(data: ClonalData, grid: np.ndarray, density: str = "binomial",
                   precision: float = 200.0, state_prior: str = "uniform") -> np.ndarray:
    """(N, D * G) log-likelihoods, sample-major along the second axis; unobserved entries are 0.

    state_prior "uniform" is PyClone-VI's: every genotype state equally likely at every CCF.
    "clonal_cn" uses that the copy number given is clonal: a mutation on more than one copy
    arose before the gain, hence before the last common ancestor, so below CCF 1 a mutation
    is on one copy and the non-mutant tumour cells carry the segment's C copies.
    """
    if state_prior not in ("uniform", "clonal_cn"):
        raise ValueError(f"state_prior must be uniform or clonal_cn, not {state_prior}")
    if density not in ("binomial", "beta-binomial"):
        raise ValueError(f"density must be binomial or beta-binomial, not {density}")
    if precision <= 0:
        raise ValueError("precision must be positive")
    out = np.empty((data.n_mutations, data.n_samples * grid.size))
    _loglik(data.ref, data.alt, data.major, data.total, data.normal, data.purity, data.error,
            data.observed, grid, density == "beta-binomial", float(precision), state_prior == "clonal_cn", out)
    return out


@nb.njit(cache=True)
def _state_posterior(ref, alt, major, total, normal, purity, error, observed, grid, weights,
                     beta_binomial, precision, clonal_cn, mult_out, prob_out):
    """Most probable multiplicity per mutation x sample, integrating the CCF over `weights`."""
    n_mut, n_smp = ref.shape
    n_grid = grid.shape[0]
    cn_r = np.empty(MAX_STATES, np.int64)
    mu_v = np.empty(MAX_STATES)
    post = np.empty(MAX_STATES)
    for n in range(n_mut):
        for d in range(n_smp):
            if not observed[n, d]:
                mult_out[n, d] = -1
                prob_out[n, d] = np.nan
                continue
            a = float(alt[n, d])
            b = float(ref[n, d])
            err = error[n, d]
            s_n = _states(major[n, d], total[n, d], normal[n, d], err, cn_r, mu_v)
            log_coef = math.lgamma(a + b + 1.0) - math.lgamma(a + 1.0) - math.lgamma(b + 1.0)
            # log sum_g w_g L_s(g) per state, stabilised by the largest term
            top = -np.inf
            for s in range(s_n):
                m = -np.inf
                acc = 0.0
                for g in range(n_grid):
                    w = weights[n, d * n_grid + g]
                    if w <= 0.0:
                        continue
                    vaf, log_w = _state_vaf(s, s_n, grid[g], purity[n, d], normal[n, d], total[n, d], err, cn_r,
                                            mu_v, clonal_cn)
                    if vaf != vaf:
                        continue
                    ll = _log_emission(a, b, vaf, beta_binomial, precision, log_coef) + log_w + math.log(w)
                    if ll > m:
                        acc = acc * math.exp(m - ll) + 1.0
                        m = ll
                    else:
                        acc += math.exp(ll - m)
                post[s] = m + math.log(acc) if acc > 0 else -np.inf
                if post[s] > top:
                    top = post[s]
            tot = 0.0
            for s in range(s_n):
                post[s] = math.exp(post[s] - top)
                tot += post[s]
            # the multiplicity: j copies for "before" states; the "after" state has one
            best_m = 0
            best_p = -1.0
            top_state = major[n, d] if major[n, d] >= 0 else total[n, d]
            for mult in range(1, max(top_state, 1) + 1):
                p = 0.0
                for s in range(s_n):
                    m_s = s + 1 if s < top_state else 1
                    if m_s == mult:
                        p += post[s]
                if p > best_p:
                    best_p = p
                    best_m = mult
            mult_out[n, d] = best_m
            prob_out[n, d] = best_p / tot


def multiplicity(data: ClonalData, grid: np.ndarray, weights: np.ndarray, density: str,
                 precision: float, state_prior: str = "uniform") -> tuple[np.ndarray, np.ndarray]:
    """Most probable number of mutant copies per variant cell and its posterior probability.

    `weights` (N, D * G) is the CCF distribution to integrate over (e.g. the mutation's
    posterior). Unobserved entries give multiplicity -1 and probability NaN.
    """
    mult = np.empty(data.ref.shape, np.int64)
    prob = np.empty(data.ref.shape)
    _state_posterior(data.ref, data.alt, data.major, data.total, data.normal, data.purity, data.error,
                     data.observed, grid, weights, density == "beta-binomial", float(precision),
                     state_prior == "clonal_cn", mult, prob)
    return mult, prob
