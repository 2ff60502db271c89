"""The patient's multi-sample somatic VCF (bgzipped + tabix), every sample a column."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pysam

from ith import __version__

FILTER_DESCRIPTIONS = {
    "low_tlod": "Tumour log-odds below min_tumour_lod",
    "tumour_depth": "No tumour sample reaches min_tumour_depth",
    "normal_depth": "Normal depth below min_normal_depth",
    "normal_evidence": "Alt allele in the normal (VAF above max_normal_vaf or normal log-odds below min_normal_lod)",
    "strand_bias": "Alt reads on one strand out of proportion to the ref reads",
    "read_position": "Alt alleles at biased read positions (|RPBZ| above max_read_pos_z)",
    "mapq_bias": "Alt reads with biased mapping quality (|MQBZ| above max_mapq_bias_z)",
    "base_quality": "Mean alt base quality below min_alt_baseq",
    "mq0": "Fraction of MAPQ-0 reads above max_mq0_fraction",
    "multiallelic": "A second alt allele with substantial tumour support",
    "clustered": "More than cluster_max candidate events within cluster_window bp",
    "orientation": "Every sample's evidence looks like a read-orientation artefact (FFPE, 8-oxoG)",
    "panel_of_normals": "Site in the panel of normals",
    "germline_population": "Population allele frequency above max_population_af",
}


def write_vcf(path: str, contigs: list[tuple[str, int]], samples: list[str], sites: pd.DataFrame,
              ref: np.ndarray, alt: np.ndarray, ref_fwd: np.ndarray, ref_rev: np.ndarray, alt_fwd: np.ndarray,
              alt_rev: np.ndarray, fasta: str) -> None:
    """Write `path` (.vcf.gz) and its .tbi; sites need chrom,pos,ref,alt,filters,tlod,nlod,indel,driver,pop_af
    (and, from call_patient, source and own_filter)."""
    header = pysam.VariantHeader()
    header.add_line(f"##source=ith {__version__}")
    header.add_line(f"##reference=file://{os.path.abspath(fasta)}")
    for name, length in contigs:
        header.contigs.add(name, length=length)
    for k, v in FILTER_DESCRIPTIONS.items():
        header.filters.add(k, None, None, v)
    header.info.add("SOMATIC", 0, "Flag", "Somatic candidate scored by ith")
    header.info.add("TLOD", 1, "Float", "Tumour log10 odds, summed over regions with a free VAF each")
    header.info.add("NLOD", 1, "Float", "Normal log10 odds of reference against heterozygous germline")
    header.info.add("INDEL", 0, "Flag", "Short insertion or deletion")
    header.info.add("POP_AF", 1, "Float", "Allele frequency in the germline population resource")
    header.info.add("DRIVER", ".", "String", "Driver genes or hotspots the site lies in")
    header.info.add("EXTERNAL", 0, "Flag", "Site given in the patient's external call set")
    header.info.add("SOURCE", ".", "String", "Call sets that call the site: own (passes our filters), "
                    "imported:<format> (variants.import, taken as called); none for a filtered site")
    header.info.add("OWN_FILTER", ".", "String", "Our filters' verdict on an imported call (PASS or the reasons)")
    header.formats.add("AD", "R", "Integer", "Allelic depths (ref, alt) of high-quality bases")
    header.formats.add("DP", 1, "Integer", "Depth of high-quality bases (ref + alt)")
    header.formats.add("AF", "A", "Float", "Alt allele fraction")
    header.formats.add("ADF", "R", "Integer", "Allelic depths on the forward strand")
    header.formats.add("ADR", "R", "Integer", "Allelic depths on the reverse strand")
    for s in samples:
        header.add_sample(s)
    plain = path[:-3] if path.endswith(".gz") else path
    with pysam.VariantFile(plain, "w", header=header) as out:
        for i, row in enumerate(sites.itertuples(index=False)):
            rec = out.new_record(contig=row.chrom, start=int(row.pos) - 1, alleles=(row.ref, row.alt))
            for f in (row.filters.split(";") if row.filters else ["PASS"]):
                rec.filter.add(f)
            rec.info["SOMATIC"] = True
            rec.info["TLOD"] = float(row.tlod)
            rec.info["NLOD"] = float(row.nlod)
            if row.indel:
                rec.info["INDEL"] = True
            if not np.isnan(row.pop_af):
                rec.info["POP_AF"] = float(row.pop_af)
            if row.external:
                rec.info["EXTERNAL"] = True
            if row.driver:
                rec.info["DRIVER"] = row.driver.split(",")
            source = getattr(row, "source", "")
            if source:
                rec.info["SOURCE"] = source.split(",")
                if "imported:" in source:
                    rec.info["OWN_FILTER"] = (row.own_filter or "PASS").split(";")
            for j, s in enumerate(samples):
                d = int(ref[i, j] + alt[i, j])
                smp = rec.samples[s]
                smp["AD"] = (int(ref[i, j]), int(alt[i, j]))
                smp["DP"] = d
                smp["AF"] = round(float(alt[i, j]) / d, 5) if d else None
                smp["ADF"] = (int(ref_fwd[i, j]), int(alt_fwd[i, j]))
                smp["ADR"] = (int(ref_rev[i, j]), int(alt_rev[i, j]))
            out.write(rec)
    pysam.tabix_index(plain, preset="vcf", force=True)
    if plain + ".gz" != path:
        os.replace(plain + ".gz", path)
        os.replace(plain + ".gz.tbi", path + ".tbi")
