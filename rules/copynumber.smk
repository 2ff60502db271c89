# Copy number: depth in bins for every sample (one pass per BAM, with the log2 ratio against the
# matched normal, a pooled reference of normals or both in the same job for tumour and plasma samples),
# BAF at the normal's heterozygous SNPs (collected by the variants stage's pileup), then one
# patient-level job: joint segmentation of the regions, purity/ploidy fits, integer states.


rule copynumber_bins:
    input:
        fasta=FASTA,
        fai=FAI,
        targets=optional(config["assay"]["targets"]),
    output:
        "results/copynumber/bins.tsv",
    params:
        bin_size=config["copynumber"]["bin_size"],
        off_target_bin_size=config["copynumber"]["off_target_bin_size"],
        exclude_contigs=config["copynumber"]["exclude_contigs"],
    log:
        "logs/copynumber/bins.log",
    benchmark:
        "benchmarks/copynumber_bins.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(4000),
        runtime=retry_scaled(30),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/copynumber_bins.py"


rule copynumber_coverage:
    # the normal's depth per bin; each tumour and plasma sample gets its own in copynumber_sample
    input:
        bam=sample_bam,
        bai=sample_bam_index,
        fasta=FASTA,  # a CRAM is decoded against it
        fai=FAI,
        bins="results/copynumber/bins.tsv",
    output:
        "results/copynumber/{patient}/coverage/{sample}.tsv",
    wildcard_constraints:
        sample=alternatives(NORMAL_SAMPLES),
    params:
        min_mapq=config["copynumber"]["min_mapq"],
    log:
        "logs/copynumber/{patient}/coverage/{sample}.log",
    benchmark:
        "benchmarks/copynumber_coverage/{patient}/{sample}.tsv"
    threads: config["copynumber"]["threads"]
    resources:
        mem_mb=retry_scaled(1500),
        runtime=retry_scaled(lambda w, input: 10 + int(bam_size_mb([input.bam]) / 500)),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/copynumber_coverage.py"


rule copynumber_reference:
    # the pooled reference of the sheet's normals (only when the mode needs one and no file is given):
    # a cohort-level file, so a patient added to the sheet rebuilds it and re-runs every ratio
    input:
        bins="results/copynumber/bins.tsv",
        coverage=[f"results/copynumber/{p}/coverage/{n}.tsv" for p, n in PATIENT_NORMALS.items()],
    output:
        "results/copynumber/reference.tsv",
    params:
        min_normals=CN_REFERENCE_MIN_NORMALS,
        max_spread=config["copynumber"]["reference"]["max_spread"],
        min_mappable=config["copynumber"]["min_mappable"],
        normal_depth_range=config["copynumber"]["normal_depth_range"],
    log:
        "logs/copynumber/reference.log",
    benchmark:
        "benchmarks/copynumber_reference.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(lambda w, input: 1000 + 200 * len(input.coverage)),
        runtime=retry_scaled(10),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/copynumber_reference.py"


rule copynumber_sample:
    # a tumour or plasma sample: depth per bin in one pass of its BAM, then its GC-corrected log2
    # ratio against the normal (one job, not two, so a big cohort's DAG and queue stay small)
    input:
        bam=sample_bam,
        bai=sample_bam_index,
        fasta=FASTA,  # a CRAM is decoded against it
        fai=FAI,
        bins="results/copynumber/bins.tsv",
        # none for a tumour-only patient, whose ratio is taken against the pooled reference
        normal=lambda w: optional(patient_normal(w.patient) and
                                  f"results/copynumber/{w.patient}/coverage/{patient_normal(w.patient)}.tsv"),
        reference=cn_reference_input,
    output:
        coverage="results/copynumber/{patient}/coverage/{sample}.tsv",
        ratio="results/copynumber/{patient}/{sample}.bins.tsv",
    wildcard_constraints:
        sample=alternatives(NONNORMAL_SAMPLES),
    params:
        min_mapq=config["copynumber"]["min_mapq"],
        ratio={k: config["copynumber"][k] for k in CN_RATIO_KEYS},
        mode=lambda w: cn_mode(w.patient),
        requested=config["copynumber"]["reference"]["mode"],
        # only what the mode reads, so a change elsewhere does not re-run every sample
        hybrid_window=lambda w: config["copynumber"]["reference"]["hybrid_window"] if cn_mode(w.patient) == "hybrid"
                                else None,
        sex=lambda w: patient_sex(w.patient) if cn_mode(w.patient) == "pooled" else None,
    log:
        "logs/copynumber/{patient}/coverage/{sample}.log",
    benchmark:
        "benchmarks/copynumber_sample/{patient}/{sample}.tsv"
    threads: config["copynumber"]["threads"]
    resources:
        mem_mb=retry_scaled(2000),
        runtime=retry_scaled(lambda w, input: 10 + int(bam_size_mb([input.bam]) / 500)),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/copynumber_sample.py"


rule copynumber_baf:
    input:
        hets=lambda w: [f"results/variants/{w.patient}/chunks/{c.name}.hets.tsv" for c in CHUNKS],
        # a tumour-only patient's het SNPs: the population's (its tumours' candidates at resource sites)
        germline_resource=lambda w: with_index(config["variants"]["germline_resource"]) if w.patient in TUMOUR_ONLY
                                    else [],
        # the resource's contigs read in the reference's naming
        reference=lambda w: [FASTA, FAI] if w.patient in TUMOUR_ONLY else [],
    output:
        "results/copynumber/{patient}/baf.tsv",
    params:
        tumour_only=lambda w: w.patient in TUMOUR_ONLY,
    log:
        "logs/copynumber/{patient}/baf.log",
    benchmark:
        "benchmarks/copynumber_baf/{patient}.tsv"
    threads: 1
    resources:
        # the normal's het SNPs of the searched genome at once: 78 -> 82 MB from 2 to 6 Mb
        # (bench/human_scale.py), ~1 MB per Mb, 3.0 GB for a genome; requested with 20% spare
        mem_mb=retry_scaled(lambda w, input: 1000 + int(1.2 * SEARCHED_MB)),
        runtime=retry_scaled(10),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/copynumber_baf.py"


rule copynumber_call:
    input:
        bins="results/copynumber/bins.tsv",
        coverage=lambda w: [f"results/copynumber/{w.patient}/coverage/{s}.tsv"
                            for s in patient_list(w.patient, "samples")],
        ratios=lambda w: [f"results/copynumber/{w.patient}/{s}.bins.tsv" for s in patient_nonnormal(w.patient)],
        baf="results/copynumber/{patient}/baf.tsv",
        counts="results/variants/{patient}/counts.tsv",
    output:
        segments="results/copynumber/{patient}/segments.tsv",
        purity="results/copynumber/{patient}/purity_ploidy.tsv",
        plasma="results/copynumber/{patient}/plasma_tf.tsv",
        metrics="results/copynumber/{patient}/metrics.json",
        plot=report(
            "results/copynumber/{patient}/cn_profile.png",
            caption="../captions/cn_profile.rst",
            category="Copy number",
            labels={"patient": "{patient}"},
        ),
    params:
        samples=lambda w: patient_list(w.patient, "records"),
        sex=lambda w: patient_sex(w.patient),
        copynumber=config["copynumber"],
        # a tumour-only patient's candidates still hold germline variants: purity reads only those
        # that are somatic with every region taken as diploid (variants_tumour_only decides later)
        tumour_only=lambda w: {"precision": config["tumour_only"]["precision"], "tumours": patient_tumours(w.patient)}
                              if w.patient in TUMOUR_ONLY else None,
    log:
        "logs/copynumber/{patient}/call.log",
    benchmark:
        "benchmarks/copynumber_call/{patient}.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(4000),
        runtime=retry_scaled(30),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/copynumber_call.py"


if CN_IMPORT:

    # copynumber.source import: the same per-patient outputs from other tools' files, so the stages
    # after copy number are unchanged; no BAM is read for copy number (nothing asks for the
    # rules above)
    ruleorder: copynumber_import > copynumber_call

    rule copynumber_import:
        input:
            manifest=config["copynumber"]["import_manifest"],
            files=lambda w: [f for r in cn_import_rows(w.patient) for f in manifest_files(r)],
            fai=FAI,
        output:
            segments="results/copynumber/{patient}/segments.tsv",
            purity="results/copynumber/{patient}/purity_ploidy.tsv",
            plasma="results/copynumber/{patient}/plasma_tf.tsv",
            metrics="results/copynumber/{patient}/metrics.json",
            plot=report(
                "results/copynumber/{patient}/cn_profile.png",
                caption="../captions/cn_profile.rst",
                category="Copy number",
                labels={"patient": "{patient}"},
            ),
        params:
            rows=lambda w: cn_import_rows(w.patient),
            samples=lambda w: patient_list(w.patient, "records"),
            sex=lambda w: patient_sex(w.patient),
            wgd_major_fraction=config["copynumber"]["fit"]["wgd_major_fraction"],
        log:
            "logs/copynumber/{patient}/import.log",
        benchmark:
            "benchmarks/copynumber_import/{patient}.tsv"
        threads: 1
        resources:
            mem_mb=retry_scaled(2000),
            runtime=retry_scaled(10),
        conda:
            "../envs/ith.yaml"
        script:
            "../scripts/copynumber_import.py"
