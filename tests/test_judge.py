"""The judging stage (cxrlabel.rules.judge) on hand-built CoNLL-U parses and hand-written rules:
stage order, positive exceptions, list anchors, the scope fallback, the NORMAL bypass."""

from __future__ import annotations

import pytest

from cxrlabel.ontology import ASSERTED_RULE_PREFIX, NORMAL
from cxrlabel.parsers.conllu import read_conllu
from cxrlabel.rules import load_rules
from cxrlabel.rules.judge import Basis, Judge, list_anchors
from cxrlabel.types import STAGE_ORDER, Label, Mention, Sentence, Stage

CANNOT_EXCLUDE = """\
# text = Pneumonia cannot be excluded.
1	Pneumonia	pneumonia	NOUN	NN	_	5	nsubjpass	_	_
2	can	can	AUX	MD	_	5	md	_	SpaceAfter=No
3	not	not	PART	RB	_	5	neg	_	_
4	be	be	AUX	VB	_	5	auxpass	_	_
5	excluded	exclude	VERB	VBN	_	0	root	_	SpaceAfter=No
6	.	.	PUNCT	.	_	5	punct	_	_
"""

NO_CHANGE = """\
# text = No change in the effusion.
1	No	no	DET	DT	_	2	neg	_	_
2	change	change	NOUN	NN	_	0	root	_	_
3	in	in	ADP	IN	_	2	prep	_	_
4	the	the	DET	DT	_	5	det	_	_
5	effusion	effusion	NOUN	NN	_	2	prep_in	_	SpaceAfter=No
6	.	.	PUNCT	.	_	2	punct	_	_
"""

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

HEDGE = """\
# text = This may represent pneumonia.
1	This	this	PRON	DT	_	3	nsubj	_	_
2	may	may	AUX	MD	_	3	md	_	_
3	represent	represent	VERB	VB	_	0	root	_	_
4	pneumonia	pneumonia	NOUN	NN	_	3	dobj	_	SpaceAfter=No
5	.	.	PUNCT	.	_	3	punct	_	_
"""

NO_ACUTE = """\
# text = No acute disease.
1	No	no	DET	DT	_	3	neg	_	_
2	acute	acute	ADJ	JJ	_	3	amod	_	_
3	disease	disease	NOUN	NN	_	0	root	_	SpaceAfter=No
4	.	.	PUNCT	.	_	3	punct	_	_
"""


def _rules(body: str):
    return load_rules("rules:\n" + body)


def _rule(rid: str, assigns: str, stage: str, form: str) -> str:
    return f"  - id: {rid}\n    assigns: {assigns}\n    stage: {stage}\n    {form}\n"


def _parse(conllu: str) -> Sentence:
    (s,) = read_conllu(conllu)
    return s


def _mention(sent: Sentence, head: int, finding: str = "Pneumonia", nodes: tuple[int, ...] = ()) -> Mention:
    tok = sent.tokens[head]
    return Mention(finding, "C0000000", tok.text, tok.start, tok.end, sent.index, head, nodes or (head,))


NEGATED_SUBJECT = _rule("negated-subject", "negative", "negation", "path: DISEASE ← nsubjpass ← * → neg → not")
CANNOT_EXCLUDE_RULE = _rule("cannot-exclude", "uncertain", "pre-negation-uncertainty",
                            "path: DISEASE ← nsubjpass ← exclude → neg → not")


def test_a_pre_negation_uncertainty_hit_beats_negation_whatever_the_file_order():
    judge = Judge.from_rules(_rules(NEGATED_SUBJECT + CANNOT_EXCLUDE_RULE))
    sent = _parse(CANNOT_EXCLUDE)
    d = judge.decide(sent, _mention(sent, 0), trace=True)
    assert (d.label, d.rule_ids, d.basis) == (Label.UNCERTAIN, ("cannot-exclude",), Basis.PATTERN)
    # negation matched too, but the earlier stage decided
    assert [(st.stage, st.decided, [h.rule_id for h in st.hits]) for st in d.stages[:2]] == [
        (Stage.PRE_NEGATION_UNCERTAINTY, True, ["cannot-exclude"]),
        (Stage.NEGATION, False, ["negated-subject"]),
    ]


def test_a_trace_covers_every_stage_without_changing_the_decision():
    judge = Judge.from_rules(_rules(NEGATED_SUBJECT + CANNOT_EXCLUDE_RULE))
    sent = _parse(CANNOT_EXCLUDE)
    quick, full = judge.decide(sent, _mention(sent, 0)), judge.decide(sent, _mention(sent, 0), trace=True)
    assert (full.label, full.hits, full.basis) == (quick.label, quick.hits, quick.basis)
    assert (quick.stages, quick.scope) == ((), ())  # the labeler's hot path records nothing
    assert [st.stage for st in full.stages] == list(STAGE_ORDER)
    assert [st.decided for st in full.stages] == [True, False, False]
    assert [h.rule_id for h in full.stages[1].hits] == ["negated-subject"]
    assert full.stages[2].hits == ()


def test_a_positive_exception_wins_within_its_stage():
    rules = _rules(
        _rule("no-noun-in", "negative", "negation", "path: no ← neg ← change → prep_in → DISEASE")
        + _rule("no-change-in", "positive", "negation", "path: change → prep_in → DISEASE")
    )
    sent = _parse(NO_CHANGE)
    d = Judge.from_rules(rules).decide(sent, _mention(sent, 4, "Effusion"), trace=True)
    assert d.label is Label.POSITIVE and d.rule_ids == ("no-change-in",)
    # the negation hit was found in the same stage, but the exception decided
    (neg,) = [st for st in d.stages if st.stage is Stage.NEGATION]
    assert neg.decided and {h.rule_id for h in neg.hits} == {"no-noun-in", "no-change-in"}


def test_the_first_hits_label_holds_and_only_agreeing_hits_decide():
    rules = _rules(
        _rule("hedge-noun", "uncertain", "negation", "path: change → prep_in → DISEASE")
        + _rule("no-noun-in", "negative", "negation", "path: no ← neg ← change → prep_in → DISEASE")
    )
    sent = _parse(NO_CHANGE)
    d = Judge.from_rules(rules).decide(sent, _mention(sent, 4, "Effusion"))
    assert d.label is Label.UNCERTAIN and d.rule_ids == ("hedge-noun",)


def test_a_list_member_is_judged_at_the_member_it_hangs_from():
    judge = Judge.from_rules(_rules(_rule("no-disease", "negative", "negation", "path: DISEASE → neg → no")))
    sent = _parse(LIST)
    d = judge.decide(sent, _mention(sent, 5, "Pneumothorax"), trace=True)
    assert d.label is Label.NEGATIVE and d.rule_ids == ("no-disease",)
    own, listed = [st for st in d.stages if st.stage is Stage.NEGATION]
    # the first pass reads the mention alone (its own head, no list edge): nothing there
    assert own.own and [(t.anchor, [h.rule_id for h in t.hits]) for t in own.tries] == [(5, [])]
    # then pneumothorax → effusion (conj_or) → consolidation (appos), where "no" hangs
    assert not listed.own and listed.decided
    assert [(t.anchor, [h.rule_id for h in t.hits]) for t in listed.tries] == [(5, []), (3, []), (1, ["no-disease"])]
    assert d.hits[0].bindings[judge.rule("no-disease").pattern.anchor] == 1


HEDGE_SCOPE = _rule("hedge-before", "uncertain", "post-negation-uncertainty", "scope: {cues: [may], window: 5}")


def test_scope_rules_decide_only_when_no_pattern_rule_fires():
    path = _rule("subject-hedge", "uncertain", "post-negation-uncertainty", "path: DISEASE ← nsubj ← represent → md → may")
    judge = Judge.from_rules(_rules(path + HEDGE_SCOPE))
    sent = _parse(HEDGE)
    d = judge.decide(sent, _mention(sent, 3), trace=True)  # "pneumonia" is the object: the path cannot see "may"
    assert (d.label, d.basis, d.rule_ids) == (Label.UNCERTAIN, Basis.SCOPE, ("hedge-before",))
    assert dict(d.hits[0].bindings) == {"cue": 1, "DISEASE": 3}
    # both passes (the mention alone, then its list) traced, every stage empty
    assert all(not st.decided and st.hits == () for st in d.stages) and len(d.stages) == 2 * len(STAGE_ORDER)
    assert [(t.rule_id, t.cue) for t in d.scope] == [("hedge-before", 1)]

    judge = Judge.from_rules(_rules(_rule("object-hedge", "negative", "negation", "path: DISEASE ← dobj ← represent") + HEDGE_SCOPE))
    d = judge.decide(sent, _mention(sent, 3), trace=True)
    assert (d.label, d.basis, d.rule_ids, d.scope) == (Label.NEGATIVE, Basis.PATTERN, ("object-hedge",), ())


def test_scope_rules_run_in_stage_order_and_the_first_cue_decides():
    late = _rule("late", "uncertain", "post-negation-uncertainty", "scope: {cues: [may]}")
    early = _rule("early", "negative", "negation", "scope: {cues: [this]}")
    missing = _rule("missing", "uncertain", "pre-negation-uncertainty", "scope: {cues: [possibly]}")
    sent = _parse(HEDGE)
    d = Judge.from_rules(_rules(late + early + missing)).decide(sent, _mention(sent, 3), trace=True)
    assert d.label is Label.NEGATIVE and d.rule_ids == ("early",)
    assert [(t.rule_id, t.stage, t.cue) for t in d.scope] == [
        ("missing", Stage.PRE_NEGATION_UNCERTAINTY, None),
        ("early", Stage.NEGATION, 0),
    ]


def test_a_mention_nothing_fires_on_is_positive_by_default():
    sent = _parse(HEDGE)
    d = Judge.from_rules(_rules(CANNOT_EXCLUDE_RULE + _rule("no-cue", "negative", "negation", "scope: {cues: [without]}"))).decide(
        sent, _mention(sent, 3), trace=True)
    assert (d.label, d.hits, d.basis) == (Label.POSITIVE, (), Basis.DEFAULT)
    assert [(t.rule_id, t.cue) for t in d.scope] == [("no-cue", None)]


def test_a_normal_mention_is_asserted_as_written_and_never_judged():
    judge = Judge.from_rules(_rules(_rule("no-disease", "negative", "negation", "path: DISEASE → neg → no")
                                    + _rule("no-cue", "negative", "negation", "scope: {cues: [no]}")))
    sent = _parse(NO_ACUTE)
    normal = Mention(NORMAL, "CXR:normal", "No acute disease", 0, 16, 0, 2, (0, 1, 2))
    d = judge.decide(sent, normal, trace=True)
    assert (d.label, d.hits, d.basis, d.stages, d.scope) == (Label.POSITIVE, (), Basis.NORMAL, (), ())
    assert d.apply(normal) is normal
    # the same span as a finding is negated by the rule the NORMAL mention is spared
    finding = judge.decide(sent, _mention(sent, 2, "OTHER"))
    assert finding.label is Label.NEGATIVE and finding.rule_ids == ("no-disease",)


def test_apply_records_the_label_and_the_deciding_rule_ids():
    judge = Judge.from_rules(_rules(CANNOT_EXCLUDE_RULE))
    sent = _parse(CANNOT_EXCLUDE)
    m = _mention(sent, 0)
    out = judge.decide(sent, m).apply(m)
    assert (out.polarity, out.rules) == (Label.UNCERTAIN, ("cannot-exclude",))


def test_rule_finds_pattern_and_scope_rules_by_id():
    judge = Judge.from_rules(_rules(CANNOT_EXCLUDE_RULE + HEDGE_SCOPE))
    assert judge.rule("cannot-exclude").pattern is not None
    assert judge.rule("hedge-before").scope is not None
    assert "hedge-before" not in judge.matcher and len(judge.matcher) == 1
    with pytest.raises(KeyError):
        judge.rule("no-such-rule")


BUT = """\
# text = No effusion but a pneumothorax.
1	No	no	DET	DT	_	2	neg	_	_
2	effusion	effusion	NOUN	NN	_	0	root	_	_
3	but	but	CCONJ	CC	_	2	cc	_	_
4	a	a	DET	DT	_	5	det	_	_
5	pneumothorax	pneumothorax	NOUN	NN	_	2	conj	_	SpaceAfter=No
6	.	.	PUNCT	.	_	2	punct	_	_
"""

OWN_HEDGE = """\
# text = No effusion, possible pneumonia.
1	No	no	DET	DT	_	2	neg	_	_
2	effusion	effusion	NOUN	NN	_	0	root	_	SpaceAfter=No
3	,	,	PUNCT	,	_	2	punct	_	_
4	possible	possible	ADJ	JJ	_	5	amod	_	_
5	pneumonia	pneumonia	NOUN	NN	_	2	appos	_	SpaceAfter=No
6	.	.	PUNCT	.	_	2	punct	_	_
"""

EITHER_OR = """\
# text = No effusion or pneumonia.
1	No	no	DET	DT	_	2	neg	_	_
2	effusion	effusion	NOUN	NN	_	0	root	_	_
3	or	or	CCONJ	CC	_	4	cc	_	_
4	pneumonia	pneumonia	NOUN	NN	_	2	conj_or	_	SpaceAfter=No
5	.	.	PUNCT	.	_	2	punct	_	_
"""

NO_RULE = _rule("no-disease", "negative", "negation", "path: DISEASE → neg → no")


def test_a_list_never_reaches_across_a_contrast_word():
    sent = _parse(BUT)
    assert list_anchors(sent.graph, 4) == [4]  # "but" parts the two nouns
    d = Judge.from_rules(_rules(NO_RULE)).decide(sent, _mention(sent, 4, "Pneumothorax"))
    assert d.label is Label.POSITIVE and d.basis is Basis.DEFAULT


def test_a_members_own_cue_is_read_before_the_lists():
    rules = _rules(NO_RULE + _rule("possible", "uncertain", "post-negation-uncertainty", "path: DISEASE → amod → possible"))
    sent = _parse(OWN_HEDGE)
    d = Judge.from_rules(rules).decide(sent, _mention(sent, 4, "Pneumonia"), trace=True)
    # the list's negation (an earlier stage) would win in one pass; the member's own hedge decides
    assert d.label is Label.UNCERTAIN and d.rule_ids == ("possible",)
    assert all(st.own for st in d.stages)
    assert Judge.from_rules(rules).decide(sent, _mention(sent, 1, "Effusion")).label is Label.NEGATIVE


def test_a_rule_about_the_list_yields_to_an_earlier_cue_window():
    either_or = _rule("either-or", "uncertain", "post-negation-uncertainty", "path: DISEASE ← conj_or ← *")
    no_cue = _rule("no-cue", "negative", "negation", "scope: {cues: [no], direction: before, window: 6}")
    sent = _parse(EITHER_OR)
    judge = Judge.from_rules(_rules(either_or + no_cue))
    d = judge.decide(sent, _mention(sent, 3, "Pneumonia"), trace=True)
    assert d.label is Label.NEGATIVE and d.basis is Basis.SCOPE and d.rule_ids == ("no-cue",)
    # without the earlier cue window the list rule holds
    assert Judge.from_rules(_rules(either_or)).decide(sent, _mention(sent, 3, "Pneumonia")).label is Label.UNCERTAIN


def test_a_statement_the_ontology_asserts_is_kept_as_written():
    sent = _parse(NO_ACUTE)
    asserted = _mention(sent, 2, "Cardiomegaly").with_polarity(Label.NEGATIVE, (ASSERTED_RULE_PREFIX + "x",))
    d = Judge.from_rules(_rules(NO_RULE)).decide(sent, asserted, trace=True)
    assert (d.label, d.hits, d.basis) == (Label.NEGATIVE, (), Basis.ASSERTED)
    assert d.apply(asserted) is asserted
    # a mention judged before (explain re-judges the labeler's mentions) is judged again
    judged = _mention(sent, 2, "Cardiomegaly").with_polarity(Label.NEGATIVE, ("no-disease",))
    assert Judge.from_rules(_rules(NO_RULE)).decide(sent, judged).basis is Basis.PATTERN
