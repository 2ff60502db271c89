"""The two steps of the variants stage: discovery in one genomic chunk, and the patient-level
call that filters, genotypes every sample at the sites, and writes counts.tsv + somatic.vcf.gz."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ith.germline import HetParams, het_mask
from ith.variants.annotate import driver_labels, read_drivers, vcf_lookup, vcf_sites
from ith.io.candidates import pileup_positions
from ith.io.naming import resource_naming
from ith.io.pileup import PileupParams, Region, SiteCounts, empty_counts, pileup_counts, region_label
from ith.io.reference import read_fai
from ith.io.targets import Regions, in_regions
from ith.io.sitecount import count_sites
from ith.variants.presence import (PresenceParams, background, detectable, estimate_plasma_fraction,
                                   estimate_purity, presence)
from ith.variants.orientation import (OrientationFit, OrientationParams, artefact_summary, contexts, fit_sample,
                                      pyrimidine_orientation)
from ith.variants.somatic import SomaticParams, add_filter, clustered, score_sites

log = logging.getLogger(__name__)
COUNT_FIELDS = ("ref", "alt", "ref_fwd", "ref_rev", "alt_fwd", "alt_rev", "alt_qsum", "other")
SITE_COLUMNS = ["chrom", "pos", "ref", "alt", "indel", "n_alts", "alt2_tumour", "RPBZ", "MQBZ", "BQBZ", "MQ0F", "SCBZ"]


@dataclass(frozen=True)
class Sample:
    name: str
    type: str  # normal, tumour, plasma
    bam: str
    purity: float | None = None


def counts_to_frame(c: SiteCounts) -> pd.DataFrame:
    cols = {f"{s}|{f}": getattr(c, f)[:, j] for j, s in enumerate(c.samples) for f in COUNT_FIELDS}
    return pd.concat([c.sites.reset_index(drop=True), pd.DataFrame(cols)], axis=1)


def frame_to_counts(df: pd.DataFrame, samples: list[str]) -> SiteCounts:
    arrays = [np.stack([df[f"{s}|{f}"].to_numpy() for s in samples], axis=1) if len(df)
              else np.zeros((0, len(samples))) for f in COUNT_FIELDS]
    arrays = [a.astype(float) if f == "alt_qsum" else a.astype(np.int64) for a, f in zip(arrays, COUNT_FIELDS)]
    return SiteCounts(df[SITE_COLUMNS].reset_index(drop=True), samples, *arrays)


def discovery_samples(samples: list[Sample], plasma_discovery: bool) -> list[Sample]:
    """Normal first, then tumours (then plasma, when plasma discovery is on)."""
    order = [s for s in samples if s.type == "normal"] + [s for s in samples if s.type == "tumour"]
    if plasma_discovery:
        order += [s for s in samples if s.type == "plasma"]
    return order


def discover_chunk(samples: list[Sample], fasta: str, regions: Sequence[Region], pileup: PileupParams, somatic: SomaticParams,
                   candidate_min_alt: int, plasma_discovery: bool, workdir: str | None = None,
                   hets: HetParams | None = None, prefilter: bool = True,
                   candidates: bool = True,
                   het_vaf: tuple[float, float] = (0.1, 0.9)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Candidate somatic sites of one chunk with their counts in the discovery samples and their
    scores, and (when `hets` is given) the normal's heterozygous SNPs with the same counts, for
    the copy-number stage's BAF: one pileup serves both. With `prefilter`, a compiled pass over
    the reads first finds the positions the pileup's include expression can pass (and those its
    BAQ depends on), and the pileup looks only there: the same sites and counts for less work.
    `candidates` False (own calling off, variants.own_calls): no candidate is returned; with a
    normal the pileup then looks for its het SNPs only (it visits only where the normal shows the
    alt allele). Without a normal (a tumour-only patient) the het SNPs are the SNVs whose allele
    fraction pooled over the tumours is within `het_vaf` (tumour_only.het_vaf; the copy-number
    stage keeps those at population SNPs), and no normal filter applies."""
    disc = discovery_samples(samples, plasma_discovery)
    normal = 0 if disc and disc[0].type == "normal" else None
    first = 0 if normal is None else 1
    min_normal_alt = max(1, int(hets.min_vaf * hets.min_depth)) if hets is not None and normal is not None else None
    if not candidates and hets is None:
        return counts_to_frame(empty_counts([s.name for s in disc])), pd.DataFrame()
    # own calling off with a normal: no tumour alt count reaches this, the pileup looks for the
    # normal's het SNPs only; without a normal they are found among the tumours' SNVs
    het_only = not candidates and normal is not None
    min_tumour_alt = np.iinfo(np.int32).max if het_only else candidate_min_alt
    include = "" if het_only else f"SUM(FMT/AD[{first}-:1-])>={candidate_min_alt}"
    if min_normal_alt is not None:  # site-level expression: a per-sample one would drop the other samples' columns
        include = " || ".join(x for x in (include, f"SUM(FMT/AD[0:1])>={min_normal_alt}") if x)
    visit = None
    where = region_label(regions)
    if prefilter:
        visit, n_visit, n_bases = pileup_positions([s.bam for s in disc], fasta, regions, pileup, min_tumour_alt,
                                                   min_normal_alt, first)
        log.info("%s: the pileup visits %d of %d positions (%.2f%%)", where, n_visit, n_bases,
                 100 * n_visit / max(n_bases, 1))
    counts = pileup_counts([s.bam for s in disc], [s.name for s in disc], fasta, pileup,
                           tumour_idx=list(range(first, len(disc))), regions=regions, include=include, workdir=workdir,
                           visit=visit)
    if candidates:
        scores = score_sites(counts, normal, list(range(first, len(disc))), somatic)
        keep = scores["tlod"].to_numpy() >= somatic.emit_lod
        log.info("%s: %d sites piled up, %d reach the emit log-odds %.1f", where, len(counts), int(keep.sum()),
                 somatic.emit_lod)
    else:
        keep = np.zeros(len(counts), dtype=bool)
        log.info("%s: own calling off (variants.own_calls): %d sites piled up for the het SNPs only", where,
                 len(counts))
    het_frame = pd.DataFrame()
    if hets is not None and normal is None:
        t = [i for i, smp in enumerate(disc) if smp.type == "tumour"]
        pooled = HetParams(hets.min_depth, het_vaf[0], het_vaf[1], hets.max_other)
        het = het_mask(counts.ref[:, t].sum(1), counts.alt[:, t].sum(1), counts.other[:, t].sum(1),
                       counts.sites["indel"].to_numpy(bool), pooled)
        log.info("%s: no normal: %d SNPs with a pooled tumour VAF %.2f-%.2f (depth >= %d), BAF candidates", where,
                 int(het.sum()), het_vaf[0], het_vaf[1], hets.min_depth)
        het_frame = het_table(counts.subset(het))
    elif hets is not None:
        het = het_mask(counts.ref[:, 0], counts.alt[:, 0], counts.other[:, 0], counts.sites["indel"].to_numpy(bool),
                       hets)
        log.info("%s: %d heterozygous SNPs in the normal (depth >= %d, VAF %.2f-%.2f)", where, int(het.sum()),
                 hets.min_depth, hets.min_vaf, hets.max_vaf)
        het_frame = het_table(counts.subset(het))
    return counts_to_frame(counts.subset(keep)), het_frame


def het_table(c: SiteCounts) -> pd.DataFrame:
    """Long table: chrom, pos, ref, alt, sample, ref_counts, alt_counts, baf."""
    frames = []
    for j, s in enumerate(c.samples):
        depth = c.ref[:, j] + c.alt[:, j]
        with np.errstate(invalid="ignore", divide="ignore"):
            baf = np.where(depth > 0, c.alt[:, j] / np.maximum(depth, 1), np.nan)
        frames.append(pd.DataFrame({"chrom": c.sites["chrom"].to_numpy(), "pos": c.sites["pos"].to_numpy(),
                                    "ref": c.sites["ref"].to_numpy(), "alt": c.sites["alt"].to_numpy(), "sample": s,
                                    "ref_counts": c.ref[:, j], "alt_counts": c.alt[:, j], "baf": np.round(baf, 4)}))
    cols = ["chrom", "pos", "ref", "alt", "sample", "ref_counts", "alt_counts", "baf"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def _genome_order(fasta: str):
    rank = {name: i for i, (name, _) in enumerate(read_fai(fasta, "reference"))}

    def key(col: pd.Series) -> pd.Series:
        return col.map(rank) if col.name == "chrom" else col

    return key


def add_external_sites(frame: pd.DataFrame, vcf: str, disc: list[Sample], fasta: str, pileup: PileupParams,
                       workdir: str | None, what: str = "variants.external_vcfs",
                       regions: Regions | None = None) -> pd.DataFrame:
    """Sites of an external call set that discovery did not emit, piled up in the discovery
    samples; its contigs read in the reference's naming, sites on other contigs left out, and
    with `regions` (an exome's or panel's padded targets) sites outside them too."""
    ext = vcf_sites(vcf)
    to_reference = resource_naming(vcf, what, read_fai(fasta, "reference"), "vcf").to_reference
    ext = ext.assign(chrom=ext["chrom"].map(to_reference))
    if ext["chrom"].isna().any():
        log.info("external calls %s: %d sites on contigs the reference does not have, left out", vcf,
                 int(ext["chrom"].isna().sum()))
        ext = ext.dropna(subset=["chrom"]).reset_index(drop=True)
    if regions is not None:
        inside = in_regions(regions, ext["chrom"].to_numpy(), ext["pos"].to_numpy())
        if not inside.all():
            log.info("external calls %s: %d sites outside the padded targets, left out", vcf, int((~inside).sum()))
            ext = ext[inside].reset_index(drop=True)
    ext_ids = set(mutation_ids(ext))
    found = mutation_ids(frame).isin(ext_ids).to_numpy()
    frame.loc[found, "external"] = True
    new = ext[~mutation_ids(ext).isin(set(mutation_ids(frame)))]
    log.info("external calls %s: %d sites, %d already found by discovery, %d added", vcf, len(ext), int(found.sum()),
             len(new))
    if new.empty:
        return frame
    c = pileup_counts([s.bam for s in disc], [s.name for s in disc], fasta, pileup,
                      tumour_idx=list(range(1, len(disc))), sites=new, workdir=workdir)
    return pd.concat([frame, counts_to_frame(c).assign(external=True)], ignore_index=True)


@dataclass
class CallResult:
    sites: pd.DataFrame  # every emitted site: scores, filters, annotations
    counts: SiteCounts  # all samples (sheet order) at every emitted site
    table: pd.DataFrame  # counts.tsv rows (PASS sites x all samples)
    purity: dict[str, float]
    orientation: pd.DataFrame | None = None  # orientation.tsv: per-sample artefact burden and calls removed


def call_patient(patient: str, samples: list[Sample], chunks: list[pd.DataFrame], fasta: str,
                 pileup: PileupParams, somatic: SomaticParams, presence_params: PresenceParams,
                 plasma_discovery: bool, germline_resource: str | None = None, panel_of_normals: str | None = None,
                 drivers: str | None = None, external_vcf: str | None = None,
                 workdir: str | None = None, regions: Regions | None = None,
                 orientation: OrientationParams | None = None, imported: pd.DataFrame | None = None,
                 own_calls: bool = True) -> CallResult:
    """regions: an exome's or panel's padded targets (io.targets.target_regions), where discovery
    looked; external calls outside them are left out as well. orientation: the read-orientation
    artefact model (variants.orientation; None or disabled: not fitted). imported: calls made
    elsewhere, taken as called (ith.variants.imported.import_calls: chrom, pos, ref, alt, source):
    PASS whatever our filters say, genotyped in every sample as ours are. own_calls: False leaves
    the discovered candidates (`chunks`) out, so only the imported calls are genotyped."""
    disc = discovery_samples(samples, plasma_discovery)
    names = [s.name for s in disc]
    own = [c for c in chunks if len(c)] if own_calls else []
    frame = pd.concat(own, ignore_index=True) if own else counts_to_frame(empty_counts(names))
    frame["external"] = False
    frame["imported"] = ""
    if external_vcf:
        frame = add_external_sites(frame, external_vcf, disc, fasta, pileup, workdir,
                                   f"variants.external_vcfs.{patient}", regions)
        frame["imported"] = frame["imported"].fillna("")
    if imported is not None and len(imported):
        frame = add_imported_sites(frame, imported, disc, fasta, pileup, workdir)
    frame = frame.sort_values(["chrom", "pos"], key=_genome_order(fasta), kind="stable").reset_index(drop=True)
    external = frame["external"].to_numpy(dtype=bool)
    source = frame["imported"].to_numpy(dtype=object)
    is_imported = source != ""
    dc = frame_to_counts(frame, names)
    normal = 0 if disc and disc[0].type == "normal" else None  # None: a tumour-only patient
    tumours = list(range(0 if normal is None else 1, len(disc)))
    scores = score_sites(dc, normal, tumours, somatic)
    sites = pd.concat([dc.sites, scores], axis=1)
    sites["external"] = external
    filters = list(sites["filters"])
    reference = read_fai(fasta, "reference")
    sites["pop_af"] = np.nan
    if germline_resource:
        naming = resource_naming(germline_resource, "variants.germline_resource", reference, "vcf")
        sites["pop_af"] = vcf_lookup(sites, germline_resource, True, naming)
    filters = add_filter(filters, np.nan_to_num(sites["pop_af"].to_numpy(), nan=0.0) > somatic.max_population_af,
                         "germline_population")
    if panel_of_normals:
        naming = resource_naming(panel_of_normals, "panel_of_normals", reference, "vcf")
        filters = add_filter(filters, vcf_lookup(sites, panel_of_normals, False, naming) > 0, "panel_of_normals")
    # events that look somatic (germline sites excluded) and are near each other: misalignment artefacts
    germline_like = np.array([("normal_evidence" in f) or ("germline_population" in f) for f in filters], dtype=bool)
    events = (sites["tlod"].to_numpy() >= somatic.min_tumour_lod) & ~germline_like
    artefact = f1r2 = f2r1 = summary = None
    if orientation is not None and orientation.enabled:
        # before the clustered filter: a block's artefacts are not events that make a real
        # mutation near them look like misalignment
        artefact, f1r2, f2r1, fits = orientation_posteriors(sites, samples, fasta, pileup, orientation)
        events &= ~artefact_only(artefact, f1r2 + f2r1, orientation.max_posterior)
    filters = add_filter(filters, clustered(sites["chrom"], sites["pos"], events, somatic.cluster_window,
                                            somatic.cluster_max), "clustered")
    sites["filters"] = filters
    sites["driver"] = driver_labels(sites, read_drivers(drivers, reference)) if drivers else ""
    reasons = Counter(f for fs in filters for f in fs.split(";") if f)
    n_pass = sum(1 for f in filters if not f)
    log.info("%s: %d sites emitted, %d PASS by our filters; filtered by reason: %s", patient, len(sites), n_pass,
             dict(reasons))
    if is_imported.any():
        # taken as called: their FILTER decided (ith.variants.imported), ours is kept as own_filter
        own_pass = np.array([not f for f in filters], dtype=bool)
        log.info("%s: %d imported calls kept as called; of them %d PASS our filters as well, %d would be filtered "
                 "(%s); %d PASS sites of ours are not among them", patient, int(is_imported.sum()),
                 int((own_pass & is_imported).sum()), int((~own_pass & is_imported).sum()),
                 dict(Counter(f for fs, m in zip(filters, is_imported) if m for f in fs.split(";") if f)),
                 int((own_pass & ~is_imported).sum()))
        sites["filters"] = ["" if m else f for f, m in zip(filters, is_imported)]

    counts = genotype_all_samples(sites, dc, samples, fasta, pileup, workdir)
    if artefact is not None:
        ok = (sites["filters"] == "").to_numpy()
        before = present_calls(samples, sites, counts, somatic, presence_params, ok)[0]
        after = before & ~(artefact[ok] > orientation.max_posterior)
        only = np.zeros(len(sites), dtype=bool)
        only[np.flatnonzero(ok)] = before.any(axis=1) & ~after.any(axis=1)
        filters = add_filter(filters, only, "orientation")
        only &= ~is_imported  # an imported call stays: in its samples, artefact-like evidence is not present
        sites["filters"] = add_filter(list(sites["filters"]), only, "orientation")
        summary = artefact_summary(patient, [s.name for s in samples], fits, before, after, int(only.sum()))
        log.info("%s: orientation artefacts: %d PASS sites whose only evidence is artefact-like filtered; "
                 "per sample: %s", patient, int(only.sum()),
                 summary.set_index("sample")[["artefact_burden", "calls_removed"]].to_dict("index"))
    if summary is None:  # not modelled: the table says so, sample by sample
        none = np.zeros((0, len(samples)), dtype=bool)
        summary = artefact_summary(patient, [s.name for s in samples], {}, none, none, 0)
    if artefact is not None:
        sites["artefact_posterior"] = np.round(artefact.max(axis=1), 4) if artefact.size else 0.0
    sites["own_filter"] = filters
    sites["source"] = [",".join((["own"] if own_calls and not f else []) + ([src] if src else [])) or "none"
                       for f, src in zip(filters, source)]
    table, purity = presence_table(patient, samples, sites, counts, somatic, presence_params, artefact,
                                   orientation.max_posterior if orientation is not None else 1.0, f1r2, f2r1)
    return CallResult(sites, counts, table, purity, summary)


def add_imported_sites(frame: pd.DataFrame, imported: pd.DataFrame, disc: list[Sample], fasta: str,
                       pileup: PileupParams, workdir: str | None) -> pd.DataFrame:
    """The imported calls (chrom, pos, ref, alt, source) marked among the discovered sites (column
    `imported`: their source), and those discovery did not emit piled up in the discovery samples."""
    src = dict(zip(mutation_ids(imported), imported["source"]))
    ids = mutation_ids(frame)
    found = ids.isin(src).to_numpy()
    frame.loc[found, "imported"] = ids[found].map(src).to_numpy()
    new = imported[~mutation_ids(imported).isin(set(ids))]
    log.info("imported calls: %d, %d of them among the sites discovery emitted, %d piled up", len(imported),
             int(found.sum()), len(new))
    if new.empty:
        return frame
    c = pileup_counts([s.bam for s in disc], [s.name for s in disc], fasta, pileup,
                      tumour_idx=list(range(1, len(disc))), sites=new, workdir=workdir)
    got = counts_to_frame(c).assign(external=False)
    got["imported"] = mutation_ids(got).map(src).fillna("").to_numpy()
    rest = new[~mutation_ids(new).isin(set(mutation_ids(got)))]
    missing = len(rest)
    if missing:
        # a site the pileup cannot report (e.g. no read covers it in any discovery sample) is still
        # a call: it is kept with zero counts, and is present in no sample
        zero = counts_to_frame(empty_counts([s.name for s in disc]))
        zero = pd.concat([zero, rest[["chrom", "pos", "ref", "alt"]].assign(n_alts=1, alt2_tumour=0.0)],
                         ignore_index=True)
        for col in zero.columns:
            if "|" in col:
                zero[col] = 0
        zero["external"] = False
        zero["imported"] = mutation_ids(zero).map(src).to_numpy()
        log.info("imported calls: %d with no read in any discovery sample, kept with zero counts", missing)
        got = pd.concat([got, zero], ignore_index=True)
    # an indel no read shows comes back from the pileup as its position's SNV record: the allele decides
    got["indel"] = (got["ref"].str.len() != got["alt"].str.len()).to_numpy()
    return pd.concat([frame, got], ignore_index=True)


def artefact_only(artefact: np.ndarray, alt_fragments: np.ndarray, max_posterior: float) -> np.ndarray:
    """Sites whose every sample with >= 2 alt fragments has artefact-like evidence (and some has)."""
    evident = alt_fragments >= 2
    return evident.any(axis=1) & ~(evident & (artefact <= max_posterior)).any(axis=1)


def orientation_posteriors(sites: pd.DataFrame, samples: list[Sample], fasta: str, pileup: PileupParams,
                           p: OrientationParams) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, OrientationFit]]:
    """(sites x samples) artefact posterior and alt fragments on F1R2 and F2R1 (of the + strand),
    for the tumour samples, from a fragment count of every emitted SNV site (each fragment once,
    its pair's orientation from read 1's strand; ith.io.sitecount.count_sites); the model is fitted
    per sample on all of them (ith.variants.orientation). Other samples, and indels, are 0."""
    n, m = len(sites), len(samples)
    post, f1, f2 = np.zeros((n, m)), np.zeros((n, m), np.int64), np.zeros((n, m), np.int64)
    fits: dict[str, OrientationFit] = {}
    snv = ~sites["indel"].to_numpy(bool) & (sites["ref"].str.len() == 1).to_numpy() & \
        (sites["alt"].str.len() == 1).to_numpy()
    if not snv.any():
        return post, f1, f2, fits
    s = sites.loc[snv, ["chrom", "pos", "ref", "alt"]].reset_index(drop=True)
    ctx, flipped = contexts(fasta, s["chrom"].to_numpy(), s["pos"].to_numpy(), s["ref"].to_numpy(), s["alt"].to_numpy())
    bases = {b: i for i, b in enumerate("ACGT")}
    ri = s["ref"].map(bases).to_numpy()
    ai = s["alt"].map(bases).to_numpy()
    rows = np.arange(len(s))
    for j, smp in enumerate(samples):
        if smp.type != "tumour":
            continue
        o = count_sites(smp.bam, s, pileup.min_mapq, pileup.min_baseq, reference=fasta).orientation
        alt1, alt2 = o[rows, ai, 0], o[rows, ai, 1]
        dep1, dep2 = o[rows, ri, 0] + alt1, o[rows, ri, 1] + alt2
        a1, a2 = pyrimidine_orientation(alt1, alt2, flipped)
        d1, d2 = pyrimidine_orientation(dep1, dep2, flipped)
        fit = fit_sample(ctx, a1, d1, a2, d2, p)
        fits[smp.name] = fit
        post[snv, j] = fit.posterior
        f1[snv, j], f2[snv, j] = alt1, alt2
    return post, f1, f2, fits


def mutation_ids(sites: pd.DataFrame) -> pd.Series:
    return sites["chrom"] + ":" + sites["pos"].astype(str) + ":" + sites["ref"] + ":" + sites["alt"]


def genotype_all_samples(sites: pd.DataFrame, dc: SiteCounts, samples: list[Sample], fasta: str,
                         pileup: PileupParams, workdir: str | None) -> SiteCounts:
    """Counts of every sample (sheet order) at the emitted sites: discovery samples from their
    pileup, the others (plasma, usually) from one streaming -T pass over their BAMs."""
    names = dc.samples
    rest = [s for s in samples if s.name not in names]
    g, idx = None, None
    if rest:
        g = pileup_counts([s.bam for s in rest], [s.name for s in rest], fasta, pileup, tumour_idx=[],
                          sites=sites[["chrom", "pos", "ref", "alt"]], workdir=workdir)
        row_of = {k: i for i, k in enumerate(mutation_ids(g.sites))}
        idx = np.array([row_of.get(k, -1) for k in mutation_ids(sites)], dtype=np.int64)
    fields = {}
    for f in ("ref", "alt", "ref_fwd", "ref_rev", "alt_fwd", "alt_rev"):
        cols = []
        for s in samples:
            if s.name in names:
                cols.append(getattr(dc, f)[:, names.index(s.name)])
            else:
                col = getattr(g, f)[:, g.samples.index(s.name)]
                cols.append(np.where(idx >= 0, col[np.clip(idx, 0, None)], 0) if len(col) else np.zeros(len(idx), np.int64))
        fields[f] = np.stack(cols, axis=1) if cols else np.zeros((len(sites), 0), dtype=np.int64)
    z = np.zeros_like(fields["ref"])
    return SiteCounts(sites[SITE_COLUMNS].reset_index(drop=True), [s.name for s in samples], fields["ref"],
                      fields["alt"], fields["ref_fwd"], fields["ref_rev"], fields["alt_fwd"], fields["alt_rev"],
                      z.astype(float), z)


def present_calls(samples: list[Sample], sites: pd.DataFrame, counts: SiteCounts, somatic: SomaticParams,
                  pp: PresenceParams, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(present, p-value, background error) of the `ok` sites x every sample."""
    alt, ref = counts.alt[ok], counts.ref[ok]
    depth = alt + ref
    floor = np.where(sites["indel"].to_numpy()[ok], somatic.indel_error_rate, pp.background_error_rate)
    normal = [i for i, s in enumerate(samples) if s.type == "normal"]
    # without a normal (tumour-only) the site's background is the error floor alone
    err = (background(alt[:, normal[0]], depth[:, normal[0]], floor) if normal else
           np.broadcast_to(floor, (len(alt),)).astype(float))[:, None] * np.ones((1, len(samples)))
    present, pval = presence(alt, depth, err, pp)
    return present, pval, err


def presence_table(patient: str, samples: list[Sample], sites: pd.DataFrame, counts: SiteCounts,
                   somatic: SomaticParams, pp: PresenceParams, artefact: np.ndarray | None = None,
                   max_posterior: float = 1.0, f1r2: np.ndarray | None = None,
                   f2r1: np.ndarray | None = None) -> tuple[pd.DataFrame, dict[str, float]]:
    """counts.tsv: PASS mutations x every sample, with present/detectable calls. With `artefact`
    (all sites x samples, the orientation model's posterior), a sample's evidence above
    `max_posterior` is not present; f1r2/f2r1 (the alt fragments per orientation) become columns."""
    ok = (sites["filters"] == "").to_numpy()
    alt, ref = counts.alt[ok], counts.ref[ok]
    depth = alt + ref
    present, pval, err = present_calls(samples, sites, counts, somatic, pp, ok)
    if artefact is not None:
        present &= ~(artefact[ok] > max_posterior)
    tumour_cols = [i for i, s in enumerate(samples) if s.type == "tumour"]
    truncal = present[:, tumour_cols].all(axis=1) if tumour_cols else np.zeros(len(alt), bool)
    purity = {}
    for i, s in enumerate(samples):
        if s.type == "normal":
            purity[s.name] = 0.0
        elif s.purity is not None and not np.isnan(s.purity):
            purity[s.name] = float(s.purity)
        elif s.type == "tumour":
            purity[s.name] = estimate_purity(alt[:, i], depth[:, i], present[:, i])
        else:
            purity[s.name] = estimate_plasma_fraction(alt[:, i], depth[:, i], truncal)
    pur = np.array([0.0 if np.isnan(purity[s.name]) else purity[s.name] for s in samples])
    det = detectable(depth, err, pur[None, :] * np.ones_like(depth, dtype=float), pp)
    mid = mutation_ids(sites).to_numpy()[ok]
    n, m = alt.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        vaf = np.where(depth > 0, alt / depth, np.nan)
    table = pd.DataFrame({
        "patient": patient,
        "mutation_id": np.repeat(mid, m),
        "sample": np.tile([s.name for s in samples], n),
        "ref_counts": ref.ravel(), "alt_counts": alt.ravel(), "depth": depth.ravel(),
        "present": present.ravel(), "detectable": det.ravel(),
        "vaf": np.round(vaf.ravel(), 6), "p_value": pval.ravel(),
        "indel": np.repeat(sites["indel"].to_numpy()[ok], m),
        "driver": np.repeat(sites["driver"].to_numpy()[ok], m),
    })
    if artefact is not None:
        table["f1r2_alt"] = f1r2[ok].ravel()
        table["f2r1_alt"] = f2r1[ok].ravel()
        table["artefact_posterior"] = np.round(artefact[ok].ravel(), 4)
    return table, purity
