"""Mean-field variational inference for the PyClone-VI mixture, with restarts.

Model: mixture weights pi ~ Dirichlet(alpha0) over K clusters; each mutation n belongs to
cluster z_n ~ pi; each cluster k has, per sample d, a cellular prevalence on a grid of G
points with a uniform prior; the read counts of (n, d) have the grid likelihood L[n, d, g].
Approximation: q(pi) Dirichlet, q(z_n) categorical, q(theta_kd) categorical over the grid.

Every coordinate update is exact; the two (N x DG) x (DG x K) products are BLAS matrix
products over all mutations and samples at once. Clusters that hold no mutations keep the
uniform prior, so their products reduce to one precomputed column (exact, and most of K
is empty once the fit settles). Restarts are independent given their seeds and run on a
thread pool with one BLAS thread each, so the result does not depend on the thread count.
"""

from __future__ import annotations

import logging
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln, logsumexp, xlogy
from threadpoolctl import threadpool_limits

log = logging.getLogger(__name__)

# a cluster with less total assignment weight than this is treated as empty (uniform theta)
EMPTY_WEIGHT = 1e-8


@dataclass
class VIOptions:
    num_clusters: int = 10
    mix_weight_prior: float = 1.0
    max_iters: int = 10000
    convergence_threshold: float = 1e-6
    num_restarts: int = 1
    num_annealing_steps: int | None = None
    annealing_power: float = 1.0
    seed: int | None = None
    threads: int = 1
    merge_moves: bool = True  # False = plain coordinate ascent (for comparison)


@dataclass
class VIFit:
    elbo: float
    resp: np.ndarray       # (N, K) q(z)
    alpha: np.ndarray      # (K,) q(pi) Dirichlet parameters
    log_theta: np.ndarray  # (K, D, G) log q(theta)
    iterations: int
    converged: bool
    restart: int


def _softmax_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise softmax and its log."""
    lx = x - logsumexp(x, axis=1, keepdims=True)
    return np.exp(lx), lx


def _ccf_means(L: np.ndarray, n_samples: int, grid: np.ndarray) -> np.ndarray:
    """Each mutation's posterior mean CCF per sample under a flat prior, (N, D), in blocks."""
    n = L.shape[0]
    out = np.empty((n, n_samples))
    step = max(1, 2_000_000 // L.shape[1])
    for i in range(0, n, step):
        L3 = L[i:i + step].reshape(-1, n_samples, grid.size)
        p = np.exp(L3 - L3.max(axis=2, keepdims=True))
        out[i:i + step] = (p @ grid) / p.sum(axis=2)
    return out


def _seed_clusters(L: np.ndarray, means: np.ndarray, n_samples: int, grid: np.ndarray, k: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Initial log q(theta): the CCF posteriors of k mutations picked k-means++ style.

    Seeds spread over the CCF space converge faster and to better optima than random
    responsibilities, and differ between restarts through the random picks.
    """
    n = L.shape[0]
    g = grid.size
    picks = [int(rng.integers(n))]
    dist = ((means - means[picks[0]]) ** 2).sum(axis=1)
    for _ in range(1, k):
        total = dist.sum()
        nxt = int(rng.choice(n, p=dist / total)) if total > 0 else int(rng.integers(n))
        picks.append(nxt)
        dist = np.minimum(dist, ((means - means[nxt]) ** 2).sum(axis=1))
    L3 = L[picks].reshape(k, n_samples, g)
    post = np.exp(L3 - logsumexp(L3, axis=2, keepdims=True))
    return np.log(0.9 * post + 0.1 / g)


def _elbo(theta: np.ndarray, log_theta: np.ndarray, T: np.ndarray, resp: np.ndarray,
          alpha: np.ndarray, alpha0: float, log_prior: float) -> float:
    k = alpha.size
    e_log_pi = digamma(alpha) - digamma(alpha.sum())
    data = float(np.sum(theta.reshape(k, -1) * T))
    z = float(resp.sum(axis=0) @ e_log_pi) - float(np.sum(xlogy(resp, resp)))
    dirichlet = (gammaln(k * alpha0) - k * gammaln(alpha0) + (alpha0 - 1.0) * e_log_pi.sum()
                 - gammaln(alpha.sum()) + gammaln(alpha).sum() - ((alpha - 1.0) * e_log_pi).sum())
    grid_kl = float(np.sum(theta * (log_prior - log_theta)))
    return data + z + float(dirichlet) + grid_kl


@dataclass
class _State:
    resp: np.ndarray
    T: np.ndarray          # (K, DG) = resp.T @ L
    alpha: np.ndarray
    log_theta: np.ndarray
    theta: np.ndarray
    elbo: float = -np.inf


class _Problem:
    """The data and settings one restart works on."""

    def __init__(self, L: np.ndarray, n_samples: int, grid: np.ndarray, opts: VIOptions):
        self.L = L
        self.n, self.dg = L.shape
        self.d = n_samples
        self.g = grid.size
        self.k = opts.num_clusters
        self.alpha0 = opts.mix_weight_prior
        self.log_prior = -math.log(self.g)
        # the data term of an empty cluster: its theta is the uniform prior
        self.uniform_score = L.reshape(self.n, self.d, self.g).mean(axis=2).sum(axis=1)
        self.means = _ccf_means(L, n_samples, grid)

    def theta_from(self, T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        log_theta = T.reshape(-1, self.d, self.g) + self.log_prior
        log_theta -= logsumexp(log_theta, axis=2, keepdims=True)
        return log_theta, np.exp(log_theta)

    def elbo(self, st: _State) -> float:
        return _elbo(st.theta, st.log_theta, st.T, st.resp, st.alpha, self.alpha0, self.log_prior)


def _iterate(pb: _Problem, st: _State, Lb: np.ndarray, beta: float, opts: VIOptions) -> tuple[int, bool]:
    """Coordinate ascent to convergence: q(z), then q(pi) and q(theta)."""
    prev = st.elbo
    active = st.resp.sum(axis=0) > EMPTY_WEIGHT if np.isfinite(prev) else np.ones(pb.k, bool)
    for it in range(1, opts.max_iters + 1):
        e_log_pi = digamma(st.alpha) - digamma(st.alpha.sum())
        S = np.empty((pb.n, pb.k))
        S[:, ~active] = (beta * pb.uniform_score)[:, None]
        S[:, active] = Lb @ st.theta[active].reshape(int(active.sum()), pb.dg).T
        st.resp, _ = _softmax_rows(S + e_log_pi)
        weight = st.resp.sum(axis=0)
        st.alpha = pb.alpha0 + weight
        active = weight > EMPTY_WEIGHT
        st.T = np.zeros((pb.k, pb.dg))
        st.T[active] = st.resp[:, active].T @ Lb
        st.log_theta, st.theta = pb.theta_from(st.T)
        st.elbo = pb.elbo(st)
        if abs(st.elbo - prev) <= opts.convergence_threshold * abs(st.elbo):
            return it, True
        prev = st.elbo
    return opts.max_iters, False


def _merge_pass(pb: _Problem, st: _State) -> int:
    """Merge pairs of clusters whenever that raises the ELBO; return how many were merged.

    Mean-field VI for mixtures stalls with one cluster's mutations shared between several
    near-identical clusters (a fixed point of the updates, not an optimum). Merging is cheap
    to score because T is linear in the responsibilities.
    """
    weight = st.resp.sum(axis=0)
    live = [int(k) for k in np.flatnonzero(weight > 0.5)]
    mean = st.theta.reshape(pb.k, pb.d, pb.g)
    # candidates: most similar pairs first (Hellinger affinity of their CCF posteriors)
    pairs = []
    for x in range(len(live)):
        for y in range(x + 1, len(live)):
            a, b = live[x], live[y]
            aff = float(np.sqrt(mean[a] * mean[b]).sum(axis=1).min())
            pairs.append((-aff, a, b))
    pairs.sort()
    merged = 0
    gone: set[int] = set()
    for _, a, b in pairs:
        if a in gone or b in gone:
            continue
        resp = st.resp.copy()
        resp[:, a] += resp[:, b]
        resp[:, b] = 0.0
        T = st.T.copy()
        T[a] += T[b]
        T[b] = 0.0
        log_theta, theta = pb.theta_from(T)
        trial = _State(resp=resp, T=T, alpha=pb.alpha0 + resp.sum(axis=0), log_theta=log_theta, theta=theta)
        trial.elbo = pb.elbo(trial)
        if trial.elbo > st.elbo:
            st.resp, st.T, st.alpha, st.log_theta, st.theta, st.elbo = (
                trial.resp, trial.T, trial.alpha, trial.log_theta, trial.theta, trial.elbo)
            gone.add(b)
            merged += 1
    return merged


def _fit_once(pb: "_Problem", grid: np.ndarray, opts: VIOptions, restart: int,
              seed: np.random.SeedSequence) -> VIFit:
    rng = np.random.default_rng(seed)
    log_theta = _seed_clusters(pb.L, pb.means, pb.d, grid, pb.k, rng)
    st = _State(resp=np.full((pb.n, pb.k), 1.0 / pb.k), T=np.zeros((pb.k, pb.dg)),
                alpha=np.full(pb.k, pb.alpha0 + pb.n / pb.k), log_theta=log_theta, theta=np.exp(log_theta))
    steps = opts.num_annealing_steps or 1
    ladder = [((i + 1) / steps) ** opts.annealing_power for i in range(steps)] if steps > 1 else [1.0]
    iters = 0
    converged = False
    for beta in ladder:
        Lb = pb.L if beta == 1.0 else beta * pb.L
        st.elbo = -np.inf
        used, converged = _iterate(pb, st, Lb, beta, opts)
        iters += used
    # merge moves on the untempered objective until none helps
    while opts.merge_moves and converged and _merge_pass(pb, st):
        used, converged = _iterate(pb, st, pb.L, 1.0, opts)
        iters += used
    return VIFit(elbo=st.elbo, resp=st.resp, alpha=st.alpha, log_theta=st.log_theta, iterations=iters,
                 converged=converged, restart=restart)


def fit(L: np.ndarray, n_samples: int, grid: np.ndarray, opts: VIOptions) -> tuple[VIFit, list[VIFit]]:
    """Run all restarts; return the one with the highest ELBO (ties: the lowest restart) and all."""
    if opts.num_clusters < 1 or opts.num_restarts < 1:
        raise ValueError("num_clusters and num_restarts must be >= 1")
    seeds = np.random.SeedSequence(opts.seed).spawn(opts.num_restarts)
    workers = max(1, min(opts.threads, opts.num_restarts))
    pb = _Problem(L, n_samples, grid, opts)
    with threadpool_limits(limits=1):
        if workers == 1:
            fits = [_fit_once(pb, grid, opts, i, s) for i, s in enumerate(seeds)]
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                fits = list(pool.map(lambda a: _fit_once(pb, grid, opts, *a), enumerate(seeds)))
    for f in fits:
        log.info("restart %d: ELBO %.4f after %d iterations%s", f.restart, f.elbo, f.iterations,
                 "" if f.converged else " (not converged: max_iters reached)")
    best = max(fits, key=lambda f: (f.elbo, -f.restart))
    return best, fits
