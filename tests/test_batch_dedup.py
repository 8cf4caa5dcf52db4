"""Batch-wide sentence dedup (issue 14): the parent sends each distinct sentence of a run to
be judged once; the chunks are then labeled from those entries without parsing, with the
labels of single-process label()."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from cxrlabel.batch import chunked, label_records
from cxrlabel.batch.dedup import deduped_chunks, judge_texts, seed, sentence_texts
from cxrlabel.memo import SentenceMemo
from conftest import CountingParser

REPORTS = [
    "FINDINGS: No pneumothorax. Heart size is normal.",
    "IMPRESSION: No pneumothorax.",
    "FINDINGS: Heart size is normal. Small left pleural effusion.\nIMPRESSION: Small left pleural effusion.",
    "No pneumothorax. Mild cardiomegaly.",
    "",
    None,
]


@pytest.fixture(scope="module")
def parser():
    from cxrlabel.parsers.spacy import SpacyParser

    return SpacyParser()


def _labeler(parser):
    from cxrlabel.labeler import Labeler

    return Labeler(parser=CountingParser(parser), memo=SentenceMemo(), self_check=False)


def test_each_distinct_sentence_is_judged_once_and_chunks_are_labeled_without_parsing(parser):
    from cxrlabel.labeler import Labeler

    judging, labeling = _labeler(parser), _labeler(parser)  # two "workers"
    records = [(f"r{k}", t) for k, t in enumerate(REPORTS * 4)]
    with ThreadPoolExecutor(1) as ex:
        planned = list(deduped_chunks(chunked(records, 3), lambda texts: ex.submit(lambda: (judge_texts(judging, texts), 0)), jobs=2))
    distinct = {t for _, text in records for t in sentence_texts(text)}
    assert sorted(judging.parser.texts) == sorted(distinct)  # each once, over all chunks
    rows = []
    for (_, recs), entries in planned:
        seed(labeling, entries)
        rows += label_records(labeling, recs)
    assert labeling.parser.texts == []
    fresh = Labeler(parser=parser, memo=False, self_check=False)
    assert rows == label_records(fresh, records)


def test_this_process_takes_the_pieces_no_worker_started_and_nothing_is_judged_twice(parser):
    import threading

    from cxrlabel.labeler import Labeler

    worker, here = _labeler(parser), _labeler(parser)
    records = [(f"r{k}", t) for k, t in enumerate(REPORTS * 4 + [f"No pneumothorax. Nodule number {k}." for k in range(200)])]
    busy = threading.Event()

    def local(texts):
        busy.set()  # the "worker" may start once this process has taken its first piece
        return judge_texts(here, texts), 0

    with ThreadPoolExecutor(1) as ex:
        ex.submit(busy.wait)
        planned = list(deduped_chunks(chunked(records, 8), lambda texts: ex.submit(lambda: (judge_texts(worker, texts), 0)),
                                      jobs=2, local=local))
    distinct = {t for _, text in records for t in sentence_texts(text)}
    both = worker.parser.texts + here.parser.texts
    assert here.parser.texts and sorted(both) == sorted(distinct)  # each once, shared between the two
    fresh = Labeler(parser=parser, memo=False, self_check=False)
    labeling = _labeler(parser)
    rows = []
    for (_, recs), entries in planned:
        seed(labeling, entries)
        rows += label_records(labeling, recs)
    assert labeling.parser.texts == [] and rows == label_records(fresh, records)


def test_a_sentence_the_parser_fails_on_has_no_entry_and_its_report_keeps_the_error(parser):
    class Failing(CountingParser):
        def parse(self, texts):
            texts = list(texts)
            if any("effusion" in t for t in texts):
                raise ValueError("cannot parse this")
            return super().parse(texts)

    from cxrlabel.labeler import Labeler

    lab = Labeler(parser=Failing(parser), memo=SentenceMemo(), self_check=False)
    got = judge_texts(lab, ["No pneumothorax.", "Small left pleural effusion."])
    assert got[0] is not None and got[1] is None
    labeling = Labeler(parser=Failing(parser), memo=SentenceMemo(), self_check=False)
    seed(labeling, {"No pneumothorax.": got[0]})
    row = label_records(labeling, [("a", "No pneumothorax. Small left pleural effusion.")])[0]
    # a report with a failed sentence is never a label (issue 16): blank cells and the error
    assert row["Pneumothorax"] is None and row["No Finding"] is None and "cannot parse this" in row["error"]


def test_sentence_texts_are_those_the_labeler_parses(parser):
    from cxrlabel.labeler import Labeler

    text = "FINDINGS: Heart size is normal.\n\nIMPRESSION: No acute disease. No pneumothorax."
    doc = Labeler(parser=parser, memo=False, self_check=False).label(text)
    assert sentence_texts(text) == [s.text for s in doc.sentences]
    assert sentence_texts(None) == [] and sentence_texts(b"\xff") == []


@pytest.mark.slow
@pytest.mark.data
def test_two_workers_with_dedup_give_single_process_labels_on_openi(data_path, tmp_path):
    import cxrlabel
    from cxrlabel.gold.openi import read_openi_reports

    texts = [r.text for r in read_openi_reports(data_path("openi/NLMCXR_reports.tgz"))[::20]]  # ~200 reports
    df = cxrlabel.label_many(texts, jobs=2, chunk_size=16, progress=False, cache=None)
    lab = cxrlabel.Labeler()
    want = [lab.label(t).to_chexpert() for t in texts]
    got = [{k: v for k, v in row.items() if k in want[0]} for row in df.to_dict("records")]
    norm = lambda d: {k: (None if v != v else v) for k, v in d.items()}  # noqa: E731 (NaN → None)
    assert [norm(g) for g in got] == [norm(w) for w in want]
    assert df["error"].isna().all()
