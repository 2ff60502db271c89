# Exports: each patient's mutations, clusters and copy number in other tools' input formats (GDC
# MAF, Pairtree, CONIPHER, MEDICC2), written from the stages' files (src/ith/export;
# docs/outputs.md#export), and the cohort's MAF.


rule export:
    input:
        mutations="results/clonal/{patient}/mutations.tsv",
        summary="results/clonal/{patient}/cluster_summary.tsv",
        counts="results/variants/{patient}/counts.tsv",
        parents="results/phylogeny/{patient}/parents.tsv",
        segments="results/copynumber/{patient}/segments.tsv",
        purity="results/copynumber/{patient}/purity_ploidy.tsv",
        fai=FAI,  # NCBI_Build from the reference's chromosome 1
        # gene, classification and HGVS columns, with annotation.gtf
        annotation=lambda w: [f"results/variants/{w.patient}/annotation.tsv"] if ANNOTATE else [],
    output:
        maf="results/export/{patient}/{patient}.maf",
        ssm="results/export/{patient}/{patient}.ssm",
        params="results/export/{patient}/{patient}.params.json",
        conipher="results/export/{patient}/conipher_input.tsv",
        medicc2="results/export/{patient}/medicc2_input.tsv",
    params:
        normal=lambda w: patient_normal(w.patient),
        tumours=lambda w: patient_tumours(w.patient),
        # the reference's name, for NCBI_Build when chromosome 1's length names no build
        fasta=lambda w, input: input.fai[: -len(".fai")],
    log:
        "logs/export/{patient}.log",
    benchmark:
        "benchmarks/export/{patient}.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(lambda w, input: 1000 + int(os.path.getsize(input.mutations) / 1e6 * 100)),
        runtime=retry_scaled(10),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/export.py"


rule export_cohort:
    input:
        mafs=expand("results/export/{patient}/{patient}.maf", patient=PATIENTS),
    output:
        maf="results/export/cohort.maf",
    log:
        "logs/export/cohort.log",
    benchmark:
        "benchmarks/export/cohort.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(1000),
        runtime=retry_scaled(10),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/export_cohort.py"
