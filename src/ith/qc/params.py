"""QC parameters from the validated `qc` config section: a BAM's metrics (QcParams, every key
but `identity`) and the identity check (IdentityParams, the `identity` sub-section). Each field
and default stands once, in those two classes."""

from __future__ import annotations

from typing import Any, Mapping

from ith.params import check_keys, from_section
from ith.qc.bamstats import QcParams
from ith.qc.identity import IdentityParams

SAMPLE_KEYS = ("min_mapq", "max_depth_bin", "max_insert", "short_fragment", "sex")


def qc_params(section: Mapping[str, Any]) -> QcParams:
    """A BAM's QC metrics (rule qc_sample, which is passed the whole section)."""
    check_keys(section, [*SAMPLE_KEYS, "identity"], "qc")
    return from_section(QcParams, {k: section[k] for k in SAMPLE_KEYS}, "qc")


def identity_params(section: Mapping[str, Any]) -> IdentityParams:
    """The identity check (rule qc_identity, which is passed `qc.identity` and, from outside it,
    `qc.min_mapq`: the reads that count for depth also count for genotypes)."""
    return from_section(IdentityParams, section, "qc.identity")
