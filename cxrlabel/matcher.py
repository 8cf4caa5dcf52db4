"""Which rules fire for a mention? Anchored subgraph matching of compiled rule patterns.

A :class:`Matcher` holds rules (a container, like spaCy's ``DependencyMatcher``) and answers
for one mention — the token index of its head, the *anchor* — which rules match the sentence
graph there. Matching is networkx VF2 *monomorphism* (``subgraph_monomorphisms_iter``): the
pattern's edges must exist in the sentence, but extra sentence edges between bound tokens do not
matter (an induced "isomorphism" match would wrongly fail on them).

Speed: the labeler asks this question for every mention of every sentence against every rule,
so each rule passes three cheap gates before VF2 runs:

1. every lemma the rule requires occurs somewhere in the sentence;
2. every pattern edge at the anchor has a matching edge at the anchor token;
3. VF2 searches only the tokens within the pattern's radius of the anchor, and the pattern's
   anchor node is tried first and may bind only the anchor token.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from types import MappingProxyType
from typing import Iterable, Iterator, Mapping

import networkx as nx
from networkx.algorithms.isomorphism import DiGraphMatcher

from .errors import RuleError
from .rules.model import Rule
from .rules.pattern import NodeSpec, Pattern
from .types import Label, Stage

__all__ = ["Hit", "Matcher"]


@dataclass(frozen=True)
class Hit:
    """A rule that fired: its id, label and stage, and which token each pattern node bound."""

    rule_id: str
    assigns: Label
    stage: Stage
    bindings: Mapping[str, int]

    def __hash__(self) -> int:
        return hash((self.rule_id, tuple(sorted(self.bindings.items()))))


def _spec_attrs(spec: NodeSpec, anchor: bool) -> dict:
    return {"anchor": anchor, "lemmas": spec.lemmas, "tags": spec.tags, "pos": spec.pos}


def _token_ok(attrs: Mapping, p: Mapping) -> bool:
    lem = p["lemmas"]
    if lem is not None and attrs["lemma"] not in lem and attrs["lower"] not in lem:
        return False
    tags = p["tags"]
    if tags is not None and attrs.get("tag") not in tags:
        return False
    pos = p["pos"]
    return pos is None or attrs.get("pos") in pos


def _edge_match(sent: Mapping, pat: Mapping) -> bool:
    rels = pat["rels"]
    return rels is None or sent["rel"] in rels


class _Compiled:
    """A rule prepared for matching: VF2 pattern graph (anchor first) and its cheap gates."""

    __slots__ = ("rule", "graph", "radius", "required", "anchor_spec", "out_gates", "in_gates")

    def __init__(self, rule: Rule) -> None:
        pat: Pattern = rule.pattern
        self.rule = rule
        order = [pat.anchor] + [n for n in nx.bfs_tree(pat.graph.to_undirected(as_view=True), pat.anchor) if n != pat.anchor]
        g = nx.DiGraph()
        for name in order:  # VF2 tries pattern nodes in insertion order: anchor first
            g.add_node(name, **_spec_attrs(pat.nodes[name], name == pat.anchor))
        for e in pat.edges:
            g.add_edge(e.head, e.dep, rels=e.rels)
        self.graph = g
        self.radius = pat.radius
        self.required = pat.required_lemmas
        self.anchor_spec = g.nodes[pat.anchor]
        self.out_gates = [(g.edges[pat.anchor, d]["rels"], g.nodes[d]) for d in g.successors(pat.anchor)]
        self.in_gates = [(g.edges[h, pat.anchor]["rels"], g.nodes[h]) for h in g.predecessors(pat.anchor)]

    def gates_pass(self, graph: nx.DiGraph, anchor: int, words: frozenset[str]) -> bool:
        for need in self.required:
            if need.isdisjoint(words):
                return False
        if not _token_ok(graph.nodes[anchor], self.anchor_spec):
            return False
        succ = graph._succ[anchor]
        for rels, spec in self.out_gates:
            if not any((rels is None or a["rel"] in rels) and _token_ok(graph.nodes[d], spec) for d, a in succ.items()):
                return False
        pred = graph._pred[anchor]
        for rels, spec in self.in_gates:
            if not any((rels is None or a["rel"] in rels) and _token_ok(graph.nodes[h], spec) for h, a in pred.items()):
                return False
        return True


def _ball(graph: nx.DiGraph, anchor: int, radius: int) -> set[int]:
    """Tokens within ``radius`` undirected steps of ``anchor``."""
    seen = {anchor}
    frontier = deque([(anchor, 0)])
    succ, pred = graph._succ, graph._pred
    while frontier:
        node, d = frontier.popleft()
        if d == radius:
            continue
        for nb in (*succ[node], *pred[node]):
            if nb not in seen:
                seen.add(nb)
                frontier.append((nb, d + 1))
    return seen


class Matcher:
    """A container of rules that finds which of them fire at a mention.

    >>> from cxrlabel.rules import default_rules
    >>> m = Matcher(default_rules())
    >>> # m.match(sentence.graph, mention.head, stage=Stage.NEGATION) -> [Hit(...), ...]
    """

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self._rules: dict[str, _Compiled] = {}
        self._words_cache: tuple[nx.DiGraph, frozenset[str]] | None = None
        for r in rules:
            self.add(r)

    # -- container ----------------------------------------------------------------------
    def add(self, rule: Rule) -> None:
        """Add a compiled rule; a second rule with the same id is an error (R161)."""
        if rule.id in self._rules:
            raise RuleError(f"a rule with id {rule.id!r} is already in this matcher", code="R161",
                            location=rule.location, rule_id=rule.id)
        self._rules[rule.id] = _Compiled(rule)

    def remove(self, rule_id: str) -> None:
        """Remove a rule by id (``KeyError`` if absent)."""
        del self._rules[rule_id]

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def __len__(self) -> int:
        return len(self._rules)

    def __iter__(self) -> Iterator[Rule]:
        return (c.rule for c in self._rules.values())

    def get(self, rule_id: str) -> Rule:
        return self._rules[rule_id].rule

    # -- matching -----------------------------------------------------------------------
    def _words(self, graph: nx.DiGraph) -> frozenset[str]:
        # Sentence graphs are immutable by convention, so the last one's words are reused
        # across the mentions of one sentence.
        cached = self._words_cache
        if cached is not None and cached[0] is graph:
            return cached[1]
        words = set()
        for _, attrs in graph.nodes(data=True):
            words.add(attrs["lemma"])
            words.add(attrs["lower"])
        out = frozenset(words)
        self._words_cache = (graph, out)
        return out

    def match(self, graph: nx.DiGraph, anchor: int, *, stage: Stage | str | None = None) -> list[Hit]:
        """Every rule (of ``stage``, or all) that matches with its DISEASE node on ``anchor``.

        One :class:`Hit` per firing rule, in the order the rules were added; ``bindings`` is the
        first match found.
        """
        if anchor not in graph:
            raise KeyError(f"anchor {anchor!r} is not a token of the graph")
        want = Stage(stage) if stage is not None else None
        words = self._words(graph)
        anchor_attrs = graph.nodes[anchor]
        balls: dict[int, nx.DiGraph] = {}
        n_tokens = len(graph)

        def node_match(sent: Mapping, pat: Mapping) -> bool:
            if pat["anchor"]:
                return sent is anchor_attrs
            if sent is anchor_attrs:
                return False
            return _token_ok(sent, pat)

        hits: list[Hit] = []
        for comp in self._rules.values():
            rule = comp.rule
            if want is not None and rule.stage is not want:
                continue
            if not comp.gates_pass(graph, anchor, words):
                continue
            sub = balls.get(comp.radius)
            if sub is None:
                ball = _ball(graph, anchor, comp.radius)
                sub = graph if len(ball) == n_tokens else graph.subgraph(ball)
                balls[comp.radius] = sub
            gm = DiGraphMatcher(sub, comp.graph, node_match=node_match, edge_match=_edge_match)
            for mapping in gm.subgraph_monomorphisms_iter():
                bindings = {p: s for s, p in mapping.items()}
                hits.append(Hit(rule.id, rule.assigns, rule.stage, MappingProxyType(bindings)))
                break
        return hits
