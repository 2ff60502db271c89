# Liquid biopsy (src/ith/liquid), per patient with plasma: its plasma and its background controls
# (its normal and the first liquid.max_controls samples of other patients, or a fixed control
# sheet) counted at its SNV loci in one job; then tumour-informed detection, tumour fraction, clones in
# plasma and their trends, fragment sizes, clonal haematopoiesis. No patient's job reads another's results, so adding
# a patient or a sample leaves the others' work alone (once the cohort exceeds max_controls).


rule liquid_counts:
    input:
        plasma=lambda w: [SAMPLE_BAM[s] for s in patient_plasma(w.patient)],
        plasma_bais=lambda w: [bam_index(SAMPLE_BAM[s]) for s in patient_plasma(w.patient)],
        controls=lambda w: liquid_control_bams(w.patient),
        control_bais=lambda w: [bam_index(b) for b in liquid_control_bams(w.patient)],
        fasta=FASTA,  # CRAMs are decoded against it
        fai=FAI,
        counts="results/variants/{patient}/counts.tsv",
    output:
        plasma_counts="results/liquid/{patient}/plasma.counts.tsv",
        plasma_alt_lengths="results/liquid/{patient}/plasma.alt_lengths.tsv",
        plasma_ref_lengths="results/liquid/{patient}/plasma.ref_lengths.tsv",
        control_counts="results/liquid/{patient}/controls.counts.tsv",
        control_alt_lengths="results/liquid/{patient}/controls.alt_lengths.tsv",
    params:
        plasma=lambda w: patient_plasma(w.patient),
        controls=lambda w: liquid_control_records(w.patient),
        pileup={k: config["liquid"][k] for k in LIQUID_PILEUP_KEYS},
        contigs=[c for c, _ in REFERENCE_CONTIGS],
    log:
        "logs/liquid/{patient}/counts.log",
    benchmark:
        "benchmarks/liquid_counts/{patient}.tsv"
    threads: config["liquid"]["threads"]
    resources:
        mem_mb=retry_scaled(lambda w, input: 1000 + 500 * min(len(input.controls) + len(input.plasma),
                                                             config["liquid"]["threads"])),
        runtime=retry_scaled(lambda w, input: 10 + int(bam_size_mb(list(input.plasma) + list(input.controls)) / 500)),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/liquid_counts.py"


rule liquid:
    input:
        plasma_counts="results/liquid/{patient}/plasma.counts.tsv",
        plasma_alt_lengths="results/liquid/{patient}/plasma.alt_lengths.tsv",
        plasma_ref_lengths="results/liquid/{patient}/plasma.ref_lengths.tsv",
        control_counts="results/liquid/{patient}/controls.counts.tsv",
        control_alt_lengths="results/liquid/{patient}/controls.alt_lengths.tsv",
        weight_counts=lambda w: liquid_weight_tables(w.patient, "counts"),
        weight_alt_lengths=lambda w: liquid_weight_tables(w.patient, "alt_lengths"),
        qc=lambda w: [f"results/qc/{w.patient}/{s}.json" for s in patient_plasma(w.patient)],
        mutations="results/clonal/{patient}/mutations.tsv",
        summary="results/clonal/{patient}/cluster_summary.tsv",
        trees="results/phylogeny/{patient}/trees.json",
        counts="results/variants/{patient}/counts.tsv",
        cn_tf="results/copynumber/{patient}/plasma_tf.tsv",
        ch_regions=[config["liquid"]["ch_regions"]] if config["liquid"]["ch_regions"] else [],
    output:
        ctdna="results/liquid/{patient}/ctdna.tsv",
        clones="results/liquid/{patient}/clones.tsv",
        loci="results/liquid/{patient}/loci.tsv",
        fragments="results/liquid/{patient}/fragments.tsv",
        plasma_only="results/liquid/{patient}/plasma_only.tsv",
        ch="results/liquid/{patient}/ch.tsv",
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
        liquid={k: v for k, v in config["liquid"].items()
                if k not in LIQUID_PILEUP_KEYS + LIQUID_CONTROL_KEYS + LIQUID_FILE_KEYS},
        samples=lambda w: liquid_sheet(w.patient),
        reference=[list(c) for c in REFERENCE_CONTIGS],  # the naming the CH gene BED is read in
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
