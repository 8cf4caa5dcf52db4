"""One list of text/id column guesses (``cxrlabel.columns``), read the same by every table reader."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxrlabel.columns import ID_COLUMN_GUESSES, TEXT_COLUMN_GUESSES, pick_column
from cxrlabel.errors import GoldError, InputError
from cxrlabel.gold.csv import load_gold_csv
from cxrlabel.io import read_reports

ROOT = Path(__file__).resolve().parents[1]


def test_a_wanted_column_matches_exactly_then_ignoring_case_and_spaces():
    assert pick_column(["Text", "text"], "text", TEXT_COLUMN_GUESSES) == "text"
    assert pick_column([" Report Body ", "id"], "report body", TEXT_COLUMN_GUESSES) == " Report Body "
    assert pick_column(["a", "b"], "c", TEXT_COLUMN_GUESSES) is None


def test_the_first_guess_present_wins_whatever_the_column_order():
    assert pick_column(["TEXT", "Report"], None, TEXT_COLUMN_GUESSES) == "Report"
    assert pick_column(["uid", "Study_ID"], None, ID_COLUMN_GUESSES) == "Study_ID"
    assert pick_column(["body"], None, TEXT_COLUMN_GUESSES) is None


def test_the_guesses_hold_every_name_any_reader_knew_before():
    assert {"report", "reports", "text", "report_text", "impression", "findings", "report impression",
            "note", "findings_impression"} == set(TEXT_COLUMN_GUESSES)
    assert {"id", "report_id", "study_id", "studyid", "study", "filename", "file", "uid", "accession"} == set(ID_COLUMN_GUESSES)


@pytest.mark.parametrize(
    ("header", "text", "rid"),
    [
        ("Study_ID,Findings_Impression,Edema", "No edema.", "s1"),
        ("accession,Note,Edema", "No edema.", "s1"),
        ("report_id,report,text,Edema", "No edema.", "s1"),
    ],
)
def test_the_label_reader_and_the_gold_reader_pick_the_same_columns(tmp_path, header, text, rid):
    cells = {"Edema": "0"}
    names = header.split(",")
    row = [rid if k == 0 else (text if k == 1 else cells.get(n, "other")) for k, n in enumerate(names)]
    p = tmp_path / "t.csv"
    p.write_text(header + "\n" + ",".join(row) + "\n", encoding="utf-8")
    (rec,) = list(read_reports(p))
    gold = load_gold_csv(p)
    assert (rec.id, rec.text) == (rid, text)
    assert gold.ids == (rid,) and gold.texts == (text,)


def test_a_missing_wanted_column_keeps_each_reader_s_own_code(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("id,text,Edema\n1,x,0\n", encoding="utf-8")
    with pytest.raises(InputError) as a:
        list(read_reports(p, column="body"))
    with pytest.raises(GoldError) as b:
        load_gold_csv(p, text_column="body")
    assert (a.value.code, b.value.code) == ("I205", "G510")


def test_no_other_module_keeps_its_own_list_of_guesses():
    found = []
    for pkg in ("cxrlabel", "cxrlabel_vision"):
        for path in sorted((ROOT / pkg).rglob("*.py")):
            if path.name == "columns.py":
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if re.search(r"""["'](report_text|report_id|findings_impression)["']""", line):
                    found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, "import the guesses from cxrlabel.columns:\n" + "\n".join(found)
