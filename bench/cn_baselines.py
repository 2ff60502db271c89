"""Baseline copy-number tools run on the same BAMs as our copy-number stage, for the benchmark.

Two baselines, each installed on demand from an ordinary package registry:

  mosdepth  per-bin mean depth (Debian package `mosdepth`); the floor for "read every BAM once
            and count depth in fixed bins", which any read-depth CN method has to do.
  CNVkit    a complete read-depth CN caller (PyPI `cnvkit`): coverage -> reference -> fix ->
            segment -> call. It lives in its own venv (`.venv-bench` at the repository root) so
            its pinned dependencies never change the project's `.venv`. Segmentation: 'hmm*',
            'haar' and 'none' are pure Python; 'cbs' (CNVkit's default) runs R's DNAcopy via
            Rscript, which comes from Debian (`r-bioc-dnacopy`, not CRAN), installed on demand.

CNVkit does not get purity from us implicitly: `run_cnvkit(purity=...)` takes it from elsewhere
(truth, or our own estimate) so its integer calls can be compared on an equal footing.

Use from Python (the project's venv is fine; CNVkit runs as a subprocess from its own venv):

    from bench.cn_baselines import run_mosdepth, run_cnvkit, make_bins_bed, make_snp_vcf

or as a smoke test on a simulated cohort:

    python bench/cn_baselines.py --cohort /tmp/cnsim --patient P1 --sample P1-R1
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

# The CNVkit release these wrappers were written and checked against. Pinned so that a rebuilt
# .venv-bench measures the same tool (flags such as `fix` without an antitarget file, and the
# pure-numpy HMM segmenter, are recent; older releases behave differently).
CNVKIT_VERSION = "0.9.14"
# Segmentation methods that run without R; 'cbs' (CNVkit's default) needs Rscript + DNAcopy.
CNVKIT_METHODS_WITHOUT_R = ("hmm", "hmm-tumor", "hmm-germline", "haar", "none")
CNVKIT_METHODS = (*CNVKIT_METHODS_WITHOUT_R, "cbs")
# SAM flags to skip when counting depth: unmapped 0x4, secondary 0x100, QC-fail 0x200,
# duplicate 0x400. Passed to mosdepth explicitly (it is also its default) so the baseline counts
# the same reads as CNVkit, which excludes exactly this set via samtools bedcov.
EXCLUDE_FLAGS = 0x4 | 0x100 | 0x200 | 0x400

REPO = Path(__file__).resolve().parents[1]
BENCH_VENV = REPO / ".venv-bench"


def _run(cmd: list[str], cwd: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> str:
    """Run a command; on failure raise with the tail of its stderr (the part that says why)."""
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-20:])
        raise RuntimeError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{tail}")
    return proc.stdout


# --------------------------------------------------------------------------------------------
# mosdepth


def _mosdepth_works(exe: str) -> bool:
    try:
        proc = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60, check=False)
        return proc.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _apt_install(packages: list[str], who: str) -> bool:
    """apt-get install `packages` (no recommends) if we are root; False after printing why not."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        print(f"{who}: not root, so cannot apt-get install {' '.join(packages)}", file=sys.stderr)
        return False
    if not shutil.which("apt-get"):
        print(f"{who}: no apt-get on this machine to install {' '.join(packages)}", file=sys.stderr)
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    try:
        _run(install, env=env)
    except RuntimeError:
        # A fresh machine often has no package lists yet; refresh them once and retry.
        try:
            _run(["apt-get", "update", "-q"], env=env)
            _run(install, env=env)
        except RuntimeError as err:
            print(f"{who}: apt-get install failed: {err}", file=sys.stderr)
            return False
    return True


def ensure_mosdepth() -> str | None:
    """Path of a working mosdepth binary, apt-installing Debian's package when missing and root.

    Debian 12's `mosdepth` (0.3.3) declares no dependency on htslib but dlopen()s the unversioned
    `libhts.so`, which only `libhts-dev` provides: installed alone it exits with "could not load:
    libhts.so". So both packages are installed, and "installed" means `mosdepth --version` runs.
    Returns None (after printing why) when it cannot be made to work, so a benchmark can skip
    this baseline instead of failing.
    """
    found = shutil.which("mosdepth")
    if found and _mosdepth_works(found):
        return found
    if not _apt_install(["mosdepth", "libhts-dev"], "mosdepth"):
        return None
    found = shutil.which("mosdepth")
    if not found or not _mosdepth_works(found):
        print("mosdepth: installed but `mosdepth --version` fails", file=sys.stderr)
        return None
    return found


def _dnacopy_works() -> bool:
    rscript = shutil.which("Rscript")
    if not rscript:
        return False
    try:
        return subprocess.run([rscript, "-e", "suppressMessages(library(DNAcopy))"], capture_output=True,
                              timeout=120, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def ensure_r_dnacopy() -> str | None:
    """Path of an Rscript that loads DNAcopy (for CNVkit's 'cbs'), apt-installing it if needed.

    There is no CRAN/Bioconductor here, but Debian packages DNAcopy itself: `r-bioc-dnacopy`
    (1.72 on Debian 12) brings r-base-core with it, about 55 MB without recommends.
    """
    if _dnacopy_works() or (_apt_install(["r-bioc-dnacopy"], "R DNAcopy") and _dnacopy_works()):
        return shutil.which("Rscript")
    print("R DNAcopy: not loadable, so CNVkit 'cbs' is unavailable", file=sys.stderr)
    return None


def run_mosdepth(bam: str, bed: str, out_prefix: str, threads: int, min_mapq: int) -> tuple[float, pd.DataFrame]:
    """Mean depth per BED bin of one BAM; returns (wall seconds, DataFrame chrom/start/end/depth).

    Flags: `--by bed` gives one mean per region; `-n` skips the per-base output, which is most of
    mosdepth's time and disk; `--fast-mode` (-x) skips CIGAR-internal deletions and mate-overlap
    correction, the mode mosdepth recommends for CN-style binned depth; `-F` excludes
    unmapped/secondary/QC-fail/duplicate reads. `start` is returned 1-based (BED is 0-based).
    """
    exe = ensure_mosdepth()
    if exe is None:
        raise RuntimeError("mosdepth is not available")
    Path(out_prefix).parent.mkdir(parents=True, exist_ok=True)
    # mosdepth's -t counts *extra* BAM-decompression threads beside its main one (default 0), so
    # a budget of `threads` cores is threads-1 of them.
    cmd = [exe, "--by", bed, "-n", "--fast-mode", "-t", str(max(0, threads - 1)), "-Q", str(min_mapq),
           "-F", str(EXCLUDE_FLAGS), out_prefix, bam]
    t0 = time.perf_counter()
    _run(cmd)
    seconds = time.perf_counter() - t0
    # A BED with a name column makes mosdepth echo it before the mean, so the mean is always the
    # last column whatever the input BED looked like.
    raw = pd.read_csv(f"{out_prefix}.regions.bed.gz", sep="\t", header=None, dtype={0: str})
    df = pd.DataFrame({"chrom": raw[0], "start": raw[1].astype(np.int64) + 1, "end": raw[2].astype(np.int64),
                       "depth": raw[raw.columns[-1]].astype(float)})
    return seconds, df


# --------------------------------------------------------------------------------------------
# CNVkit


def _cnvkit_works(exe: Path) -> bool:
    try:
        proc = subprocess.run([str(exe), "version"], capture_output=True, text=True, timeout=300, check=False)
        return proc.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def ensure_cnvkit() -> str | None:
    """Path of `cnvkit.py` in .venv-bench, creating the venv and pip-installing CNVkit if needed.

    A separate venv because CNVkit pins its own scientific stack (and pulls in matplotlib,
    reportlab, statsmodels, scikit-learn, bioframe...) that must not move the project's `.venv`.
    Returns None (after printing why) when it cannot be installed.
    """
    exe = BENCH_VENV / "bin" / "cnvkit.py"
    if exe.exists() and _cnvkit_works(exe):
        return str(exe)
    py = BENCH_VENV / "bin" / "python"
    try:
        if not py.exists():
            # sys.executable may itself be a venv's python; `-m venv` then bases the new venv on
            # the same underlying interpreter, which is what we want (same Python as the project).
            _run([sys.executable, "-m", "venv", str(BENCH_VENV)])
            # The venv sits in the work tree (600 MB) and the repository's .gitignore does not name
            # it: a `*` .gitignore inside keeps it out of `git add -A`, as Python 3.13's venv does.
            (BENCH_VENV / ".gitignore").write_text("# created by bench/cn_baselines.py\n*\n")
        _run([str(py), "-m", "pip", "install", "-q", f"cnvkit=={CNVKIT_VERSION}"])
    except RuntimeError as err:
        print(f"cnvkit: install into {BENCH_VENV} failed: {err}", file=sys.stderr)
        return None
    if not _cnvkit_works(exe):
        print(f"cnvkit: installed but `{exe} version` fails", file=sys.stderr)
        return None
    return str(exe)


def _cnvkit_env(workdir: Path) -> dict[str, str]:
    # Headless matplotlib with a private config dir: CNVkit imports matplotlib at start-up and
    # would otherwise try to write a font cache under $HOME and warn about it on every call.
    env = dict(os.environ, MPLBACKEND="Agg", MPLCONFIGDIR=str(workdir / ".mpl"))
    # Keep the caller's venv (e.g. the project's) out of CNVkit's imports.
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    return env


def run_cnvkit(tumour_bam: str, normal_bam: str, fasta: str, bins_bed: str, workdir: str,
               purity: float | None, vcf: str | None, sample_in_vcf: str | None, normal_in_vcf: str | None,
               method: str, threads: int, *, sample_sex: str | None = None, min_mapq: int = 0,
               gc_correction: bool = True, segment_threshold: float | None = None,
               ploidy: int = 2, call_method: str | None = None) -> tuple[float, pd.DataFrame]:
    """CNVkit on one tumour/normal pair of WGS BAMs over our fixed bins.

    Returns (wall seconds of coverage..call, called segments as chrom, start (1-based), end, log2,
    log2_adjusted, cn, cn1, cn2): log2 is the observed tumour/normal ratio from `segment`,
    log2_adjusted the purity-rescaled one `call` used; cn1/cn2 are major/minor copies, NaN where
    CNVkit had no BAF for the segment (always, without a VCF).

    Steps (CNVkit's own file names, so each step can be re-run by hand from `workdir`):
      coverage  T and N over `bins_bed` as targets; WGS has no off-target bins, so no antitarget
      reference from the one normal, with `-f fasta` for the bins' GC and RepeatMasker (lowercase)
                content; `--no-edge` as `cnvkit.py batch -m wgs` does (edge bias is a capture effect)
      fix       tumour against that reference (the antitarget argument is omitted for WGS), with
                GC + RepeatMasker correction unless `gc_correction=False` (`--no-gc --no-rmask`)
      segment   `-m method` (`-t segment_threshold` if given; batch -m wgs uses 1e-6 for haar/cbs);
                with `vcf`, BAF of the normal's het SNPs joins the segmentation
      call      with `purity`: `-m clonal` (rescale by purity, round to the nearest integer);
                without: CNVkit's default log2 thresholds. With `vcf`, cn1/cn2 from BAF.
                `--ploidy ploidy`: a depth ratio cannot tell a whole-genome-doubled tumour from a
                diploid one, so CN is relative to this baseline. CNVkit assumes the normal
                contamination has that ploidy too (for a WGD tumour at 4 it does not), which
                skews non-baseline CNs a little; the rounding usually absorbs it.
    `sample_sex` ('female'/'male') is passed to reference and call; None lets CNVkit guess from
    chrX/chrY coverage, which a chrX loss in the tumour can fool.
    CNVkit's GC correction fits a rolling median of log2 against bin GC over this one sample; on a
    genome of a few hundred bins where a whole contig has its own GC (the `ith simulate` test
    genome's chrX) it takes that contig's CN change for GC bias and removes it, hence the switch.
    Bins with GC outside CNVkit's limits (< 0.3 or > 0.7) are dropped by `fix` and get no call.
    """
    if method not in CNVKIT_METHODS:
        raise ValueError(f"unknown CNVkit segmentation method {method!r}")
    rscript = ensure_r_dnacopy() if method == "cbs" else None
    if method == "cbs" and rscript is None:
        raise RuntimeError("CNVkit 'cbs' needs R with DNAcopy; use one of " + ", ".join(CNVKIT_METHODS_WITHOUT_R))
    vcf_args: list[str] = []
    if vcf is not None:
        if sample_in_vcf is None or normal_in_vcf is None:
            # Without -i CNVkit takes the VCF's first sample, which is the normal in a T/N VCF
            # made by make_snp_vcf: the BAF would silently be the normal's.
            raise ValueError("vcf needs sample_in_vcf and normal_in_vcf")
        # -n also lets CNVkit drop somatic SNVs (het in tumour, hom-ref in normal) from the BAF.
        vcf_args = ["-v", vcf, "-i", sample_in_vcf, "-n", normal_in_vcf]
    exe = ensure_cnvkit()
    if exe is None:
        raise RuntimeError("CNVkit is not available")
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    env = _cnvkit_env(work)
    threads = max(1, threads)
    sex_args = ["-x", sample_sex] if sample_sex else []
    bias_args = ["--no-edge"] + ([] if gc_correction else ["--no-gc", "--no-rmask"])
    seg_args = ["-t", f"{segment_threshold:g}"] if segment_threshold is not None else []
    if rscript:
        seg_args += ["--rscript-path", rscript]

    def ck(*args: str) -> None:
        _run([exe, *args], cwd=work, env=env)

    targets = _bed4(bins_bed, str(work / "bins.target.bed"))
    t0 = time.perf_counter()
    # Coverage of the two BAMs at once, each on half the threads: `coverage -p` splits the BED
    # into chunks per process, and the two samples are independent.
    per = max(1, threads // 2)
    jobs = [(bam, f"{name}.targetcoverage.cnn") for bam, name in ((tumour_bam, "tumour"), (normal_bam, "normal"))]
    procs = [subprocess.Popen([exe, "coverage", bam, targets, "-q", str(min_mapq),
                               "-p", str(per), "-o", out], cwd=work, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for bam, out in jobs]
    for p, (bam, _) in zip(procs, jobs):
        _, err = p.communicate()
        if p.returncode != 0:
            raise RuntimeError(f"cnvkit coverage failed on {bam}:\n{err[-2000:]}")
    ck("reference", "normal.targetcoverage.cnn", "-f", os.path.abspath(fasta), *sex_args, *bias_args,
       "-o", "reference.cnn")
    ck("fix", "tumour.targetcoverage.cnn", "-r", "reference.cnn", *bias_args, "-i", "tumour", "-o", "tumour.cnr")
    ck("segment", "tumour.cnr", "-m", method, *seg_args, "-p", str(threads), *vcf_args, "-o", "tumour.cns")
    if vcf_args and _has_overlaps(read_cns(str(work / "tumour.cns"))):
        # CNVkit 0.9.14's BAF re-segmentation after 'cbs' (seen on P1-R1 of the test cohort) can
        # return a chromosome's segments each stretched to the whole chromosome, i.e. overlapping
        # calls. Such output cannot be scored, so segment on depth alone (the VCF still gives
        # cn1/cn2 in `call`), keep the bad table for inspection, and say so.
        os.replace(work / "tumour.cns", work / "tumour.overlapping.cns")
        print(f"cnvkit: segment -m {method} with --vcf gave overlapping segments; re-segmenting without "
              "the VCF (kept as tumour.overlapping.cns)", file=sys.stderr)
        ck("segment", "tumour.cnr", "-m", method, *seg_args, "-p", str(threads), "-o", "tumour.cns")
    if call_method is None:
        call_method = "clonal" if purity is not None else "threshold"
    purity_args = ["--purity", f"{purity:g}"] if purity is not None else []
    purity_args += ["--ploidy", str(int(ploidy))]
    ck("call", "tumour.cns", "-m", call_method, *purity_args, *vcf_args, *sex_args, "-o", "tumour.call.cns")
    seconds = time.perf_counter() - t0
    calls = read_cns(str(work / "tumour.call.cns"))
    # `call --purity` rewrites log2 as the purity-adjusted ratio; the benchmark compares observed
    # ratios (truth's log2r is of the impure sample), so take log2 from `segment`'s output, whose
    # rows `call` keeps one-to-one (no --filter/--merge here), and keep the adjusted one alongside.
    calls.insert(4, "log2_adjusted", calls["log2"])
    segs = read_cns(str(work / "tumour.cns"))
    keys = ["chrom", "start", "end"]
    if len(segs) == len(calls) and (segs[keys].to_numpy() == calls[keys].to_numpy()).all():
        calls["log2"] = segs["log2"].to_numpy()
    else:
        print("cnvkit: call changed the segments, so log2 is call's (purity-adjusted) one", file=sys.stderr)
    return seconds, calls


def _bed4(bed: str, out: str) -> str:
    """Copy of a BED with a name column ('-' where there was none); returns its absolute path.

    CNVkit 0.9.14 guesses the layout of `samtools bedcov` output from its first line and, for a
    3-column BED, mistakes the integer `end` + depth pair for "basecount + extra column", then
    fails with "Too many columns specified: expected 5 and found 4". A 4th, non-numeric column
    avoids the misreading; it has no other effect (CNVkit calls it the gene name).
    """
    with open(bed) as fh, open(out, "w") as dst:
        for line in fh:
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            f = line.rstrip("\n").split("\t")
            dst.write(f"{f[0]}\t{f[1]}\t{f[2]}\t{f[3] if len(f) > 3 and f[3] else '-'}\n")
    return os.path.abspath(out)


def _has_overlaps(segs: pd.DataFrame) -> bool:
    """True if any two segments of a chromosome overlap (1-based inclusive coordinates)."""
    for _, g in segs.groupby("chrom", sort=False):
        g = g.sort_values(["start", "end"])
        if (g["start"].to_numpy()[1:] <= g["end"].to_numpy()[:-1]).any():
            return True
    return False


def read_cns(path: str) -> pd.DataFrame:
    """A CNVkit .cns (segments) table as chrom, start (1-based), end, log2, cn, cn1, cn2."""
    raw = pd.read_csv(path, sep="\t", dtype={"chromosome": str})
    out = pd.DataFrame({"chrom": raw["chromosome"], "start": raw["start"].astype(np.int64) + 1,
                        "end": raw["end"].astype(np.int64), "log2": raw["log2"].astype(float)})
    # cn is absent when `call -m none`; cn1/cn2 only when a VCF gave BAF. Nullable ints keep
    # "no call" distinct from 0 copies.
    out["cn"] = raw["cn"].astype("Int64") if "cn" in raw else pd.array([pd.NA] * len(raw), dtype="Int64")
    for col in ("cn1", "cn2"):
        out[col] = raw[col].astype(float) if col in raw else np.nan
    return out


# --------------------------------------------------------------------------------------------
# Inputs: fixed bins and a T/N SNP VCF for BAF


def make_bins_bed(fai: str, out_bed: str, bin_size: int = 5000, contigs: list[str] | None = None) -> str:
    """Fixed-width bins (0-based BED) over the contigs of a .fai; the last bin of a contig is short."""
    with open(fai) as fh, open(out_bed, "w") as out:
        for line in fh:
            name, length = line.split("\t")[:2]
            if contigs is not None and name not in contigs:
                continue
            for start in range(0, int(length), bin_size):
                out.write(f"{name}\t{start}\t{min(start + bin_size, int(length))}\n")
    return out_bed


def make_snp_vcf(normal_bam: str, tumour_bam: str, fasta: str, out_vcf: str, threads: int = 1,
                 sites: str | None = None, min_mapq: int = 20) -> tuple[float, str]:
    """Joint normal+tumour SNP VCF with FORMAT AD/DP, as CNVkit's BAF needs; returns (seconds, path).

    Uses the bcftools bundled in pysam (no separate install). `sites` (a VCF/BED of known
    polymorphic positions, e.g. a population VCF) restricts the pileup with -T, which is what
    makes this affordable on real WGS. Sample names are the BAMs' read-group SM tags.
    """
    import pysam.bcftools as bcf  # pysam is in both venvs; imported here so the module loads without it

    t0 = time.perf_counter()
    bcf_tmp = out_vcf + ".mpileup.bcf"
    args = ["-f", fasta, "-a", "FORMAT/AD,FORMAT/DP", "-q", str(min_mapq), "-Q", "20", "-d", "10000",
            "--threads", str(max(1, threads)), "-Ou", "-o", bcf_tmp]
    if sites:
        args += ["-T", sites]
    bcf.mpileup(*args, normal_bam, tumour_bam, catch_stdout=False)
    # -m multiallelic caller, -v variants only, SNPs only: CNVkit's BAF uses SNVs.
    bcf.call("-mv", "-V", "indels", "-Oz", "-o", out_vcf, bcf_tmp, catch_stdout=False)
    os.remove(bcf_tmp)
    bcf.index("-t", "-f", out_vcf, catch_stdout=False)
    return time.perf_counter() - t0, out_vcf


# --------------------------------------------------------------------------------------------
# Comparison helper and smoke test


def fraction_correct(calls: pd.DataFrame, truth: pd.DataFrame, column: str = "cn",
                     truth_column: str = "total_cn", contigs: list[str] | None = None) -> tuple[float, float]:
    """(Fraction of truth-covered bases where the call's `column` equals truth's, fraction called).

    Both tables 1-based inclusive. Bases with no call count as wrong in the first number, so a
    tool that drops bins is not rewarded for it; the second number says how much it dropped.
    """
    agree = called = total = 0
    for t in truth.itertuples():
        chrom = str(t.chrom)
        if contigs is not None and chrom not in contigs:
            continue
        total += t.end - t.start + 1
        c = calls[(calls["chrom"] == chrom) & (calls["end"] >= t.start) & (calls["start"] <= t.end)]
        for r in c.itertuples():
            overlap = min(r.end, t.end) - max(r.start, t.start) + 1
            value = getattr(r, column)
            if pd.notna(value):
                called += overlap
                if int(value) == int(getattr(t, truth_column)):
                    agree += overlap
    return (agree / total, called / total) if total else (float("nan"), float("nan"))


def log2_error(calls: pd.DataFrame, truth: pd.DataFrame, contigs: list[str] | None = None) -> float:
    """Base-weighted mean |called log2 - truth log2r| over the bases both tables cover."""
    err = n = 0.0
    for t in truth.itertuples():
        if contigs is not None and str(t.chrom) not in contigs:
            continue
        c = calls[(calls["chrom"] == str(t.chrom)) & (calls["end"] >= t.start) & (calls["start"] <= t.end)]
        for r in c.itertuples():
            overlap = min(r.end, t.end) - max(r.start, t.start) + 1
            err += overlap * abs(r.log2 - t.log2r)
            n += overlap
    return err / n if n else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cohort", default="demo", help="a cohort written by `ith simulate`")
    ap.add_argument("--patient", default="P1")
    ap.add_argument("--sample", default=None, help="tumour sample (default: the patient's first tumour)")
    ap.add_argument("--bin-size", type=int, default=5000)
    ap.add_argument("--methods", default="cbs,hmm,haar,none",
                    help="comma-separated CNVkit segmentation methods, of: " + ",".join(CNVKIT_METHODS))
    ap.add_argument("--gc", default="on,off", help="CNVkit GC correction settings to run: on, off or on,off")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-vcf", action="store_true", help="skip BAF (no het-SNP VCF)")
    ap.add_argument("--show", action="store_true", help="print every run's segments")
    ap.add_argument("--out", default=None, help="work folder (default: <cohort>/bench-cn)")
    a = ap.parse_args()

    sheet = pd.read_csv(os.path.join(a.cohort, "samples.tsv"), sep="\t")
    rows = sheet[sheet["patient"] == a.patient]
    normal = rows[rows["type"] == "normal"].iloc[0]
    tumour = rows[rows["sample"] == a.sample].iloc[0] if a.sample else rows[rows["type"] == "tumour"].iloc[0]
    fasta = os.path.join(a.cohort, "reference", "genome.fa")
    out = Path(a.out or os.path.join(a.cohort, "bench-cn")) / str(tumour["sample"])
    out.mkdir(parents=True, exist_ok=True)
    bed = make_bins_bed(fasta + ".fai", str(out / "bins.bed"), a.bin_size)
    truth_dir = os.path.join(a.cohort, "truth", a.patient)
    pp = pd.read_csv(os.path.join(truth_dir, "purity_ploidy.tsv"), sep="\t")
    purity = float(pp.loc[pp["sample"] == tumour["sample"], "purity"].iloc[0])
    ploidy = round(float(pp.loc[pp["sample"] == tumour["sample"], "ploidy"].iloc[0]))
    truth = pd.read_csv(os.path.join(truth_dir, "segments.tsv"), sep="\t")
    truth = truth[truth["sample"] == tumour["sample"]]
    sex = tumour["sex"] if "sex" in tumour and isinstance(tumour["sex"], str) else None
    contigs = [str(c) for c in truth["chrom"].unique()]

    for label, bam in (("normal", normal["bam"]), ("tumour", tumour["bam"])):
        secs, depth = run_mosdepth(bam, bed, str(out / f"mosdepth.{label}"), a.threads, 0)
        print(f"mosdepth {label}: {secs:.2f} s, {len(depth)} bins, median depth {depth['depth'].median():.1f}")

    vcf = None
    if not a.no_vcf:
        secs, vcf = make_snp_vcf(normal["bam"], tumour["bam"], fasta, str(out / "snps.vcf.gz"), a.threads)
        print(f"SNP VCF (pysam bcftools mpileup+call, T+N, whole genome): {secs:.2f} s")
    print(f"CNVkit on {tumour['sample']} vs {normal['sample']}, true purity {purity:g} and ploidy {ploidy} given, "
          f"sex {sex}:")
    for gc in a.gc.split(","):
        for method in a.methods.split(","):
            work = out / f"cnvkit-{method}-gc{gc}"
            secs, calls = run_cnvkit(tumour["bam"], normal["bam"], fasta, bed, str(work), purity, vcf,
                                     str(tumour["sample"]) if vcf else None, str(normal["sample"]) if vcf else None,
                                     method, a.threads, sample_sex=sex, gc_correction=(gc == "on"), ploidy=ploidy)
            total_ok, called = fraction_correct(calls, truth, contigs=contigs)
            line = (f"  {method:<12} gc {gc:<3} {secs:6.2f} s  {len(calls):3d} segments  called {called:.3f}  "
                    f"log2 |err| {log2_error(calls, truth, contigs):.3f}  total CN correct {total_ok:.3f}")
            if vcf:
                line += f"  minor CN correct {fraction_correct(calls, truth, 'cn2', 'minor_cn', contigs)[0]:.3f}"
            print(line)
            if a.show:
                print(calls.to_string(index=False))


if __name__ == "__main__":
    main()
