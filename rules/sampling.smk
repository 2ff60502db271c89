# Sampling adequacy: curves from subsampling a patient's regions (clones found, false truncal
# calls, divergence), the jackknife's and Chao2's estimates of the clones no region has shown and a one-line verdict
# (src/ith/sampling; docs/methods/sampling.md). Reads only the clonal stage's calls.


rule sampling:
    input:
        mutations="results/clonal/{patient}/mutations.tsv",
        clusters="results/clonal/{patient}/cluster_summary.tsv",
    output:
        curves="results/sampling/{patient}/curves.tsv",
        richness="results/sampling/{patient}/richness.json",
        plot=report(
            "results/sampling/{patient}/curves.png",
            caption="../captions/sampling.rst",
            category="Sampling adequacy",
            labels={"patient": "{patient}"},
        ),
    params:
        sampling=config["sampling"],
        regions=lambda w: patient_tumours(w.patient),
    log:
        "logs/sampling/{patient}.log",
    benchmark:
        "benchmarks/sampling/{patient}.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(lambda w, input: 800 + int(os.path.getsize(input.mutations) / 1e6 * 20)),
        runtime=retry_scaled(15),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/sampling.py"
