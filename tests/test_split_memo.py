"""Sentence splitting memoized per section text (issue 14) gives exactly the splitter's spans."""

from __future__ import annotations

from cxrlabel.document import section_spans
from cxrlabel.sections import select_sections
from cxrlabel.sentences import sentence_spans


def _check(text: str) -> int:
    n = 0
    for sec in select_sections(text):
        assert section_spans(text, sec.start, sec.end) == sentence_spans(text, sec.start, sec.end), (text, sec)
        n += 1
    return n


def test_memoized_split_equals_the_splitter_on_tricky_texts():
    texts = [
        "No pneumothorax.",
        "FINDINGS: 1. No effusion. 2) No pneumothorax.\nIMPRESSION: No acute disease.",
        "IMPRESSION:\n- Mild cardiomegaly.\n- Small left effusion",
        "FINDINGS: lungs are clear Heart size normal.\n\nIMPRESSION: 1.Stable. 2., Mild edema.",
        "x.\"No effusion 2) No pneumothorax",
    ]
    for t in texts + [t for t in texts]:  # the second pass is answered from the memo
        _check(t)


def test_memoized_split_equals_the_splitter_on_every_openi_report(data_path):
    from cxrlabel.gold.openi import read_openi_reports

    reports = read_openi_reports(data_path("openi/NLMCXR_reports.tgz"))
    assert sum(_check(r.text) for r in reports) > 3000
