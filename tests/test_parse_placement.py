"""One fast path for parsing spans (``parsers.base.parse_placed``, with P304) and one sentence
serialisation (``Sentence.to_dict``/``from_dict``), which the parse cache stores."""

from __future__ import annotations

import hashlib
import json
from typing import Iterable, Iterator

import pytest

from cxrlabel.cache import CachedParser, ParseCache, decode, encode, verified
from cxrlabel.document import parse_reports
from cxrlabel.errors import ParserError
from cxrlabel.parsers.base import parse_placed
from cxrlabel.types import Edge, Sentence, Token

REPORTS = [
    "FINDINGS: No pneumothorax. Mild cardiomegaly.\nIMPRESSION: Left basilar opacity, atelectasis or scarring.",
    "There is a small right pleural effusion, which may represent pneumonia. Heart size is normal without cardiomegaly.",
    "No evidence of focal airspace disease, pneumothorax, or pleural effusion. XXXX degenerative changes.",
]


class WordParser:
    """A real, tiny parser: whitespace tokens, each attached to the next (``dep``);
    ``extra`` sentences are appended to every batch, to break the one-per-text contract."""

    name = "words"
    version = "1"

    def __init__(self, extra: int = 0) -> None:
        self.extra = extra

    def parse(self, texts: Iterable[str]) -> Iterator[Sentence]:
        texts = list(texts)
        for text in texts + texts[: self.extra]:
            tokens, pos = [], 0
            for k, word in enumerate(text.split()):
                start = text.index(word, pos)
                pos = start + len(word)
                tokens.append(Token(k, word, word.lower(), "NN", "NOUN", start, pos))
            yield Sentence(text, tuple(tokens), tuple(Edge(k + 1, "dep", k) for k in range(len(tokens) - 1)), 0, len(text))


class PlacingParser(WordParser):
    """The same parser with a ``parse_spans`` fast path."""

    def parse_spans(self, items):
        got = list(self.parse([i[0] for i in items]))
        placed = [s.shifted(off, index=idx, section=sec) for s, (_, off, idx, sec) in zip(got, items)]
        return placed + got[len(items):]


@pytest.fixture(scope="module")
def spacy_parser():
    from cxrlabel.parsers.spacy import SpacyParser

    return SpacyParser()


def _full(s: Sentence):
    nodes = sorted(s.graph.nodes(data=True))
    edges = sorted((h, d, a["rel"]) for h, d, a in s.graph.edges(data=True))
    return (s.text, s.tokens, s.edges, s.start, s.end, s.index, s.section, nodes, edges)


@pytest.mark.parametrize("parser", [WordParser(), PlacingParser()], ids=["parse", "parse_spans"])
def test_placed_sentences_carry_their_report_offset_index_and_section(parser):
    (s,) = parse_placed(parser, [("No pneumothorax.", 40, 3, "IMPRESSION")])
    assert (s.start, s.end, s.index, s.section) == (40, 56, 3, "IMPRESSION")
    assert [(t.text, t.start) for t in s.tokens] == [("No", 40), ("pneumothorax.", 43)]


@pytest.mark.parametrize("parser", [WordParser(extra=1), PlacingParser(extra=1)], ids=["parse", "parse_spans"])
def test_a_parser_that_returns_the_wrong_count_is_p304_on_either_path(parser):
    with pytest.raises(ParserError) as err:
        parse_placed(parser, [("No edema.", 0, 0, None), ("Mild cardiomegaly.", 10, 1, None)])
    assert err.value.code == "P304" and "3 sentences for 2 texts" in str(err.value)


def test_the_cached_parser_and_the_document_pipeline_share_the_check(tmp_path):
    with pytest.raises(ParserError) as err:
        list(CachedParser(WordParser(extra=1), ParseCache(tmp_path / "c.sqlite")).parse(["a b", "c d"]))
    assert err.value.code == "P304"
    (doc,) = parse_reports(["No edema. Mild cardiomegaly."], PlacingParser(extra=1))
    assert not doc.sentences and all("P304" in f.error for f in doc.failures) and len(doc.failures) == 2


def test_the_cache_stores_sentence_to_dict_less_its_place_in_the_report(spacy_parser):
    (doc,) = parse_reports(REPORTS[:1], spacy_parser)
    s = doc.sentences[-1]
    assert s.start > 0
    value = encode(s)  # the sha256 of the JSON, then the JSON
    stored = json.loads(value[64:])
    assert verified(value, s.text) == stored and hashlib.sha256(value[64:].encode()).hexdigest() == value[:64]
    own = s.shifted(-s.start).to_dict()
    assert stored == {k: v for k, v in own.items() if k not in ("start", "end", "index", "section")}


def test_real_parses_round_trip_through_the_cache_exactly(spacy_parser, tmp_path):
    fresh = [s for d in parse_reports(REPORTS, spacy_parser) for s in d.sentences]
    for s in fresh:
        assert _full(decode(encode(s), s.start, s.index, s.section)) == _full(s)
        assert _full(Sentence.from_dict(s.to_dict())) == _full(s)
    cached = CachedParser(spacy_parser, ParseCache(tmp_path / "c.sqlite"))
    first = [s for d in parse_reports(REPORTS, cached) for s in d.sentences]
    again = [s for d in parse_reports(REPORTS, cached) for s in d.sentences]
    assert cached.hits == len(fresh) and cached.misses == len(fresh)
    assert [_full(s) for s in first] == [_full(s) for s in again] == [_full(s) for s in fresh]
