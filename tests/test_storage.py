"""The cloud storage path for real: a local S3-compatible server (moto) on 127.0.0.1 holds the
test cohort's BAMs and reference; the workflow runs with `--default-storage-provider s3`,
reading its inputs from the bucket and writing its results there, with only the config and
sample sheet local. Patient P1's whole chain, down to its report, is run and its tables are
compared with the local run's."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT

BUCKET = "ith-test"
PREFIX = "run"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    """moto's S3 server on a free local port; stopped afterwards."""
    pytest.importorskip("moto.server", reason="moto[server] is installed by the test extra")
    boto3 = pytest.importorskip("boto3")
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    with open(log, "w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                stdout=fh, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=url, aws_access_key_id="test", aws_secret_access_key="test",
                          region_name="us-east-1")
    for _ in range(100):
        try:
            client.list_buckets()
            break
        except Exception:  # not listening yet
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail(f"moto did not start: {log.read_text()[-2000:]}")
    try:
        yield url, client
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _upload(client, cohort: Path) -> None:
    client.create_bucket(Bucket=BUCKET)
    for folder in ("bams", "reference"):
        for f in sorted((cohort / folder).rglob("*")):
            if f.is_file():
                client.upload_file(str(f), BUCKET, f"{PREFIX}/{f.relative_to(cohort)}")


def _local_config(cohort: Path, where: Path) -> Path:
    """The cohort's config and sheet with every data path relative (keys in the bucket)."""
    import pandas as pd
    import yaml

    sheet = pd.read_csv(cohort / "samples.tsv", sep="\t", dtype=str, keep_default_na=False)
    sheet["bam"] = [str(Path(b).relative_to(cohort)) for b in sheet["bam"]]
    sheet.to_csv(where / "samples.tsv", sep="\t", index=False)
    cfg = yaml.safe_load((cohort / "config.yaml").read_text())

    def rel(v):
        if isinstance(v, dict):
            return {k: rel(x) for k, x in v.items()}
        if isinstance(v, str) and v.startswith(str(cohort) + "/"):
            return str(Path(v).relative_to(cohort))
        return v

    cfg = rel(cfg)
    cfg["samples"] = "samples.tsv"
    (where / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return where / "config.yaml"


def test_inputs_from_and_results_to_an_s3_bucket(s3_server, cohort, workflow_run, tmp_path):
    url, client = s3_server
    _upload(client, cohort)
    config = _local_config(cohort, tmp_path)
    target = "results/report/P1/report.html"
    cmd = [sys.executable, "-m", "snakemake", target, "-s", str(ROOT / "Snakefile"), "--configfile", str(config),
           "--cores", "2", "--default-storage-provider", "s3", "--default-storage-prefix", f"s3://{BUCKET}/{PREFIX}",
           "--storage-s3-endpoint-url", url, "--storage-s3-access-key", "test", "--storage-s3-secret-key", "test"]
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert not (tmp_path / "results").exists()  # nothing written beside the config: all in the bucket

    keys = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"{PREFIX}/results/"):
        keys += [o["Key"] for o in page.get("Contents", [])]
    rel = {k[len(PREFIX) + 1:] for k in keys}
    assert target in rel and "results/report/P1/metrics.json" in rel
    assert not any("/P2/" in k for k in rel if k.startswith(("results/report/", "results/clonal/")))
    compared = 0
    for k in sorted(rel):
        if k.endswith((".tsv", ".nwk")) and "/chunks/" not in k:
            body = client.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{k}")["Body"].read()
            assert body == (workflow_run / k).read_bytes(), f"{k} differs from the local run's"
            compared += 1
    assert compared >= 20, sorted(rel)
