# Copy-number phylogeny: minimum-event distances between the regions' allele-specific profiles,
# a region tree from them rooted at the diploid normal, and its agreement with the SNV region
# tree (src/ith/cntree; docs/methods/cntree.md).


rule cntree:
    input:
        segments="results/copynumber/{patient}/segments.tsv",
        branches="results/phylogeny/{patient}/branches.tsv",
    output:
        distances="results/cntree/{patient}/distances.tsv",
        tree="results/cntree/{patient}/tree.nwk",
        metrics="results/cntree/{patient}/metrics.json",
        plot=report(
            "results/cntree/{patient}/cntree.png",
            caption="../captions/cntree.rst",
            category="Copy-number tree",
            labels={"patient": "{patient}"},
        ),
    params:
        cntree=config["cntree"],
        tumours=lambda w: patient_tumours(w.patient),
    log:
        "logs/cntree/{patient}.log",
    benchmark:
        "benchmarks/cntree/{patient}.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(lambda w, input: 1000 + int(os.path.getsize(input.segments) / 1e6 * 50)),
        runtime=retry_scaled(20),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/cntree.py"
