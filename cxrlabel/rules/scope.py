"""Scope rules: ConText-style cue windows, the fallback for parses the paths cannot read.

Small English parsers often attach hedges and negations to the wrong word ("This may represent
focal right lower lobe pneumonia given history" leaves "pneumonia" outside the modal's
subtree), so a dependency path cannot see the cue. A scope rule says, as data, "a cue word
within ``window`` tokens ``before`` (or ``after``) the finding, with no stop word in between"::

    - id: hedge-cue-before
      assigns: uncertain
      stage: post-negation-uncertainty
      scope: {cues: [may, possibly, probable], direction: before, window: 12, stop: [";", ":"]}

Scope rules are a fallback: the labeler tries them only for a mention that no path or
structured rule decided, in stage order. A cue matches a token's lemma or lower-cased text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from ..types import Token
from .diagnostics import Diagnostics, did_you_mean

__all__ = ["DIRECTIONS", "Scope", "compile_scope"]

DIRECTIONS = ("before", "after", "either")
MAX_WINDOW = 40
_SCOPE_KEYS = ("cues", "direction", "window", "stop")
_WORD_RE = re.compile(r"^[^\s]+$")


@dataclass(frozen=True)
class Scope:
    """A cue window: ``cues`` and ``stops`` are lower-case words; ``window`` counts tokens."""

    cues: frozenset[str]
    direction: str = "before"
    window: int = 8
    stops: frozenset[str] = frozenset()

    def find_cue(self, tokens: Sequence[Token], nodes: Sequence[int]) -> int | None:
        """Index of the nearest cue token in scope of the mention covering ``nodes``, if any."""
        first, last = min(nodes), max(nodes)
        if self.direction in ("before", "either"):
            hit = self._walk(tokens, range(first - 1, max(-1, first - 1 - self.window), -1))
            if hit is not None:
                return hit
        if self.direction in ("after", "either"):
            return self._walk(tokens, range(last + 1, min(len(tokens), last + 1 + self.window)))
        return None

    def _walk(self, tokens: Sequence[Token], order: range) -> int | None:
        for k in order:
            t = tokens[k]
            low, lemma = t.text.lower(), t.lemma.lower()
            if low in self.stops or lemma in self.stops:
                return None
            if low in self.cues or lemma in self.cues:
                return k
        return None


def _words(value: Any, what: str, diag: Diagnostics, rule_id: str | None, pos: Any) -> frozenset[str] | None:
    if not isinstance(value, list) or not value or not all(isinstance(w, str) and _WORD_RE.match(w) for w in value):
        code = "R171" if what == "cues" else "R174"
        diag.add(code, f"'{what}' must be a non-empty list of single words", pos, rule_id=rule_id)
        return None
    return frozenset(w.lower() for w in value)


def compile_scope(raw: Any, diag: Diagnostics, rule_id: str | None, pos: Any) -> Scope | None:
    """Check and compile a ``scope:`` mapping (errors R170–R174 go to ``diag``)."""
    if not isinstance(raw, Mapping):
        diag.add("R170", "'scope' must be a mapping with cues, direction, window and stop", pos, rule_id=rule_id)
        return None
    before = len(diag.errors)
    vpos = getattr(raw, "val_pos", {})
    for key in raw:
        if key not in _SCOPE_KEYS:
            kpos = getattr(raw, "key_pos", {}).get(key, pos)
            diag.add("R170", f"unknown scope key {key!r}{did_you_mean(key, _SCOPE_KEYS)}; use {', '.join(_SCOPE_KEYS)}",
                     kpos, rule_id=rule_id)
    if "cues" not in raw:
        diag.add("R171", "a scope needs 'cues:' (the words that open it)", pos, rule_id=rule_id)
        cues = None
    else:
        cues = _words(raw["cues"], "cues", diag, rule_id, vpos.get("cues", pos))
    direction = raw.get("direction", "before")
    if direction not in DIRECTIONS:
        diag.add("R172", f"'direction' is {direction!r}; use one of {', '.join(DIRECTIONS)}",
                 vpos.get("direction", pos), rule_id=rule_id)
    window = raw.get("window", 8)
    if not isinstance(window, int) or isinstance(window, bool) or not 1 <= window <= MAX_WINDOW:
        diag.add("R173", f"'window' must be a whole number of tokens from 1 to {MAX_WINDOW}, not {window!r}",
                 vpos.get("window", pos), rule_id=rule_id)
    stops = _words(raw["stop"], "stop", diag, rule_id, vpos.get("stop", pos)) if "stop" in raw else frozenset()
    if len(diag.errors) > before or cues is None or stops is None:
        return None
    return Scope(cues, direction, window, stops)
