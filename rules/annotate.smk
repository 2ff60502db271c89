# Gene annotation (only with annotation.gtf): the GTF's transcripts chosen and translation-checked
# once for the cohort, then each patient's PASS mutations annotated (gene, transcript, consequence,
# MAF classification, HGVS, driver label; docs/methods/annotation.md). The clonal stage takes the
# driver labels, the export its MAF columns.

ANNOTATE = bool(config["annotation"]["gtf"])
# the gene list: the user's, or the one shipped with the workflow
DRIVER_GENES = config["annotation"]["drivers"] or os.path.join(workflow.basedir, "config", "drivers",
                                                               "cancer_genes.txt")
ANNOTATION_TRANSCRIPTS = "results/annotation/transcripts.tsv"


rule annotation_transcripts:
    input:
        gtf=config["annotation"]["gtf"] or [],
        fasta=FASTA,
        fai=FAI,
    output:
        transcripts=ANNOTATION_TRANSCRIPTS,
    log:
        "logs/annotation/transcripts.log",
    benchmark:
        "benchmarks/annotation_transcripts/cohort.tsv"
    threads: 1
    resources:
        # transcript models of the GTF's exon/CDS lines, ~1 kB a transcript (a GENCODE GTF: ~250 k)
        mem_mb=retry_scaled(lambda w, input: 1000 + int(os.path.getsize(input.gtf) / 1e6)),
        runtime=retry_scaled(lambda w, input: 10 + int(os.path.getsize(input.gtf) / 50e6)),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/annotation_transcripts.py"


rule annotate:
    input:
        sites="results/variants/{patient}/sites.tsv",
        transcripts=ANNOTATION_TRANSCRIPTS,
        fasta=FASTA,
        fai=FAI,
        # the shipped list is the workflow's own file, never in remote storage
        drivers=DRIVER_GENES if config["annotation"]["drivers"] else local(DRIVER_GENES),
        # VEP CSQ / snpEff ANN of the patient's external or imported calls win over the GTF's
        vcfs=lambda w: (optional(config["variants"]["external_vcfs"].get(w.patient))
                        + [r.vcf for r in IMPORT_ROWS.get(w.patient, [])]) if config["annotation"]["vcf_fields"] else [],
    output:
        annotation="results/variants/{patient}/annotation.tsv",
    log:
        "logs/annotation/{patient}.log",
    benchmark:
        "benchmarks/annotate/{patient}.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(lambda w, input: 1000 + int(os.path.getsize(input.transcripts) / 1e6 * 5)),
        runtime=retry_scaled(15),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/annotate.py"
