"""The one-line path language: ``no ← neg ← evidence → prep_of → DISEASE``.

Grammar (formally in ``path.lark`` beside this module; parsed by hand here so that each error
names what was expected and where, and a property test checks that the two agree)::

    path  := node (step)*
    step  := "→" rel "→" node  |  "←" rel "←" node      (ASCII "->" / "<-" too)
    node  := WORD | "(" WORD ("|" WORD)* ")" | "*" | CONCEPT
    rel   := NAME ("|" NAME)* | "*"

``A → rel → B``: A governs B (B is A's dependent); ``A ← rel ← B``: A depends on B. A WORD is
a lemma (matched against the token's lemma or lower-cased text); an all-capitals word is a
concept, and ``DISEASE`` (the mention being judged) is the only one. Relation names must be in
the canonical label space (:func:`cxrlabel.canonical.is_canonical`). Every error is a
:class:`PathError` carrying the 0-based ``offset`` into the path string; the YAML loader turns
it into a file line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..canonical import is_canonical
from ..errors import RuleError, SourceLocation
from .pattern import ANCHOR_CONCEPT, EdgeSpec, NodeSpec, Pattern

__all__ = ["PathError", "parse_path", "tokenize"]

_ARROWS = {"→": ">", "->": ">", "←": "<", "<-": "<"}
_WORD_RE = re.compile(r"[A-Za-z0-9_'.]+(?:-(?!>)[A-Za-z0-9_'.]+)*")
_CONCEPT_RE = re.compile(r"^[A-Z][A-Z0-9_]+$")
_LEMMA_RE = re.compile(r"^[a-z0-9_'.]+(?:-[a-z0-9_'.]+)*$")


class PathError(RuleError):
    """A path error; ``offset`` is the 0-based character offset in the path string."""

    def __init__(self, message: str, *, code: str, offset: int, path: str = "") -> None:
        self.offset = offset
        self.path = path
        loc = SourceLocation("<path>", 1, offset + 1, path)
        super().__init__(message, code=code, location=loc)


@dataclass(frozen=True)
class Tok:
    kind: str  # "arrow", "star", "word", "set", "bar"
    value: str
    offset: int
    end: int


def tokenize(text: str) -> list[Tok]:
    """Split a path into tokens, or raise :class:`PathError` (R105, R106)."""
    toks: list[Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        two = text[i : i + 2]
        if two in _ARROWS:
            toks.append(Tok("arrow", _ARROWS[two], i, i + 2))
            i += 2
        elif c in _ARROWS:
            toks.append(Tok("arrow", _ARROWS[c], i, i + 1))
            i += 1
        elif c == "*":
            toks.append(Tok("star", "*", i, i + 1))
            i += 1
        elif c == "|":
            toks.append(Tok("bar", "|", i, i + 1))
            i += 1
        elif c == "(":
            close = text.find(")", i)
            if close < 0:
                raise PathError("unclosed '(' in a lemma set", code="R106", offset=i, path=text)
            toks.append(Tok("set", text[i + 1 : close], i, close + 1))
            i = close + 1
        elif c == ")":
            raise PathError("')' without a matching '('", code="R106", offset=i, path=text)
        else:
            m = _WORD_RE.match(text, i)
            if not m:
                raise PathError(f"unexpected character {c!r}", code="R105", offset=i, path=text)
            toks.append(Tok("word", m.group(), i, m.end()))
            i = m.end()
    return toks


def _arrow_text(tok: Tok) -> str:
    return "→" if tok.value == ">" else "←"


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.k = 0
        self.nodes: dict[str, NodeSpec] = {}
        self.edges: list[EdgeSpec] = []
        self.anchors: list[tuple[str, int]] = []

    def err(self, msg: str, code: str, offset: int) -> PathError:
        return PathError(msg, code=code, offset=offset, path=self.text)

    def peek(self) -> Tok | None:
        return self.toks[self.k] if self.k < len(self.toks) else None

    def end_offset(self) -> int:
        return len(self.text.rstrip()) if self.text.strip() else 0

    def node(self, after: Tok | None) -> str:
        tok = self.peek()
        where = f"after '{_arrow_text(after)}'" if after else "at the start of the path"
        if tok is None or tok.kind in ("arrow", "bar"):
            off = tok.offset if tok else self.end_offset()
            raise self.err(f"expected a node {where}", "R101", off)
        self.k += 1
        name = f"n{len(self.nodes)}"
        if tok.kind == "star":
            spec = NodeSpec()
        elif tok.kind == "set":
            spec = NodeSpec(lemmas=self.lemma_set(tok))
        elif _CONCEPT_RE.match(tok.value):
            if tok.value != ANCHOR_CONCEPT:
                raise self.err(f"unknown concept {tok.value!r}; the only concept is DISEASE", "R113", tok.offset)
            spec = NodeSpec(concept=ANCHOR_CONCEPT)
            self.anchors.append((name, tok.offset))
        else:
            spec = NodeSpec(lemmas=frozenset({tok.value.lower()}))
        nxt = self.peek()
        if nxt is not None and nxt.kind == "bar":
            raise self.err("a lemma set needs parentheses: write (a|b)", "R106", nxt.offset)
        self.nodes[name] = spec
        return name

    def lemma_set(self, tok: Tok) -> frozenset[str]:
        words = tok.value.split("|")
        out = set()
        pos = tok.offset + 1
        for w in words:
            stripped = w.strip()
            lead = len(w) - len(w.lstrip())
            if not stripped or not _LEMMA_RE.match(stripped.lower()):
                what = "an empty word" if not stripped else f"{stripped!r}, which is not a lemma"
                raise self.err(f"lemma set holds {what}", "R106", pos + lead)
            out.add(stripped.lower())
            pos += len(w) + 1
        return frozenset(out)

    def rel(self, arrow: Tok) -> frozenset[str] | None:
        tok = self.peek()
        if tok is None or tok.kind not in ("word", "star"):
            off = tok.offset if tok else self.end_offset()
            raise self.err(f"expected a relation after '{_arrow_text(arrow)}'", "R103", off)
        self.k += 1
        if tok.kind == "star":
            return None
        names = [(tok.value, tok.offset)]
        while (b := self.peek()) is not None and b.kind == "bar":
            self.k += 1
            w = self.peek()
            if w is None or w.kind != "word":
                raise self.err("expected a relation name after '|'", "R103", w.offset if w else self.end_offset())
            self.k += 1
            names.append((w.value, w.offset))
        for name, off in names:
            if not is_canonical(name):
                raise self.err(
                    f"unknown relation {name!r}; relations are canonical labels such as neg, dobj, "
                    f"prep_of, conj_or (see cxrlabel.canonical)",
                    "R112",
                    off,
                )
        return frozenset(n for n, _ in names)

    def parse(self) -> Pattern:
        if not self.toks:
            raise self.err("the path is empty", "R107", 0)
        left = self.node(None)
        while (arrow := self.peek()) is not None:
            if arrow.kind != "arrow":
                raise self.err(f"expected an arrow ('→' or '←') after a node, found {arrow.value!r}", "R102", arrow.offset)
            self.k += 1
            rels = self.rel(arrow)
            second = self.peek()
            if second is None or second.kind != "arrow":
                off = second.offset if second else self.end_offset()
                raise self.err(f"expected '{_arrow_text(arrow)}' after the relation", "R102", off)
            if second.value != arrow.value:
                raise self.err(
                    f"the arrows around a relation must point the same way: "
                    f"'{_arrow_text(arrow)} rel {_arrow_text(arrow)}'",
                    "R104",
                    second.offset,
                )
            self.k += 1
            right = self.node(second)
            head, dep = (left, right) if arrow.value == ">" else (right, left)
            self.edges.append(EdgeSpec(head, dep, rels))
            left = right
        if not self.anchors:
            raise self.err("the path has no anchor: one node must be DISEASE", "R110", 0)
        if len(self.anchors) > 1:
            raise self.err("the path has more than one DISEASE anchor", "R111", self.anchors[1][1])
        return Pattern(self.nodes, self.edges, self.anchors[0][0])


def parse_path(text: str) -> Pattern:
    """Compile a path string to a :class:`Pattern`, or raise :class:`PathError`.

    >>> parse_path("no ← neg ← evidence → prep_of → DISEASE").canonical()
    'DISEASE[←prep_of←evidence[→neg→no]]'
    """
    if not isinstance(text, str):
        raise PathError(f"a path is a string, not {type(text).__name__}", code="R132", offset=0)
    return _Parser(text).parse()
