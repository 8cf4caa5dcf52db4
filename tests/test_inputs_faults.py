"""The input fault suite (issue 16): every way of writing the same reports gives the same rows
as a clean CSV — rows in = rows out, same ids, same labels — or a coded error that names the
line; no traceback; ``-o`` never overwrites an input; formula-looking cells are escaped."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from cxrlabel.cli import main
from cxrlabel.errors import InputError
from cxrlabel.io import read_reports

REPORTS = [
    ("A1", "No pneumothorax; mild cardiomegaly."),
    ("A2", 'Small right pleural effusion, "stable".\nNo edema.'),
    ("A3", "The lungs are clear."),
]


def _write(path: Path, reports=REPORTS, *, delimiter: str = ",", bom: bool = False, blank_after: int | None = None, crlf: bool = False) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    w.writerow(["id", "report"])
    for k, row in enumerate(reports):
        w.writerow(row)
        if blank_after == k:
            buf.write("\r\n" if crlf else "\n")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    return path


def _label(*args: str) -> tuple[int, str, str, list[dict[str, str]]]:
    res = CliRunner().invoke(main, ["label", *args, "--no-cache"])
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)  # no traceback
    rows = list(csv.DictReader(io.StringIO(res.stdout))) if res.exit_code == 0 else []
    return res.exit_code, res.stdout, res.stderr, rows


@pytest.fixture(scope="module")
def clean_rows(tmp_path_factory) -> list[dict[str, str]]:
    code, _, err, rows = _label(str(_write(tmp_path_factory.mktemp("clean") / "r.csv")))
    assert code == 0, err
    assert [r["id"] for r in rows] == [rid for rid, _ in REPORTS]
    return rows


@pytest.mark.parametrize(
    "name, kw",
    [
        ("semicolon.csv", {"delimiter": ";"}),
        ("tab.tsv", {"delimiter": "\t"}),
        ("tab-sniffed.csv", {"delimiter": "\t"}),
        ("pipe.csv", {"delimiter": "|"}),
        ("bom.csv", {"bom": True}),
        ("blank.csv", {"blank_after": 0}),
        ("crlf.csv", {"crlf": True, "blank_after": 1}),
    ],
)
def test_every_dialect_of_the_same_reports_labels_like_the_clean_csv(tmp_path, clean_rows, name, kw):
    code, _, err, rows = _label(str(_write(tmp_path / name, **kw)))
    assert code == 0, err
    assert rows == clean_rows


def test_a_bom_does_not_hide_the_id_column_named_with_id_column(tmp_path, clean_rows):
    code, _, err, rows = _label(str(_write(tmp_path / "bom.csv", bom=True)), "--id-column", "id")
    assert code == 0, err
    assert rows == clean_rows


def test_jsonl_is_one_report_a_line_with_ids_from_the_id_key(tmp_path, clean_rows):
    p = tmp_path / "r.jsonl"
    lines = [json.dumps({"id": rid, "report": text}) for rid, text in REPORTS]
    p.write_text(lines[0] + "\n\n" + "\n".join(lines[1:]) + "\n", encoding="utf-8")
    code, _, err, rows = _label(str(p))
    assert code == 0, err
    assert rows == clean_rows


def test_parquet_is_read_with_pyarrow_like_the_clean_csv(tmp_path, clean_rows):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    p = tmp_path / "r.parquet"
    pq.write_table(pa.table({"study_id": [r for r, _ in REPORTS], "report": [t for _, t in REPORTS]}), p)
    code, _, err, rows = _label(str(p), "--id-column", "study_id")
    assert code == 0, err
    assert rows == clean_rows


def test_a_parquet_file_named_csv_is_refused_as_binary_not_as_an_encoding(tmp_path):
    p = tmp_path / "r.csv"
    p.write_bytes(b"PAR1\x15\x04\x00\x00garbage")
    code, out, err, _ = _label(str(p))
    assert code != 0 and out == ""
    assert "I245" in err and "pyarrow" in err and "latin-1" not in err


def test_an_unbalanced_quote_is_an_error_naming_the_line_never_a_merged_row(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text('id,report\nA1,"No pneumothorax.\nA2,Mild cardiomegaly.\nA3,"Edema."\nA4,Clear.\n', encoding="utf-8")
    code, out, err, _ = _label(str(p))
    assert code != 0 and out == ""  # nothing labeled, no header alone on stdout
    assert "I241" in err and "line 2" in err and "'A1'" in err
    p.write_text('id,report\nA1,No pneumothorax.\nA2,"Mild cardiomegaly.\nA3,Edema.\n', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        list(read_reports(p))
    assert exc.value.code == "I241" and "line 3" in str(exc.value)


def test_a_row_with_the_wrong_cell_count_is_an_error_row_and_rows_in_equal_rows_out(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("id,report\nA1,No effusion.\nA2,Edema.,extra\nA3,Clear.\n", encoding="utf-8")
    code, out, err, _ = _label(str(p))
    assert code == 1 and "error[I253]: 1 of 3 reports failed (1 I241): ids A2" in err  # said, not silent
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == ["A1", "A2", "A3"]
    assert "I241" in rows[1]["error"] and "line 3" in rows[1]["error"] and rows[1]["No Finding"] == ""


def test_blank_lines_are_skipped_without_shifting_row_number_ids(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("report\nNo effusion.\n\nEdema.\n,\nClear lungs.\n", encoding="utf-8")
    assert [(r.id, r.text) for r in read_reports(p)] == [("1", "No effusion."), ("3", "Edema."), ("5", "Clear lungs.")]
    p.write_text("No effusion.\n\nEdema.\n", encoding="utf-8")  # headerless: the same rule
    assert [(r.id, r.text) for r in read_reports(p)] == [("1", "No effusion."), ("3", "Edema.")]


def test_a_headerless_first_report_that_could_be_a_header_is_asked_about_not_eaten(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("Normal chest\nNo effusion.\n", encoding="utf-8")
    code, out, err, _ = _label(str(p))
    assert code != 0 and out == "" and "I242" in err and "--no-header" in err
    assert [r.text for r in read_reports(p, header=False)] == ["Normal chest", "No effusion."]
    assert [r.text for r in read_reports(p, header=True)] == ["No effusion."]
    p.write_text("Heart size is normal. No effusion.\nEdema.\n", encoding="utf-8")
    assert [r.text for r in read_reports(p)] == ["Heart size is normal. No effusion.", "Edema."]


def test_output_onto_the_input_is_refused_before_anything_is_written(tmp_path):
    p = _write(tmp_path / "r.csv")
    before = p.read_bytes()
    link = tmp_path / "link.csv"
    link.symlink_to(p)
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "a.txt").write_text("No effusion.", encoding="utf-8")
    for inp, out in [(p, p), (p, link), (link, p), (folder, folder / "a.txt"), (folder, folder / "labels.csv")]:
        code, _, err, _ = _label(str(inp), "-o", str(out))
        assert code != 0 and "I246" in err, err
    assert p.read_bytes() == before and (folder / "a.txt").read_text() == "No effusion."
    assert not list(tmp_path.glob("*.parts")) and not (folder / "labels.csv").exists()


def test_formula_looking_ids_are_escaped_unless_turned_off(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text('id,report\n"=HYPERLINK(""x"")",No effusion.\n@SUM,Edema.\n-3,Clear.\n', encoding="utf-8")
    code, _, err, rows = _label(str(p))
    assert code == 0, err
    assert [r["id"] for r in rows] == ["'=HYPERLINK(\"x\")", "'@SUM", "-3"]
    assert rows[1]["Edema"] == "1" and rows[0]["Effusion"] == "0"  # -1/0/1 codes are never escaped
    out = tmp_path / "o.csv"
    code, _, err, _ = _label(str(p), "-o", str(out), "--no-escape-formulas")
    assert code == 0, err
    assert [r["id"] for r in csv.DictReader(out.open(encoding="utf-8"))] == ['=HYPERLINK("x")', "@SUM", "-3"]
    assert not list(tmp_path.glob("o.csv.tmp*"))


def test_label_many_on_a_frame_uses_its_id_column_like_the_cli(clean_rows):
    pd = pytest.importorskip("pandas")
    from cxrlabel import label_many

    df = label_many(pd.DataFrame(REPORTS, columns=["id", "report"]), progress=False, cache=None)
    assert df["id"].tolist() == [rid for rid, _ in REPORTS]
    assert df["Cardiomegaly"].tolist()[0] == float(clean_rows[0]["Cardiomegaly"])


def test_atomic_write_leaves_the_old_file_when_the_writer_fails(tmp_path):
    from cxrlabel.io import atomic_write

    p = tmp_path / "out.csv"
    p.write_text("old", encoding="utf-8")

    def boom(fh):
        fh.write("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        atomic_write(p, boom)
    assert p.read_text(encoding="utf-8") == "old" and os.listdir(tmp_path) == ["out.csv"]


def test_a_run_that_fails_before_its_first_row_leaves_stdout_empty(tmp_path):
    code, out, err, _ = _label(str(_write(tmp_path / "r.csv")), "--parser", "no-such-parser")
    assert code != 0 and out == "", out


def test_eval_errors_csv_escapes_formulas_and_never_overwrites_the_gold(tmp_path):
    gold = tmp_path / "gold.csv"
    gold.write_text("rid,report,Cardiomegaly\n=HYPERLINK(x),Mild cardiomegaly.,0\nb,No effusion.,0\n", encoding="utf-8")
    before = gold.read_bytes()
    args = ["eval", "--gold", str(gold), "--text-column", "report", "--id-column", "rid", "-q", "--errors"]
    res = CliRunner().invoke(main, [*args, str(gold)])
    assert res.exit_code != 0 and "I246" in res.stderr and gold.read_bytes() == before
    out = tmp_path / "errors.csv"
    res = CliRunner().invoke(main, [*args, str(out)])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["id"], r["finding"], r["kind"]) for r in rows] == [("'=HYPERLINK(x)", "Cardiomegaly", "FP")]
    res = CliRunner().invoke(main, [*args, str(out), "--no-escape-formulas"])
    assert res.exit_code == 0 and next(csv.DictReader(out.open(encoding="utf-8")))["id"] == "=HYPERLINK(x)"
    assert not list(tmp_path.glob("errors.csv.tmp*"))


def test_parquet_without_pyarrow_is_refused_with_the_package_to_install(tmp_path, monkeypatch):
    import sys

    p = tmp_path / "r.parquet"
    p.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)  # as if pyarrow were not installed
    with pytest.raises(InputError) as exc:
        list(read_reports(p))
    assert exc.value.code == "I244" and "pip install pyarrow" in str(exc.value) and "--encoding" not in str(exc.value)


def test_an_unbalanced_quote_closed_at_a_later_cell_end_is_caught_not_merged(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text('id,report\nA1,No effusion.\nA2,"Mild cardiomegaly.\nA3,Edema.\nA4,Clear."\nA5,No edema.\n', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        list(read_reports(p))
    assert exc.value.code == "I241" and "line 3" in str(exc.value) and "'A2'" in str(exc.value)


def test_a_multi_line_report_with_commas_is_not_taken_for_merged_rows(tmp_path):
    p = tmp_path / "r.csv"
    text = "FINDINGS: Heart size normal, lungs clear.\nIMPRESSION: No acute disease, stable.\n1, 2 and 3 views."
    _write(p, [("A1", text), ("A2", "Edema.")])
    assert [(r.id, r.text) for r in read_reports(p)] == [("A1", text), ("A2", "Edema.")]
