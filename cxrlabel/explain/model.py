"""The explanation as data: frozen dataclasses, and their JSON form (``cxrlabel explain --json``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["BoundNode", "Explanation", "Firing", "MentionExplanation", "SentenceExplanation", "TokenRow"]


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


@dataclass(frozen=True)
class MentionExplanation:
    """A concept mention, its polarity, and every rule that fired on it."""

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

        def firing(f: Firing) -> dict[str, Any]:
            return {
                "rule": f.rule_id, "stage": f.stage, "assigns": f.assigns, "decided": f.decided,
                "pattern": f.pattern, "location": f.location, "anchor": f.anchor,
                "nodes": [{"name": n.name, "constraint": n.constraint, "token": n.token, "text": n.text} for n in f.nodes],
                "edges": [{"head": h, "rel": r, "dep": d} for h, r, d in f.edges],
            }

        return {
            "text": self.text,
            "sentences": [
                {
                    "index": s.index, "section": s.section, "text": s.text, "start": s.start, "end": s.end,
                    "tokens": [
                        {"i": t.i, "text": t.text, "lemma": t.lemma, "tag": t.tag,
                         "heads": [{"head": h, "rel": r} for h, r in t.heads]}
                        for t in s.tokens
                    ],
                    "mentions": [
                        {
                            "finding": m.finding, "cui": m.cui, "text": m.text, "start": m.start, "end": m.end,
                            "head": m.head, "nodes": list(m.nodes), "polarity": m.polarity, "rules": list(m.rules),
                            "firings": [firing(f) for f in m.firings],
                        }
                        for m in s.mentions
                    ],
                }
                for s in self.sentences
            ],
            "labels": dict(self.labels),
            "rules": {k: list(v) for k, v in self.rules.items()},
            "normal": self.normal,
            "policy": self.policy,
            "failures": [{"start": a, "end": b, "error": e} for a, b, e in self.failures],
        }

