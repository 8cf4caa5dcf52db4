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

Every scope also ends at a **clause boundary**, defined here once for all rules (not per
rule's ``stop`` list):

- the clause punctuation of :data:`CLAUSE_PUNCTUATION` and the contrast words of
  :data:`CONTRAST_WORDS` ("no effusion *but* a small pneumothorax");
- a comma with a second cue after it: a cue word of any polarity (:data:`SECOND_CUES`) or a
  finite verb between the comma and the finding opens a clause of its own ("negative for A,
  *positive* for B", "no new disease, there *is* an enlarged heart", "no effusion, *possible*
  pneumonia");
- a cue that closes its own clause — directly followed by a comma or a period — looks back, not
  forward ("A is negative, B is positive": B is not in the scope of "negative").

A list keeps its scope ("no A, B, or C": commas without a second cue are no boundary).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from ..types import Token
from .diagnostics import Diagnostics, did_you_mean

__all__ = ["CLAUSE_PUNCTUATION", "CONTRAST_WORDS", "DIRECTIONS", "SECOND_CUES", "Scope", "compile_scope"]

DIRECTIONS = ("before", "after", "either")
MAX_WINDOW = 40
_SCOPE_KEYS = ("cues", "direction", "window", "stop")
_WORD_RE = re.compile(r"^[^\s]+$")

#: Punctuation that always ends a scope.
CLAUSE_PUNCTUATION: frozenset[str] = frozenset({";", ":", "?", "!", "."})
#: Contrast words that always end a scope.
CONTRAST_WORDS: frozenset[str] = frozenset(
    {"but", "however", "although", "though", "whereas", "yet", "except", "nevertheless", "nonetheless"}
)
#: Words that open a clause of their own after a comma: cues of every polarity.
SECOND_CUES: frozenset[str] = frozenset(
    {
        "positive", "present", "new", "no", "not", "without", "negative", "free", "absent",
        "may", "might", "could", "possible", "possibly", "probable", "probably", "likely",
        "suggest", "suggestive", "suggesting", "questionable", "concerning", "suspicious",
        "suspected", "worrisome", "consistent", "compatible", "represent", "representing",
    }
)
#: Penn tags of finite verbs: after a comma they start a new clause ("..., there is X").
_FINITE = frozenset({"VBZ", "VBP", "VBD", "MD"})
_CLOSERS = frozenset({",", "."})


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
        backward = order.step < 0
        second = False  # a second cue (or a finite verb) lies between the finding and here
        for k in order:
            t = tokens[k]
            low, lemma = t.text.lower(), t.lemma.lower()
            if low in self.stops or lemma in self.stops or low in CLAUSE_PUNCTUATION or low in CONTRAST_WORDS:
                return None
            if low in self.cues or lemma in self.cues:
                if backward and k + 1 < len(tokens) and tokens[k + 1].text in _CLOSERS:
                    return None  # a cue that closes its clause ("A is negative, B ...")
                return k
            if low == "," and second:
                return None
            if low in SECOND_CUES or lemma in SECOND_CUES or t.tag in _FINITE:
                second = True
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
