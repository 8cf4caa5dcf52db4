"""``cxrlabel.label_many``: input order, ids, errors recorded, same labels as ``label()``
with one process and with a spawn pool."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import cxrlabel
from cxrlabel.labeler import Labeler
from cxrlabel.types import FINDINGS

TEXTS = [
    "No pneumothorax. Mild cardiomegaly.",
    "There is a small right pleural effusion.",
    "Pneumonia cannot be excluded.",
    "FINDINGS: The lungs are clear.\nIMPRESSION: No acute cardiopulmonary disease.",
    "Left lower lobe atelectasis. No pleural effusion or pneumothorax.",
    "Stable right upper lobe nodule. Emphysema.",
    "",
]


@pytest.fixture(scope="module")
def labeler():
    return Labeler()


def _rows(df: pd.DataFrame) -> list[dict]:
    cols = [*FINDINGS, "No Finding"]
    return [{c: (None if math.isnan(v) else v) for c, v in zip(cols, r)} for r in df[cols].itertuples(index=False)]


def _expected(labeler, texts):
    return [labeler.label(t).to_chexpert() for t in texts]


def test_label_many_gives_label_results_in_input_order(labeler, tmp_path):
    df = cxrlabel.label_many(TEXTS, progress=False, cache=tmp_path / "c.sqlite", chunk_size=3)
    assert list(df.columns) == ["id", *FINDINGS, "No Finding", "error"]
    assert df["id"].tolist() == list(range(len(TEXTS)))
    assert _rows(df) == _expected(labeler, TEXTS)
    assert df["error"].isna().tolist() == [True] * 6 + [False]  # the empty report failed
    assert df.loc[6, "error"].startswith("error[I250]") and math.isnan(df.loc[6, "No Finding"])
    assert df.dtypes["Effusion"] == "float64" and df.loc[1, "Effusion"] == 1.0 and df.loc[2, "Pneumonia"] == -1.0


def test_a_dataframe_keeps_its_ids_and_a_bad_report_gets_an_error(labeler):
    frame = pd.DataFrame(
        {
            "study": ["s1", "s2", "s3", "s4"],
            "report": ["No pneumothorax.", b"\xff\xfe not utf-8", None, "Mild cardiomegaly."],
        }
    )
    df = cxrlabel.label_many(frame, id_column="study", progress=False, cache=None)
    assert df["study"].tolist() == ["s1", "s2", "s3", "s4"]
    assert df.loc[0, "Pneumothorax"] == 0.0 and df.loc[3, "Cardiomegaly"] == 1.0
    assert "I201" in df.loc[1, "error"] and "not valid UTF-8" in df.loc[1, "error"]
    assert "no report text" in df.loc[2, "error"]
    assert df.loc[[0, 3], "error"].isna().all()
    assert df.loc[[1, 2], FINDINGS].isna().all().all()


def test_text_column_is_found_or_asked_for():
    frame = pd.DataFrame({"a": ["x"], "b": ["y"]})
    with pytest.raises(cxrlabel.CxrlabelError) as err:
        cxrlabel.label_many(frame, progress=False, cache=None)
    assert err.value.code == "I231" and "text_column" in str(err.value)
    with pytest.raises(cxrlabel.CxrlabelError) as err:
        cxrlabel.label_many(frame, text_column="nope", progress=False, cache=None)
    assert err.value.code == "I232"


def test_a_series_index_becomes_the_id_and_explain_lists_rules(tmp_path):
    s = pd.Series(["No pneumothorax.", "Mild cardiomegaly."], index=["r9", "r7"])
    df = cxrlabel.label_many(s, explain=True, progress=False, cache=tmp_path / "c.sqlite")
    assert df["id"].tolist() == ["r9", "r7"]
    assert df.loc[0, "explain"].startswith("Pneumothorax=negative[") and df.loc[1, "explain"] == "Cardiomegaly=positive"


@pytest.mark.slow
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_two_workers_forked_or_spawned_give_the_labels_of_one_process(labeler, tmp_path, capfd, monkeypatch, method):
    monkeypatch.setenv("CXRLABEL_START_METHOD", method)
    texts = TEXTS * 6
    df = cxrlabel.label_many(texts, jobs=3, chunk_size=5, progress=True, cache=tmp_path / "c.sqlite")
    assert df["id"].tolist() == list(range(len(texts)))
    assert _rows(df) == _expected(labeler, texts)
    err = capfd.readouterr().err
    assert "report/s" in err and f"{len(texts)}/{len(texts)}" in err  # tqdm on stderr


def test_a_pool_run_leaves_this_processes_gc_as_it_found_it(tmp_path):
    """During a pool run this process's heap is frozen out of gc passes and the batch
    thresholds apply; afterwards nothing stays frozen, the caller's thresholds are back, and
    objects the caller froze itself stay frozen."""
    import gc

    before = gc.get_threshold()
    cxrlabel.label_many(TEXTS, jobs=2, progress=False, cache=tmp_path / "c.sqlite")
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before
    mine = [[object()] for _ in range(10)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        cxrlabel.label_many(TEXTS, jobs=2, progress=False, cache=tmp_path / "c.sqlite")
        assert gc.get_freeze_count() > frozen // 2 and mine  # still frozen (a few may have been freed)
    finally:
        gc.unfreeze()


@pytest.mark.slow
@pytest.mark.data
def test_openi_sample_labels_equal_single_report_labels(labeler, data_path, tmp_path):
    from cxrlabel.gold.openi import read_reports

    reports = read_reports(data_path("openi/NLMCXR_reports.tgz"))[::40]  # ~100 reports
    texts = [r.text for r in reports]
    # the same Labeler object (its parser wrapped in the cache), so that the comparison is of
    # the batch path only: cold (parsing, batched) and warm (every parse from the cache)
    df = cxrlabel.label_many(texts, labeler=labeler, progress=False, cache=tmp_path / "c.sqlite")
    assert _rows(df) == _expected(labeler, texts)
    warm = cxrlabel.label_many(texts, labeler=labeler, progress=False, cache=tmp_path / "c.sqlite")
    assert _rows(warm) == _rows(df)


def test_workers_fork_on_linux_unless_told_to_spawn_and_a_bad_method_is_i239(monkeypatch):
    import sys

    from cxrlabel.batch.spawn import start_method

    monkeypatch.delenv("CXRLABEL_START_METHOD", raising=False)
    assert start_method() == ("fork" if sys.platform.startswith("linux") else "spawn")
    monkeypatch.setenv("CXRLABEL_START_METHOD", "Spawn")
    assert start_method() == "spawn"
    monkeypatch.setenv("CXRLABEL_START_METHOD", "forkserver")
    with pytest.raises(cxrlabel.CxrlabelError) as err:
        start_method()
    assert err.value.code == "I239" and "use fork or spawn" in str(err.value)


def test_a_labeler_object_with_several_jobs_is_refused_with_what_to_do(labeler):
    with pytest.raises(cxrlabel.CxrlabelError) as err:
        cxrlabel.label_many(["No pneumothorax."], labeler=labeler, jobs=2, progress=False, cache=None)
    assert err.value.code == "I236" and "jobs=1" in str(err.value)
