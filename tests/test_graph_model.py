"""The graph model: CoNLL-U in, a networkx.DiGraph of tokens and head → dependent edges out."""

import networkx as nx
import pytest

from cxrlabel.errors import InputError
from cxrlabel.parsers import Parser, get_parser
from cxrlabel.parsers.conllu import ConlluParser, read_conllu
from cxrlabel.types import Edge, Sentence

NO_EVIDENCE = """\
# text = No evidence of pneumothorax.
1	No	no	DET	DT	_	2	neg	_	_
2	evidence	evidence	NOUN	NN	_	0	ROOT	_	_
3	of	of	ADP	IN	_	4	case	_	_
4	pneumothorax	pneumothorax	NOUN	NN	_	2	prep_of	_	SpaceAfter=No
5	.	.	PUNCT	.	_	2	punct	_	_
"""


def test_conllu_sentence_becomes_a_digraph_with_token_attributes_and_relations():
    (s,) = read_conllu(NO_EVIDENCE)
    assert isinstance(s.graph, nx.DiGraph)
    assert s.graph.nodes[1]["lemma"] == "evidence"
    assert s.graph.nodes[0]["lower"] == "no"
    assert s.graph.edges[1, 0]["rel"] == "neg"
    assert s.graph.edges[1, 3]["rel"] == "prep_of"
    assert ("evidence", "prep_of", "pneumothorax") in s.relations()
    # offsets point into the sentence text
    t = s.tokens[3]
    assert s.text[t.start : t.end] == "pneumothorax"


def test_sentence_round_trips_through_its_dict_form():
    (s,) = read_conllu(NO_EVIDENCE)
    again = Sentence.from_dict(s.to_dict())
    assert again == s
    assert set(again.graph.edges) == set(s.graph.edges)


def test_shifted_sentence_moves_every_offset():
    (s,) = read_conllu(NO_EVIDENCE)
    moved = s.shifted(100, index=3)
    assert moved.start == 100 and moved.index == 3
    assert moved.tokens[3].start == s.tokens[3].start + 100
    assert moved.graph.nodes[3]["start"] == s.tokens[3].start + 100


def test_conllu_parser_satisfies_the_parser_protocol():
    p = get_parser("conllu")
    assert isinstance(p, ConlluParser)
    assert isinstance(p, Parser)
    (s,) = list(p.parse([NO_EVIDENCE]))
    assert len(s.tokens) == 5


def test_malformed_conllu_line_is_an_input_error_with_its_line_number():
    bad = "1\tNo\tno\n"
    with pytest.raises(InputError) as err:
        read_conllu(bad, source="bad.conllu")
    assert err.value.code == "I210"
    assert "bad.conllu:1" in str(err.value)


def test_edge_to_a_missing_token_is_rejected():
    with pytest.raises(ValueError):
        Sentence(text="x", tokens=(), edges=(Edge(0, "neg", 1),))
