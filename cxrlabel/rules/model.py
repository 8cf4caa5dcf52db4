"""Rules as values: what the loader produces and the matcher consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ..errors import SourceLocation
from ..types import Label, Stage
from .pattern import Pattern
from .scope import Scope

__all__ = ["Example", "Rule"]


@dataclass(frozen=True)
class Example:
    """A sentence or report the rule is meant for, with the labels it should produce."""

    text: str
    expect: Mapping[str, Label]


@dataclass(frozen=True, eq=False)
class Rule:
    """One compiled rule.

    ``pattern`` is the compiled match (from either form); ``source`` is the path text for a
    path rule (``None`` for a structured one); ``location`` is where the rule starts in its
    file, when it came from one. A scope rule (:mod:`cxrlabel.rules.scope`) has ``scope`` set
    and no ``pattern``. Two rules are equal when id, label, stage and pattern/scope agree.
    """

    id: str
    assigns: Label
    stage: Stage
    pattern: Pattern | None
    description: str | None = None
    examples: tuple[Example, ...] = ()
    source: str | None = None
    location: SourceLocation | None = field(default=None, compare=False)
    scope: Scope | None = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Rule):
            return NotImplemented
        return (self.id, self.assigns, self.stage, self.pattern, self.scope) == (
            other.id,
            other.assigns,
            other.stage,
            other.pattern,
            other.scope,
        )

    def __hash__(self) -> int:
        return hash((self.id, self.assigns, self.stage, self.pattern, self.scope))
