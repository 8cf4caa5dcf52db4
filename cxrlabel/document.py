"""The text pipeline: report → sections → sentences → parsed, normalized :class:`Sentence` s.

:func:`split_report` does the text part (sections, then sentences) and returns spans, so that a
parse cache can sit between splitting and parsing; :func:`parse_report` and the batched
:func:`parse_reports` send the spans through a :class:`~cxrlabel.parsers.Parser`.

Faithful text (every offset points into the original report): format characters (a soft
hyphen, zero-width spaces and joiners, a BOM, NUL, other non-space controls) are *removed*
(:mod:`cxrlabel.textmap`: "cardio\\u00admegaly" is one word), space-like controls, line breaks
and tabs inside a sentence become spaces in the text handed to the parser. A sentence longer
than :data:`MAX_SENTENCE_CHARS` is split after a ``;`` or at a line break; one with neither is
never cut: it is a failure (``I252``). A sentence the parser fails on is recorded in
``Document.failures`` with the error message (``I251``), and a report without a sentence to
label is empty (``I250``): :attr:`Document.error` says why the report cannot be labeled.

Any :class:`~cxrlabel.parsers.Parser` works; a parser that also has
``parse_spans(items)`` (items ``(text, offset, index, section)``, as
:class:`~cxrlabel.parsers.spacy.SpacyParser` does) returns sentences already placed in the
report, which saves building every sentence graph a second time.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from typing import Callable, Collection, Iterable, Iterator, Protocol

from .errors import CacheError, CxrlabelError, InputError
from .parsers.base import Parser, parse_placed
from .sections import Section, select_sections
from .sentences import sentence_spans
from .textmap import TextMap
from .types import Sentence

__all__ = [
    "MAX_SENTENCE_CHARS",
    "Document",
    "ParseFailure",
    "SentenceSpan",
    "clean_text",
    "clear_split_memo",
    "section_spans",
    "parse_report",
    "parse_reports",
    "split_report",
    "split_store",
    "splitter_version",
    "use_split_store",
]

#: Sentences longer than this (characters) are split after a ``;`` or at a line break before
#: parsing; one with neither is a failure (``I252``), never cut. spaCy parses a sentence of
#: this length in well under a second.
MAX_SENTENCE_CHARS = 5000

# C0/C1 controls (tabs and line breaks included), soft hyphen, zero-width and bidi marks,
# line/paragraph separators, word joiners and the BOM.
_BAD_CHARS_RE = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
# The same without tabs and line breaks, which section and sentence splitting rely on.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


@dataclass(frozen=True, slots=True)
class SentenceSpan:
    """A sentence to parse: ``text`` is the cleaned ``report[start:end]``, as long as it
    unless format characters were removed at ``gaps`` (see :attr:`Sentence.gaps`).
    ``error``: why this span is not parsed at all (``I252``: too long to parse whole)."""

    text: str
    start: int
    end: int
    section: str | None = None
    gaps: tuple[tuple[int, int], ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """A sentence the parser could not handle: where it is and what went wrong."""

    start: int
    end: int
    text: str
    section: str | None
    error: str
    stage: str = "parse"

    @property
    def message(self) -> str:
        """What the report's ``error`` cell says about it: the stage, the span, the cause."""
        if self.stage == "parse":
            return str(InputError(f"parse failed for the sentence at chars {self.start}-{self.end}: {self.error}", code="I251"))
        return self.error


@dataclass(frozen=True)
class Document:
    """A parsed report: the original ``text``, the labeled ``sections`` (see
    :func:`~cxrlabel.sections.select_sections`), the parsed ``sentences`` in report order with
    report offsets, and the ``failures``. A sentence's ``index`` is its position among the
    report's split sentences, so a failed sentence leaves a gap rather than renumbering."""

    text: str
    sections: tuple[Section, ...] = ()
    sentences: tuple[Sentence, ...] = ()
    failures: tuple[ParseFailure, ...] = ()

    @property
    def error(self) -> str | None:
        """Why this report cannot be labeled (its failures, or ``I250`` when it holds no
        sentence to label), or None. A report with an error is never given labels."""
        if self.failures:
            return "; ".join(f.message for f in self.failures)
        if self.sentences:
            return None
        if not TextMap.of(self.text).text.strip():
            why = "no text to label"
        elif not self.sections:
            why = "no text outside the sections that are never labeled (indication, history, ...)"
        else:
            why = "its sections to label hold no sentence"
        return str(InputError(f"empty report (chars 0-{len(self.text)}): {why}", code="I250"))


def clean_text(text: str) -> str:
    """``text`` with control characters, tabs and line breaks replaced by spaces (same
    length). Format characters are removed before this (:mod:`cxrlabel.textmap`)."""
    return _BAD_CHARS_RE.sub(" ", text)


def _as_text(text: str | bytes, errors: str) -> str:
    if isinstance(text, (bytes, bytearray, memoryview)):
        try:
            return bytes(text).decode("utf-8", errors=errors)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"report bytes are not valid UTF-8 at byte {exc.start} ({exc.reason}); decode them "
                "yourself or pass errors='replace' to substitute U+FFFD",
                code="I201",
            ) from None
    if not isinstance(text, str):
        raise InputError(f"a report must be str or bytes, not {type(text).__name__}", code="I202")
    return text


def _pieces(text: str, start: int, end: int) -> Iterator[tuple[int, int, bool]]:
    """``text[start:end]`` in pieces of at most :data:`MAX_SENTENCE_CHARS`, split just after
    the last ``;`` or line break within the limit (a clause boundary: a negation cue rarely
    reaches across it); ``(start, end, too_long)``, where a stretch with neither is one piece
    with ``too_long`` set: it is never cut."""
    while end - start > MAX_SENTENCE_CHARS:
        limit = start + MAX_SENTENCE_CHARS
        cut = max(text.rfind(";", start + 1, limit), text.rfind("\n", start + 1, limit)) + 1
        if cut <= start + 1:
            yield start, end, True
            return
        stop = cut
        while stop > start and text[stop - 1].isspace():
            stop -= 1
        yield start, stop, False
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        yield start, end, False


def split_report(text: str | bytes, *, errors: str = "strict") -> list[SentenceSpan]:
    """The sentences to label in a report, in order, as spans into the (decoded) text.

    ``errors`` is the UTF-8 decoding policy for ``bytes`` input (``"strict"`` raises
    :class:`~cxrlabel.errors.InputError` ``I201``; ``"replace"`` substitutes U+FFFD).
    """
    return list(_prepare(_as_text(text, errors))[1])


#: How far back the sentence splitter's patterns look before a section's start (its longest
#: lookbehind, in :mod:`cxrlabel.sentences`): those characters are part of the split memo key.
SPLIT_CONTEXT = 2
SPLIT_MEMO_SIZE = 100_000


class SplitLayer(Protocol):
    """A persisted layer under the split memo (:class:`cxrlabel.split_store.SplitStore`)."""

    def get(self, before: str, body: str) -> tuple[tuple[int, int], ...] | None: ...

    def put(self, before: str, body: str, spans: tuple[tuple[int, int], ...]) -> None: ...

    def flush(self) -> None: ...


#: The persisted layer under the split memo, or None.
_SPLIT_STORE: SplitLayer | None = None


@functools.lru_cache(maxsize=1)
def splitter_version() -> str:
    """A digest of what sentence splitting depends on: the source of :mod:`cxrlabel.sentences`,
    :data:`SPLIT_CONTEXT` and the NLTK version (the key of every persisted split)."""
    import hashlib
    from pathlib import Path

    from importlib.metadata import PackageNotFoundError, version

    from . import sentences

    try:
        source = Path(sentences.__file__).read_bytes().decode("utf-8", "replace")
    except OSError:  # no source next to the module: the installed version must do
        try:
            source = "cxrlabel " + version("cxrlabel")
        except PackageNotFoundError:
            source = "cxrlabel (unknown version)"
    try:  # not nltk.__version__: that would run nltk's __init__ (see cxrlabel.sentences.import_punkt)
        nltk_version = version("nltk")
    except PackageNotFoundError:
        nltk_version = ""
    parts = (source, str(SPLIT_CONTEXT), nltk_version)
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:20]


def use_split_store(store: SplitLayer | None) -> None:
    """Read sentence splits this process has not made yet from ``store`` (the ``splits``
    table of a parse cache file), and write new ones to it; ``None``: none. Batch labeling
    with a cache sets it (:func:`cxrlabel.batch.options.split_store_for`, and each worker)."""
    global _SPLIT_STORE
    _SPLIT_STORE = store


def split_store() -> SplitLayer | None:
    """The store :func:`use_split_store` set, if any."""
    return _SPLIT_STORE


@functools.lru_cache(maxsize=SPLIT_MEMO_SIZE)
def _relative_spans(before: str, body: str) -> tuple[tuple[int, int], ...]:
    """Sentence spans of ``body`` relative to its start, for a body preceded by ``before``
    (the last :data:`SPLIT_CONTEXT` characters in front of it, fewer at the text start): the
    splitter sees nothing else, so equal keys give equal spans."""
    store = _SPLIT_STORE
    if store is not None:
        got = store.get(before, body)
        if got is not None:
            return got
    n = len(before)
    spans = tuple((a - n, b - n) for a, b in sentence_spans(before + body, n, n + len(body)))
    if store is not None:
        store.put(before, body, spans)
    return spans


def clear_split_memo() -> None:
    """Forget this process's memoized sentence splits (a benchmark's "as in a new process")."""
    _relative_spans.cache_clear()
    _prepare_memo.cache_clear()


def section_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """:func:`cxrlabel.sentences.sentence_spans` of ``text[start:end]``, memoized per section
    text (with the characters just before it); the same spans, as offsets into ``text``."""
    before = text[max(0, start - SPLIT_CONTEXT) : start]
    return [(start + a, start + b) for a, b in _relative_spans(before, text[start:end])]


#: Reports whose split :func:`_prepare` remembers (those of at most :data:`PREPARED_MAX_CHARS`):
#: a batch task that first asks the memo about a part's sentences and then labels the part
#: splits each report once.
PREPARED_MEMO_SIZE = 1024
PREPARED_MAX_CHARS = 20_000


def _prepare(report: str) -> tuple[tuple[Section, ...], tuple[SentenceSpan, ...]]:
    """The sections (report offsets) and sentence spans of ``report``: split on its text with
    format characters removed, every offset mapped back to the report (both immutable; the
    last :data:`PREPARED_MEMO_SIZE` reports of ordinary length are remembered)."""
    if len(report) > PREPARED_MAX_CHARS:
        return _prepare_now(report)
    return _prepare_memo(report)


def _prepare_now(report: str) -> tuple[tuple[Section, ...], tuple[SentenceSpan, ...]]:
    tm = TextMap.of(report)
    text = _CONTROL_RE.sub(" ", tm.text)  # same length as tm.text
    sections = select_sections(text)
    out: list[SentenceSpan] = []
    for sec in sections:
        for a, b in section_spans(text, sec.start, sec.end):
            for c, d, too_long in _pieces(text, a, b):
                start, end = tm.start(c), tm.end(d)
                err = None
                if too_long:
                    err = str(InputError(
                        f"split failed for the sentence at chars {start}-{end}: it is {d - c} characters long, over the "
                        f"limit of {MAX_SENTENCE_CHARS}, with no ';' or line break to split it at; it is not cut (that "
                        "would part a negation from its finding): break the text into sentences",
                        code="I252",
                    ))
                out.append(SentenceSpan(clean_text(text[c:d]), start, end, sec.name, tm.gaps(c, d), err))
    if tm.positions is not None:
        sections = [Section(s.name, tm.start(s.start), tm.end(s.end), tm.start(s.header_start), tm.end(s.header_end)) for s in sections]
    return tuple(sections), tuple(out)


_prepare_memo = functools.lru_cache(maxsize=PREPARED_MEMO_SIZE)(_prepare_now)


def parse_report(text: str | bytes, parser: Parser, *, errors: str = "strict") -> Document:
    """Parse one report. Empty or blank text gives an empty :class:`Document`."""
    return next(parse_reports([text], parser, errors=errors))


def parse_reports(
    texts: Iterable[str | bytes],
    parser: Parser,
    *,
    batch_size: int = 128,
    errors: str = "strict",
    known: Callable[[list[str]], Collection[str]] | None = None,
) -> Iterator[Document]:
    """Parse many reports, streaming the sentences of ``batch_size`` reports at a time through
    one ``parser.parse`` call (the fast path for batch labeling). Yields one Document per text.

    ``known(sentence_texts)``: the texts (of those given: each distinct non-blank sentence of
    a batch, once) not to parse; the Document holds them unparsed (no tokens, no edges,
    placed in its report) — the labeler's memo already knows their decisions
    (:mod:`cxrlabel.memo`), and answers a whole batch in one lookup."""
    it = iter(texts)
    while True:
        chunk = list(itertools.islice(it, batch_size))
        if not chunk:
            return
        prepared = []
        for raw in chunk:
            text = _as_text(raw, errors)
            prepared.append((text, *_prepare(text)))
        items = [(s, k) for _, _, ss in prepared for k, s in enumerate(ss) if s.error is None]
        results = iter(_parse_spans(items, parser) if known is None else _parse_unknown(items, parser, known))
        for text, sections, ss in prepared:
            sents: list[Sentence] = []
            fails: list[ParseFailure] = []
            for span in ss:
                if span.error is not None:
                    fails.append(ParseFailure(span.start, span.end, span.text, span.section, span.error, "split"))
                    continue
                res = next(results)
                if isinstance(res, Sentence):
                    sents.append(res.with_gaps(span.gaps) if span.gaps and res.tokens else res)
                else:
                    fails.append(ParseFailure(span.start, span.end, span.text, span.section, res))
            yield Document(text, tuple(sections), tuple(sents), tuple(fails))


def unparsed(span: SentenceSpan, index: int) -> Sentence:
    """A sentence placed in its report but not parsed (no tokens, no edges)."""
    return Sentence(span.text, (), (), span.start, span.end, index, span.section, span.gaps)


def _parse_unknown(
    items: list[tuple[SentenceSpan, int]], parser: Parser, known: Callable[[list[str]], Collection[str]]
) -> list[Sentence | str]:
    """Like :func:`_parse_spans`, but the spans whose text ``known`` names, and every repeat of
    a text parsed earlier in ``items``, are left unparsed (a repeat of a text that failed to
    parse gets the same failure)."""
    asked = list(dict.fromkeys(span.text for span, _ in items if span.text.strip()))
    have = known(asked) if asked else ()
    out: list[Sentence | str | None] = [None] * len(items)
    first: dict[str, int] = {}  # text → the position parsed for it
    repeats: list[tuple[int, int]] = []
    for n, (span, k) in enumerate(items):
        if span.text in have and span.text.strip():
            out[n] = unparsed(span, k)
        elif span.text in first and span.text.strip():
            repeats.append((n, first[span.text]))
        else:
            first.setdefault(span.text, n)
    repeated = {n for n, _ in repeats}
    todo = [n for n in range(len(items)) if out[n] is None and n not in repeated]
    for n, res in zip(todo, _parse_spans([items[n] for n in todo], parser)):
        out[n] = res
    for n, src in repeats:
        span, k = items[n]
        out[n] = out[src] if isinstance(out[src], str) else unparsed(span, k)
    return out  # type: ignore[return-value]


def _placed(parser: Parser, items: list[tuple[SentenceSpan, int]]) -> list[Sentence]:
    """Parse ``items`` and place each Sentence in its report (offset, index, section)."""
    return parse_placed(parser, [(s.text, s.start, k, s.section) for s, k in items])


def _parse_spans(items: list[tuple[SentenceSpan, int]], parser: Parser) -> list[Sentence | str]:
    """Parse all spans in one stream, shortest text first (sentences of like length batched
    together: slightly less parser time; the results come back in the order of ``items``); if
    the stream fails, retry one by one to find out which sentences fail (their entry is the
    error message)."""
    if not items:
        return []
    order = sorted(range(len(items)), key=lambda n: len(items[n][0].text))
    try:
        got = _placed(parser, [items[n] for n in order])
        if len(got) == len(items):
            out: list[Sentence | str] = [""] * len(items)
            for n, sent in zip(order, got):
                out[n] = sent
            return out
    except CacheError:  # the cache, not a sentence, is broken: the run stops with its error
        raise
    except Exception:  # noqa: BLE001 - re-tried one by one below, errors are recorded
        pass
    out = []
    for item in items:
        try:
            out.extend(_placed(parser, [item]))
        except CacheError:
            raise
        except CxrlabelError as exc:
            out.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - a backend bug must not lose the report
            out.append(f"{type(exc).__name__}: {exc}")
    return out
