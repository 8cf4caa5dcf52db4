"""Section scanning and sentence splitting do work proportional to the report's length.

No clock here (speed is ``benchmarks/bench_scaling.py``'s job): the work is counted as the
Python lines executed (``sys.settrace``), which is deterministic. Doubling an input may at most
roughly double the count; the quadratic scans this replaces grew it fourfold. The inputs are
the shapes that were quadratic: a report of many ``FINDINGS`` lines, many colon headers on one
line, and a long blank run before a line break (which the hard-break pattern retried from every
blank).
"""

from __future__ import annotations

import sys
from typing import Callable

import pytest

from cxrlabel import document
from cxrlabel.document import split_report
from cxrlabel.sections import find_sections
from cxrlabel.sentences import sentence_spans


def _lines_run(fn: Callable[[], object]) -> int:
    count = 0

    def tracer(frame, event, arg):  # noqa: ANN001 - sys.settrace's signature
        nonlocal count
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(None)
    return count


SHAPES: dict[str, Callable[[int], str]] = {
    "findings_lines": lambda n: "FINDINGS\n" * n,
    "colon_headers_on_one_line": lambda n: "Findings: no effusion. " * n,
    "inline_comparisons": lambda n: "FINDINGS: Comparison: none. Lungs clear. " * n,
    "colons_without_line_breaks": lambda n: "FINDINGS: a: b: c. " * n,
    "concatenated_reports": lambda n: "INDICATION: cough\n\nFINDINGS: No effusion.\nIMPRESSION: Normal.\n\n" * n,
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_section_scanning_work_grows_linearly_with_the_report(shape):
    small, large = SHAPES[shape](400), SHAPES[shape](800)
    assert find_sections(large)  # headers are found at all
    ratio = _lines_run(lambda: find_sections(large)) / _lines_run(lambda: find_sections(small))
    assert ratio < 2.3, ratio


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_report_splitting_work_grows_linearly_with_the_report(shape):
    small, large = SHAPES[shape](200), SHAPES[shape](400)
    split_report(small), split_report(large)  # the split memo warm for both, like in a batch

    def split(text: str) -> None:  # the splitting itself: not the memo of whole reports
        document._prepare_memo.cache_clear()
        split_report(text)

    ratio = _lines_run(lambda: split(large)) / _lines_run(lambda: split(small))
    assert ratio < 2.3, ratio


BODIES: dict[str, Callable[[int], str]] = {
    "sentences": lambda n: "No pleural effusion. Heart size normal; lungs clear.\n" * n,
    "blank_runs_before_breaks": lambda n: "Stable" + " \t" * 20 + "\nLungs clear" * n,
    "numbered_list": lambda n: "".join(f"{k % 9 + 1}. No effusion.\n" for k in range(n)),
    "run_on_dictation": lambda n: "no focal infiltrates Emphysema is present " * n,
}


@pytest.mark.parametrize("shape", sorted(BODIES))
def test_sentence_splitting_work_grows_linearly_with_the_text(shape):
    small, large = BODIES[shape](200), BODIES[shape](400)
    sentence_spans(small)  # the Punkt tokenizer built
    ratio = _lines_run(lambda: sentence_spans(large)) / _lines_run(lambda: sentence_spans(small))
    assert ratio < 2.3, ratio


def test_findings_lines_are_each_a_header_and_nothing_is_lost():
    sections = find_sections("FINDINGS\n" * 3000)
    assert len(sections) == 3000 and {s.name for s in sections} == {"FINDINGS"}


def test_a_long_blank_run_before_a_line_break_still_breaks_the_line():
    # the break before "Lungs" is found from the run's start, also deep inside a long run
    text = "No effusion" + " " * 50_000 + "\nLungs are clear"
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ["No effusion", "Lungs are clear"]
    # starting the split inside the run finds the same break
    assert sentence_spans(text, 20_000) == [spans[1]]


def test_a_piece_starting_inside_a_blank_run_breaks_at_that_run_like_before():
    text = "No.    \n  Pleural effusion.\tStable   \nHeart normal"
    expected = ["Pleural effusion.", "Stable", "Heart normal"]
    for start in range(3, 8):  # every start inside the first blank run
        assert [text[a:b] for a, b in sentence_spans(text, start)] == expected
