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
