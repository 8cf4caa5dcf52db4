"""A user's own gold standard read from CSV."""

from __future__ import annotations

import math

import pytest

from cxrlabel.errors import GoldError
from cxrlabel.gold import load_gold
from cxrlabel.gold.csv import load_gold_csv, parse_label


def write(tmp_path, text, name="gold.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_numbers_words_and_blanks_all_parse():
    assert [parse_label(v) for v in ("1", "0", "-1", "1.0", "-1.0", " 0 ")] == [1.0, 0.0, -1.0, 1.0, -1.0, 0.0]
    assert [parse_label(v) for v in ("Positive", "NEGATIVE", "uncertain")] == [1.0, 0.0, -1.0]
    assert all(math.isnan(parse_label(v)) for v in ("", "  ", None, float("nan")))
    for bad in ("2", "yes", "maybe", "0.5"):
        with pytest.raises(ValueError):
            parse_label(bad)


def test_finding_headers_tolerate_case_spaces_and_underscores(tmp_path):
    p = write(
        tmp_path,
        "rid,report,pleural thickening,EFFUSION,Pleural_Effusion_extra,No Finding\n"
        "a,Left apical pleural thickening.,positive,0,1,\n"
        "b,Normal chest.,,negative,1,1\n",
    )
    gold = load_gold_csv(p, text_column="report", id_column="rid")
    assert gold.findings == ("Effusion", "Pleural_Thickening")
    assert gold.ids == ("a", "b") and gold.texts[0] == "Left apical pleural thickening."
    assert gold.labels.loc["a", "Pleural_Thickening"] == 1 and math.isnan(gold.labels.loc["b", "Pleural_Thickening"])
    assert gold.labels.loc["b", "Effusion"] == 0
    assert list(gold.labels["normal"]) == [0.0, 1.0]
    assert gold.scored == ("Effusion", "Pleural_Thickening")


def test_missing_finding_columns_are_named_in_a_note(tmp_path):
    p = write(tmp_path, "id,text,Edema\n1,No edema.,0\n")
    gold = load_gold_csv(p)
    note = " ".join(gold.notes.values())
    assert "Atelectasis" in note and "Hernia" in note and "Edema" not in note.split("for", 1)[1]
    assert gold.ids == ("1",)


def test_usual_column_names_are_guessed_and_rows_numbered_without_ids(tmp_path):
    p = write(tmp_path, "Report,Mass\nA mass.,1\nNo mass.,0\n")
    gold = load_gold_csv(p)
    assert gold.ids == ("row1", "row2") and gold.texts == ("A mass.", "No mass.")


def test_missing_text_column_lists_the_columns(tmp_path):
    p = write(tmp_path, "id,body,Edema\n1,x,0\n")
    with pytest.raises(GoldError) as exc:
        load_gold_csv(p)
    assert exc.value.code == "G510" and "'body'" in str(exc.value) and "--text-column" in str(exc.value)
    with pytest.raises(GoldError) as exc:
        load_gold_csv(p, text_column="report_text")
    assert "'report_text'" in str(exc.value) and "'body'" in str(exc.value)


def test_a_bad_label_value_names_its_line_and_column(tmp_path):
    p = write(tmp_path, "id,text,Edema\n1,x,0\n2,y,probably\n")
    with pytest.raises(GoldError) as exc:
        load_gold_csv(p)
    msg = str(exc.value)
    assert exc.value.code == "G511" and ":3:" in msg and "'Edema'" in msg and "'probably'" in msg


def test_a_csv_without_finding_columns_is_refused(tmp_path):
    p = write(tmp_path, "id,text,label\n1,x,0\n")
    with pytest.raises(GoldError) as exc:
        load_gold_csv(p)
    assert exc.value.code == "G510" and "Atelectasis" in str(exc.value)


def test_empty_and_missing_files_are_gold_errors(tmp_path):
    with pytest.raises(GoldError):
        load_gold_csv(write(tmp_path, ""))
    with pytest.raises(GoldError):
        load_gold_csv(tmp_path / "absent.csv")


def test_duplicate_ids_are_refused(tmp_path):
    p = write(tmp_path, "id,text,Edema\n1,x,0\n1,y,1\n")
    with pytest.raises(GoldError) as exc:
        load_gold_csv(p)
    assert "'1'" in str(exc.value)


def test_load_gold_takes_a_csv_path_and_an_optional_test_list(tmp_path):
    p = write(tmp_path, "id,text,Edema\n1,x,0\n2,y,1\n3,z,1\n")
    ids = write(tmp_path, "3\n", "test.txt")
    gold = load_gold(str(p), testset=ids)
    assert len(gold.split("test")) == 1 and len(gold.split("dev")) == 2
    with pytest.raises(GoldError):
        load_gold(str(p), testset=write(tmp_path, "4\n", "bad.txt"))
