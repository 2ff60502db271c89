"""Rule copynumber_call: joint segmentation, purity/ploidy, integer states, plasma fractions, plot."""
import logging

import pandas as pd

from ith.copynumber.call import CnSample, call_patient
from ith.copynumber.params import cn_params
from ith.copynumber.plot import plot_patient
from ith.io.jsonout import write_json
from ith.io.tables import write_tsv
from ith.rulescript import start
from ith.variants.tumouronly import diploid_prefilter

start(snakemake)

inp, out, p = snakemake.input, snakemake.output, snakemake.params
patient = snakemake.wildcards.patient
params = cn_params(p.copynumber)
logging.info("patient %s; parameters %s", patient, p.copynumber)
samples = [CnSample(s["name"], s["type"], s["purity"]) for s in p.samples]
bins = pd.read_csv(inp.bins, sep="\t", dtype={"chrom": str})
cov = {s.name: pd.read_csv(f, sep="\t", dtype={"chrom": str}) for s, f in zip(samples, inp.coverage)}
ratios = {}
for f in inp.ratios:
    t = pd.read_csv(f, sep="\t", dtype={"chrom": str})
    ratios[t["sample"].iloc[0]] = t["log2r"].to_numpy(float)
baf = pd.read_csv(inp.baf, sep="\t", dtype={"chrom": str, "ref": str, "alt": str}, keep_default_na=False,
                  na_values=["NA"])
counts = pd.read_csv(inp.counts, sep="\t", keep_default_na=False, na_values=["NA"])
if p.tumour_only:  # no normal: purity reads the candidates that are somatic with every region diploid
    somatic, purity = diploid_prefilter(counts, p.tumour_only["tumours"], p.tumour_only["precision"])
    logging.info("tumour-only: %d of %d candidates somatic with every region diploid (purities then %s); "
                 "only they inform purity", len(somatic), counts["mutation_id"].nunique(), purity)
    counts = counts[counts["mutation_id"].isin(somatic)]
res = call_patient(patient, bins, {k: v["depth"].to_numpy(float) for k, v in cov.items()},
                   {k: v["reads"].to_numpy(float) for k, v in cov.items()}, samples, baf, params, sex=p.sex,
                   mutations=counts, log2r=ratios)
write_tsv(res.segments, out.segments)
write_tsv(res.purity, out.purity)
write_tsv(res.plasma, out.plasma)
write_json(res.metrics, out.metrics)
plot_patient(res, bins, res.log2r or ratios, out.plot)  # the ratios after the GC refit
