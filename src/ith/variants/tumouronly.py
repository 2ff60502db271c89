"""Germline or somatic, without a normal: the allele fraction a variant shows in every region
against what copy number and purity predict for each.

With purity p, total copy number C = nA + nB and n0 normal copies (2 on autosomes), a germline
heterozygous variant on the haplotype with n copies sits at (p n + 1 - p) / (p C + n0 (1 - p)) in
every region (n is the region's major or minor copy number: the same haplotype in all regions),
a homozygous one at 1; a somatic variant at p ccf m / (p C + n0 (1 - p)), with multiplicity m in
1..major and ccf in [0, 1] free per region (absent from a region is ccf 0). Each candidate's
allele counts are scored under both with a beta-binomial (precision: tolerance for error in the
copy number and purity), the somatic model per region at its best of absent, clonal (ccf 1,
any multiplicity) or a free ccf that pays half a log depth for its free parameter (BIC); a
candidate whose germline log-likelihood beats the somatic one by more than `margin` is germline.

Several regions make the test strong: a germline variant is in every region at a fraction that
does not fall with purity, a truncal somatic one falls with purity, and a subclonal or private
one is missing from some regions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

GERMLINE_COLUMNS = ["patient", "mutation_id", "n_regions", "germline_loglik", "somatic_loglik", "germline_model",
                    "call"]
ERROR = 1e-3  # allele fraction of "absent" and the distance of "homozygous" from 1


@dataclass(frozen=True)
class TumourOnlyParams:
    """`tumour_only` (same names and defaults as the schema)."""
    allow: bool = False
    max_population_af: float = 1e-4
    het_vaf: tuple[float, float] = (0.1, 0.9)
    precision: float = 100.0
    margin: float = 0.0


def _loglik(alt: np.ndarray, depth: np.ndarray, vaf: np.ndarray, precision: float) -> np.ndarray:
    v = np.clip(vaf, ERROR, 1 - ERROR)
    return stats.betabinom.logpmf(alt, depth, v * precision, (1 - v) * precision)


def germline_somatic_loglik(alt: np.ndarray, depth: np.ndarray, purity: np.ndarray, major: np.ndarray,
                            minor: np.ndarray, normal_cn: np.ndarray, precision: float = 100.0
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per candidate (rows) over its regions (columns): the germline log-likelihood (best of
    heterozygous on the minor haplotype, on the major one, homozygous), the somatic one (per
    region the best of absent, clonal at multiplicity 1..major, free ccf with a BIC penalty), which germline model won (0 minor, 1 major,
    2 homozygous) and the number of regions used. A region without copy number or purity
    (NaN), or with no reads, is left out of both."""
    alt, depth = np.asarray(alt, float), np.asarray(depth, float)
    p, nA, nB, n0 = (np.asarray(x, float) for x in (purity, major, minor, normal_cn))
    total = nA + nB
    use = np.isfinite(p) & np.isfinite(total) & (total > 0) & (depth > 0) & np.isfinite(alt)
    denom = np.where(use, p * total + n0 * (1 - p), 1.0)
    a, d = np.where(use, alt, 0), np.where(use, depth, 0)

    def summed(vaf):
        return np.where(use, _loglik(a, d, vaf, precision), 0.0).sum(axis=1)

    het_minor = (p * nB + 1 - p) / denom
    het_major = (p * nA + 1 - p) / denom
    # a haploid normal (chrX of a male, chrY) carries no heterozygous germline variant
    haploid = n0 < 2
    germ = np.stack([summed(np.where(haploid, 1.0, het_minor)), summed(np.where(haploid, 1.0, het_major)),
                     summed(np.ones_like(p))], axis=1)
    model = np.argmax(germ, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = np.where(d > 0, a / np.maximum(d, 1), 0.0)
    # per region the best of: absent, clonal at a multiplicity 1..major, or a free ccf that pays
    # half a log depth (BIC) for its free parameter, so that a free fraction in every region does
    # not explain anything a fixed model does
    major = np.maximum(np.nan_to_num(nA), 1).astype(int)
    options = [_loglik(a, d, np.full_like(p, ERROR), precision)]
    for m in range(1, int(major.max(initial=1)) + 1):
        options.append(np.where(major >= m, _loglik(a, d, p * m / denom, precision), -np.inf))
    free = np.minimum(observed, p * major / denom)
    options.append(_loglik(a, d, free, precision) - 0.5 * np.log(np.maximum(d, 2)))
    somatic = np.where(use, np.max(options, axis=0), 0.0).sum(axis=1)
    return germ.max(axis=1), somatic, model, use.sum(axis=1)


def classify(full: pd.DataFrame, patient: str, params: TumourOnlyParams) -> pd.DataFrame:
    """germline.tsv of a tumour-only patient from the clonal stage's full input table
    (ith.clonal.patient.build_input: a row per candidate x tumour region with raw_alt, raw_ref,
    major_cn, minor_cn, normal_cn, tumour_content and cn_status). A candidate without any region
    with copy number cannot be tested and stays somatic (call `untested`)."""
    if full.empty:
        return pd.DataFrame(columns=GERMLINE_COLUMNS)
    t = full.assign(depth=full["raw_alt"] + full["raw_ref"])
    cn_ok = t["cn_status"].isin(["ok", "subclonal"])
    t = t.assign(major=t["major_cn"].where(cn_ok), minor=t["minor_cn"].where(cn_ok))
    ids = list(dict.fromkeys(t["mutation_id"]))
    regions = list(dict.fromkeys(t["sample_id"]))

    def grid(col):
        return t.pivot(index="mutation_id", columns="sample_id", values=col).reindex(index=ids, columns=regions) \
            .to_numpy(float)

    g, s, model, n = germline_somatic_loglik(grid("raw_alt"), grid("depth"), grid("tumour_content"), grid("major"),
                                             grid("minor"), grid("normal_cn"), params.precision)
    call = np.where(n == 0, "untested", np.where(g - s > params.margin, "germline", "somatic"))
    return pd.DataFrame({"patient": patient, "mutation_id": ids, "n_regions": n, "germline_loglik": np.round(g, 3),
                         "somatic_loglik": np.round(s, 3),
                         "germline_model": np.array(["het_minor", "het_major", "homozygous"])[model], "call": call})


PURITY_GRID = np.round(np.arange(0.05, 1.0001, 0.01), 2)


def _total_loglik(alt, depth, purity, precision):
    """Sum over candidates of the better of the two explanations, every region diploid."""
    one = np.ones_like(alt, dtype=float)
    g, s, _, _ = germline_somatic_loglik(alt, depth, purity * one, one, one, 2 * one, precision)
    return float(np.maximum(g, s).sum())


def diploid_prefilter(counts: pd.DataFrame, tumours: list[str], precision: float = 100.0, sweeps: int = 3
                      ) -> tuple[set[str], dict[str, float]]:
    """Before copy number: the candidates of counts.tsv that are somatic when every region is
    taken as diploid, and the purity of each region that explains the candidates best (on a
    grid, region by region, a few sweeps). Copy number fits purity with the SNVs this leaves;
    germline variants in copy-number changes can remain, which the test after copy number
    (classify) removes."""
    snv = counts[counts["sample"].isin(tumours)]
    parts = snv["mutation_id"].str.rsplit(":", n=3, expand=True)
    snv = snv[((parts[2].str.len() == 1) & (parts[3].str.len() == 1)).to_numpy()] if len(snv) else snv
    if snv.empty:
        return set(), {t: float("nan") for t in tumours}
    ids = list(dict.fromkeys(snv["mutation_id"]))

    def grid(col):
        return snv.pivot(index="mutation_id", columns="sample", values=col).reindex(index=ids, columns=tumours) \
            .to_numpy(float)

    alt, depth = grid("alt_counts"), grid("depth")
    purity = np.full(len(tumours), 0.5)
    for _ in range(sweeps):
        for j in range(len(tumours)):
            scores = []
            for v in PURITY_GRID:
                purity[j] = v
                scores.append(_total_loglik(alt, depth, purity[None, :], precision))
            purity[j] = PURITY_GRID[int(np.argmax(scores))]
    one = np.ones_like(alt)
    g, s, _, _ = germline_somatic_loglik(alt, depth, purity[None, :] * one, one, one, 2 * one, precision)
    return {m for m, keep in zip(ids, s >= g) if keep}, dict(zip(tumours, purity.tolist()))
