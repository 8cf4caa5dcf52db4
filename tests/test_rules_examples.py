"""``run_examples``: each rule's examples through a small real labeler.

Two labelers: the matcher on hand-written parses (tests/data/table6) with NegBio's stage order,
and (slow) the full pipeline labeler (spaCy + QuickUMLS) restricted to the Table 6 pack.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from cxrlabel.matcher import Matcher
from cxrlabel.rules import load_pack
from cxrlabel.rules.examples import ExampleResult, run_examples
from cxrlabel.types import Label, Mention, Stage
from test_matcher_table6 import read_cases

DATA = Path(__file__).parent / "data" / "table6"
FINDING_OF = {"pneumothorax": "Pneumothorax", "effusion": "Effusion", "pneumonia": "Pneumonia", "atelectasis": "Atelectasis"}


@dataclass
class Result:
    mentions: list[Mention]

    def __getitem__(self, finding: str) -> str | None:
        pols = {m.polarity for m in self.mentions if m.finding == finding}
        for label in (Label.POSITIVE, Label.UNCERTAIN, Label.NEGATIVE):
            if label in pols:
                return label.value
        return None


class HandParseLabeler:
    """Looks the text up among the hand parses, then decides each mention stage by stage."""

    def __init__(self, matcher: Matcher, use_rules: bool = True) -> None:
        self.matcher = matcher
        self.use_rules = use_rules
        self.parses = {}
        for f in DATA.glob("*.conllu"):
            for _, sent, anchors in read_cases(f):
                self.parses[sent.text] = (sent, anchors)

    def label(self, text: str) -> Result:
        sent, anchors = self.parses[text]
        mentions = []
        for a in anchors:
            tok = sent.tokens[a]
            if tok.lemma not in FINDING_OF:
                continue
            m = Mention(FINDING_OF[tok.lemma], "C0", tok.text, tok.start, tok.end, 0, a, (a,))
            for stage in Stage if self.use_rules else ():
                hits = self.matcher.match(sent.graph, a, stage=stage)
                if hits:
                    m = m.with_polarity(hits[0].assigns, [h.rule_id for h in hits])
                    break
            mentions.append(m)
        return Result(mentions)


def test_every_shipped_rule_passes_its_examples_and_fires_on_them():
    rules = load_pack("table6")
    results = run_examples(rules, HandParseLabeler(Matcher(rules)))
    assert len(results) == sum(len(r.examples) for r in rules) == 14
    assert all(isinstance(r, ExampleResult) for r in results)
    failed = [r.describe() for r in results if not (r.passed and r.fired)]
    assert failed == []


def test_examples_fail_when_the_labeler_ignores_the_rules():
    rules = load_pack("table6")
    results = run_examples(rules, HandParseLabeler(Matcher(rules), use_rules=False))
    assert not any(r.passed for r in results)
    assert not any(r.fired for r in results)
    clear = next(r for r in results if r.rule_id == "clear-of-disease")
    assert clear.got == {"Pneumothorax": "positive", "Effusion": "positive"}
    assert clear.describe().startswith("FAIL clear-of-disease:")
    assert "Pneumothorax: expected negative, got positive" in clear.describe()


def test_a_rule_missing_from_the_matcher_does_not_fire_on_its_example():
    rules = load_pack("table6")
    matcher = Matcher(rules)
    matcher.remove("no-evidence-of")
    results = run_examples([r for r in rules if r.id == "no-evidence-of"], HandParseLabeler(matcher))
    (res,) = results
    assert not res.fired and not res.passed and res.got == {"Pneumothorax": "positive"}


@pytest.mark.slow
def test_table6_examples_pass_through_the_full_labeler_with_only_table6_rules():
    from cxrlabel.labeler import Labeler

    rules = load_pack("table6")
    results = run_examples(rules, Labeler(grammars="table6", replace_grammars=True))
    assert [r.describe() for r in results if not r.passed] == []
    # the rules written for spaCy's parse shapes are the ones that fire on real parses
    fired = {r.rule_id for r in results if r.fired}
    assert {"can-not-exclude", "could-be-attr", "difficult-to-exclude-acomp", "no-evidence-of", "clear-of-disease"} <= fired
