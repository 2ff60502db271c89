"""Copy-number parameters from the validated `copynumber` config section (CnParams mirrors it)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping

from ith.copynumber.call import CnParams
from ith.copynumber.reference import ReferenceParams
from ith.params import from_section

# keys the rules read, not the library: the bins (bin_size, off_target_bin_size,
# exclude_contigs), the coverage count (min_mapq, threads), the pooled reference (reference:
# which files a sample's ratio needs, and its builder), the source of copy number (own calls or
# an import: rule copynumber_import), and max_gap (the clonal stage's segment lookup)
RULE_KEYS = ("bin_size", "off_target_bin_size", "exclude_contigs", "min_mapq", "threads", "reference", "source",
             "import_manifest", "max_gap")


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


def cn_params(section: Mapping[str, Any]) -> CnParams:
    """CnParams of the whole validated section (rule copynumber_call)."""
    return from_section(CnParams, {k: v for k, v in section.items() if k not in RULE_KEYS}, "copynumber")


def reference_params(section: Mapping[str, Any]) -> ReferenceParams:
    """ReferenceParams of the validated `copynumber` section's `reference` sub-section."""
    return from_section(ReferenceParams, section["reference"], "copynumber.reference")
