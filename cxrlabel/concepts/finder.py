"""The mention finder (part of :mod:`cxrlabel.concepts`).

``ConceptFinder.find`` works on our own tokens: a word trie over surface forms *and* lemmas
(exact hits, the fast path), the ontology's gapped patterns, and an optional fuzzy lookup in
QuickUMLS's simstring database for n-grams the trie does not know. Overlaps resolve to the
longest span; exclusions drop the hits of their finding inside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..errors import OntologyError
from ..ontology import NORMAL, ConceptPattern, Entry, Ontology, load_ontology, normalize_phrase
from ..types import OTHER, Label, Mention, Sentence
from .index import build_index, stopwords

__all__ = ["FUZZY_MAX_TOKENS", "ConceptFinder"]

#: Longest token n-gram looked up fuzzily (exact lookup has no limit but the longest term).
FUZZY_MAX_TOKENS = 3

# ---------------------------------------------------------------- mention finding

@dataclass(frozen=True)
class _Hit:
    start: int  # first token index
    end: int  # one past the last token index
    entry: Entry
    gaps: frozenset[int] = frozenset()  # tokens a pattern skipped over


def _is_punct(text: str) -> bool:
    return not any(ch.isalnum() for ch in text)


def _token_words(text: str, lemma: str) -> tuple[tuple[str, ...], ...]:
    """A token's normalized word sequences: surface, lemma, and for "a/b" each part."""
    if _is_punct(text):
        return ()
    surf = tuple(normalize_phrase(text).split())
    lem = tuple(normalize_phrase(lemma).split()) if lemma else surf
    alts = [surf] if lem == surf or not lem else [surf, lem]
    if "/" in text:  # "thickening/scarring": each part may end or start a phrase
        alts += [p for p in (tuple(normalize_phrase(x).split()) for x in text.split("/")) if p and p not in alts]
    return tuple(alts)


class ConceptFinder:
    """Finds ontology concepts in parsed sentences.

    ``threshold`` is the QuickUMLS (Jaccard, character trigram) similarity a fuzzy hit needs;
    ``None`` turns fuzzy lookup off (exact surface/lemma hits and patterns only). ``umls_dir``
    points at a full UMLS installation; ``unmapped="other"`` maps its disorder concepts outside
    the 14 CUI sets to OTHER instead of ignoring them.
    """

    def __init__(
        self,
        ontology: Ontology | str | Path | None = None,
        threshold: float | None = 0.9,
        umls_dir: str | Path | None = None,
        *,
        unmapped: str = "ignore",
        cache_dir: str | Path | None = None,
    ) -> None:
        if threshold is not None and not 0.0 < threshold <= 1.0:
            raise OntologyError(f"threshold must be in (0, 1] or None, not {threshold}", code="O404")
        self.ontology = ontology if isinstance(ontology, Ontology) else load_ontology(ontology)
        self.threshold = threshold
        self.index_dir = build_index(self.ontology, umls_dir, unmapped=unmapped, cache_dir=cache_dir)
        self._entries: dict[str, list[Entry]] = {}
        with open(self.index_dir / "terms.tsv", encoding="utf-8") as f:
            for line in f:
                text, cui, finding, kind = line.rstrip("\n").split("\t")
                self._entries.setdefault(text, []).append(Entry(text, cui, finding, kind))
        self._trie: dict = {}
        for text in self._entries:
            node = self._trie
            for w in text.split(" "):
                node = node.setdefault(w, {})
            node[None] = text
        self._patterns: dict[str, list[ConceptPattern]] = {}
        for p in self.ontology.patterns():
            for w in p.elements[0]:  # type: ignore[union-attr]  (a pattern never starts with a gap)
                self._patterns.setdefault(w, []).append(p)
        self._stop = stopwords()
        #: CUI → rule id of the concepts asserted negative as written (Ontology.asserted)
        self._asserted = self.ontology.asserted()
        self._generic = self.ontology.generic_contexts
        self._token_cache: dict[tuple[str, str], tuple] = {}
        self._fuzzy_cache: dict[str, tuple[str, ...]] = {}
        self._ss = None
        if threshold is not None:
            from quickumls.toolbox import SimstringDBReader

            self._ss = SimstringDBReader(str(self.index_dir / "umls-simstring.db"), "jaccard", threshold)

    # -- helpers
    def _tokens(self, sentence: Sentence) -> list[tuple]:
        """Per token (cached by text and lemma): its word sequences (surface, lemma, slash
        parts; ``()`` for punctuation), whether a term can start there, the patterns that can
        start there, its surface string and whether it is a stopword."""
        cache = self._token_cache
        out = []
        for t in sentence.tokens:
            key = (t.text, t.lemma)
            info = cache.get(key)
            if info is None:
                alts = _token_words(t.text, t.lemma)
                surf = " ".join(alts[0]) if alts else ""
                starts = any(seq and seq[0] in self._trie for seq in alts)
                pats = tuple({p for seq in alts for w in seq[:1] for p in self._patterns.get(w, ())})
                info = (alts, starts, pats, surf, surf in self._stop)
                if len(cache) < 500_000:
                    cache[key] = info
            out.append(info)
        return out

    def _exact(self, toks: list[tuple], words: list, hits: list[_Hit]) -> None:
        n = len(words)
        for i in range(n):
            if not toks[i][1]:
                continue
            live = [self._trie]
            for j in range(i, n):
                if not words[j]:
                    if j > i and j + 1 < n and words[j + 1]:
                        continue  # a hyphen/slash token inside a phrase
                    break
                nxt = []
                for node in live:
                    for seq in words[j]:
                        cur = node
                        for w in seq:
                            cur = cur.get(w)
                            if cur is None:
                                break
                        if cur is not None:
                            nxt.append(cur)
                if not nxt:
                    break
                for node in nxt:
                    text = node.get(None)
                    if text is not None:
                        hits.extend(_Hit(i, j + 1, e) for e in self._entries[text])
                live = nxt

    def _match_patterns(self, toks: list[tuple], words: list, hits: list[_Hit]) -> None:
        for i, info in enumerate(toks):
            for p in info[2]:
                found = self._match_from(p, words, i)
                if found is not None:
                    hits.append(_Hit(found[0], found[1], Entry(p.source, p.cui, p.finding, "pattern"), found[2]))

    @staticmethod
    def _match_from(p: ConceptPattern, words: list, i: int) -> tuple[int, int, frozenset[int]] | None:
        """Span (start, end) of ``p`` matched from token ``i`` and the skipped tokens inside
        it, or None. The span covers the focus elements (all elements if none)."""
        pos, k, els = i, 0, p.elements
        gaps: list[int] = []
        at: list[int] = []  # token position of each focus element
        while k < len(els):
            el = els[k]
            if isinstance(el, int):  # gap: find the next element within ``el`` tokens
                target = els[k + 1]
                for g in range(0, el + 1):
                    q = pos + g
                    if q >= len(words) or not words[q]:
                        return None
                    if any(seq and seq[-1] in target for seq in words[q]):
                        gaps.extend(range(pos, q))
                        if not p.focus or k + 1 in p.focus:
                            at.append(q)
                        pos, k = q + 1, k + 2
                        break
                else:
                    return None
                continue
            if pos >= len(words) or not any(seq and seq[-1] in el for seq in words[pos]):
                return None
            if not p.focus or k in p.focus:
                at.append(pos)
            pos, k = pos + 1, k + 1
        start, end = min(at), max(at) + 1
        return start, end, frozenset(g for g in gaps if start <= g < end)

    def _fuzzy(self, toks: list[tuple], hits: list[_Hit]) -> None:
        from quickumls.toolbox import get_similarity

        covered = {k for h in hits for k in range(h.start, h.end)}
        n = len(toks)
        for i in range(n):
            if not toks[i][3] or toks[i][4] or i in covered:
                continue
            text = ""
            for j in range(i, min(n, i + FUZZY_MAX_TOKENS)):
                surf, stop = toks[j][3], toks[j][4]
                if not surf:
                    break
                text = f"{text} {surf}" if text else surf
                if stop or len(text) < 5:
                    continue
                found = self._fuzzy_cache.get(text)
                if found is None:
                    scored = [(get_similarity(text, c, 3, "jaccard"), c) for c in self._ss.get(text)]
                    best = max((s for s, _ in scored), default=0.0)
                    # same word count: a fuzzy hit may not drop a word ("no acute disease")
                    words = text.count(" ")
                    found = tuple(c for s, c in scored if s >= self.threshold and s == best and c != text and c.count(" ") == words)
                    if len(self._fuzzy_cache) < 200_000:
                        self._fuzzy_cache[text] = found
                for term in found:
                    hits.extend(_Hit(i, j + 1, e) for e in self._entries.get(term, ()))

    def _resolve(self, hits: list[_Hit]) -> list[_Hit]:
        """Exclusions drop their finding's hits inside them; a gapped pattern hit is dropped
        when a term touches its gap, so it never swallows a term ("pleural effusion versus
        pleural thickening"); then the longest span wins (several findings may share one
        span: "hydropneumothorax")."""
        if not hits:
            return []
        excl = [h for h in hits if h.entry.kind == "exclude"]
        kept = [
            h
            for h in hits
            if h.entry.kind != "exclude"
            and not any(x.entry.finding == h.entry.finding and x.start <= h.start and h.end <= x.end for x in excl)
        ]
        in_terms = {k for h in kept if h.entry.kind == "term" for k in range(h.start, h.end)}
        kept = [h for h in kept if not h.gaps & in_terms]
        kept.sort(key=lambda h: (h.start - h.end, h.entry.kind == "pattern", h.start))
        taken: list[tuple[int, int]] = []
        out: list[_Hit] = []
        seen: set[tuple[int, int, str]] = set()
        for h in kept:
            span = (h.start, h.end)
            key = (h.start, h.end, h.entry.finding)
            if key in seen or (span not in taken and any(s < h.end and h.start < e for s, e in taken)):
                continue
            seen.add(key)
            taken.append(span)
            out.append(h)
        # a generic OTHER word on the span of one of the 14 ("effusion versus [thickening]")
        # adds nothing
        named = {(h.start, h.end) for h in out if h.entry.finding in self.ontology.findings}
        out = [h for h in out if not (h.entry.finding == OTHER and (h.start, h.end) in named)]
        out.sort(key=lambda h: (h.start, h.entry.finding))
        return out

    def _is_generic(self, words: list, start: int) -> bool:
        """Whether a generic context (:attr:`Ontology.generic_contexts`) ends within two words
        before ``start`` ("sensitivity to [pneumothorax]", "detection of small [nodules]")."""
        flat: list[str] = []
        for k in range(start - 1, max(-1, start - 9), -1):
            if not words[k]:
                break  # never across punctuation
            flat.insert(0, words[k][0][0] if words[k][0] else "")
        text = " ".join(flat)
        for skip in range(0, 3):
            head = " ".join(flat[: len(flat) - skip]) if skip else text
            if any(head == c or head.endswith(" " + c) for c in self._generic):
                return True
        return False

    def _drop_contradicted(self, hits: list[_Hit]) -> list[_Hit]:
        """A normal statement that denies a finding is dropped when it overlaps an abnormality
        named in its span ("cardiac silhouette is [enlarged] with normal vascularity"): what
        is written as abnormal wins over the wider normal reading."""
        named = [
            h for h in hits
            if h.entry.kind != "exclude" and h.entry.finding != NORMAL and h.entry.cui not in self._asserted
        ]
        return [
            h for h in hits
            if h.entry.cui not in self._asserted or not any(n.start < h.end and h.start < n.end for n in named)
        ]

    @staticmethod
    def _head(sentence: Sentence, start: int, end: int) -> int:
        g = sentence.graph
        span = range(start, end)
        heads = [k for k in span if not any(p in span for p in g.predecessors(k))]
        if len(heads) == 1:
            return heads[0]
        pool = heads or list(span)
        nouns = [k for k in pool if sentence.tokens[k].pos in ("NOUN", "PROPN")]
        return (nouns or pool)[-1]

    # -- public
    def find(self, sentence: Sentence) -> list[Mention]:
        """Mentions in one sentence, in text order (offsets index the original report)."""
        toks = self._tokens(sentence)
        words = [t[0] for t in toks]
        hits: list[_Hit] = []
        self._exact(toks, words, hits)
        self._match_patterns(toks, words, hits)
        if self._ss is not None:
            self._fuzzy(toks, hits)
        out = []
        stoks = sentence.tokens
        asserted = self._asserted
        if asserted:
            hits = self._drop_contradicted(hits)
        resolved = self._resolve(hits)
        if self._generic:
            resolved = [h for h in resolved if not self._is_generic(words, h.start)]
        for h in resolved:
            a, b = stoks[h.start].start, stoks[h.end - 1].end
            lo = a - sentence.start
            rule = asserted.get(h.entry.cui)
            out.append(
                Mention(
                    finding=h.entry.finding,
                    cui=h.entry.cui,
                    text=sentence.text[lo : lo + (b - a)],
                    start=a,
                    end=b,
                    sentence=sentence.index,
                    head=self._head(sentence, h.start, h.end),
                    nodes=tuple(range(h.start, h.end)),
                    section=sentence.section,
                    # a normal statement that denies a finding is asserted as written
                    **({"polarity": Label.NEGATIVE, "rules": (rule,)} if rule else {}),
                )
            )
        return out

    def find_all(self, sentences: Iterable[Sentence]) -> list[Mention]:
        """Mentions of several sentences (e.g. a report), in order."""
        return [m for s in sentences for m in self.find(s)]
