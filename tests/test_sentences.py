"""Punkt sentence splitting tuned for radiology text (parameters kept in the repo)."""

from __future__ import annotations

import pytest

from cxrlabel.sentences import sentence_spans, split_sentences


@pytest.mark.parametrize(
    "text,expected",
    [
        (
            "1. Left pleural effusion. 2. Cardiomegaly without overt edema.",
            ["Left pleural effusion.", "Cardiomegaly without overt edema."],
        ),
        ("1) No effusion 2) No pneumothorax", ["No effusion", "No pneumothorax"]),
        ("1.Severe arthritis. 2., Mild deformity.", ["Severe arthritis.", "Mild deformity."]),
        (
            "1. Left pleural effusion with adjacent atelectasis. Right effusion is also present.\n\n2. Cardiomegaly.",
            ["Left pleural effusion with adjacent atelectasis.", "Right effusion is also present.", "Cardiomegaly."],
        ),
        ("- Normal heart\n- No effusion\n* clear lungs\n\u2022 no edema", ["Normal heart", "No effusion", "clear lungs", "no edema"]),
        ("XXXX XXXX are normal. No XXXX pneumothorax", ["XXXX XXXX are normal.", "No XXXX pneumothorax"]),
        ("Heart size normal\nLungs clear", ["Heart size normal", "Lungs clear"]),
        ("There is a small\nleft effusion.", ["There is a small\nleft effusion."]),
        ("There is no\nXXXX pneumothorax. Right\nPICC line in place", ["There is no\nXXXX pneumothorax.", "Right\nPICC line in place"]),
        ("No focal infiltrates Emphysema is present.", ["No focal infiltrates", "Emphysema is present."]),
        ("No evidence of Pneumonia.", ["No evidence of Pneumonia."]),
        ("Dr. XXXX was notified at 9 a.m. today. Stable.", ["Dr. XXXX was notified at 9 a.m. today.", "Stable."]),
        ("Nodule measures 5 mm. No effusion.", ["Nodule measures 5 mm.", "No effusion."]),
        ("Nodule measures 1.5 cm in diameter", ["Nodule measures 1.5 cm in diameter"]),
        ("Compared to prior study, e.g. from 2010, stable.", ["Compared to prior study, e.g. from 2010, stable."]),
        ("No acute bone abnormality..", ["No acute bone abnormality.."]),
        ("  \n ", []),
        ("...", []),
    ],
)
def test_radiology_sentence_splitting(text, expected):
    assert split_sentences(text) == expected


def test_list_numbers_never_become_sentences_or_glue_items_together():
    text = "IMPRESSION: 1. Stable mild cardiomegaly. 2. Hyperexpanded but clear lungs. 3. No edema"
    sents = split_sentences(text)
    assert not any(s.strip().rstrip(".").isdigit() for s in sents)
    assert sents[-3:] == ["Stable mild cardiomegaly.", "Hyperexpanded but clear lungs.", "No edema"]


def test_spans_are_offsets_into_the_given_text_within_the_range():
    text = "FINDINGS: No effusion. Clear lungs. IMPRESSION: Normal."
    spans = sentence_spans(text, 10, 36)
    assert [text[a:b] for a, b in spans] == ["No effusion.", "Clear lungs."]
    assert all(10 <= a < b <= 36 for a, b in spans)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PIECES = st.sampled_from(
    ["No", "effusion", "XXXX", "Left", "lung", "1.", "2)", "-", "*", "\u2022", ".", ",", ":", "Dr.", "e.g.",
     "FINDINGS:", "IMPRESSION", "\n", "\n\n", "  ", "5 mm.", "\x00", "\u200b", "é", "Emphysema"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES, max_size=40).map(" ".join))
def test_spans_are_ordered_trimmed_disjoint_and_inside_the_text(text):
    spans = sentence_spans(text)
    prev_end = 0
    for a, b in spans:
        assert prev_end <= a < b <= len(text)
        assert not text[a].isspace() and not text[b - 1].isspace()
        prev_end = b


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_split_report_never_crashes_and_keeps_offsets(text):
    from cxrlabel.document import split_report

    from cxrlabel.textmap import TextMap

    for s in split_report(text):
        # format characters are removed (at s.gaps); every other character keeps its place
        assert len(s.text) + sum(n for _, n in s.gaps) == s.end - s.start and 0 <= s.start < s.end <= len(text)
        assert all(c == d or c == " " for c, d in zip(s.text, TextMap.of(text[s.start : s.end]).text))
