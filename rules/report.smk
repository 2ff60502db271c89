# Per-patient HTML report (self-contained), metrics.json and figures; the cohort table and page
# (src/ith/report). The report reads exactly the files named here (ith.report.data.PatientFiles
# refuses a name it does not know or misses).


rule report_patient:
    input:
        qc="results/qc/{patient}/summary.tsv",
        identity="results/qc/{patient}/identity.tsv",
        identity_samples="results/qc/{patient}/identity_samples.tsv",
        purity="results/copynumber/{patient}/purity_ploidy.tsv",
        segments="results/copynumber/{patient}/segments.tsv",
        cn_plot="results/copynumber/{patient}/cn_profile.png",
        mutations="results/clonal/{patient}/mutations.tsv",
        clusters="results/clonal/{patient}/cluster_summary.tsv",
        purity_check="results/clonal/{patient}/purity_check.tsv",
        orientation="results/variants/{patient}/orientation.tsv",
        ccf_plot="results/clonal/{patient}/ccf.png",
        trees="results/phylogeny/{patient}/trees.json",
        proportions="results/phylogeny/{patient}/clone_proportions.tsv",
        branches="results/phylogeny/{patient}/branches.tsv",
        newick="results/phylogeny/{patient}/regions.nwk",
        tree_plot="results/phylogeny/{patient}/tree.png",
        sampling="results/sampling/{patient}/richness.json",
        sampling_plot="results/sampling/{patient}/curves.png",
        timing="results/timing/{patient}/metrics.json",
        timing_segments="results/timing/{patient}/segments.tsv",
        timing_plot="results/timing/{patient}/timing.png",
        signatures="results/signatures/{patient}/exposures.tsv",
        signatures_metrics="results/signatures/{patient}/metrics.json",
        signatures_plot="results/signatures/{patient}/signatures.png",
        cntree_distances="results/cntree/{patient}/distances.tsv",
        cntree_metrics="results/cntree/{patient}/metrics.json",
        cntree_plot="results/cntree/{patient}/cntree.png",
        **{name: liquid_report_input(f) for name, f in LIQUID_REPORT_FILES.items()},
    output:
        html=report(
            "results/report/{patient}/report.html",
            caption="../captions/patient_report.rst",
            category="Patient reports",
            labels={"patient": "{patient}", "file": "report.html"},
        ),
        metrics="results/report/{patient}/metrics.json",
        figures=directory("results/report/{patient}/figures"),
    params:
        report=config["report"],
        sheet=lambda w: report_sheet(w.patient),
        config=report_provenance(),
    log:
        "logs/report/{patient}.log",
    benchmark:
        "benchmarks/report_patient/{patient}.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(lambda w, input: 1500 + int(os.path.getsize(input.mutations) / 1e6 * 30)),
        runtime=retry_scaled(15),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/report_patient.py"


rule report_cohort:
    input:
        metrics=[f"results/report/{p}/metrics.json" for p in PATIENTS],
    output:
        tsv=report("results/report/cohort.tsv", caption="../captions/cohort.rst", category="Cohort"),
        html=report("results/report/cohort.html", caption="../captions/cohort.rst", category="Cohort"),
    log:
        "logs/report/cohort.log",
    benchmark:
        "benchmarks/report_cohort.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(1000),
        runtime=retry_scaled(10),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/report_cohort.py"
