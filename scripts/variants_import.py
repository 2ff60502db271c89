"""Rule variants_import: the patient's imported calls, filtered by their FILTER and normalised."""
from ith.io.reference import included_contigs, read_fai
from ith.io.tables import write_tsv
from ith.io.targets import target_regions
from ith.rulescript import start
from ith.variants.imported import ImportRow, import_calls

start(snakemake)

p = snakemake.params
inp = snakemake.input
patient = snakemake.wildcards.patient
reference = read_fai(inp.fasta, "reference")
contigs = included_contigs(reference, p.exclude_contigs)
regions = target_regions(inp.targets[0], contigs, reference, p.padding, "variants.exclude_contigs") \
    if inp.targets else None
manifest = snakemake.config["variants"]["import"]["manifest"]  # for messages only (checked before the run)
rows = [ImportRow(patient, vcf, r["format"], r["tumour"], 0, manifest) for vcf, r in zip(inp.vcfs, p.rows)]
table = import_calls(rows, inp.fasta, reference, [c for c, _ in contigs], p.filters, regions)
table.insert(0, "patient", patient)
write_tsv(table, snakemake.output[0])
