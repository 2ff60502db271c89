"""The `ith` command line: the parts of the workflow users run by hand."""

from __future__ import annotations

import argparse
import json
import sys

from ith.errors import InputError


def _simulate(args: argparse.Namespace) -> None:
    from ith.simulate.cohort import simulate

    info = simulate(args.preset, args.seed, args.out, threads=args.threads)
    print(json.dumps({"out": args.out, **{k: round(v, 1) if isinstance(v, float) else v for k, v in info.items()}}))


def _check(args: argparse.Namespace) -> None:
    from ith.config import load_config, preflight

    config = load_config(args.configfile)
    samples = preflight(config)
    print(f"ok: {samples['patient'].nunique()} patients, {len(samples)} samples")


def _qc(args: argparse.Namespace) -> None:
    from ith.qc.bamstats import sample_qc

    print(json.dumps(sample_qc(args.bam, args.fasta, sample=args.sample, patient=args.patient), indent=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ith", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("simulate", help="simulate a cohort with known truth (reference, BAMs, truth tables)")
    p.add_argument("--preset", choices=["test", "demo"], default="test")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True, help="output folder; sample sheet paths are prefixed with it as given")
    p.add_argument("--threads", type=int, default=2, help="samples written in parallel")
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

    args = parser.parse_args(argv)
    try:
        args.func(args)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
