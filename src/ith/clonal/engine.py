"""One call from a PyClone-VI input to the best fit: grid likelihoods, then restarts of VI."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from ith.clonal.data import ClonalData
from ith.clonal.likelihood import ccf_grid, log_likelihood
from ith.clonal.vi import VIFit, VIOptions, fit

log = logging.getLogger(__name__)


@dataclass
class EngineOptions:
    density: str = "binomial"
    grid_size: int = 100
    precision: float = 200.0
    state_prior: str = "uniform"
    vi: VIOptions = field(default_factory=VIOptions)


@dataclass
class EngineResult:
    grid: np.ndarray
    loglik: np.ndarray  # (N, D * G)
    best: VIFit
    restarts: list[VIFit]


def run(data: ClonalData, opts: EngineOptions) -> EngineResult:
    grid = ccf_grid(opts.grid_size)
    n_missing = int((~data.observed).sum())
    log.info("%d mutations x %d samples; %d entries without data (flat likelihood); %s density%s, grid %d, "
             "%d clusters, %d restarts, seed %s, genotype states %s", data.n_mutations, data.n_samples, n_missing, opts.density,
             f" (precision {opts.precision:g})" if opts.density == "beta-binomial" else "", opts.grid_size,
             opts.vi.num_clusters, opts.vi.num_restarts, opts.vi.seed, opts.state_prior)
    L = log_likelihood(data, grid, opts.density, opts.precision, opts.state_prior)
    best, fits = fit(L, data.n_samples, grid, opts.vi)
    log.info("best restart %d: ELBO %.4f, %d clusters used", best.restart, best.elbo,
             np.unique(best.resp.argmax(axis=1)).size)
    return EngineResult(grid=grid, loglik=L, best=best, restarts=fits)
