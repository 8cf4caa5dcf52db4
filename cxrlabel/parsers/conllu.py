"""The ``conllu`` backend: pre-parsed CoNLL-U in, sentence graphs out.

It is the backbone of the rule and matcher tests (hand-written parses need no model) and lets
users bring parses from any other tool. ``scheme`` says which label set the file uses:

- ``canonical`` — already in cxrlabel's canonical space (``neg``, ``prep_of``, ``conj_or``…);
  used as is;
- ``ud`` — Universal Dependencies (stanza and most treebanks), normalized on reading;
- ``clear`` — spaCy's English ClearNLP labels, normalized on reading.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from ..errors import InputError
from ..types import Edge, Sentence, Token
from .normalize import NORMALIZATION_VERSION, normalize

__all__ = ["ConlluParser", "read_conllu"]

SCHEMES = ("canonical", "ud", "clear")


def _blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """Split CoNLL-U text into sentence blocks of lines, with the 1-based first line number."""
    block: list[str] = []
    first = 1
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if not block:
                first = n
            block.append(line)
        elif block:
            yield first, block
            block = []
    if block:
        yield first, block


def _read_rows(lines: list[str], first_line: int, source: str) -> tuple[str | None, list[list[str]]]:
    """The ``# text =`` comment (if any) and the 10-column token rows of one block."""
    sent_text: str | None = None
    rows: list[list[str]] = []
    for k, line in enumerate(lines):
        if line.startswith("#"):
            key, _, value = line[1:].partition("=")
            if key.strip() == "text":
                sent_text = value.strip()
            continue
        cols = line.rstrip("\n").split("\t")
        if len(cols) != 10:
            cols = line.split()
        if len(cols) != 10:
            raise InputError(
                f"{source}:{first_line + k}: a CoNLL-U token line needs 10 tab-separated "
                f"columns, found {len(cols)}: {line!r}",
                code="I210",
            )
        if "-" in cols[0] or "." in cols[0]:  # multi-word token ranges and empty nodes
            continue
        rows.append(cols)
    if not rows:
        raise InputError(f"{source}:{first_line}: sentence block has no tokens", code="I211")
    return sent_text, rows


def _token_ids(rows: list[list[str]], first_line: int, source: str) -> dict[int, int]:
    """Map each CoNLL-U token id to its 0-based row index."""
    ids = {}
    for k, cols in enumerate(rows):
        try:
            ids[int(cols[0])] = k
        except ValueError:
            raise InputError(f"{source}:{first_line}: bad token id {cols[0]!r}", code="I212") from None
    return ids


def _rebuilt_text(rows: list[list[str]]) -> str:
    """The sentence text rebuilt from the forms and their ``SpaceAfter=No`` flags."""
    parts = []
    for cols in rows:
        parts.append(cols[1])
        if "SpaceAfter=No" not in cols[9]:
            parts.append(" ")
    return "".join(parts).rstrip()


def _tokens(rows: list[list[str]], sent_text: str) -> list[Token]:
    """Tokens with character offsets: each form is found in the sentence text, in order."""
    tokens: list[Token] = []
    pos = 0
    for k, cols in enumerate(rows):
        form = cols[1]
        found = sent_text.find(form, pos)
        if found < 0:
            found = pos
        start, end = found, found + len(form)
        pos = end
        lemma = cols[2] if cols[2] not in ("_", "") else form
        tokens.append(Token(i=k, text=form, lemma=lemma, tag=cols[4] if cols[4] != "_" else "", pos=cols[3] if cols[3] != "_" else "", start=start, end=end))
    return tokens


def _edges(rows: list[list[str]], ids: dict[int, int], first_line: int, source: str) -> list[Edge]:
    """One edge per token with a head (root and unknown heads give none)."""
    edges: list[Edge] = []
    for k, cols in enumerate(rows):
        head, rel = cols[6], cols[7]
        if head in ("_", "0"):
            continue
        try:
            h = ids[int(head)]
        except (ValueError, KeyError):
            raise InputError(
                f"{source}:{first_line}: token {cols[0]} has head {head!r}, which is not a token id",
                code="I213",
            ) from None
        edges.append(Edge(h, rel, k))
    return edges


def _parse_block(lines: list[str], first_line: int, source: str) -> Sentence:
    sent_text, rows = _read_rows(lines, first_line, source)
    ids = _token_ids(rows, first_line, source)
    # Character offsets: find each form in the sentence text, else rebuild the text.
    if sent_text is None:
        sent_text = _rebuilt_text(rows)
    tokens = _tokens(rows, sent_text)
    edges = _edges(rows, ids, first_line, source)
    return Sentence(text=sent_text, tokens=tuple(tokens), edges=tuple(edges), start=0, end=len(sent_text))


def read_conllu(text: str, *, scheme: str = "canonical", source: str = "<conllu>") -> list[Sentence]:
    """Every sentence of a CoNLL-U document, normalized from ``scheme`` to canonical labels."""
    if scheme not in SCHEMES:
        raise InputError(f"unknown CoNLL-U scheme {scheme!r}; use one of {', '.join(SCHEMES)}", code="I214")
    out = []
    for idx, (first, block) in enumerate(_blocks(text)):
        s = _parse_block(block, first, source)
        if scheme != "canonical":
            s = normalize(s, scheme)
        out.append(Sentence(text=s.text, tokens=s.tokens, edges=s.edges, start=0, end=len(s.text), index=idx))
    return out


class ConlluParser:
    """A :class:`~cxrlabel.parsers.Parser` whose "texts" are CoNLL-U sentence blocks."""

    name = "conllu"

    def __init__(self, scheme: str = "canonical") -> None:
        if scheme not in SCHEMES:
            raise InputError(f"unknown CoNLL-U scheme {scheme!r}; use one of {', '.join(SCHEMES)}", code="I214")
        self.scheme = scheme

    @property
    def version(self) -> str:
        """Keys the parse cache: the scheme, this reader's version and the normalization
        version (as the spaCy and stanza backends do), so a normalization change never
        serves a stale parse."""
        return f"conllu-{self.scheme}-1-norm{NORMALIZATION_VERSION}"

    def parse(self, texts: Iterable[str]) -> Iterator[Sentence]:
        for text in texts:
            sents = read_conllu(text, scheme=self.scheme)
            if len(sents) != 1:
                raise InputError(
                    f"the conllu parser takes one sentence block per text, got {len(sents)}",
                    code="I215",
                )
            yield sents[0]
