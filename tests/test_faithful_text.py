"""Faithful text (issue 16, item 2): format characters are removed, never turned into word
breaks, with every offset still pointing into the original report; a long sentence is split
only where a clause ends, or the report fails — it is never cut."""

from __future__ import annotations

import pytest

import cxrlabel
from cxrlabel.document import MAX_SENTENCE_CHARS, parse_report, split_report
from cxrlabel.labeler import Labeler
from cxrlabel.memo import SentenceMemo
from cxrlabel.parsers.spacy import SpacyParser
from cxrlabel.textmap import FORMAT_CHARS, TextMap
from cxrlabel.types import FINDINGS, Label

INVISIBLE = ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\x00"]
FOURTEEN = [
    "atelectasis", "cardiomegaly", "pleural effusion", "infiltrate", "mass", "nodule", "pneumonia",
    "pneumothorax", "consolidation", "edema", "emphysema", "fibrosis", "pleural thickening", "hiatal hernia",
]


@pytest.fixture(scope="module")
def parser() -> SpacyParser:
    return SpacyParser()


@pytest.fixture(scope="module")
def labeler(parser) -> Labeler:
    return Labeler(parser=parser, memo=False)


def _clean(s: str) -> str:
    return TextMap.of(s).text


@pytest.mark.parametrize("ch", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_a_format_character_inside_a_word_is_removed_and_the_finding_found(labeler, ch):
    text = f"Mild cardio{ch}megaly. No pneumo{ch}thorax."
    r = labeler.label(text)
    assert r["Cardiomegaly"] is Label.POSITIVE and r["Pneumothorax"] is Label.NEGATIVE and not r.failed
    card, ptx = r.mentions
    assert (card.text, text[card.start : card.end]) == ("cardiomegaly", f"cardio{ch}megaly")
    assert (ptx.text, text[ptx.start : ptx.end]) == ("pneumothorax", f"pneumo{ch}thorax")


def test_every_token_and_sentence_offset_points_into_the_original_text(parser):
    text = "\ufeffFINDINGS: No pleu\u00adral ef\u200bfusion.\x00 Mild\u2060 cardio\u00admegaly and\u200d edema.\nIMPRESSION: Stable."
    doc = parse_report(text, parser)
    assert [s.text for s in doc.sentences] == ["No pleural effusion.", "Mild cardiomegaly and edema.", "Stable."]
    for s in doc.sentences:
        assert _clean(text[s.start : s.end]) == s.text
        for t in s.tokens:
            assert _clean(text[t.start : t.end]) == t.text and text[t.start] not in FORMAT_CHARS
            assert s.text[s.local(t.start) : s.local(t.end, end=True)] == t.text
    assert [sec.name for sec in doc.sections] == ["FINDINGS", "IMPRESSION"]
    assert text[doc.sections[1].header_start : doc.sections[1].header_end].startswith("IMPRESSION")


def test_the_memo_and_the_cache_place_a_sentence_with_removed_characters_at_its_own_offsets(parser, tmp_path):
    texts = ["Mild cardiomegaly.", "Mild cardio\u00admegaly.", "Mild cardio\u200b\u200bmegaly."]
    lab = Labeler(parser=parser, memo=SentenceMemo())
    for _ in range(2):  # the second round comes from the memo (the sentences left unparsed)
        results = list(lab.iter_labels(texts, reuse=True))
        for text, r in zip(texts, results):
            (m,) = r.mentions
            assert r["Cardiomegaly"] is Label.POSITIVE and _clean(text[m.start : m.end]) == "cardiomegaly"
            assert (m.start, m.end) == (5, len(text) - 1)
    assert lab.memo.hits >= 3
    df = cxrlabel.label_many(texts, progress=False, cache=tmp_path / "c.sqlite")
    assert df["Cardiomegaly"].tolist() == [1.0, 1.0, 1.0] and df["error"].isna().all()


def test_a_long_sentence_keeps_its_negation_over_every_finding(labeler):
    preamble = " and ".join(["in comparison with the previous examination performed at an outside institution "
                             "and reviewed together with the clinical history provided by the referring physician"] * 5)
    text = f"When read {preamble}, there is no evidence of {', '.join(FOURTEEN[:-1])} or {FOURTEEN[-1]}."
    assert len(text) > 1000 and text.index("no evidence") < 1000 < len(text)
    r = labeler.label(text)
    assert not r.failed and [r[f] for f in FINDINGS] == [Label.NEGATIVE] * 14
    assert len(split_report(text)) == 1  # one sentence, parsed whole


def test_a_sentence_over_the_limit_is_split_after_semicolons_only(labeler):
    clause = "no pneumothorax is seen on the frontal or the lateral view of the chest today"
    text = "; ".join([clause] * (2 * MAX_SENTENCE_CHARS // len(clause) + 2)) + "."
    spans = split_report(text)
    assert len(spans) > 1 and all(len(s.text) <= MAX_SENTENCE_CHARS for s in spans)
    assert all(text[s.start : s.end] == s.text for s in spans)
    assert all(text[s.end - 1] in ";." for s in spans)  # each piece ends a clause
    r = labeler.label(text)
    assert not r.failed and r["Pneumothorax"] is Label.NEGATIVE
    assert all(m.polarity is Label.NEGATIVE for m in r.mentions)


def test_a_sentence_over_the_limit_with_no_clause_boundary_fails_and_is_never_cut(labeler):
    text = "No pneumothorax " + "and a stable appearance of the chest " * (MAX_SENTENCE_CHARS // 30) + "today."
    assert len(text) > MAX_SENTENCE_CHARS
    r = labeler.label(text)
    assert r.failed and all(r[f] is None for f in FINDINGS) and not r.normal
    assert r.error.startswith(f"error[I252]: split failed for the sentence at chars 0-{len(text)}")
    assert "break the text into sentences" in r.error


def test_a_report_of_only_format_characters_is_empty(labeler):
    r = labeler.label("\u200b\u00ad\x00\ufeff")
    assert r.failed and r.error.startswith("error[I250]")
