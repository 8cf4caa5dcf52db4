"""The Matcher: anchored VF2 monomorphism, its cheap gates, and the container API."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from networkx.algorithms.isomorphism import DiGraphMatcher

from cxrlabel.errors import RuleError
from cxrlabel.rules.matcher import Hit, Matcher
from cxrlabel.parsers.conllu import read_conllu
from cxrlabel.rules import Rule, parse_path
from cxrlabel.types import Edge, Label, Stage, Token, build_graph


def rule(rid: str, path: str, assigns: str = "negative", stage: str = "negation") -> Rule:
    return Rule(rid, Label(assigns), Stage(stage), parse_path(path), source=path)


NO_EVIDENCE = """\
# text = No evidence of pneumothorax.
1	No	no	DET	DT	_	2	neg	_	_
2	evidence	evidence	NOUN	NN	_	0	root	_	_
3	of	of	ADP	IN	_	4	case	_	_
4	pneumothorax	pneumothorax	NOUN	NN	_	2	prep_of	_	SpaceAfter=No
5	.	.	PUNCT	.	_	2	punct	_	_
"""

# "No effusion, but small pneumothorax." -- "no" hangs from effusion only
TWO_FINDINGS = """\
# text = No effusion, but small pneumothorax.
1	No	no	DET	DT	_	2	neg	_	_
2	effusion	effusion	NOUN	NN	_	0	root	_	SpaceAfter=No
3	,	,	PUNCT	,	_	2	punct	_	_
4	but	but	CCONJ	CC	_	2	cc	_	_
5	small	small	ADJ	JJ	_	6	amod	_	_
6	pneumothorax	pneumothorax	NOUN	NN	_	2	conj_but	_	SpaceAfter=No
7	.	.	PUNCT	.	_	2	punct	_	_
"""


def graph_of(text: str) -> nx.DiGraph:
    (s,) = read_conllu(text)
    return s.graph


def test_hit_names_rule_label_stage_and_the_token_each_node_bound():
    m = Matcher([rule("no-evidence-of", "no ← neg ← evidence → prep_of → DISEASE")])
    (hit,) = m.match(graph_of(NO_EVIDENCE), 3)
    assert isinstance(hit, Hit)
    assert (hit.rule_id, hit.assigns, hit.stage) == ("no-evidence-of", Label.NEGATIVE, Stage.NEGATION)
    assert sorted(hit.bindings.values()) == [0, 1, 3]
    pattern = m.get("no-evidence-of").pattern
    assert hit.bindings[pattern.anchor] == 3


def test_rule_only_fires_for_the_mention_it_is_anchored_at():
    m = Matcher([rule("no-disease", "no ← * ← DISEASE")])
    g = graph_of(TWO_FINDINGS)
    assert [h.rule_id for h in m.match(g, 1)] == ["no-disease"]  # effusion
    assert m.match(g, 5) == []  # pneumothorax
    assert m.match(g, 0) == []  # "no" itself is not a finding


def test_extra_sentence_edges_between_bound_tokens_do_not_block_a_match():
    # an induced (isomorphism) search fails when the sentence has an edge the pattern lacks
    # between two bound tokens; the matcher uses monomorphisms, so it still fires
    tokens = [Token(0, "no", "no"), Token(1, "evidence", "evidence"), Token(2, "pneumothorax", "pneumothorax")]
    g = build_graph(tokens, [Edge(1, "neg", 0), Edge(1, "prep_of", 2), Edge(2, "dep", 0)])
    r = rule("no-evidence-of", "no ← neg ← evidence → prep_of → DISEASE")
    assert [h.rule_id for h in Matcher([r]).match(g, 2)] == ["no-evidence-of"]
    induced = DiGraphMatcher(g, r.pattern.graph, node_match=lambda a, b: True, edge_match=lambda a, b: True)
    assert not any(True for _ in induced.subgraph_isomorphisms_iter())


def test_lemma_constraint_matches_the_lemma_or_the_lower_cased_text():
    tokens = [Token(0, "Suspected", "suspected"), Token(1, "pneumonia", "pneumonia")]
    g = build_graph(tokens, [Edge(0, "dobj", 1)])
    assert Matcher([rule("s", "suspect → dobj → DISEASE")]).match(g, 1) == []
    assert len(Matcher([rule("s", "(suspect|suspected) → dobj → DISEASE")]).match(g, 1)) == 1
    tokens = [Token(0, "Suggesting", "suggest"), Token(1, "pneumonia", "pneumonia")]
    g = build_graph(tokens, [Edge(0, "dobj", 1)])
    assert len(Matcher([rule("s", "suggest → dobj → DISEASE")]).match(g, 1)) == 1
    assert len(Matcher([rule("s", "suggesting → dobj → DISEASE")]).match(g, 1)) == 1


def test_relation_sets_and_star_relations():
    g = graph_of(NO_EVIDENCE)
    assert Matcher([rule("a", "evidence → prep_for|prep_of → DISEASE")]).match(g, 3)
    assert Matcher([rule("b", "evidence → * → DISEASE")]).match(g, 3)
    assert not Matcher([rule("c", "evidence → prep_for|dobj → DISEASE")]).match(g, 3)
    assert not Matcher([rule("d", "evidence ← * ← DISEASE")]).match(g, 3)  # wrong direction


def test_stage_filter_and_rule_order():
    rules = [
        rule("u", "no ← neg ← evidence → * → DISEASE", "uncertain", "pre-negation-uncertainty"),
        rule("n", "evidence → prep_of → DISEASE"),
        rule("p", "* → prep_of → DISEASE", "uncertain", "post-negation-uncertainty"),
    ]
    m = Matcher(rules)
    g = graph_of(NO_EVIDENCE)
    assert [h.rule_id for h in m.match(g, 3)] == ["u", "n", "p"]
    assert [h.rule_id for h in m.match(g, 3, stage=Stage.NEGATION)] == ["n"]
    assert [h.rule_id for h in m.match(g, 3, stage="pre-negation-uncertainty")] == ["u"]


def test_matcher_is_a_container_of_rules():
    a, b = rule("a", "no ← * ← DISEASE"), rule("b", "* → prep_without → DISEASE")
    m = Matcher([a])
    assert len(m) == 1 and "a" in m and "b" not in m
    m.add(b)
    assert [r.id for r in m] == ["a", "b"]
    with pytest.raises(RuleError) as err:
        m.add(rule("a", "DISEASE → amod → small"))
    assert err.value.code == "R161"
    m.remove("a")
    assert "a" not in m and len(m) == 1
    with pytest.raises(KeyError):
        m.remove("a")


def test_unknown_anchor_token_is_a_key_error():
    with pytest.raises(KeyError):
        Matcher([rule("a", "no ← * ← DISEASE")]).match(graph_of(NO_EVIDENCE), 99)


def test_tag_constraint_from_structured_form_is_enforced():
    from cxrlabel.rules import load_rules

    (r,) = load_rules(
        "rules:\n"
        "  - id: modal-md\n    assigns: uncertain\n    stage: pre-negation-uncertainty\n"
        "    match:\n      nodes: {d: {concept: DISEASE}, m: {lemma: may, tag: MD}}\n"
        "      edges: [{head: d, rel: md, dep: m}]\n"
    )
    tokens = [Token(0, "may", "may", tag="MD"), Token(1, "edema", "edema")]
    assert Matcher([r]).match(build_graph(tokens, [Edge(1, "md", 0)]), 1)
    tokens = [Token(0, "may", "may", tag="NNP"), Token(1, "edema", "edema")]
    assert not Matcher([r]).match(build_graph(tokens, [Edge(1, "md", 0)]), 1)


# --- property: the gated, neighbourhood-restricted search equals a plain anchored VF2 ------

LEMMAS = ["no", "evidence", "clear", "may", "be", "x"]
RELS = ["neg", "prep_of", "dobj", "md"]


@st.composite
def sentence_graphs(draw):
    n = draw(st.integers(2, 9))
    tokens = [Token(i, draw(st.sampled_from(LEMMAS)), draw(st.sampled_from(LEMMAS))) for i in range(n)]
    edges = {}
    for dep in range(1, n):  # a random tree plus a few extra (propagated-style) edges
        edges[(draw(st.integers(0, dep - 1)), dep)] = draw(st.sampled_from(RELS))
    for _ in range(draw(st.integers(0, 3))):
        h, d = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        if (d, h) not in edges:  # self-loops included: a token must never bind two nodes
            edges[(h, d)] = draw(st.sampled_from(RELS))
    return build_graph(tokens, [Edge(h, r, d) for (h, d), r in edges.items()])


@st.composite
def paths(draw):
    k = draw(st.integers(1, 4))
    anchor = draw(st.integers(0, k - 1))
    parts = []
    for i in range(k):
        if i:
            arrow = draw(st.sampled_from(["→", "←"]))
            parts += [arrow, draw(st.sampled_from(RELS + ["*", "neg|dobj"])), arrow]
        parts.append("DISEASE" if i == anchor else draw(st.sampled_from(LEMMAS[:-1] + ["*", "(no|x)"])))
    return " ".join(parts)


def oracle(g: nx.DiGraph, pattern, anchor: int) -> bool:
    """Plain anchored VF2 on the whole sentence, no gates."""

    def node_match(s, p):
        spec = p["spec"]
        if p["anchor"]:
            return s is g.nodes[anchor]
        if spec.lemmas is not None and s["lemma"] not in spec.lemmas and s["lower"] not in spec.lemmas:
            return False
        return True

    gm = DiGraphMatcher(g, pattern.graph, node_match=node_match,
                        edge_match=lambda s, p: p["rels"] is None or s["rel"] in p["rels"])
    return any(True for _ in gm.subgraph_monomorphisms_iter())


@settings(max_examples=300, deadline=None)
@given(g=sentence_graphs(), ps=st.lists(paths(), min_size=1, max_size=4), data=st.data())
def test_gated_neighbourhood_search_agrees_with_plain_anchored_vf2(g, ps, data):
    anchor = data.draw(st.integers(0, len(g) - 1))
    rules = [rule(f"r{k}", p) for k, p in enumerate(ps)]
    m = Matcher(rules)
    hits = m.match(g, anchor)
    assert [h.rule_id for h in hits] == [r.id for r in rules if oracle(g, r.pattern, anchor)]
    for h in hits:  # every binding is a real edge-preserving embedding
        r = m.get(h.rule_id)
        b = h.bindings
        assert b[r.pattern.anchor] == anchor
        assert set(b) == set(r.pattern.nodes)
        assert len(set(b.values())) == len(b)
        for e in r.pattern.edges:
            assert g.has_edge(b[e.head], b[e.dep])
            assert e.rels is None or g.edges[b[e.head], b[e.dep]]["rel"] in e.rels


def test_a_structured_pattern_with_a_cycle_needs_every_edge():
    from cxrlabel.rules import load_rules

    (r,) = load_rules(
        "rules:\n"
        "  - id: triangle\n    assigns: uncertain\n    stage: negation\n"
        "    match:\n      nodes: {d: {concept: DISEASE}, b: {lemma: b}, c: {lemma: c}}\n"
        "      edges: [{head: d, rel: dep, dep: b}, {head: b, rel: dep, dep: c}, {head: d, rel: amod, dep: c}]\n"
    )
    tokens = [Token(0, "x", "x"), Token(1, "b", "b"), Token(2, "c", "c")]
    full = build_graph(tokens, [Edge(0, "dep", 1), Edge(1, "dep", 2), Edge(0, "amod", 2)])
    (hit,) = Matcher([r]).match(full, 0)
    assert dict(hit.bindings) == {"d": 0, "b": 1, "c": 2}
    missing = build_graph(tokens, [Edge(0, "dep", 1), Edge(1, "dep", 2)])
    assert Matcher([r]).match(missing, 0) == []


def test_hits_pickle_and_compare_by_value():
    import pickle

    m = Matcher([rule("no-evidence-of", "no ← neg ← evidence → prep_of → DISEASE")])
    (hit,) = m.match(graph_of(NO_EVIDENCE), 3)
    again = pickle.loads(pickle.dumps(hit))
    assert again == hit and hash(again) == hash(hit)


def test_ambiguous_candidates_are_settled_by_the_search():
    # two "x" children of the anchor; only the second leads on to "y"
    tokens = [Token(0, "edema", "edema"), Token(1, "x", "x"), Token(2, "x", "x"), Token(3, "y", "y")]
    g = build_graph(tokens, [Edge(0, "dep", 1), Edge(0, "dep", 2), Edge(2, "amod", 3)])
    r = rule("chain", "DISEASE → dep → x → amod → y")
    (hit,) = Matcher([r]).match(g, 0)
    names = {r.pattern.nodes[n].lemmas and next(iter(r.pattern.nodes[n].lemmas)): t for n, t in hit.bindings.items()}
    assert names == {None: 0, "x": 2, "y": 3}
    # and a pattern needing two distinct "x" tokens binds both
    r2 = rule("two", "x ← dep ← DISEASE → dep → x")
    (hit2,) = Matcher([r2]).match(g, 0)
    assert sorted(hit2.bindings.values()) == [0, 1, 2]
    # but not when only one exists
    g1 = build_graph(tokens[:2], [Edge(0, "dep", 1)])
    assert Matcher([r2]).match(g1, 0) == []


def test_the_old_module_path_still_imports_the_same_matcher():
    import cxrlabel.matcher as old

    assert old.Matcher is Matcher and old.Hit is Hit
