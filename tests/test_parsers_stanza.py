"""The stanza backend: its Document adapter on real stanza Documents (no weights needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

stanza = pytest.importorskip("stanza", reason="the [stanza] extra is not installed")
from stanza.utils.conll import CoNLL  # noqa: E402

from cxrlabel.canonical import is_canonical  # noqa: E402
from cxrlabel.errors import ModelNotFoundError  # noqa: E402
from cxrlabel.parsers.conllu import read_conllu  # noqa: E402
from cxrlabel.parsers.stanza import StanzaParser, merge_sentences, sentences_from_stanza_doc  # noqa: E402

from test_normalize import TABLE6_UD, UD_FILE  # noqa: E402


def _doc():
    return CoNLL.conll2doc(input_str=UD_FILE.read_text())


def test_adapter_gives_the_table6_edges_on_real_stanza_documents():
    sents = sentences_from_stanza_doc(_doc())
    ids = list(TABLE6_UD)  # file order == dict order
    assert len(sents) == len(ids)
    for sid, sent in zip(ids, sents):
        missing = TABLE6_UD[sid] - sent.relations()
        assert not missing, f"{sid}: missing {missing}; got {sorted(sent.relations())}"
        assert all(is_canonical(e.rel) for e in sent.edges)


def test_adapter_agrees_with_the_conllu_reader_on_the_same_parses():
    via_stanza = sentences_from_stanza_doc(_doc())
    via_reader = read_conllu(UD_FILE.read_text(), scheme="ud")
    for a, b in zip(via_stanza, via_reader):
        assert a.relations() == b.relations(), a.text


def test_multiword_token_cannot_becomes_two_words_inside_the_token_span():
    doc = _doc()
    (sent,) = [s for s in sentences_from_stanza_doc(doc) if s.text == "Pneumonia cannot be excluded."]
    can, nt = sent.tokens[1], sent.tokens[2]
    assert (can.text, can.lemma, can.tag) == ("can", "can", "MD")
    assert (nt.text, nt.lemma) == ("not", "not")
    assert sent.text[can.start : can.end] == "can" and sent.text[nt.start : nt.end] == "not"


def test_offsets_come_from_start_char_when_the_document_has_them():
    text = "Findings: no edema."
    doc = stanza.Document(
        [[
            {"id": 1, "text": "no", "lemma": "no", "upos": "DET", "xpos": "DT", "head": 2, "deprel": "det", "start_char": 10, "end_char": 12},
            {"id": 2, "text": "edema", "lemma": "edema", "upos": "NOUN", "xpos": "NN", "head": 0, "deprel": "root", "start_char": 13, "end_char": 18},
            {"id": 3, "text": ".", "lemma": ".", "upos": "PUNCT", "xpos": ".", "head": 2, "deprel": "punct", "start_char": 18, "end_char": 19},
        ]],
        text=text,
    )
    (sent,) = sentences_from_stanza_doc(doc)
    assert (sent.start, sent.end, sent.text) == (10, 19, "no edema.")
    assert [text[t.start : t.end] for t in sent.tokens] == ["no", "edema", "."]
    assert ("edema", "neg", "no") in sent.relations()


def test_merging_two_stanza_sentences_renumbers_tokens_and_edges():
    sents = sentences_from_stanza_doc(_doc())[:2]
    merged = merge_sentences(sents, "x")
    assert len(merged.tokens) == len(sents[0].tokens) + len(sents[1].tokens)
    assert [t.i for t in merged.tokens] == list(range(len(merged.tokens)))
    assert merged.relations() == sents[0].relations() | sents[1].relations()


def test_missing_stanza_model_says_how_to_download_or_point_at_a_directory(tmp_path: Path):
    with pytest.raises(ModelNotFoundError) as err:
        StanzaParser(dir=str(tmp_path))
    msg = str(err.value)
    assert err.value.code == "P301"
    assert "stanza.download('en', package='mimic')" in msg
    assert "dir=" in msg


def _installed_model_dir() -> Path | None:
    for d in (Path.home() / "stanza_resources",):
        if (d / "en").is_dir():
            return d
    return None


@pytest.mark.slow
@pytest.mark.skipif(_installed_model_dir() is None, reason="needs stanza English weights (~/stanza_resources/en), not installed here")
def test_real_stanza_model_parses_no_evidence_of():  # pragma: no cover - needs weights
    parser = StanzaParser(dir=str(_installed_model_dir()))
    (sent,) = parser.parse(["No evidence of pneumothorax."])
    assert {("evidence", "neg", "no"), ("evidence", "prep_of", "pneumothorax")} <= sent.relations()
