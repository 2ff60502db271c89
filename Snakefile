# ith: intratumour heterogeneity from multi-region tumour, matched normal and plasma sequencing.
# Stages talk through the files under results/ (see README); each stage is one rules/<stage>.smk.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/qc.smk"
include: "rules/variants.smk"
include: "rules/annotate.smk"
include: "rules/copynumber.smk"
include: "rules/clonal.smk"
include: "rules/phylogeny.smk"
include: "rules/sampling.smk"
include: "rules/timing.smk"
include: "rules/signatures.smk"
include: "rules/cntree.smk"
include: "rules/liquid.smk"
include: "rules/report.smk"
include: "rules/export.smk"


rule all:
    input:
        get_final_output(),
    default_target: True


onsuccess:
    print_qc_flags()


onerror:
    print_qc_flags()
