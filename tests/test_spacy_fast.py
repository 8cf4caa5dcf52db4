"""The spaCy fast paths (:mod:`cxrlabel.parsers.spacy_fast`) give spaCy's own output: the
compiled attribute ruler finds the matches spaCy's Matcher finds and leaves every token as the
stock component does, the bulk lemmatizer gives the stock lemmas, and the loaded pipeline (numpy's matrix
product in place of BLIS's included) parses OpenI sentences exactly as a plainly loaded one."""

from __future__ import annotations

import pytest
from conftest import require_data

from cxrlabel.parsers.spacy import DEFAULT_MODEL, SpacyParser
from cxrlabel.parsers.spacy_fast import FastLemmatizer, compile_ruler

#: Words and constructions that exercise the ruler's two-token, DEP, REGEX and NOT_IN patterns.
ODD = [
    "I gonna go, y'all ain't here.",
    "Let's see, it is there but it isn't.",
    "There is a nodule and there are effusions.",
    "He gets it, she got it, c'mon.",
    "Did you do it?  Yes  we did.",
    "The tube  \n is in place",
    "What which that those",
    "I saw it and you saw me.",
    "",
]


@pytest.fixture(scope="module")
def parser() -> SpacyParser:
    return SpacyParser()


@pytest.fixture(scope="module")
def stock():
    from cxrlabel.parsers.spacy import import_spacy

    return import_spacy().load(DEFAULT_MODEL, exclude=["ner"])


@pytest.fixture(scope="module")
def openi_sentences() -> list[str]:
    from cxrlabel.document import split_report
    from cxrlabel.gold.openi import read_openi_reports

    reports = read_openi_reports(require_data("openi/NLMCXR_reports.tgz"))
    texts = list(dict.fromkeys(s.text for r in reports[:700] for s in split_report(r.text)))
    return ODD + texts


def _annotations(doc) -> list[tuple]:
    return [(t.tag, t.pos, t.morph.key, t.lemma, t.dep, t.head.i) for t in doc]


def test_the_loaded_pipeline_uses_every_fast_path(parser):
    nlp = parser.nlp
    assert nlp.get_pipe("attribute_ruler").match.__self__.__class__.__name__ == "CompiledRuler"
    assert isinstance(nlp.get_pipe("lemmatizer").pipe.__self__, FastLemmatizer)
    layers = [node for _, proc in nlp.pipeline if hasattr(getattr(proc, "model", None), "walk") for node in proc.model.walk()]
    assert layers and not any(getattr(node.ops, "use_blis", False) for node in layers)  # numpy's gemm everywhere
    assert parser.numpy_gemm and parser.version.endswith("-npgemm")


def test_a_parser_asked_for_blis_keeps_it_and_says_so_in_its_version(parser):
    plain = SpacyParser(numpy_gemm=False)
    assert plain.nlp.get_pipe("tok2vec").model.ops.use_blis and not plain.numpy_gemm
    assert plain.version == parser.version.removesuffix("-npgemm")  # a parse cache is not shared between the two


def test_compiled_ruler_finds_the_matches_of_spacys_matcher(parser, openi_sentences):
    from spacy.pipeline.attributeruler import AttributeRuler

    nlp = parser.nlp
    ruler = nlp.get_pipe("attribute_ruler")
    compiled = compile_ruler(ruler)
    with nlp.select_pipes(disable=["attribute_ruler", "lemmatizer"]):
        docs = list(nlp.pipe(openi_sentences))
    differ = [d.text for d in docs if AttributeRuler.match(ruler, d) != compiled.match(d)]
    assert not differ, differ[:5]
    # the two-token and DEP patterns did match somewhere, so they were compared too
    two = {m[0] for d in docs[: len(ODD)] for m in compiled.match(d) if m[3] - m[2] == 2}
    assert two


def test_the_pipeline_parses_exactly_as_a_plainly_loaded_one(parser, stock, openi_sentences):
    ours = list(parser.nlp.pipe(openi_sentences, batch_size=64))
    theirs = list(stock.pipe(openi_sentences, batch_size=64))
    differ = [a.text for a, b in zip(ours, theirs) if _annotations(a) != _annotations(b)]
    assert not differ, differ[:5]
    # one text at a time (nlp(text): the stock lemmatizer loop, the compiled ruler)
    for text in ODD + openi_sentences[len(ODD) : len(ODD) + 50]:
        assert _annotations(parser.nlp(text)) == _annotations(stock(text)), text


def _ruler(pattern: list, attrs: dict):
    from spacy.lang.en import English

    ruler = English().add_pipe("attribute_ruler")
    ruler.add([pattern], attrs)
    return ruler


def test_a_ruler_with_a_pattern_it_cannot_compile_keeps_spacys_matcher():
    from spacy.tokens import Token

    assert compile_ruler(_ruler([{"LOWER": "no"}, {"TAG": {"IN": ["NN", "NNS"]}}], {"LEMMA": "x"})) is not None
    assert compile_ruler(_ruler([{"LOWER": "no"}, {"OP": "?"}, {"LOWER": "effusion"}], {"LEMMA": "x"})) is None
    assert compile_ruler(_ruler([{"LOWER": {"FUZZY": "effusion"}}], {"LEMMA": "x"})) is None
    assert compile_ruler(_ruler([{"LENGTH": {">": 3}}], {"LEMMA": "x"})) is None
    if not Token.has_extension("cxr_test_flag"):
        Token.set_extension("cxr_test_flag", default=None)
    assert compile_ruler(_ruler([{"LOWER": "no"}], {"_": {"cxr_test_flag": 1}})) is None


def test_the_split_memo_of_punkt_decisions_gives_plain_punkt_spans(openi_sentences):
    from cxrlabel import sentences
    from cxrlabel.gold.openi import read_openi_reports

    memo = sentences.tokenizer()
    plain = sentences.PunktSentenceTokenizer(memo._params)
    reports = read_openi_reports(require_data("openi/NLMCXR_reports.tgz"))
    texts = [r.text for r in reports[:1500]] + ["Dr. Smith saw it. No effusion. e.g. a case.", "5 mm. Next", "A.B. C"]
    for text in texts + texts:  # the second round answers from the memo
        assert list(memo.span_tokenize(text)) == list(plain.span_tokenize(text)), text


def test_a_pattern_added_after_compiling_is_matched_by_spacys_matcher():
    from spacy.lang.en import English

    nlp = English()
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add([[{"LOWER": "no"}]], {"LEMMA": "none"})
    compiled = compile_ruler(ruler)
    ruler.add([[{"LOWER": "effusion"}]], {"LEMMA": "fluid"})
    doc = nlp.make_doc("no effusion")
    from spacy.pipeline.attributeruler import AttributeRuler

    assert compiled.match(doc) == AttributeRuler.match(ruler, doc) and len(compiled.match(doc)) == 2


def test_parser_options_given_as_text_are_read_and_a_bad_one_is_a_clear_error():
    from cxrlabel.errors import ParserError

    plain = SpacyParser(numpy_gemm="false", fix_quirks="yes", batch_size="32")  # as --parser-option gives them
    assert not plain.numpy_gemm and plain.fix_quirks is True and plain.batch_size == 32
    for bad in ({"numpy_gemm": "maybe"}, {"batch_size": "0"}, {"n_process": "two"}):
        with pytest.raises(ParserError, match="P305"):
            SpacyParser(**bad)


def _blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_spacy_runs_on_one_blas_thread_inside_the_parser_and_the_callers_setting_is_kept_outside():
    """numpy's BLAS would spread the networks' products over every core (and spin after);
    inside a parse call it has one thread — seen by a component at the end of the real
    pipeline — and the caller's setting is back between Docs and after."""
    from spacy.language import Language
    from threadpoolctl import threadpool_limits

    seen: list[list[int]] = []
    if not Language.has_factory("cxrlabel_test_blas_probe"):
        @Language.component("cxrlabel_test_blas_probe")
        def probe(doc):
            seen.append(_blas_threads())
            return doc

    parser = SpacyParser()
    parser.nlp.add_pipe("cxrlabel_test_blas_probe", last=True)
    with threadpool_limits(limits=2, user_api="blas"):  # as on a 2-core machine, whatever this one has
        assert set(_blas_threads()) == {2}
        between = [_blas_threads() for _ in parser.parse(["No pneumothorax.", "Mild cardiomegaly.", "The lungs are clear."])]
        list(parser.parse(["Small left pleural effusion."]))  # one text: nlp(text)
        assert len(seen) == 4 and all(set(s) == {1} for s in seen)
        assert all(set(b) == {2} for b in between) and set(_blas_threads()) == {2}
