"""MEDICC2's input: allele-specific copy number of every tumour region on the regions' shared
segments (sample_id, chrom, start, end, cn_a, cn_b), with a diploid normal named `diploid`, the
sample MEDICC2 roots its tree at by default (--normal-name diploid).

Autosomes only: a diploid normal (1 + 1) is wrong for a male's X and Y, and MEDICC2 needs every
sample on the same segments. A segment where any region has no integer copy number is left out
for all samples. cn_a is the major and cn_b the minor copy number (the segments are not phased).
"""

from __future__ import annotations

import pandas as pd

from ith.io.reference import is_autosome

MEDICC2_COLUMNS = ["sample_id", "chrom", "start", "end", "cn_a", "cn_b"]
NORMAL_NAME = "diploid"


def medicc2_table(segments: pd.DataFrame, tumours: list[str]) -> pd.DataFrame:
    """segments.tsv rows of the tumour regions (in `tumours` order) as MEDICC2's table, then the
    diploid normal's rows on the same segments; segments in segments.tsv order."""
    seg = segments[segments["sample"].astype(str).isin(tumours)].copy()
    seg["sample"] = seg["sample"].astype(str)
    seg["chrom"] = seg["chrom"].astype(str)
    seg = seg[seg["chrom"].map(is_autosome)]
    seg["major_cn"] = pd.to_numeric(seg["major_cn"], errors="coerce")
    seg["minor_cn"] = pd.to_numeric(seg["minor_cn"], errors="coerce")
    key = ["chrom", "start", "end"]
    order = seg[key].drop_duplicates().reset_index(drop=True)
    present = [s for s in tumours if s in set(seg["sample"])]
    complete = seg.dropna(subset=["major_cn", "minor_cn"]).groupby(key, sort=False)["sample"].nunique()
    keep = complete[complete == len(present)].index
    order = order[pd.MultiIndex.from_frame(order).isin(keep)]
    rows = []
    for s in present:
        one = order.merge(seg[seg["sample"] == s], on=key, how="left")
        rows.append(pd.DataFrame({"sample_id": s, "chrom": one["chrom"], "start": one["start"].astype(int),
                                  "end": one["end"].astype(int), "cn_a": one["major_cn"].astype(int),
                                  "cn_b": one["minor_cn"].astype(int)}))
    rows.append(pd.DataFrame({"sample_id": NORMAL_NAME, "chrom": order["chrom"], "start": order["start"].astype(int),
                              "end": order["end"].astype(int), "cn_a": 1, "cn_b": 1}))
    return pd.concat(rows, ignore_index=True)[MEDICC2_COLUMNS]
