"""Batched memo lookups and length-sorted parsing (issue 14): ``get_many`` answers as ``get``
does, key by key, a warm ``iter_labels(reuse=True)`` asks the memo file once per batch rather
than once per sentence, and parsing a batch longest sentence first gives the same sentences, and
the same failures in the same reports, as parsing it in report order."""

from __future__ import annotations

import math
import sqlite3

import pytest

from cxrlabel.document import parse_reports, split_report
from cxrlabel.memo import SentenceMemo
from cxrlabel.cache import QUERY_CHUNK
from cxrlabel.memo_store import PersistentMemo
from cxrlabel.parsers.base import parse_placed
from cxrlabel.types import Label, Mention
from conftest import CountingParser, require_data

MIXED = [
    "FINDINGS: No pneumothorax. The cardiomediastinal silhouette is within normal limits for size and "
    "contour, and there is no focal airspace consolidation, pleural effusion or pneumothorax. Clear.",
    "IMPRESSION: 1. Mild cardiomegaly. 2. Small left pleural effusion with adjacent atelectasis, "
    "which may represent pneumonia in the appropriate clinical setting.",
    "Heart size is normal. No acute disease.",
]


@pytest.fixture(scope="module")
def parser():
    from cxrlabel.parsers.spacy import SpacyParser

    return SpacyParser()


def _entry(finding: str) -> tuple[Mention, ...]:
    return (Mention(finding, "C0000000", "x", 0, 1, 0, 0, (0,), Label.NEGATIVE, ("no-disease",), None),)


def _memo_of_every_kind(path, fp: str) -> tuple[PersistentMemo, list[tuple]]:
    """A memo on ``path`` that holds one entry in its LRU, one in its write buffer, one only in the
    file and one damaged row in the file; the keys to look up, a missing one and repeats among them."""
    writer = PersistentMemo(path)
    for t in ("in the lru", "in the file", "damaged"):
        writer.put(SentenceMemo.key(fp, t), _entry(t))
    writer.flush()
    with sqlite3.connect(path) as conn:  # change the stored value, leave the checksum
        conn.execute("UPDATE memo SET value = replace(value, 'damaged', 'Damaged') WHERE key = ?",
                     (PersistentMemo.row_key(SentenceMemo.key(fp, "damaged")),))
    memo = PersistentMemo(path, maxsize=1)
    memo.put(SentenceMemo.key(fp, "in the buffer"), _entry("in the buffer"))
    memo.get(SentenceMemo.key(fp, "in the lru"))  # drops the buffered entry from the LRU
    assert len(memo) == 1 and memo.stored() == 3  # "in the buffer" is only in the write buffer
    memo.hits = memo.misses = 0
    texts = ["in the lru", "in the buffer", "in the file", "missing", "damaged", "in the file", "missing"]
    return memo, [SentenceMemo.key(fp, t) for t in texts]


def test_get_many_answers_each_key_as_get_does(tmp_path):
    one, keys = _memo_of_every_kind(tmp_path / "one.sqlite", "fp")
    many, _ = _memo_of_every_kind(tmp_path / "many.sqlite", "fp")
    want = [one.get(k) for k in keys]
    assert many.get_many(keys) == want
    assert [e is not None and e[0].finding for e in want] == [
        "in the lru", "in the buffer", "in the file", False, False, "in the file", False]
    assert (many.hits, many.misses) == (one.hits, one.misses) == (4, 3)
    assert len(many) == len(one) == 1


def test_a_damaged_row_is_never_used_by_get_many(tmp_path):
    memo, _ = _memo_of_every_kind(tmp_path / "m.sqlite", "fp")
    damaged = SentenceMemo.key("fp", "damaged")
    assert memo.get_many([damaged]) == [None] and memo.get_many([damaged, damaged]) == [None, None]
    assert memo.get(damaged) is None and len(memo) == 1  # never put in the LRU


def test_get_many_keeps_the_lru_order_as_get_does():
    memo = SentenceMemo(maxsize=3)
    a, b, c, d = (SentenceMemo.key("fp", t) for t in "abcd")
    for k in (a, b, c):
        memo.put(k, ())
    assert memo.get_many([a, d]) == [(), None] and (memo.hits, memo.misses) == (1, 1)
    memo.put(d, ())  # b is now the least recently used, not a
    assert memo.get_many([b, a, c, d]) == [None, (), (), ()]


def _memo_selects(memo: PersistentMemo) -> list[str]:
    seen: list[str] = []
    memo.store.conn.set_trace_callback(seen.append)
    return seen


def test_a_warm_reuse_run_asks_the_memo_file_once_per_batch(parser, tmp_path):
    from cxrlabel.gold.openi import read_openi_reports
    from cxrlabel.labeler import Labeler

    texts = [r.text for r in read_openi_reports(require_data("openi/NLMCXR_reports.tgz"))[:150]]
    path = tmp_path / "parses.sqlite"
    cold = Labeler(parser=parser, memo=PersistentMemo(path), self_check=False)
    want = [r.to_chexpert() for r in cold.iter_labels(texts, reuse=True)]
    counting = CountingParser(parser)
    memo = PersistentMemo(path)  # a new process's: its LRU is empty
    warm = Labeler(parser=counting, memo=memo, self_check=False)
    statements = _memo_selects(memo)
    assert [r.to_chexpert() for r in warm.iter_labels(texts, batch_size=64, reuse=True)] == want
    assert counting.texts == []
    selects = [s for s in statements if s.startswith("SELECT") and "FROM memo" in s]
    batches = [texts[a : a + 64] for a in range(0, len(texts), 64)]
    distinct = [{s.text for t in b for s in split_report(t) if s.text.strip()} for b in batches]
    assert len(selects) == sum(math.ceil(len(d) / QUERY_CHUNK) for d in distinct) == len(batches)
    assert sum(map(len, distinct)) > 10 * len(selects)  # was one SELECT per sentence


def _placed_in_order(parser, reports):
    """Every sentence of ``reports`` parsed in one stream in report order (no sorting)."""
    items = [(s.text, s.start, k, s.section) for t in reports for k, s in enumerate(split_report(t))]
    return parse_placed(parser, items)


def test_length_sorted_parsing_gives_the_sentences_of_report_order_parsing(parser):
    docs = list(parse_reports(MIXED, parser))
    got = [s for d in docs for s in d.sentences]
    assert len({len(s.text) for s in got}) > 5  # lengths mixed enough for the order to change
    assert got == _placed_in_order(parser, MIXED)
    assert [[s.index for s in d.sentences] for d in docs] == [list(range(len(d.sentences))) for d in docs]


def test_a_sentence_the_parser_rejects_fails_its_own_report_when_sorted(parser):
    bad = "Mild cardiomegaly. No effusion \ud800 is seen in this rather long sentence here."  # P302
    docs = list(parse_reports([MIXED[0], bad, MIXED[2]], parser))
    assert docs[0].error is None and docs[2].error is None
    assert docs[0].sentences == tuple(_placed_in_order(parser, MIXED[:1]))
    (fail,) = docs[1].failures
    assert (fail.start, fail.end) == (19, len(bad)) and "P302" in fail.error
    assert docs[1].error.startswith(f"error[I251]: parse failed for the sentence at chars 19-{len(bad)}")
    assert [s.text for s in docs[1].sentences] == ["Mild cardiomegaly."]
