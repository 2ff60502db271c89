"""Every stage's parameters carry the names and defaults of its config section: the section as
the schema fills it, passed through the stage's from_config, gives the dataclasses' defaults.
from_config refuses a missing or unknown key, so the keys must match too."""

from __future__ import annotations

import ast
import re
from dataclasses import fields
from pathlib import Path

import pytest

from ith.clonal.params import RULE_KEYS as CLONAL_RULE_KEYS
from ith.clonal.params import ClonalFitParams, ClonalPostParams, input_params
from ith.clonal.patient import InputParams
from ith.config import validate_config
from ith.copynumber.call import CnParams
from ith.copynumber.params import RULE_KEYS as CN_RULE_KEYS
from ith.copynumber.params import RatioParams, cn_params, reference_params
from ith.copynumber.reference import ReferenceParams
from ith.errors import InputError
from ith.params import from_section
from ith.liquid.params import RULE_KEYS as LIQUID_RULE_KEYS
from ith.liquid.params import LiquidParams, pileup_params
from ith.liquid.pileup import LiquidPileupParams
from ith.phylogeny.ranking import PhylogenyParams
from ith.qc.bamstats import QcParams
from ith.qc.identity import IdentityParams
from ith.qc.contamination import ContaminationParams
from ith.qc.params import IDENTITY_SITE_KEYS, contamination_params, identity_site_params
from ith.qc.params import SAMPLE_KEYS as QC_SAMPLE_KEYS
from ith.qc.params import identity_params, qc_params
from ith.report.summary import ReportParams
from ith.variants.params import RULE_KEYS as VARIANTS_RULE_KEYS
from ith.variants.params import VariantsParams
from ith.variants.tumouronly import TumourOnlyParams

COMMON_SMK = Path(__file__).parents[1] / "rules" / "common.smk"


def section_defaults(name: str) -> dict:
    """A config section as the schema fills it."""
    return validate_config({"samples": "", "reference": {"fasta": ""}})[name]


def rule_keys(name: str) -> list[str]:
    """A key list of rules/common.smk (which keys of a section a rule is passed)."""
    m = re.search(rf"^{name} = (\[.*?\])", COMMON_SMK.read_text(), re.M | re.S)
    return ast.literal_eval(m.group(1))


def names(cls) -> list[str]:
    return [f.name for f in fields(cls)]


def without(section: dict, keys) -> dict:
    return {k: v for k, v in section.items() if k not in keys}


def pick(section: dict, keys) -> dict:
    return {k: section[k] for k in keys}


def sample_qc(qc: dict) -> dict:
    """The qc section as rule qc_sample is passed it."""
    return without(qc, ["identity", "contamination", "on_identity_failure"])


def test_qc():
    qc = section_defaults("qc")
    keys = rule_keys("QC_SAMPLE_KEYS")
    assert keys == list(QC_SAMPLE_KEYS)
    assert qc_params(pick(qc, keys)) == QcParams()
    # the rest: the identity check's and the contamination estimate's sub-sections (rule
    # qc_identity) and what the clonal_input gate reads
    assert set(qc) - set(keys) == {"identity", "contamination", "on_identity_failure"}
    assert identity_params(qc["identity"]) == IdentityParams()
    assert contamination_params(qc["contamination"]) == ContaminationParams()
    assert rule_keys("IDENTITY_SITE_KEYS") == list(IDENTITY_SITE_KEYS)
    assert identity_site_params(pick(qc["identity"], IDENTITY_SITE_KEYS)) == IdentityParams()


def test_variants():
    v = section_defaults("variants")
    assert set(VARIANTS_RULE_KEYS) <= set(v)
    assert VariantsParams.from_config(v) == VariantsParams()


def test_copynumber():
    cn = section_defaults("copynumber")
    assert set(CN_RULE_KEYS) <= set(cn)
    assert cn_params(cn) == CnParams()
    assert names(RatioParams) == rule_keys("CN_RATIO_KEYS")
    assert RatioParams.from_config(pick(cn, names(RatioParams))) == RatioParams()
    assert RatioParams().cn_params() == CnParams()
    assert reference_params(cn) == ReferenceParams()


def test_clonal():
    """One dataclass per rule, with the keys its rule is passed; together the whole section."""
    c = section_defaults("clonal")
    views = {"CLONAL_INPUT_KEYS": InputParams, "CLONAL_FIT_KEYS": ClonalFitParams,
             "CLONAL_POST_KEYS": ClonalPostParams}
    for keys, cls in views.items():
        assert sorted(names(cls)) == sorted(rule_keys(keys))
    assert input_params(pick(c, names(InputParams))) == InputParams()
    assert ClonalFitParams.from_config(pick(c, names(ClonalFitParams))) == ClonalFitParams()
    assert ClonalPostParams.from_config(pick(c, names(ClonalPostParams))) == ClonalPostParams()
    covered = set(CLONAL_RULE_KEYS).union(*(names(cls) for cls in views.values()))
    assert covered == set(c)


def test_phylogeny():
    phylogeny = section_defaults("phylogeny")
    assert PhylogenyParams.from_config(phylogeny) == PhylogenyParams()
    assert PhylogenyParams.from_config({**phylogeny, "density": "binomial"}).overdispersion is None


def test_liquid():
    liquid = section_defaults("liquid")
    pileup = rule_keys("LIQUID_PILEUP_KEYS")
    assert rule_keys("LIQUID_CONTROL_KEYS") + rule_keys("LIQUID_FILE_KEYS") == list(LIQUID_RULE_KEYS)
    assert names(LiquidPileupParams) == pileup
    assert pileup_params(pick(liquid, pileup)) == LiquidPileupParams()
    # rule liquid is passed the rest
    assert LiquidParams.from_config(without(liquid, pileup + list(LIQUID_RULE_KEYS))) == LiquidParams()


def test_report():
    assert ReportParams.from_config(section_defaults("report")) == ReportParams()


def test_tumour_only():
    assert from_section(TumourOnlyParams, section_defaults("tumour_only"), "tumour_only") == TumourOnlyParams()


def test_annotation():
    # files and a switch the rules read themselves (no parameter class): each key is read there
    rules = (COMMON_SMK.parent / "annotate.smk").read_text()
    assert all(f'config["annotation"]["{k}"]' in rules for k in section_defaults("annotation"))


def test_every_section_has_its_test():
    stages = {"qc", "variants", "copynumber", "clonal", "phylogeny", "sampling", "timing", "liquid", "report", "tumour_only",
              "annotation", "signatures", "cntree"}
    config = validate_config({"samples": "", "reference": {"fasta": ""}})
    sections = {k for k, v in config.items() if isinstance(v, dict)} - {"reference", "assay", "execution"}
    assert sections == stages
    assert all(f"test_{s}" in globals() for s in stages)


@pytest.mark.parametrize("build, section, key", [
    (lambda s: qc_params(sample_qc(s)), "qc", "short_fragment"),
    (VariantsParams.from_config, "variants", "presence"),
    (cn_params, "copynumber", "min_bin_reads"),
    (PhylogenyParams.from_config, "phylogeny", "window"),
    (ReportParams.from_config, "report", "low_depth"),
])
def test_a_missing_or_unknown_key_is_named(build, section, key):
    full = section_defaults(section)
    with pytest.raises(InputError, match=rf"{section}\.{key} missing"):
        build(without(full, [key]))
    with pytest.raises(InputError, match=rf"unknown key\(s\) {section}\.nonsense"):
        build({**full, "nonsense": 1})


def test_a_missing_key_of_a_sub_section_is_named():
    qc = section_defaults("qc")
    with pytest.raises(InputError, match=r"qc\.sex\.male_min_y missing"):
        qc_params(sample_qc({**qc, "sex": without(qc["sex"], ["male_min_y"])}))
    liquid = without(section_defaults("liquid"), rule_keys("LIQUID_PILEUP_KEYS") + list(LIQUID_RULE_KEYS))
    with pytest.raises(InputError, match=r"liquid\.min_rise missing"):
        LiquidParams.from_config(without(liquid, ["min_rise"]))


def test_ranges_become_tuples():
    cn = section_defaults("copynumber")
    assert cn_params({**cn, "normal_depth_range": [0.4, 2.5]}).normal_depth_range == (0.4, 2.5)


def test_signatures():
    from ith.signatures.fit import SignatureParams

    assert SignatureParams.from_config(section_defaults("signatures")) == SignatureParams()
    # exome null follows the assay; true or false is kept whatever the assay
    assert [SignatureParams.from_config(section_defaults("signatures"), a).exome for a in ("wgs", "wes", "panel")] \
        == [False, True, True]
    assert not SignatureParams.from_config({**section_defaults("signatures"), "exome": False}, "wes").exome
    assert SignatureParams.from_config({**section_defaults("signatures"), "exome": True}, "wgs").exome


def test_cntree():
    from ith.cntree.build import CnTreeParams

    assert CnTreeParams.from_config(section_defaults("cntree")) == CnTreeParams()
    with pytest.raises(InputError, match="cntree.engine medicc2"):
        CnTreeParams.from_config({**section_defaults("cntree"), "engine": "medicc2"})


def test_timing():
    from ith.timing.core import TimingParams

    assert TimingParams.from_config(section_defaults("timing")) == TimingParams()
    assert TimingParams.from_config({"clock": "sites"}).clock == "sites"


def test_sampling():
    from ith.sampling.curves import SamplingParams

    assert SamplingParams.from_config(section_defaults("sampling")) == SamplingParams()
