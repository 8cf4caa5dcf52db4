"""`cxrlabel eval` through click's CliRunner, on a small user gold CSV.

The labeler the command builds (``cxrlabel.Labeler``) is replaced by the keyword labeler of
``test_gold_evaluate`` so that these tests exercise the command itself; a separate test runs
the real labeler when it is available.
"""

from __future__ import annotations

import importlib.util
import json

import pytest
from click.testing import CliRunner

import cxrlabel
from cxrlabel.cli import main
from test_gold_evaluate import KeywordLabeler
from conftest import require_data

GOLD_CSV = (
    "rid,report,Cardiomegaly,Effusion,Edema,Pneumothorax\n"
    "a,Mild cardiomegaly. No effusion.,1,0,,0\n"
    "b,No cardiomegaly. Small effusion.,positive,positive,,\n"
    "c,Possible edema.,0,0,uncertain,\n"
    "d,No pneumothorax.,0,0,0,negative\n"
)


class _Factory:
    """Stands in for the ``cxrlabel.Labeler`` class; records how the command built it."""

    seen: dict = {}

    def __new__(cls, **kwargs):
        cls.seen = kwargs
        return KeywordLabeler()


@pytest.fixture
def keyword_labeler(monkeypatch):
    monkeypatch.setattr(cxrlabel, "Labeler", _Factory, raising=False)
    return _Factory


@pytest.fixture
def gold_csv(tmp_path):
    p = tmp_path / "gold.csv"
    p.write_text(GOLD_CSV)
    return p


def run(*args):
    return CliRunner().invoke(main, ["eval", *map(str, args)])


def test_json_output_carries_the_scores_and_stderr_the_notes(keyword_labeler, gold_csv):
    r = run("--gold", gold_csv, "--text-column", "report", "--id-column", "rid", "--format", "json", "-q")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert {"per_finding", "micro", "macro", "normal", "n_reports"} <= set(d)
    assert d["n_reports"] == 4
    assert set(d["per_finding"]) == {"Cardiomegaly", "Effusion", "Edema", "Pneumothorax"}
    assert d["per_finding"]["Cardiomegaly"]["tp"] == 1 and d["per_finding"]["Cardiomegaly"]["fn"] == 1
    assert "three_way" in d and d["three_way"]["Edema"]["uncertain"]["tp"] == 1
    assert "no column for Atelectasis" in r.stderr
    assert keyword_labeler.seen == {"parser": "spacy", "grammars": None, "scheme": "chestxray14"}


def test_table_is_the_default_format(keyword_labeler, gold_csv):
    r = run("--gold", gold_csv, "--text-column", "report", "--id-column", "rid", "-q")
    assert r.exit_code == 0, r.output
    first = r.stdout.splitlines()
    assert first[0].startswith("gold gold, split all: 4 reports")
    assert any(ln.startswith("micro (4)") for ln in first)
    assert "three-way F1" in r.stdout


def test_uncertain_as_positive_is_passed_through(keyword_labeler, gold_csv):
    r = run("--gold", gold_csv, "--text-column", "report", "--id-column", "rid", "--format", "json",
            "--uncertain-as", "positive", "-q")
    d = json.loads(r.stdout)
    assert d["uncertain_as"] == "positive" and d["per_finding"]["Edema"]["tp"] == 1


def test_errors_file_lists_every_false_positive_and_negative(keyword_labeler, gold_csv, tmp_path):
    out = tmp_path / "errors.jsonl"
    r = run("--gold", gold_csv, "--text-column", "report", "--id-column", "rid", "--errors", out, "-q",
            "--format", "csv")
    assert r.exit_code == 0, r.output
    errors = [json.loads(x) for x in out.read_text().splitlines()]
    # the gold has uncertain labels, so a mentioned finding with another code is a WRONG polarity
    assert ("b", "Cardiomegaly", "WRONG") in {(e["id"], e["finding"], e["kind"]) for e in errors}
    b = next(e for e in errors if e["id"] == "b" and e["finding"] == "Cardiomegaly")
    assert b["sentences"] == ["No cardiomegaly"] and b["rules"] == ["kw-no"]
    assert f"wrote {len(errors)} errors" in r.stderr
    assert r.stdout.startswith("scope,name,precision")


def test_a_missing_text_column_fails_with_the_columns_listed(keyword_labeler, gold_csv):
    r = run("--gold", gold_csv, "--text-column", "body", "-q")
    assert r.exit_code == 2
    assert "G510" in r.stderr and "'report'" in r.stderr and r.stdout == ""


def test_test_split_needs_a_test_list_for_a_csv_gold(keyword_labeler, gold_csv, tmp_path):
    r = run("--gold", gold_csv, "--text-column", "report", "--id-column", "rid", "--split", "test", "-q")
    assert r.exit_code == 2 and "G520" in r.stderr
    ids = tmp_path / "test.txt"
    ids.write_text("a\nd\n")
    r = run("--gold", gold_csv, "--text-column", "report", "--id-column", "rid", "--split", "test",
            "--testset", ids, "--format", "json", "-q")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["n_reports"] == 2


def test_an_unknown_gold_name_lists_the_available_ones(keyword_labeler):
    r = run("--gold", "nosuchgold", "-q")
    assert r.exit_code == 2 and "openi" in r.stderr


@pytest.mark.data
def test_openi_table_leaves_hernia_out_of_the_averages_with_a_note(keyword_labeler):
    reports = require_data("openi/NLMCXR_reports.tgz")
    r = run("--gold", "openi", "--reports", reports, "--split", "test", "-q")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith("gold openi, split test: 771 reports")
    assert any(ln.startswith("micro (13)") for ln in lines)
    assert any(ln.startswith("Hernia *") for ln in lines)
    assert any("Hernia, Hiatal" in ln for ln in lines)
    assert "Hernia, Hiatal" in r.stderr  # the note also goes to stderr before labeling


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("cxrlabel.labeler") is None, reason="cxrlabel.labeler not written yet")
def test_real_labeler_scores_a_user_gold_csv(gold_csv):
    r = run("--gold", gold_csv, "--text-column", "report", "--id-column", "rid", "--format", "json", "-q")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["n_reports"] == 4 and d["n_failures"] == 0
    # "No pneumothorax." is the labeler's own canary: it must come out negative, not positive
    assert d["per_finding"]["Pneumothorax"]["fp"] == 0
    assert d["per_finding"]["Effusion"]["tp"] == 1


def test_openi_without_reports_or_network_says_where_to_put_the_tarball(keyword_labeler, tmp_path, monkeypatch):
    monkeypatch.delenv("CXRLABEL_OPENI_REPORTS", raising=False)
    monkeypatch.setenv("CXRLABEL_CACHE_DIR", str(tmp_path))
    r = run("--gold", "openi", "--no-download", "-q")
    assert r.exit_code == 2
    assert "G501" in r.stderr and "--reports" in r.stderr and str(tmp_path) in r.stderr


def test_parser_grammars_and_policy_reach_the_labeler(keyword_labeler, gold_csv):
    r = run("--gold", gold_csv, "--text-column", "report", "--parser", "conllu", "--grammars", "a.yaml",
            "--grammars", "pack", "--policy", "strict", "--format", "json", "-q")
    assert r.exit_code == 0, r.output
    assert keyword_labeler.seen == {"parser": "conllu", "grammars": ["a.yaml", "pack"], "policy": "strict",
                                    "scheme": "chestxray14"}


def test_a_registered_gold_name_resolves_and_receives_only_the_options_it_declares(keyword_labeler, monkeypatch):
    import pandas as pd

    from cxrlabel import registry
    from cxrlabel.gold import GoldSet

    received = {}

    def tiny_gold(testset=None):
        received["testset"] = testset
        labels = pd.DataFrame({"Effusion": [1.0, 0.0]}, index=["x", "y"])
        return GoldSet(name="tiny", ids=("x", "y"), texts=("Small effusion.", "No effusion."), labels=labels)

    monkeypatch.setitem(registry.gold._entries, "tiny", tiny_gold)
    r = run("--gold", "tiny", "--text-column", "ignored", "--format", "json", "-q")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["gold"] == "tiny" and d["per_finding"]["Effusion"]["f1"] == 1.0
    assert received == {"testset": None}
