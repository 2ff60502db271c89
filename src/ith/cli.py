"""The `ith` command line: the parts of the workflow users run by hand."""

from __future__ import annotations

import argparse
import json
import sys

from ith.errors import InputError


def _simulate(args: argparse.Namespace) -> None:
    from ith.simulate.cohort import simulate

    overrides = {k: v for k, v in (("clone_separation", args.clone_separation), ("tree_margin", args.tree_margin),
                                   ("artefact", args.artefact),
                                   ("artefact_rate", tuple(args.artefact_rate) if args.artefact_rate else None),
                                   ("ch_variants", args.ch_variants),
                                   ("signatures", args.signatures or None)) if v is not None}
    if args.contaminate:
        pairs = []
        for item in args.contaminate:
            sample, _, fraction = item.partition("=")
            try:
                pairs.append((sample, float(fraction)))
            except ValueError:
                raise SystemExit(f"--contaminate {item}: expected SAMPLE=FRACTION, e.g. P1-R1=0.03")
        overrides["contamination"] = tuple(pairs)
    info = simulate(args.preset, args.seed, args.out, threads=args.threads, **overrides)
    print(json.dumps({"out": args.out, **{k: round(v, 1) if isinstance(v, float) else v for k, v in info.items()}}))


def _check(args: argparse.Namespace) -> None:
    from ith.config import load_config, preflight
    from ith.io.inputcheck import show_warnings

    warnings = show_warnings()
    warnings.count = 0
    config = load_config(args.configfile)
    samples = preflight(config)
    noted = f" ({warnings.count} warning(s) above)" if warnings.count else ""
    print(f"ok: {samples['patient'].nunique()} patients, {len(samples)} samples{noted}")


def _qc(args: argparse.Namespace) -> None:
    from ith.qc.bamstats import sample_qc

    print(json.dumps(sample_qc(args.bam, args.fasta, sample=args.sample, patient=args.patient), indent=1))


def _cnref(args: argparse.Namespace) -> None:
    import os

    import pandas as pd

    from ith.config import load_config, validate_config
    from ith.copynumber.params import reference_params
    from ith.copynumber.reference import build_reference
    from ith.io.tables import write_tsv

    # the parameters of the workflow's config (its copynumber section), else the schema's defaults
    config = load_config(args.config) if args.config else validate_config({"samples": "", "reference": {"fasta": ""}})
    cn = config["copynumber"]
    bins = pd.read_csv(args.bins, sep="\t", dtype={"chrom": str})
    depths = {}
    for path in args.coverage:
        table = pd.read_csv(path, sep="\t", dtype={"chrom": str})
        if "depth" not in table.columns:
            raise InputError(f"{path}: no depth column; give coverage tables as the workflow writes them "
                             "(results/copynumber/<patient>/coverage/<sample>.tsv).")
        depths[os.path.basename(path).removesuffix(".tsv")] = table["depth"].to_numpy(float)
    ref, sexes = build_reference(bins, depths, reference_params(cn), cn["min_mappable"],
                                 tuple(cn["normal_depth_range"]))
    write_tsv(ref, args.out)
    print(json.dumps({"out": args.out, "normals": len(depths), "sex": sexes, "bins": len(ref),
                      "usable": int(ref["usable"].sum())}))


def _clonal_fit(args: argparse.Namespace) -> None:
    import logging
    from dataclasses import asdict

    from ith.clonal.annotate import cluster_table, mutation_table, postprocess
    from ith.clonal.data import read_input
    from ith.clonal.engine import run
    from ith.clonal.params import ClonalFitParams, ClonalPostParams
    from ith.clonal.results import pyclone_table
    from ith.io.tables import write_tsv
    from ith.params import subset

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    data = read_input(args.in_file)
    # the `clonal` section as the rules read it (the defaults are the schema's), with PyClone-VI's
    # options and defaults in place of the workflow's
    clonal = {**asdict(ClonalFitParams()), **asdict(ClonalPostParams())}
    clonal.update(state_prior=args.state_prior.replace("-", "_"), num_clusters=args.num_clusters,
                  density=args.density, precision=args.precision, grid_size=args.num_grid_points,
                  num_restarts=args.num_restarts, max_iters=args.max_iters,
                  convergence_threshold=args.convergence_threshold, mix_weight_prior=args.mix_weight_prior,
                  seed=args.seed,
                  # every cluster kept and flagged only: the caller post-processes
                  min_cluster_size=1, small_clusters="keep")
    fit = ClonalFitParams.from_config(subset(clonal, ClonalFitParams, "clonal"))
    res = run(data, fit.engine_options(threads=args.num_threads, num_annealing_steps=args.num_annealing_steps,
                                       annealing_power=args.annealing_power))
    write_tsv(pyclone_table(data, res.best, res.grid), args.out_file)
    if args.mutations_out or args.clusters_out:
        labels = res.best.resp.argmax(axis=1)
        prob = res.best.resp.max(axis=1)
        post = ClonalPostParams.from_config(subset(clonal, ClonalPostParams, "clonal")).post_params()
        ann = postprocess(res.loglik, labels, prob, data.n_samples, res.grid.size, post)
        if args.mutations_out:
            write_tsv(mutation_table(data, res.loglik, ann, res.grid, args.density, args.precision, post,
                                     args.state_prior.replace("-", "_")),
                      args.mutations_out)
        if args.clusters_out:
            write_tsv(cluster_table(data, ann, res.grid, post), args.clusters_out)


def _add_clonal_fit(sub) -> None:
    p = sub.add_parser("fit", help="fit the PyClone-VI model (our engine); writes PyClone-VI's results file",
                       description="Drop-in for `pyclone-vi fit` followed by `pyclone-vi write-results-file`: "
                                   "same input, options and defaults, and the results TSV written directly. "
                                   "Mutations missing from some samples are kept; total_cn may replace "
                                   "major_cn/minor_cn.")
    p.add_argument("-i", "--in-file", required=True, help="PyClone-VI input TSV")
    p.add_argument("-o", "--out-file", required=True, help="results TSV (PyClone-VI write-results-file format)")
    p.add_argument("-c", "--num-clusters", type=int, default=10)
    p.add_argument("-d", "--density", choices=["beta-binomial", "binomial"], default="binomial")
    p.add_argument("-g", "--num-grid-points", type=int, default=100)
    p.add_argument("-r", "--num-restarts", type=int, default=1)
    p.add_argument("-t", "--num-threads", type=int, default=1, help="restarts run in parallel; results do not "
                                                                    "depend on it")
    p.add_argument("-a", "--num-annealing-steps", type=int, default=None)
    p.add_argument("--annealing-power", type=float, default=1.0)
    p.add_argument("--convergence-threshold", type=float, default=1e-6,
                   help="relative ELBO change between iterations that ends a restart")
    p.add_argument("--max-iters", type=int, default=10000)
    p.add_argument("--mix-weight-prior", type=float, default=1.0)
    p.add_argument("--precision", type=float, default=200.0, help="beta-binomial precision")
    p.add_argument("--print-freq", type=int, default=100, help="accepted for compatibility; progress is logged "
                                                               "per restart")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--state-prior", choices=["uniform", "clonal-cn"], default="uniform",
                   help="uniform: PyClone-VI's genotype states at every CCF; clonal-cn: the copy number is "
                        "clonal, so below CCF 1 a mutation is on one copy (ours; see docs)")
    p.add_argument("-m", "--mutations-out", help="also write per-mutation x sample CCF, interval, multiplicity")
    p.add_argument("--clusters-out", help="also write per-cluster x sample CCF summary with flags")
    p.set_defaults(func=_clonal_fit)


def _phylogeny(args: argparse.Namespace) -> None:
    from dataclasses import asdict

    from ith.phylogeny.patient import read_input, run_patient, sample_purity, write_outputs
    from ith.phylogeny.ranking import PhylogenyParams

    # the `phylogeny` section: the defaults (the schema's) and the command line's values
    params = PhylogenyParams.from_config({
        **asdict(PhylogenyParams()), "density": args.density, "precision": args.precision,
        "one_founder": not args.polyclonal, "max_trees": args.max_trees, "max_fits": args.max_fits,
        "beam_width": args.beam_width, "restarts": args.restarts, "seed": args.seed, "presence": args.presence})
    reads, excluded, muts = read_input(args.input, params, args.summary, args.reads, args.pairtree_params)
    res = run_patient(args.patient, reads, excluded, muts, params, sample_purity(muts) if muts is not None else None)
    write_outputs(res, args.output, args.proportions, args.newick, args.branches, args.mutations_out, args.figure,
                  args.parents)


def _at_least(low: float, kind=int):
    def parse(text: str):
        value = kind(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"{text}: must be at least {low}")
        return value
    return parse


def _add_phylogeny(sub) -> None:
    from ith.phylogeny.ranking import PhylogenyParams

    d = PhylogenyParams()
    p = sub.add_parser("phylogeny", help="clone trees ranked by the read counts (our clonal tables, PyClone-VI, "
                                         "CONIPHER or Pairtree input)")
    p.add_argument("-i", "--input", required=True,
                   help="the clonal stage's mutations.tsv, a PyClone-VI results file (with --reads), a CONIPHER "
                        "input table, or a Pairtree .ssm (with --pairtree-params)")
    p.add_argument("-o", "--output", required=True, help="trees.json")
    p.add_argument("--summary", help="with mutations.tsv: cluster_summary.tsv (drivers, artefact flags)")
    p.add_argument("--reads", help="PyClone-VI-format input (read counts, copy number, purity): with a PyClone-VI "
                                   "results file its input file; with our mutations.tsv the clonal stage's input.tsv "
                                   "(the reads its fit saw)")
    p.add_argument("--pairtree-params", help="with a Pairtree .ssm: its .params.json (samples, clusters)")
    p.add_argument("--patient", default="patient")
    p.add_argument("--parents", help="write the best tree as cluster -> parent and Pairtree's parent vector here")
    p.add_argument("--proportions", help="write clone_proportions.tsv here")
    p.add_argument("--newick", help="write the region tree (Newick) here; needs mutations.tsv")
    p.add_argument("--branches", help="write the region tree's branches here; needs mutations.tsv")
    p.add_argument("--mutations-out", help="write every mutation's truncal/shared/private class here")
    p.add_argument("--figure", help="write the tree figure (PNG) here")
    p.add_argument("--presence", choices=["cluster", "reads"], default=d.presence,
                   help="a mutation is present in a region by its cluster's call, or by its reads")
    p.add_argument("--density", choices=["binomial", "beta-binomial"], default=d.density)
    p.add_argument("--precision", type=_at_least(1e-9, float), default=d.precision, help="beta-binomial precision")
    p.add_argument("--polyclonal", action="store_true", help="allow several clusters under the root")
    p.add_argument("--max-trees", type=_at_least(1), default=d.max_trees)
    p.add_argument("--max-fits", type=_at_least(1), default=d.max_fits, help="budget of the exact search (tree fits)")
    p.add_argument("--beam-width", type=_at_least(1), default=d.beam_width)
    p.add_argument("--restarts", type=_at_least(0), default=d.restarts)
    p.add_argument("--seed", type=_at_least(0), default=d.seed)
    p.set_defaults(func=_phylogeny)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ith", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("simulate", help="simulate a cohort with known truth (reference, BAMs, truth tables)")
    p.add_argument("--preset", choices=["test", "demo", "exome", "panel"], default="test",
                   help="exome: capture reads on a targets BED (assay.type wes)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True, help="output folder; sample sheet paths are prefixed with it as given")
    p.add_argument("--threads", type=int, default=2, help="samples written in parallel")
    p.add_argument("--clone-separation", type=float, default=None,
                   help="redraw region compositions until every two clones are this many standard errors of a "
                        "heterozygous VAF apart (default: the preset's)")
    p.add_argument("--tree-margin", type=float, default=None,
                   help="redraw region compositions until the true CCFs fit no other clone tree within this margin "
                        "(default: the preset's)")
    p.add_argument("--artefact", choices=["ffpe", "oxog"], default=None,
                   help="orientation artefacts in every tumour block: formalin deamination (C>T/G>A) or 8-oxoG "
                        "(G>T/C>A) (default: none)")
    p.add_argument("--artefact-rate", type=float, nargs=2, metavar=("LOW", "HIGH"), default=None,
                   help="each block's artefact allele fraction at an affected base, drawn log-uniform in LOW..HIGH "
                        "(default 0.0005 0.002: 5-20x the ~1e-4 error of a Q>=20 base)")
    p.add_argument("--contaminate", action="append", metavar="SAMPLE=FRACTION",
                   help="that share of the sample's DNA comes from another person (repeatable), e.g. P1-R1=0.03")
    p.add_argument("--ch-variants", type=int, default=None,
                   help="clonal haematopoiesis: this many CH variants in each patient's blood normal and plasma at "
                        "0.5-2%% VAF, none in the tumour (default: the preset's, none)")
    p.add_argument("--signatures", action="store_true",
                   help="mutational processes: a clock-like (SBS1/SBS5) trunk and an APOBEC-like (SBS2/SBS13) "
                        "clone 1, recorded in the truth's mutations.tsv (default: off)")
    p.set_defaults(func=_simulate)

    p = sub.add_parser("check", help="validate a config and its sample sheet (the workflow's pre-flight checks)")
    p.add_argument("configfile")
    p.set_defaults(func=_check)

    p = sub.add_parser("qc", help="QC metrics of one BAM as JSON")
    p.add_argument("bam")
    p.add_argument("--fasta", required=True)
    p.add_argument("--sample", default="sample")
    p.add_argument("--patient", default="patient")
    p.set_defaults(func=_qc)

    p = sub.add_parser("cnref", help="a pooled copy-number reference from normals' coverage tables (for "
                                     "copynumber.reference.file)")
    p.add_argument("coverage", nargs="+", help="the normals' coverage tables, counted on --bins (the workflow's "
                                               "results/copynumber/<patient>/coverage/<normal>.tsv)")
    p.add_argument("--bins", required=True, help="the bin table they were counted on (results/copynumber/bins.tsv)")
    p.add_argument("--out", required=True, help="the reference to write (TSV)")
    p.add_argument("--config", help="the workflow config whose copynumber section (reference.min_normals, "
                                    "max_spread, min_mappable, normal_depth_range) applies; default: the defaults")
    p.set_defaults(func=_cnref)

    p = sub.add_parser("clonal", help="clonal deconvolution (PyClone-VI model)")
    _add_clonal_fit(p.add_subparsers(dest="clonal_command", required=True))
    _add_phylogeny(sub)

    args = parser.parse_args(argv)
    try:
        args.func(args)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
