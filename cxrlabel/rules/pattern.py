"""The compiled form of a rule's match: a small graph of node constraints and relation sets.

Both rule forms (the one-line ``path:`` and the structured ``match:``) compile to the same
:class:`Pattern`. Node names are labels only: two patterns are equal when a bijection of their
nodes maps anchor to anchor and preserves every node constraint and every edge's relation set
(checked with networkx's VF2), so ``no ← neg ← evidence → prep_of → DISEASE`` equals its
structured twin whatever the structured form calls its nodes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterable, Mapping

import networkx as nx
from networkx.algorithms.isomorphism import DiGraphMatcher

__all__ = ["ANCHOR_CONCEPT", "EdgeSpec", "NodeSpec", "Pattern"]

#: The one concept slot the DSL knows: the mention being judged.
ANCHOR_CONCEPT = "DISEASE"


@dataclass(frozen=True)
class NodeSpec:
    """Constraints on one token. ``None`` means "any"; a set means "one of these".

    ``lemmas`` match a token whose ``lemma`` or lower-cased ``text`` is in the set;
    ``concept`` (only ``DISEASE``) marks the anchor; ``tags``/``pos`` constrain the
    fine/coarse part of speech.
    """

    lemmas: frozenset[str] | None = None
    concept: str | None = None
    tags: frozenset[str] | None = None
    pos: frozenset[str] | None = None

    @property
    def is_anchor(self) -> bool:
        return self.concept == ANCHOR_CONCEPT

    def key(self) -> tuple:
        """A hashable, order-free summary used for equality and hashing."""

        def s(x: frozenset[str] | None) -> tuple[str, ...] | None:
            return None if x is None else tuple(sorted(x))

        return (s(self.lemmas), self.concept, s(self.tags), s(self.pos))

    def describe(self) -> str:
        """Human-readable constraint, e.g. ``lemma in {may, might}``."""
        parts = []
        if self.concept:
            parts.append(f"concept {self.concept} (anchor)")
        for label, val in (("lemma", self.lemmas), ("tag", self.tags), ("pos", self.pos)):
            if val is not None:
                words = sorted(val)
                parts.append(f"{label} {words[0]}" if len(words) == 1 else f"{label} in {{{', '.join(words)}}}")
        return ", ".join(parts) or "any token"


@dataclass(frozen=True)
class EdgeSpec:
    """An edge head → dep whose relation is one of ``rels`` (``None``: any relation)."""

    head: str
    dep: str
    rels: frozenset[str] | None = None

    def describe_rels(self) -> str:
        return "*" if self.rels is None else "|".join(sorted(self.rels))


class Pattern:
    """A named-node constraint graph with exactly one anchor node.

    ``graph`` is the compiled ``networkx.DiGraph`` the matcher runs VF2 against: node
    attributes ``spec`` (:class:`NodeSpec`) and ``anchor`` (bool), edge attribute ``rels``
    (frozenset or ``None``). Construction does not validate; the compiler does.
    """

    def __init__(self, nodes: Mapping[str, NodeSpec], edges: Iterable[EdgeSpec], anchor: str) -> None:
        self.nodes: dict[str, NodeSpec] = dict(nodes)
        self.edges: tuple[EdgeSpec, ...] = tuple(edges)
        self.anchor = anchor

    # -- compiled graph ---------------------------------------------------------------
    @cached_property
    def graph(self) -> nx.DiGraph:
        g = nx.DiGraph()
        for name, spec in self.nodes.items():
            g.add_node(name, spec=spec, anchor=name == self.anchor)
        for e in self.edges:
            g.add_edge(e.head, e.dep, rels=e.rels)
        return g

    @cached_property
    def radius(self) -> int:
        """Largest undirected distance from the anchor to any pattern node."""
        dist = nx.single_source_shortest_path_length(self.graph.to_undirected(as_view=True), self.anchor)
        return max(dist.values(), default=0)

    @cached_property
    def required_lemmas(self) -> tuple[frozenset[str], ...]:
        """Per lemma-constrained node, the words one of which must occur in the sentence."""
        return tuple(spec.lemmas for spec in self.nodes.values() if spec.lemmas is not None)

    # -- equality -----------------------------------------------------------------------
    def _invariant(self) -> tuple:
        nodes = Counter((spec.key(), name == self.anchor) for name, spec in self.nodes.items())
        edges = Counter(
            (self.nodes[e.head].key(), self.nodes[e.dep].key(), None if e.rels is None else tuple(sorted(e.rels)))
            for e in self.edges
        )
        return (tuple(sorted(nodes.items(), key=repr)), tuple(sorted(edges.items(), key=repr)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Pattern):
            return NotImplemented
        if self._invariant() != other._invariant():
            return False
        gm = DiGraphMatcher(
            self.graph,
            other.graph,
            node_match=lambda a, b: a["anchor"] == b["anchor"] and a["spec"].key() == b["spec"].key(),
            edge_match=lambda a, b: a["rels"] == b["rels"],
        )
        return gm.is_isomorphic()

    def __hash__(self) -> int:
        return hash(self._invariant())

    def canonical(self) -> str:
        """A name-free text form, rooted at the anchor (equal patterns that are trees give
        equal strings; used for display and debugging)."""
        seen = {self.anchor}

        def walk(name: str) -> str:
            spec = self.nodes[name]
            head = "DISEASE" if spec.is_anchor else _node_text(spec)
            kids = []
            for e in self.edges:
                if e.head == name and e.dep not in seen:
                    seen.add(e.dep)
                    kids.append(f"→{e.describe_rels()}→{walk(e.dep)}")
                elif e.dep == name and e.head not in seen:
                    seen.add(e.head)
                    kids.append(f"←{e.describe_rels()}←{walk(e.head)}")
            return head + ("[" + " ".join(sorted(kids)) + "]" if kids else "")

        return walk(self.anchor)

    def __repr__(self) -> str:
        return f"Pattern({self.canonical()})"

    def stable_key(self) -> tuple[Any, ...]:
        """Everything that defines the pattern, for :func:`cxrlabel.digest.stable_repr`."""
        return (self.nodes, self.edges, self.anchor)

    def explain(self) -> str:
        """A multi-line human-readable listing of nodes, constraints and edges."""
        lines = ["nodes:"]
        for name, spec in self.nodes.items():
            lines.append(f"  {name}: {spec.describe()}")
        lines.append("edges (head → relation → dependent):")
        for e in self.edges:
            lines.append(f"  {e.head} → {e.describe_rels()} → {e.dep}")
        lines.append(f"anchor: {self.anchor}")
        lines.append(f"radius: {self.radius}")
        return "\n".join(lines)


def _node_text(spec: NodeSpec) -> str:
    if spec.lemmas is None:
        base = "*"
    elif len(spec.lemmas) == 1:
        base = next(iter(spec.lemmas))
    else:
        base = "(" + "|".join(sorted(spec.lemmas)) + ")"
    extra = []
    if spec.tags is not None:
        extra.append("tag=" + "|".join(sorted(spec.tags)))
    if spec.pos is not None:
        extra.append("pos=" + "|".join(sorted(spec.pos)))
    return base + ("{" + ",".join(extra) + "}" if extra else "")
