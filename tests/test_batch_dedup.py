"""Batch-wide sentence dedup (issue 14): each distinct sentence of a run is judged once, by
whichever process takes it; parts are then labeled from those entries without parsing, with
the labels of single-process label(); a run the memo answers is attempts only."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from cxrlabel.batch import chunked, label_records
from cxrlabel.batch.dedup import Plan, judge_texts, seed, sentence_texts
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


def _drive(plan, labelers, options=None):
    """Run ``plan`` to the end, handing its tasks to ``labelers`` in turn (as the pool hands
    them to its processes); returns the rows by chunk and the kinds of task run."""
    from cxrlabel.batch import LabelOptions
    from cxrlabel.batch.dedup import run_task

    options = options or LabelOptions()
    out, kinds, turn = {}, [], 0
    while not plan.finished:
        task = plan.next_task()
        if task is None:  # the chunks ran out just now; otherwise the plan stalled
            assert plan.finished, "the plan stalled with nothing running"
            break
        kinds.append(task[0])
        result = run_task(labelers[turn % len(labelers)], task, options)
        turn += 1
        for index, rows in plan.done(task, result):
            out[index] = rows
    return out, kinds


def test_each_distinct_sentence_is_judged_once_over_all_chunks_and_processes(parser):
    from cxrlabel.labeler import Labeler

    a, b = _labeler(parser), _labeler(parser)  # two "processes"
    records = [(f"r{k}", t) for k, t in enumerate(REPORTS * 4 + [f"No pneumothorax. Nodule number {k}." for k in range(150)])]
    out, kinds = _drive(Plan(chunked(records, 70)), [a, b])
    distinct = {t for _, text in records for t in sentence_texts(text)}
    both = a.parser.texts + b.parser.texts
    assert a.parser.texts and b.parser.texts and sorted(both) == sorted(distinct)  # each once, shared
    assert sorted(out) == list(range(-(-len(records) // 70)))  # every chunk, its rows in record order
    fresh = Labeler(parser=parser, memo=False, self_check=False)
    assert [r for k in sorted(out) for r in out[k]] == label_records(fresh, records)
    assert {"attempt", "judge", "label"} <= set(kinds)


def test_a_run_the_memo_answers_only_attempts_parts_and_parses_nothing(parser):
    a, b = _labeler(parser), _labeler(parser)
    records = [(f"r{k}", t) for k, t in enumerate(REPORTS * 3)]
    first, _ = _drive(Plan(chunked(records, 5)), [a, b])
    a.parser.texts.clear(), b.parser.texts.clear()
    again, kinds = _drive(Plan(chunked(records, 5)), [a, a])  # a's memo has seen every sentence
    assert set(kinds) == {"attempt"} and a.parser.texts == [] and again == first


def test_labels_do_not_change_when_the_plan_forgets_or_looks_ahead_little(parser, monkeypatch):
    from cxrlabel.batch import dedup
    from cxrlabel.labeler import Labeler

    monkeypatch.setattr(dedup, "KEEP", 3)
    monkeypatch.setattr(dedup, "LOOKAHEAD", 2)
    monkeypatch.setattr(dedup, "PIECE", 2)
    records = [(f"r{k}", t) for k, t in enumerate(REPORTS * 3)]
    out, _ = _drive(Plan(chunked(records, 4)), [_labeler(parser), _labeler(parser)])
    fresh = Labeler(parser=parser, memo=False, self_check=False)
    assert [r for k in sorted(out) for r in out[k]] == label_records(fresh, records)


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
    from cxrlabel.document import MAX_SENTENCE_CHARS

    assert sentence_texts("No pneumothorax. " + "x" * (MAX_SENTENCE_CHARS + 10)) == ["No pneumothorax."]  # never parsed


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


def test_the_last_texts_of_a_run_are_judged_in_shrinking_pieces_so_processes_finish_together(parser):
    from cxrlabel.batch import LabelOptions, dedup

    records = [(f"r{k}", f"Nodule number {k}. Effusion number {k}.") for k in range(150)]  # 300 distinct texts
    plan = Plan(chunked(records, 1000), spread=6)
    labelers, options = [_labeler(parser), _labeler(parser)], LabelOptions()
    tasks, out = [], {}
    while not plan.finished:
        task = plan.next_task()
        tasks.append((task[0], len(task[1]) if task[0] == "judge" else len(task[2])))
        for index, rows in plan.done(task, dedup.run_task(labelers[len(tasks) % 2], task, options)):
            out[index] = rows
    last_attempt = max(k for k, (kind, _) in enumerate(tasks) if kind == "attempt")
    before = [n for kind, n in tasks[:last_attempt] if kind == "judge"]
    after = [n for kind, n in tasks[last_attempt:] if kind == "judge"]
    assert before == [dedup.PIECE] * len(before)  # full pieces while parts are still being attempted
    left, expected = 300 - sum(before), []
    while left:
        expected.append(min(left, dedup.PIECE, max(dedup.LAST_PIECE, -(-left // 6))))
        left -= expected[-1]
    assert after == expected and after[-1] <= dedup.LAST_PIECE
    assert [r for k in sorted(out) for r in out[k]] == label_records(labelers[0], records)


def test_a_part_is_labeled_where_it_was_attempted_without_the_entries_that_process_judged(parser):
    from cxrlabel.batch import LabelOptions
    from cxrlabel.batch.dedup import HERE, POOL, run_task
    from cxrlabel.labeler import Labeler

    records = [(f"r{k}", t) for k, t in enumerate(REPORTS * 4 + [f"No pneumothorax. Nodule number {k}." for k in range(150)])]
    labelers, options = {HERE: _labeler(parser), POOL: _labeler(parser)}, LabelOptions()
    plan = Plan(chunked(records, 40), alone=(HERE, POOL))  # two one-process takers, in turn
    attempter, judged, labels, out, turn = {}, {HERE: set(), POOL: set()}, [], {}, 0
    while not plan.finished:
        taker = (HERE, POOL)[turn % 2]
        turn += 1
        task = plan.next_task(taker)
        if task is None:
            continue
        result = run_task(labelers[taker], task, options)
        if task[0] == "attempt" and result[0] == "need":
            attempter[task[1]] = taker
        elif task[0] == "judge":
            judged[taker].update(task[1])
        elif task[0] == "label":
            labels.append((taker, task[1], set(task[3])))
        for index, rows in plan.done(task, result, taker):
            out[index] = rows
    assert labels and all(attempter[pid] == taker for taker, pid, _ in labels)  # its splits are there
    assert all(not (sent & judged[taker]) for taker, _, sent in labels)  # its memo has those
    assert any(sent for _, _, sent in labels)  # and the other's entries do travel
    fresh = Labeler(parser=parser, memo=False, self_check=False)
    assert [r for k in sorted(out) for r in out[k]] == label_records(fresh, records)


def test_a_label_task_carries_every_entry_when_its_taker_is_many_processes(parser):
    from cxrlabel.batch import LabelOptions
    from cxrlabel.batch.dedup import POOL, run_task

    records = [(f"r{k}", f"Nodule number {k}. No pneumothorax.") for k in range(100)]
    plan, options, pool = Plan(chunked(records, 1000)), LabelOptions(), _labeler(parser)  # alone: nobody
    needed = {}
    while not plan.finished:
        task = plan.next_task(POOL)
        result = run_task(pool, task, options)
        if task[0] == "attempt":
            needed[task[1]] = set(result[1])
        elif task[0] == "label":
            assert set(task[3]) == needed[task[1]]  # another worker of the pool may label it
        list(plan.done(task, result, POOL))


def test_the_last_parts_of_a_run_are_cut_small_and_their_rows_come_back_whole_and_in_order(parser):
    from cxrlabel.batch import LabelOptions, dedup
    from cxrlabel.labeler import Labeler

    records = [(f"r{k}", f"No pneumothorax. Nodule number {k % 90}.") for k in range(300)]
    lab = _labeler(parser)
    for run in ("cold", "warm"):  # the second run: every part's attempt gives its rows
        plan = Plan(chunked(records, 100), spread=4)
        sizes, out = [], {}
        while not plan.finished:
            task = plan.next_task()
            if task[0] == "attempt":
                sizes.append(len(task[2]))
            for index, rows in plan.done(task, dedup.run_task(lab, task, LabelOptions())):
                out[index] = rows
        # chunks of 100: parts of 64 and 36; the last 4 (spread) are cut into parts of 16 when handed out
        assert sizes == [64, 36] + ([16] * 6 + [4]) * 2, (run, sizes)
        assert sorted(out) == [0, 1, 2]
        fresh = Labeler(parser=parser, memo=False, self_check=False)
        assert [r for k in sorted(out) for r in out[k]] == label_records(fresh, records), run


def test_labeling_from_the_memo_alone_parses_nothing_and_stops_at_the_first_batch_it_cannot_answer(parser):
    from cxrlabel.memo import MemoMiss

    lab = _labeler(parser)
    known = [t for t in REPORTS if isinstance(t, str)]
    want = [r.to_chexpert() for r in lab.iter_labels(known, reuse=True)]  # fills the memo
    lab.parser.texts.clear()
    assert [r.to_chexpert() for r in lab.iter_labels(known, memo_only=True)] == want and lab.parser.texts == []
    with pytest.raises(MemoMiss):
        list(lab.iter_labels([*known, "A new sentence about a nodule."], batch_size=100, memo_only=True))
    assert lab.parser.texts == []
    with pytest.raises(MemoMiss):  # label_records passes it on, rather than labeling report by report
        label_records(lab, [("a", "Heart size is normal."), ("b", "Another new sentence.")], memo_only=True)
    assert lab.parser.texts == []
