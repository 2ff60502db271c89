"""ith.io.tables: a result table read back as written, with the workflow's missing values only."""

import numpy as np
import pandas as pd

from ith.io.tables import read_tsv, write_tsv


def test_a_written_table_reads_back_with_only_na_and_empty_cells_missing(tmp_path):
    df = pd.DataFrame({"sample": ["null", "nan", "N/A"], "gene": ["NA", "", "TP53"], "vaf": [0.25, np.nan, 1e-7]})
    write_tsv(df, str(tmp_path / "t.tsv"))
    back = read_tsv(str(tmp_path / "t.tsv"))
    # pandas' own list would read the first three samples as missing
    assert back["sample"].tolist() == ["null", "nan", "N/A"]
    assert back["gene"].isna().tolist() == [True, True, False]
    assert back["vaf"].isna().tolist() == [False, True, False] and back["vaf"].iloc[2] == 1e-7
    # no missing values at all when asked (id tables such as a tree's parents)
    assert read_tsv(str(tmp_path / "t.tsv"), na_values=[], dtype=str)["gene"].tolist() == ["NA", "", "TP53"]


def test_a_killed_writers_temporary_file_is_removed_and_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    """A job killed mid-write (SIGKILL, or SIGTERM, which skips Python's cleanup) leaves its
    temporary file; the next write of the same output removes it (tests/test_faults.py kills whole
    runs). A write that fails leaves neither a temporary file nor the final name; other files
    whose names start alike are not touched."""
    import ith.io.atomic
    from ith.io.atomic import atomic_path
    from ith.io.jsonout import write_json

    out = tmp_path / "chunk0002.hets.tsv"
    stale = tmp_path / "chunk0002.hets.tsv.tmp7952"
    stale.write_text("half a table")
    other = tmp_path / "chunk0002.hets.tsv2.tmp1"
    other.write_text("another output's")
    write_tsv(pd.DataFrame({"a": [1]}), str(out))
    assert read_tsv(str(out))["a"].tolist() == [1]
    assert not stale.exists() and other.exists()
    failed = tmp_path / "m.json"

    def refuse(*_):  # the rename fails after the temporary file was written in full
        raise OSError("disk gone")

    monkeypatch.setattr(ith.io.atomic.os, "replace", refuse)
    try:
        write_json({"x": 1}, str(failed))
    except OSError:
        pass
    monkeypatch.undo()
    assert not failed.exists() and not list(tmp_path.glob("m.json.tmp*"))
    try:
        with atomic_path(str(tmp_path / "f.png"), ".png") as tmp:
            open(tmp, "w").write("partial")
            raise RuntimeError("the writer failed")
    except RuntimeError:
        pass
    assert not list(tmp_path.glob("f.png*"))
