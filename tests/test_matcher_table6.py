"""The Table 6 rule pack against hand-written parses of its examples (tests/data/table6).

Each ``<rule-id>.conllu`` holds the rule's example sentence (``# expect = fires``) and a
minimally different positive sentence (``# expect = silent``); ``# anchor`` lists the mention
head tokens (1-based). The DEPS column holds conjunct-propagated edges, added to the graph.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cxrlabel.rules.matcher import Matcher
from cxrlabel.parsers.conllu import read_conllu
from cxrlabel.rules import load_pack
from cxrlabel.types import Edge, Sentence, Stage

DATA = Path(__file__).parent / "data" / "table6"
RULES = load_pack("table6")
RULE_IDS = [r.id for r in RULES]


def read_cases(path: Path, *, propagate: bool = True) -> list[tuple[str, Sentence, list[int]]]:
    """``(expect, sentence, anchors)`` per block; DEPS edges added when ``propagate``."""
    cases = []
    for block in path.read_text().split("\n\n"):
        lines = [ln for ln in block.splitlines() if ln.strip()]
        if not any(not ln.startswith("#") for ln in lines):
            continue
        meta = {k.strip(): v.strip() for k, _, v in (ln[1:].partition("=") for ln in lines if ln.startswith("#"))}
        (sent,) = read_conllu("\n".join(lines) + "\n", source=str(path))
        if propagate:
            extra = []
            for ln in lines:
                if ln.startswith("#"):
                    continue
                cols = ln.split("\t")
                if cols[8] != "_":
                    for dep in cols[8].split("|"):
                        head, _, rel = dep.partition(":")
                        e = Edge(int(head) - 1, rel, int(cols[0]) - 1)
                        if (e.head, e.dep) not in {(x.head, x.dep) for x in sent.edges}:
                            extra.append(e)
            sent = sent.with_edges(sent.edges + tuple(extra))
        cases.append((meta["expect"], sent, [int(a) - 1 for a in meta["anchor"].split()]))
    return cases


def fired(matcher: Matcher, sent: Sentence, anchor: int, stage: Stage | None = None) -> set[str]:
    return {h.rule_id for h in matcher.match(sent.graph, anchor, stage=stage)}


def test_every_shipped_rule_has_an_example_and_a_hand_parse():
    assert RULE_IDS, "the default pack is empty"
    for rule in RULES:
        assert rule.examples, f"rule {rule.id} has no example"
        assert (DATA / f"{rule.id}.conllu").exists(), f"no hand parse for {rule.id}"


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_fires_on_its_example_and_no_other_rule_does(rule_id):
    m = Matcher(RULES)
    cases = [c for c in read_cases(DATA / f"{rule_id}.conllu") if c[0] == "fires"]
    assert cases
    for _, sent, anchors in cases:
        for a in anchors:
            assert fired(m, sent, a) == {rule_id}, (sent.text, sent.tokens[a].text)


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_stays_silent_on_a_minimally_different_positive_sentence(rule_id):
    m = Matcher(RULES)
    cases = [c for c in read_cases(DATA / f"{rule_id}.conllu") if c[0] == "silent"]
    assert cases
    for _, sent, anchors in cases:
        for a in anchors:
            assert fired(m, sent, a) == set(), (sent.text, sent.tokens[a].text)


def test_example_texts_in_the_pack_are_the_hand_parsed_sentences():
    for rule in RULES:
        texts = {c[1].text for c in read_cases(DATA / f"{rule.id}.conllu") if c[0] == "fires"}
        assert {ex.text for ex in rule.examples} <= texts, rule.id


def test_clear_of_negates_all_three_coordinated_findings_once_conjuncts_are_propagated():
    m = Matcher(RULES)
    ((_, sent, anchors),) = [c for c in read_cases(DATA / "clear-of-disease.conllu") if c[0] == "fires"]
    words = [sent.tokens[a].text for a in anchors]
    assert words == ["disease", "pneumothorax", "effusion"]
    for a in anchors:
        hits = m.match(sent.graph, a, stage=Stage.NEGATION)
        assert [h.rule_id for h in hits] == ["clear-of-disease"]
        assert hits[0].assigns == "negative"
        # the DISEASE node bound the mention itself, the cue bound "clear"
        bound = dict(hits[0].bindings)
        assert a in bound.values()
        assert sent.tokens[[v for v in bound.values() if v != a][0]].text == "clear"


def test_without_propagated_edges_only_the_first_conjunct_is_negated():
    m = Matcher(RULES)
    ((_, sent, anchors),) = [
        c for c in read_cases(DATA / "clear-of-disease.conllu", propagate=False) if c[0] == "fires"
    ]
    got = [bool(m.match(sent.graph, a)) for a in anchors]
    assert got == [True, False, False]


def test_uncertainty_rules_run_in_the_pre_negation_stage_only():
    m = Matcher(RULES)
    ((_, sent, (a,)),) = [c for c in read_cases(DATA / "cannot-exclude.conllu") if c[0] == "fires"]
    assert fired(m, sent, a, Stage.PRE_NEGATION_UNCERTAINTY) == {"cannot-exclude"}
    assert fired(m, sent, a, Stage.NEGATION) == set()
    assert fired(m, sent, a, Stage.POST_NEGATION_UNCERTAINTY) == set()
