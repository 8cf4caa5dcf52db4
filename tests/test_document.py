"""The report pipeline: sections → sentences → parser → normalized Sentences, and bad input."""

from __future__ import annotations

import csv
from typing import Iterable, Iterator

import pytest

from conftest import require_data
from cxrlabel.document import Document, parse_report, parse_reports, split_report
from cxrlabel.errors import InputError, ParserError
from cxrlabel.parsers.spacy import SpacyParser
from cxrlabel.types import Sentence


@pytest.fixture(scope="module")
def parser() -> SpacyParser:
    return SpacyParser()


REPORT = (
    "INDICATION: cough\n"
    "FINDINGS: Heart size normal and lungs are clear. No edema or pneumonia.\n"
    "IMPRESSION:\n1. Left pleural effusion. 2. Cardiomegaly without overt edema."
)


def test_parse_report_keeps_labeled_sections_in_order_with_report_offsets(parser):
    doc = parse_report(REPORT, parser)
    assert [s.section for s in doc.sentences] == ["FINDINGS", "FINDINGS", "IMPRESSION", "IMPRESSION"]
    assert [s.index for s in doc.sentences] == [0, 1, 2, 3]
    assert [s.name for s in doc.sections] == ["FINDINGS", "IMPRESSION"]
    for s in doc.sentences:
        assert REPORT[s.start : s.end] == s.text
        for t in s.tokens:
            assert REPORT[t.start : t.end] == t.text
    assert ("pneumonia", "neg", "no") in doc.sentences[1].relations()
    assert doc.failures == ()


def test_split_report_gives_the_spans_a_cache_can_key_on():
    spans = split_report(REPORT)
    assert [(s.section, s.text) for s in spans][:2] == [
        ("FINDINGS", "Heart size normal and lungs are clear."),
        ("FINDINGS", "No edema or pneumonia."),
    ]
    assert all(REPORT[s.start : s.end] == s.text for s in spans)


def test_batched_parse_reports_equals_one_by_one(parser):
    texts = [REPORT, "", "No pneumothorax.", "FINDINGS: Mild edema. IMPRESSION: Edema."] * 3
    batched = list(parse_reports(texts, parser, batch_size=5))
    single = [parse_report(t, parser) for t in texts]
    assert len(batched) == len(texts)
    assert [[s.relations() for s in d.sentences] for d in batched] == [[s.relations() for s in d.sentences] for d in single]
    assert [d.text for d in batched] == texts


def test_empty_and_blank_reports_give_empty_documents(parser):
    for text in ("", "   \n\t ", b""):
        doc = parse_report(text, parser)
        assert doc.sentences == () and doc.failures == ()


def test_invalid_utf8_bytes_are_an_input_error_or_replaced_on_request(parser):
    raw = "No effusion. Caf\u00e9".encode("utf-8") + b"\xff\xfe."
    with pytest.raises(InputError) as err:
        parse_report(raw, parser)
    assert err.value.code == "I201"
    doc = parse_report(raw, parser, errors="replace")
    assert doc.sentences[0].text == "No effusion."
    assert "\ufffd" in doc.text


def test_valid_utf8_bytes_are_decoded(parser):
    doc = parse_report("No pneumothorax.".encode(), parser)
    assert ("pneumothorax", "neg", "no") in doc.sentences[0].relations()


def test_a_report_that_is_neither_str_nor_bytes_is_an_input_error(parser):
    with pytest.raises(InputError) as err:
        parse_report(12, parser)  # type: ignore[arg-type]
    assert err.value.code == "I202"


def test_format_characters_are_removed_and_space_controls_become_spaces_with_report_offsets(parser):
    text = "No\x00 edema\x0b or\u200b pneumonia.\ufeff Clear\x07 lungs."
    doc = parse_report(text, parser)
    assert [s.text for s in doc.sentences] == ["No edema  or pneumonia.", "Clear lungs."]
    assert [text[s.start : s.end] for s in doc.sentences] == ["No\x00 edema\x0b or\u200b pneumonia.", "Clear\x07 lungs."]
    for s in doc.sentences:
        for t in s.tokens:
            assert text[t.start : t.end] == t.text
    assert ("pneumonia", "neg", "no") in doc.sentences[0].relations()


def test_a_500_token_sentence_is_parsed_whole_with_nothing_dropped(parser):
    text = " ".join(["opacity"] * 250 + ["and", "effusion"] * 125) + "."
    doc = parse_report(text, parser)
    assert doc.failures == () and len(doc.sentences) == 1  # under MAX_SENTENCE_CHARS: never cut
    assert sum(len(s.tokens) for s in doc.sentences) == 501
    assert all(text[t.start : t.end] == t.text for s in doc.sentences for t in s.tokens)


@pytest.mark.slow
def test_a_one_megabyte_report_parses(parser):
    text = ("FINDINGS: No pleural effusion or pneumothorax. Heart size is normal. " * 15000)[:1_000_000]
    spans = split_report(text)
    assert len(spans) > 20000
    doc = parse_report(text[:200_000], parser)  # the full MB takes minutes on 2 cores
    assert doc.failures == () and len(doc.sentences) > 5000


def test_non_english_text_parses_to_something_without_crashing(parser):
    for text in ("Pas d'épanchement pleural. Cœur normal.", "肺野清晰，无胸腔积液。", "Нет пневмоторакса."):
        doc = parse_report(text, parser)
        assert doc.failures == ()
        assert all(s.text == text[s.start : s.end] for s in doc.sentences)


class _FlakyParser:
    """A real parser wrapper that fails on sentences containing a marker word."""

    name = "flaky"
    version = "flaky-1"

    def __init__(self, inner: SpacyParser) -> None:
        self.inner = inner

    def parse(self, texts: Iterable[str]) -> Iterator[Sentence]:
        for t in texts:
            if "BOOM" in t:
                raise ParserError("cannot parse BOOM", code="P300")
            yield from self.inner.parse([t])


def test_a_sentence_that_fails_to_parse_is_reported_not_dropped(parser):
    doc = parse_report("No edema. BOOM goes here. No effusion.", _FlakyParser(parser))
    assert [s.text for s in doc.sentences] == ["No edema.", "No effusion."]
    assert [s.index for s in doc.sentences] == [0, 2]
    (fail,) = doc.failures
    assert fail.text == "BOOM goes here." and "P300" in fail.error and fail.start == 10


def test_a_parser_with_only_parse_gives_the_same_documents_as_the_fast_path(parser):
    texts = [REPORT, "No pneumothorax. Mild edema.", ""]
    fast = list(parse_reports(texts, parser))
    plain = list(parse_reports(texts, _FlakyParser(parser)))
    assert [[(s.text, s.start, s.index, s.section, s.edges) for s in d.sentences] for d in fast] == [
        [(s.text, s.start, s.index, s.section, s.edges) for s in d.sentences] for d in plain
    ]
    assert [t.start for t in fast[0].sentences[1].tokens] == [t.start for t in plain[0].sentences[1].tokens]


def test_chexpert_sample_reports_go_through_the_whole_text_pipeline(parser):
    path = require_data("chexpert_samples/chexpert-labeler/sample_reports.csv")
    with open(path, newline="") as f:
        reports = [row[0] for row in csv.reader(f) if row]
    docs: list[Document] = list(parse_reports(reports, parser))
    assert len(docs) == 4
    rels = [set().union(*(s.relations() for s in d.sentences)) for d in docs]
    texts = [[s.text for s in d.sentences] for d in docs]
    assert texts[0] == ["Heart size normal and lungs are clear.", "No edema or pneumonia.", "No effusion"]
    assert {("edema", "neg", "no"), ("pneumonia", "neg", "no"), ("effusion", "neg", "no")} <= rels[0]
    assert texts[1][0] == "Left pleural effusion with adjacent atelectasis."
    assert {("cardiomegaly", "prep_without", "edema"), ("effusion", "amod", "left")} <= rels[1]
    assert ("atelectasis", "conj_or", "consolidation") in rels[2]
    assert texts[3] == ["Stable mild cardiomegaly.", "Hyperexpanded but clear lungs."]


def _openi_reports(path, limit: int) -> list[str]:
    import tarfile
    import xml.etree.ElementTree as ET

    out = []
    with tarfile.open(path) as tf:
        for m in tf:
            if not m.name.endswith(".xml"):
                continue
            root = ET.parse(tf.extractfile(m)).getroot()
            parts = [
                f"{el.get('Label')}: {el.text}"
                for el in root.iter("AbstractText")
                if el.text and el.get("Label") in ("COMPARISON", "INDICATION", "FINDINGS", "IMPRESSION")
            ]
            out.append("\n".join(parts))
            if len(out) >= limit:
                break
    return out


@pytest.mark.slow
def test_openi_reports_parse_with_canonical_labels_and_exact_offsets(parser):
    from cxrlabel.canonical import is_canonical

    reports = _openi_reports(require_data("openi/NLMCXR_reports.tgz"), 150)
    docs = list(parse_reports(reports, parser))
    assert sum(len(d.sentences) for d in docs) > 500
    for d in docs:
        assert d.failures == ()
        assert all(s.section in ("FINDINGS", "IMPRESSION") for s in d.sentences) or not any(
            sec.name for sec in d.sections
        )
        for s in d.sentences:
            assert d.text[s.start : s.end] == s.text or "\n" in d.text[s.start : s.end]
            assert all(d.text[t.start : t.end] == t.text for t in s.tokens)
            assert all(is_canonical(e.rel) for e in s.edges), [e.rel for e in s.edges]
            assert len({(e.head, e.dep) for e in s.edges}) == len(s.edges) == s.graph.number_of_edges()
            assert not any(e.head == e.dep for e in s.edges)
