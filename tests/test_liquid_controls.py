"""Control selection: stable when patients are appended, capped, fixed panels."""

from __future__ import annotations

import pandas as pd
import pytest

from ith.controls import choose_controls


def _sheet(n_patients: int) -> list[dict]:
    rows = []
    for p in range(n_patients):
        for s, t in (("N", "normal"), ("R1", "tumour"), ("PL1", "plasma")):
            rows.append({"patient": f"P{p}", "sample": f"P{p}-{s}", "type": t, "bam": f"P{p}-{s}.bam"})
    return rows


def _ids(controls: list[dict], key: str = "sample") -> list[str]:
    return [c[key] for c in controls]


def test_appending_patients_leaves_existing_controls_once_the_cohort_is_larger_than_the_cap():
    small, big = _sheet(4), _sheet(5)
    for p in ("P0", "P1", "P2", "P3"):
        a = _ids(choose_controls(small, p, "cohort", 6))
        b = _ids(choose_controls(big, p, "cohort", 6))
        assert a == b and len(a) == 7 and a[0] == f"{p}-N"
        assert not any(s.startswith(f"{p}-") for s in a[1:])
    # below the cap every other sample serves, so a new patient does add controls
    assert len(choose_controls(_sheet(2), "P0", "cohort", 30)) == 1 + 3


def test_a_fixed_panel_serves_every_patient_alike():
    panel = pd.DataFrame({"sample": ["H1", "H2"], "bam": ["h1.bam", "h2.bam"]})
    c = choose_controls(_sheet(3), "P2", "panel", 30, panel)
    assert _ids(c) == ["P2-N", "H1", "H2"] and _ids(c, "patient")[1:] == ["control:H1", "control:H2"]
    with pytest.raises(ValueError, match="needs sample and bam"):
        choose_controls(_sheet(1), "P0", "panel", 30, pd.DataFrame({"sample": ["H1"]}))


def test_a_low_level_carrier_and_its_patient_are_left_out_but_a_noisy_locus_is_not():
    """Locus 0: patient Q's plasma carries the allele at 0.5% (5 of 1000), far above the other
    controls' 1e-4; it and Q's tumour (no alt reads) are left out there. Locus 1: every control
    shows errors at 1% (a noisy locus): nobody is a carrier. Locus 2: Q's tumour at VAF 30%."""
    import numpy as np

    from ith.liquid.carriers import carrier_entries

    owner = np.array(["P", "Q", "Q", "R", "R", "S"])  # P's own normal first
    cd = np.full((3, 6), 1000)
    ca = np.zeros((3, 6), dtype=int)
    ca[0] = [0, 5, 0, 0, 1, 0]
    ca[1] = [10, 12, 9, 11, 8, 10]
    ca[2] = [0, 0, 300, 0, 0, 0]
    c = carrier_entries(ca, cd, owner, "P", 1e-5)
    assert c[0].tolist() == [False, True, True, False, False, False]
    assert not c[1].any()
    assert c[2].tolist() == [False, True, True, False, False, False]
    # a control sheet's donors are individuals: one donor's carrier status does not spread
    donors = np.array(["P", "control:H1", "control:H2", "control:H3", "control:H4", "control:H5"])
    assert carrier_entries(ca, cd, donors, "P", 1e-5)[2].tolist() == [False, False, True, False, False, False]


def test_counting_controls_gives_the_same_table_with_one_or_two_processes(tmp_path):
    import pysam

    from ith.liquid.controls import count_samples
    from ith.liquid.pileup import LiquidPileupParams

    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "chr1", "LN": 100}]}
    paths = []
    for k in range(3):
        path = tmp_path / f"c{k}.bam"
        with pysam.AlignmentFile(str(path), "wb", header=header) as out:
            for i in range(5 + k):
                a = pysam.AlignedSegment()
                a.query_name, a.reference_id, a.reference_start = f"r{i}", 0, i
                a.query_sequence = "A" * (14 - i) + "C" + "A" * (5 + i) if i % 2 else "A" * 20
                a.flag, a.mapping_quality, a.cigarstring = 0, 60, "20M"
                a.query_qualities = pysam.qualitystring_to_array("I" * 20)
                a.template_length = 150
                out.write(a)
        pysam.index(str(path))
        paths.append(str(path))
    controls = pd.DataFrame({"sample": ["a", "b", "c"], "patient": ["Q", "Q", "R"], "type": "normal", "bam": paths})
    sites = pd.DataFrame({"chrom": ["chr1"], "pos": [15], "ref": ["A"], "alt": ["C"]})
    one = count_samples(controls, sites, LiquidPileupParams(), threads=1)
    two = count_samples(controls, sites, LiquidPileupParams(), threads=2)
    for x, y in zip((one.counts, one.alt_lengths, one.ref_lengths), (two.counts, two.alt_lengths, two.ref_lengths)):
        pd.testing.assert_frame_equal(x, y)
    assert one.counts["sample"].tolist() == ["a", "b", "c"] and one.counts["alt"].tolist() == ["C"] * 3
    assert one.counts["depth"].tolist() == [5, 6, 7] and one.counts["C"].tolist() == [2, 3, 3]
    assert one.alt_lengths.groupby("sample").size().tolist() == [2, 3, 3]
    assert one.ref_lengths["fragments"].tolist() == [3, 3, 4]  # unpaired reads: |tlen| 150


def test_a_bad_control_sheet_is_named_with_the_fix(tmp_path):
    from ith.errors import InputError
    from ith.controls import read_control_sheet

    with pytest.raises(InputError, match="not found"):
        read_control_sheet(str(tmp_path / "none.tsv"), set())
    bad = tmp_path / "c.tsv"
    bad.write_text("sample\tpath\nH1\th1.bam\n")
    with pytest.raises(InputError, match=r"missing column\(s\) bam"):
        read_control_sheet(str(bad), set())
    bad.write_text("sample\tbam\ttype\nH1\th1.bam\tblood\n")
    with pytest.raises(InputError, match="line 2 .*type 'blood'"):
        read_control_sheet(str(bad), set())
    bad.write_text("sample\tbam\nP1-N\th1.bam\n")
    with pytest.raises(InputError, match="also in the sample sheet"):
        read_control_sheet(str(bad), {"P1-N"})
    bad.write_text("sample\tbam\nH1\th1.bam\nH2\th2.bam\n")
    assert read_control_sheet(str(bad), {"P1-N"})["type"].tolist() == ["plasma", "plasma"]
