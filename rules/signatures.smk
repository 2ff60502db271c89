# Mutational signatures: SBS96 profiles of the trunk, every clone, region-tree branch and region,
# COSMIC exposures with bootstrap intervals (src/ith/signatures; docs/methods/signatures.md).


rule signatures:
    input:
        mutations="results/clonal/{patient}/mutations.tsv",
        phylogeny="results/phylogeny/{patient}/mutations.tsv",
        parents="results/phylogeny/{patient}/parents.tsv",
        fasta=FASTA,
        fai=FAI,
    output:
        sbs96="results/signatures/{patient}/sbs96.tsv",
        exposures="results/signatures/{patient}/exposures.tsv",
        metrics="results/signatures/{patient}/metrics.json",
        plot=report(
            "results/signatures/{patient}/signatures.png",
            caption="../captions/signatures.rst",
            category="Signatures",
            labels={"patient": "{patient}"},
        ),
    params:
        signatures=config["signatures"],
        assay=config["assay"]["type"],
    log:
        "logs/signatures/{patient}.log",
    benchmark:
        "benchmarks/signatures/{patient}.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(lambda w, input: 1500 + int(os.path.getsize(input.mutations) / 1e6 * 20)),
        runtime=retry_scaled(30),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/signatures.py"
