"""Plasma tumour fraction on aligner-made BAMs: plasma whose genome copies are each tiled once by
fragments, read as paired FASTQ, aligned with `bwa mem`, counted and estimated by the liquid
stage's own functions (ith.liquid.controls.count_samples, ith.liquid.patient.analyse_patient).

The patient is the simulator's (`ith.simulate.cohort.patients`, the `test` preset, one patient):
its reference genome, germline SNPs, clones and SNVs. Its loci are its SNVs in copy-neutral
autosomal regions (the tumour and normal copy number 1+1 in every clone), so that a tumour
genome copy is the reference with the germline alleles of its haplotype and the SNVs its clone
carries on that haplotype; clone shares are those of the simulator's first plasma sample.

Plasma: `--cells` diploid cells, round(tf x cells) of them tumour (split over the clones by
their shares), so the true tumour fraction is exactly tumour cells / cells. Every haplotype copy
of every cell is tiled end to end by fragments (no gaps), so at a locus each copy is covered by
exactly one fragment, of the length-biased length (probability proportional to L f(L)) and at a
uniform offset; the library keeps each fragment with probability depth / (2 cells) (conversion
and sequencing). Fragment lengths: normal 88% N(167, 12), 7% N(145, 10), 5% N(330, 25);
tumour 85% N(145, 14), 10% N(125, 10), 5% N(310, 25) (means 174 and 152 bp; --no-dinucleosomes
drops the third component). Reads: 2 x `--read-length`, shorter when the fragment is (adapter
trimmed), substitution errors rising along the read (0.1% to 0.5%, read 2 x 1.5) with matching
qualities. The normal control is made the same way without tumour cells, at `--normal-depth`.

Each sample is written only where it can be counted (the fragments over the loci, not the rest
of each tiled genome): fragments away from every locus are never counted.

    python bench/aligned_plasma.py --tfs 0.005 0.01 0.03 0.1 --replicates 5 --seed 1

`--source simulator` makes the same series with ith's own simulator instead (SampleReads writing
aligned BAMs directly; a capture of 300 bp around each locus, plasma at --depth on target, the
normal a tissue library at --normal-depth), for the same loci, counted and estimated the same
way.

prints, per plasma sample, the truth, the estimate with its 95% interval and whether it covers,
the coverage ratio the length correction used, the estimate without the correction, and the
share of tumour fragments among the fragments written over the truncal loci (what a perfect
counter would see); then per tumour fraction the median relative error and the coverage.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from dataclasses import replace

import numpy as np
import pandas as pd

from ith.liquid.controls import count_samples
from ith.liquid.files import LiquidInputs
from ith.liquid.params import LiquidParams
from ith.liquid.patient import analyse_patient
from ith.liquid.pileup import LiquidPileupParams
from ith.simulate.cohort import patients, write_sample_bam
from ith.simulate.genome import make_genome, write_fasta
from ith.simulate.presets import PRESETS
from ith.simulate.reads import CaptureModel, ReadModel
from ith.simulate.samples import SampleSpec, clone_ccf
from ith.simulate.tumour import CN_CELL

NORMAL_LENGTHS = ((0.88, 167.0, 12.0), (0.07, 145.0, 10.0), (0.05, 330.0, 25.0))
TUMOUR_LENGTHS = ((0.85, 145.0, 14.0), (0.10, 125.0, 10.0), (0.05, 310.0, 25.0))
MIN_FRAGMENT, MAX_FRAGMENT = 50, 600
COMPLEMENT = np.array([3, 2, 1, 0, 4], dtype=np.uint8)
LETTERS = np.frombuffer(b"ACGTN", dtype=np.uint8)


def length_biased(rng: np.random.Generator, mixture, n: int, dinucleosomes: bool) -> np.ndarray:
    """n lengths of the fragments that cover a given base of a tiled copy: L with probability
    proportional to L f(L)."""
    comps = mixture if dinucleosomes else mixture[:2]
    w = np.array([c[0] for c in comps])
    w = w / w.sum()
    out = np.zeros(0, dtype=np.int64)
    while len(out) < n:
        m = 2 * (n - len(out)) + 16
        k = rng.choice(len(comps), m, p=w)
        mu, sd = np.array([c[1] for c in comps])[k], np.array([c[2] for c in comps])[k]
        draw = np.rint(rng.normal(mu, sd)).astype(np.int64)
        ok = (draw >= MIN_FRAGMENT) & (draw <= MAX_FRAGMENT)
        ok &= rng.random(m) < draw / MAX_FRAGMENT  # length-biased acceptance
        out = np.concatenate([out, draw[ok]])
    return out[:n]


def copy_neutral_loci(patient, genome) -> pd.DataFrame:
    t = patient.tumour
    rows = []
    for i, s in enumerate(t.snvs):
        c = genome.contig(s.contig)
        if s.is_indel or c.kind != "autosome" or s.hap < 0:
            continue
        cell = s.pos // CN_CELL
        if not ((t.baseline[s.contig][cell] == 1).all() and (t.copies[s.contig][:, cell, :] == 1).all()):
            continue
        if s.pos < 1000 or s.pos > c.length - 1000:
            continue
        rows.append(dict(index=i, chrom=s.contig, pos=s.pos + 1, ref="ACGT"[s.ref], alt="ACGT"[s.alt],
                         mutation_id=s.mutation_id, cluster_id=s.clone, hap=s.hap))
    return pd.DataFrame(rows)


class Writer:
    """Paired reads of fragments: each fragment's sequence from its haplotype copy, errors and
    qualities along the read."""

    def __init__(self, patient, genome, read_length: int, rng: np.random.Generator):
        self.t, self.g, self.genome = patient.tumour, patient.germline, genome
        self.R = read_length
        self.rng = rng
        self.snv_pos = {}
        for i, s in enumerate(self.t.snvs):
            if not s.is_indel:
                self.snv_pos.setdefault(s.contig, []).append((s.pos, s.alt, s.hap, i))
        self.snv_pos = {k: np.array(v, dtype=np.int64) for k, v in self.snv_pos.items()}
        self.n = 0

    def sequence(self, contig: str, start: int, length: int, hap: int, clone: int) -> np.ndarray:
        seq = self.genome.contig(contig).seq[start:start + length].copy()
        gp = self.g.pos[contig]
        lo, hi = np.searchsorted(gp, [start, start + length])
        for j in range(lo, hi):
            if self.g.hap[contig][j, hap] == 1:
                seq[gp[j] - start] = self.g.alt[contig][j]
        if clone >= 0 and contig in self.snv_pos:
            sp = self.snv_pos[contig]
            sel = (sp[:, 0] >= start) & (sp[:, 0] < start + length) & (sp[:, 2] == hap)
            for pos, alt, _, i in sp[sel]:
                if self.t.mut_copies[i, clone] > 0:
                    seq[pos - start] = alt
        return seq

    def _read(self, bases: np.ndarray, scale: float) -> tuple[bytes, bytes]:
        n = len(bases)
        e = (0.001 + 0.004 * np.arange(n) / self.R) * scale
        hit = self.rng.random(n) < e
        out = bases.copy()
        out[hit] = (out[hit] + self.rng.integers(1, 4, int(hit.sum()))) % 4
        q = np.clip(np.rint(-10 * np.log10(e)), 2, 40).astype(np.uint8) + 33
        return LETTERS[out].tobytes(), q.tobytes()

    def write(self, fh1, fh2, contig: str, start: int, length: int, hap: int, clone: int) -> None:
        seq = self.sequence(contig, start, length, hap, clone)
        if (seq == 4).any():
            return
        rc = COMPLEMENT[seq[::-1]]
        a, b = (seq, rc) if self.rng.random() < 0.5 else (rc, seq)
        r = min(self.R, length)
        s1, q1 = self._read(a[:r], 1.0)
        s2, q2 = self._read(b[:r], 1.5)
        name = f"f{self.n}"
        self.n += 1
        fh1.write(b"@" + name.encode() + b"/1\n" + s1 + b"\n+\n" + q1 + b"\n")
        fh2.write(b"@" + name.encode() + b"/2\n" + s2 + b"\n+\n" + q2 + b"\n")


def write_sample(writer: Writer, loci: pd.DataFrame, clone_cells: np.ndarray, normal_cells: int, keep: float,
                 dinucleosomes: bool, prefix: str, rng: np.random.Generator) -> dict:
    """FASTQ pair of one sample; returns the fragments written over the truncal loci by origin."""
    written = {"tumour": 0, "normal": 0}
    with open(prefix + "_1.fq", "wb") as f1, open(prefix + "_2.fq", "wb") as f2:
        for r in loci.itertuples(index=False):
            pos0 = r.pos - 1
            groups = [(-1, normal_cells)] + [(k, int(n)) for k, n in enumerate(clone_cells) if n > 0]
            for clone, cells in groups:
                for hap in (0, 1):
                    kept = int(rng.binomial(cells, keep))
                    if kept == 0:
                        continue
                    lengths = length_biased(rng, TUMOUR_LENGTHS if clone >= 0 else NORMAL_LENGTHS, kept,
                                            dinucleosomes)
                    offsets = (rng.random(kept) * lengths).astype(np.int64)
                    for L, o in zip(lengths, offsets):
                        writer.write(f1, f2, r.chrom, int(pos0 - o), int(L), hap, clone)
                    if r.cluster_id == 0:
                        written["tumour" if clone >= 0 else "normal"] += kept
    return written


def align(ref: str, prefix: str, bam: str, sample: str, threads: int) -> None:
    rg = f"@RG\\tID:{sample}\\tSM:{sample}"
    with open(prefix + ".sam", "wb") as out:
        subprocess.run(["bwa", "mem", "-v", "1", "-t", str(threads), "-R", rg, ref, prefix + "_1.fq", prefix + "_2.fq"],
                       stdout=out, check=True)
    subprocess.run(["samtools", "sort", "-@", str(threads), "-o", bam, prefix + ".sam"], check=True,
                   stderr=subprocess.DEVNULL)
    subprocess.run(["samtools", "index", bam], check=True)
    for ext in ("_1.fq", "_2.fq", ".sam"):
        os.remove(prefix + ext)


def per_locus_detection(loci: pd.DataFrame, model_loci: pd.DataFrame, counted, table: pd.DataFrame) -> None:
    """Each plasma sample called as the stage calls it (normal as the only control: every locus
    at its substitution class' rate, liquid.per_locus_min_controls), then again with every locus
    weighed by its own rate learned from the normal's 0-2 errors (per_locus_min_controls 1, the
    stage before issue 23)."""
    from ith.liquid.background import substitution_class
    from ith.liquid.detect import DetectParams
    from ith.liquid.loci import counts_at, loci_model
    from ith.liquid.null import call_sample, null_model

    stage, own = DetectParams(), DetectParams(per_locus_min_controls=1)
    model = loci_model(model_loci)
    by = {s: g.drop(columns="sample") for s, g in counted.counts.groupby("sample", sort=False)}
    an, dn = counts_at(by["N"], loci)
    cls = substitution_class(loci["ref"], loci["alt"])
    nulls = {key: null_model(an[:, None], dn[:, None], (dn > 0)[:, None], cls, 0, model, p)
             for key, p in (("stage", stage), ("own", own))}
    rows = []
    for s, tf in zip(table["sample"], table["tf"]):
        if s == "N":
            continue
        a, d = counts_at(by[s], loci)
        c1, c2 = (call_sample(a, d, nulls[k], model, p) for k, p in (("stage", stage), ("own", own)))
        rows.append(dict(sample=s, tf=tf, detected=c1.detected, p_value=c1.p_value, p_value_mc=c1.p_value_mc,
                         detected_own_rates=c2.detected, p_value_own_rates=c2.p_value,
                         p_value_mc_own_rates=c2.p_value_mc))
    t = pd.DataFrame(rows)
    print(t.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    print(t.groupby("tf")[["detected", "detected_own_rates"]].mean().to_string())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tfs", type=float, nargs="+", default=[0.005, 0.01, 0.03, 0.1])
    ap.add_argument("--replicates", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cells", type=int, default=20_000)
    ap.add_argument("--depth", type=float, default=1000.0, help="plasma fragments per locus")
    ap.add_argument("--normal-depth", type=float, default=300.0)
    ap.add_argument("--read-length", type=int, default=100)
    ap.add_argument("--no-dinucleosomes", action="store_true")
    ap.add_argument("--source", choices=["aligned", "simulator"], default="aligned")
    ap.add_argument("--per-locus-detection", action="store_true",
                    help="also call each plasma sample with every locus weighed by its own background rate learned "
                         "from the normal alone (the stage before issue 23; the stage takes such loci at their "
                         "class' rate below liquid.per_locus_min_controls controls)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workdir", default=None, help="keep the BAMs here (default: a temporary folder)")
    ap.add_argument("--out", default=None, help="write the per-sample table here (TSV)")
    args = ap.parse_args()
    t0 = time.time()
    preset = replace(PRESETS["test"], n_patients=1)
    genome = make_genome(np.random.default_rng([args.seed, 0]), preset.autosome_lengths, preset.x_length,
                         preset.y_length, preset.segdups_per_mb)
    patient, specs = patients(args.seed, preset, genome)[0]
    plasma_spec = next(s for s in specs if s.type == "plasma")
    shares = np.asarray(plasma_spec.clone_props, dtype=float)
    shares = shares / shares.sum()
    loci = copy_neutral_loci(patient, genome)
    ccf = clone_ccf(patient.tumour, shares)
    tmp = tempfile.TemporaryDirectory() if args.workdir is None else None
    work = args.workdir or tmp.name
    os.makedirs(work, exist_ok=True)
    ref = os.path.join(work, "genome.fa")
    if not os.path.exists(ref + ".bwt"):
        write_fasta(genome, ref)
        subprocess.run(["bwa", "index", ref], check=True, stderr=subprocess.DEVNULL)
    capture = None
    if args.source == "simulator":
        targets = {}
        for chrom, g in loci.groupby("chrom", sort=False):
            lo, hi = g["pos"].to_numpy() - 150, g["pos"].to_numpy() + 150
            starts, ends = [int(lo[0])], [int(hi[0])]
            for a, b in zip(lo[1:], hi[1:]):  # merged where they overlap
                if a <= ends[-1]:
                    ends[-1] = max(ends[-1], int(b))
                else:
                    starts.append(int(a))
                    ends.append(int(b))
            targets[chrom] = (np.array(starts), np.array(ends), np.ones(len(starts)))
        capture = CaptureModel(targets, 0.01)
    rng = np.random.default_rng([args.seed, 77])
    writer = Writer(patient, genome, args.read_length, rng)
    dinuc = not args.no_dinucleosomes
    samples = [("N", 0.0, -1)] + [(f"PL{i + 1}", tf, rep) for i, (tf, rep) in
                                  enumerate((tf, rep) for tf in args.tfs for rep in range(args.replicates))]
    rows = []
    for name, tf, rep in samples:
        n_t = int(round(tf * args.cells))
        srng = np.random.default_rng([args.seed, 78, len(rows)])
        clone_cells = srng.multinomial(n_t, shares) if n_t else np.zeros(len(shares), dtype=np.int64)
        depth = args.normal_depth if name == "N" else args.depth
        keep = depth / (2 * args.cells)
        bam = os.path.join(work, f"{name}.bam")
        written = None  # a BAM already in --workdir is counted again, its fragments not known
        if os.path.exists(bam + ".bai"):
            pass
        elif args.source == "simulator":
            kind = "normal" if name == "N" else "plasma"
            spec = SampleSpec(name, kind, n_t / args.cells, shares if n_t else np.zeros(len(shares)), depth)
            model = ReadModel(read_length=args.read_length, depth=depth, duplicate_rate=0.1, plasma=kind == "plasma",
                              tissue_fragment=preset.tissue_fragment, gc_center=0.44, gc_width=0.25,
                              capture=capture)
            write_sample_bam(genome, patient, spec, model, [args.seed, 79, len(rows)], bam)
        else:
            prefix = os.path.join(work, name)
            written = write_sample(writer, loci, clone_cells, args.cells - n_t, keep, dinuc, prefix, srng)
            align(ref, prefix, bam, name, args.threads)
        rows.append(dict(sample=name, tf=n_t / args.cells, replicate=rep, bam=bam,
                         written_tumour_share=np.nan if written is None
                         else written["tumour"] / max(1, written["tumour"] + written["normal"])))
    table = pd.DataFrame(rows)
    print(f"{len(loci)} copy-neutral SNV loci ({int((loci['cluster_id'] == 0).sum())} truncal); "
          f"BAMs in {time.time() - t0:.0f} s", flush=True)
    sheet = pd.DataFrame({"patient": "P1", "sample": table["sample"], "type": ["normal"] + ["plasma"] * (len(table) - 1),
                          "bam": table["bam"], "timepoint": [np.nan] + list(range(len(table) - 1))})
    sites = loci[["chrom", "pos", "ref", "alt"]]
    counted = count_samples(sheet[["sample", "bam"]], sites, LiquidPileupParams(), threads=args.threads)
    hists = {}
    for s, g in counted.ref_lengths.groupby("sample"):
        h = np.zeros(int(g["length"].max()) + 1, dtype=np.int64)
        h[g["length"].to_numpy(int)] = g["fragments"].to_numpy(np.int64)
        hists[str(s)] = h

    def by_sample(t: pd.DataFrame) -> dict:
        return {str(s): g.drop(columns="sample").reset_index(drop=True) for s, g in t.groupby("sample", sort=False)}

    model_loci = loci.assign(tissue_ccf=ccf[loci["cluster_id"].to_numpy()], cn=2.0, normal_cn=2.0, multiplicity=1.0,
                             truncal=loci["cluster_id"] == 0)
    parents = {k: (None if p < 0 else p) for k, p in enumerate(patient.tumour.parents)}
    qc = {s: {"read_length_mean": float(args.read_length)} for s in table["sample"]}
    out = {}
    for correction in (True, False):
        data = LiquidInputs(sheet=sheet, controls=sheet.loc[sheet["type"] == "normal", ["sample", "patient", "type"]],
                            loci=model_loci, left_out=pd.DataFrame(columns=["mutation_id", "reason"]),
                            pileups=by_sample(counted.counts), alt_lengths=by_sample(counted.alt_lengths),
                            ref_lengths=hists, qc=qc, parents=parents, cn_tf=None,
                            variant_counts=pd.DataFrame(columns=["mutation_id", "sample", "present"]))
        out[correction] = analyse_patient("P1", data, LiquidParams(length_correction=correction)).ctdna
    res = table.merge(out[True][["sample", "tumour_fraction", "tf_low", "tf_high", "coverage_ratio", "detected",
                                 "tf_loci", "tf_dispersion", "alt_reads", "background_reads", "score", "p_value",
                                 "p_value_mc", "loci_used"]], on="sample")
    res = res.merge(out[False][["sample", "tumour_fraction", "tf_low", "tf_high"]].rename(
        columns={"tumour_fraction": "tf_uncorrected", "tf_low": "unc_low", "tf_high": "unc_high"}), on="sample")
    res["rel_error"] = res["tumour_fraction"] / res["tf"].where(res["tf"] > 0) - 1
    res["covers"] = (res["tf_low"] <= res["tf"]) & (res["tf"] <= res["tf_high"])
    res["rel_error_uncorrected"] = res["tf_uncorrected"] / res["tf"].where(res["tf"] > 0) - 1
    res["covers_uncorrected"] = (res["unc_low"] <= res["tf"]) & (res["tf"] <= res["unc_high"])
    # the share of tumour fragments among those written over the truncal loci, as tumour
    # fraction (copy-neutral, heterozygous: the mutant share is tf / 2 of the fragments)
    res["written_tf"] = res["written_tumour_share"]
    pd.set_option("display.width", 200)
    cols = ["sample", "tf", "written_tf", "tumour_fraction", "tf_low", "tf_high", "covers", "rel_error",
            "coverage_ratio", "tf_uncorrected", "covers_uncorrected", "rel_error_uncorrected", "tf_loci", "tf_dispersion",
            "detected",
            "alt_reads", "background_reads"]
    print(res[cols].to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    summary = res.groupby("tf").agg(samples=("sample", "size"), median_rel_error=("rel_error", "median"),
                                    max_abs_rel_error=("rel_error", lambda x: x.abs().max()),
                                    coverage=("covers", "mean"), detected=("detected", "mean"),
                                    ratio=("coverage_ratio", "median"),
                                    median_rel_error_uncorrected=("rel_error_uncorrected", "median"),
                                    coverage_uncorrected=("covers_uncorrected", "mean"))
    print(summary.to_string(float_format=lambda x: f"{x:.3f}"))
    pos = res[res["tf"] > 0]
    print(f"tumour fraction > 0: interval coverage {pos['covers'].mean():.3f} "
          f"(uncorrected {pos['covers_uncorrected'].mean():.3f}) over {len(pos)} samples; {time.time() - t0:.0f} s")
    if args.per_locus_detection:
        per_locus_detection(loci, model_loci, counted, table)
    if args.out:
        res.drop(columns=["bam"]).to_csv(args.out, sep="\t", index=False, float_format="%.6g")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
