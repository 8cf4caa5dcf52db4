"""The sentence decision memo (issue 14): repeated sentences reuse their judged mentions,
placed at their own offsets; a changed rule set never sees the old entries."""

from __future__ import annotations

import pytest

from cxrlabel.memo import SentenceMemo, placed, relative
from conftest import CountingParser


@pytest.fixture(scope="module")
def labeler():
    from cxrlabel.labeler import Labeler

    return Labeler(memo=SentenceMemo())


def _fields(m):
    return (m.finding, m.cui, m.text, m.start, m.end, m.sentence, m.head, m.nodes, m.polarity, m.rules, m.section)


def test_a_repeated_sentence_is_judged_once_and_placed_at_its_own_offsets(labeler):
    from cxrlabel.labeler import Labeler

    text = "FINDINGS: No pneumothorax. Mild cardiomegaly.\nIMPRESSION: No pneumothorax."
    memo = labeler.memo
    before = memo.hits
    got = labeler.label(text)
    assert memo.hits > before  # the second "No pneumothorax." came from the memo
    fresh = Labeler(memo=False, self_check=False).label(text)
    assert [_fields(m) for m in got.mentions] == [_fields(m) for m in fresh.mentions]
    ptx = [m for m in got.mentions if m.finding == "Pneumothorax"]
    assert len(ptx) == 2 and ptx[0].start != ptx[1].start
    assert all(text[m.start:m.end].lower() == m.text.lower() for m in got.mentions)
    assert ptx[0].section != ptx[1].section


def test_relative_and_placed_are_inverse(labeler):
    doc = labeler.label("IMPRESSION: Small left pleural effusion.")
    sent = doc.sentences[0]
    ms = [m for m in doc.mentions if m.sentence == sent.index]
    assert placed(relative(ms, sent), sent) == ms


def test_editing_a_rule_changes_the_label_of_a_memoized_sentence(labeler, tmp_path):
    from cxrlabel.labeler import Labeler

    sentence = "No pneumothorax."
    assert labeler.label(sentence)["Pneumothorax"].value == "negative"
    # the shipped rule no-disease, edited: "no X" now makes X uncertain, ahead of negation
    rules = tmp_path / "edited.yaml"
    rules.write_text(
        'name: edited\nversion: "1"\nrules:\n'
        "  - id: no-disease\n"
        "    assigns: uncertain\n"
        "    stage: pre-negation-uncertainty\n"
        "    path: no ← * ← DISEASE\n",
        encoding="utf-8",
    )
    edited = Labeler(grammars=[rules], memo=labeler.memo, self_check=False)
    assert edited.fingerprint != labeler.fingerprint
    assert edited.label(sentence)["Pneumothorax"].value == "uncertain"
    assert labeler.label(sentence)["Pneumothorax"].value == "negative"  # the old entry still serves the old rules


def test_the_memo_drops_the_least_recently_used_entry():
    memo = SentenceMemo(maxsize=2)
    a, b, c = (SentenceMemo.key("fp", t) for t in "abc")
    memo.put(a, ())
    memo.put(b, ())
    assert memo.get(a) == ()
    memo.put(c, ())
    assert memo.get(b) is None and memo.get(a) == () and memo.get(c) == ()


def test_a_batch_parses_only_the_sentences_the_memo_lacks(labeler):
    from cxrlabel.batch import label_records
    from cxrlabel.labeler import Labeler

    counting = CountingParser(labeler.parser)
    lab = Labeler(parser=counting, memo=SentenceMemo(), self_check=False)
    reports = ["FINDINGS: No pneumothorax. Heart size is normal.", "IMPRESSION: No pneumothorax.",
               "FINDINGS: Heart size is normal. Small left pleural effusion.", "No pneumothorax."]
    records = [(f"r{k}", t) for k, t in enumerate(reports * 3)]
    rows = label_records(lab, records, batch_size=2)
    assert counting.texts.count("No pneumothorax.") == 1
    assert counting.texts.count("Heart size is normal.") == 1
    fresh = Labeler(memo=False, self_check=False)
    for (rid, text), row in zip(records, rows):
        assert {k: v for k, v in row.items() if k != "id"} == {k: v for k, v in fresh.label(text).to_chexpert().items()}, rid


def test_moving_a_mention_keeps_every_other_field_as_dataclasses_replace_does():
    from dataclasses import MISSING, fields, replace

    from cxrlabel.memo import _moved
    from cxrlabel.types import Label, Mention

    m = Mention("Effusion", "C0032227", "pleural effusion", 10, 26, 3, 5, (4, 5), Label.UNCERTAIN, ("u1", "u2"), "findings")
    got = _moved(m, 1, 17, 0, None)
    assert got == replace(m, start=1, end=17, sentence=0, section=None)
    # a field added to Mention must be carried by _moved too: every field differs from its default here
    assert all(getattr(m, f.name) != f.default for f in fields(Mention) if f.default is not MISSING)
    moved = {"start": 1, "end": 17, "sentence": 0, "section": None}
    assert [getattr(got, f.name) for f in fields(Mention)] == [moved.get(f.name, getattr(m, f.name)) for f in fields(Mention)]
