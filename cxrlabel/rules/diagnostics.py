"""Collecting located rule errors while checking a file (jsonschema-style: all of them)."""

from __future__ import annotations

import difflib
from typing import Iterable

from ..errors import RuleError, SourceLocation
from .yamlsrc import Pos, scalar_position

__all__ = ["Diagnostics", "did_you_mean"]


def did_you_mean(word: object, options: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` when ``word`` is close to one of ``options``, else ``""``."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(options), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


class Diagnostics:
    """Errors found in one rule file, each with ``file:line:col`` and the offending line."""

    def __init__(self, filename: str, text: str) -> None:
        self.filename = filename
        self.text = text
        self.lines = text.splitlines()
        self.errors: list[RuleError] = []

    def location(self, line: int, col: int) -> SourceLocation:
        """A 1-based location from 0-based ``line``/``col``."""
        src = self.lines[line] if 0 <= line < len(self.lines) else ""
        return SourceLocation(self.filename, line + 1, col + 1, src)

    def add(
        self,
        code: str,
        message: str,
        pos: Pos | None,
        *,
        rule_id: str | None = None,
        offset: int | None = None,
    ) -> None:
        """Record an error at ``pos`` (``offset`` characters into a string scalar, if given)."""
        if pos is None:
            loc = self.location(0, 0) if self.lines else SourceLocation(self.filename, 1, 1, "")
        elif offset is not None:
            loc = self.location(*scalar_position(self.text, pos, offset))
        else:
            loc = self.location(pos.line, pos.col)
        self.errors.append(RuleError(message, code=code, location=loc, rule_id=rule_id))
