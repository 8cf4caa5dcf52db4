"""Class 8 of issue 12: MIMIC-CXR-style report layout. The reports below were written for these
tests in that layout (headers on their own lines, ``___`` de-identification blanks, WET READ
blocks, numbered impressions); none is copied from a data set."""

import pytest

from cxrlabel.io import read_reports
from cxrlabel.labeler import Labeler
from cxrlabel.sections import find_sections, select_sections
from cxrlabel.types import Label

NEG, POS, UNC = Label.NEGATIVE, Label.POSITIVE, Label.UNCERTAIN

FULL = """                                 FINAL REPORT
 EXAMINATION:  CHEST (PA AND LAT)

 INDICATION:  ___ year old man with fever and cough, eval for pneumonia

 TECHNIQUE:  Chest PA and lateral

 COMPARISON:  Chest radiograph from ___.

 FINDINGS:

 Heart size is normal.  There is no focal consolidation, pleural effusion or
 pneumothorax.  Dr. ___ was informed at 10:15.

 IMPRESSION:

 1.no acute cardiopulmonary process. 2.possible trace left effusion.
"""

WET = """WET READ: ___ ___ 9:15 PM
  no pneumothorax, possible right lower lobe pneumonia
______________________________________________________________________________
                                 FINAL REPORT
 indication: shortness of breath, rule out pneumonia.
 findings: mild pulmonary edema. no pneumonia.
"""

NO_FINDINGS_HEADER = """HISTORY: r/o pneumonia

Portable chest. The lungs are clear. No pleural effusion.
"""

REASON_ONLY = """REASON FOR EXAMINATION: fever, evaluate for pneumonia.

The lungs are clear. Small left pleural effusion.
"""

CORPUS = {
    "full": (FULL, ["FINAL REPORT", "EXAMINATION", "INDICATION", "TECHNIQUE", "COMPARISON", "FINDINGS", "IMPRESSION"],
             ["FINDINGS", "IMPRESSION"]),
    "wet-read": (WET, ["WET READ", "FINAL REPORT", "INDICATION", "FINDINGS"], ["FINDINGS"]),
    "history-only": (NO_FINDINGS_HEADER, ["HISTORY", None], [None]),
    "reason-only": (REASON_ONLY, ["REASON FOR EXAM", None], [None]),
}


@pytest.fixture(scope="module")
def lab():
    return Labeler()


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_the_sections_of_mimic_style_reports(name):
    text, found, selected = CORPUS[name]
    assert [s.name for s in find_sections(text)] == found
    assert [s.name for s in select_sections(text)] == selected


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_the_indication_never_reaches_the_labels(lab, name):
    text = CORPUS[name][0]
    r = lab.label(text)
    assert r["Pneumonia"] in (None, NEG)
    assert all(m.section not in ("INDICATION", "HISTORY", "REASON FOR EXAM") for m in r.mentions)


def test_a_full_mimic_style_report_is_labeled_from_findings_and_impression(lab):
    r = lab.label(FULL)
    assert (r["Cardiomegaly"], r["Consolidation"], r["Pneumothorax"], r["Effusion"]) == (NEG, NEG, NEG, UNC)


def test_the_wet_read_is_superseded_by_the_final_report(lab):
    r = lab.label(WET)
    assert (r["Edema"], r["Pneumonia"], r["Pneumothorax"]) == (POS, NEG, None)


def test_lower_case_headers_after_a_sentence_end_are_headers():
    text = "comparison: none. findings: mild edema. impression: edema."
    assert [s.name for s in find_sections(text)] == ["COMPARISON", "FINDINGS", "IMPRESSION"]


def test_a_wrapped_indication_line_continues_in_lower_case():
    text = "INDICATION: ___ year old woman with\n shortness of breath\n\nLungs are clear."
    sections = find_sections(text)
    assert sections[0].name == "INDICATION" and "shortness of breath" in sections[0].text(text)
    assert [s.text(text) for s in select_sections(text)] == ["Lungs are clear."]


def test_a_sectioned_csv_combines_findings_and_impression_and_keeps_the_study_id(tmp_path):
    path = tmp_path / "sections.csv"
    path.write_text(
        "study,impression,findings,comparison\n"
        's5001,"No acute process.","Mild pulmonary edema. No effusion.",___\n'
        's5002,"Possible small effusion.",,\n',
        encoding="utf-8",
    )
    rows = list(read_reports(path))
    assert [r.id for r in rows] == ["s5001", "s5002"]
    assert rows[0].text == "FINDINGS: Mild pulmonary edema. No effusion.\n\nIMPRESSION: No acute process."
    assert rows[1].text == "IMPRESSION: Possible small effusion."
    assert [s.name for s in select_sections(rows[0].text)] == ["FINDINGS", "IMPRESSION"]


def test_a_sectioned_csv_labels_both_sections(tmp_path, lab):
    path = tmp_path / "sections.csv"
    path.write_text('study_id,findings,impression\n7,"Moderate cardiomegaly.","No pneumothorax."\n', encoding="utf-8")
    (row,) = read_reports(path)
    r = lab.label(row.text)
    assert (r["Cardiomegaly"], r["Pneumothorax"]) == (POS, NEG)
