"""Read-orientation artefacts (formalin deamination, 8-oxoG): a per-sample model of F1R2/F2R1
counts, as Mutect2's LearnReadOrientationModel, and the posterior that a sample's evidence at a
site is an artefact.

A fragment is F1R2 when its read 1 maps forward (read 2 reverse), F2R1 otherwise. A real variant's
alt fragments split about evenly between the two; an artefact made on one strand of the original
molecule before amplification (C>T by deamination, G>T by oxidation) sits on one orientation only.
The model works in the substitution's pyrimidine form (SBS96: C>A, C>G, C>T, T>A, T>C, T>G in their
trinucleotide context): a purine-reference site is reverse-complemented and its orientations
swapped, so that FFPE's C>T on F1R2 and G>A on F2R1 are one context with one orientation.

Per sample and SNV site with alt F1R2/F2R1 fragments a1, a2 among n1, n2 fragments, three states:
- real: a1 ~ Bin(n1, f), a2 ~ Bin(n2, f), one allele fraction f for both orientations;
- artefact on F1R2: a1 ~ Bin(n1, f), a2 ~ Bin(n2, e), e the error rate: nothing on F2R1;
- artefact on F2R1: the mirror.
f is integrated over a grid with a distribution per state (real, artefact) fitted per sample, as
Mutect2 fits the artefact's allele-fraction distribution: artefacts sit at a few percent, real
private mutations higher, so a one-sided split weighs less for a well-supported mutation.
The prior of each state is fitted per sample and per context (96 x 2 artefact orientations) by
EM on all the sample's alt-bearing candidate sites, shrunk towards the sample's substitution class
(6) with `pseudo_sites` pseudo-observations, and the class towards the configured `prior`. So a block
with many one-sided C>T candidates learns a high C>T artefact prior, and a clean block keeps the
small one; a one-sided site is an artefact only where its sample and context make that likely.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pysam
from scipy.special import gammaln

COMPLEMENT = str.maketrans("ACGT", "TGCA")
CLASSES = ("C>A", "C>G", "C>T", "T>A", "T>C", "T>G")
CONTEXTS = [f"{a}[{c}]{b}" for c in CLASSES for a in "ACGT" for b in "ACGT"]  # SBS96 order
_CONTEXT_INDEX = {c: i for i, c in enumerate(CONTEXTS)}


@dataclass(frozen=True)
class OrientationParams:
    enabled: bool = True  # fit the model and drop artefact-like evidence from presence
    prior: float = 0.01  # prior probability of an artefact on each orientation, before the data
    pseudo_sites: float = 10.0  # weight (in sites) of the class-level prior on a context's fit
    error_rate: float = 1e-3  # per-fragment error rate (to the alt) of the orientation an artefact spares
    max_posterior: float = 0.9  # evidence whose artefact posterior exceeds this is not "present"
    iterations: int = 50  # EM iterations (it stops earlier when the priors settle)


def contexts(fasta: str, chrom: np.ndarray, pos: np.ndarray, ref: np.ndarray, alt: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """SBS96 context index (-1 where none: indels, N) and whether the site was flipped to its
    pyrimidine form (a purine reference), per site; pos is 1-based."""
    idx = np.full(len(pos), -1, dtype=np.int64)
    flipped = np.zeros(len(pos), dtype=bool)
    with pysam.FastaFile(fasta) as fa:
        lengths = dict(zip(fa.references, fa.lengths))
        for i, (c, p, r, a) in enumerate(zip(chrom, pos, ref, alt)):
            if len(r) != 1 or len(a) != 1 or p < 2 or p >= lengths.get(c, 0):
                continue
            tri = fa.fetch(c, int(p) - 2, int(p) + 1).upper()
            if len(tri) != 3 or tri[1] != r:
                continue
            if r in "GA":
                tri, a = tri.translate(COMPLEMENT)[::-1], a.translate(COMPLEMENT)
                flipped[i] = True
            key = f"{tri[0]}[{tri[1]}>{a}]{tri[2]}"
            idx[i] = _CONTEXT_INDEX.get(key, -1)
    return idx, flipped


# allele fractions at which real and artefact evidence is integrated (log-spaced, 0.2% to 99%)
# sites with fewer alt fragments in a sample do not inform its fit: one read has no split to show,
# and single error reads, the most common candidates of a clean sample, would lean on the prior
MIN_FIT_ALT = 2
AF_GRID = np.exp(np.linspace(np.log(0.002), np.log(0.99), 40))


def _log_binom(k: np.ndarray, n: np.ndarray, p: np.ndarray | float) -> np.ndarray:
    """log Bin(k; n, p) broadcast over a trailing grid of p."""
    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1) + k * np.log(p) + (n - k) * np.log1p(-p)


def state_loglik(a1: np.ndarray, n1: np.ndarray, a2: np.ndarray, n2: np.ndarray, error_rate: float) -> np.ndarray:
    """(sites, 3, grid) log likelihoods at each allele fraction f of AF_GRID of real evidence (both
    orientations at f), an artefact on F1R2 of the pyrimidine form (F1R2 at f, F2R1 at the
    error rate only) and one on F2R1."""
    a1, n1, a2, n2 = (np.asarray(x, dtype=float)[:, None] for x in (a1, n1, a2, n2))
    f = AF_GRID[None, :]
    b1, b2 = _log_binom(a1, n1, f), _log_binom(a2, n2, f)
    e1, e2 = _log_binom(a1, n1, error_rate), _log_binom(a2, n2, error_rate)
    return np.stack([b1 + b2, b1 + e2 + 0 * f, e1 + b2 + 0 * f], axis=1)


@dataclass
class OrientationFit:
    priors: np.ndarray  # (96, 3) fitted prior of real, artefact F1R2, artefact F2R1 per context
    af: np.ndarray  # (2, grid) fitted allele-fraction distribution of real and artefact evidence
    posterior: np.ndarray  # (sites,) probability that the sample's evidence is an artefact (0: no alt, indel)
    used: np.ndarray  # (sites,) the site informed the fit (an SNV with a context and >= MIN_FIT_ALT alt fragments)


def _responsibilities(ll: np.ndarray, priors_c: np.ndarray, af: np.ndarray) -> np.ndarray:
    """(sites, 3, grid) posterior over state and allele fraction."""
    logp = ll + np.log(priors_c)[:, :, None] + np.log(af[[0, 1, 1]])[None, :, :]
    logp -= logp.max(axis=(1, 2), keepdims=True)
    r = np.exp(logp)
    return r / r.sum(axis=(1, 2), keepdims=True)


def fit_sample(ctx: np.ndarray, a1: np.ndarray, n1: np.ndarray, a2: np.ndarray, n2: np.ndarray,
               p: OrientationParams) -> OrientationFit:
    """EM for one sample: per-context state priors, the allele-fraction distributions of real and
    artefact evidence, and each site's artefact posterior. Counts are in the pyrimidine form's
    orientation (F1R2 and F2R1 swapped where the reference was a purine)."""
    used = (ctx >= 0) & (a1 + a2 >= MIN_FIT_ALT)
    ll = state_loglik(a1[used], n1[used], a2[used], n2[used], p.error_rate)
    c = ctx[used]
    cls = c // 16
    base = np.array([1 - 2 * p.prior, p.prior, p.prior])
    priors = np.tile(base, (96, 1))
    af = np.full((2, len(AF_GRID)), 1.0 / len(AF_GRID))
    for _ in range(p.iterations):
        resp = _responsibilities(ll, priors[c], af)
        state = resp.sum(axis=2)
        # class level, shrunk towards the configured prior; context level, shrunk towards its class
        by_cls = np.zeros((6, 3))
        np.add.at(by_cls, cls, state)
        cls_prior = (by_cls + p.pseudo_sites * base) / (by_cls.sum(axis=1, keepdims=True) + p.pseudo_sites)
        by_ctx = np.zeros((96, 3))
        np.add.at(by_ctx, c, state)
        new = (by_ctx + p.pseudo_sites * np.repeat(cls_prior, 16, axis=0)) / \
            (by_ctx.sum(axis=1, keepdims=True) + p.pseudo_sites)
        # allele fractions, with one pseudo-site spread evenly so no grid point is ever impossible
        w = np.stack([resp[:, 0].sum(axis=0), resp[:, 1:].sum(axis=(0, 1))]) + 1.0 / len(AF_GRID)
        af = w / w.sum(axis=1, keepdims=True)
        done = np.abs(new - priors).max() < 1e-5
        priors = new
        if done:
            break
    # every alt-bearing site gets its posterior under the fitted model
    scored = (ctx >= 0) & (a1 + a2 > 0)
    resp = _responsibilities(state_loglik(a1[scored], n1[scored], a2[scored], n2[scored], p.error_rate),
                             priors[ctx[scored]], af)
    posterior = np.zeros(len(ctx))
    posterior[scored] = resp[:, 1:].sum(axis=(1, 2))
    return OrientationFit(priors, af, posterior, used)


def pyrimidine_orientation(f1r2: np.ndarray, f2r1: np.ndarray, flipped: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts in the orientation of the pyrimidine form: swapped where the reference was a purine
    (the other strand's F2R1 is this strand's F1R2)."""
    return np.where(flipped, f2r1, f1r2), np.where(flipped, f1r2, f2r1)


def artefact_summary(patient: str, samples: list[str], fits: dict[str, OrientationFit], present_before: np.ndarray,
                     present_after: np.ndarray, removed_sites: int) -> pd.DataFrame:
    """Per sample: sites with alt fragments that informed the fit, the expected number of them that
    are artefacts (the burden), the fitted C>T and C>A artefact priors (mean over their contexts,
    either orientation), and the presence calls the filter removed. present_*: (PASS sites, samples)."""
    rows = []
    for j, s in enumerate(samples):
        f = fits.get(s)
        row = dict(patient=patient, sample=s, modelled=f is not None,
                   informative_sites=int(f.used.sum()) if f else 0,
                   artefact_burden=round(float(f.posterior.sum()), 3) if f else 0.0)
        for cls in ("C>T", "C>A"):
            k = CLASSES.index(cls)
            row[f"prior_{cls.replace('>', '')}"] = round(float(f.priors[16 * k:16 * k + 16, 1:].sum(axis=1).mean()), 5) \
                if f else 0.0
        row["present_before"] = int(present_before[:, j].sum())
        row["calls_removed"] = int((present_before[:, j] & ~present_after[:, j]).sum())
        rows.append(row)
    out = pd.DataFrame(rows)
    out["sites_removed"] = removed_sites
    return out
