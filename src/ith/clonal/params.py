"""Clonal parameters from the validated `clonal` config section.

The section is flat, and each of the stage's rules is passed only the keys it uses (so a change
re-runs exactly those rules; rules/common.smk CLONAL_*_KEYS): one dataclass per rule, with those
keys as fields and the schema's defaults. The library's own classes (EngineOptions, VIOptions,
PostParams) keep PyClone-VI's defaults, which `ith clonal fit` mirrors.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Mapping

from ith.clonal.annotate import PostParams
from ith.clonal.engine import EngineOptions
from ith.clonal.patient import InputParams
from ith.clonal.vi import VIOptions
from ith.params import from_section

# rule clonal_input: InputParams (indels, subclonal_cn); the rule's threads: `threads`
RULE_KEYS = ("threads",)


def input_params(section: Mapping[str, Any]) -> InputParams:
    return from_section(InputParams, section, "clonal")


@dataclass(frozen=True)
class ReadModelParams:
    """The read model and the grid both clonal rules use (the fit, and scoring mutations
    against its clusters), with the mixture's weight prior."""
    state_prior: str = "clonal_cn"
    density: str = "beta-binomial"
    precision: float = 200
    grid_size: int = 100
    mix_weight_prior: float = 1.0


@dataclass(frozen=True)
class ClonalFitParams(ReadModelParams):
    """Rule clonal_fit's keys (CLONAL_FIT_KEYS)."""
    engine: str = "ith"
    num_clusters: int = 40
    num_restarts: int = 10
    max_iters: int = 10000
    convergence_threshold: float = 1e-6
    seed: int | None = 1

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> "ClonalFitParams":
        return from_section(cls, section, "clonal")

    def engine_options(self, threads: int, num_annealing_steps: int | None = None,
                       annealing_power: float = 1.0) -> EngineOptions:
        """threads: the job's (restarts run in parallel; the results do not depend on it); the
        annealing options are `ith clonal fit`'s only (PyClone-VI's)."""
        return EngineOptions(density=self.density, grid_size=self.grid_size, precision=self.precision,
                             state_prior=self.state_prior,
                             vi=VIOptions(num_clusters=self.num_clusters, mix_weight_prior=self.mix_weight_prior,
                                          max_iters=self.max_iters, convergence_threshold=self.convergence_threshold,
                                          num_restarts=self.num_restarts, num_annealing_steps=num_annealing_steps,
                                          annealing_power=annealing_power, seed=self.seed, threads=threads))


@dataclass(frozen=True)
class ClonalPostParams(ReadModelParams):
    """Rule clonal_annotate's keys (CLONAL_POST_KEYS)."""
    min_cluster_size: int = 5
    small_clusters: str = "merge"
    clonal_ccf: float = 0.9
    absent_ccf: float = 0.05
    artefact_ccf: float = 0.1
    low_depth_fraction: float = 0.5

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> "ClonalPostParams":
        return from_section(cls, section, "clonal")

    def engine_options(self) -> EngineOptions:
        """The grid and read model the fit used, to score the mutations against its clusters."""
        return EngineOptions(density=self.density, precision=self.precision, grid_size=self.grid_size,
                             state_prior=self.state_prior)

    def post_params(self) -> PostParams:
        return PostParams(**{f.name: getattr(self, f.name) for f in fields(PostParams)})
