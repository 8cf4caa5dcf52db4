"""Sentence splitting for radiology text: NLTK Punkt with parameters kept in this module.

Punkt is used with hand-built :class:`~nltk.tokenize.punkt.PunktParameters` (no
``nltk.download``): an abbreviation list for clinical prose, where units such as ``cm``/``mm``
are deliberately *not* abbreviations because in reports they usually end a sentence
("... measuring 5 mm. No effusion."). Before Punkt runs, the text is cut at hard boundaries
that Punkt does not know about:

- blank lines, and single newlines that start a list item, follow sentence punctuation or a
  colon, or are followed by a capitalised word (dictation without final periods; a line that
  starts with ``XXXX`` or an acronym such as ``PICC`` continues the sentence);
- list markers ``1.``/``2)`` and bullets ``-``, ``*``, ``•`` at the start of a line or after the
  end of a sentence (``2)`` also after any whitespace), also glued to the next word in either
  case ("2.no pleural effusion", "3.Possible edema"; a glued marker after any whitespace too:
  "... pneumothorax 4.mild degenerative change") — the marker itself never becomes (or joins)
  a sentence, so its digits never fuse with the cue word;
- run-on dictation: a capitalised word right after a lower-case word with no punctuation
  between ("No focal infiltrates Emphysema is present") starts a new sentence.

Every span is ``(start, end)`` into the given text, trimmed of whitespace; pieces without any
letter or digit are dropped (they carry nothing to label). OpenI ``XXXX`` redactions are
ordinary words here.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from typing import Any, Iterator


def import_punkt() -> Any:
    """``nltk.tokenize.punkt``, imported without scipy.

    ``import nltk`` imports ``nltk.collocations`` → ``nltk.metrics`` → ``scipy.stats``, about
    1.5 s of a labeler's start, for statistics Punkt never uses (nltk imports scipy in
    ``try``/``except ImportError``). So while nltk is first imported, ``sys.modules["scipy"]``
    is set to ``None`` and removed right after: a later ``import scipy`` loads it normally
    (only nltk's own fisher-exact/betai helpers stay without it). Skipped when nltk or scipy
    is already imported.
    """
    if "nltk" in sys.modules or "scipy" in sys.modules:
        import nltk.tokenize.punkt as punkt

        return punkt
    sys.modules["scipy"] = None  # type: ignore[assignment]
    try:
        import nltk.tokenize.punkt as punkt
    finally:
        if "scipy" in sys.modules and sys.modules["scipy"] is None:
            del sys.modules["scipy"]
    return punkt


_punkt = import_punkt()
PunktParameters = _punkt.PunktParameters
PunktSentenceTokenizer = _punkt.PunktSentenceTokenizer

__all__ = ["ABBREVIATIONS", "import_punkt", "sentence_spans", "split_sentences", "tokenizer"]

#: Lower-case abbreviation types (without the final period) that do not end a sentence.
ABBREVIATIONS: frozenset[str] = frozenset(
    {
        # titles and Latin
        "dr", "drs", "mr", "mrs", "ms", "prof", "jr", "sr", "st", "vs", "v", "e.g", "i.e",
        "cf", "ca", "al", "approx", "viz", "esp", "incl", "fig", "figs", "resp",
        # clinical shorthand
        "a.m", "p.m", "b.i.d", "t.i.d", "q.i.d", "q.d", "p.o", "p.r.n", "h.o", "s.p",
        "hx", "pt", "pts", "yo", "y.o", "sig", "lat", "ant", "inf", "sup", "ext",
        "a.p", "p.a", "rt", "lt", "bilat", "r.o",
    }
)

# A list marker: "1." / "12)" / "(3)" followed by whitespace, or a bullet.
# "1.Severe" and "2., Mild" (dictation glitches) count too; "1.5" does not.
_MARKER = r"(?:\(?\d{1,2}[.)],?(?=\s|[A-Za-z])|[-*\u2022\u2023\u25e6\u2043](?=\s))"
# Where a marker may start: beginning of a piece, or after sentence punctuation / a colon.
# "2)" markers may also follow plain whitespace ("No effusion 2) No pneumothorax"), and so may
# a number glued to the next word ("... pneumothorax 4.mild degenerative change": items of a
# numbered list wrapped onto one line); "1.5 cm" is never a marker (a digit follows).
_MARKER_RE = re.compile(
    rf"(?:^|(?<=[.;:!?])|(?<=[.;:!?][)\"'])|(?<=\s)(?=\d{{1,2}}\)\s)|(?<=\s)(?=\d{{1,2}}[.)][A-Za-z]))"
    rf"(?P<ws>\s*)(?P<m>{_MARKER})\s*"
)
# Newlines that end a piece: blank line; or newline followed by a marker or a capital letter,
# or preceded by sentence punctuation / colon.
_BREAK_BEFORE_LINE = r"[ \t]*\r?\n[ \t]*(?=\(?\d{1,2}[.)]\s|[-*\u2022\u2023\u25e6\u2043]\s|[A-Z][a-z])"
_HARD_BREAK_RE = re.compile(rf"\n[ \t]*\n\s*|(?<=[.;:!?])[ \t]*\r?\n\s*|{_BREAK_BEFORE_LINE}")
# The same for scanning, with the last alternative tried only where a blank run starts: from
# inside a run it matches exactly where it matches from the run's start (which comes first),
# and trying it at every blank of a long run made splitting quadratic.
_HARD_BREAK_SCAN_RE = re.compile(
    rf"\n[ \t]*\n\s*|(?<=[.;:!?])[ \t]*\r?\n\s*|(?<![ \t]){_BREAK_BEFORE_LINE}"
)
# Run-on dictation: "...infiltrates Emphysema..." (a lower-case word, spaces, a Titlecase word),
# unless the lower-case word is a function word ("evidence of Pneumonia" stays whole).
_RUNON_RE = re.compile(r"(?<![\w'-])(?P<prev>[a-z]{2,})(?P<gap>[ ]+)(?=[A-Z][a-z]{2,}\b)")
_FUNCTION_WORDS = frozenset(
    "a an the of in on at to for from with without by as and or nor but no not is are was were be "
    "been than that which who this these those there per via into onto over under about like "
    "including include includes represent represents suggest suggests concerning possible "
    "probable likely dr called discussed through".split()
)
_ALNUM_RE = re.compile(r"[^\W_]")


#: Candidate contexts whose Punkt decision :class:`_MemoPunkt` remembers (then it starts over).
DECISIONS = 100_000


class _MemoPunkt(PunktSentenceTokenizer):
    """Punkt with its per-candidate decision memoized. ``text_contains_sentbreak(context)``
    ("size. The", "normal. No": a possible sentence end and the words around it) is a pure
    function of the context once the parameters are fixed, and report prose repeats the same
    few hundred contexts: the same spans as plain Punkt, in about half the time."""

    def __init__(self, params: Any) -> None:
        super().__init__(params)
        self._decisions: dict[str, bool] = {}

    def text_contains_sentbreak(self, text: str) -> bool:
        got = self._decisions.get(text)
        if got is None:
            got = super().text_contains_sentbreak(text)
            if len(self._decisions) >= DECISIONS:
                self._decisions.clear()
            self._decisions[text] = got
        return got


@lru_cache(maxsize=1)
def tokenizer() -> PunktSentenceTokenizer:
    """The shared Punkt tokenizer built from :data:`ABBREVIATIONS`."""
    params = PunktParameters()
    params.abbrev_types = set(ABBREVIATIONS)
    return _MemoPunkt(params)


def _hard_breaks(text: str, start: int, end: int) -> Iterator[re.Match[str]]:
    """The :data:`_HARD_BREAK_RE` matches in ``text[start:end]``, found in linear time: the
    piece may start inside a blank run, so a match right at ``start`` is tried first."""
    first = _HARD_BREAK_RE.match(text, start, end)
    if first:
        yield first
        start = first.end()
    yield from _HARD_BREAK_SCAN_RE.finditer(text, start, end)


def _pieces(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Cut ``text[start:end]`` at every hard break (the breaks are dropped)."""
    pos = start
    for m in _hard_breaks(text, start, end):
        if m.start() > pos:
            yield pos, m.start()
        pos = max(pos, m.end())
    if pos < end:
        yield pos, end


def _strip_markers(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Cut a piece at list markers/bullets, dropping the markers themselves."""
    chunk = text[start:end]  # matched on the slice so that ``^`` means the piece's start
    pos = 0
    for m in _MARKER_RE.finditer(chunk):
        if m.start("m") < pos:
            continue
        if m.start("m") > pos:
            yield start + pos, start + m.start("m")
        pos = m.end()
    if pos < len(chunk):
        yield start + pos, end


def _runon_cuts(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Cut a piece where dictation runs two sentences together without punctuation."""
    pos = start
    for m in _RUNON_RE.finditer(text, start, end):
        if m.group("prev") in _FUNCTION_WORDS:
            continue
        yield pos, m.start("gap")
        pos = m.end("gap")
    if pos < end:
        yield pos, end


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of ``text[start:end]``, as offsets into ``text``."""
    end = len(text) if end is None else end
    punkt = tokenizer()
    out: list[tuple[int, int]] = []
    for b0, b1 in _pieces(text, start, end):
        for m0, m1 in _strip_markers(text, b0, b1):
            for r0, r1 in _runon_cuts(text, m0, m1):
                chunk = text[r0:r1]
                for s0, s1 in punkt.span_tokenize(chunk):
                    a, b = _trim(text, r0 + s0, r0 + s1)
                    if b > a and _ALNUM_RE.search(text, a, b):
                        out.append((a, b))
    return out


def split_sentences(text: str) -> list[str]:
    """The sentence strings of ``text`` (convenience over :func:`sentence_spans`)."""
    return [text[a:b] for a, b in sentence_spans(text)]
