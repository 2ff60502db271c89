# Clone trees ranked by the likelihood of every mutation's read counts, clone proportions per
# sample, the region tree and the truncal/shared/private classes of every mutation
# (src/ith/phylogeny; docs/methods/phylogeny.md).


rule phylogeny:
    input:
        fitted="results/clonal/{patient}/input.tsv",
        summary="results/clonal/{patient}/cluster_summary.tsv",
        mutations="results/clonal/{patient}/mutations.tsv",
    output:
        trees="results/phylogeny/{patient}/trees.json",
        proportions="results/phylogeny/{patient}/clone_proportions.tsv",
        newick="results/phylogeny/{patient}/regions.nwk",
        branches="results/phylogeny/{patient}/branches.tsv",
        mutations="results/phylogeny/{patient}/mutations.tsv",
        parents="results/phylogeny/{patient}/parents.tsv",
        plot=report(
            "results/phylogeny/{patient}/tree.png",
            caption="../captions/tree.rst",
            category="Clone trees",
            labels={"patient": "{patient}"},
        ),
    params:
        phylogeny=config["phylogeny"],
    log:
        "logs/phylogeny/{patient}.log",
    benchmark:
        "benchmarks/phylogeny/{patient}.tsv"
    threads: 2
    resources:
        mem_mb=retry_scaled(lambda w, input: 1000 + int(os.path.getsize(input.mutations) / 1e6 * 50)),
        runtime=retry_scaled(30),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/phylogeny.py"
