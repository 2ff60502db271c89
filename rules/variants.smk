# Variants: discovery scattered over genomic chunks of the patient's tissue, then one patient-level
# call that filters, genotypes every sample (plasma included) and writes the VCF and counts.tsv.
# An exome or panel is searched only in its padded targets: chunks are cut down to them, and a
# chunk without targets has no job. Calls made elsewhere (variants.import) are normalised per
# patient by variants_import and genotyped by variants_call as called; with variants.own_calls
# false, discovery looks only for the normal's het SNPs (copynumber_baf reads them).
import re

from ith.config import import_rows
from ith.io.reference import included_contigs
from ith.io.targets import target_regions
from ith.variants.chunks import make_chunks, restrict_chunks

VARIANT_CONTIGS = included_contigs(REFERENCE_CONTIGS, config["variants"]["exclude_contigs"])
CHUNKS = make_chunks(VARIANT_CONTIGS, config["variants"]["chunk_size"])
CAPTURE = config["assay"]["type"] in ("wes", "panel")
if CAPTURE:
    _bed = config["assay"]["targets"]
    try:
        CHUNKS = restrict_chunks(
            CHUNKS,
            target_regions(storage_copy(_bed) if STORAGE and not os.path.exists(_bed) else _bed, VARIANT_CONTIGS,
                           REFERENCE_CONTIGS, config["assay"]["padding"], "variants.exclude_contigs"),
        )
    except InputError as e:
        raise WorkflowError(f"Input check failed before any job ran:\n{e}") from None
# (contig, start, end) triples: the job writes them to a regions file, as no region string is
# safe for every legal contig name
CHUNK_REGIONS = {c.name: [list(r) for r in c.regions] for c in CHUNKS}
# the bases discovery searches (the genome, or an exome's padded targets), in Mb: variants_call's
# candidate sites and copynumber_baf's het SNPs, held at once, grow with it
SEARCHED_MB = sum(c.length for c in CHUNKS) / 1e6
# a chunk's longest region, which discovery's candidate pass holds at once
CHUNK_LONGEST = {c.name: max(e - s + 1 for _, s, e in c.regions) for c in CHUNKS}
OWN_CALLS = config["variants"]["own_calls"]
# the import manifest's lines by patient (checked by the preflight; read again here, it is small)
IMPORT_ROWS = import_rows(config, samples)


wildcard_constraints:
    chunk="|".join(re.escape(c.name) for c in CHUNKS),


rule variants_discover:
    input:
        bams=lambda w: patient_list(w.patient, "discovery_bams"),
        bais=lambda w: patient_list(w.patient, "discovery_bais"),
        fasta=FASTA,
        fai=FAI,
    output:
        sites=temp("results/variants/{patient}/chunks/{chunk}.tsv"),
        hets=temp("results/variants/{patient}/chunks/{chunk}.hets.tsv"),
    params:
        region=lambda w: CHUNK_REGIONS[w.chunk],
        samples=lambda w: patient_list(w.patient, "discovery_records"),
        pileup=config["variants"]["pileup"],
        somatic=config["variants"]["somatic"],
        candidate_min_alt=config["variants"]["candidate_min_alt"],
        plasma_discovery=config["variants"]["plasma_discovery"],
        hets=config["copynumber"]["hets"],
        # own calling off: the pileup looks for the normal's het SNPs only, no candidate is emitted
        candidates=OWN_CALLS,
        # a tumour-only patient's BAF candidates: its tumours' pooled allele fraction in this range
        het_vaf=lambda w: config["tumour_only"]["het_vaf"] if w.patient in TUMOUR_ONLY else None,
    log:
        "logs/variants/{patient}/discover/{chunk}.log",
    benchmark:
        "benchmarks/variants_discover/{patient}/{chunk}.tsv"
    threads: 1
    resources:
        # the candidate pass holds ~100 bytes a base of its longest region with 4 BAMs
        # (docs/benchmarks.md, human scale): 25 bytes a base per BAM and one more, with spare
        mem_mb=retry_scaled(lambda w, input: 1000 + int(25 * (len(input.bams) + 1) * CHUNK_LONGEST[w.chunk] / 1e6)),
        runtime=retry_scaled(lambda w, input: 10 + int(bam_size_mb(input.bams) / 100 / len(CHUNKS))),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/variants_discover.py"


rule variants_call:
    input:
        # own calling off: no candidates (discovery then finds only the het SNPs copynumber_baf reads)
        chunks=lambda w: [f"results/variants/{w.patient}/chunks/{c.name}.tsv" for c in CHUNKS] if OWN_CALLS else [],
        bams=lambda w: patient_list(w.patient, "bams"),
        bais=lambda w: patient_list(w.patient, "bais"),
        fasta=FASTA,
        fai=FAI,
        germline_resource=with_index(config["variants"]["germline_resource"]),
        panel_of_normals=with_index(config["panel_of_normals"]),
        drivers=optional(config["variants"]["drivers"]),
        external=lambda w: optional(config["variants"]["external_vcfs"].get(w.patient)),
        imported=lambda w: [f"results/variants/{w.patient}/imported.tsv"] if w.patient in IMPORT_ROWS else [],
        # external calls outside the padded targets of an exome or panel are left out, as discovery leaves them
        targets=optional(config["assay"]["targets"] if CAPTURE else None),
    output:
        vcf="results/variants/{patient}/somatic.vcf.gz",
        tbi="results/variants/{patient}/somatic.vcf.gz.tbi",
        counts="results/variants/{patient}/counts.tsv",
        sites="results/variants/{patient}/sites.tsv",
        orientation="results/variants/{patient}/orientation.tsv",
    params:
        samples=lambda w: patient_list(w.patient, "records"),
        pileup=config["variants"]["pileup"],
        somatic=config["variants"]["somatic"],
        presence=config["variants"]["presence"],
        orientation=config["variants"]["orientation"],
        plasma_discovery=config["variants"]["plasma_discovery"],
        padding=config["assay"]["padding"],
        exclude_contigs=config["variants"]["exclude_contigs"],
        own_calls=OWN_CALLS,
        # without a normal the population filter is stricter (tumour_only.max_population_af)
        max_population_af=lambda w: config["tumour_only"]["max_population_af"] if w.patient in TUMOUR_ONLY else None,
    log:
        "logs/variants/{patient}/call.log",
    benchmark:
        "benchmarks/variants_call/{patient}.tsv"
    threads: 1
    resources:
        # measured (bench/human_scale.py): 183 -> 194 MB from 2 to 6 Mb with 5 samples, i.e.
        # ~0.55 MB per searched Mb and sample: 8.9 GB for a 5-sample genome; requested with 20% spare
        mem_mb=retry_scaled(lambda w, input: 1000 + int(0.66 * SEARCHED_MB * len(input.bams))),
        runtime=retry_scaled(lambda w, input: 15 + int(bam_size_mb(input.bams) / 200)),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/variants_call.py"


rule variants_import:
    input:
        vcfs=lambda w: [r.vcf for r in IMPORT_ROWS[w.patient]],
        fasta=FASTA,
        fai=FAI,
        # calls outside the padded targets of an exome or panel are left out, as discovery leaves them
        targets=optional(config["assay"]["targets"] if CAPTURE else None),
    output:
        "results/variants/{patient}/imported.tsv",
    params:
        # what each file is (not its manifest line: another patient's line added above it re-runs nothing)
        rows=lambda w: [{"format": r.format, "tumour": r.tumour} for r in IMPORT_ROWS[w.patient]],
        filters=config["variants"]["import"]["filters"],
        padding=config["assay"]["padding"],
        exclude_contigs=config["variants"]["exclude_contigs"],
    log:
        "logs/variants/{patient}/import.log",
    benchmark:
        "benchmarks/variants_import/{patient}.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(1000),
        runtime=retry_scaled(10),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/variants_import.py"


rule variants_tumour_only:
    # a patient without a normal: each candidate's allele fractions in every region against what
    # its segment's copy number and the region's purity predict for a germline and a somatic
    # variant (src/ith/variants/tumouronly.py); the clonal stage leaves the germline ones out
    input:
        counts="results/variants/{patient}/counts.tsv",
        segments="results/copynumber/{patient}/segments.tsv",
        purity="results/copynumber/{patient}/purity_ploidy.tsv",
        metrics="results/copynumber/{patient}/metrics.json",
    output:
        "results/variants/{patient}/germline.tsv",
    wildcard_constraints:
        patient=alternatives(TUMOUR_ONLY),
    params:
        tumours=lambda w: patient_tumours(w.patient),
        samples=lambda w: patient_list(w.patient, "records"),
        tumour_only=config["tumour_only"],
    log:
        "logs/variants/{patient}/tumour_only.log",
    benchmark:
        "benchmarks/variants_tumour_only/{patient}.tsv"
    threads: 1
    resources:
        mem_mb=retry_scaled(lambda w, input: 1000 + int(os.path.getsize(input.counts) / 1e6 * 50)),
        runtime=retry_scaled(10),
    conda:
        "../envs/ith.yaml"
    script:
        "../scripts/variants_tumour_only.py"
