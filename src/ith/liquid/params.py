"""Liquid-biopsy parameters from the validated `liquid` config section.

The rules split the section: liquid_counts is passed the pileup's keys (LiquidPileupParams), the
analysis the rest but the controls' keys (rules/common.smk LIQUID_PILEUP_KEYS,
LIQUID_CONTROL_KEYS), which the rules resolve into the control list and its counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from ith.liquid.clones import CloneParams
from ith.liquid.detect import DetectParams
from ith.liquid.pileup import LiquidPileupParams
from ith.params import check_keys, from_section

# keys the rules read, not the library: which controls, how many, counted with how many processes
RULE_KEYS = ("controls", "max_controls", "threads")


def pileup_params(section: Mapping[str, Any]) -> LiquidPileupParams:
    """Rule liquid_counts' keys."""
    return from_section(LiquidPileupParams, section, "liquid")


@dataclass(frozen=True)
class LiquidParams:
    """Rule liquid's keys: DetectParams' fields, min_rise, and the three below (fpr is also the
    level of the clone tests, CloneParams.alpha)."""
    detect: DetectParams = field(default_factory=DetectParams)
    clones: CloneParams = field(default_factory=CloneParams)
    length_correction: bool = True  # tumour fraction in genome copies, not in coverage
    fragment_weighting: bool = False  # weigh tumour-allele fragments by their length in detection
    min_length_fragments: int = 50  # tumour-allele fragments needed to measure the coverage ratio

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> "LiquidParams":
        own = ["min_rise", "length_correction", "fragment_weighting", "min_length_fragments"]
        detect = [f.name for f in fields(DetectParams)]
        check_keys(section, detect + own, "liquid")
        return cls(DetectParams(**{k: section[k] for k in detect}),
                   CloneParams(alpha=section["fpr"], min_rise=section["min_rise"]),
                   length_correction=section["length_correction"],
                   fragment_weighting=section["fragment_weighting"],
                   min_length_fragments=section["min_length_fragments"])
