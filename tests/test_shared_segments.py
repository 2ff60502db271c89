"""ith.io.segments: regions' segments cut at every region's breakpoints, and its three users
(the copy-number import, the copy-number tree's profiles, the MEDICC2 export) on one cut."""

import numpy as np
import pandas as pd

from ith.cntree.profiles import shared_segments as cntree_segments
from ith.copynumber.importers import shared_breakpoints
from ith.export.medicc2 import medicc2_table
from ith.io.segments import shared_segments, shared_states


def regions_broken_apart() -> pd.DataFrame:
    """R1 breaks chr1 at 100, R2 at 150 and stops at 250 (a gap to 300); R2's rows unsorted;
    chrX is not an autosome."""
    return pd.DataFrame({
        "sample": ["R1", "R1", "R2", "R2", "R1", "R2", "R1"],
        "chrom": ["chr1", "chr1", "chr1", "chr1", "chr2", "chr2", "chrX"],
        "start": [1, 101, 151, 1, 1, 1, 1],
        "end": [100, 300, 250, 150, 500, 500, 80],
        "major_cn": [2, 1, 3, 2, 1, 1, 1],
        "minor_cn": [1, 1, 1, 1, 0, 0, 0]})


def test_pieces_end_at_every_regions_breakpoints_and_know_which_segment_covers_them():
    seg = regions_broken_apart()
    per = {s: seg[seg["sample"] == s].reset_index(drop=True) for s in ("R1", "R2")}
    cut = shared_segments(per)
    assert cut.pieces.values.tolist() == [["chr1", 1, 100], ["chr1", 101, 150], ["chr1", 151, 250],
                                          ["chr1", 251, 300], ["chr2", 1, 500], ["chrX", 1, 80]]
    # R1's rows: 0 (chr1 1-100), 1 (chr1 101-300), 2 (chr2), 3 (chrX); R2's: 0 (151-250), 1 (1-150), 2 (chr2)
    assert cut.rows["R1"].tolist() == [0, 1, 1, 1, 2, 3]
    assert cut.rows["R2"].tolist() == [1, 1, 0, -1, 2, -1]
    assert cut.covered().tolist() == [True, True, True, False, True, False]
    assert shared_segments(per, autosomes_only=True).pieces["chrom"].tolist() == ["chr1"] * 4 + ["chr2"]


def test_shared_states_keep_pieces_every_region_has_a_state_over():
    pieces, vals = shared_states(regions_broken_apart(), ["R1", "R2"])
    assert pieces.values.tolist() == [["chr1", 1, 100], ["chr1", 101, 150], ["chr1", 151, 250], ["chr2", 1, 500]]
    assert vals["R1"].tolist() == [[2, 1], [1, 1], [1, 1], [1, 0]]
    assert vals["R2"].tolist() == [[2, 1], [2, 1], [3, 1], [1, 0]]


def test_the_three_users_cut_the_same_way():
    seg = regions_broken_apart()
    pieces, _ = shared_states(seg, ["R1", "R2"])
    table, profiles = cntree_segments(seg, ["R1", "R2"])
    assert table.values.tolist() == pieces.values.tolist()
    assert profiles["R2"]["chr1"].tolist() == [[2, 1], [2, 1], [3, 1]]
    assert profiles["diploid"]["chr2"].tolist() == [[1, 1]]
    # MEDICC2 gets the shared cut, not only the segments identical in every region
    m = medicc2_table(seg.assign(patient="P"), ["R1", "R2"])
    assert m[m["sample_id"] == "R1"][["chrom", "start", "end"]].values.tolist() == pieces.values.tolist()
    assert m[m["sample_id"] == "R2"][["cn_a", "cn_b"]].values.tolist() == [[2, 1], [2, 1], [3, 1], [1, 0]]
    assert (m[m["sample_id"] == "diploid"][["cn_a", "cn_b"]] == 1).all().all()
    # the import keeps every column of the rows and only the pieces a file covers
    per = {s: seg[seg["sample"] == s].sort_values(["chrom", "start"]) for s in ("R1", "R2")}
    cut = shared_breakpoints(per)
    assert cut["R2"][["chrom", "start", "end", "major_cn"]].values.tolist() == [
        ["chr1", 1, 100, 2], ["chr1", 101, 150, 2], ["chr1", 151, 250, 3], ["chr2", 1, 500, 1]]
    assert len(cut["R1"]) == 6 and (cut["R1"]["sample"] == "R1").all()


def test_no_segments_give_no_pieces():
    cut = shared_segments({"R1": pd.DataFrame({"chrom": [], "start": [], "end": []})})
    assert len(cut.pieces) == 0 and cut.rows["R1"].dtype == np.int64
