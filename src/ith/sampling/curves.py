"""Subsampling curves and richness of one patient's regions (docs/methods/sampling.md).

Inputs are the clonal stage's calls: the clusters x regions presence (cluster_summary.tsv, call
not `absent`) and the mutations x regions presence and clonality (mutations.tsv, call not
`absent` / `clonal`). For every subset size k = 1..n the metrics are taken over every subset of
k regions, or over a seeded random sample of `max_subsets` distinct subsets when there are more:

- clones_found: clusters present in at least one chosen region;
- truncal_calls: mutations called clonal in every chosen region (what k regions call truncal);
- false_truncal: the share of those that are not truncal in all n regions (the "illusion of
  clonality": subclonal, or absent, somewhere else);
- divergence: mean pairwise Jaccard distance of the chosen regions' mutation sets (the report's
  divergence, ith.report.metrics.jaccard_distance), from k = 2.

Richness, from clone incidence across regions: the second-order jackknife (Burnham & Overton
1978, 1979; the incidence form of Smith & van Belle 1984), the default, and Chao2 (Chao 1987;
Chao et al. 2014, Ecol. Monogr. 84:45; its bias-corrected form when no clone is seen in exactly
two regions), each with its variance and log-normal 95% interval, and the expected clones in more
regions from Chao et al. (2014)'s incidence extrapolation. bench/sampling.py measures which
predicts better what more regions add (docs/methods/sampling.md).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ith.params import from_section
from ith.report.metrics import jaccard_distance

METRICS = ("clones_found", "truncal_calls", "false_truncal", "divergence")
CURVE_COLUMNS = ["patient", "k", "metric", "mean", "low", "high", "n_subsets", "exhaustive"]
Z95 = 1.959964


@dataclass(frozen=True)
class SamplingParams:
    max_subsets: int = 200  # most subsets of one size; all of them when there are no more
    seed: int = 1
    min_unseen: float = 1.0  # Chao2's unseen clones below this (and a flat curve): sampling looks adequate
    max_last_gain: float = 0.5  # the curve is flat when the last region added at most this many clones on average
    extra_regions: int = 2  # the verdict's "this many more regions would add ~X clones"
    estimator: str = "jackknife"  # richness estimator of the verdict and the prediction: jackknife or chao2

    @classmethod
    def from_config(cls, section) -> "SamplingParams":
        return from_section(cls, section, "sampling")


@dataclass
class Calls:
    """One patient's calls: clusters x regions presence; mutations x regions presence and
    clonality (same region order)."""
    clones: pd.DataFrame
    presence: pd.DataFrame
    clonal: pd.DataFrame

    @property
    def regions(self) -> list[str]:
        return list(self.presence.columns)


def _wide(long: pd.DataFrame, index: str, value: pd.Series, regions: list[str]) -> pd.DataFrame:
    t = long.assign(_v=value.to_numpy()).pivot_table(index=index, columns="sample", values="_v", aggfunc="first")
    return t.reindex(columns=regions).fillna(False).astype(bool).sort_index()


def calls_from_tables(mutations: pd.DataFrame, clusters: pd.DataFrame, regions: list[str]) -> Calls:
    """From the clonal stage's mutations.tsv and cluster_summary.tsv (read as tables); regions:
    the patient's tumour regions, in sample-sheet order. Artefact clusters are left out, as the
    trees leave them out; mutations never present anywhere are left out."""
    muts = mutations[mutations["sample"].isin(regions)]
    cl = clusters[clusters["sample"].isin(regions)]
    if "artefact" in cl.columns:
        cl = cl[cl["artefact"].astype(str).str.lower() != "true"]
    call = muts["call"].astype(str)
    presence = _wide(muts, "mutation_id", call != "absent", regions)
    clonal = _wide(muts, "mutation_id", call == "clonal", regions)
    keep = presence.any(axis=1)
    clones = _wide(cl, "cluster_id", cl["call"].astype(str) != "absent", regions)
    return Calls(clones[clones.any(axis=1)], presence[keep], clonal[keep])


def region_subsets(n: int, k: int, max_subsets: int, seed: int) -> tuple[list[tuple[int, ...]], bool]:
    """Every k-subset of range(n) when there are at most max_subsets, else a random sample of
    max_subsets distinct ones (seeded by seed and k). Returns (subsets, exhaustive)."""
    total = math.comb(n, k)
    if total <= max_subsets:
        return list(itertools.combinations(range(n), k)), True
    rng = np.random.default_rng([seed, n, k])
    seen: set[tuple[int, ...]] = set()
    out = []
    while len(out) < max_subsets:
        s = tuple(sorted(int(i) for i in rng.choice(n, k, replace=False)))
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out, False


def pair_divergence(presence: pd.DataFrame) -> np.ndarray:
    """(n, n) Jaccard distances of the regions' mutation sets (NaN where both are empty)."""
    p = presence.to_numpy(bool)
    n = p.shape[1]
    d = np.full((n, n), np.nan)
    for i, j in itertools.combinations(range(n), 2):
        d[i, j] = d[j, i] = jaccard_distance(p[:, i], p[:, j])
    return d


def subset_metrics(calls: Calls, subset: tuple[int, ...], divergence: np.ndarray,
                   truncal_all: np.ndarray) -> dict[str, float]:
    idx = list(subset)
    clones = int(calls.clones.to_numpy(bool)[:, idx].any(axis=1).sum())
    truncal = calls.clonal.to_numpy(bool)[:, idx].all(axis=1)
    n_truncal = int(truncal.sum())
    false = float((truncal & ~truncal_all).sum() / n_truncal) if n_truncal else float("nan")
    pairs = [divergence[i, j] for i, j in itertools.combinations(idx, 2)]
    pairs = [v for v in pairs if np.isfinite(v)]
    div = float(np.mean(pairs)) if pairs else float("nan")
    return {"clones_found": clones, "truncal_calls": n_truncal, "false_truncal": false, "divergence": div}


def curves(calls: Calls, params: SamplingParams, patient: str = "") -> pd.DataFrame:
    """One row per subset size k and metric: mean, low and high (range over the subsets) and the
    number of subsets (NaN-valued subsets, e.g. no truncal call, do not count in mean/low/high)."""
    n = len(calls.regions)
    div = pair_divergence(calls.presence)
    truncal_all = calls.clonal.to_numpy(bool).all(axis=1)
    rows = []
    for k in range(1, n + 1):
        subsets, exhaustive = region_subsets(n, k, params.max_subsets, params.seed)
        values = pd.DataFrame([subset_metrics(calls, s, div, truncal_all) for s in subsets], columns=list(METRICS))
        for metric in METRICS:
            v = values[metric].dropna().to_numpy(float)
            rows.append(dict(patient=patient, k=k, metric=metric, mean=float(v.mean()) if len(v) else np.nan,
                             low=float(v.min()) if len(v) else np.nan, high=float(v.max()) if len(v) else np.nan,
                             n_subsets=int(len(v)), exhaustive=exhaustive))
    return pd.DataFrame(rows, columns=CURVE_COLUMNS)


ESTIMATORS = ("jackknife", "chao2")
ESTIMATOR_NAMES = {"jackknife": "the second-order jackknife", "chao2": "Chao2"}


@dataclass(frozen=True)
class Richness:
    regions: int  # T, sampling units
    observed: int  # clones seen in at least one region
    q1: int  # clones seen in exactly one region
    q2: int  # clones seen in exactly two regions
    unseen: float  # the estimate of clones seen in no region
    estimate: float  # observed + unseen
    variance: float
    low: float  # 95% interval of the estimate (log-normal, Chao 1987)
    high: float
    method: str = "chao2"

    def expected(self, regions: int) -> float:
        """Clones expected in `regions` regions (more than sampled: Chao et al. 2014 incidence
        extrapolation, which tends to chao2; fewer: the observed count, as the curves show it)."""
        t, m = self.regions, regions - self.regions
        if m <= 0 or self.unseen <= 0:
            return float(self.observed)
        return float(self.observed + self.unseen * (1 - (1 - self.q1 / (t * self.unseen + self.q1)) ** m))


def _frequencies(incidence: np.ndarray) -> tuple[int, int, int, int]:
    """(T, S_obs, Q1, Q2) of a clones x regions incidence matrix (clones seen nowhere dropped)."""
    inc = np.asarray(incidence, dtype=bool)
    t = inc.shape[1] if inc.ndim == 2 else 0
    inc = inc[inc.any(axis=1)] if inc.ndim == 2 and inc.size else np.zeros((0, t), dtype=bool)
    freq = inc.sum(axis=1)
    return t, int(len(freq)), int((freq == 1).sum()), int((freq == 2).sum())


def _interval(s_obs: int, unseen: float, var: float) -> tuple[float, float]:
    """Chao's (1987) log-normal 95% interval S_obs + u / K .. S_obs + u K; S_obs itself when u = 0."""
    if unseen > 0:
        k = math.exp(Z95 * math.sqrt(math.log(1 + max(var, 0.0) / unseen ** 2)))
        return s_obs + unseen / k, s_obs + unseen * k
    return float(s_obs), float(s_obs)


def jackknife(incidence: np.ndarray) -> Richness:
    """The second-order jackknife over clone incidence (Burnham & Overton 1978; Smith & van Belle
    1984): with T regions, unseen = Q1 (2T - 3) / T - Q2 (T - 2)^2 / (T (T - 1)), at least 0
    (with two regions Q1 / 2, the first-order jackknife, as the Q2 term vanishes). It is linear
    in the frequency counts, N = sum a_j Q_j with a_1 = 1 + (2T - 3) / T, a_2 = 1 - (T - 2)^2 /
    (T (T - 1)) and a_j = 1 otherwise, so its variance is sum (a_j^2 - a_j) Q_j (Burnham &
    Overton 1979), at least 0; the interval is Chao's log-normal one."""
    t, s_obs, q1, q2 = _frequencies(incidence)
    if t < 2:
        nan = float("nan")
        return Richness(t, s_obs, q1, q2, nan, nan, nan, nan, nan, "jackknife")
    a1 = 1 + (2 * t - 3) / t
    a2 = 1 - (t - 2) ** 2 / (t * (t - 1))
    unseen = max((a1 - 1) * q1 + (a2 - 1) * q2, 0.0) + 0.0
    var = max((a1 ** 2 - a1) * q1 + (a2 ** 2 - a2) * q2, 0.0)
    low, high = _interval(s_obs, unseen, var)
    return Richness(t, s_obs, q1, q2, float(unseen), float(s_obs + unseen), float(var), float(low), float(high),
                    "jackknife")


def richness(incidence: np.ndarray, estimator: str) -> Richness:
    """The named estimator (ESTIMATORS) over a clones x regions incidence matrix."""
    if estimator == "jackknife":
        return jackknife(incidence)
    if estimator == "chao2":
        return chao2(incidence)
    raise ValueError(f"sampling.estimator: unknown estimator {estimator!r}; use one of {', '.join(ESTIMATORS)}")


def estimates(incidence: np.ndarray) -> dict[str, Richness]:
    """Every estimator of ESTIMATORS over the incidence matrix, by name."""
    return {name: richness(incidence, name) for name in ESTIMATORS}


def chao2(incidence: np.ndarray, bias_corrected: bool = False) -> Richness:
    """Chao2 from a clones x regions incidence matrix (bool), in the form Chao et al. (2014) use
    for incidence data: with A = (T-1)/T, unseen = A Q1^2 / (2 Q2) when Q2 > 0, and the
    bias-corrected A Q1 (Q1 - 1) / 2 when Q2 = 0 (the classic form is then infinite); Chao's
    variance of the form used and the log-normal 95% interval S_obs + u / K .. S_obs + u K,
    K = exp(1.96 sqrt(log(1 + var/u^2))). Without unseen clones (u = 0) the interval is the
    observed count. bias_corrected: the bias-corrected form A Q1 (Q1 - 1) / (2 (Q2 + 1)) throughout
    (it predicted worse on the simulated patients, docs/benchmarks.md: for bench/sampling.py)."""
    t, s_obs, q1, q2 = _frequencies(incidence)
    if t < 2:
        return Richness(t, s_obs, q1, q2, float("nan"), float("nan"), float("nan"), float("nan"), float("nan"))
    a = (t - 1) / t
    if bias_corrected:
        unseen = a * q1 * (q1 - 1) / (2 * (q2 + 1))
        var = (a * q1 * (q1 - 1) / (2 * (q2 + 1)) + a ** 2 * q1 * (2 * q1 - 1) ** 2 / (4 * (q2 + 1) ** 2)
               + a ** 2 * q1 ** 2 * q2 * (q1 - 1) ** 2 / (4 * (q2 + 1) ** 4))
    elif q2 > 0:
        r = q1 / q2
        unseen = a * q1 * q1 / (2 * q2)
        var = q2 * (a / 2 * r ** 2 + a ** 2 * r ** 3 + a ** 2 / 4 * r ** 4)
    else:
        unseen = a * q1 * (q1 - 1) / 2
        var = a * q1 * (q1 - 1) / 2 + a ** 2 * q1 * (2 * q1 - 1) ** 2 / 4
    unseen += 0.0  # no negative zero
    low, high = _interval(s_obs, unseen, var)
    return Richness(t, s_obs, q1, q2, float(unseen), float(s_obs + unseen), float(var), float(low), float(high),
                    "chao2")


def _at(curve: pd.DataFrame, metric: str, k: int) -> float:
    v = curve.loc[(curve["metric"] == metric) & (curve["k"] == k), "mean"]
    return float(v.iloc[0]) if len(v) else float("nan")


def summary(curve: pd.DataFrame, found: dict[str, Richness], params: SamplingParams) -> dict:
    """The numbers the verdict rests on, and the verdict (docs/methods/sampling.md): adequate when
    the clone curve has flattened (the n-th region adds at most `max_last_gain` clones on average
    to n - 1) and the estimator `params.estimator` expects fewer than `min_unseen` unseen clones.
    found: every estimator's Richness by name (estimates()); each is reported, the chosen one
    gives `unseen_clones`, the extrapolation and the verdict."""
    rich = found[params.estimator]
    name = ESTIMATOR_NAMES[params.estimator]
    n = rich.regions
    out = {"regions": n, "clones_observed": rich.observed, "clones_q1": rich.q1, "clones_q2": rich.q2,
           "estimator": params.estimator}
    for key in ESTIMATORS:
        r = found[key]
        out.update({key: r.estimate, f"{key}_low": r.low, f"{key}_high": r.high})
    out.update({
        "unseen_clones": rich.unseen, "extra_regions": params.extra_regions,
        "clones_added_by_extra_regions": (rich.expected(n + params.extra_regions) - rich.observed
                                          if n >= 2 else float("nan")),
        "last_region_gain": _at(curve, "clones_found", n) - _at(curve, "clones_found", n - 1) if n >= 2
        else float("nan"),
        "false_truncal_single": _at(curve, "false_truncal", 1),
        "false_truncal_leave_one_out": _at(curve, "false_truncal", n - 1) if n >= 2 else float("nan")})
    if n < 2:
        out["adequate"] = None
        out["verdict"] = ("One region: sampling adequacy cannot be assessed (no clone incidence across regions); "
                          "a single biopsy can make subclonal mutations look truncal.")
        return out
    if rich.observed == 0:
        out["adequate"] = None
        out["verdict"] = "No clones were found in any region: sampling adequacy cannot be assessed."
        return out
    ft = out["false_truncal_single"]
    ft_text = (f"; one biopsy alone would call {ft:.0%} of its truncal mutations wrongly" if np.isfinite(ft) else "")
    gain = out["last_region_gain"]
    if rich.unseen < params.min_unseen and gain <= params.max_last_gain:
        out["adequate"] = True
        out["verdict"] = (f"Sampling looks adequate: {rich.observed} clones in {n} regions, the last region added "
                          f"{gain:.1f} on average and {name} expects {rich.unseen:.1f} unseen "
                          f"(< {params.min_unseen:g}){ft_text}.")
    else:
        out["adequate"] = False
        out["verdict"] = (f"More regions would likely change the picture: {rich.observed} clones in {n} regions, "
                          f"the last region added {gain:.1f} on average and {name} expects {rich.unseen:.1f} unseen "
                          f"({rich.estimate:.1f} in all, 95% {rich.low:.1f}-{rich.high:.1f}); "
                          f"{params.extra_regions} more regions would add "
                          f"~{out['clones_added_by_extra_regions']:.1f}{ft_text}.")
    return out
