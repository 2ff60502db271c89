"""MEDICC2's input: allele-specific copy number of every tumour region on the regions' shared
segments (sample_id, chrom, start, end, cn_a, cn_b), with a diploid normal named `diploid`, the
sample MEDICC2 roots its tree at by default (--normal-name diploid).

Autosomes only: a diploid normal (1 + 1) is wrong for a male's X and Y. MEDICC2 needs every
sample on the same segments, so the regions' segments are cut at every region's breakpoints (as
imported calls of different tools, or regions segmented apart, have them); a piece where any
region has no copy number is left out for all samples. cn_a is the major and cn_b the minor copy
number (the segments are not phased).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ith.io.segments import shared_states

MEDICC2_COLUMNS = ["sample_id", "chrom", "start", "end", "cn_a", "cn_b"]
NORMAL_NAME = "diploid"


def medicc2_table(segments: pd.DataFrame, tumours: list[str]) -> pd.DataFrame:
    """segments.tsv rows of the tumour regions (in `tumours` order) cut at every region's
    breakpoints (ith.io.segments), as MEDICC2's table, then the diploid normal's rows on the same
    segments; pieces by chromosome (in segments.tsv order) and position."""
    table, values = shared_states(segments, tumours, ("major_cn", "minor_cn"), autosomes_only=True)
    rows = []
    for s, v in values.items():
        rows.append(pd.DataFrame({"sample_id": s, "chrom": table["chrom"], "start": table["start"].astype(int),
                                  "end": table["end"].astype(int), "cn_a": np.round(v[:, 0]).astype(int),
                                  "cn_b": np.round(v[:, 1]).astype(int)}))
    rows.append(pd.DataFrame({"sample_id": NORMAL_NAME, "chrom": table["chrom"], "start": table["start"].astype(int),
                              "end": table["end"].astype(int), "cn_a": 1, "cn_b": 1}))
    return pd.concat(rows, ignore_index=True)[MEDICC2_COLUMNS]
