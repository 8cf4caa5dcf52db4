"""The structured form of a match, for branching patterns::

    match:
      anchor: finding
      nodes: {finding: {concept: DISEASE}, evidence: {lemma: evidence}, cue: {lemma: no}}
      edges:
        - {head: evidence, rel: prep_of, dep: finding}
        - {head: evidence, rel: neg, dep: cue}

Node constraints: ``lemma`` (a word or a list), ``concept`` (``DISEASE``), ``tag`` and ``pos``
(a string or a list); ``{}`` is any token. Edge ``rel`` is a name, ``a|b``, a list, or ``*``.
``anchor`` may be left out when exactly one node is the DISEASE node. It compiles to the same
:class:`~cxrlabel.rules.pattern.Pattern` as a path.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import networkx as nx

from ..canonical import is_canonical
from .diagnostics import Diagnostics, did_you_mean
from .pattern import ANCHOR_CONCEPT, EdgeSpec, NodeSpec, Pattern

__all__ = ["compile_match"]

_NODE_KEYS = ("lemma", "concept", "tag", "pos")
_EDGE_KEYS = ("head", "rel", "dep")
_MATCH_KEYS = ("anchor", "nodes", "edges")
_LEMMA_RE = re.compile(r"^[a-z0-9_'.]+(?:-[a-z0-9_'.]+)*$")


def _vpos(d: Any, key: Any):
    return getattr(d, "val_pos", {}).get(key) or getattr(d, "pos", None)


def _kpos(d: Any, key: Any):
    return getattr(d, "key_pos", {}).get(key) or getattr(d, "pos", None)


def _words(value: Any, what: str, diag: Diagnostics, pos, rule_id: str | None, *, lemma: bool) -> frozenset[str] | None:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(w, str) for w in items):
        diag.add("R132", f"{what} must be a string or a list of strings, not {value!r}", pos, rule_id=rule_id)
        return None
    if not items:
        diag.add("R142", f"{what} is an empty list", pos, rule_id=rule_id)
        return None
    out = set()
    for w in items:
        word = w.strip().lower() if lemma else w.strip()
        if not word or (lemma and not _LEMMA_RE.match(word)):
            diag.add("R142", f"{what} {w!r} is not a single lower-case word", pos, rule_id=rule_id)
            return None
        out.add(word)
    return frozenset(out)


def _node(name: str, value: Any, nodes: Any, diag: Diagnostics, rule_id: str | None) -> NodeSpec | None:
    pos = _vpos(nodes, name)
    if value is None:
        return NodeSpec()
    if not isinstance(value, Mapping):
        diag.add("R132", f"node {name!r} must be a mapping of constraints such as {{lemma: evidence}}", pos, rule_id=rule_id)
        return None
    ok = True
    for key in value:
        if key not in _NODE_KEYS:
            diag.add("R130", f"unknown node constraint {key!r} in node {name!r}{did_you_mean(key, _NODE_KEYS)}; "
                     f"use one of {', '.join(_NODE_KEYS)}", _kpos(value, key), rule_id=rule_id)
            ok = False
    kw: dict[str, Any] = {}
    for key, attr in (("lemma", "lemmas"), ("tag", "tags"), ("pos", "pos")):
        if key in value:
            words = _words(value[key], f"{key} of node {name!r}", diag, _vpos(value, key), rule_id, lemma=key == "lemma")
            ok = ok and words is not None
            kw[attr] = words
    if "concept" in value:
        c = value["concept"]
        if c != ANCHOR_CONCEPT:
            diag.add("R113", f"unknown concept {c!r} in node {name!r}; the only concept is DISEASE",
                     _vpos(value, "concept"), rule_id=rule_id)
            ok = False
        kw["concept"] = ANCHOR_CONCEPT
    return NodeSpec(**kw) if ok else None


def _rels(value: Any, diag: Diagnostics, pos, rule_id: str | None) -> tuple[bool, frozenset[str] | None]:
    if value == "*":
        return True, None
    items = value.split("|") if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(r, str) for r in items):
        diag.add("R132", f"rel must be a relation name, 'a|b', a list of names or '*', not {value!r}", pos, rule_id=rule_id)
        return False, None
    names = [r.strip() for r in items]
    for r in names:
        if not is_canonical(r):
            diag.add("R112", f"unknown relation {r!r}; relations are canonical labels such as neg, dobj, prep_of",
                     pos, rule_id=rule_id)
            return False, None
    return True, frozenset(names)


def compile_match(match: Any, diag: Diagnostics, rule_id: str | None = None, pos=None) -> Pattern | None:
    """Compile a ``match:`` mapping; problems go to ``diag`` and give ``None``."""
    if not isinstance(match, Mapping):
        diag.add("R132", "'match:' must be a mapping with 'nodes', 'edges' and optionally 'anchor'", pos, rule_id=rule_id)
        return None
    before = len(diag.errors)
    for key in match:
        if key not in _MATCH_KEYS:
            diag.add("R130", f"unknown key {key!r} in 'match:'{did_you_mean(key, _MATCH_KEYS)}; "
                     f"use {', '.join(_MATCH_KEYS)}", _kpos(match, key), rule_id=rule_id)
    raw_nodes = match.get("nodes")
    if "nodes" not in match:
        diag.add("R131", "'match:' needs 'nodes:'", getattr(match, "pos", pos), rule_id=rule_id)
        return None
    if not isinstance(raw_nodes, Mapping) or not raw_nodes:
        diag.add("R132", "'nodes:' must be a non-empty mapping of node name → constraints", _vpos(match, "nodes"), rule_id=rule_id)
        return None
    nodes = _nodes(raw_nodes, diag, rule_id)
    edges = _edges(match, raw_nodes, diag, rule_id)
    anchor = _anchor(match, raw_nodes, nodes, diag, rule_id, before)
    if anchor is None:
        return None
    pattern = Pattern(nodes, edges, anchor)
    reach = nx.node_connected_component(pattern.graph.to_undirected(as_view=True), anchor)
    loose = [n for n in nodes if n not in reach]
    if loose:
        diag.add("R114", f"node {loose[0]!r} is not connected to the anchor by any edge", _kpos(raw_nodes, loose[0]), rule_id=rule_id)
        return None
    return pattern


def _nodes(raw_nodes: Mapping, diag: Diagnostics, rule_id: str | None) -> dict[str, NodeSpec]:
    """The valid nodes of ``nodes:`` by name (an invalid one is reported and left out)."""
    nodes: dict[str, NodeSpec] = {}
    for name, value in raw_nodes.items():
        if not isinstance(name, str):
            diag.add("R132", f"node names are strings, not {name!r}", _kpos(raw_nodes, name), rule_id=rule_id)
            continue
        spec = _node(name, value, raw_nodes, diag, rule_id)
        if spec is not None:
            nodes[name] = spec
    return nodes


def _edges(match: Mapping, raw_nodes: Mapping, diag: Diagnostics, rule_id: str | None) -> list[EdgeSpec]:
    """The valid edges of ``edges:`` (an invalid one is reported and left out); at most one
    edge joins two nodes, and none loops (R143)."""
    raw_edges = match.get("edges", [])
    edges: list[EdgeSpec] = []
    if raw_edges is None:
        raw_edges = []
    if not isinstance(raw_edges, list):
        diag.add("R132", "'edges:' must be a list of {head, rel, dep}", _vpos(match, "edges"), rule_id=rule_id)
        raw_edges = []
    seen: set[tuple[str, str]] = set()
    item_pos = getattr(raw_edges, "item_pos", [])
    for k, e in enumerate(raw_edges):
        epos = item_pos[k] if k < len(item_pos) else _vpos(match, "edges")
        got = _edge(e, epos, raw_nodes, diag, rule_id)
        if got is None:
            continue
        pair, rels = got
        if pair[0] == pair[1] or pair in seen or pair[::-1] in seen:
            what = "loops from a node to itself" if pair[0] == pair[1] else "joins two nodes that another edge already joins"
            diag.add("R143", f"edge {pair[0]} → {pair[1]} {what}", epos, rule_id=rule_id)
            continue
        seen.add(pair)
        edges.append(EdgeSpec(pair[0], pair[1], rels))
    return edges


def _edge(
    e: Any, epos: Any, raw_nodes: Mapping, diag: Diagnostics, rule_id: str | None
) -> tuple[tuple[Any, Any], frozenset[str] | None] | None:
    """One ``{head, rel, dep}`` item as ``((head, dep), rels)``, or ``None`` when invalid."""
    if not isinstance(e, Mapping):
        diag.add("R132", "an edge must be a mapping {head: …, rel: …, dep: …}", epos, rule_id=rule_id)
        return None
    bad = False
    for key in e:
        if key not in _EDGE_KEYS:
            diag.add("R130", f"unknown edge key {key!r}{did_you_mean(key, _EDGE_KEYS)}; use head, rel, dep",
                     _kpos(e, key), rule_id=rule_id)
            bad = True
    for key in _EDGE_KEYS:
        if key not in e:
            diag.add("R131", f"an edge needs '{key}:'", epos, rule_id=rule_id)
            bad = True
    if bad:
        return None
    for key in ("head", "dep"):
        if e[key] not in raw_nodes:
            diag.add("R141", f"edge {key} {e[key]!r} is not declared under 'nodes:'"
                     f"{did_you_mean(e[key], [n for n in raw_nodes if isinstance(n, str)])}",
                     _vpos(e, key), rule_id=rule_id)
            bad = True
    ok, rels = _rels(e["rel"], diag, _vpos(e, "rel"), rule_id)
    if bad or not ok:
        return None
    return (e["head"], e["dep"]), rels


def _anchor(
    match: Mapping, raw_nodes: Mapping, nodes: dict[str, NodeSpec], diag: Diagnostics, rule_id: str | None, before: int
) -> str | None:
    """The pattern's one DISEASE node, agreeing with ``anchor:`` when given; ``None`` when
    the anchor is wrong or any problem was reported since ``before`` errors."""
    anchors = [n for n, s in nodes.items() if s.is_anchor]
    anchor = match.get("anchor")
    if anchor is not None:
        if not isinstance(anchor, str) or anchor not in raw_nodes:
            diag.add("R140", f"anchor {anchor!r} is not declared under 'nodes:'", _vpos(match, "anchor"), rule_id=rule_id)
            return None
    if len(diag.errors) > before:
        return None
    if not anchors:
        diag.add("R110", "the pattern has no anchor: give one node {concept: DISEASE}", _vpos(match, "nodes"), rule_id=rule_id)
        return None
    if len(anchors) > 1:
        diag.add("R111", f"the pattern has more than one DISEASE node: {', '.join(anchors)}", _vpos(raw_nodes, anchors[1]), rule_id=rule_id)
        return None
    if anchor is not None and anchor != anchors[0]:
        diag.add("R144", f"anchor {anchor!r} is not the DISEASE node ({anchors[0]!r})", _vpos(match, "anchor"), rule_id=rule_id)
        return None
    return anchors[0]
