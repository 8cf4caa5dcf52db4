"""Map a backend's dependency labels into the canonical label space, then propagate conjuncts.

Two input schemes (see ``cxrlabel.canonical`` and ARCHITECTURE.md, "The canonical label space"):

- ``clear`` — spaCy English (ClearNLP labels): ``det`` *no* → ``neg``; ``prep`` X → ``pobj`` Y
  adds ``head -prep_X-> Y`` (the ``prep``/``pobj`` edges are kept too, so both path styles
  match; a preposition ``pcomp`` child makes a multi-word one: *due* + *to* → ``prep_due_to``); ``aux`` tagged MD → ``md``; ``intj`` → ``discourse``.
- ``ud`` — Universal Dependencies (stanza): ``det`` *no* and ``advmod`` *not/n't/never* →
  ``neg``; ``nmod``/``obl`` with a ``case`` child X → ``prep_X`` (multi-word cases, e.g.
  *because* + fixed *of*, joined by ``_``), without one → ``nmod``; ``obj`` → ``dobj``;
  ``aux`` tagged MD → ``md``; subtypes such as ``nsubj:pass`` → ``nsubjpass``.

Coordination is rewritten the Stanford "CCprocessed" way for both schemes: every conjunct of a
list hangs from the first one as ``conj_X`` (X = the lemma of the list's last ``cc``, or plain
``conj`` without one) — spaCy's chains ``A→B→C`` are flattened. Then conjunct propagation:

- an incoming ``prep_*``/``dobj``/``pobj``/``nsubj``/``nsubjpass``/``attr``/``iobj``/``agent``
  edge of the first conjunct is copied to every non-verbal conjunct
  (``clear -prep_of-> disease`` gives ``clear -prep_of-> pneumothorax`` and ``-> effusion``);
- a ``neg`` cue of the first conjunct reaches each conjunct that has no determiner, negation
  or subject of its own ("no edema or pneumonia" → ``pneumonia -neg-> no``);
- an ``nsubj`` of the first conjunct is shared with a verbal/adjectival conjunct that has none;
- a copular first conjunct (UD) shares its ``cop``, ``md`` and ``nsubj`` with nominal conjuncts
  that have none ("This may be atelectasis or pneumonia" → ``pneumonia -md-> may``).

``amod`` is not shared ("mild cardiomegaly and effusion" is ambiguous). A sentence graph keeps one
edge per (head, dependent) pair, so an added edge never replaces an existing one. Every output
label satisfies :func:`cxrlabel.canonical.is_canonical`; an unknown label becomes ``dep``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Iterable, Sequence

from ..canonical import CANONICAL_RELATIONS, is_canonical
from ..errors import InputError
from ..types import Edge, Sentence, Token

__all__ = ["NORMALIZATION_VERSION", "SCHEMES", "normalize", "normalize_edges"]

#: Bump whenever the output of :func:`normalize` changes (it keys the parse cache).
NORMALIZATION_VERSION = 3  # 2: infiltrate(s) masking; 3: multi-word spaCy prepositions

SCHEMES = ("clear", "ud")

_NEG_ADVERBS = frozenset({"not", "n't", "never", "nt"})
_UD_MAP = {
    "obj": "dobj",
    "nsubj:pass": "nsubjpass",
    "csubj:pass": "csubjpass",
    "aux:pass": "auxpass",
    "compound:prt": "prt",
    "det:predet": "predet",
    "cc:preconj": "preconj",
    "nmod:poss": "poss",
    "nmod:npmod": "npadvmod",
    "obl:npmod": "npadvmod",
    "acl:relcl": "relcl",
    "expl:pv": "expl",
    "flat": "compound",
    "flat:name": "compound",
    "fixed": "dep",
    "goeswith": "dep",
    "list": "dep",
    "orphan": "dep",
    "reparandum": "dep",
    "vocative": "dep",
    "dislocated": "dep",
    "clf": "dep",
    "root": "root",
}
_CLEAR_MAP = {"intj": "discourse", "ROOT": "root", "nn": "compound"}
_PROPAGATE_IN = frozenset({"dobj", "pobj", "nsubj", "nsubjpass", "attr", "iobj", "agent"})
_WORD_RE = re.compile(r"[^a-z]+")


def _word(lemma: str) -> str:
    """A preposition/conjunction lemma as a label suffix (lower-case letters only)."""
    return _WORD_RE.sub("", lemma.lower())


def _family(prefix: str, words: list[str], fallback: str) -> str:
    parts = [w for w in (_word(x) for x in words) if w]
    label = prefix + "_".join(parts) if parts else fallback
    return label if is_canonical(label) else fallback


def _plain(rel: str, scheme: str) -> str:
    table = _UD_MAP if scheme == "ud" else _CLEAR_MAP
    rel = table.get(rel, rel)
    if rel in CANONICAL_RELATIONS:
        return rel
    base = rel.split(":", 1)[0].lower()
    base = table.get(base, base)
    return base if base in CANONICAL_RELATIONS else "dep"


def normalize(sentence: Sentence, scheme: str) -> Sentence:
    """``sentence`` with its edges mapped from ``scheme`` (``"clear"`` or ``"ud"``) to the
    canonical label space, coordination rewritten and conjuncts propagated."""
    return sentence.with_edges(normalize_edges(sentence.tokens, sentence.edges, scheme))


def normalize_edges(tokens: Sequence[Token], edges: Iterable[Edge], scheme: str) -> list[Edge]:
    """The normalized edge list of :func:`normalize`, for backends that build the Sentence
    only once (building its graph twice is the largest cost after the parse itself)."""
    if scheme not in SCHEMES:
        raise InputError(f"unknown dependency scheme {scheme!r}; use one of {', '.join(SCHEMES)}", code="I220")
    toks = tokens
    edges = list(edges)
    lemma = [t.lemma.lower() for t in toks]
    children: _Children = defaultdict(list)
    for e in edges:
        if e.head != e.dep:
            children[e.head].append((e.rel, e.dep))
    out, conj_edges = _relabel(edges, toks, lemma, children, scheme)
    _coordinate(out, conj_edges, toks, lemma, children)
    result = [Edge(h, rel, d) for (h, d), rel in out.items()]
    result.sort(key=lambda e: (e.dep, e.head))
    return result


#: Each head's ``(rel, dep)`` children in the input parse.
_Children = dict[int, list[tuple[str, int]]]


def _kids(children: _Children, i: int, *rels: str) -> list[int]:
    """The children of ``i`` whose relation (or its base before ``:``) is one of ``rels``."""
    return sorted(d for r, d in children[i] if r in rels or r.split(":", 1)[0] in rels)


def _relabel(
    edges: list[Edge], toks: Sequence[Token], lemma: list[str], children: _Children, scheme: str
) -> tuple[dict[tuple[int, int], str], list[tuple[int, int]]]:
    """Each non-root, non-``conj`` edge mapped to its canonical label (plus the added
    ``prep_X`` edges of spaCy prepositions), and the ``conj`` edges set aside for coordination."""
    out: dict[tuple[int, int], str] = {}
    extra: list[Edge] = []
    conj_edges: list[tuple[int, int]] = []
    for e in edges:
        h, rel, d = e.head, e.rel, e.dep
        if h == d or rel in ("ROOT", "root"):
            continue
        base = rel.split(":", 1)[0]
        if base == "conj":
            conj_edges.append((h, d))
            continue
        out[(h, d)] = _label(h, rel, base, d, toks, lemma, children, scheme, extra)
    for e in extra:
        out.setdefault((e.head, e.dep), e.rel)
    return out, conj_edges


def _label(
    h: int,
    rel: str,
    base: str,
    d: int,
    toks: Sequence[Token],
    lemma: list[str],
    children: _Children,
    scheme: str,
    extra: list[Edge],
) -> str:
    """The canonical label of one edge ``h -rel-> d``; a spaCy ``prep`` with objects appends
    its ``head -prep_X-> object`` edges to ``extra``."""
    if base == "det" and lemma[d] == "no":
        return "neg"
    if scheme == "ud" and base == "advmod" and lemma[d] in _NEG_ADVERBS:
        return "neg"
    if base == "aux" and toks[d].tag == "MD":
        return "md"
    if scheme == "ud" and base in ("nmod", "obl") and rel not in _UD_MAP:
        cases = _kids(children, d, "case")
        if not cases:
            return "nmod"
        words = []
        for c in cases:
            words.append(lemma[c])
            words.extend(lemma[f] for f in _kids(children, c, "fixed"))
        return _family("prep_", words, "nmod")
    new = _plain(rel, scheme)
    if scheme == "clear" and rel == "prep":
        objs = _kids(children, d, "pobj")
        if objs:
            # multi-word prepositions: "due" -pcomp-> "to" -> prep_due_to
            words = [lemma[d]] + [lemma[c] for c in _kids(children, d, "pcomp") if toks[c].tag in ("IN", "TO")]
            label = _family("prep_", words, "prep")
            extra.extend(Edge(h, label, o) for o in objs if o != h)
    return new


def _coordinate(
    out: dict[tuple[int, int], str],
    conj_edges: list[tuple[int, int]],
    toks: Sequence[Token],
    lemma: list[str],
    children: _Children,
) -> None:
    """Coordination: group conjuncts under the first one (flattening spaCy's chains), label
    them ``conj_X`` and propagate (in ``out``, in place)."""
    parent = {d: h for h, d in conj_edges}
    groups: dict[int, list[int]] = defaultdict(list)
    for h, d in conj_edges:
        groups[_first_conjunct(parent, h)].append(d)
    for root, members in groups.items():
        members = sorted(set(members))
        ccs = [c for m in [root, *members] for c in _kids(children, m, "cc")]
        label = _family("conj_", [lemma[max(ccs)]], "conj") if ccs else "conj"
        for m in members:
            out[(root, m)] = label
        _propagate(root, members, out, toks)


def _first_conjunct(parent: dict[int, int], i: int) -> int:
    """The first conjunct of ``i``'s list: follow ``conj`` heads up (stopping on a cycle)."""
    seen = {i}
    while i in parent and parent[i] not in seen:
        i = parent[i]
        seen.add(i)
    return i


def _is_verbal(tag: str, pos: str) -> bool:
    return tag.startswith("VB") or pos in ("VERB", "AUX")


def _propagate(root: int, members: list[int], out: dict[tuple[int, int], str], toks) -> None:
    """Conjunct propagation for one coordination (see the module docstring)."""
    incoming = [(h, rel) for (h, d), rel in out.items() if d == root and (rel in _PROPAGATE_IN or rel.startswith("prep_"))]
    outgoing = [(rel, d) for (h, d), rel in out.items() if h == root]
    cop = any(rel == "cop" for rel, _ in outgoing)
    for m in members:
        own = {rel for (h, d), rel in out.items() if h == m}
        if not _is_verbal(toks[m].tag, toks[m].pos):
            for h, rel in incoming:
                if h != m:
                    out.setdefault((h, m), rel)
        if not own & {"neg", "det", "nsubj", "nsubjpass"}:
            for rel, d in outgoing:
                if rel == "neg" and d != m and d < m:
                    out.setdefault((m, d), rel)
        if "nsubj" not in own and "nsubjpass" not in own and (_is_verbal(toks[m].tag, toks[m].pos) or toks[m].tag.startswith("JJ")):
            for rel, d in outgoing:
                if rel == "nsubj" and d != m:
                    out.setdefault((m, d), rel)
        # UD copular predicates: "This may be atelectasis or pneumonia" — the second nominal
        # shares the copula, modal and subject of the first.
        if cop and not own & {"cop", "nsubj", "nsubjpass"} and not _is_verbal(toks[m].tag, toks[m].pos):
            for rel, d in outgoing:
                if rel in ("cop", "md", "nsubj") and d != m and d < m:
                    out.setdefault((m, d), rel)
