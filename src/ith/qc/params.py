"""QC parameters from the validated `qc` config section."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from ith.params import from_section
from ith.qc.bamstats import QcParams
from ith.qc.identity import IdentityParams


@dataclass(frozen=True)
class SexParams:
    """`qc.sex`: X and Y depth, relative to the autosomes, that tell the sexes apart."""
    male_max_x: float = 0.75
    male_min_y: float = 0.15
    female_max_y: float = 0.05


@dataclass(frozen=True)
class IdentitySection:
    """`qc.identity`: the swap check's sites and thresholds."""
    max_sites: int = 5000
    min_af: float = 0.2
    discovery_windows: int = 200
    discovery_window_size: int = 20_000
    min_depth: int = 15
    min_sites: int = 30
    max_ibs0: float = 0.03
    min_concordance: float = 0.6

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> "IdentitySection":
        return from_section(cls, section, "qc.identity")

    def params(self, min_mapq: int) -> IdentityParams:
        """min_mapq: the qc section's (the same reads count for depth and for genotypes); the
        genotypes' base quality is not configurable (IdentityParams' default)."""
        return IdentityParams(min_mapq=min_mapq, **asdict(self))


@dataclass(frozen=True)
class QcSection:
    """The `qc` section, same names and defaults."""
    min_mapq: int = 20
    max_depth_bin: int = 10_000
    max_insert: int = 1_000
    short_fragment: int = 150
    sex: SexParams = field(default_factory=SexParams)
    identity: IdentitySection = field(default_factory=IdentitySection)

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> "QcSection":
        return from_section(cls, section, "qc")

    def sample(self) -> QcParams:
        """A BAM's QC metrics (rule qc_sample)."""
        return QcParams(min_mapq=self.min_mapq, max_depth_bin=self.max_depth_bin, max_insert=self.max_insert,
                        short_fragment=self.short_fragment, **asdict(self.sex))

    def identity_params(self) -> IdentityParams:
        return self.identity.params(self.min_mapq)
