"""Faithful text: format characters removed from a report, with a map back to its offsets.

Invisible format characters inside a word (a soft hyphen U+00AD, a zero-width space U+200B,
the joiners U+200C/U+200D, a word joiner U+2060, a BOM U+FEFF, a NUL, other non-space
control characters, bidi marks) are *removed* before sections, sentences and the parse:
"cardio\\u00admegaly" must read as "cardiomegaly", not as two words. Space-like controls
(vertical tab, form feed, the information separators, NEL) become spaces; tabs and line
breaks stay, because section and sentence splitting rely on them.

A :class:`TextMap` keeps the cleaned text and, when anything was removed, the original
position of every cleaned character, so that every offset the pipeline reports (sentences,
tokens, mentions, failures) still points into the *original* report text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

__all__ = ["FORMAT_CHARS", "TextMap"]

#: The characters removed from report text (a regular-expression character class body).
FORMAT_CHARS = (
    "\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"  # C0/C1 controls that are not whitespace
    "\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
)
_REMOVE_RE = re.compile(f"[{FORMAT_CHARS}]+")
_SPACE_RE = re.compile("[\x0b\x0c\x1c-\x1f\x85]")


@dataclass(frozen=True)
class TextMap:
    """``text``: ``source`` with :data:`FORMAT_CHARS` removed and space-like controls made
    spaces. ``positions[i]`` is the offset in ``source`` of ``text[i]`` (``None``: nothing
    was removed, offsets are the same)."""

    text: str
    source: str
    positions: Sequence[int] | None = None

    @classmethod
    def of(cls, source: str) -> TextMap:
        """The cleaned text of ``source`` and its offset map."""
        spaced = _SPACE_RE.sub(" ", source)
        if not _REMOVE_RE.search(spaced):
            return cls(spaced, source, None)
        parts: list[str] = []
        positions: list[int] = []
        last = 0
        for m in _REMOVE_RE.finditer(spaced):
            parts.append(spaced[last : m.start()])
            positions.extend(range(last, m.start()))
            last = m.end()
        parts.append(spaced[last:])
        positions.extend(range(last, len(spaced)))
        return cls("".join(parts), source, positions)

    def start(self, i: int) -> int:
        """The source offset of the cleaned character at ``i`` (a span's start)."""
        if self.positions is None:
            return i
        return self.positions[i] if i < len(self.positions) else len(self.source)

    def end(self, i: int) -> int:
        """The source offset just after the cleaned character at ``i - 1`` (a span's end)."""
        if self.positions is None:
            return i
        return self.positions[i - 1] + 1 if i > 0 else 0

    def gaps(self, a: int, b: int) -> tuple[tuple[int, int], ...]:
        """Where characters were removed inside the cleaned span ``[a, b)``: ``(p, n)`` says
        that ``n`` characters were removed just before the span's character ``p`` (``p``
        relative to ``a``). The form :attr:`cxrlabel.types.Sentence.gaps` takes."""
        pos = self.positions
        if pos is None:
            return ()
        return tuple((p - a, pos[p] - pos[p - 1] - 1) for p in range(a + 1, b) if pos[p] - pos[p - 1] > 1)
