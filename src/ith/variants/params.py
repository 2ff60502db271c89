"""Variant-calling parameters from the validated `variants` config section."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ith.io.pileup import PileupParams
from ith.params import from_section
from ith.variants.orientation import OrientationParams
from ith.variants.presence import PresenceParams
from ith.variants.somatic import SomaticParams

# keys of the section the rules read, not the library: the genome's chunks (chunk_size,
# exclude_contigs) and the optional files that are rule inputs
RULE_KEYS = ("chunk_size", "exclude_contigs", "germline_resource", "external_vcfs", "drivers", "own_calls", "import")


@dataclass(frozen=True)
class VariantsParams:
    """The `variants` section but RULE_KEYS, same names and defaults."""
    plasma_discovery: bool = False
    candidate_min_alt: int = 2
    pileup: PileupParams = field(default_factory=PileupParams)
    somatic: SomaticParams = field(default_factory=SomaticParams)
    presence: PresenceParams = field(default_factory=PresenceParams)
    orientation: OrientationParams = field(default_factory=OrientationParams)

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> "VariantsParams":
        """From the whole validated section (RULE_KEYS left to the rules). The rules pass the
        sub-sections each uses; their scripts read them with from_section(PileupParams,
        section, "variants.pileup") and so on, the same path."""
        return from_section(cls, {k: v for k, v in section.items() if k not in RULE_KEYS}, "variants")
