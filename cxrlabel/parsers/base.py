"""The :class:`Parser` protocol every backend implements."""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Protocol, runtime_checkable

from ..types import Sentence

__all__ = ["Parser", "get_parser"]


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
