"""The vectorised BAM writer produces BAMs that htslib reads back field for field."""

import gzip

import numpy as np
import pysam

from ith.io.bamwrite import FLAG_PAIRED, FLAG_READ1, FLAG_REVERSE, BamWriter, ReadBatch
from ith.io.bgzf import BgzfWriter


def _batch(rng, n=500, length=75, ref_len=2_000_000):
    pos = np.sort(rng.integers(0, ref_len - length, n))
    return ReadBatch(
        ref_id=0, pos=pos, mapq=rng.integers(0, 61, n).astype(np.uint8),
        flag=np.where(rng.random(n) < 0.5, FLAG_PAIRED | FLAG_READ1, FLAG_PAIRED | FLAG_READ1 | FLAG_REVERSE).astype(np.uint16),
        mate_pos=pos + 200, tlen=np.full(n, 275), name_id=np.arange(n) * 7919,
        seq=rng.integers(0, 5, (n, length)).astype(np.uint8),
        qual=rng.integers(2, 41, (n, length)).astype(np.uint8), nm=rng.integers(0, 5, n).astype(np.uint8))


def _write(tmp_path, batch: ReadBatch, prefix: str, threads: int = 1) -> str:
    path = str(tmp_path / "x.bam")
    header = "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:c1\tLN:2000000\n@RG\tID:s1\tSM:s1\n"
    w = BamWriter(path, header, [("c1", 2_000_000)], "s1", prefix, threads=threads)
    w.write(batch)
    w.close()
    pysam.index(path)
    return path


def test_bam_records_round_trip_through_htslib(tmp_path):
    rng = np.random.default_rng(3)
    b = _batch(rng)
    path = _write(tmp_path, b, "pre.", threads=2)
    reads = list(pysam.AlignmentFile(path))
    assert len(reads) == 500
    for i, r in enumerate(reads):
        assert r.reference_start == b.pos[i]
        assert r.mapping_quality == b.mapq[i]
        assert r.flag == b.flag[i]
        assert r.next_reference_start == b.mate_pos[i]
        assert r.template_length == b.tlen[i]
        assert r.query_name == f"pre.{b.name_id[i]:010d}"
        assert r.query_sequence == "".join("ACGTN"[x] for x in b.seq[i])
        assert list(r.query_qualities) == list(b.qual[i])
        assert r.cigarstring == "75M"
        assert r.get_tag("RG") == "s1" and r.get_tag("NM") == b.nm[i]
        assert r.bin == pysam.AlignedSegment.fromstring(r.to_string(), r.header).bin
    # the index agrees with a region query
    n_region = sum(1 for p in b.pos if 500_000 <= p + 75 - 1 and p < 900_000)
    assert pysam.AlignmentFile(path).count("c1", 500_000, 900_000) == n_region


def test_reads_with_indel_cigars_interleave_with_plain_reads(tmp_path):
    rng = np.random.default_rng(5)
    b = _batch(rng, n=50)
    cigar = np.zeros((50, 3), dtype=np.uint32)
    cigar[::7] = [(30 << 4) | 0, (2 << 4) | 2, (45 << 4) | 0]  # 30M2D45M
    cigar[3::7] = [(30 << 4) | 0, (3 << 4) | 1, (42 << 4) | 0]  # 30M3I42M
    b = ReadBatch(**{**b.__dict__, "cigar": cigar})
    reads = list(pysam.AlignmentFile(_write(tmp_path, b, "p.")))
    assert len(reads) == 50
    for i, r in enumerate(reads):
        expected = "30M2D45M" if i % 7 == 0 else "30M3I42M" if i % 7 == 3 else "75M"
        assert r.cigarstring == expected and r.reference_start == b.pos[i]
        assert r.query_sequence == "".join("ACGTN"[x] for x in b.seq[i])
        assert r.bin == pysam.AlignedSegment.fromstring(r.to_string(), r.header).bin


def test_bgzf_output_is_the_same_bytes_whatever_the_thread_count(tmp_path):
    data = np.random.default_rng(0).integers(0, 4, 3_000_000).astype(np.uint8).tobytes()
    paths = []
    for threads in (1, 2):
        p = tmp_path / f"t{threads}.gz"
        with BgzfWriter(str(p), threads=threads) as w:
            for i in range(0, len(data), 100_003):
                w.write(data[i : i + 100_003])
        paths.append(p)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert gzip.decompress(paths[0].read_bytes()) == data
