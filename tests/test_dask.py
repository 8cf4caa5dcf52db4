"""Dask: ``label_partition`` under ``map_partitions`` and ``cxrlabel label --engine dask`` on a
2-worker LocalCluster (processes) give the single-process labels."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

pytest.importorskip("distributed")

from cxrlabel.cli import main  # noqa: E402
from cxrlabel.dask import label_partition, meta  # noqa: E402
from cxrlabel.labeler import Labeler  # noqa: E402
from cxrlabel.types import FINDINGS  # noqa: E402

REPORTS = [
    ("a", "No pneumothorax. Mild cardiomegaly."),
    ("b", "There is a small right pleural effusion."),
    ("c", "Pneumonia cannot be excluded."),
    ("d", "Left lower lobe atelectasis. No pleural effusion."),
    ("e", "Stable right upper lobe nodule."),
    ("f", "The lungs are clear."),
]


@pytest.mark.slow
def test_map_partitions_on_a_two_worker_local_cluster_gives_single_process_labels(tmp_path):
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    frame = pd.DataFrame(REPORTS, columns=["study", "report"])
    lab = Labeler()
    want = [lab.label(t).to_chexpert() for _, t in REPORTS]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        ddf = dd.from_pandas(frame, npartitions=3)
        out = ddf.map_partitions(
            label_partition, text_column="report", id_column="study", cache=str(tmp_path / "c.sqlite"), meta=meta("study")
        )
        got = out.compute()
        assert len(client.scheduler_info()["workers"]) == 2
    assert got["study"].tolist() == ["a", "b", "c", "d", "e", "f"]
    rows = [{c: (None if pd.isna(r[c]) else r[c]) for c in (*FINDINGS, "No Finding")} for _, r in got.iterrows()]
    assert rows == want
    assert got["error"].isna().all()


@pytest.mark.slow
def test_label_engine_dask_writes_the_local_engine_output(tmp_path):
    from click.testing import CliRunner

    src = tmp_path / "in.csv"
    with open(src, "w", newline="") as fh:
        csv.writer(fh).writerows([("id", "report"), *REPORTS])
    runner = CliRunner()
    cache = ["--cache", str(tmp_path / "c.sqlite")]
    local = runner.invoke(main, ["label", str(src), "--shard-size", "2", *cache])
    out = tmp_path / "out.csv"
    res = runner.invoke(main, ["label", str(src), "-o", str(out), "--engine", "dask", "--jobs", "2", "--shard-size", "2", *cache])
    assert res.exit_code == 0, res.output
    assert out.read_text() == local.stdout
    assert [r["id"] for r in csv.DictReader(io.StringIO(local.stdout))] == [rid for rid, _ in REPORTS]
