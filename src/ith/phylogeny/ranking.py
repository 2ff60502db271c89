"""Clone trees of one patient ranked by the likelihood of the read counts: the search, the
best tree's fitted frequencies, edge support, and the clusters that fit nowhere cheaply.

Every ranked tree holds every cluster. A cluster whose place costs much (its frequencies, or its
relatives', pulled far from what its reads say) is flagged with the samples and sizes of the
violation, and the best tree without it is listed beside the answer, never instead of it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
from scipy.stats import chi2

from ith.params import from_section
from ith.phylogeny.fit import ROOT, UNPLACED, TreeFitter
from ith.phylogeny.reads import ClusterReads
from ith.phylogeny.treesearch import SearchOutcome, SearchParams, edge_support, search, tree_weights

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PhylogenyParams:
    """The config's `phylogeny` section (config/schemas/config.schema.yaml), same names and defaults."""
    density: str = "beta-binomial"  # or binomial; the beta-binomial is moment-matched (reads.py)
    precision: float = 200.0  # beta-binomial precision
    error: float = 0.001  # sequencing error rate in the variant-read probability
    one_founder: bool = True
    max_trees: int = 20
    pool: int = 200
    window: float = 30.0
    max_fits: int = 10000
    beam_width: int = 20
    restarts: int = 1
    seed: int = 1
    flag_p: float = 0.001
    flag_min_excess: float = 0.05
    presence: str = "cluster"

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> "PhylogenyParams":
        """From the validated `phylogeny` section (every key present)."""
        return from_section(cls, section, "phylogeny")

    @property
    def overdispersion(self) -> float | None:
        return self.precision if self.density == "beta-binomial" else None

    def search_params(self) -> SearchParams:
        return SearchParams(one_founder=self.one_founder, max_trees=self.max_trees, pool=self.pool,
                            window=self.window, max_fits=self.max_fits, beam_width=self.beam_width,
                            restarts=self.restarts, seed=self.seed)


@dataclass
class TreeResult:
    reads: ClusterReads
    outcome: SearchOutcome
    phi: np.ndarray | None  # (S, K) the best tree's fitted frequencies
    sample_cost: np.ndarray | None  # (S,) the best tree's cost per sample
    support: list[dict] = field(default_factory=list)
    flagged: list[dict] = field(default_factory=list)

    @property
    def best(self) -> np.ndarray | None:
        return np.array(self.outcome.trees[0][0], dtype=np.int64) if self.outcome.trees else None

    @property
    def weights(self) -> np.ndarray:
        return tree_weights(np.array([c for _, c in self.outcome.trees]))


def own_fractions(phi: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """(S, K) each clone's frequency minus its children's: the cells that are its own."""
    own = phi.copy()
    for k, p in enumerate(parents):
        if p >= 0:
            own[:, p] -= phi[:, k]
    return np.maximum(own, 0.0)


def sum_rule_excess(freq: np.ndarray, parents: np.ndarray, k: int) -> np.ndarray:
    """(S,) by how much the free-fit frequencies break the sum rule where cluster k takes part:
    its children's sum above it, or it and its siblings above their parent (1 for founders)."""
    parents = np.asarray(parents)
    kids = np.flatnonzero(parents == k)
    below = freq[:, kids].sum(axis=1) - freq[:, k]
    sibs = np.flatnonzero(parents == parents[k])
    cap = np.ones(freq.shape[0]) if parents[k] == ROOT else freq[:, parents[k]]
    above = freq[:, sibs].sum(axis=1) - cap
    return np.maximum(np.maximum(below, above), 0.0)


def without(parents: np.ndarray, k: int) -> np.ndarray:
    """The tree with cluster k taken out (left free) and its children hung on its parent."""
    out = np.asarray(parents, dtype=np.int64).copy()
    out[out == k] = out[k]
    out[k] = UNPLACED
    return out


def flag_clusters(fitter: TreeFitter, parents: np.ndarray, sample_cost: np.ndarray, p: float,
                  min_excess: float) -> list[dict]:
    """Clusters whose place in the tree costs more than chance allows: in some sample, the
    likelihood ratio of the tree against the same tree with the cluster left free is beyond the
    chi-square (1 df) quantile of p / samples (a Bonferroni bound over samples) and the free
    frequencies break the sum rule around it by at least `min_excess` (deep samples make a
    break of a percent significant; it is read noise or copy number, not a misplaced clone)."""
    r = fitter.reads
    n_s = len(r.samples)
    if n_s == 0 or len(parents) < 2:
        return []
    limit = 0.5 * float(chi2.isf(p / n_s, 1))
    out = []
    for k in range(len(parents)):
        alt = without(parents, k)
        _, cost_alt = fitter.fit(alt)
        gain = sample_cost - cost_alt
        excess = sum_rule_excess(r.mle, parents, k)
        bad = np.flatnonzero((gain > limit) & (excess >= min_excess))
        if not bad.size:
            continue
        alt_parents = {str(int(r.clusters[c])): (None if q == ROOT else int(r.clusters[q]))
                       for c, q in enumerate(alt) if q != UNPLACED}
        out.append({
            "cluster": int(r.clusters[k]),
            "samples": [r.samples[s] for s in bad],
            "violation": {r.samples[s]: round(float(excess[s]), 4) for s in bad},
            "cost": round(float(gain.sum()), 3),
            "cost_by_sample": {r.samples[s]: round(float(gain[s]), 3) for s in bad},
            "without": {"parents": alt_parents, "cost": round(float(cost_alt.sum()), 3)},
        })
    return out


def build(reads: ClusterReads, params: PhylogenyParams) -> TreeResult:
    fitter = TreeFitter(reads)
    outcome = search(fitter, params.search_params())
    if not outcome.trees:
        return TreeResult(reads, outcome, None, None)
    best = np.array(outcome.trees[0][0], dtype=np.int64)
    phi, cost = fitter.fit(best)
    res = TreeResult(reads, outcome, phi, cost, edge_support(outcome.trees, reads.clusters))
    res.flagged = flag_clusters(fitter, best, cost, params.flag_p, params.flag_min_excess)
    for f in res.flagged:
        shown = ", ".join(f"{s} ({v:.3f})" for s, v in list(f["violation"].items())[:5])
        log.warning("cluster %d fits nowhere cheaply: its place costs %.1f nats; sum-rule excess of the free "
                    "frequencies in %d sample(s): %s%s", f["cluster"], f["cost"], len(f["samples"]), shown,
                    "" if len(f["samples"]) <= 5 else ", ...")
    log.info("%d clusters x %d samples: %s, %d tree fits, %.2f s; best tree cost %.2f nats, %d tree(s) kept",
             len(reads.clusters), len(reads.samples), outcome.method, outcome.fits, outcome.seconds,
             outcome.trees[0][1], len(outcome.trees))
    return res
