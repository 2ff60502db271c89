"""What a real patient costs (issue 22, "human scale"): every stage measured on the largest
simulated patient that fits this machine, then projected to a 60x WGS and a 150x exome patient
of human size, and to 100 of them, with the job layout the workflow really uses on GRCh38.

  python bench/human_scale.py measure [--mb 2 6] [--repeats 2] [--out /tmp/ith-human-scale]
  python bench/human_scale.py patient [--mutations 200 10000] [--repeats 2] [--out ...]
  python bench/human_scale.py project [--out ...] [--cores 100]
  python bench/human_scale.py all     # the three in turn (about 90 minutes on 2 busy cores)

`measure` simulates one patient per genome size (normal, 3 tumour regions, 1 plasma, all 60x,
150 bp paired reads; 1,500 somatic mutations, the same at every size, so read-driven and
mutation-driven stages can be told apart), runs the whole workflow on it (`snakemake --cores 2
--skip-script-cleanup --notemp`), then runs every job again from the wrapper script Snakemake
left in .snakemake/scripts (the rule's own script with its real inputs and params), each in a
fresh process started by GNU time (/usr/bin/time, Debian's `time`), which reads its CPU time
(user + system, its children included) and peak RSS from wait4(): the best CPU time of
--repeats runs, the largest peak. Snakemake's own benchmark files sample CPU and memory once a
second, then every 30 s, and miss most of a short job, so they are not used. Wall times are
printed but mean little: the 2 cores are shared.

`patient` measures what the small genomes cannot reach: the patient-level jobs at a human
patient's mutation count (clonal_input, clonal_fit, clonal_annotate, phylogeny, liquid_counts,
liquid, report_patient on the largest measured patient's own files, its mutations cut or
repeated to --mutations; repeats sit 1-k bp from the original so they stay distinct), the
copy-number depth passes at about a human number of bins (3.1 Gb / 10 kb = 310k; here the
measured genome in 20 bp bins), copynumber_bins and QC's reference scan on a random contig of
chr1's length, and the patient-level copy-number call on a synthetic GRCh38-sized patient
(bench/copynumber.py's generator).

`project` fits each rule's CPU time and peak memory against what drives it (reads read,
genome or chunk length, bins, mutations, BAMs x sites), takes the job layout from a dry run of
a GRCh38-shaped patient (bench/scale.py shapes: 166 discovery chunks), and prints CPU hours,
peak memory per job and wall time on a --cores cluster for a 60x WGS patient, a 150x exome
patient and 100 of each, with the largest job, and flags jobs over 16 GB or 4 hours.
Every assumption is printed with the figures (and kept in docs/benchmarks.md, "Human scale").
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = sys.executable
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}

TIME = "/usr/bin/time"  # GNU time (Debian package `time`)
READ_LENGTH = 150
DEPTH = 60.0
MUTATIONS = (1500, 1500)  # somatic SNVs and indels simulated per patient, at every genome size


# --------------------------------------------------------------------------------------------
# measuring a job: a fresh process, its CPU time and peak RSS from wait4


def run_measured(cmd: list[str], cwd: Path, log: Path | None = None) -> dict:
    """CPU seconds (user + system of the process and its waited children), peak RSS (MB, the
    largest of the process and its children) and wall seconds of one command, as GNU time
    reads them from wait4(). Started by /usr/bin/time, not by this process: Linux carries the
    peak RSS of the forking process over into its child's, so a child of this big Python
    would report at least this one's size."""
    if not os.path.exists(TIME):
        raise SystemExit(f"{TIME} (GNU time) is missing: apt-get install time")
    out = open(log, "ab") if log else subprocess.DEVNULL
    with tempfile.NamedTemporaryFile("r", suffix=".time") as res:
        t0 = time.perf_counter()
        proc = subprocess.run([TIME, "-f", "%U %S %M", "-o", res.name, *map(str, cmd)], cwd=cwd, env=ENV,
                              stdout=out, stderr=out)
        wall = time.perf_counter() - t0
        fields = res.read().split()
    if log:
        out.close()
    if proc.returncode:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({proc.returncode}) in {cwd}; see {log}")
    user, system, rss_kb = float(fields[-3]), float(fields[-2]), float(fields[-1])
    return {"cpu_s": user + system, "rss_mb": rss_kb / 1024, "wall_s": wall}


def best_of(cmd: list[str], cwd: Path, repeats: int, log: Path | None = None) -> dict:
    runs = [run_measured(cmd, cwd, log) for _ in range(repeats)]
    return {"cpu_s": min(r["cpu_s"] for r in runs), "rss_mb": max(r["rss_mb"] for r in runs),
            "wall_s": min(r["wall_s"] for r in runs), "repeats": repeats}


def wrapper_job(script: Path):
    """The Snakemake object pickled into a wrapper script's preamble (rule, wildcards, input,
    params, threads)."""
    for line in script.read_text().splitlines():
        if line.startswith("import sys;sys.path.extend"):
            ns: dict = {"__file__": str(script), "__name__": "__wrapper__"}
            exec(line, ns)  # noqa: S102 - our own run's wrapper
            return ns["snakemake"]
    raise ValueError(f"no preamble in {script}")


# --------------------------------------------------------------------------------------------
# measure: simulate, run the workflow, re-run every job


def simulate_patient(out: Path, mb: float, seed: int = 1) -> dict:
    """One patient of `mb` Mb: normal, 3 tumour regions and 1 plasma sample, all at 60x of
    150 bp paired reads (the `test` preset's tumour model otherwise)."""
    from ith.simulate.cohort import simulate

    done = out / "truth" / "samples.tsv"
    if done.exists():
        return json.loads((out / "simulated.json").read_text())
    length = int(mb * 1e6)
    t0 = time.perf_counter()
    before = os.times()
    simulate("test", seed=seed, out=str(out), threads=2, n_patients=1,
             autosome_lengths=(int(length * 0.45), int(length * 0.3), int(length * 0.15)),
             x_length=int(length * 0.08), y_length=int(length * 0.02), regions=(3, 3), plasma=(1,),
             snvs=MUTATIONS, normal_depth=DEPTH, tumour_depth=DEPTH, plasma_depth=DEPTH, read_length=READ_LENGTH,
             cn_events=(6, 8), cn_event_length=(int(length * 0.01), int(length * 0.04)), wgd_patients=(),
             sexes=("female",), cn_bin_size=10_000)
    after = os.times()
    info = {"mb": mb, "wall_s": time.perf_counter() - t0,
            "cpu_s": sum(after[:4]) - sum(before[:4]),
            "reads": int(pd.read_csv(done, sep="\t")["reads"].sum()),
            "bam_gb": sum(p.stat().st_size for p in (out / "bams").rglob("*.bam")) / 1e9}
    (out / "simulated.json").write_text(json.dumps(info))
    return info


def run_workflow(sim: Path, work: Path, chunk_size: int) -> float:
    config = yaml.safe_load((sim / "config.yaml").read_text())
    config["variants"]["chunk_size"] = chunk_size
    work.mkdir(parents=True, exist_ok=True)
    cfg = work / "config.yaml"
    cfg.write_text(yaml.safe_dump(config))
    if (work / "results" / "report" / "cohort.html").exists():
        return float("nan")
    cmd = [PY, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--configfile", str(cfg), "--directory", str(work),
           "--cores", "2", "--quiet", "rules", "--skip-script-cleanup", "--notemp"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(proc.stderr[-3000:])
    return time.perf_counter() - t0


def job_table(sim: Path, work: Path) -> list[tuple[Path, dict]]:
    """Each job of the run: its wrapper script and what it reads."""
    truth = pd.read_csv(sim / "truth" / "samples.tsv", sep="\t")
    reads_of = {str((sim / "bams" / r.patient / f"{r.sample}.bam").resolve()): int(r.reads)
                for r in truth.itertuples()}
    genome = sum(int(line.split("\t")[1]) for line in (sim / "reference" / "genome.fa.fai").read_text().splitlines())
    mutations = pd.read_csv(work / "results" / "variants" / "P1" / "counts.tsv", sep="\t",
                            usecols=["mutation_id"])["mutation_id"].nunique()
    jobs = []
    for script in sorted((work / ".snakemake" / "scripts").glob("*.py")):
        sm = wrapper_job(script)
        bams = [str(Path(b).resolve()) for b in sm.input if str(b).endswith(".bam")]
        reads = sum(reads_of.get(b, 0) for b in bams)
        span = genome
        if sm.rule == "variants_discover":
            span = sum(int(e) - int(s) + 1 for _, s, e in sm.params.region)
            reads = int(reads * span / genome)
        label = ",".join(f"{k}={v}" for k, v in dict(sm.wildcards.items()).items())
        jobs.append((script, {"rule": sm.rule, "job": label, "threads": sm.threads, "bams": len(bams),
                              "reads": reads, "span_bp": span, "genome_bp": genome, "mutations": mutations}))
    return jobs


def measure(args) -> None:
    out = Path(args.out)
    for mb in args.mb:
        sim = out / f"sim{mb:g}mb"
        info = simulate_patient(sim, mb)
        print(f"{mb:g} Mb patient: {info['reads'] / 1e6:.1f} M reads in 5 BAMs ({info['bam_gb']:.2f} GB), simulated in "
              f"{info['wall_s']:.0f} s wall, {info['cpu_s']:.0f} CPU s", flush=True)
        work = out / f"run{mb:g}mb"
        # chunks of about a third of the genome: three discovery jobs, the largest the whole chr1
        chunk = int(mb * 1e6 * 0.45) + 1
        secs = run_workflow(sim, work, chunk)
        print("  workflow (--cores 2, other work running): " +
              ("run before, kept" if math.isnan(secs) else f"{secs:.0f} s wall"), flush=True)
        rows = []
        for script, job in job_table(sim, work):
            m = best_of([PY, str(script)], work, args.repeats, out / "measure.log")
            rows.append({**job, **m, "mb": mb})
            print(f"  {job['rule']:<20} {job['job']:<34} cpu {m['cpu_s']:7.1f} s  rss {m['rss_mb']:6.0f} MB  "
                  f"(wall {m['wall_s']:.1f} s)", flush=True)
        pd.DataFrame(rows).to_csv(out / f"jobs{mb:g}mb.tsv", sep="\t", index=False)
    throughput_table(out, args.mb)


def throughput_table(out: Path, sizes: list[float]) -> pd.DataFrame:
    t = pd.concat([pd.read_csv(out / f"jobs{mb:g}mb.tsv", sep="\t") for mb in sizes], ignore_index=True)
    per = t.groupby(["rule", "mb"]).agg(jobs=("cpu_s", "size"), cpu_s=("cpu_s", "sum"), max_job_cpu_s=("cpu_s", "max"),
                                       reads=("reads", "sum"), rss_mb=("rss_mb", "max")).reset_index()
    per["reads_per_cpu_s"] = np.where(per["reads"] > 0, per["reads"] / per["cpu_s"], np.nan)
    pd.set_option("display.width", 200)
    print("\nPer rule and genome size (CPU time best of the repeats; other work was running on the 2 cores):")
    print(per.round(1).to_string(index=False))
    if len(sizes) >= 2:
        lo, hi = min(sizes), max(sizes)
        a = per[per["mb"] == lo].set_index("rule")
        b = per[per["mb"] == hi].set_index("rule")
        ratio = pd.DataFrame({"reads_x": b["reads"] / a["reads"], "cpu_x": b["cpu_s"] / a["cpu_s"],
                              "rss_x": b["rss_mb"] / a["rss_mb"]})
        print(f"\n{hi:g} Mb over {lo:g} Mb (the same mutations at both sizes): does a rule grow with the reads?")
        print(ratio.round(2).to_string())
    return per



# --------------------------------------------------------------------------------------------
# patient: the patient-level jobs at a human mutation count, copy number at human bin counts

PATIENT_RULES = ["clonal_input", "clonal_fit", "clonal_annotate", "phylogeny", "liquid_counts", "liquid",
                 "report_patient"]
HUMAN_BINS = 310_000  # 3.1 Gb primary assembly in 10 kb bins (copynumber.bin_size)
CHR1 = 248_956_422
BASE_RSS_MB = 82  # a rule script that has imported ith and pandas, before any data


def repeat_mutations(counts: pd.DataFrame, target: int) -> pd.DataFrame:
    """counts.tsv with its mutations repeated 1, 2, ... bp to the right until `target` distinct
    ones (the reads at the new positions are the BAM's own, so every count is recounted)."""
    ids = counts["mutation_id"].drop_duplicates().tolist()
    parts = pd.Series(ids).str.rsplit(":", n=3, expand=True)
    new, seen, k = [], set(ids), 0
    while len(seen) < target or k == 0:
        for old, (c, pos, ref, alt) in zip(ids, parts.itertuples(index=False)):
            mid = old if k == 0 else f"{c}:{int(pos) + k}:{ref}:{alt}"
            if (k == 0 or mid not in seen) and len(new) < target:
                seen.add(mid)
                new.append((old, mid))
        k += 1
    frames = []
    by_id = {m: g for m, g in counts.groupby("mutation_id", sort=False)}
    for old, mid in new:
        frames.append(by_id[old].assign(mutation_id=mid))
    return pd.concat(frames, ignore_index=True)


def write_fasta_contig(path: Path, name: str, length: int, seed: int = 1) -> None:
    """A random contig (GC 41%, 1% N in 10 kb blocks) and its .fai."""
    import pysam

    rng = np.random.default_rng(seed)
    with open(path, "wb") as f:
        f.write(f">{name}\n".encode())
        step = 60 * 200_000
        for start in range(0, length, step):
            n = min(step, length - start)
            seq = rng.choice(np.frombuffer(b"ACGT", np.uint8), n, p=[0.295, 0.205, 0.205, 0.295])
            if rng.random() < 0.01 * step / 10_000:
                a = int(rng.integers(0, max(1, n - 10_000)))
                seq[a:a + 10_000] = ord("N")
            rows = -(-n // 60)
            pad = np.full(rows * 61, ord("\n"), np.uint8)
            body = pad.reshape(rows, 61)
            flat = np.concatenate([seq, np.full(rows * 60 - n, 0, np.uint8)]).reshape(rows, 60)
            body[:, :60] = flat
            out = body.ravel()
            out = out[out != 0]
            f.write(out.tobytes())
    pysam.faidx(str(path))


def patient(args) -> None:
    out = Path(args.out)
    base = out / f"run{max(args.mb):g}mb"
    sim = out / f"sim{max(args.mb):g}mb"
    if not (base / "results" / "variants" / "P1" / "counts.tsv").exists():
        sys.exit(f"run `measure --mb {max(args.mb):g}` first")
    scripts = {job["rule"]: (script, job) for script, job in job_table(sim, base)}
    counts = pd.read_csv(base / "results" / "variants" / "P1" / "counts.tsv", sep="\t", dtype={"mutation_id": str},
                         keep_default_na=False, na_values=["NA"])
    rows = []
    for n in [] if args.only_bins else args.mutations:
        work = out / f"patient{n}"
        if work.exists():
            shutil.rmtree(work)
        shutil.copytree(base / "results", work / "results")
        shutil.copytree(base / "logs", work / "logs")
        big = repeat_mutations(counts, n)
        big.to_csv(work / "results" / "variants" / "P1" / "counts.tsv", sep="\t", index=False, na_rep="NA")
        print(f"{n} mutations x {big['sample'].nunique()} samples ({len(big)} rows of counts.tsv):", flush=True)
        for rule in PATIENT_RULES:
            script, job = scripts[rule]
            m = best_of([PY, str(script)], work, args.repeats, out / "patient.log")
            rows.append({"rule": rule, "mutations": n, "threads": job["threads"], "bams": job["bams"], **m})
            print(f"  {rule:<16} cpu {m['cpu_s']:7.1f} s  rss {m['rss_mb']:6.0f} MB  (wall {m['wall_s']:.1f} s)",
                  flush=True)
    if rows:
        pd.DataFrame(rows).to_csv(out / "patient_jobs.tsv", sep="\t", index=False)
    human_bins(args, out, base, sim, scripts)


def human_bins(args, out: Path, base: Path, sim: Path, scripts: dict) -> None:
    """Copy number at a human patient's number of bins: the depth passes (the real jobs, on bins
    of the measured genome cut fine enough to number 310k), the bins of a chr1-sized contig, and
    the patient-level call on a synthetic GRCh38-sized patient."""
    from ith.copynumber.bins import make_bins
    from ith.io.reference import included_contigs, read_fai

    rows = []
    work = out / "bins310k"
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(base / "results", work / "results")
    shutil.copytree(base / "logs", work / "logs")
    fasta = str(sim / "reference" / "genome.fa")
    contigs = included_contigs(read_fai(fasta, "x"), "^(?!(chr)?([0-9]+|X|Y)$)")
    size = max(20, int(sum(n for _, n in contigs) / HUMAN_BINS))
    bins = make_bins(fasta, contigs, size)
    bins.to_csv(work / "results" / "copynumber" / "bins.tsv", sep="\t", index=False)
    print(f"copy number at human bin counts: {len(bins)} bins of {size} bp over the measured genome", flush=True)
    for rule in ("copynumber_coverage", "copynumber_sample"):
        script, job = scripts[rule]
        m = best_of([PY, str(script)], work, args.repeats, out / "patient.log")
        rows.append({"rule": rule, "what": f"{len(bins)} bins", "bins": len(bins), "reads": job["reads"], **m})
        print(f"  {rule:<20} cpu {m['cpu_s']:7.1f} s  rss {m['rss_mb']:6.0f} MB", flush=True)
    chr1 = out / "chr1.fa"
    if not Path(f"{chr1}.fai").exists():
        write_fasta_contig(chr1, "chr1", CHR1)
    code = ("from ith.copynumber.bins import make_bins; "
            f"b = make_bins({str(chr1)!r}, [('chr1', {CHR1})], 10000); print(len(b))")
    m = best_of([PY, "-c", code], out, args.repeats)
    rows.append({"rule": "copynumber_bins", "what": "chr1 (249 Mb) at 10 kb", "bins": CHR1 // 10_000,
                 "span_bp": CHR1, **m})
    print(f"  copynumber_bins on a chr1-sized contig: cpu {m['cpu_s']:.1f} s  rss {m['rss_mb']:.0f} MB", flush=True)
    code = f"from ith.qc.bamstats import non_n_intervals; non_n_intervals({str(chr1)!r})"
    m = best_of([PY, "-c", code], out, args.repeats)
    rows.append({"rule": "qc_sample", "what": "reference scan (non-N bases) of a chr1-sized contig", "span_bp": CHR1,
                 **m})
    print(f"  qc_sample's reference scan on a chr1-sized contig: cpu {m['cpu_s']:.1f} s  rss {m['rss_mb']:.0f} MB",
          flush=True)
    code = ("import numpy as np; from bench.copynumber import _synthetic_patient; "
            "from ith.copynumber.call import CnParams, call_patient; "
            f"b, d, r, s, baf, _ = _synthetic_patient(np.random.default_rng(7), {args.cn_samples}, 10000); "
            "call_patient('S', b, d, r, s, baf, CnParams(), sex='female')")
    m = best_of([PY, "-c", code], ROOT, args.repeats)
    rows.append({"rule": "copynumber_call", "what": f"synthetic GRCh38-sized patient, {args.cn_samples} tumour samples",
                 "bins": 303_300, **m})
    print(f"  copynumber_call (call_patient on a synthetic 3.0 Gb patient, 10 kb bins, normal + {args.cn_samples} "
          f"samples, data made in the same process): cpu {m['cpu_s']:.1f} s  rss {m['rss_mb']:.0f} MB", flush=True)
    pd.DataFrame(rows).to_csv(out / "bins_jobs.tsv", sep="\t", index=False)



# --------------------------------------------------------------------------------------------
# project: per-rule models, the GRCh38 job layout, CPU hours, memory, wall time

GLOBAL_RULES = {"copynumber_bins", "qc_summary", "report_cohort"}
KIND = {"N": "normal", "T": "tumour", "P": "plasma"}  # bench/scale.py shapes: X0000-N0, -T1..3, -P4


def grch38_dag(out: Path) -> tuple[dict[int, dict], list[tuple[int, int]], dict[str, int]]:
    """The jobs and edges of one GRCh38-shaped patient (UCSC names; bench/scale.py shapes), from
    `snakemake --dag`, and the length of each discovery chunk."""
    from bench.scale import _shape_cohort
    from ith.io.reference import included_contigs
    from ith.simulate.shapes import shape
    from ith.variants.chunks import make_chunks

    where = out / "grch38"
    dot = where / "dag.dot"
    contigs = shape("grch38_ucsc")
    if not dot.exists():
        cfg = _shape_cohort(contigs, where, 1)
        proc = subprocess.run([PY, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--configfile", str(cfg),
                               "--directory", str(where / "run"), "--dag"], env=ENV, capture_output=True, text=True)
        if proc.returncode:
            sys.exit(proc.stderr[-3000:])
        dot.write_text(proc.stdout)
    nodes, edges = {}, []
    for line in dot.read_text().splitlines():
        m = re.match(r'\s*(\d+)\[label = "([^"]*)"', line)
        if m:
            parts = m.group(2).split("\\n")
            nodes[int(m.group(1))] = {"rule": parts[0], **dict(p.split(": ", 1) for p in parts[1:])}
        m = re.match(r"\s*(\d+) -> (\d+)", line)
        if m:
            edges.append((int(m.group(1)), int(m.group(2))))
    chunks = make_chunks(included_contigs(contigs, "^(?!(chr)?([0-9]+|X|Y)$)"), 20_000_000)
    lengths = {c.name: c.length for c in chunks}
    return nodes, edges, lengths


def fit_line(x, y, grows: bool = False) -> tuple[float, float]:
    """y = a + b x by least squares, b >= 0 and a >= 0. A negative slope gives a constant, or
    with `grows` (a cost known to grow with x) y proportional to x."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(np.unique(x)) < 2:
        return float(y.max()), 0.0
    b, a = np.polyfit(x, y, 1)
    if b <= 0:
        return (0.0, float((x * y).sum() / (x * x).sum())) if grows else (float(y.mean()), 0.0)
    if a < 0:
        return 0.0, float((x * y).sum() / (x * x).sum())
    return float(a), float(b)


class Models:
    """Per rule: CPU seconds and peak RSS (MB) of one job from what drives it."""

    def __init__(self, out: Path, sizes: list[float]):
        self.jobs = pd.concat([pd.read_csv(out / f"jobs{mb:g}mb.tsv", sep="\t") for mb in sizes], ignore_index=True)
        self.patient = pd.read_csv(out / "patient_jobs.tsv", sep="\t")
        self.bins = pd.read_csv(out / "bins_jobs.tsv", sep="\t")
        self.notes: dict[str, str] = {}

    def _rule(self, rule: str) -> pd.DataFrame:
        return self.jobs[self.jobs["rule"] == rule]

    def by_reads(self, rule: str) -> tuple[float, float]:
        j = self._rule(rule)
        return fit_line(j["reads"], j["cpu_s"], grows=True)

    def rss_flat(self, rule: str) -> float:
        return float(self._rule(rule)["rss_mb"].max())

    def rss_by(self, rule: str, col: str) -> tuple[float, float]:
        j = self._rule(rule)
        return fit_line(j[col], j["rss_mb"])

    def cpu_by(self, rule: str, col: str) -> tuple[float, float]:
        j = self._rule(rule)
        return fit_line(j[col], j["cpu_s"])

    def at_mutations(self, rule: str, n: int, col: str) -> float:
        p = self.patient[self.patient["rule"] == rule].sort_values("mutations")
        return float(np.interp(n, p["mutations"], p[col])) if n <= p["mutations"].max() else \
            float(p[col].iloc[-1] * n / p["mutations"].iloc[-1])

    def bins_row(self, rule: str) -> pd.Series:
        return self.bins[self.bins["rule"] == rule].iloc[0]

    def job(self, rule: str, f: dict) -> tuple[float, float]:
        """(cpu_s, rss_mb) of one job with features f (reads, span_bp, genome_bp, covered_bp,
        mutations, bams, depth_factor)."""
        if rule in ("variants_discover", "variants_call", "qc_sample", "qc_identity"):
            a, b = self.by_reads(rule)
            cpu = a + b * f["reads"]
            if rule == "variants_discover":
                # pileup of the chunk: what the chunk holds grows with its covered length
                c, d = self.rss_by(rule, "span_bp")
                return cpu, c + d * f["covered_span_bp"]
            if rule == "variants_call":
                c, d = self.rss_by(rule, "genome_bp")
                return cpu, c + d * f["covered_bp"]
            if rule == "qc_sample":  # its reference scan (N runs of every contig), measured on a chr1-sized contig
                scan = self.bins_row(rule)
                return cpu + float(scan["cpu_s"]) * f["genome_bp"] / CHR1, max(self.rss_flat(rule), float(scan["rss_mb"]))
            return cpu, self.rss_flat(rule)
        if rule in ("copynumber_coverage", "copynumber_sample"):
            a, b = self.by_reads(rule)
            return a + b * f["reads"], max(self.rss_flat(rule), float(self.bins_row(rule)["rss_mb"]))
        if rule == "copynumber_bins":
            r = self.bins_row(rule)
            return float(r["cpu_s"]) * f["genome_bp"] / CHR1, float(r["rss_mb"])
        if rule == "copynumber_baf":
            a, b = self.cpu_by(rule, "genome_bp")
            c, d = self.rss_by(rule, "genome_bp")
            return a + b * f["covered_bp"], c + d * f["covered_bp"]
        if rule == "copynumber_call":
            # the call at 303k bins (synthetic patient) on top of the measured job's reading,
            # plotting and start-up (which its small genome is nearly all of)
            r, j = self.bins_row(rule), self._rule(rule)
            return float(r["cpu_s"] + j["cpu_s"].max()), float(r["rss_mb"] + j["rss_mb"].max() - BASE_RSS_MB)
        if rule == "liquid_counts":
            p = self.patient[self.patient["rule"] == rule].sort_values("mutations")
            # sites x BAMs x depth: fitted over the measured mutation counts (plasma + normal, 60x)
            work = p["mutations"] * p["bams"]
            a, b = fit_line(work, p["cpu_s"])
            rss = self.at_mutations(rule, f["mutations"], "rss_mb") * (1 + min(2, f["bams"]))
            return a + b * f["mutations"] * f["bams"] * f["depth_factor"], rss
        if rule in PATIENT_RULES:
            return self.at_mutations(rule, f["mutations"], "cpu_s"), self.at_mutations(rule, f["mutations"], "rss_mb")
        j = self._rule(rule)
        return float(j["cpu_s"].max()), float(j["rss_mb"].max())


def scenario_jobs(nodes: dict, edges: list, chunk_len: dict[str, int], sc: dict, patients: int) -> tuple[list, list]:
    """The jobs (rule, patient, features) and edges of `patients` patients of scenario `sc`."""
    genome = sc["genome_bp"]
    reads = {k: d * sc["bp"] / READ_LENGTH / sc["on_target"] for k, d in sc["depth"].items()}
    jobs, index = [], {}
    per = [i for i, n in nodes.items() if n["rule"] not in GLOBAL_RULES | {"all"}]
    glob = [i for i, n in nodes.items() if n["rule"] in GLOBAL_RULES]
    for i in glob:
        index[(i, None)] = len(jobs)
        jobs.append({"rule": nodes[i]["rule"], "patient": None})
    for p in range(patients):
        for i in per:
            index[(i, p)] = len(jobs)
            jobs.append({"rule": nodes[i]["rule"], "patient": p, **{k: v for k, v in nodes[i].items() if k != "rule"}})
    samples = ["N", "T", "T", "T", "P"]
    for j in jobs:
        rule = j["rule"]
        f = {"genome_bp": genome, "covered_bp": sc["bp"], "mutations": sc["mutations"], "bams": 0,
             "depth_factor": 1.0, "reads": 0.0, "span_bp": 0, "covered_span_bp": 0}
        if rule == "variants_discover":
            span = chunk_len[j["chunk"]]
            f["span_bp"] = span
            f["covered_span_bp"] = span * sc["bp"] / genome
            f["reads"] = sum(reads[k] for k in samples if k != "P") * span / genome
        elif rule in ("variants_call", "qc_identity"):
            f["reads"] = sum(reads[k] for k in samples)
        elif "sample" in j:
            f["reads"] = reads[j["sample"].split("-")[1][0]]
        elif rule == "liquid_counts":
            others = 5 * (patients - 1)
            f["bams"] = 2 + min(sc["max_controls"], others)
            f["depth_factor"] = sc["depth"]["P"] / DEPTH
        j["f"] = f
    out_edges = []
    for a, b in edges:
        if nodes[b]["rule"] == "all" or nodes[a]["rule"] == "all":
            continue
        for p in range(patients):
            ka = (a, None) if (a, None) in index else (a, p)
            kb = (b, None) if (b, None) in index else (b, p)
            out_edges.append((index[ka], index[kb]))
    return jobs, sorted(set(out_edges))


def schedule(jobs: list, edges: list, cores: int) -> float:
    """Wall seconds of the jobs on `cores` cores: a list scheduler that starts ready jobs by
    longest path to the end first, each taking `threads` cores for cpu / threads seconds."""
    n = len(jobs)
    succ = [[] for _ in range(n)]
    npred = [0] * n
    for a, b in edges:
        succ[a].append(b)
        npred[b] += 1
    dur = [j["cpu_s"] / j["threads"] for j in jobs]
    order = []
    q = [i for i in range(n) if npred[i] == 0]
    deg = npred[:]
    while q:
        i = q.pop()
        order.append(i)
        for k in succ[i]:
            deg[k] -= 1
            if deg[k] == 0:
                q.append(k)
    rank = [0.0] * n
    for i in reversed(order):
        rank[i] = dur[i] + max((rank[k] for k in succ[i]), default=0.0)
    ready = [(-rank[i], i) for i in range(n) if npred[i] == 0]
    heapq.heapify(ready)
    running: list = []
    free, now, left = cores, 0.0, npred[:]
    while ready or running:
        waiting = []
        while ready and free > 0:
            r, i = heapq.heappop(ready)
            need = min(jobs[i]["threads"], cores)
            if need <= free:
                free -= need
                heapq.heappush(running, (now + dur[i], i, need))
            else:
                waiting.append((r, i))
        for w in waiting:
            heapq.heappush(ready, w)
        t, i, need = heapq.heappop(running)
        now, free = t, free + need
        for k in succ[i]:
            left[k] -= 1
            if left[k] == 0:
                heapq.heappush(ready, (-rank[k], k))
    return now


def scenarios(args) -> dict[str, dict]:
    wgs = {"genome_bp": 0, "bp": 0, "on_target": 1.0, "mutations": args.wgs_mutations, "max_controls": 40,
           "depth": {"N": args.normal_depth, "T": 60.0, "P": 60.0}}
    wes = {"genome_bp": 0, "bp": args.exome_mb * 1e6, "on_target": args.on_target, "mutations": args.exome_mutations,
           "max_controls": 40, "depth": {"N": 150.0, "T": 150.0, "P": 150.0}}
    return {"WGS 60x": wgs, "exome 150x": wes}


def project(args) -> None:
    out = Path(args.out)
    models = Models(out, args.mb)
    nodes, edges, chunk_len = grch38_dag(out)
    genome = sum(chunk_len.values())
    rules_threads = {}
    for s in (out / f"run{max(args.mb):g}mb" / ".snakemake" / "scripts").glob("*.py"):
        sm = wrapper_job(s)
        rules_threads[sm.rule] = sm.threads
    per_patient = pd.Series([n["rule"] for n in nodes.values() if n["rule"] != "all"]).value_counts()
    print(f"Job layout: a GRCh38-shaped patient (UCSC names, 5 samples) plans {int(per_patient.sum())} jobs, "
          f"{per_patient.get('variants_discover', 0)} of them discovery chunks of <= 20 Mb over the {genome / 1e9:.3f} Gb "
          "of chr1-22, X, Y (largest "
          f"{max(chunk_len.values()) / 1e6:.1f} Mb)")
    print_assumptions(args, genome)
    fits = []
    for rule in ("variants_discover", "variants_call", "qc_sample", "qc_identity", "copynumber_coverage",
                 "copynumber_sample"):
        a, b = models.by_reads(rule)
        fits.append({"rule": rule, "fixed_cpu_s": a, "reads_per_cpu_s": 1 / b if b else float("inf"),
                     "rss_mb_6mb": models.rss_flat(rule)})
    print("\nCPU = fixed + reads / rate, fitted over the jobs of both genomes:")
    print(pd.DataFrame(fits).round(1).to_string(index=False))
    summary = []
    for name, sc in scenarios(args).items():
        sc = {**sc, "genome_bp": genome, "bp": sc["bp"] or genome}
        for patients in (1, args.patients):
            jobs, dag_edges = scenario_jobs(nodes, edges, chunk_len, sc, patients)
            for j in jobs:
                j["cpu_s"], j["rss_mb"] = models.job(j["rule"], j["f"])
                j["threads"] = rules_threads.get(j["rule"], 1)
            t = pd.DataFrame([{k: v for k, v in j.items() if k != "f"} for j in jobs])
            wall = schedule(jobs, dag_edges, args.cores)
            per = t.groupby("rule").agg(jobs=("cpu_s", "size"), cpu_h=("cpu_s", "sum"), max_job_h=("cpu_s", "max"),
                                        peak_gb=("rss_mb", "max"))
            per["cpu_h"] /= 3600
            per["max_job_h"] /= 3600
            per["peak_gb"] /= 1024
            per["share"] = per["cpu_h"] / per["cpu_h"].sum()
            big = t.loc[t["cpu_s"].idxmax()]
            fat = t.loc[t["rss_mb"].idxmax()]
            label = f"{name}, {patients} patient{'s' if patients > 1 else ''}"
            if patients == 1:
                print(f"\n== {label}: per rule ==")
                print(per.sort_values("cpu_h", ascending=False).round(3).to_string())
            over = per[(per["peak_gb"] > args.max_gb) | (per["max_job_h"] > args.max_hours)]
            summary.append({"scenario": label, "jobs": len(t), "cpu_h": t["cpu_s"].sum() / 3600,
                            "cpu_h_per_patient": t["cpu_s"].sum() / 3600 / patients,
                            f"wall_h_{args.cores}_cores": wall / 3600,
                            "longest_job": f"{big['rule']} {big['cpu_s'] / 3600:.2f} h",
                            "largest_job": f"{fat['rule']} {fat['rss_mb'] / 1024:.1f} GB",
                            "over_limits": ", ".join(over.index) or "none"})
    print(f"\n== projection ({args.cores} cores; a job: cpu / threads seconds on `threads` cores) ==")
    pd.set_option("display.width", 250)
    print(pd.DataFrame(summary).round(2).to_string(index=False))
    wgs = summary[0]
    print(f"\nTarget (issue 22): the whole path of a 5-sample 60x WGS patient <= 20 CPU hours, no job > 16 GB: "
          f"{wgs['cpu_h']:.1f} CPU hours ({'met' if wgs['cpu_h'] <= 20 else 'NOT met'}), largest job "
          f"{wgs['largest_job']} ({'met' if 'GB' in wgs['largest_job'] and float(wgs['largest_job'].split()[-2]) <= 16 else 'NOT met'})")


def print_assumptions(args, genome: int) -> None:
    wgs_reads = 60 * genome / READ_LENGTH
    print(f"""Assumptions:
  reads: 150 bp paired; records a sample = depth x bp / 150 (60x over {genome / 1e9:.2f} Gb = {wgs_reads / 1e9:.2f} G
    records); normal {args.normal_depth:g}x, 3 regions 60x, plasma 60x; exome: 150x over {args.exome_mb:g} Mb of padded
    targets with {args.on_target:.0%} of reads on target (= {150 * args.exome_mb * 1e6 / READ_LENGTH / args.on_target / 1e6:.0f} M records a
    sample); discovery reads the normal and the 3 regions (variants.plasma_discovery false)
  mutations a patient: WGS {args.wgs_mutations:,}, exome {args.exome_mutations:,} (the patient-level rules measured at these
    counts on the measured patient's reads, its mutations repeated)
  CPU time grows linearly with the reads a job reads (discovery: the reads of its chunk; QC, depth
    passes: one BAM; variants_call, qc_identity: the patient's 5 BAMs), fitted over the jobs of
    the simulated genomes; copynumber_bins, copynumber_baf and qc_sample's reference scan (its
    N runs, measured on a chr1-sized contig) with the genome; liquid_counts with
    sites x BAMs x depth (100 patients: plasma, normal and 40 cohort controls a patient)
  memory: discovery with the covered length of its chunk (exome: 2% of it), variants_call and
    copynumber_baf with the covered genome, fitted over the simulated sizes; depth passes and
    copynumber_call measured at 310k bins; copynumber_bins on a 249 Mb contig; liquid_counts x3
    (its 2 worker processes); the others as measured (they do not grow with the reads)
  wall time: jobs start by longest remaining path, a job takes its rule's threads and cpu/threads
    seconds (perfect threading), no queue wait, I/O as fast as here (local disk, warm cache)""")


def run_all(args) -> None:
    for cmd in ("measure", "patient", "project"):
        print(f"\n######## {cmd}", flush=True)
        sub = _parser().parse_args(["--out", args.out, cmd])
        sub.func(sub)


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/ith-human-scale", help="simulations, runs and measurements (kept)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--mb", type=float, nargs="+", default=[2, 6], help="genome sizes to simulate (Mb)")
    m.add_argument("--repeats", type=int, default=2)
    m.set_defaults(func=measure)
    p = sub.add_parser("patient")
    p.add_argument("--mb", type=float, nargs="+", default=[2, 6], help="as measure's (the largest is used)")
    p.add_argument("--mutations", type=int, nargs="+", default=[200, 10_000])
    p.add_argument("--cn-samples", type=int, default=4, help="tumour and plasma samples of the synthetic patient")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--only-bins", action="store_true", help="only the copy-number part")
    p.set_defaults(func=patient)
    j = sub.add_parser("project")
    j.add_argument("--mb", type=float, nargs="+", default=[2, 6], help="the measured genome sizes")
    j.add_argument("--cores", type=int, default=100)
    j.add_argument("--patients", type=int, default=100)
    j.add_argument("--normal-depth", type=float, default=60.0)
    j.add_argument("--exome-mb", type=float, default=60.0, help="padded targets")
    j.add_argument("--on-target", type=float, default=0.75, help="fraction of exome reads on the targets")
    j.add_argument("--wgs-mutations", type=int, default=10_000)
    j.add_argument("--exome-mutations", type=int, default=200)
    j.add_argument("--max-gb", type=float, default=16.0)
    j.add_argument("--max-hours", type=float, default=4.0)
    j.set_defaults(func=project)
    a = sub.add_parser("all", parents=[], help="measure, patient and project with their defaults")
    a.set_defaults(func=run_all)
    return ap


def main() -> None:
    args = _parser().parse_args()
    Path(args.out).mkdir(parents=True, exist_ok=True)
    args.func(args)


if __name__ == "__main__":
    main()
