"""Read counts of plasma samples at a patient's loci, for detection benchmarks beyond what BAMs
can cover (hundreds of negative samples, a grid of tumour fractions and depths).

Loci get a substitution class and their own error rate (gamma-distributed around the class'
rate, so some loci are much noisier than others, as in real data), tissue CCF, multiplicity and copy number; controls and
plasma samples are binomial draws at those rates; a plasma's tumour fraction counts genome
copies and its tumour fragments cover `coverage` times the bases of normal ones."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLASSES = np.array(["C>A", "C>G", "C>T", "T>A", "T>C", "T>G"])
CLASS_ERROR = np.array([1.5, 0.5, 2.0, 0.7, 1.0, 0.5])  # relative error rate of each class


@dataclass
class LociTruth:
    """The drawn loci (arrays of length L). Only what generates reads: the liquid method's own
    model of the loci is built from these by whoever tests it, so the simulator shares no code
    with the method it is meant to test."""

    ccf: np.ndarray  # tissue CCF
    mult: np.ndarray  # multiplicity
    cn: np.ndarray  # tumour total copy number
    normal_cn: np.ndarray
    truncal: np.ndarray  # bool
    error: np.ndarray  # true error rate of each locus' alt base
    cls: np.ndarray  # substitution class


def draw_loci(rng: np.random.Generator, n: int, truncal_fraction: float = 0.5, error_mean: float = 1.5e-4,
              error_shape: float = 1.0) -> LociTruth:
    truncal = rng.random(n) < truncal_fraction
    ccf = np.where(truncal, 1.0, rng.uniform(0.1, 0.9, n))
    cn = rng.choice([1.0, 2.0, 2.0, 2.0, 3.0, 4.0], n)
    mult = np.minimum(np.where(rng.random(n) < 0.2, 2.0, 1.0), cn)
    c = rng.integers(0, len(CLASSES), n)
    error = rng.gamma(error_shape, error_mean * CLASS_ERROR[c] / error_shape, n)
    return LociTruth(ccf, mult, cn, np.full(n, 2.0), truncal, error, CLASSES[c])


def draw_counts(rng: np.random.Generator, truth: LociTruth, depth: float, tf: float,
                coverage: float = 1.0, clone_ccf: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(alt, depth) of one sample: Poisson depth around `depth` per locus, binomial alt reads.
    clone_ccf: the loci's CCF in this plasma if not their tissue CCF."""
    d = rng.poisson(depth, len(truth.error))
    ccf = truth.ccf if clone_ccf is None else clone_ccf
    t = tf * coverage
    v = t * truth.mult * ccf / (t * truth.cn + truth.normal_cn * (1 - tf))
    q = v * (1 - truth.error) + (1 - v) * truth.error
    return rng.binomial(d, q), d


def draw_fragment_lengths(rng: np.random.Generator, truth: LociTruth, alt: np.ndarray, tf: float,
                          coverage: float = 1.0, tumour: tuple[float, float] = (148.0, 14.0),
                          normal: tuple[float, float] = (167.0, 11.0)) -> tuple[np.ndarray, np.ndarray]:
    """(locus index, length) of every alt fragment of a sample drawn by draw_counts: tumour-
    derived with probability v (1 - e) / q at its locus (lengths ~ tumour), errors otherwise
    (lengths ~ normal)."""
    t = tf * coverage
    v = t * truth.mult * truth.ccf / (t * truth.cn + truth.normal_cn * (1 - tf))
    q = v * (1 - truth.error) + (1 - v) * truth.error
    pi = np.where(q > 0, v * (1 - truth.error) / np.where(q > 0, q, 1.0), 0.0)
    locus = np.repeat(np.arange(len(alt)), alt)
    from_tumour = rng.random(len(locus)) < pi[locus]
    lengths = np.where(from_tumour, rng.normal(*tumour, len(locus)), rng.normal(*normal, len(locus)))
    return locus, np.maximum(np.rint(lengths), 1).astype(np.int64)
