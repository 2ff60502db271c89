"""Rule qc_identity_sites: the cohort's identity SNPs, chosen once from the known-sites VCF."""
import logging

from ith.io.tables import write_tsv
from ith.qc.identity import sites_from_known
from ith.qc.params import identity_site_params
from ith.rulescript import start

start(snakemake)

params = identity_site_params(snakemake.params.identity)
sites = sites_from_known(snakemake.input.known_sites[0], snakemake.input.fasta, params)
logging.info("known sites %s: %d biallelic autosomal SNPs with population AF in [%g, %g] kept (max_sites %d)",
             snakemake.input.known_sites[0], len(sites), params.min_af, 1 - params.min_af, params.max_sites)
if sites.empty:
    logging.warning("no identity SNPs in %s: the identity check will be not_assessable", snakemake.input.known_sites[0])
write_tsv(sites, snakemake.output[0])
