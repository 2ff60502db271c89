"""Rule copynumber_import: other tools' copy number, purity and ploidy in copynumber_call's outputs."""
import logging

from ith.copynumber.importers import ImportRow, import_patient
from ith.copynumber.plot import plot_segments
from ith.io.jsonout import write_json
from ith.io.reference import read_fai
from ith.io.tables import write_tsv
from ith.rulescript import start

start(snakemake)

inp, out, p = snakemake.input, snakemake.output, snakemake.params
patient = snakemake.wildcards.patient
logging.info("patient %s; manifest %s; rows %s", patient, inp.manifest, p.rows)
contigs = read_fai(inp.fai[:-4], "reference", fai=inp.fai)
rows = [ImportRow(r["sample"], r["format"], r["segments"], r["purity"], r["ploidy"], r["tool_sample"]) for r in p.rows]
res = import_patient(patient, rows, p.samples, contigs, p.sex, p.wgd_major_fraction)
for r in res.purity.itertuples():
    logging.info("%s: purity %s ploidy %s wgd %s (%s)", r.sample, r.purity, r.ploidy, r.wgd, r.method)
logging.info("%d segments x samples written; %d flag(s)", len(res.segments), len(res.metrics["flags"]))
write_tsv(res.segments, out.segments)
write_tsv(res.purity, out.purity)
write_tsv(res.plasma, out.plasma)
write_json(res.metrics, out.metrics)
plot_segments(res.segments, res.purity, out.plot)
