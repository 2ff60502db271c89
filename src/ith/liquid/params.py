"""Liquid-biopsy parameters from the validated `liquid` config section.

The rules split the section: liquid_counts is passed the pileup's keys (LiquidPileupParams), the
analysis the rest but the controls' keys (rules/common.smk LIQUID_PILEUP_KEYS,
LIQUID_CONTROL_KEYS), which the rules resolve into the control list and its counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from ith.liquid.ch import CHParams
from ith.liquid.clones import CloneParams
from ith.liquid.detect import DetectParams
from ith.liquid.pileup import LiquidPileupParams
from ith.params import check_keys, from_section

# keys the rules read, not the library: which controls, how many, counted with how many processes;
# the CH gene regions (a file: an input of rule liquid)
RULE_KEYS = ("controls", "max_controls", "threads", "ch_regions")


def pileup_params(section: Mapping[str, Any]) -> LiquidPileupParams:
    """Rule liquid_counts' keys."""
    return from_section(LiquidPileupParams, section, "liquid")


@dataclass(frozen=True)
class LiquidParams:
    """Rule liquid's keys: DetectParams' and CHParams' fields, min_rise, and the three below (fpr is also the
    level of the clone tests, CloneParams.alpha)."""
    detect: DetectParams = field(default_factory=DetectParams)
    clones: CloneParams = field(default_factory=CloneParams)
    ch: CHParams = field(default_factory=CHParams)
    length_correction: bool = True  # tumour fraction in genome copies, not in coverage
    fragment_weighting: bool = False  # weigh tumour-allele fragments by their length in detection
    min_length_fragments: int = 50  # tumour-allele fragments needed to measure the coverage ratio

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> "LiquidParams":
        own = ["min_rise", "length_correction", "fragment_weighting", "min_length_fragments"]
        detect = [f.name for f in fields(DetectParams)]
        ch = [f.name for f in fields(CHParams)]
        check_keys(section, detect + ch + own, "liquid")
        return cls(DetectParams(**{k: section[k] for k in detect}),
                   CloneParams(alpha=section["fpr"], min_rise=section["min_rise"]),
                   CHParams(**{k: section[k] for k in ch}),
                   length_correction=section["length_correction"],
                   fragment_weighting=section["fragment_weighting"],
                   min_length_fragments=section["min_length_fragments"])
