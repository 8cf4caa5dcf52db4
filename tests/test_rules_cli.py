"""``cxrlabel rules check`` and ``cxrlabel rules explain`` through click's CliRunner."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cxrlabel.cli import main
from cxrlabel.rules import load_rules

REPO = Path(__file__).resolve().parents[1]


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_check_passes_the_shipped_rule_files_with_an_ok_summary():
    files = sorted(str(p) for p in (REPO / "grammars").glob("*.yaml"))
    n_rules = sum(len(load_rules(Path(f))) for f in files)
    res = run("rules", "check", *files)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith(f"ok: {len(files)} file(s), {n_rules} rule(s)")
    assert res.stderr == ""


def test_check_prints_every_error_with_location_and_caret_and_exits_1(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("rules:\n  - {id: a, assigns: negative, stage: negation, path: no ← * ← DISEASE}\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "rules:\n"
        "  - id: no-evidence-of\n"
        "    assigns: negative\n"
        "    stage: negation\n"
        "    path: no ← neg ← → prep_of → DISEASE\n"
        "  - id: second\n"
        "    assigns: sometimes\n"
        "    stage: negation\n"
        "    path: no ← * ← DISEASE\n"
    )
    res = run("rules", "check", str(good), str(bad))
    assert res.exit_code == 1
    assert res.stdout == ""
    err = res.stderr.splitlines()
    assert err[0] == f"{bad}:5:22: error[R101]: in rule 'no-evidence-of': expected a node after '←'"
    assert err[1] == "        path: no ← neg ← → prep_of → DISEASE"
    assert err[2] == "    " + " " * 21 + "^"
    assert err[3].startswith(f"{bad}:7:14: error[R133]: in rule 'second':")
    assert err[-1] == "2 error(s) in 2 file(s)"


def test_check_reports_a_missing_file_as_an_error(tmp_path):
    res = run("rules", "check", str(tmp_path / "nope.yaml"))
    assert res.exit_code == 1
    assert "error[R125]" in res.stderr


def test_check_needs_at_least_one_file():
    res = run("rules", "check")
    assert res.exit_code == 2


def test_explain_prints_nodes_constraints_and_edges():
    res = run("rules", "explain", "(may|might) ← md ← represent → dobj → DISEASE")
    assert res.exit_code == 0
    out = res.stdout
    assert "canonical: DISEASE[←dobj←represent[→md→(may|might)]]" in out
    assert "n0: lemma in {may, might}" in out
    assert "n2: concept DISEASE (anchor)" in out
    assert "n1 → md → n0" in out and "n1 → dobj → n2" in out


def test_explain_reports_a_bad_path_with_a_caret_and_exits_1():
    res = run("rules", "explain", "no ← neg ←")
    assert res.exit_code == 1
    assert res.stderr.splitlines()[0] == "<path>:1:11: error[R101]: expected a node after '←'"
