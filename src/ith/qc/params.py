"""QC parameters from the validated `qc` config section: a BAM's metrics (QcParams, the keys
SAMPLE_KEYS) and the identity check (IdentityParams, the `identity` sub-section). Each field
and default stands once, in those two classes. `on_identity_failure` is read by the rule that
acts on the identity verdicts (clonal_input), not here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from ith.params import check_keys, from_section
from ith.qc.bamstats import QcParams

if TYPE_CHECKING:
    from ith.qc.contamination import ContaminationParams
    from ith.qc.identity import IdentityParams

SAMPLE_KEYS = ("min_mapq", "max_depth_bin", "max_insert", "short_fragment", "sex")


def qc_params(section: Mapping[str, Any]) -> QcParams:
    """A BAM's QC metrics (rule qc_sample, which is passed the SAMPLE_KEYS of the section, so that
    a change to the identity check does not re-run every sample's metrics)."""
    check_keys(section, SAMPLE_KEYS, "qc")
    return from_section(QcParams, {k: section[k] for k in SAMPLE_KEYS}, "qc")


def identity_params(section: Mapping[str, Any]) -> IdentityParams:
    """The identity check (rule qc_identity, which is passed `qc.identity` and, from outside it,
    `qc.min_mapq`: the reads that count for depth also count for genotypes)."""
    # imported here: the identity check's pandas would add ~0.4 CPU s to every qc_sample job's start
    from ith.qc.identity import IdentityParams

    return from_section(IdentityParams, section, "qc.identity")


IDENTITY_SITE_KEYS = ("max_sites", "min_af")


def identity_site_params(section: Mapping[str, Any]) -> IdentityParams:
    """What chooses the identity SNPs from the known sites (rule qc_identity_sites, which is passed
    only IDENTITY_SITE_KEYS, so that a change to how genotypes are compared does not re-count
    every sample)."""
    from ith.qc.identity import IdentityParams

    check_keys(section, IDENTITY_SITE_KEYS, "qc.identity")
    return IdentityParams(**{k: section[k] for k in IDENTITY_SITE_KEYS})


def contamination_params(section: Mapping[str, Any]) -> ContaminationParams:
    """The contamination estimate (rule qc_identity, which is passed `qc.contamination`)."""
    from ith.qc.contamination import ContaminationParams

    return from_section(ContaminationParams, section, "qc.contamination")
