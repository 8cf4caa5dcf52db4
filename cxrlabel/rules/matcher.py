"""Which rules fire for a mention? Anchored subgraph matching of compiled rule patterns.

A :class:`Matcher` holds rules (a container, like spaCy's ``DependencyMatcher``) and answers
for one mention — the token index of its head, the *anchor* — which rules match the sentence
graph there. Matching is networkx VF2 *monomorphism* (``subgraph_monomorphisms_iter``): the
pattern's edges must exist in the sentence, but extra sentence edges between bound tokens do not
matter (an induced "isomorphism" match would wrongly fail on them).

Speed: the labeler asks this question for every mention of every sentence against every rule,
so a rule passes cheap, sound filters before VF2 runs:

1. every lemma the rule requires occurs somewhere in the sentence (an inverted index from word
   to rule picks the candidate rules once per sentence);
2. candidate propagation: walking out from the anchor along the pattern's BFS tree, each
   pattern node must have at least one token that fits it and hangs from a candidate of its
   parent by an allowed relation (a one-edge pattern is decided here, and so is a pattern
   whose every node is left with a single token that verifiably embeds; VF2 is skipped);
3. VF2 then searches only the surviving candidate tokens -- all within the pattern's radius
   of the anchor -- with the pattern's anchor node tried first and bound only to the anchor.

Budget: VF2 can still explode on a pattern of many interchangeable nodes (``rules check``
warns: R180). Every candidate (sentence token, pattern node) pair VF2 tests counts against
:data:`MATCH_BUDGET` per sentence graph, over all its mentions and rules; past it the match
raises :class:`~cxrlabel.errors.LabelerError` ``L602`` (the report fails with that error)
instead of running for minutes. A count, not a clock: the same input fails the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping

import networkx as nx
from networkx.algorithms.isomorphism import DiGraphMatcher

from ..errors import LabelerError, RuleError
from ..types import Label, Stage
from .model import Rule
from .pattern import NodeSpec, Pattern

__all__ = ["Hit", "MATCH_BUDGET", "Matcher", "over_budget"]


@dataclass(frozen=True)
class Hit:
    """A rule that fired: its id, label and stage, and which token each pattern node bound.

    Plain data (``bindings`` is a dict) so that hits pickle across processes.
    """

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
    """A rule prepared for matching: VF2 pattern graph (anchor first) and its filters."""

    __slots__ = ("rule", "pos", "graph", "required", "anchor_name", "anchor_spec", "plan", "single", "edges")

    def __init__(self, rule: Rule, pos: int) -> None:
        pat: Pattern = rule.pattern
        self.rule = rule
        self.pos = pos
        undirected = pat.graph.to_undirected(as_view=True)
        order = [pat.anchor] + [child for _, child in nx.bfs_edges(undirected, pat.anchor)]
        g = nx.DiGraph()
        for name in order:  # VF2 tries pattern nodes in insertion order: anchor first
            g.add_node(name, **_spec_attrs(pat.nodes[name], name == pat.anchor))
        for e in pat.edges:
            g.add_edge(e.head, e.dep, rels=e.rels)
        self.graph = g
        self.edges = tuple((e.head, e.dep, e.rels) for e in pat.edges)
        # smaller lemma sets first: they are the more selective ones
        self.required = tuple(sorted(pat.required_lemmas, key=len))
        self.anchor_name = pat.anchor
        self.anchor_spec = g.nodes[pat.anchor]
        # (node, BFS parent, parent-is-head, allowed rels, node constraints), in BFS order
        plan = []
        for parent, child in nx.bfs_edges(undirected, pat.anchor):
            out = g.has_edge(parent, child)
            rels = g.edges[parent, child]["rels"] if out else g.edges[child, parent]["rels"]
            plan.append((child, parent, out, rels, g.nodes[child]))
        self.plan = tuple(plan)
        # a one-edge pattern is decided by the propagation alone (any candidate is a match)
        self.single = len(pat.nodes) == 2 and len(pat.edges) == 1

    def candidates(self, graph: nx.DiGraph, anchor: int, words: frozenset[str]) -> dict[str, set[int]] | None:
        """Per pattern node, the tokens it could bind; ``None`` when some node has none.

        Necessary conditions only: every required lemma is in the sentence, and each node has a
        fitting token joined to a candidate of its BFS parent by an allowed relation in the
        right direction. Injectivity and edges outside the BFS tree are left to VF2, so every
        VF2 match maps each node into its candidate set.
        """
        for need in self.required:
            if need.isdisjoint(words):
                return None
        nodes = graph._node
        if not _token_ok(nodes[anchor], self.anchor_spec):
            return None
        cand: dict[str, set[int]] = {self.anchor_name: {anchor}}
        succ, pred = graph._succ, graph._pred
        for name, parent, out, rels, spec in self.plan:
            adj = succ if out else pred
            found = set()
            for t in cand[parent]:
                for u, a in adj[t].items():
                    if u != anchor and (rels is None or a["rel"] in rels) and _token_ok(nodes[u], spec):
                        found.add(u)
            if not found:
                return None
            cand[name] = found
        return cand

    def forced(self, graph: nx.DiGraph, cand: Mapping[str, set[int]]) -> dict[str, int] | None:
        """The match when propagation left one token per node and that assignment embeds
        (injective, every pattern edge present with an allowed relation); else ``None``."""
        binding = {}
        for name, toks in cand.items():
            if len(toks) != 1:
                return None
            binding[name] = next(iter(toks))
        if len(set(binding.values())) != len(binding):
            return None
        succ = graph._succ
        for head, dep, rels in self.edges:
            attrs = succ[binding[head]].get(binding[dep])
            if attrs is None or (rels is not None and attrs["rel"] not in rels):
                return None
        return binding


def _restrict(graph: nx.DiGraph, keep: set[int]) -> nx.DiGraph:
    """The sentence restricted to the tokens in ``keep`` (the candidates: all within the
    pattern's radius of the anchor, since they are found by walking out from it).

    Built directly on networkx's adjacency dicts, sharing the token attribute dicts (the
    anchor check relies on their identity): several times cheaper than a ``subgraph`` view,
    whose filtered adjacency slows every VF2 step.
    """
    if len(keep) == len(graph):
        return graph
    sub = nx.DiGraph()
    s_node, s_succ, s_pred = sub._node, sub._succ, sub._pred
    g_node, g_succ = graph._node, graph._succ
    for n in keep:
        s_node[n] = g_node[n]
        s_succ[n] = {}
        s_pred[n] = {}
    for h in keep:
        for d, attrs in g_succ[h].items():
            if d in keep:
                s_succ[h][d] = attrs
                s_pred[d][h] = attrs
    return sub


class Matcher:
    """A container of rules that finds which of them fire at a mention.

    >>> from cxrlabel.rules import default_rules
    >>> m = Matcher(default_rules())
    >>> # m.match(sentence.graph, mention.head, stage=Stage.NEGATION) -> [Hit(...), ...]

    Sentence graphs are treated as immutable: the words of the last graph seen are cached
    (by identity) across the mentions of one sentence.
    """

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self._rules: dict[str, _Compiled] = {}
        self._counter = 0
        self._index: dict[str, list[_Compiled]] | None = None
        self._free: list[_Compiled] = []
        self._cache: tuple[nx.DiGraph, frozenset[str], list[_Compiled]] | None = None
        self._spent: tuple[nx.DiGraph | None, int] = (None, 0)  # VF2 pairs tried on the last graph
        for r in rules:
            self.add(r)

    # -- container ----------------------------------------------------------------------
    def add(self, rule: Rule) -> None:
        """Add a compiled rule; a second rule with the same id is an error (R161)."""
        if rule.id in self._rules:
            raise RuleError(f"a rule with id {rule.id!r} is already in this matcher", code="R161",
                            location=rule.location, rule_id=rule.id)
        self._rules[rule.id] = _Compiled(rule, self._counter)
        self._counter += 1
        self._index = None

    def remove(self, rule_id: str) -> None:
        """Remove a rule by id (``KeyError`` if absent)."""
        del self._rules[rule_id]
        self._index = None

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def __len__(self) -> int:
        return len(self._rules)

    def __iter__(self) -> Iterator[Rule]:
        return (c.rule for c in self._rules.values())

    def get(self, rule_id: str) -> Rule:
        """The rule with id ``rule_id`` (``KeyError`` if absent)."""
        return self._rules[rule_id].rule

    # -- matching -----------------------------------------------------------------------
    def _build_index(self) -> None:
        """Inverted index: a word → the rules whose most selective lemma set holds it."""
        index: dict[str, list[_Compiled]] = {}
        free: list[_Compiled] = []
        for comp in self._rules.values():
            if comp.required:
                for w in comp.required[0]:
                    index.setdefault(w, []).append(comp)
            else:
                free.append(comp)
        self._index, self._free, self._cache = index, free, None

    def _candidates(self, graph: nx.DiGraph) -> tuple[frozenset[str], list[_Compiled]]:
        if self._index is None:
            self._build_index()
        cached = self._cache
        if cached is not None and cached[0] is graph:
            return cached[1], cached[2]
        words = set()
        for attrs in graph._node.values():
            words.add(attrs["lemma"])
            words.add(attrs["lower"])
        index = self._index
        assert index is not None
        seen = {id(c): c for c in self._free}
        for w in words:
            for c in index.get(w, ()):
                seen[id(c)] = c
        cands = sorted(seen.values(), key=lambda c: c.pos)
        out = frozenset(words)
        self._cache = (graph, out, cands)
        return out, cands

    def _vf2(self, graph: nx.DiGraph, anchor: int, comp: _Compiled, cand: Mapping[str, set[int]], node_match) -> dict[str, int] | None:
        """The first VF2 match of ``comp`` in the candidate tokens, within the sentence's budget."""
        spent_on, spent = self._spent
        spent = spent if spent_on is graph else 0
        sub = _restrict(graph, set().union(*cand.values()))
        gm = _BudgetedMatcher(sub, comp.graph, MATCH_BUDGET - spent, node_match=node_match, edge_match=_edge_match)
        try:
            return _first_monomorphism(gm)
        except _OverBudget:
            raise over_budget(comp.rule.id, str(graph.nodes[anchor].get("text", anchor))) from None
        finally:
            self._spent = (graph, spent + gm.tried)

    def match(self, graph: nx.DiGraph, anchor: int, *, stage: Stage | str | None = None) -> list[Hit]:
        """Every rule (of ``stage``, or all) that matches with its DISEASE node on ``anchor``.

        One :class:`Hit` per firing rule, in the order the rules were added; ``bindings`` is the
        first match found.
        """
        if anchor not in graph:
            raise KeyError(f"anchor {anchor!r} is not a token of the graph")
        want = Stage(stage) if stage is not None else None
        words, cands = self._candidates(graph)
        hits: list[Hit] = []
        node_match = None
        for comp in cands:
            rule = comp.rule
            if want is not None and rule.stage is not want:
                continue
            cand = comp.candidates(graph, anchor, words)
            if cand is None:
                continue
            if comp.single:
                found = {name: min(toks) for name, toks in cand.items()}
            else:
                found = comp.forced(graph, cand)
                if found is None:
                    if node_match is None:
                        node_match = _anchored_node_match(graph.nodes[anchor])
                    found = self._vf2(graph, anchor, comp, cand, node_match)
                    if found is None:
                        continue
            hits.append(Hit(rule.id, rule.assigns, rule.stage, found))
        return hits


#: Candidate pairs VF2 may test per sentence graph (all mentions, stages and rules together).
#: On 1,500 OpenI reports with the shipped rules VF2 ran 16 times and tested at most 14 pairs
#: for a sentence; a head with 20 wildcard children tests billions (10,000 pairs take ~1 s).
MATCH_BUDGET = 10_000


class _BudgetedMatcher(DiGraphMatcher):
    """VF2 that counts the candidate pairs it tests and stops past ``budget``."""

    def __init__(self, g1: nx.DiGraph, g2: nx.DiGraph, budget: int, **kw: object) -> None:
        super().__init__(g1, g2, **kw)
        self.budget = budget
        self.tried = 0

    def syntactic_feasibility(self, g1_node: object, g2_node: object) -> bool:
        self.tried += 1
        if self.tried > self.budget:
            raise _OverBudget
        return super().syntactic_feasibility(g1_node, g2_node)


class _OverBudget(Exception):
    pass


def over_budget(rule_id: str, anchor_text: str) -> LabelerError:
    """The ``L602`` error for a sentence whose matching ran past :data:`MATCH_BUDGET`."""
    return LabelerError(
        f"matching rule '{rule_id}' at the mention '{anchor_text}' went past the budget of "
        f"{MATCH_BUDGET:,} candidate bindings for one sentence (cxrlabel.rules.matcher.MATCH_BUDGET); "
        "its pattern has too many unconstrained nodes (`cxrlabel rules check` warns R180): give "
        "them a lemma, tag or relation",
        code="L602",
    )


def _first_monomorphism(gm: DiGraphMatcher) -> dict[str, int] | None:
    for mapping in gm.subgraph_monomorphisms_iter():
        return {p: s for s, p in mapping.items()}
    return None


def _anchored_node_match(anchor_attrs: Mapping):
    """VF2 node test: the DISEASE node binds only the anchor token, other nodes only others."""

    def node_match(sent: Mapping, pat: Mapping) -> bool:
        if pat["anchor"]:
            return sent is anchor_attrs
        if sent is anchor_attrs:
            return False
        return _token_ok(sent, pat)

    return node_match
