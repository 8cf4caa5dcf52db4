"""Frozen value objects shared by every stage of the pipeline.

A parsed sentence is a :class:`Sentence`: its tokens, and a ``networkx.DiGraph`` whose nodes
are token indices (attributes ``text``, ``lower``, ``lemma``, ``tag``, ``pos``, ``start``,
``end``) and whose edges run head → dependent with the relation in the ``rel`` attribute.
Character offsets (``start``/``end``) always point into the original report text, so every
mention can be shown in place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property
from enum import Enum
from types import MappingProxyType
from typing import Any, Iterable, Mapping

import networkx as nx

__all__ = [
    "CODE_LABELS",
    "FINDINGS",
    "LABEL_CODES",
    "OTHER",
    "STAGE_ORDER",
    "Edge",
    "Label",
    "Mention",
    "Sentence",
    "Stage",
    "Token",
    "code_of",
    "label_of",
]

#: The 14 ChestX-ray14 findings, in the dataset's own order and spelling.
FINDINGS: tuple[str, ...] = (
    "Atelectasis",
    "Cardiomegaly",
    "Effusion",
    "Infiltration",
    "Mass",
    "Nodule",
    "Pneumonia",
    "Pneumothorax",
    "Consolidation",
    "Edema",
    "Emphysema",
    "Fibrosis",
    "Pleural_Thickening",
    "Hernia",
)

#: Pseudo-finding for abnormal findings outside the 14 (needed by the Normal decision).
OTHER = "OTHER"


class Label(str, Enum):
    """Polarity of a mention or of a report-level finding."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    UNCERTAIN = "uncertain"

    def __str__(self) -> str:  # "positive", not "Label.POSITIVE"
        return self.value


class Stage(str, Enum):
    """Rule stages, applied in this order (NegBio's order)."""

    PRE_NEGATION_UNCERTAINTY = "pre-negation-uncertainty"
    NEGATION = "negation"
    POST_NEGATION_UNCERTAINTY = "post-negation-uncertainty"

    def __str__(self) -> str:
        return self.value


#: The order the stages run in, NegBio's: the enum's own order, named once here. The judge
#: (:mod:`cxrlabel.rules.judge`) runs stages in this order and everything else imports it.
STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)


@dataclass(frozen=True, slots=True)
class Token:
    """One token. ``i`` is its 0-based index in the sentence and its node id in the graph."""

    i: int
    text: str
    lemma: str
    tag: str = ""
    pos: str = ""
    start: int = 0
    end: int = 0

    @property
    def lower(self) -> str:
        return self.text.lower()


@dataclass(frozen=True, slots=True)
class Edge:
    """A dependency: ``head`` governs ``dep`` with relation ``rel`` (token indices)."""

    head: int
    rel: str
    dep: int


def build_graph(tokens: Iterable[Token], edges: Iterable[Edge]) -> nx.DiGraph:
    """Build the sentence graph used by the matcher (see the module docstring).

    Fills the DiGraph's node/adjacency dicts directly: the same graph as ``add_node`` /
    ``add_edge`` calls make, about five times faster (it is built for every sentence, also for
    every parse read back from the parse cache).
    """
    g = nx.DiGraph()
    node, succ, pred = g._node, g._succ, g._pred
    for t in tokens:
        if t.i not in node:
            succ[t.i] = {}
            pred[t.i] = {}
            node[t.i] = {}
        node[t.i].update(
            text=t.text,
            lower=t.text.lower(),
            lemma=t.lemma.lower(),
            tag=t.tag,
            pos=t.pos,
            start=t.start,
            end=t.end,
        )
    for e in edges:
        if e.head not in node or e.dep not in node:
            raise ValueError(f"edge {e} refers to a token that does not exist")
        d = succ[e.head].get(e.dep)
        if d is None:
            d = succ[e.head][e.dep] = pred[e.dep][e.head] = {}
        d["rel"] = e.rel
    return g


@dataclass(frozen=True, eq=False)
class Sentence:
    """A sentence with its tokens and (normalized) dependency graph.

    ``start``/``end`` are offsets of the sentence in the report; token offsets are absolute
    too. ``section`` names the report section it came from (``None`` when unsectioned).

    ``text`` is what the parser read: the report's text with format characters removed
    (:mod:`cxrlabel.textmap`). ``gaps`` says where: ``(p, n)`` — ``n`` report characters were
    removed just before ``text[p]`` (empty: ``text`` is as long as ``report[start:end]``).
    :meth:`local` / :meth:`absolute` convert between report offsets and positions in ``text``.
    """

    text: str
    tokens: tuple[Token, ...]
    edges: tuple[Edge, ...]
    start: int = 0
    end: int = 0
    index: int = 0
    section: str | None = None
    gaps: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if self.edges:  # checked now, although the graph is built later
            ids = {t.i for t in self.tokens}
            for e in self.edges:
                if e.head not in ids or e.dep not in ids:
                    raise ValueError(f"edge {e} refers to a token that does not exist")

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The dependency graph (:func:`build_graph`), built on first use: a sentence without
        mentions (a fifth of OpenI's distinct sentences) is never matched and never needs it."""
        return build_graph(self.tokens, self.edges)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sentence):
            return NotImplemented
        return (self.text, self.tokens, self.edges, self.start, self.end) == (
            other.text,
            other.tokens,
            other.edges,
            other.start,
            other.end,
        )

    def __hash__(self) -> int:
        return hash((self.text, self.tokens, self.edges, self.start))

    def local(self, offset: int, *, end: bool = False) -> int:
        """The position in :attr:`text` of the report offset ``offset`` (a span's ``end``
        with ``end=True``)."""
        o = offset - self.start
        if not self.gaps:
            return o
        if end:
            return self.local(offset - 1) + 1 if o > 0 else 0
        shift = 0
        for p, n in self.gaps:  # text[p] sits at report offset start + p + shift + n
            if p + shift + n > o:
                break
            shift += n
        return o - shift

    def absolute(self, pos: int, *, end: bool = False) -> int:
        """The report offset of position ``pos`` of :attr:`text` (a span's ``end`` with
        ``end=True``): the inverse of :meth:`local`."""
        if not self.gaps:
            return self.start + pos
        if end:
            return self.absolute(pos - 1) + 1 if pos > 0 else self.start
        return self.start + pos + sum(n for p, n in self.gaps if p <= pos)

    def with_gaps(self, gaps: tuple[tuple[int, int], ...]) -> Sentence:
        """This sentence, parsed from a text with characters removed at ``gaps``, with its
        token offsets and end moved to the report's (``self`` has no gaps yet)."""
        if not gaps:
            return self
        assert not self.gaps, "with_gaps on a sentence that already has gaps"
        placed = Sentence(self.text, (), (), self.start, self.end, self.index, self.section, gaps)
        toks = tuple(replace(t, start=placed.absolute(t.start - self.start), end=placed.absolute(t.end - self.start, end=True)) for t in self.tokens)
        return Sentence(self.text, toks, self.edges, self.start, placed.absolute(len(self.text), end=True), self.index, self.section, gaps)

    def relations(self) -> set[tuple[str, str, str]]:
        """All edges as ``(head lemma, rel, dependent lemma)`` triples (handy in tests)."""
        return {(self.tokens[e.head].lemma.lower(), e.rel, self.tokens[e.dep].lemma.lower()) for e in self.edges}

    def shifted(self, offset: int, *, index: int | None = None, section: str | None = None) -> Sentence:
        """The same sentence with every character offset moved by ``offset``."""
        toks = tuple(replace(t, start=t.start + offset, end=t.end + offset) for t in self.tokens)
        return Sentence(
            text=self.text,
            tokens=toks,
            edges=self.edges,
            start=self.start + offset,
            end=self.end + offset,
            index=self.index if index is None else index,
            section=self.section if section is None else section,
            gaps=self.gaps,
        )

    def with_edges(self, edges: Iterable[Edge]) -> Sentence:
        """The same sentence with another edge set (used by normalization)."""
        return Sentence(
            text=self.text,
            tokens=self.tokens,
            edges=tuple(edges),
            start=self.start,
            end=self.end,
            index=self.index,
            section=self.section,
            gaps=self.gaps,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form (used by the parse cache)."""
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "index": self.index,
            "section": self.section,
            "tokens": [[t.i, t.text, t.lemma, t.tag, t.pos, t.start, t.end] for t in self.tokens],
            "edges": [[e.head, e.rel, e.dep] for e in self.edges],
            **({"gaps": [list(g) for g in self.gaps]} if self.gaps else {}),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Sentence:
        return cls(
            text=d["text"],
            tokens=tuple(Token(*t) for t in d["tokens"]),
            edges=tuple(Edge(h, r, dp) for h, r, dp in d["edges"]),
            start=d.get("start", 0),
            end=d.get("end", 0),
            index=d.get("index", 0),
            section=d.get("section"),
            gaps=tuple((p, n) for p, n in d.get("gaps", ())),
        )


@dataclass(frozen=True, slots=True)
class Mention:
    """A concept found in a sentence.

    ``start``/``end`` index the original report text; ``nodes`` are the sentence tokens the
    span covers and ``head`` the one the rules anchor at (the span's syntactic head).
    ``finding`` is one of :data:`FINDINGS` or :data:`OTHER`. ``polarity`` and ``rules`` are
    filled in by the labeler: the ids of the rules that decided the polarity.
    """

    finding: str
    cui: str
    text: str
    start: int
    end: int
    sentence: int
    head: int
    nodes: tuple[int, ...] = ()
    polarity: Label = Label.POSITIVE
    rules: tuple[str, ...] = ()
    section: str | None = None

    def with_polarity(self, polarity: Label, rules: Iterable[str] = ()) -> Mention:
        return replace(self, polarity=Label(polarity), rules=tuple(rules))


#: Label → CheXpert code, the one statement of the convention every table uses: 1.0 positive,
#: 0.0 negative, -1.0 uncertain; a finding that is not mentioned is NaN (``None`` in dicts).
LABEL_CODES: Mapping[Label, float] = MappingProxyType(
    {Label.POSITIVE: 1.0, Label.NEGATIVE: 0.0, Label.UNCERTAIN: -1.0}
)

#: CheXpert code → Label, the inverse of :data:`LABEL_CODES`.
CODE_LABELS: Mapping[float, Label] = MappingProxyType({code: label for label, code in LABEL_CODES.items()})


def code_of(label: Label | str | None) -> float:
    """The CheXpert code of ``label`` (a :class:`Label` or its name in any case); NaN for ``None``.

    Raises ``ValueError`` for anything else.
    """
    if label is None:
        return math.nan
    return LABEL_CODES[Label(str(label).strip().lower())]


def label_of(code: float | None) -> Label | None:
    """The :class:`Label` of a CheXpert code; ``None`` for NaN or ``None`` (not mentioned).

    Raises ``ValueError`` for any other number.
    """
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return None
    try:
        return CODE_LABELS[float(code)]
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"{code!r} is not a CheXpert code (use 1, 0, -1 or NaN)") from None
