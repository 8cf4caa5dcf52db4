"""The :class:`Parser` protocol every backend implements."""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Protocol, Sequence, runtime_checkable

from ..errors import ParserError
from ..types import Sentence

__all__ = ["Parser", "SpanItem", "get_parser", "parse_placed"]

#: A sentence to parse and where it goes: ``(text, offset in the report, index, section)``.
SpanItem = tuple[str, int, int, "str | None"]


@runtime_checkable
class Parser(Protocol):
    """Turns sentence texts into normalized :class:`~cxrlabel.types.Sentence` graphs.

    ``parse`` yields one Sentence per input text, in order, with character offsets relative
    to that text (the pipeline shifts them into the report) and edges already normalized
    into the canonical label space. ``name`` and ``version`` key the parse cache:
    ``version`` must change whenever the model or the normalization changes.
    """

    name: str

    @property
    def version(self) -> str: ...

    def parse(self, texts: Iterable[str]) -> Iterator[Sentence]: ...


def get_parser(name: str | Parser = "spacy", **options: Any) -> Parser:
    """A parser backend by registry name (``spacy``, ``stanza``, ``conllu`` or a plugin)."""
    if not isinstance(name, str):
        return name
    from ..registry import parsers

    factory = parsers.get(name)
    return factory(**options)


def parse_placed(parser: Parser, items: Sequence[SpanItem]) -> list[Sentence]:
    """Parse ``items`` and place each Sentence in its report (offsets, index, section).

    A parser with ``parse_spans(items)`` (the spaCy backend, :class:`~cxrlabel.cache.CachedParser`)
    places its sentences itself, which saves building each graph twice; any other is called
    through ``parse`` and its sentences are shifted. Either way one Sentence per item comes back,
    or :class:`~cxrlabel.errors.ParserError` ``P304``.
    """
    items = list(items)
    fast = getattr(parser, "parse_spans", None)
    placed = callable(fast)
    got = list(fast(items) if placed else parser.parse([text for text, _, _, _ in items]))
    if len(got) != len(items):
        raise ParserError(
            f"parser {getattr(parser, 'name', parser)!r} returned {len(got)} sentences for {len(items)} texts",
            code="P304",
        )
    if placed:
        return got
    return [s.shifted(off, index=idx, section=sec) for s, (_, off, idx, sec) in zip(got, items)]
