"""Normalization of UD (stanza) and ClearNLP (spaCy) labels into the canonical space."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxrlabel.canonical import is_canonical
from cxrlabel.errors import InputError
from cxrlabel.parsers.conllu import read_conllu
from cxrlabel.parsers.normalize import normalize
from cxrlabel.types import Edge, Sentence, Token

UD_FILE = Path(__file__).parent / "data" / "ud" / "table6.conllu"

# sentence id in tests/data/ud/table6.conllu → edges its Table 6 rule needs.
TABLE6_UD = {
    "no-evidence-of": {("evidence", "neg", "no"), ("evidence", "prep_of", "pneumothorax")},
    "no-evidence-of-list": {("evidence", "neg", "no"), ("evidence", "prep_of", "disease"), ("evidence", "prep_of", "effusion")},
    "clear-of": {("clear", "prep_of", "disease"), ("clear", "prep_of", "pneumothorax"), ("clear", "prep_of", "effusion")},
    "no-x-or-y": {("edema", "neg", "no"), ("pneumonia", "neg", "no"), ("edema", "conj_or", "pneumonia")},
    "without": {("normal", "prep_without", "effusion")},
    "free-of": {("free", "prep_of", "consolidation")},
    "without-evidence-of": {("clear", "prep_without", "evidence"), ("evidence", "prep_of", "pneumothorax")},
    "cannot-be-excluded": {("exclude", "md", "can"), ("exclude", "neg", "not"), ("exclude", "nsubjpass", "pneumonia")},
    "cannot-exclude": {("exclude", "md", "can"), ("exclude", "neg", "not"), ("exclude", "dobj", "pneumonia")},
    "concerning-for": {("concern", "prep_for", "pneumonia")},
    "may-be": {("atelectasis", "md", "may"), ("pneumonia", "md", "may"), ("atelectasis", "conj_or", "pneumonia")},
    "could-be": {("atelectasis", "md", "could")},
    "difficult-to-exclude": {("difficult", "csubj", "exclude"), ("exclude", "dobj", "pneumonia")},
    "may-represent": {("represent", "md", "may"), ("represent", "dobj", "atelectasis")},
    "suggesting": {("suggest", "dobj", "pneumonia")},
    "suspect": {("suspect", "dobj", "pneumonia")},
    "because-of": {("likely", "prep_because_of", "atelectasis")},
}


def _ud_sentences() -> dict[str, Sentence]:
    text = UD_FILE.read_text()
    ids = [line.split("=", 1)[1].strip() for line in text.splitlines() if line.startswith("# sent_id")]
    return dict(zip(ids, read_conllu(text, scheme="ud", source=str(UD_FILE))))


def test_every_ud_example_has_an_expectation():
    assert set(_ud_sentences()) == set(TABLE6_UD)


@pytest.mark.parametrize("sid", sorted(TABLE6_UD))
def test_ud_table6_example_has_the_edges_its_rule_needs(sid):
    sent = _ud_sentences()[sid]
    missing = TABLE6_UD[sid] - sent.relations()
    assert not missing, f"{sid}: missing {missing}; got {sorted(sent.relations())}"


def test_ud_labels_all_become_canonical():
    for sid, sent in _ud_sentences().items():
        assert all(is_canonical(e.rel) for e in sent.edges), sid


def _sent(words: list[tuple[str, str, str]], edges: list[tuple[int, str, int]]) -> Sentence:
    text = " ".join(w for w, _, _ in words)
    toks, pos = [], 0
    for i, (w, lemma, tag) in enumerate(words):
        toks.append(Token(i, w, lemma, tag, "", pos, pos + len(w)))
        pos += len(w) + 1
    return Sentence(text=text, tokens=tuple(toks), edges=tuple(Edge(h, r, d) for h, r, d in edges), end=len(text))


def test_clear_prep_pobj_becomes_prep_x_and_keeps_the_original_edges():
    s = _sent([("free", "free", "JJ"), ("of", "of", "IN"), ("edema", "edema", "NN")], [(0, "prep", 1), (1, "pobj", 2)])
    rels = normalize(s, "clear").relations()
    assert {("free", "prep_of", "edema"), ("free", "prep", "of"), ("of", "pobj", "edema")} <= rels


def test_clear_conjunct_chain_is_flattened_onto_the_first_conjunct():
    # spaCy: disease -conj-> pneumothorax -conj-> effusion, "or" as cc of pneumothorax
    words = [("of", "of", "IN"), ("disease", "disease", "NN"), ("pneumothorax", "pneumothorax", "NN"),
             ("or", "or", "CC"), ("effusion", "effusion", "NN"), ("clear", "clear", "JJ")]
    s = _sent(words, [(5, "prep", 0), (0, "pobj", 1), (1, "conj", 2), (2, "cc", 3), (2, "conj", 4)])
    rels = normalize(s, "clear").relations()
    assert {("disease", "conj_or", "pneumothorax"), ("disease", "conj_or", "effusion")} <= rels
    assert ("pneumothorax", "conj_or", "effusion") not in rels
    assert {("clear", "prep_of", "effusion"), ("clear", "prep_of", "pneumothorax")} <= rels


def test_conjunction_without_cc_is_plain_conj():
    s = _sent([("edema", "edema", "NN"), ("effusion", "effusion", "NN")], [(0, "conj", 1)])
    assert ("edema", "conj", "effusion") in normalize(s, "clear").relations()


def test_negation_does_not_reach_a_conjunct_with_its_own_subject():
    words = [("no", "no", "DT"), ("effusion", "effusion", "NN"), ("and", "and", "CC"),
             ("heart", "heart", "NN"), ("enlarged", "enlarge", "VBN")]
    s = _sent(words, [(1, "det", 0), (1, "cc", 2), (1, "conj", 4), (4, "nsubjpass", 3)])
    rels = normalize(s, "clear").relations()
    assert ("effusion", "neg", "no") in rels
    assert ("enlarge", "neg", "no") not in rels


def test_modal_aux_becomes_md_but_other_aux_stays():
    words = [("may", "may", "MD"), ("have", "have", "VB"), ("represent", "represent", "VBN")]
    rels = normalize(_sent(words, [(2, "aux", 0), (2, "aux", 1)]), "clear").relations()
    assert {("represent", "md", "may"), ("represent", "aux", "have")} <= rels


def test_unknown_labels_become_dep_and_root_edges_are_dropped():
    words = [("a", "a", "DT"), ("b", "b", "NN")]
    s = normalize(_sent(words, [(1, "weird:thing", 0), (1, "ROOT", 1)]), "ud")
    assert [(e.head, e.rel, e.dep) for e in s.edges] == [(1, "dep", 0)]


def test_unknown_scheme_is_an_input_error():
    with pytest.raises(InputError) as err:
        normalize(_sent([("a", "a", "DT")], []), "stanford")
    assert err.value.code == "I220"



CLEAR_CONLLU = """# text = Clear of focal airspace disease, pneumothorax, or pleural effusion.
1\tClear\tclear\tADJ\tJJ\t_\t0\tROOT\t_\t_
2\tof\tof\tADP\tIN\t_\t1\tprep\t_\t_
3\tfocal\tfocal\tADJ\tJJ\t_\t4\tamod\t_\t_
4\tairspace\tairspace\tNOUN\tNN\t_\t5\tcompound\t_\t_
5\tdisease\tdisease\tNOUN\tNN\t_\t2\tpobj\t_\tSpaceAfter=No
6\t,\t,\tPUNCT\t,\t_\t5\tpunct\t_\t_
7\tpneumothorax\tpneumothorax\tNOUN\tNN\t_\t5\tconj\t_\tSpaceAfter=No
8\t,\t,\tPUNCT\t,\t_\t7\tpunct\t_\t_
9\tor\tor\tCCONJ\tCC\t_\t7\tcc\t_\t_
10\tpleural\tpleural\tADJ\tJJ\t_\t11\tamod\t_\t_
11\teffusion\teffusion\tNOUN\tNN\t_\t7\tconj\t_\tSpaceAfter=No
12\t.\t.\tPUNCT\t.\t_\t1\tpunct\t_\t_
"""


def test_clear_conllu_read_with_the_clear_scheme_negates_every_conjunct_of_clear_of():
    (sent,) = read_conllu(CLEAR_CONLLU, scheme="clear")
    assert {("clear", "prep_of", "disease"), ("clear", "prep_of", "pneumothorax"), ("clear", "prep_of", "effusion")} <= sent.relations()
    assert all(is_canonical(e.rel) for e in sent.edges)


def test_clear_multiword_preposition_joins_its_pcomp():
    words = [("likely", "likely", "JJ"), ("due", "due", "IN"), ("to", "to", "IN"), ("atelectasis", "atelectasis", "NN")]
    rels = normalize(_sent(words, [(0, "prep", 1), (1, "pcomp", 2), (1, "pobj", 3)]), "clear").relations()
    assert ("likely", "prep_due_to", "atelectasis") in rels
