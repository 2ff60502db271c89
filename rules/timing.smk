# Timing: each clonal SNV in a gained segment early (before the gain) or late, the gains' and the
# genome doubling's relative times with intervals, and each copy-number event truncal, shared or
# private (src/ith/timing; docs/methods/timing.md). Reads the clonal and copy-number stages' tables.


rule timing:
    input:
        mutations="results/clonal/{patient}/mutations.tsv",
        segments="results/copynumber/{patient}/segments.tsv",
        purity="results/copynumber/{patient}/purity_ploidy.tsv",
    output:
        mutations="results/timing/{patient}/mutations.tsv",
        segments="results/timing/{patient}/segments.tsv",
        events="results/timing/{patient}/events.tsv",
        metrics="results/timing/{patient}/metrics.json",
        plot=report(
            "results/timing/{patient}/timing.png",
            caption="../captions/timing.rst",
            category="Timing",
            labels={"patient": "{patient}"},
        ),
    params:
        timing=config["timing"],
        regions=lambda w: patient_tumours(w.patient),
    log:
        "logs/timing/{patient}.log",
    benchmark:
        "benchmarks/timing/{patient}.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(lambda w, input: 800 + int(os.path.getsize(input.mutations) / 1e6 * 20)),
        runtime=retry_scaled(15),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/timing.py"
