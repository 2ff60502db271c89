# QC: per-sample BAM metrics, the patient's sample-identity check, and summary tables (per patient, cohort).
#
# (identity SNPs and their counts: IDENTITY_FROM_QC and its helpers in common.smk)

if IDENTITY_FROM_QC:

    rule qc_identity_sites:
        input:
            known_sites=with_index(config["known_sites"]),
            fasta=FASTA,
            fai=FAI,
        output:
            IDENTITY_SITES,
        params:
            identity={k: config["qc"]["identity"][k] for k in IDENTITY_SITE_KEYS},
        log:
            "logs/qc/identity_sites.log",
        benchmark:
            "benchmarks/qc_identity_sites.tsv"
        threads: 1
        resources:
            mem_mb=retry_scaled(1000),
            runtime=retry_scaled(lambda w, input: 10 + int(bam_size_mb(input.known_sites) / 50)),
        conda:
            "../envs/ith.yaml"
        script:
            "../scripts/qc_identity_sites.py"


rule qc_sample:
    input:
        bam=sample_bam,
        bai=sample_bam_index,
        fasta=FASTA,
        fai=FAI,
        targets=optional(config["assay"]["targets"]),
        **({"identity_sites": IDENTITY_SITES} if IDENTITY_FROM_QC else {}),
    output:
        json="results/qc/{patient}/{sample}.json",
        **({"identity_counts": identity_counts("{patient}", "{sample}")} if IDENTITY_FROM_QC else {}),
    params:
        qc={k: config["qc"][k] for k in QC_SAMPLE_KEYS},
        sex=lambda w: SAMPLE_SEX[w.sample],
        bam=lambda w: SAMPLE_BAM[w.sample],
    log:
        "logs/qc/{patient}/{sample}.log",
    benchmark:
        "benchmarks/qc_sample/{patient}/{sample}.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(1000),
        runtime=retry_scaled(lambda w, input: 10 + int(bam_size_mb([input.bam]) / 100)),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/qc_sample.py"


rule qc_identity:
    input:
        unpack(qc_identity_input),
    output:
        pairs="results/qc/{patient}/identity.tsv",
        samples="results/qc/{patient}/identity_samples.tsv",
    params:
        samples=lambda w: patient_list(w.patient, "samples"),
        # None for a tumour-only patient: contamination of each sample on its own, and (without
        # known sites) the identity SNPs found in its first tumour region
        normal=lambda w: (patient_list(w.patient, "samples").index(patient_normal(w.patient))
                          if patient_normal(w.patient) else None),
        sites_from=lambda w: patient_list(w.patient, "samples").index(patient_normal(w.patient) or
                                                                      patient_tumours(w.patient)[0]),
        identity=config["qc"]["identity"],
        contamination=config["qc"]["contamination"],
        min_mapq=config["qc"]["min_mapq"],
    log:
        "logs/qc/{patient}/identity.log",
    benchmark:
        "benchmarks/qc_identity/{patient}.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(2000),
        runtime=retry_scaled(lambda w, input: 10 + int(bam_size_mb(input.get("bams", [])) / 200)),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/qc_identity.py"


rule qc_patient_summary:
    # the cohort table's rows of one patient, for its report: adding another patient's samples
    # leaves it (and the report) as they are
    input:
        json=lambda w: [f"results/qc/{w.patient}/{s}.json" for s in patient_list(w.patient, "samples")],
        identity=["results/qc/{patient}/identity_samples.tsv"],
    output:
        "results/qc/{patient}/summary.tsv",
    log:
        "logs/qc/{patient}/summary.log",
    benchmark:
        "benchmarks/qc_patient_summary/{patient}.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(500),
        runtime=retry_scaled(5),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/qc_summary.py"


rule qc_summary:
    input:
        json=[f"results/qc/{r.patient}/{r.sample}.json" for r in samples.itertuples(index=False)],
        identity=[f"results/qc/{p}/identity_samples.tsv" for p in PATIENTS],
    output:
        report("results/qc/summary.tsv", caption="../captions/qc_summary.rst", category="QC"),
    log:
        "logs/qc/summary.log",
    benchmark:
        "benchmarks/qc_summary.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(500),
        runtime=retry_scaled(5),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/qc_summary.py"
