# Liquid biopsy (src/ith/liquid), per patient with plasma: its plasma and its background controls
# (its normal and the first liquid.max_controls samples of other patients, or a fixed control
# sheet) counted at its SNV loci; then tumour-informed detection, tumour fraction, clones in
# plasma and their trends, fragment sizes. No patient's job reads another's results, so adding
# a patient or a sample leaves the others' work alone (once the cohort exceeds max_controls).


rule liquid_pileup:
    input:
        bam=sample_bam,
        bai=sample_bam_index,
        counts="results/variants/{patient}/counts.tsv",
    output:
        counts="results/liquid/{patient}/pileup/{sample}.counts.tsv",
        alt_lengths="results/liquid/{patient}/pileup/{sample}.alt_lengths.tsv",
        ref_lengths="results/liquid/{patient}/pileup/{sample}.ref_lengths.tsv",
    params:
        pileup={k: config["liquid"][k] for k in LIQUID_PILEUP_KEYS},
        contigs=[c for c, _ in REFERENCE_CONTIGS],
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


rule liquid_controls:
    input:
        bams=lambda w: list(liquid_control_rows(w.patient)["bam"]),
        bais=lambda w: [bam_index(b) for b in liquid_control_rows(w.patient)["bam"]],
        counts="results/variants/{patient}/counts.tsv",
    output:
        counts="results/liquid/{patient}/controls.counts.tsv",
        alt_lengths="results/liquid/{patient}/controls.alt_lengths.tsv",
    params:
        controls=lambda w: liquid_control_records(w.patient),
        pileup={k: config["liquid"][k] for k in LIQUID_PILEUP_KEYS},
        contigs=[c for c, _ in REFERENCE_CONTIGS],
    log:
        "logs/liquid/{patient}/controls.log",
    benchmark:
        "benchmarks/liquid/{patient}/controls.tsv"
    threads: config["liquid"]["threads"]
    resources:
        mem_mb=retry_scaled(lambda w, input: 1000 + 500 * min(len(input.bams), config["liquid"]["threads"])),
        runtime=retry_scaled(lambda w, input: 10 + int(bam_size_mb(input.bams) / 500)),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/liquid_controls.py"


rule liquid:
    input:
        pileups=lambda w: liquid_plasma_pileups(w.patient, "counts"),
        alt_lengths=lambda w: liquid_plasma_pileups(w.patient, "alt_lengths"),
        ref_lengths=lambda w: liquid_plasma_pileups(w.patient, "ref_lengths"),
        control_counts="results/liquid/{patient}/controls.counts.tsv",
        control_alt_lengths="results/liquid/{patient}/controls.alt_lengths.tsv",
        weight_counts=lambda w: liquid_weight_pileups(w.patient, "counts"),
        weight_alt_lengths=lambda w: liquid_weight_pileups(w.patient, "alt_lengths"),
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
        liquid={k: v for k, v in config["liquid"].items() if k not in LIQUID_PILEUP_KEYS + LIQUID_CONTROL_KEYS},
        samples=lambda w: liquid_sheet(w.patient),
        controls=lambda w: liquid_control_records(w.patient),
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
