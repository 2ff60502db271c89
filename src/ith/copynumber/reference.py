"""A pooled copy-number reference from many normals (as CNVkit's), and the normal model a tumour's
log2 ratio is taken against: the matched normal, the pool, or the pool with the matched normal's
broad departures from it (hybrid).

Each normal is GC-corrected per group (targets, off-target bins; ith.copynumber.depth.assay_trend),
so its depth is relative to a typical bin of its group, and divided by the copies its sex puts on
the bin (chrX 0.5 in a male), so every normal speaks of a diploid genome. Per bin the pool then
holds the median over the normals (its capture efficiency, mappability and GC residue: what every
library shares) and their spread, the robust SD of log2 depth across the normals. A bin whose
normals disagree (spread above `max_spread`) or whose pooled depth is off (outside
`normal_depth_range`) is flagged unusable: the same bins for every patient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ith.copynumber.depth import NormalModel, chrom_kind, normal_model
from ith.errors import InputError

REFERENCE_COLUMNS = ["chrom", "start", "end", "target", "gc", "depth", "spread", "n_normals", "usable"]
MODES = ("auto", "matched", "pooled", "hybrid")
# what `auto` means on capture data, chosen by measurement on the simulated exome
# (docs/methods/copynumber.md#matched-normal-or-pooled-reference); on a genome it is `matched`
CAPTURE_AUTO_MODE = "pooled"


@dataclass(frozen=True)
class ReferenceParams:
    """`copynumber.reference` (same names and defaults as the schema)."""
    mode: str = "auto"
    file: str | None = None
    min_normals: int = 3
    max_spread: float = 0.3
    hybrid_window: int = 15


def resolve_mode(params: ReferenceParams, assay: str, n_normals: int) -> tuple[str, str]:
    """The normalisation the workflow uses (matched, pooled or hybrid) and why, given the assay
    type and the number of normals the cohort's pool would hold. An explicit pooled or hybrid
    mode without enough normals or a pre-built file is an error; `auto` falls back to matched."""
    if params.mode not in MODES:
        raise InputError(f"config: copynumber.reference.mode is {params.mode!r}; choose one of {', '.join(MODES)}.")
    wanted = params.mode
    if wanted == "auto":
        wanted = "matched" if assay == "wgs" else CAPTURE_AUTO_MODE
        why = f"auto on {assay}"
    else:
        why = "set in config"
    if wanted == "matched":
        return "matched", why
    if params.file:
        return wanted, f"{why}; pooled reference {params.file}"
    if n_normals >= params.min_normals:
        return wanted, f"{why}; pooled reference of the cohort's {n_normals} normals"
    if params.mode == "auto":
        return "matched", (f"{why} would use a pooled reference ({wanted}), but the cohort has {n_normals} normal(s), "
                           f"fewer than copynumber.reference.min_normals ({params.min_normals}): each tumour is "
                           "read against its matched normal alone")
    raise InputError(f"config: copynumber.reference.mode {params.mode} needs a pooled reference of at least "
                     f"copynumber.reference.min_normals ({params.min_normals}) normals, but the sample sheet holds "
                     f"{n_normals}; give a pre-built one (copynumber.reference.file, made by `ith cnref`), add "
                     "normals, or set the mode to matched.")


def _expected_copies(kind: np.ndarray, sex: str) -> np.ndarray:
    """Copies of every bin relative to an autosome in this sex; NaN where it has none (Y of a female)."""
    male = sex == "male"
    return np.where(kind == "A", 1.0, np.where(kind == "X", 0.5 if male else 1.0,
                                               np.where(kind == "Y", 0.5 if male else np.nan, np.nan)))


def build_reference(bins: pd.DataFrame, depths: dict[str, np.ndarray], params: ReferenceParams,
                    min_mappable: float, depth_range: tuple[float, float]) -> tuple[pd.DataFrame, dict[str, str]]:
    """The pooled reference of `depths` (normal name -> mean depth per bin of `bins`) and the sex
    each normal shows by its X depth. Needs at least `params.min_normals` normals."""
    if len(depths) < params.min_normals:
        raise InputError(f"a pooled reference needs at least copynumber.reference.min_normals ({params.min_normals}) "
                         f"normals; {len(depths)} given ({', '.join(depths) or 'none'}). Add normals or lower "
                         "min_normals (a pool of two cannot tell which of them is off at a bin).")
    kind = chrom_kind(bins["chrom"])
    base = (bins["mappable"].to_numpy() >= min_mappable) & (kind != "O")
    logs, sexes = [], {}
    for name, d in depths.items():
        if len(d) != len(bins):
            raise InputError(f"normal {name}: {len(d)} bins of coverage, but the bin table has {len(bins)}; "
                             "its coverage was counted on other bins: count it again on these.")
        nm = normal_model(bins, d, min_mappable, depth_range)
        sexes[name] = nm.sex
        diploid = nm.depth / _expected_copies(kind, nm.sex)
        with np.errstate(divide="ignore", invalid="ignore"):
            lg = np.log2(np.maximum(diploid, 2.0 ** -6))
        lg[~base | ~np.isfinite(diploid)] = np.nan
        # each normal centred on its autosomal median per group, as CNVkit median-centres each sample
        target = bins["target"].to_numpy(bool)
        for group in (False, True):
            sel = (target == group) & (kind == "A") & np.isfinite(lg)
            if sel.any():
                lg[target == group] -= np.median(lg[sel])
        logs.append(lg)
    mat = np.stack(logs, axis=1)
    n_obs = np.isfinite(mat).sum(axis=1)
    seen = n_obs > 0
    centre = np.full(len(bins), np.nan)
    spread = np.full(len(bins), np.nan)
    centre[seen] = np.nanmedian(mat[seen], axis=1)
    # the median absolute deviation of three or four values is biased low (one of them is the
    # median itself), so a small pool gives the plain SD; from five normals on, 1.4826 x MAD,
    # which one normal off at a bin (its own duplication) does not inflate
    two = n_obs >= 2
    sd = np.nanstd(mat[two], axis=1, ddof=1)
    mad = 1.4826 * np.nanmedian(np.abs(mat[two] - centre[two, None]), axis=1)
    spread[two] = np.where(n_obs[two] >= 5, mad, sd)
    lo, hi = depth_range
    depth = 2.0 ** centre
    # a bin only one normal covers (chrY in a pool of one male) has no spread: it is used as that
    # normal alone would be in matched mode
    usable = (base & np.isfinite(centre) & (depth >= lo) & (depth <= hi)
              & ((n_obs < 2) | (spread <= params.max_spread)))
    table = bins[["chrom", "start", "end", "target", "gc"]].assign(
        depth=np.round(depth, 4), spread=np.round(spread, 4), n_normals=n_obs, usable=usable)
    return table[REFERENCE_COLUMNS], sexes


def read_reference(path: str, bins: pd.DataFrame) -> pd.DataFrame:
    """A pooled reference file checked against the workflow's bin table (same bins, same order)."""
    try:
        ref = pd.read_csv(path, sep="\t", dtype={"chrom": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise InputError(f"{path}: cannot read the pooled copy-number reference ({e}).") from None
    missing = [c for c in REFERENCE_COLUMNS if c not in ref.columns]
    if missing:
        raise InputError(f"{path}: pooled reference lacks column(s) {', '.join(missing)}; expected "
                         f"{', '.join(REFERENCE_COLUMNS)} (build one with `ith cnref`).")
    if len(ref) != len(bins):
        raise InputError(f"{path}: {len(ref)} bins, but results/copynumber/bins.tsv has {len(bins)}: the reference "
                         "was built on other bins (bin_size, off_target_bin_size, targets or exclude_contigs "
                         "differ); build it again with `ith cnref` from coverage counted on these bins.")
    key = ["chrom", "start", "end"]
    bad = np.flatnonzero((ref[key].astype(str).to_numpy() != bins[key].astype(str).to_numpy()).any(axis=1))
    if len(bad):
        i = int(bad[0])
        r, b = ref.iloc[i], bins.iloc[i]
        raise InputError(f"{path} row {i + 2}: bin {r.chrom}:{r.start}-{r.end}, but bins.tsv has {b.chrom}:{b.start}-"
                         f"{b.end} there: the reference was built on other bins; build it again with `ith cnref`.")
    usable = ref["usable"]
    if usable.dtype != bool:
        usable = usable.astype(str).str.lower().map({"true": True, "false": False})
        if usable.isna().any():
            i = int(np.flatnonzero(usable.isna())[0])
            raise InputError(f"{path} row {i + 2}: usable must be True or False, not {ref['usable'].iloc[i]!r}.")
    return ref.assign(usable=usable.astype(bool))


def pooled_model(reference: pd.DataFrame, bins: pd.DataFrame, sex: str, min_mappable: float) -> NormalModel:
    """The pool as the normal of an individual of this sex: its diploid depths times the copies
    the sex puts on each bin."""
    kind = chrom_kind(bins["chrom"])
    expected = _expected_copies(kind, sex)
    usable = (reference["usable"].to_numpy(bool) & (bins["mappable"].to_numpy() >= min_mappable) & (kind != "O")
              & np.isfinite(expected))
    depth = np.where(usable, reference["depth"].to_numpy(float) * np.nan_to_num(expected), np.nan)
    x = 0.5 if sex == "male" else 1.0
    return NormalModel(usable, depth, x, 0.5 if sex == "male" else 0.0, sex)


def hybrid_model(matched: NormalModel, reference: pd.DataFrame, bins: pd.DataFrame, min_mappable: float,
                 window: int) -> NormalModel:
    """The pool's depth of each bin, times the matched normal's departure from the pool smoothed
    by a running median over `window` usable bins of a contig.

    The tumour and its normal are different libraries: the normal's own efficiency of a bin and
    its counting noise are noise to the tumour, and the pool measures the kit's efficiency far
    better than one normal. What the matched normal knows that the pool cannot is the patient's:
    germline copy-number variants and its capture batch, which span many bins, so only that
    broad part of it is kept. Bins must be usable in both."""
    pool = pooled_model(reference, bins, matched.sex if matched.sex != "unknown" else "female", min_mappable)
    usable = matched.usable & pool.usable
    idx = np.flatnonzero(usable)
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = np.log(matched.depth[idx] / pool.depth[idx])
    chrom = bins["chrom"].to_numpy()[idx]
    smooth = pd.Series(dev).groupby(chrom, sort=False).transform(
        lambda x: x.rolling(window, center=True, min_periods=1).median()).to_numpy()
    depth = np.full(len(bins), np.nan)
    depth[idx] = pool.depth[idx] * np.exp(smooth)
    return NormalModel(usable, depth, matched.x_dosage, matched.y_dosage, matched.sex)
