"""A failed report is never a label (issue 16, item 1): an empty report, a sentence the parser
rejects or a broken parse cache never comes out as "No Finding"; the error says which stage,
where and why, the CLI exits non-zero, and the vision label reader leaves such rows out."""

from __future__ import annotations

import csv
import io
import math
import sqlite3
import subprocess
import sys

import pytest
from click.testing import CliRunner

import cxrlabel
from cxrlabel.batch.rows import label_records
from cxrlabel.cache import CachedParser, ParseCache
from cxrlabel.cli import main
from cxrlabel.errors import CacheError
from cxrlabel.labeler import Labeler
from cxrlabel.parsers.spacy import SpacyParser
from cxrlabel.types import FINDINGS

LONE_SURROGATE = "Mild cardiomegaly. No effusion \ud800 here."


@pytest.fixture(scope="module")
def parser() -> SpacyParser:
    return SpacyParser()


@pytest.fixture(scope="module")
def labeler(parser) -> Labeler:
    return Labeler(parser=parser, memo=False)


def _blank(result) -> bool:
    return all(result[f] is None for f in FINDINGS) and not result.normal and result.to_chexpert()["No Finding"] is None


@pytest.mark.parametrize("text", ["", "   \n\t ", "\u200b\u00ad\ufeff", "FINDINGS:\nIMPRESSION:\n", "INDICATION: cough."])
def test_an_empty_report_fails_with_i250_and_is_never_normal(labeler, text):
    r = labeler.label(text)
    assert r.failed and _blank(r)
    assert r.error.startswith(f"error[I250]: empty report (chars 0-{len(text)})")
    assert r.to_dict()["error"] == r.error and "failed" in repr(r)


def test_a_sentence_the_parser_rejects_fails_the_whole_report_not_just_that_sentence(labeler):
    r = labeler.label(LONE_SURROGATE)
    assert r.failed and _blank(r)  # "Mild cardiomegaly." parsed, yet nothing is reported
    assert r.error.startswith("error[I251]: parse failed for the sentence at chars 19-38: error[P302]")
    assert LONE_SURROGATE[19:38] == "No effusion \ud800 here."
    assert [m.finding for m in r.mentions] == ["Cardiomegaly"]  # evidence of what parsed, no label


def test_a_report_that_labels_is_not_failed(labeler):
    r = labeler.label("No pneumothorax.")
    assert not r.failed and r.error is None and r["Pneumothorax"].value == "negative" and r.normal
    assert "error" not in r.to_dict()


def test_label_many_marks_failed_rows_with_blank_labels_and_the_error(tmp_path, caplog):
    df = cxrlabel.label_many(["No pneumothorax.", "", LONE_SURROGATE], progress=False, cache=tmp_path / "c.sqlite")
    assert df["error"].isna().tolist() == [True, False, False]
    assert df.loc[1, "error"].startswith("error[I250]") and df.loc[2, "error"].startswith("error[I251]")
    for k in (1, 2):
        assert all(math.isnan(df.loc[k, c]) for c in (*FINDINGS, "No Finding"))
    assert df.loc[0, "No Finding"] == 1.0 and df.loc[0, "Pneumothorax"] == 0.0
    assert "2 of 3 reports failed" in caplog.text


def _csv(tmp_path, rows):
    path = tmp_path / "reports.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        w.writerows(rows)
    return path


def test_cxrlabel_label_exits_1_with_a_summary_and_blank_rows_for_failed_reports(tmp_path):
    path = _csv(tmp_path, [("a", "No pneumothorax."), ("b", "   "), ("c", "Mild cardio\u00admegaly."), ("d", "FINDINGS:")])
    res = CliRunner().invoke(main, ["label", str(path), "--no-cache"])
    assert res.exit_code == 1, res.output
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(res.stdout))}
    assert list(rows) == ["a", "b", "c", "d"]  # rows in = rows out
    for rid in ("b", "d"):
        assert rows[rid]["error"].startswith("error[I250]: empty report")
        assert all(rows[rid][c] == "" for c in (*FINDINGS, "No Finding"))
    assert rows["a"]["No Finding"] == "1" and rows["c"]["Cardiomegaly"] == "1" and rows["c"]["error"] == ""
    assert "error[I253]: 2 of 4 reports failed (2 I250): ids b, d" in res.stderr
    assert "rerun with --allow-failures to exit 0" in res.stderr


def test_allow_failures_exits_0_and_keeps_the_failed_rows_marked(tmp_path):
    path = _csv(tmp_path, [("a", "No pneumothorax."), ("b", "")])
    out = tmp_path / "out.csv"
    res = CliRunner().invoke(main, ["label", str(path), "--no-cache", "-o", str(out), "--allow-failures"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(open(out, encoding="utf-8")))
    assert rows[1]["error"].startswith("error[I250]") and rows[1]["No Finding"] == ""
    assert "1 of 2 reports failed" in res.stderr


def test_empty_stdin_and_an_input_without_reports_are_errors_not_a_header(tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["label", "-", "--no-cache"], input=b"")
    assert res.exit_code == 2 and res.stdout == "" and "error[I250]: stdin is empty" in res.stderr
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    res = runner.invoke(main, ["label", str(empty), "--no-cache"])
    assert res.exit_code == 2 and res.stdout == "" and "I250" in res.stderr


def test_a_corrupt_cache_is_the_cache_error_with_advice_not_a_self_check_failure(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"SQLite format 3\x00" + b"\xde\xad" * 3000)  # a damaged sqlite file
    path = _csv(tmp_path, [("a", "No pneumothorax."), ("b", "Mild edema.")])
    for jobs in ("1", "2"):
        res = subprocess.run(
            [sys.executable, "-c", "from cxrlabel.cli import main; main()", "label", str(path), "--cache", str(bad), "--jobs", jobs],
            capture_output=True, text=True, timeout=600,
        )
        assert res.returncode == 2 and res.stdout == ""
        assert "error[I290]: cannot open the parse cache" in res.stderr and "cxrlabel cache clear" in res.stderr
        assert "--no-cache" in res.stderr and "L601" not in res.stderr and "Traceback" not in res.stderr


def test_a_full_cache_stops_labeling_with_i291_and_labels_nothing(parser, tmp_path):
    cache = ParseCache(tmp_path / "c.sqlite")
    cache.check()
    pages = cache.conn.execute("PRAGMA page_count").fetchone()[0]
    cache.conn.execute(f"PRAGMA max_page_count = {pages}")  # sqlite's own "database or disk is full"
    lab = Labeler(parser=CachedParser(parser, cache), memo=False, self_check=False)
    records = [(k, f"Finding {k}: a {k} mm nodule in the right upper lobe. No pneumothorax.") for k in range(40)]
    with pytest.raises(CacheError) as err:
        label_records(lab, records)
    assert err.value.code == "I291" and "full" in str(err.value) and "free disk space" in str(err.value)


def test_a_tampered_cache_entry_is_parsed_again_and_never_used(parser, tmp_path):
    texts = ["No pneumothorax.", "There is a small right pleural effusion.", "Mild cardiomegaly.", "No focal consolidation."]
    fresh = [Labeler(parser=parser, memo=False).label(t).to_chexpert() for t in texts]
    path = tmp_path / "c.sqlite"
    cached = CachedParser(parser, ParseCache(path))
    lab = Labeler(parser=cached, memo=False)
    assert [lab.label(t).to_chexpert() for t in texts] == fresh
    with sqlite3.connect(path) as db:  # every value moved to another key, one edited as well
        rows = db.execute("SELECT key, value FROM parses ORDER BY key").fetchall()
        for (key, _), (_, value) in zip(rows, rows[1:] + rows[:1]):
            db.execute("UPDATE parses SET value = ? WHERE key = ?", (value, key))
        key, value = next((k, v) for k, v in rows if '"neg"' in v)  # its own entry, a negation dropped
        db.execute("UPDATE parses SET value = ? WHERE key = ?", (value.replace('"neg"', '"amod"'), key))
    again = CachedParser(parser, ParseCache(path))
    lab = Labeler(parser=again, memo=False, self_check=False)
    assert [lab.label(t).to_chexpert() for t in texts] == fresh
    assert again.rejected == len(texts) and again.hits == 0
    third = CachedParser(parser, ParseCache(path))  # the entries were rewritten
    assert [Labeler(parser=third, memo=False, self_check=False).label(t).to_chexpert() for t in texts] == fresh
    assert third.rejected == 0 and third.hits == len(texts)


def test_the_vision_label_reader_leaves_out_failed_rows_with_a_count(tmp_path):
    from cxrlabel_vision.labels import read_labels

    path = _csv(tmp_path, [("img1.png", "Mild cardiomegaly."), ("img2.png", ""), ("img3.png", LONE_SURROGATE.replace("\ud800", ""))])
    out = tmp_path / "labels.csv"
    res = CliRunner().invoke(main, ["label", str(path), "--no-cache", "-o", str(out)])
    assert res.exit_code == 1 and "1 of 3 reports failed" in res.stderr
    table = read_labels(out)
    assert table.attrs["errors"] == 1
    assert list(table.index) == ["img1.png", "img3.png"]  # the empty report is not "No Finding"


def test_cache_clear_deletes_a_damaged_cache_but_never_a_file_that_is_not_sqlite(tmp_path):
    runner = CliRunner()
    damaged = tmp_path / "damaged.sqlite"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\xde\xad" * 3000)
    res = runner.invoke(main, ["cache", "clear", "--cache", str(damaged)])
    assert res.exit_code == 0 and not damaged.exists()
    foreign = tmp_path / "reports.csv"  # --cache given the wrong path
    foreign.write_text("id,text\n1,A report seen by no other test: a 4711 mm nodule.\n", encoding="utf-8")  # not memoized
    res = runner.invoke(main, ["cache", "clear", "--cache", str(foreign)])
    assert res.exit_code == 2 and "error[I290]" in res.stderr and "not a sqlite file" in res.stderr
    assert foreign.read_text(encoding="utf-8").startswith("id,text")
    res = runner.invoke(main, ["label", str(foreign), "--cache", str(foreign)])
    assert res.exit_code == 2 and "is --cache the right path?" in res.stderr and res.stdout == ""
