"""Reading reports in every accepted input form, and writing label tables."""

import io

import pytest

from cxrlabel.errors import InputError
from cxrlabel.io import decode_bytes, read_reports, write_rows


def test_headerless_one_column_csv_is_detected_like_the_chexpert_labeler(data_path):
    path = data_path("chexpert_samples/chexpert-labeler/sample_reports.csv")
    recs = list(read_reports(path))
    assert len(recs) == 4
    assert recs[0].id == "1"
    assert recs[0].text.startswith("Heart size normal and lungs are clear.")
    assert "Cardiomegaly without overt edema." in recs[1].text  # multi-line quoted cell kept whole


def test_csv_with_header_uses_the_only_text_column_and_the_id_column(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text('id,report\nA1,"No pneumothorax."\nA2,"Mild cardiomegaly."\n')
    recs = list(read_reports(p))
    assert [(r.id, r.text) for r in recs] == [("A1", "No pneumothorax."), ("A2", "Mild cardiomegaly.")]


def test_ambiguous_text_column_is_an_error_listing_the_columns(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("a,b,c\nx,y,z\n")
    with pytest.raises(InputError) as err:
        list(read_reports(p))
    assert err.value.code == "I206" and "a, b, c" in str(err.value)


def test_unknown_column_names_the_existing_columns(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("id,report\n1,x\n")
    with pytest.raises(InputError, match="columns are: id, report"):
        list(read_reports(p, column="findings_text"))


def test_short_row_becomes_an_error_record_and_the_rest_proceed(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("id,report,site\n1,No effusion.,x\n2\n3,Edema.,y\n")
    recs = list(read_reports(p, column="report"))
    assert [r.error is None for r in recs] == [True, False, True]
    assert recs[2].text == "Edema."


def test_non_utf8_bytes_name_the_file_and_offset(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_bytes(b"No effusion \xff\xfe.")
    with pytest.raises(InputError) as err:
        list(read_reports(p))
    assert err.value.code == "I201" and "offset 12" in str(err.value)
    assert decode_bytes(b"caf\xe9", source="x", encoding="latin-1") == "café"


def test_directory_of_txt_files_keeps_going_past_a_bad_file(tmp_path):
    (tmp_path / "a.txt").write_text("No effusion.")
    (tmp_path / "b.txt").write_bytes(b"\xff")
    (tmp_path / "c.txt").write_text("Edema.")
    recs = list(read_reports(tmp_path))
    assert [r.id for r in recs] == ["a", "b", "c"]
    assert recs[1].error and "I201" in recs[1].error


def test_stdin_is_one_report():
    (rec,) = read_reports("-", stdin=io.BytesIO(b"No pneumothorax."))
    assert rec.text == "No pneumothorax."


def test_csv_output_uses_chexpert_codes_and_blank_for_unmentioned():
    out = io.StringIO()
    write_rows([{"id": "1", "Effusion": 1.0, "Edema": -1.0, "Atelectasis": 0.0, "Mass": None}], out)
    header, row = out.getvalue().splitlines()
    cells = dict(zip(header.split(","), row.split(",")))
    assert cells["Effusion"] == "1" and cells["Edema"] == "-1" and cells["Atelectasis"] == "0"
    assert cells["Mass"] == "" and cells["No Finding"] == ""


def test_jsonl_output_writes_codes_as_integers_and_unmentioned_as_null():
    out = io.StringIO()
    write_rows([{"id": "1", "Effusion": 1.0, "Edema": -1.0, "Mass": float("nan")}], out, fmt="jsonl")
    assert out.getvalue() == '{"id": "1", "Effusion": 1, "Edema": -1, "Mass": null}\n'
