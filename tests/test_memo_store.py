"""The decision memo persisted beside the parse cache (issue 14): a later run on the same cache
file reuses judged sentences without parsing them, an edited rule never reads an old entry,
and a damaged entry is never used."""

from __future__ import annotations

import sqlite3

import pytest

from cxrlabel.memo import SentenceMemo
from cxrlabel.memo_store import PersistentMemo, decode_entry, encode_entry
from conftest import CountingParser

REPORTS = [
    "FINDINGS: No pneumothorax. Heart size is normal.",
    "IMPRESSION: Small left pleural effusion. No pneumothorax.",
    "Mild cardiomegaly. Pneumonia cannot be excluded.",
]
EDITED_RULE = (
    'name: edited\nversion: "1"\nrules:\n'
    "  - id: no-disease\n"
    "    assigns: uncertain\n"
    "    stage: pre-negation-uncertainty\n"
    "    path: no ← * ← DISEASE\n"
)


@pytest.fixture(scope="module")
def parser():
    from cxrlabel.parsers.spacy import SpacyParser

    return SpacyParser()


def _rows(labeler, reports):
    from cxrlabel.batch import label_records

    return label_records(labeler, list(enumerate(reports)))


def test_a_second_run_on_the_same_cache_file_parses_no_judged_sentence(parser, tmp_path):
    from cxrlabel.labeler import Labeler

    path = tmp_path / "parses.sqlite"
    first = _rows(Labeler(parser=parser, memo=PersistentMemo(path), self_check=False), REPORTS)
    assert PersistentMemo(path).stored() == 5  # the distinct sentences
    counting = CountingParser(parser)
    again = Labeler(parser=counting, memo=PersistentMemo(path), self_check=False)  # a new process's memo
    assert _rows(again, REPORTS) == first
    assert counting.texts == []
    fresh = Labeler(parser=parser, memo=False, self_check=False)
    assert first == [{"id": k, **fresh.label(t).to_chexpert()} for k, t in enumerate(REPORTS)]


def test_an_edited_rule_file_gets_its_own_entries_not_the_stale_ones(tmp_path):
    from cxrlabel import label_many

    path = tmp_path / "parses.sqlite"
    rules = tmp_path / "edited.yaml"  # the shipped finding-resolved, edited (no canary uses it)
    rules.write_text(
        'name: edited\nversion: "1"\nrules:\n  - id: finding-resolved\n    assigns: uncertain\n'
        "    stage: pre-negation-uncertainty\n    path: DISEASE ← nsubj|nsubjpass ← (resolve|clear)\n",
        encoding="utf-8",
    )
    text = ["The pneumothorax has resolved."]
    before = label_many(text, cache=path, progress=False)
    edited = label_many(text, cache=path, grammars=[rules], progress=False)
    again = label_many(text, cache=path, progress=False)
    assert before["Pneumothorax"].tolist() == [0.0] == again["Pneumothorax"].tolist()
    assert edited["Pneumothorax"].tolist() == [-1.0]
    with sqlite3.connect(path) as conn:
        labelers = {fp for (fp,) in conn.execute("SELECT labeler FROM memo")}
    assert len(labelers) == 2  # one fingerprint per rule set, side by side


def test_editing_the_rule_file_between_runs_changes_the_fingerprint_and_the_label(parser, tmp_path):
    from cxrlabel.labeler import Labeler

    path = tmp_path / "parses.sqlite"
    rules = tmp_path / "mine.yaml"
    rules.write_text(EDITED_RULE.replace("assigns: uncertain", "assigns: negative"), encoding="utf-8")
    one = Labeler(parser=parser, grammars=[rules], memo=PersistentMemo(path), self_check=False)
    assert _rows(one, ["No pneumothorax."])[0]["Pneumothorax"] == 0.0
    rules.write_text(EDITED_RULE, encoding="utf-8")  # the same file, edited
    two = Labeler(parser=parser, grammars=[rules], memo=PersistentMemo(path), self_check=False)
    assert two.fingerprint != one.fingerprint
    assert _rows(two, ["No pneumothorax."])[0]["Pneumothorax"] == -1.0


def test_a_damaged_entry_is_ignored_and_the_sentence_judged_again(parser, tmp_path):
    from cxrlabel.labeler import Labeler

    path = tmp_path / "parses.sqlite"
    lab = Labeler(parser=parser, memo=PersistentMemo(path), self_check=False)
    want = _rows(lab, ["No pneumothorax."])
    with sqlite3.connect(path) as conn:  # flip the stored polarity, leave the checksum
        conn.execute("UPDATE memo SET value = replace(value, '\"negative\"', '\"positive\"')")
    counting = CountingParser(parser)
    again = Labeler(parser=counting, memo=PersistentMemo(path), self_check=False)
    assert _rows(again, ["No pneumothorax."]) == want
    assert counting.texts == ["No pneumothorax."]  # the damaged entry was not used


def test_an_entry_under_another_sentence_text_is_not_used(parser, tmp_path):
    from cxrlabel.labeler import Labeler

    path = tmp_path / "parses.sqlite"
    memo = PersistentMemo(path)
    lab = Labeler(parser=parser, memo=memo, self_check=False)
    _rows(lab, ["No pneumothorax.", "Mild cardiomegaly."])
    a, b = (PersistentMemo.row_key(SentenceMemo.key(lab.fingerprint, t)) for t in ("No pneumothorax.", "Mild cardiomegaly."))
    with sqlite3.connect(path) as conn:  # move the cardiomegaly row under the other sentence's key
        conn.execute("DELETE FROM memo WHERE key = ?", (a,))
        conn.execute("UPDATE memo SET key = ? WHERE key = ?", (a, b))
    assert PersistentMemo(path).get(SentenceMemo.key(lab.fingerprint, "No pneumothorax.")) is None


def test_an_entry_survives_encoding(parser):
    from cxrlabel.labeler import Labeler
    from cxrlabel.memo import relative

    doc = Labeler(parser=parser, memo=False, self_check=False).label("FINDINGS: Small left pleural effusion, no pneumothorax.")
    sent = doc.sentences[0]
    entry = relative([m for m in doc.mentions if m.sentence == sent.index], sent)
    assert entry and decode_entry(encode_entry(entry)) == entry


def test_cache_clear_also_forgets_the_sentence_decisions(parser, tmp_path):
    from click.testing import CliRunner

    from cxrlabel.cli import main
    from cxrlabel.labeler import Labeler

    path = tmp_path / "parses.sqlite"
    _rows(Labeler(parser=parser, memo=PersistentMemo(path), self_check=False), ["No pneumothorax. Mild cardiomegaly."])
    out = CliRunner().invoke(main, ["cache", "clear", "--cache", str(path)])
    assert out.exit_code == 0 and "2 sentence decisions" in out.output, out.output
    assert PersistentMemo(path).stored() == 0


def test_a_new_process_finds_the_entries_an_earlier_process_persisted(tmp_path):
    """The memo key holds the labeler's fingerprint, so it must not depend on the process:
    set order (string hashing) changes with PYTHONHASHSEED, and a rule's scope cues are sets.
    Two processes with different seeds label the same report on one cache file; the second
    parses nothing and reads every decision back."""
    import os
    import subprocess
    import sys

    from conftest import REPO

    cache = tmp_path / "parses.sqlite"
    script = (
        "import sys, cxrlabel.labeler as L\n"
        "from cxrlabel.memo_store import PersistentMemo\n"
        "lab = L.Labeler(memo=PersistentMemo(sys.argv[1]))\n"
        "lab.ensure_checked()\n"
        "calls = []\n"
        "real = lab.parser.parse_spans\n"
        "lab.parser.parse_spans = lambda items: (calls.append(1), real(items))[1]\n"
        "res, = lab.iter_labels([sys.argv[2]], reuse=True)\n"
        "print(lab.fingerprint, res.to_chexpert()['Pneumothorax'], len(calls))\n"
    )
    out = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        proc = subprocess.run([sys.executable, "-c", script, str(cache), REPORTS[1]], env=env, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        out.append(proc.stdout.split())
    (fp1, label1, parsed1), (fp2, label2, parsed2) = out
    assert fp1 == fp2
    assert label1 == label2
    assert parsed1 != "0" and parsed2 == "0"


def test_a_batch_asks_the_memo_file_about_its_sentences_once(parser, tmp_path):
    # the batch's one lookup finds none of the new sentences; judging them must not ask the
    # file about each one again (what a cold run did for every distinct sentence)
    from cxrlabel.labeler import Labeler

    memo = PersistentMemo(tmp_path / "parses.sqlite")
    asked: list[str] = []
    memo._conn().set_trace_callback(lambda sql: asked.append(sql) if "FROM memo WHERE key" in sql else None)
    lab = Labeler(parser=parser, memo=memo, self_check=False)
    rows = _rows(lab, REPORTS)
    assert [q.split(" WHERE key ")[1][:3] for q in asked] == ["IN "]  # one batched SELECT, no single-key reads
    assert memo.stored() == 5
    assert memo.get(SentenceMemo.key(lab.fingerprint, "No pneumothorax."))
    fresh = Labeler(parser=parser, memo=False, self_check=False)
    assert rows == [{"id": k, **fresh.label(t).to_chexpert()} for k, t in enumerate(REPORTS)]
