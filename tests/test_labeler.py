"""The public labeling API: cxrlabel.label / Labeler, ReportLabels, aggregation, self-check."""

import pytest

import cxrlabel
from cxrlabel.aggregate import NEGATIVE_FIRST, POSITIVE_FIRST, UNCERTAIN_FIRST, aggregate, get_policy, is_normal
from cxrlabel.errors import LabelerError, PluginError
from cxrlabel.labeler import Labeler
from cxrlabel.parsers.conllu import read_conllu
from cxrlabel.rules.judge import Basis, list_anchors
from cxrlabel.types import FINDINGS, OTHER, Label, Mention


@pytest.fixture(scope="module")
def labeler():
    return Labeler()


def test_label_returns_the_issue_example_exactly():
    r = cxrlabel.label("No evidence of pneumothorax. Mild cardiomegaly.")
    assert r["Pneumothorax"] == "negative"
    assert r["Cardiomegaly"] == "positive"
    assert r["Effusion"] is None
    assert r.normal is False
    assert isinstance(r["Pneumothorax"], Label)


def test_unknown_key_raises_keyerror_listing_valid_findings():
    r = cxrlabel.label("No pneumothorax.")
    with pytest.raises(KeyError) as err:
        r["Pneumothorx"]
    assert "Pneumothorax" in str(err.value) and "Pleural_Thickening" in str(err.value)


def test_report_labels_is_a_mapping_over_the_14_findings_in_order(labeler):
    r = labeler.label("No pneumothorax.")
    assert list(r) == list(FINDINGS)
    assert len(r) == 14
    d = r.to_dict()
    assert d["Pneumothorax"] == "negative" and d["Effusion"] is None and d["normal"] is True


def test_mentions_carry_span_sentence_cui_polarity_and_deciding_rules(labeler):
    text = "Heart size is normal. No evidence of pneumothorax."
    r = labeler.label(text)
    (m,) = [m for m in r.mentions if m.finding == "Pneumothorax"]
    assert text[m.start : m.end] == "pneumothorax"
    assert m.sentence == 1 and m.cui.startswith("C")
    assert m.polarity is Label.NEGATIVE
    assert "no-evidence-of" in m.rules
    assert "no-evidence-of" in r.rule_ids("Pneumothorax")


def test_pandas_row_uses_the_chexpert_codes(labeler):
    row = labeler.label("Small left pleural effusion. No pneumothorax. Possible pneumonia.").to_series()
    assert row["Effusion"] == 1.0 and row["Pneumothorax"] == 0.0 and row["Pneumonia"] == -1.0
    assert row.isna()["Mass"] and row.isna()["No Finding"]


def test_negated_list_negates_every_member(labeler):
    r = labeler.label("No focal consolidation, pleural effusion, or pneumothorax is identified.")
    assert (r["Consolidation"], r["Effusion"], r["Pneumothorax"]) == ("negative",) * 3
    assert r.normal


def test_hedges_are_uncertain_and_negated_hedges_negative(labeler):
    assert labeler.label("Cannot exclude pneumonia.")["Pneumonia"] == "uncertain"
    assert labeler.label("Possible small left pleural effusion.")["Effusion"] == "uncertain"
    assert labeler.label("No suspicious pulmonary nodules.")["Nodule"] == "negative"
    assert labeler.label("There is no focal opacity to suggest pneumonia.")["Pneumonia"] == "negative"


def test_differential_lists_are_positive_by_default_and_uncertain_with_the_differential_pack():
    text = "Left basilar opacity, atelectasis or scarring."
    assert Labeler().label(text)["Atelectasis"] == "positive"
    assert Labeler(grammars="differential").label(text)["Atelectasis"] == "uncertain"


def test_empty_and_blank_reports_fail_with_no_labels_and_are_never_normal(labeler):
    for text in ("", "   \n\t "):
        r = labeler.label(text)
        assert all(r[f] is None for f in FINDINGS) and r.mentions == () and not r.normal
        assert r.failed and r.error.startswith("error[I250]: empty report")


def test_bytes_input_is_decoded_and_bad_bytes_raise_a_clear_error(labeler):
    assert labeler.label("No pneumothorax.".encode())["Pneumothorax"] == "negative"
    with pytest.raises(cxrlabel.CxrlabelError) as err:
        labeler.label(b"No pneumothorax \xff.")
    assert err.value.code == "I201"


def test_self_check_fails_loudly_when_the_grammar_no_longer_matches_the_parser():
    broken = Labeler(grammars=[], replace_grammars=True)  # no rules: everything would be positive
    with pytest.raises(LabelerError) as err:
        broken.label("No pneumothorax.")
    assert err.value.code == "L601"
    assert "No pneumothorax." in str(err.value)


def test_unknown_policy_lists_the_available_ones():
    with pytest.raises(PluginError) as err:
        get_policy("majority")
    assert "positive-first" in str(err.value)


def _m(finding: str, pol: Label) -> Mention:
    return Mention(finding=finding, cui="C0", text="x", start=0, end=1, sentence=0, head=0, polarity=pol)


@pytest.mark.parametrize(
    ("policy", "expected"),
    [(POSITIVE_FIRST, Label.POSITIVE), (UNCERTAIN_FIRST, Label.UNCERTAIN), (NEGATIVE_FIRST, Label.NEGATIVE)],
)
def test_policy_ranks_conflicting_mentions(policy, expected):
    ms = [_m("Effusion", Label.NEGATIVE), _m("Effusion", Label.UNCERTAIN), _m("Effusion", Label.POSITIVE)]
    assert aggregate(ms, policy)["Effusion"] is expected
    assert aggregate(ms, policy)["Edema"] is None


def test_normal_requires_no_asserted_finding_including_other_abnormalities():
    negated = [_m("Pneumothorax", Label.NEGATIVE)]
    assert is_normal(aggregate(negated), negated)
    other = negated + [_m(OTHER, Label.POSITIVE)]
    assert not is_normal(aggregate(other), other)
    hedged = [_m("Edema", Label.UNCERTAIN)]
    assert not is_normal(aggregate(hedged), hedged)


LIST = """\
# text = No consolidation, effusion or pneumothorax.
1	No	no	DET	DT	_	2	neg	_	_
2	consolidation	consolidation	NOUN	NN	_	0	root	_	_
3	,	,	PUNCT	,	_	2	punct	_	_
4	effusion	effusion	NOUN	NN	_	2	appos	_	_
5	or	or	CCONJ	CC	_	6	cc	_	_
6	pneumothorax	pneumothorax	NOUN	NN	_	4	conj_or	_	SpaceAfter=No
7	.	.	PUNCT	.	_	2	punct	_	_
"""


def test_list_anchors_climb_conjuncts_and_appositions_to_the_negated_head():
    (s,) = read_conllu(LIST)
    assert list_anchors(s.graph, 5) == [5, 3, 1]
    assert list_anchors(s.graph, 1) == [1]


def test_the_labeler_applies_its_judges_decision_to_every_mention(labeler):
    r = labeler.label("No acute process or large pneumothorax. Pneumonia cannot be excluded.")
    by_index = {s.index: s for s in r.sentences}
    for m in r.mentions:
        d = labeler.decide(by_index[m.sentence], m)
        assert (m.polarity, m.rules) == (d.label, d.rule_ids)
        assert labeler.judge(by_index[m.sentence], m) == (d.label, d.hits)  # the old entry point
    normal = [m for m in r.mentions if m.finding == "NORMAL"]
    assert normal and all(labeler.decide(by_index[m.sentence], m).basis is Basis.NORMAL for m in normal)
    assert r["Pneumothorax"] is Label.NEGATIVE and r["Pneumonia"] is Label.UNCERTAIN
