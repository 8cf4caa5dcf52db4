"""A rule whose pattern can explode is flagged by ``rules check`` (R180), and matching stops at a
per-sentence budget of tested pairs (L602) instead of running for minutes. The budget is a
count, so the same sentence fails the same way every time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cxrlabel.errors import CxrlabelError
from cxrlabel.parsers.conllu import read_conllu
from cxrlabel.rules import default_rules, load_rules
from cxrlabel.rules import matcher as matcher_mod
from cxrlabel.rules.cost import WILDCARD_CHILDREN_WARN, cost_warnings, wildcard_fanout
from cxrlabel.rules.matcher import MATCH_BUDGET, Matcher

ROOT = Path(__file__).resolve().parents[1]


def _wide_rule_yaml(children: int) -> str:
    names = [f"n{k}" for k in range(children)]
    nodes = ", ".join(f"{n}: {{}}" for n in names)
    edges = "".join(f"        - {{head: h, rel: '*', dep: {n}}}\n" for n in names)
    return (
        "rules:\n  - id: wide\n    assigns: negative\n    stage: negation\n    match:\n      anchor: d\n"
        f"      nodes: {{d: {{concept: DISEASE}}, h: {{}}, {nodes}}}\n"
        f"      edges:\n        - {{head: h, rel: '*', dep: d}}\n{edges}"
    )


def _one_head_sentence(dependents: int):
    """'see' governing 'effusion' and ``dependents - 1`` other words: a 20-word sentence for 19."""
    words = ["see", "effusion"] + [f"w{k}" for k in range(dependents - 1)]
    rows = [f"{i}\t{w}\t{w}\tNOUN\tNN\t_\t{0 if i == 1 else 1}\t{'root' if i == 1 else 'dep'}\t_\t_" for i, w in enumerate(words, 1)]
    (sent,) = read_conllu("# text = " + " ".join(words) + "\n" + "\n".join(rows) + "\n")
    return sent.graph


def test_a_head_with_many_wildcard_children_is_warned_r180_with_its_location():
    (warning,) = cost_warnings(load_rules(_wide_rule_yaml(9), filename="wide.yaml"))
    assert warning.code == "R180" and warning.rule_id == "wide" and "'h'" in str(warning)
    assert str(warning).startswith("wide.yaml:2:5: ")


def test_a_few_wildcards_and_the_shipped_rules_get_no_warning():
    assert cost_warnings(load_rules(_wide_rule_yaml(WILDCARD_CHILDREN_WARN - 1))) == []
    assert cost_warnings(default_rules()) == []
    assert max((max(wildcard_fanout(r.pattern).values(), default=0) for r in default_rules() if r.pattern), default=0) < WILDCARD_CHILDREN_WARN


def test_rules_check_prints_the_warning_and_still_passes_the_file(tmp_path):
    path = tmp_path / "wide.yaml"
    path.write_text(_wide_rule_yaml(9), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", "from cxrlabel.cli import main; main()", "rules", "check", str(path)],
        capture_output=True, text=True, timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert f"{path}:2:5: warning[R180]: in rule 'wide'" in done.stderr
    assert "1 warning(s)" in done.stdout


def test_an_exploding_match_stops_at_the_budget_with_l602(monkeypatch):
    tried = []
    real = matcher_mod._BudgetedMatcher.syntactic_feasibility

    def counting(self, a, b):
        tried.append(1)
        return real(self, a, b)

    monkeypatch.setattr(matcher_mod._BudgetedMatcher, "syntactic_feasibility", counting)
    # 20 wildcard children wanted, 19 there: VF2 would try ~19! orders before failing
    matcher = Matcher(load_rules(_wide_rule_yaml(20)))
    with pytest.raises(CxrlabelError) as err:
        matcher.match(_one_head_sentence(19), 1)
    assert err.value.code == "L602" and "'wide'" in str(err.value)
    assert len(tried) == MATCH_BUDGET + 1  # a count, not a clock


def test_the_budget_is_per_sentence_and_the_same_sentence_fails_the_same_way():
    rules = load_rules(_wide_rule_yaml(20))
    for _ in range(2):
        with pytest.raises(CxrlabelError) as err:
            Matcher(rules).match(_one_head_sentence(19), 1)
        assert err.value.code == "L602"
    # a sentence it can match is matched, well within the budget
    (hit,) = Matcher(load_rules(_wide_rule_yaml(5))).match(_one_head_sentence(8), 1)
    assert hit.rule_id == "wide"


def test_a_sentence_over_the_budget_fails_its_report_with_blank_labels(monkeypatch):
    from cxrlabel import label_many
    from cxrlabel.labeler import Labeler

    # a real OpenI-style sentence that reaches VF2 (the judge's modifier rule), with no budget
    text = "No confluent lobar consolidation or pleural effusion."
    monkeypatch.setattr(matcher_mod, "MATCH_BUDGET", 0)
    with pytest.raises(CxrlabelError) as err:
        Labeler(memo=False).label(text)
    assert err.value.code == "L602"
    df = label_many([text, "No pneumothorax."], labeler=Labeler(memo=False), jobs=1, progress=False)
    failed, fine = df.iloc[0], df.iloc[1]
    assert "L602" in failed["error"]
    assert failed.drop(["id", "error"]).isna().all()  # no label, No Finding blank too
    assert fine["Pneumothorax"] == 0 and fine["No Finding"] == 1
