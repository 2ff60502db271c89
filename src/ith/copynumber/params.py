"""Copy-number parameters from the validated `copynumber` config section."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from ith.germline import HetParams
from ith.copynumber.call import CnParams
from ith.copynumber.fit import FitParams
from ith.params import from_section

# keys the rules read, not the library: the bins (bin_size, off_target_bin_size,
# exclude_contigs), the coverage count (min_mapq, threads)
RULE_KEYS = ("bin_size", "off_target_bin_size", "exclude_contigs", "min_mapq", "threads")


@dataclass(frozen=True)
class SegmentParams:
    """`copynumber.segment`."""
    penalty: float = 1.5
    min_bins: int = 3


@dataclass(frozen=True)
class RatioParams:
    """The keys of a sample's log2 ratio against its normal (rule copynumber_sample, which is
    passed only these: rules/common.smk CN_RATIO_KEYS)."""
    min_mappable: float = 0.75
    normal_depth_range: tuple[float, float] = (0.5, 2.0)
    normal_window: int = 1

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> "RatioParams":
        return from_section(cls, section, "copynumber")

    def cn_params(self) -> CnParams:
        """CnParams for sample_bins, which reads only these fields."""
        return CnParams(**asdict(self))


@dataclass(frozen=True)
class CopyNumberParams:
    """The `copynumber` section but RULE_KEYS, same names and defaults."""
    min_mappable: float = 0.75
    normal_depth_range: tuple[float, float] = (0.5, 2.0)
    normal_window: int = 1
    min_bin_reads: float = 20
    hets: HetParams = field(default_factory=HetParams)
    segment: SegmentParams = field(default_factory=SegmentParams)
    fit: FitParams = field(default_factory=FitParams)

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> "CopyNumberParams":
        return from_section(cls, {k: v for k, v in section.items() if k not in RULE_KEYS}, "copynumber")

    def cn_params(self) -> CnParams:
        return CnParams(min_mappable=self.min_mappable, normal_depth_range=self.normal_depth_range,
                        min_bin_reads=self.min_bin_reads, normal_window=self.normal_window,
                        penalty=self.segment.penalty, min_bins=self.segment.min_bins, hets=self.hets, fit=self.fit)


def cn_params(section: Mapping[str, Any]) -> CnParams:
    """CnParams of the whole validated section (rule copynumber_call)."""
    return CopyNumberParams.from_config(section).cn_params()
