"""The liquid stage's files for one patient: reading the tables its analysis needs (the rule's
inputs) and writing its tables and figures (the rule's outputs)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ith.io.regions import read_named_regions
from ith.liquid.loci import loci_from_clonal, tumour_allele_lengths

if TYPE_CHECKING:
    from ith.liquid.patient import LiquidResult

log = logging.getLogger(__name__)


@dataclass
class LiquidInputs:
    """What one patient's analysis reads. sheet: the patient's sample-sheet rows; controls:
    sample, patient, type of its controls, its own normal among them; loci: its SNV loci from
    the clonal stage (left_out: those not used, with the reason); pileups, alt_lengths: sample
    -> table at the patient's sites, for its plasma and its controls; ref_lengths: plasma sample
    -> reference fragment length histogram; qc: sample -> QC metrics; parents: the best tree's
    clone -> parent; cn_tf: the copy-number stage's plasma tumour fractions; variant_counts: the
    variants stage's counts; tumour_lengths: tumour-allele fragment lengths for the
    fragment-length weighting (control plasma at their own loci); ch_regions: the known
    clonal-haematopoiesis gene regions (chrom, start0, end, name), None without liquid.ch_regions."""
    sheet: pd.DataFrame
    controls: pd.DataFrame
    loci: pd.DataFrame
    left_out: pd.DataFrame
    pileups: dict[str, pd.DataFrame]
    alt_lengths: dict[str, pd.DataFrame]
    ref_lengths: dict[str, np.ndarray]
    qc: dict[str, dict]
    parents: dict[int, int | None]
    cn_tf: pd.DataFrame | None
    variant_counts: pd.DataFrame
    tumour_lengths: np.ndarray | None = None
    ch_regions: pd.DataFrame | None = None


def _histograms(t: pd.DataFrame) -> dict[str, np.ndarray]:
    """sample -> reference fragment length histogram, from a long (sample, length, fragments) table."""
    out = {}
    for s, g in t.groupby("sample", sort=False):
        h = np.zeros(int(g["length"].max()) + 1, dtype=np.int64)
        h[g["length"].to_numpy(int)] = g["fragments"].to_numpy(np.int64)
        out[str(s)] = h
    return out


def _by_sample(path: str) -> dict[str, pd.DataFrame]:
    t = pd.read_csv(path, sep="\t", dtype={"chrom": str, "sample": str})
    return {str(s): g.drop(columns="sample").reset_index(drop=True) for s, g in t.groupby("sample", sort=False)}


def read_inputs(patient: str, sheet: pd.DataFrame, controls: pd.DataFrame, paths,
                reference: list[tuple[str, int]] | None = None) -> LiquidInputs:
    """Every table the analysis needs, from the paths of the rule's inputs (attributes
    plasma_counts, plasma_alt_lengths, plasma_ref_lengths, control_counts, control_alt_lengths:
    long tables with a sample column; qc, mutations, summary, trees, counts, cn_tf; weight_counts,
    weight_alt_lengths (empty unless fragment weighting is on): the plasma tables of the patients whose plasma serves as
    controls, for the fragment-length weighting; ch_regions: the CH gene BED, a list of at most
    one, read in the naming of `reference`)."""
    na = {"keep_default_na": False, "na_values": ["NA", ""]}
    pileups = _by_sample(paths.plasma_counts)
    alt_lengths = _by_sample(paths.plasma_alt_lengths)
    pileups.update(_by_sample(paths.control_counts))
    alt_lengths.update(_by_sample(paths.control_alt_lengths))
    ref_lengths = _histograms(pd.read_csv(paths.plasma_ref_lengths, sep="\t", dtype={"sample": str}))
    qc = {}
    for f in paths.qc:
        with open(f) as fh:
            d = json.load(fh)
        qc[d["sample"]] = d
    with open(paths.trees) as fh:
        trees = json.load(fh)
    parents = {int(k): (None if v is None else int(v)) for k, v in (trees["trees"][0]["parents"].items()
                                                                   if trees.get("trees") else [])}
    muts = pd.read_csv(paths.mutations, sep="\t", **na, dtype={"mutation_id": str, "sample": str, "driver": str,
                                                               "reason": str, "cn_status": str, "call": str})
    summary = pd.read_csv(paths.summary, sep="\t", **na, dtype={"sample": str, "flags": str, "drivers": str})
    loci, left_out = loci_from_clonal(muts, summary)
    log.info("%d SNV loci from the clonal stage; left out: %s", len(loci), left_out["reason"].value_counts().to_dict())
    control_plasma = set(controls.loc[(controls["type"] == "plasma") & (controls["patient"] != patient), "sample"])
    weight_pileups = []
    for c, a in zip(paths.weight_counts, paths.weight_alt_lengths):
        counts_q, alts_q = _by_sample(c), _by_sample(a)
        weight_pileups += [(counts_q[s], alts_q.get(s, pd.DataFrame(columns=["chrom", "pos", "base", "length"])))
                           for s in counts_q if s in control_plasma]
    ch_paths = list(getattr(paths, "ch_regions", []) or [])
    ch_regions = read_named_regions(ch_paths[0], "liquid.ch_regions", reference or []) if ch_paths else None
    return LiquidInputs(sheet=sheet, controls=controls, loci=loci, left_out=left_out, pileups=pileups,
                        ch_regions=ch_regions,
                        alt_lengths=alt_lengths, ref_lengths=ref_lengths, qc=qc, parents=parents,
                        tumour_lengths=tumour_allele_lengths(weight_pileups),
                        cn_tf=pd.read_csv(paths.cn_tf, sep="\t", dtype={"sample": str}),
                        variant_counts=pd.read_csv(paths.counts, sep="\t", **na,
                                                   dtype={"mutation_id": str, "sample": str, "driver": str}))


def write_outputs(patient: str, res: "LiquidResult", qc: dict[str, dict], out) -> None:
    """The tables and figures, at the paths of the rule's outputs (attributes ctdna, clones, loci,
    fragments, plasma_only, ch, tf_plot, clones_plot, fragments_plot)."""
    from ith.io.tables import write_tsv
    from ith.liquid.plot import plot_clones, plot_fragments, plot_tumour_fraction

    write_tsv(res.ctdna, out.ctdna)
    write_tsv(res.clones, out.clones)
    write_tsv(res.loci, out.loci)
    write_tsv(res.fragments, out.fragments)
    write_tsv(res.plasma_only, out.plasma_only)
    write_tsv(res.ch, out.ch)
    plot_tumour_fraction(patient, res.ctdna, out.tf_plot)
    plot_clones(patient, res.clones, out.clones_plot)
    plot_fragments(patient, {s: qc[s] for s in res.ctdna["sample"] if s in qc}, res.lengths, out.fragments_plot)
