"""Hypothesis round trips of the input readers: reports with random ids written through
Python's csv writer in random dialects (or as JSONL, or as .txt files) read back as the same
ids and the same texts, in order, none lost, merged or shifted."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxrlabel.io import DELIMITERS, read_reports

# report text: anything a report may hold (quotes, delimiters, newlines, non-ASCII), but no NUL
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=80).filter(
    lambda t: t.strip() and not t.startswith("\ufeff")
)
IDS = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./", min_size=1, max_size=12)
REPORTS = st.lists(st.tuples(IDS, TEXT), min_size=1, max_size=12)
# Python's csv writer leaves a bare CR unquoted when its lineterminator is "\n", which no reader
# can tell from a line end (RFC 4180 wants it quoted): such a text is written with "\r\n" lines.


def _terminator(rows, wanted: str) -> str:
    return "\r\n" if any("\r" in cell for row in rows for cell in row) else wanted


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _tmp(name: str, data: bytes) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="cxrfuzz"))
    (folder / name).write_bytes(data)
    return folder / name


@SETTINGS
@given(
    reports=REPORTS,
    delimiter=st.sampled_from(DELIMITERS),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    terminator=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
    blanks=st.sets(st.integers(0, 11), max_size=3),
    tsv=st.booleans(),
)
def test_a_csv_in_any_dialect_reads_back_the_same_ids_and_texts(reports, delimiter, quoting, terminator, bom, blanks, tsv):
    buf = io.StringIO()
    terminator = _terminator(reports, terminator)
    w = csv.writer(buf, delimiter=delimiter, quoting=quoting, lineterminator=terminator)
    w.writerow(["id", "report"])
    for k, row in enumerate(reports):
        w.writerow(row)
        if k in blanks:
            buf.write(terminator)
    name = "r.tsv" if tsv and delimiter == "\t" else "r.csv"
    path = _tmp(name, (b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    assert [(r.id, r.text, r.error) for r in read_reports(path)] == [(i, t, None) for i, t in reports]


@SETTINGS
@given(texts=st.lists(TEXT, min_size=1, max_size=12), quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
def test_a_headerless_csv_reads_back_every_report_with_row_number_ids(texts, quoting):
    buf = io.StringIO()
    csv.writer(buf, quoting=quoting, lineterminator=_terminator([texts], "\n")).writerows([t] for t in texts)
    path = _tmp("r.csv", buf.getvalue().encode("utf-8"))
    assert [(r.id, r.text) for r in read_reports(path, header=False)] == [(str(k), t) for k, t in enumerate(texts, 1)]


@SETTINGS
@given(reports=REPORTS, ascii_only=st.booleans(), blanks=st.sets(st.integers(0, 11), max_size=3), key=st.sampled_from(["report", "text", "impression"]))
def test_jsonl_reads_back_the_same_ids_and_texts(reports, ascii_only, blanks, key):
    lines = []
    for k, (rid, text) in enumerate(reports):
        lines.append(json.dumps({"id": rid, key: text}, ensure_ascii=ascii_only))
        if k in blanks:
            lines.append("")
    path = _tmp("r.jsonl", ("\n".join(lines) + "\n").encode("utf-8"))
    assert [(r.id, r.text, r.error) for r in read_reports(path)] == [(i, t, None) for i, t in reports]


@SETTINGS
@given(text=TEXT)
def test_a_txt_file_reads_back_byte_for_byte(text):
    path = _tmp("one.txt", text.encode("utf-8"))
    assert [(r.id, r.text) for r in read_reports(path)] == [("one", text)]


@SETTINGS
@given(texts=st.lists(TEXT, min_size=1, max_size=6))
def test_header_detection_never_eats_a_report_silently(texts):
    from cxrlabel.columns import ID_COLUMN_GUESSES, TEXT_COLUMN_GUESSES
    from cxrlabel.errors import InputError

    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows([t] for t in texts)
    path = _tmp("r.csv", buf.getvalue().encode("utf-8"))
    try:
        got = [r.text for r in read_reports(path)]
    except InputError as err:  # in doubt: asks for --header / --no-header
        assert err.code == "I242"
        return
    if got == texts:
        return
    # the first row was taken as a header only because it is a column name cxrlabel knows
    assert " ".join(texts[0].split()).lower() in TEXT_COLUMN_GUESSES + ID_COLUMN_GUESSES and got == texts[1:]
