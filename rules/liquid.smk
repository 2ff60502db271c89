# Liquid biopsy (src/ith/liquid): every sample counted at the cohort's SNV loci (one panel, so
# each BAM is read once), then per patient with plasma: background from controls, tumour-
# informed detection, tumour fraction, clones in plasma and their trends, fragment sizes.


rule liquid_panel:
    input:
        counts=expand("results/variants/{patient}/counts.tsv", patient=PATIENTS),
    output:
        "results/liquid/panel.tsv",
    params:
        patients=PATIENTS,
        contigs=[c for c, _ in REFERENCE_CONTIGS],
    log:
        "logs/liquid/panel.log",
    benchmark:
        "benchmarks/liquid/panel.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(2000),
        runtime=retry_scaled(15),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/liquid_panel.py"


rule liquid_pileup:
    input:
        bam=sample_bam,
        bai=sample_bam_index,
        panel="results/liquid/panel.tsv",
    output:
        counts="results/liquid/{patient}/pileup/{sample}.counts.tsv",
        alt_lengths="results/liquid/{patient}/pileup/{sample}.alt_lengths.tsv",
        ref_lengths="results/liquid/{patient}/pileup/{sample}.ref_lengths.tsv",
    params:
        pileup={k: config["liquid"][k] for k in LIQUID_PILEUP_KEYS},
    log:
        "logs/liquid/{patient}/pileup/{sample}.log",
    benchmark:
        "benchmarks/liquid/{patient}/pileup/{sample}.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(2000),
        runtime=retry_scaled(lambda w, input: 10 + int(bam_size_mb([input.bam]) / 100)),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/liquid_pileup.py"


rule liquid:
    input:
        panel="results/liquid/panel.tsv",
        pileups=lambda w: liquid_pileups(w.patient, "counts"),
        alt_lengths=lambda w: liquid_pileups(w.patient, "alt_lengths"),
        ref_lengths=lambda w: liquid_pileups(w.patient, "ref_lengths", plasma_only=True),
        qc=lambda w: [f"results/qc/{w.patient}/{s}.json" for s in patient_plasma(w.patient)],
        mutations="results/clonal/{patient}/mutations.tsv",
        summary="results/clonal/{patient}/cluster_summary.tsv",
        trees="results/phylogeny/{patient}/trees.json",
        counts="results/variants/{patient}/counts.tsv",
        cn_tf="results/copynumber/{patient}/plasma_tf.tsv",
    output:
        ctdna="results/liquid/{patient}/ctdna.tsv",
        clones="results/liquid/{patient}/clones.tsv",
        loci="results/liquid/{patient}/loci.tsv",
        fragments="results/liquid/{patient}/fragments.tsv",
        plasma_only="results/liquid/{patient}/plasma_only.tsv",
        tf_plot=report(
            "results/liquid/{patient}/tumour_fraction.png",
            caption="../captions/tumour_fraction.rst",
            category="Plasma",
            labels={"patient": "{patient}", "figure": "tumour fraction"},
        ),
        clones_plot=report(
            "results/liquid/{patient}/clones.png",
            caption="../captions/plasma_clones.rst",
            category="Plasma",
            labels={"patient": "{patient}", "figure": "clones"},
        ),
        fragments_plot=report(
            "results/liquid/{patient}/fragments.png",
            caption="../captions/plasma_fragments.rst",
            category="Plasma",
            labels={"patient": "{patient}", "figure": "fragments"},
        ),
    params:
        liquid={k: v for k, v in config["liquid"].items() if k not in LIQUID_PILEUP_KEYS},
        samples=liquid_sheet(),
    log:
        "logs/liquid/{patient}.log",
    benchmark:
        "benchmarks/liquid/{patient}.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(3000),
        runtime=retry_scaled(30),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/liquid.py"
