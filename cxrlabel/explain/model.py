"""The explanation as data: frozen dataclasses, and their JSON form (``cxrlabel explain --json``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "BoundNode",
    "Explanation",
    "Firing",
    "MentionExplanation",
    "ScopeCheck",
    "SentenceExplanation",
    "TokenRow",
]


@dataclass(frozen=True)
class TokenRow:
    """One token of the normalized parse; ``heads`` lists every incoming ``(head, rel)``
    (normalization can give a token two heads, e.g. ``prep_of`` beside ``pobj``)."""

    i: int
    text: str
    lemma: str
    tag: str
    heads: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class BoundNode:
    """A pattern node, its constraint, and the token it bound."""

    name: str
    constraint: str
    token: int
    text: str


@dataclass(frozen=True)
class Firing:
    """A rule that matched a mention: its stage and label, whether it decided the polarity,
    the token each pattern node bound and the sentence edges ``(head, rel, dep)`` it used."""

    rule_id: str
    stage: str
    assigns: str
    decided: bool
    pattern: str
    location: str | None
    anchor: int
    nodes: tuple[BoundNode, ...]
    edges: tuple[tuple[int, str, int], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id, "stage": self.stage, "assigns": self.assigns, "decided": self.decided,
            "pattern": self.pattern, "location": self.location, "anchor": self.anchor,
            "nodes": [{"name": n.name, "constraint": n.constraint, "token": n.token, "text": n.text} for n in self.nodes],
            "edges": [{"head": h, "rel": r, "dep": d} for h, r, d in self.edges],
        }


@dataclass(frozen=True)
class ScopeCheck:
    """A scope rule tried in the fallback (only when no pattern rule fired): its window, the
    cue token it found (``None``: no cue in scope) and whether it decided the polarity."""

    rule_id: str
    stage: str
    assigns: str
    decided: bool
    scope: str
    location: str | None
    cue: int | None
    cue_text: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id, "stage": self.stage, "assigns": self.assigns, "decided": self.decided,
            "scope": self.scope, "location": self.location, "cue": self.cue, "cue_text": self.cue_text,
        }


@dataclass(frozen=True)
class MentionExplanation:
    """A concept mention, its polarity, and what decided it.

    ``basis`` says how (:class:`~cxrlabel.rules.judge.Basis`): ``normal`` (a NORMAL statement,
    asserted as written), ``asserted`` (a normal statement denying the finding, asserted by the
    ontology with the rule id in ``rules``), ``pattern`` (the deciding ``firings``), ``scope`` (the deciding
    ``scope`` check) or ``default`` (nothing fired: a plain mention is positive). ``firings``
    holds every pattern rule that matched, later stages included; ``scope`` every scope rule
    tried (in the fallback, or before a rule about the list).
    """

    finding: str
    cui: str
    text: str
    start: int
    end: int
    head: int
    nodes: tuple[int, ...]
    polarity: str
    rules: tuple[str, ...]
    firings: tuple[Firing, ...]
    basis: str = "pattern"
    scope: tuple[ScopeCheck, ...] = ()

    @property
    def deciding(self) -> tuple[str, ...]:
        """The ids of the rules shown as deciding (pattern firings, then a scope check)."""
        return tuple(f.rule_id for f in self.firings if f.decided) + tuple(c.rule_id for c in self.scope if c.decided)

    def to_dict(self) -> dict[str, Any]:
        return {
            "finding": self.finding, "cui": self.cui, "text": self.text, "start": self.start, "end": self.end,
            "head": self.head, "nodes": list(self.nodes), "polarity": self.polarity, "rules": list(self.rules),
            "basis": self.basis, "firings": [f.to_dict() for f in self.firings],
            "scope": [c.to_dict() for c in self.scope],
        }


@dataclass(frozen=True)
class SentenceExplanation:
    """One labeled sentence: where it is, its parse and its mentions."""

    index: int
    section: str | None
    text: str
    start: int
    end: int
    tokens: tuple[TokenRow, ...]
    mentions: tuple[MentionExplanation, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "section": self.section, "text": self.text, "start": self.start, "end": self.end,
            "tokens": [
                {"i": t.i, "text": t.text, "lemma": t.lemma, "tag": t.tag, "heads": [{"head": h, "rel": r} for h, r in t.heads]}
                for t in self.tokens
            ],
            "mentions": [m.to_dict() for m in self.mentions],
        }


@dataclass(frozen=True)
class Explanation:
    """Everything behind one report's labels."""

    text: str
    sentences: tuple[SentenceExplanation, ...]
    labels: dict[str, str | None]
    rules: dict[str, list[str]]
    normal: bool
    policy: str
    failures: tuple[tuple[int, int, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form (what ``cxrlabel explain --json`` prints)."""
        return {
            "text": self.text,
            "sentences": [s.to_dict() for s in self.sentences],
            "labels": dict(self.labels),
            "rules": {k: list(v) for k, v in self.rules.items()},
            "normal": self.normal,
            "policy": self.policy,
            "failures": [{"start": a, "end": b, "error": e} for a, b, e in self.failures],
        }
