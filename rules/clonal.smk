# Clonal deconvolution (PyClone-VI model): the patient's PyClone-VI input from the variants and
# copy-number stages, the fit (our engine, or a pyclone-vi executable), then post-processing and
# per-mutation tables that work the same for either engine.

rule clonal_input:
    input:
        counts="results/variants/{patient}/counts.tsv",
        segments="results/copynumber/{patient}/segments.tsv",
        purity="results/copynumber/{patient}/purity_ploidy.tsv",
        metrics="results/copynumber/{patient}/metrics.json",
        # a sample of another person stops the patient here (qc.on_identity_failure)
        identity="results/qc/{patient}/identity_samples.tsv",
        identity_pairs="results/qc/{patient}/identity.tsv",
        # a tumour-only patient's germline candidates, left out
        germline=lambda w: [f"results/variants/{w.patient}/germline.tsv"] if w.patient in TUMOUR_ONLY else [],
        # gene-list driver labels (TP53 p.R175H), with annotation.gtf
        annotation=lambda w: [f"results/variants/{w.patient}/annotation.tsv"] if ANNOTATE else [],
    output:
        pyclone="results/clonal/{patient}/input.tsv",
        full="results/clonal/{patient}/input_all.tsv",
    params:
        tumours=lambda w: patient_tumours(w.patient),
        samples=lambda w: patient_list(w.patient, "records"),
        clonal=clonal_params(CLONAL_INPUT_KEYS),
        max_gap=config["copynumber"]["max_gap"],
        on_identity_failure=config["qc"]["on_identity_failure"],
    log:
        "logs/clonal/{patient}/input.log",
    benchmark:
        "benchmarks/clonal_input/{patient}.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(2000),
        runtime=retry_scaled(10),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/clonal_input.py"


rule clonal_fit:
    input:
        pyclone="results/clonal/{patient}/input.tsv",
    output:
        results="results/clonal/{patient}/fit.tsv",
    params:
        clonal=clonal_params(CLONAL_FIT_KEYS),
    log:
        "logs/clonal/{patient}/fit.log",
    benchmark:
        "benchmarks/clonal_fit/{patient}.tsv"
    threads: config["clonal"]["threads"]
    resources:
        mem_mb=retry_scaled(clonal_fit_mem),
        runtime=retry_scaled(lambda w, input: 10 + int(os.path.getsize(input.pyclone) / 2e6)),
    conda:
        "../envs/pyclone-vi.yaml" if config["clonal"]["engine"] == "pyclone-vi" else "../envs/ith.yaml"
    script:
        "../scripts/clonal_fit.py"


rule clonal_annotate:
    input:
        full="results/clonal/{patient}/input_all.tsv",
        results="results/clonal/{patient}/fit.tsv",
    output:
        clusters="results/clonal/{patient}/clusters.tsv",
        mutations="results/clonal/{patient}/mutations.tsv",
        summary="results/clonal/{patient}/cluster_summary.tsv",
        posteriors="results/clonal/{patient}/cluster_posteriors.tsv",
        purity="results/clonal/{patient}/purity_check.tsv",
        plot=report(
            "results/clonal/{patient}/ccf.png",
            caption="../captions/ccf.rst",
            category="Clones",
            labels={"patient": "{patient}"},
        ),
    params:
        clonal=clonal_params(CLONAL_POST_KEYS),
    log:
        "logs/clonal/{patient}/annotate.log",
    benchmark:
        "benchmarks/clonal_annotate/{patient}.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(lambda w, input: 1000 + int(os.path.getsize(input.full) / 1e6 * 200)),
        runtime=retry_scaled(10),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/clonal_annotate.py"
