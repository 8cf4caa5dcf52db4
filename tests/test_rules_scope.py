"""Scope rules: cue windows as a third rule form, loaded with located errors, used as a fallback."""

import pytest

from cxrlabel.errors import RuleError
from cxrlabel.labeler import Labeler
from cxrlabel.rules import iter_errors, load_rules
from cxrlabel.rules.scope import Scope
from cxrlabel.types import Label, Token

HEAD = "rules:\n  - id: hedge\n    assigns: uncertain\n    stage: post-negation-uncertainty\n"


def _tokens(text: str) -> list[Token]:
    return [Token(i, w, w.lower()) for i, w in enumerate(text.split())]


def test_scope_rule_loads_into_a_rule_with_a_scope_and_no_pattern():
    (rule,) = load_rules(HEAD + "    scope: {cues: [May, possibly], window: 5, stop: [';']}\n")
    assert rule.pattern is None
    assert rule.scope == Scope(frozenset({"may", "possibly"}), "before", 5, frozenset({";"}))


def test_cue_before_the_mention_within_the_window_is_found_and_stop_words_close_the_scope():
    scope = Scope(frozenset({"may"}), "before", 4, frozenset({";"}))
    toks = _tokens("this may represent focal pneumonia")
    assert scope.find_cue(toks, [4]) == 1
    assert scope.find_cue(_tokens("this may ; represent pneumonia"), [4]) is None
    assert scope.find_cue(_tokens("may a b c d e pneumonia"), [6]) is None  # outside the window


def test_direction_after_looks_right_of_the_mention():
    scope = Scope(frozenset({"suspected"}), "after", 3)
    assert scope.find_cue(_tokens("small effusions suspected"), [0, 1]) == 2
    assert scope.find_cue(_tokens("suspected small effusions"), [1, 2]) is None


@pytest.mark.parametrize(
    ("scope", "code", "col"),
    [
        ("[may]", "R170", 12),
        ("{cues: [may], windw: 3}", "R170", 26),
        ("{cues: []}", "R171", 19),
        ("{cues: [may], direction: sideways}", "R172", 37),
        ("{cues: [may], window: 100}", "R173", 34),
        ("{cues: [may], stop: [two words]}", "R174", 32),
    ],
)
def test_malformed_scope_is_a_located_rule_error(scope, code, col):
    errors = list(iter_errors(HEAD + f"    scope: {scope}\n"))
    assert [e.code for e in errors] == [code]
    assert errors[0].location.line == 5 and errors[0].location.col == col


def test_a_rule_with_a_path_and_a_scope_is_rejected():
    text = HEAD + "    path: DISEASE → neg → *\n    scope: {cues: [may]}\n"
    with pytest.raises(RuleError) as err:
        load_rules(text)
    assert err.value.code == "R136"


def test_scope_rules_decide_only_mentions_no_path_rule_decided(tmp_path):
    rules = tmp_path / "scope.yaml"
    rules.write_text(
        "rules:\n"
        "  - id: any-no-before\n    assigns: uncertain\n    stage: negation\n"
        "    scope: {cues: ['no'], window: 10}\n"
    )
    lab = Labeler(grammars=[rules], self_check=False)
    # "No pneumothorax." is decided by a path rule, so the scope rule is not consulted
    r = lab.label("No pneumothorax.")
    assert r["Pneumothorax"] == "negative" and "any-no-before" not in r.rule_ids("Pneumothorax")


def test_shipped_hedge_window_catches_a_modal_the_parse_misattaches():
    r = Labeler().label("This may represent focal right lower lobe pneumonia given history.")
    assert r["Pneumonia"] is Label.UNCERTAIN
    assert r.rule_ids("Pneumonia") == ["hedge-cue-before"]
