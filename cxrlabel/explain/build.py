"""Building an :class:`~cxrlabel.explain.model.Explanation` from a labeled report.

Nothing here matches a rule: each mention's :class:`~cxrlabel.rules.judge.Decision` comes from
the labeler's judge (recomputed with ``trace=True``, so that the stages after the deciding
one are traced too), and this module only turns its trace into rows to show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..types import Label, Sentence
from .model import BoundNode, Explanation, Firing, MentionExplanation, ScopeCheck, SentenceExplanation, TokenRow

if TYPE_CHECKING:  # pragma: no cover
    from ..labeler import Labeler
    from ..result import ReportLabels
    from ..rules.judge import Decision, Judge
    from ..rules.matcher import Hit
    from ..rules.scope import Scope
    from ..types import Mention

__all__ = ["explain", "explain_result"]


def _short(constraint: str, limit: int = 60) -> str:
    """A node constraint cut to ``limit`` characters (lemma sets of 20+ words are common)."""
    return constraint if len(constraint) <= limit else constraint[: limit - 1].rsplit(",", 1)[0] + ", …}"


def _firing(judge: Judge, sent: Sentence, hit: Hit, decided: bool) -> Firing:
    """A pattern rule's hit as shown: the token each node bound and the edges it used."""
    graph = sent.graph
    rule = judge.rule(hit.rule_id)
    pat = rule.pattern
    assert pat is not None, f"{hit.rule_id} is a scope rule, not a pattern rule"
    nodes = tuple(
        BoundNode(name, _short(pat.nodes[name].describe()), tok, graph.nodes[tok]["text"])
        for name, tok in sorted(hit.bindings.items(), key=lambda kv: kv[1])
    )
    edges = tuple(
        (hit.bindings[e.head], graph.edges[hit.bindings[e.head], hit.bindings[e.dep]]["rel"], hit.bindings[e.dep])
        for e in pat.edges
    )
    return Firing(
        rule_id=hit.rule_id,
        stage=hit.stage.value,
        assigns=hit.assigns.value,
        decided=decided,
        pattern=rule.source or pat.canonical(),
        location=str(rule.location) if rule.location else None,
        anchor=hit.bindings[pat.anchor],
        nodes=nodes,
        edges=edges,
    )


def _firings(judge: Judge, sent: Sentence, decision: Decision) -> tuple[Firing, ...]:
    """Every pattern hit the decision's trace holds, stage by stage, deciding ones marked."""
    return tuple(
        _firing(judge, sent, h, st.decided and h in decision.hits)
        for st in decision.stages
        for h in st.hits
    )


def _scope_text(scope: Scope) -> str:
    """A scope window in words: ``cues {may, possibly} before, window 12, stop {;}``."""
    text = _short("cues {" + ", ".join(sorted(scope.cues)) + "}") + f" {scope.direction}, window {scope.window}"
    return text + (", stop {" + ", ".join(sorted(scope.stops)) + "}" if scope.stops else "")


def _scope_checks(judge: Judge, sent: Sentence, decision: Decision) -> tuple[ScopeCheck, ...]:
    """Every scope rule the fallback tried, the deciding one (a cue found) marked."""
    out = []
    for t in decision.scope:
        rule = judge.rule(t.rule_id)
        assert rule.scope is not None, f"{t.rule_id} is a pattern rule, not a scope rule"
        out.append(ScopeCheck(
            rule_id=t.rule_id, stage=t.stage.value, assigns=rule.assigns.value, decided=t.cue is not None,
            scope=_scope_text(rule.scope), location=str(rule.location) if rule.location else None,
            cue=t.cue, cue_text=None if t.cue is None else sent.tokens[t.cue].text,
        ))
    return tuple(out)


def _mention(judge: Judge, sent: Sentence, m: Mention) -> MentionExplanation:
    """One mention as the judge decided it: the polarity and trace are the decision's."""
    decision = judge.decide(sent, m, trace=True)
    return MentionExplanation(
        finding=m.finding, cui=m.cui, text=m.text, start=m.start, end=m.end, head=m.head,
        nodes=tuple(m.nodes), polarity=Label(decision.label).value, rules=tuple(m.rules),
        firings=_firings(judge, sent, decision), basis=decision.basis.value,
        scope=_scope_checks(judge, sent, decision),
    )


def _tokens(sent: Sentence) -> tuple[TokenRow, ...]:
    g = sent.graph
    return tuple(
        TokenRow(t.i, t.text, t.lemma, t.tag, tuple(sorted((h, g.edges[h, t.i]["rel"]) for h in g.predecessors(t.i))))
        for t in sent.tokens
    )


def explain_result(result: ReportLabels, labeler: Labeler) -> Explanation:
    """The explanation of a result ``labeler`` produced (each mention's decision is asked of
    the labeler's judge again, for its trace)."""
    judge = labeler.mention_judge
    by_index = {s.index: s for s in result.sentences}
    per_sentence: dict[int, list[MentionExplanation]] = {}
    for m in result.mentions:
        sent = by_index.get(m.sentence) or result.sentences[m.sentence]
        per_sentence.setdefault(sent.index, []).append(_mention(judge, sent, m))
    sentences = tuple(
        SentenceExplanation(s.index, s.section, s.text, s.start, s.end, _tokens(s), tuple(per_sentence.get(s.index, ())))
        for s in result.sentences
    )
    return Explanation(
        text=result.text,
        sentences=sentences,
        labels={f: (None if result[f] is None else result[f].value) for f in result},
        rules={f: result.rule_ids(f) for f in result if result[f] is not None},
        normal=result.normal,
        policy=result.policy,
        failures=tuple(result.failures),
    )


def explain(text: str | bytes, labeler: Labeler | None = None) -> Explanation:
    """Label ``text`` (with ``labeler``, default: the cached default labeler) and explain it."""
    from ..labeler import default_labeler

    labeler = labeler or default_labeler()
    return explain_result(labeler.label(text), labeler)
