"""Scale of the workflow itself (issue: cluster and cloud).

  python bench/scale.py dag  [--patients 500 --samples 12]   dry-run DAG build time and job counts
  python bench/scale.py demo [--cores 2]                      demo cohort: CPU per rule against the one-read floor
  python bench/scale.py shapes [--patients 1 100]              dry runs on GRCh38/b37-shaped inputs

`dag` makes a cohort of N patients x S samples (1 normal, S-4 tumour regions, 3 plasma) whose
BAMs are symbolic links to the `test` preset's (simulated once into a temporary folder), and times
`snakemake -n` on it: the input checks, the DAG and the job counts. `shapes` does the same on
inputs shaped like a human cohort's (tests/data/references: GRCh38 with UCSC and Ensembl names,
hs37d5; an all-N reference and BAMs of one read pair; 5 samples a patient: normal, 3 regions,
1 plasma), so the job counts are those of a real genome. `demo` runs the whole
workflow on the demo cohort in a fresh working directory and measures, in the same run, the
one-read floor (`samtools view -c` over every BAM, before and after the workflow), the whole
workflow's CPU (getrusage of Snakemake and all its children) and each job's CPU and start-up
(bench/jobcpu/sitecustomize.py: getrusage when the job's process exits; Snakemake's benchmark
files, shown beside, sample CPU and miss most of a short job).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def _snakemake(config: Path, workdir: Path, *args: str) -> tuple[float, subprocess.CompletedProcess]:
    cmd = [PY, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--configfile", str(config),
           "--directory", str(workdir), *args]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return time.perf_counter() - t0, proc


def _jobs(out: str) -> dict[str, int]:
    block = out.split("Job stats:", 1)[1].split("total", 1)[0] if "Job stats:" in out else ""
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", block, re.M)}


def _test_cohort(where: Path) -> Path:
    from ith.simulate.cohort import simulate

    out = where / "sim"
    simulate("test", seed=1, out=str(out), threads=2)
    return out


def big_sheet(sim: Path, where: Path, patients: int, samples: int) -> Path:
    """A sample sheet of patients x samples whose BAMs link to the simulated ones."""
    src = pd.read_csv(sim / "samples.tsv", sep="\t", dtype={"patient": str, "sample": str})
    by_type = {t: list(src.loc[src["type"] == t, "bam"]) for t in ("normal", "tumour", "plasma")}
    links = where / "bams"
    links.mkdir(parents=True, exist_ok=True)
    rows = []
    kinds = ["normal"] + ["tumour"] * (samples - 4) + ["plasma"] * 3
    for p in range(patients):
        pid = f"X{p:04d}"
        for i, kind in enumerate(kinds):
            sid = f"{pid}-{kind[0].upper()}{i}"
            target = Path(by_type[kind][i % len(by_type[kind])])
            bam = links / f"{sid}.bam"
            for suffix in ("", ".bai"):
                link = Path(f"{bam}{suffix}")
                if not link.exists():
                    link.symlink_to(f"{target}{suffix}")
            rows.append({"patient": pid, "sample": sid, "type": kind, "bam": str(bam),
                         "timepoint": str(i) if kind == "plasma" else ""})
    sheet = where / "samples.tsv"
    pd.DataFrame(rows).to_csv(sheet, sep="\t", index=False)
    return sheet


def dag(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sim = Path(args.cohort) if args.cohort else _test_cohort(tmp)
        config = yaml.safe_load((sim / "config.yaml").read_text())
        for n in sorted({min(args.patients, k) for k in (10, 100, args.patients)}):
            where = tmp / f"cohort{n}"
            config["samples"] = str(big_sheet(sim, where, n, args.samples))
            cfg = where / "config.yaml"
            cfg.write_text(yaml.safe_dump(config))
            secs, proc = _snakemake(cfg, where / "run", "-n", "--quiet", "rules", "--cores", "2")
            if proc.returncode:
                sys.exit(proc.stderr[-3000:])
            jobs = _jobs(proc.stdout + proc.stderr)
            print(f"{n} patients x {args.samples} samples: dry-run DAG {secs:.1f} s, {sum(jobs.values())} jobs "
                  f"({', '.join(f'{k} {v}' for k, v in sorted(jobs.items(), key=lambda kv: -kv[1])[:6])}, ...)",
                  flush=True)


def _shape_cohort(contigs: list[tuple[str, int]], where: Path, patients: int) -> Path:
    from ith.simulate.shapes import write_shaped_bam, write_shaped_reference

    where.mkdir(parents=True, exist_ok=True)
    fasta = where / "genome.fa.gz"
    if not fasta.exists():
        write_shaped_reference(contigs, str(fasta))
    rows = []
    for p in range(patients):
        for i, kind in enumerate(["normal", "tumour", "tumour", "tumour", "plasma"]):
            sid = f"X{p:04d}-{kind[0].upper()}{i}"
            bam = where / f"{sid}.bam"
            write_shaped_bam(str(bam), contigs, sid)
            rows.append({"patient": f"X{p:04d}", "sample": sid, "type": kind, "bam": str(bam)})
    pd.DataFrame(rows).to_csv(where / f"samples{patients}.tsv", sep="\t", index=False)
    cfg = where / f"config{patients}.yaml"
    cfg.write_text(yaml.safe_dump({"samples": str(where / f"samples{patients}.tsv"), "reference": {"fasta": str(fasta)}}))
    return cfg


def shapes(args) -> None:
    from ith.simulate.shapes import shape

    with tempfile.TemporaryDirectory() as tmp:
        for name in ("grch38_ucsc", "grch38_ensembl", "hs37d5"):
            contigs = shape(name)
            for n in args.patients:
                t0 = time.perf_counter()
                cfg = _shape_cohort(contigs, Path(tmp) / name, n)
                made = time.perf_counter() - t0
                secs, proc = _snakemake(cfg, Path(tmp) / name / f"run{n}", "-n", "--quiet", "rules", "--cores", "2")
                if proc.returncode:
                    sys.exit(proc.stderr[-3000:])
                jobs = _jobs(proc.stdout + proc.stderr)
                print(f"{name}, {n} patient(s) x 5 samples: dry run {secs:.1f} s (inputs made in {made:.1f} s), "
                      f"{sum(jobs.values())} jobs, {jobs.get('variants_discover', 0)} discovery chunks "
                      f"({jobs.get('variants_discover', 0) // n} a patient)", flush=True)


def floor(bams: list[str]) -> tuple[float, int]:
    """The one-read floor: CPU seconds of `samtools view -c` (pysam, in this process) over the BAMs."""
    import pysam

    t0, n = time.process_time(), 0
    for bam in bams:
        n += int(pysam.view("-c", bam))
    return time.process_time() - t0, n


def job_cpu(folder: Path) -> pd.DataFrame:
    """The per-job lines bench/jobcpu/sitecustomize.py wrote: CPU of each job, its children
    included, and its start-up (interpreter, Snakemake's preamble, the script's imports)."""
    rows = [line.rstrip("\n").split("\t") for f in folder.glob("*.tsv") for line in f.open()]
    t = pd.DataFrame(rows, columns=["rule", "wildcards", "self_s", "children_s", "startup_s"])
    for c in ("self_s", "children_s", "startup_s"):
        t[c] = pd.to_numeric(t[c], errors="coerce")
    return t.assign(cpu_s=t["self_s"] + t["children_s"])


def demo(args) -> None:
    import resource

    cfg = ROOT / "demo" / "config.yaml"
    if not cfg.exists():
        sys.exit("simulate the demo first: make demo (or ith simulate --preset demo --out demo)")
    sheet = pd.read_csv(ROOT / "demo" / "samples.tsv", sep="\t")
    bams = [str(b if Path(b).is_absolute() else ROOT / b) for b in sheet["bam"]]
    floor_before, records = floor(bams)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        os.symlink(ROOT / "demo", work / "demo")  # the config's relative paths
        (work / "jobcpu").mkdir()
        hook = str(Path(__file__).resolve().parent / "jobcpu")
        os.environ["ITH_JOBCPU"] = str(work / "jobcpu")
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [hook, str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        secs, proc = _snakemake(cfg, work, "--cores", str(args.cores))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode:
            sys.exit(proc.stderr[-3000:])
        total = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        jobs = job_cpu(work / "jobcpu")
        rows = []
        for f in (work / "benchmarks").rglob("*.tsv"):
            b = pd.read_csv(f, sep="\t")
            # benchmarks/<rule>/<wildcards>.tsv, or benchmarks/<rule>.tsv for a rule without any
            rule = f.relative_to(work / "benchmarks").parts[0].removesuffix(".tsv")
            rows.append({"rule": rule, "bench_cpu_s": pd.to_numeric(b["cpu_time"], errors="coerce").iloc[0],
                         "max_rss_mb": float(b["max_rss"].iloc[0])})
    floor_after, _ = floor(bams)
    fl = (floor_before + floor_after) / 2
    bench = pd.DataFrame(rows).groupby("rule").agg(bench_cpu_s=("bench_cpu_s", "sum"), max_rss_mb=("max_rss_mb", "max"))
    per = (jobs.groupby("rule").agg(jobs=("cpu_s", "size"), cpu_s=("cpu_s", "sum"), max_job_s=("cpu_s", "max"),
                                    startup_s=("startup_s", "sum"))
           .join(bench).sort_values("cpu_s", ascending=False))
    per["x_floor"] = per["cpu_s"] / fl
    print(f"demo cohort, --cores {args.cores}: {len(bams)} BAMs, {records:,} records; wall {secs:.0f} s")
    print(f"floor (samtools view -c, pysam, every BAM once): {floor_before:.1f} s before the run, "
          f"{floor_after:.1f} s after; {fl:.1f} s used")
    print(per.round(2).to_string())
    sched = total - jobs["cpu_s"].sum()
    print(f"jobs {jobs['cpu_s'].sum():.1f} CPU s over {len(jobs)} jobs (start-up {jobs['startup_s'].sum():.1f} s, "
          f"{jobs['startup_s'].sum() / jobs['cpu_s'].sum():.0%}); Snakemake itself {sched:.1f} s")
    print(f"whole workflow (getrusage of the snakemake process and its children): {total:.1f} CPU s = "
          f"{total / fl:.1f}x the floor")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dag")
    d.add_argument("--patients", type=int, default=500)
    d.add_argument("--samples", type=int, default=12)
    d.add_argument("--cohort", help="a simulated test cohort to link to (default: simulate one)")
    d.set_defaults(func=dag)
    m = sub.add_parser("demo")
    m.add_argument("--cores", type=int, default=2)
    m.add_argument("--keep", help="run in this new folder and keep it (results, logs, per-job CPU)")
    m.set_defaults(func=demo)
    h = sub.add_parser("shapes")
    h.add_argument("--patients", type=int, nargs="+", default=[1, 100])
    h.set_defaults(func=shapes)
    args = ap.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
