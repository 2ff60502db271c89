"""A patient's signature analysis from the clonal and phylogeny stages' tables: SBS96 counts of
the trunk, the subclonal mutations, every clone, every region-tree branch and every region;
fits; truncal vs subclonal exposures; the figure."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ith.io.mutations import split_ids
from ith.signatures.context import PLOT_ORDER, SUBSTITUTIONS, channels_from_fasta, count_matrix
from ith.signatures.fit import SignatureParams, dominant, fit_groups

GROUP_KINDS = ("trunk", "subclonal", "clone", "branch", "region")


def snv_table(clonal: pd.DataFrame, phylo: pd.DataFrame, parents: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """One row per mutation (chrom, pos, ref, alt, cluster_id, regions present, branch pattern,
    kind) and the founder clusters of the best tree. Artefact clusters are in no tree:
    their mutations count for regions only."""
    m = clonal.copy()
    m["cluster_id"] = m["cluster_id"].astype(str).replace({"nan": "", "NA": "", "<NA>": ""})
    present = m[m["present"].astype(str).str.lower() == "true"].groupby("mutation_id", sort=False)["sample"] \
        .agg(lambda s: ",".join(sorted(map(str, s))))
    per = m.drop_duplicates("mutation_id").set_index("mutation_id")[["cluster_id"]]
    per["present_in"] = present.reindex(per.index).fillna("")
    ph = phylo.drop_duplicates("mutation_id").set_index("mutation_id")
    per["branch"] = ph["regions"].astype(str).reindex(per.index).fillna("") if len(ph) else ""
    ids = split_ids(pd.Series(per.index))
    out = pd.concat([ids.set_index("mutation_id"), per], axis=1).reset_index()
    tree = parents["cluster_id"].astype(str).tolist() if len(parents) else []
    founders = parents.loc[parents["parent_id"].astype(str) == "root", "cluster_id"].astype(str).tolist() \
        if len(parents) else []
    out["in_tree"] = out["cluster_id"].isin(tree)
    return out, founders


def groups(snvs: pd.DataFrame, founders: list[str]) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """Masks of every group over `snvs` and a table of the groups (group, kind, label)."""
    masks: dict[str, np.ndarray] = {}
    rows = []

    def add(name, kind, label, mask):
        masks[name] = np.asarray(mask, dtype=bool)
        rows.append(dict(group=name, kind=kind, label=label))

    trunk = snvs["cluster_id"].isin(founders).to_numpy()
    add("trunk", "trunk", "founder clone(s) " + ",".join(founders), trunk)
    add("subclonal", "subclonal", "every other clone of the tree", snvs["in_tree"].to_numpy() & ~trunk)
    for c in sorted(snvs.loc[snvs["in_tree"], "cluster_id"].unique(), key=lambda x: (len(x), x)):
        add(f"clone {c}", "clone", c, (snvs["cluster_id"] == c).to_numpy())
    for b in sorted(x for x in snvs["branch"].unique() if x):
        add(f"branch {b}", "branch", b, (snvs["branch"] == b).to_numpy())
    regions = sorted({r for x in snvs["present_in"] for r in x.split(",") if r})
    for r in regions:
        add(f"region {r}", "region", r, snvs["present_in"].str.split(",").apply(lambda v, r=r: r in v).to_numpy())
    return masks, pd.DataFrame(rows, columns=["group", "kind", "label"])


def truncal_vs_subclonal(exposures: pd.DataFrame) -> pd.DataFrame:
    """Per signature: exposure in the trunk and in the subclonal mutations (NA when that group
    was not fitted) and subclonal minus truncal."""
    e = exposures[exposures["fitted"] & exposures["group"].isin(["trunk", "subclonal"])]
    t = e.pivot_table(index="signature", columns="group", values="exposure", aggfunc="first")
    t = t.reindex(columns=["trunk", "subclonal"])
    t.columns = ["truncal", "subclonal"]
    t["difference"] = (t["subclonal"] - t["truncal"]).round(4)
    return t.reset_index()


def run(patient: str, clonal: pd.DataFrame, phylo: pd.DataFrame, parents: pd.DataFrame, fasta,
        params: SignatureParams) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """sbs96 (channel x group counts), exposures (one row per group and signature) and metrics."""
    snvs, founders = snv_table(clonal, phylo, parents)
    chans, mismatched = channels_from_fasta(fasta, snvs["chrom"], snvs["pos"], snvs["ref"], snvs["alt"])
    snvs["channel"] = chans
    if mismatched:
        logging.warning("%d SNV(s) whose reference base differs from the FASTA: left out", mismatched)
    absent = ~snvs["chrom"].isin(set(fasta.references))
    if absent.any():  # a FASTA of another naming (1 against chr1) than the calls: say so, not just count 0
        logging.warning("%d mutation(s) on contigs the FASTA does not have (%s; the FASTA has %s): left out",
                        int(absent.sum()), ", ".join(pd.unique(snvs.loc[absent, "chrom"])[:3]),
                        ", ".join(list(fasta.references)[:3]))
    logging.info("%d mutations, %d SBS96 SNVs; founders %s", len(snvs), snvs["channel"].notna().sum(), founders)
    masks, table = groups(snvs, founders)
    if len(parents):  # a clone's place in the tree
        parent = dict(zip(parents["cluster_id"].astype(str), parents["parent_id"].astype(str)))
        clones = table["kind"] == "clone"
        table.loc[clones, "label"] = [f"{c} (parent {parent.get(c, 'root')})" for c in table.loc[clones, "label"]]
    counts = count_matrix(snvs["channel"], masks)
    exposures = fit_groups(counts, params)
    exposures = table.merge(exposures, on="group", how="right")
    exposures.insert(0, "patient", patient)
    sbs96 = long_counts(counts, table)
    tvs = truncal_vs_subclonal(exposures)
    dom = dominant(exposures)
    n = counts.sum()
    metrics = {
        "engine": params.engine, "cosmic_version": params.cosmic_version, "genome_build": params.genome_build,
        "exome": params.exome,
        "min_mutations": params.min_mutations, "bootstrap": params.bootstrap,
        "n_snvs": int(snvs["channel"].notna().sum()), "reference_mismatches": int(mismatched),
        "groups": {g: {"kind": k, "n_mutations": int(n[g]), "fitted": g in dom, "dominant": dom.get(g)}
                   for g, k in zip(table["group"], table["kind"])},
        "truncal_vs_subclonal": {r.signature: {"truncal": _num(r.truncal), "subclonal": _num(r.subclonal),
                                               "difference": _num(r.difference)} for r in tvs.itertuples()},
    }
    return sbs96, exposures, metrics


def long_counts(counts: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The channel x group matrix as rows of group, kind, channel, count (96 per group, in
    COSMIC's channel order)."""
    kind = dict(zip(table["group"], table["kind"]))
    long = counts.reset_index().melt(id_vars="channel", var_name="group", value_name="count")
    long.insert(1, "kind", long["group"].map(kind))
    return long[["group", "kind", "channel", "count"]]


def wide_counts(sbs96: pd.DataFrame) -> pd.DataFrame:
    """sbs96.tsv back to the channel x group matrix (SigProfiler's input layout), groups in order."""
    order = list(dict.fromkeys(sbs96["group"]))
    return sbs96.pivot(index="channel", columns="group", values="count")[order]


def _num(x) -> float | None:
    return None if pd.isna(x) else round(float(x), 4)


COLOURS = dict(zip(SUBSTITUTIONS, ("#1ebff0", "#050708", "#e62725", "#cbcacb", "#a1cf64", "#edc8c5")))


def plot(sbs96: pd.DataFrame, exposures: pd.DataFrame, path: str, kinds=("trunk", "subclonal", "clone")) -> None:
    """SBS96 profiles of the trunk, subclonal and clone groups, each with its fitted exposures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ith.io.figures import save_figure

    counts = wide_counts(sbs96).reindex(list(PLOT_ORDER))
    kind_of = exposures.drop_duplicates("group").set_index("group")["kind"]
    labels = exposures.drop_duplicates("group").set_index("group")["label"].astype(str).to_dict()
    shown = [g for g in counts.columns if kind_of.get(g) in kinds] or list(counts.columns[:1])
    fig, axes = plt.subplots(len(shown), 1, figsize=(11, 1.8 * len(shown) + 0.4), squeeze=False)
    colours = [COLOURS[c[2:5]] for c in counts.index]
    for ax, g in zip(axes[:, 0], shown):
        x = counts[g].to_numpy()
        ax.bar(np.arange(96), x, color=colours, width=0.8)
        ax.set_xlim(-0.5, 95.5)
        ax.set_xticks([])
        e = exposures[(exposures["group"] == g) & exposures["fitted"] & (exposures["exposure"] > 0)]
        fit = ", ".join(f"{r.signature} {r.exposure:.2f} [{r.low:.2f}-{r.high:.2f}]" for r in e.itertuples()) \
            if len(e) else "not fitted"
        label = labels.get(g, "")
        where = f" {label[label.index('('):]}" if kind_of.get(g) == "clone" and "(" in label else ""
        ax.set_title(f"{g}{where}: {int(x.sum())} SNVs; {fit}", fontsize=8, loc="left")
        ax.tick_params(labelsize=7)
    for i, s in enumerate(SUBSTITUTIONS):
        axes[-1, 0].text(16 * i + 8, -0.12, s, transform=axes[-1, 0].get_xaxis_transform(), ha="center",
                         fontsize=8, color=COLOURS[s] if s != "C>G" else "black")
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
