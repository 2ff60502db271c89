"""Clonal engine benchmarks.

  tracerx   the PyClone-VI TRACERx example (3 regions, 2,458 SNVs), 40 clusters, beta-binomial,
            10 restarts, 2 threads: wall time and peak memory of `ith clonal fit` as a user runs
            it (a fresh process), beside the reference implementation's figures on this machine
            from the data README (60-90 s, ~320 MB; it is not installable here), and the ELBO
            of every restart.
  scale     N mutations x 10 samples (N = 1k, 10k, 100k by default) simulated from 8 clones (every
            mutation on one copy, random clonal copy number), 40 clusters, 10 restarts: time, peak
            memory, ARI, and the fitted exponent of time in N. --state-prior clonal-cn for ours.
            Each size runs in its own process so the peak memory is its own.
  truth     the workflow on simulated cohorts (test preset, several seeds) up to the clonal
            tables, scored against the simulator's truth: ARI over clones with >= 10 mutations
            and the worst cluster CCF error per clone. Clones are drawn as the tests draw them
            (distinguishable: --clone-separation 4, --tree-margin 0.05); --any-clones for the
            preset's own draws.

    python bench/clonal.py tracerx
    python bench/clonal.py scale --sizes 1000 10000 100000
    python bench/clonal.py truth --seeds 1 2 3 4 5
    python bench/clonal.py truth --seeds 1 2 3 4 5 --any-clones
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data" / "pyclone-vi-examples"


def _timed(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MB) of a child process, and its stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(proc.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024, proc.stderr


def bench_tracerx(threads: int, seed: int) -> None:
    ith = [sys.executable, "-m", "ith.cli", "clonal", "fit"]
    with tempfile.TemporaryDirectory() as tmp:
        # one warm-up so numba's on-disk cache is built, as it is after a user's first run
        _timed(ith + ["-i", str(DATA / "synthetic.tsv"), "-o", f"{tmp}/w.tsv", "-r", "1"])
        wall, peak, err = _timed(ith + ["-i", str(DATA / "tracerx.tsv"), "-o", f"{tmp}/r.tsv", "-c", "40", "-d",
                                        "beta-binomial", "-r", "10", "-t", str(threads), "--seed", str(seed)])
        res = pd.read_csv(f"{tmp}/r.tsv", sep="\t")
    elbos = [float(line.split("ELBO ")[1].split()[0]) for line in err.splitlines() if " restart " in line
             and "ELBO" in line and "best" not in line]
    sizes = res.drop_duplicates("mutation_id")["cluster_id"].value_counts()
    print(f"tracerx.tsv: {res['mutation_id'].nunique()} mutations kept, {len(sizes)} clusters "
          f"(sizes {', '.join(map(str, sizes.tolist()))})")
    print(f"ith clonal fit (40 clusters, beta-binomial, 10 restarts, {threads} threads): {wall:.1f} s, "
          f"peak {peak:.0f} MB")
    print("reference PyClone-VI here (data README): 60-90 s, ~320 MB -> "
          f"speed-up {60 / wall:.1f}-{90 / wall:.1f}x, memory ratio {peak / 320:.2f}")
    print(f"ELBO per restart: {', '.join(f'{e:.1f}' for e in elbos)}; best {max(elbos):.2f}")
    # the same model by plain coordinate ascent (what PyClone-VI runs), in this process
    from ith.clonal.data import read_input
    from ith.clonal.engine import EngineOptions, run
    from ith.clonal.vi import VIOptions

    data = read_input(str(DATA / "tracerx.tsv"))
    for restarts in (10, 50):
        t0 = time.perf_counter()
        res = run(data, EngineOptions(density="beta-binomial", vi=VIOptions(
            num_clusters=40, num_restarts=restarts, seed=seed, threads=threads, merge_moves=False)))
        e = sorted((f.elbo for f in res.restarts), reverse=True)
        print(f"plain coordinate ascent, {restarts} restarts: best ELBO {e[0]:.2f}, median {np.median(e):.1f} "
              f"({time.perf_counter() - t0:.1f} s); with merge moves the best is {max(elbos) - e[0]:+.1f} nats")


def simulate_counts(n: int, samples: int, clones: int, depth: int, rng: np.random.Generator) -> pd.DataFrame:
    """PyClone-VI input from a random clone CCF matrix, random copy number and binomial reads."""
    ccf = rng.uniform(0.05, 1.0, size=(clones, samples))
    ccf[0] = 1.0
    label = rng.integers(0, clones, size=n)
    purity = rng.uniform(0.4, 0.9, size=samples)
    major = rng.choice([1, 1, 1, 2, 2, 3], size=n)
    minor = np.minimum(rng.choice([0, 1, 1, 1], size=n), major)
    total = major + minor
    phi = ccf[label]  # (n, samples)
    vaf = purity * phi / (purity * total[:, None] + 2 * (1 - purity))
    reads = rng.poisson(depth, size=(n, samples)) + 1
    alt = rng.binomial(reads, np.clip(vaf, 0, 1))
    return pd.DataFrame({
        "mutation_id": np.repeat([f"m{i}" for i in range(n)], samples),
        "sample_id": np.tile([f"s{j}" for j in range(samples)], n),
        "ref_counts": (reads - alt).reshape(-1), "alt_counts": alt.reshape(-1),
        "normal_cn": 2, "major_cn": np.repeat(major, samples), "minor_cn": np.repeat(minor, samples),
        "tumour_content": np.tile(purity, n), "cluster": np.repeat(label, samples),
    })


def bench_scale(sizes: list[int], samples: int, threads: int, state_prior: str) -> None:
    from ith.clonal.evaluate import adjusted_rand_index

    rng = np.random.default_rng(7)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            df = simulate_counts(n, samples, 8, 100, rng)
            path = f"{tmp}/in{n}.tsv"
            df.drop(columns="cluster").to_csv(path, sep="\t", index=False)
            wall, peak, _ = _timed([sys.executable, "-m", "ith.cli", "clonal", "fit", "-i", path, "-o",
                                    f"{tmp}/out{n}.tsv", "-c", "40", "-d", "beta-binomial", "-r", "10", "-t",
                                    str(threads), "--seed", "1", "--state-prior", state_prior])
            out = pd.read_csv(f"{tmp}/out{n}.tsv", sep="\t").drop_duplicates("mutation_id")
            truth = df.drop_duplicates("mutation_id").set_index("mutation_id").loc[out["mutation_id"], "cluster"]
            ari = adjusted_rand_index(truth, out["cluster_id"])
            rows.append((n, wall, peak, ari))
            print(f"{n:>7} mutations x {samples} samples: {wall:7.1f} s, peak {peak:6.0f} MB, ARI {ari:.3f}",
                  flush=True)
    if len(rows) > 1:
        x, y = np.log([r[0] for r in rows]), np.log([r[1] for r in rows])
        print(f"fitted exponent of time in N: {np.polyfit(x, y, 1)[0]:.2f}")


def bench_truth(seeds: list[int], preset: str, config: list[str], draw: list[str]) -> None:
    from ith.clonal.evaluate import compare_to_truth

    summary = []
    for seed in seeds:
        with tempfile.TemporaryDirectory() as tmp:
            sim, run = Path(tmp) / "sim", Path(tmp) / "run"
            subprocess.run([sys.executable, "-m", "ith.cli", "simulate", "--preset", preset, "--seed", str(seed),
                            "--out", str(sim), *draw], check=True, capture_output=True)
            patients = sorted(pd.read_csv(sim / "samples.tsv", sep="\t")["patient"].unique())
            targets = [f"results/clonal/{p}/mutations.tsv" for p in patients]
            proc = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--configfile",
                                   str(sim / "config.yaml"), "--directory", str(run), "--cores", "2", *targets,
                                   *(["--config", *config] if config else [])],
                                  capture_output=True, text=True)
            if proc.returncode:
                raise SystemExit(proc.stderr[-3000:])
            for p in patients:
                truth = pd.read_csv(sim / "truth" / p / "mutations.tsv", sep="\t")
                m = pd.read_csv(run / "results" / "clonal" / p / "mutations.tsv", sep="\t")
                s = pd.read_csv(run / "results" / "clonal" / p / "cluster_summary.tsv", sep="\t")
                r = compare_to_truth(truth, m, s)
                err = max((c["max_ccf_error"] for c in r["clones"]), default=float("nan"))
                pur = pd.read_csv(sim / "truth" / p / "purity_ploidy.tsv", sep="\t")
                pur = pur[pur["sample"].isin(s["sample"])]["purity"].round(2).tolist()
                summary.append({"seed": seed, "patient": p, "ari": round(r["ari"], 3),
                                "clones>=10": len(r["clones"]), "clusters": s["cluster_id"].nunique(),
                                "max_ccf_error": round(err, 3), "purity": pur})
                print(json.dumps(summary[-1]), flush=True)
                for c in r["clones"]:
                    print("   ", json.dumps(c))
    t = pd.DataFrame(summary)
    print(f"patients with ARI >= 0.9: {(t['ari'] >= 0.9).sum()}/{len(t)}; with every clone's CCF within 0.1: "
          f"{(t['max_ccf_error'] <= 0.1).sum()}/{len(t)}; median ARI {t['ari'].median():.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("tracerx")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p = sub.add_parser("scale")
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    p.add_argument("--samples", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--state-prior", choices=["uniform", "clonal-cn"], default="uniform")
    p = sub.add_parser("truth")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    p.add_argument("--preset", default="test")
    p.add_argument("--config", nargs="*", default=[], help="extra snakemake --config items, e.g. "
                   "\"clonal={'subclonal_cn': 'exclude'}\"")
    p.add_argument("--clone-separation", type=float, default=4.0)
    p.add_argument("--tree-margin", type=float, default=0.05)
    p.add_argument("--any-clones", action="store_true", help="the preset's own compositions, no redraws")
    a = ap.parse_args()
    if a.cmd == "tracerx":
        bench_tracerx(a.threads, a.seed)
    elif a.cmd == "scale":
        bench_scale(a.sizes, a.samples, a.threads, a.state_prior)
    else:
        draw = [] if a.any_clones else ["--clone-separation", str(a.clone_separation), "--tree-margin", str(a.tree_margin)]
        bench_truth(a.seeds, a.preset, a.config, draw)


if __name__ == "__main__":
    main()
