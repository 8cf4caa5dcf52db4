"""Running each rule's ``examples`` through a labeler (what ``cxrlabel rules test`` does).

Kept apart from the loader so that it needs nothing but a duck-typed labeler: ``label(text)``
returns an object ``r`` with ``r[finding]`` → ``"positive"``/``"negative"``/``"uncertain"``/
``None`` and ``r.mentions`` (each with ``.finding``, ``.polarity`` and ``.rules``, the ids of
the rules that decided it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Protocol

from .model import Rule

__all__ = ["ExampleResult", "run_examples"]


class _Labeler(Protocol):
    def label(self, text: str) -> Any: ...


@dataclass(frozen=True)
class ExampleResult:
    """One example of one rule: what was expected, what came out, and whether the rule fired.

    ``passed`` is true when every expected finding got its expected label; ``fired`` says
    whether the rule itself decided some mention (informative: another rule may legitimately
    decide first).
    """

    rule_id: str
    text: str
    expected: Mapping[str, str]
    got: Mapping[str, str | None]
    fired: bool
    passed: bool

    def describe(self) -> str:
        status = "ok" if self.passed else "FAIL"
        wrong = [f"{f}: expected {e}, got {self.got.get(f)}" for f, e in self.expected.items() if self.got.get(f) != e]
        tail = ("; " + "; ".join(wrong)) if wrong else ""
        return f"{status} {self.rule_id}: {self.text!r}{tail}"


def _as_str(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def run_examples(rules: Iterable[Rule], labeler: _Labeler) -> list[ExampleResult]:
    """Label every example of every rule with ``labeler``; one result per example. A labeler
    with a ``scheme`` reads each expected finding in that scheme (``Effusion`` is the chexpert
    scheme's ``Pleural Effusion``); an example naming only findings the scheme lacks is skipped."""
    results = []
    translate = getattr(getattr(labeler, "scheme", None), "translate", lambda f: f)
    for rule in rules:
        for ex in rule.examples:
            expected = {name: str(lbl) for f, lbl in ex.expect.items() if (name := translate(f)) is not None}
            if not expected:
                continue
            r = labeler.label(ex.text)
            got = {f: _as_str(r[f]) for f in expected}
            fired = any(rule.id in tuple(getattr(m, "rules", ())) for m in getattr(r, "mentions", ()))
            results.append(ExampleResult(rule.id, ex.text, expected, got, fired, all(got[f] == e for f, e in expected.items())))
    return results
