"""The sentence-split memo persisted beside the parse cache (issue 14): a new process reads
the splits an earlier run made instead of running Punkt again, never a damaged or stale row."""

from __future__ import annotations

import sqlite3

import pytest

from cxrlabel.document import clear_split_memo, split_report, split_store, splitter_version, use_split_store
from cxrlabel.split_store import SplitStore

REPORT = "FINDINGS: The heart is normal in size. No pneumothorax.\n\nIMPRESSION: 1. No acute disease. 2. Stable nodule."


@pytest.fixture()
def store(tmp_path):
    s = SplitStore(tmp_path / "parses.sqlite", splitter_version())
    clear_split_memo()
    use_split_store(s)
    yield s
    use_split_store(None)
    clear_split_memo()


def test_splits_are_stored_and_a_new_process_state_reads_them_back_identically(store):
    want = split_report(REPORT)
    store.flush()
    assert store.stored() >= 2  # one row per section text
    clear_split_memo()  # as in a new process
    fresh = SplitStore(store.path, splitter_version())
    use_split_store(fresh)
    calls = []
    import cxrlabel.document as document

    real = document.sentence_spans
    document.sentence_spans = lambda *a, **k: calls.append(a) or real(*a, **k)
    try:
        got = split_report(REPORT)
    finally:
        document.sentence_spans = real
    assert got == want and calls == []  # nothing split again


def test_a_damaged_or_out_of_range_row_is_never_used(store):
    want = split_report(REPORT)
    store.flush()
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE splits SET value = '[[0,99999]]'")  # checksum no longer matches
    clear_split_memo()
    use_split_store(SplitStore(store.path, splitter_version()))
    assert split_report(REPORT) == want
    with sqlite3.connect(store.path) as conn:  # a row that verifies but lies outside its section
        key, = next(conn.execute("SELECT key FROM splits"))
    import hashlib

    value = "[[0,99999]]"
    checksum = hashlib.sha256(f"{key}\0{value}".encode()).hexdigest()
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE splits SET value = ?, checksum = ? WHERE key = ?", (value, checksum, key))
    clear_split_memo()
    use_split_store(SplitStore(store.path, splitter_version()))
    assert split_report(REPORT) == want


def test_a_changed_splitter_never_reads_old_rows(store, monkeypatch):
    import cxrlabel.document as document

    key = store.row_key("", "No effusion.")
    assert key != store.row_key(": ", "No effusion.")  # the context before is part of it
    version = splitter_version()
    splitter_version.cache_clear()
    monkeypatch.setattr(document, "SPLIT_CONTEXT", document.SPLIT_CONTEXT + 1)
    try:
        changed = splitter_version()
        assert changed != version and SplitStore(store.path, changed).row_key("", "No effusion.") != key
    finally:
        monkeypatch.undo()
        splitter_version.cache_clear()
    assert splitter_version() == version


def test_batch_labeling_with_a_cache_persists_splits_and_leaves_no_store_set(tmp_path):
    import cxrlabel

    use_split_store(None)
    cache = tmp_path / "c.sqlite"
    df = cxrlabel.label_many([REPORT, "No pneumothorax."], cache=str(cache), progress=False)
    assert split_store() is None  # restored after the run
    assert SplitStore(cache, splitter_version()).stored() >= 2 and df["error"].isna().all()
