"""How one mention gets its label: the judging stage, in one place.

The rule (:meth:`Judge.decide` applies it, a :class:`Decision` records it):

1. **Asserted as written.** A NORMAL mention ("no acute disease") carries its own negation, and
   a normal statement the ontology maps to the finding it denies ("heart size is normal" →
   Cardiomegaly, negative; it arrives with its polarity and rule id) is asserted too: neither
   is judged by the finding rules.
2. **Pattern rules, by stage, the mention's own first.** Path and structured rules (the
   :class:`~cxrlabel.rules.matcher.Matcher`) run stage by stage in
   :data:`~cxrlabel.types.STAGE_ORDER` (pre-negation uncertainty → negation → post-negation
   uncertainty), in two passes. The first pass reads the mention alone: hits at its own head
   whose match uses no list edge (a member's own cue: "no effusion, *possible* pneumonia").
   Only when it finds nothing does the second pass try all the mention's list anchors
   (:func:`list_anchors`: its head, the list members it hangs from, its siblings — never across
   a contrast word), the first anchor with a hit standing for the stage. In a pass the first
   stage with a hit decides: a hit that assigns ``positive`` is an exception ("no change in the
   effusion") and wins; otherwise the first hit's label holds, and the hits agreeing with it
   are the deciding ones.
3. **A rule about the list yields to an earlier cue window.** When every deciding hit matches
   through a list edge (an either-or rule on "A or B"), the scope rules of the earlier stages
   are asked first: in a broken parse of "no A, B or C" the negation is visible only to them,
   and "no A or B" stays negative with every pack.
4. **Scope fallback.** When no pattern rule fired in any stage, the scope rules (cue windows,
   :mod:`cxrlabel.rules.scope`) get a say, in stage order and file order within a stage: the
   first whose cue is in scope of the mention decides.
5. **Default.** Otherwise the mention is positive: a plain mention asserts its finding.

The labeler uses the label and deciding hits; ``cxrlabel explain`` renders the trace (every
anchor tried, every hit, every scope rule tried), so what it shows is what decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Iterable

from ..ontology import ASSERTED_RULE_PREFIX, NORMAL
from ..types import STAGE_ORDER, Label, Mention, Sentence, Stage
from .matcher import Hit, Matcher
from .model import Rule
from .scope import CONTRAST_WORDS

__all__ = [
    "LIST_RELATIONS",
    "SIBLING_RELATIONS",
    "AnchorTry",
    "Basis",
    "Decision",
    "Judge",
    "ScopeTry",
    "StageTrace",
    "list_anchors",
    "through_list",
]

#: Relations that make a finding a member of a list ("no A, B or C"): a member shares the
#: judgement of the members it hangs from. "but"/"yet" contrast and are left out.
LIST_RELATIONS = frozenset({"conj", "conj_and", "conj_or", "conj_nor", "appos"})

#: Relations under which nouns sharing one head form a list too: small parsers often attach
#: every member of "No A, B, or C is identified" to the verb instead of to each other.
SIBLING_RELATIONS = frozenset({"nsubj", "nsubjpass", "dobj", "attr", "pobj"})


def _is_sibling_rel(rel: str) -> bool:
    return rel in SIBLING_RELATIONS or rel.startswith("prep_")


def _contrast_between(graph: Any, a: int, b: int) -> bool:
    """Whether a contrast word (:data:`~cxrlabel.rules.scope.CONTRAST_WORDS`) stands between
    tokens ``a`` and ``b``: "no effusion *but* a small pneumothorax" is no list."""
    lo, hi = (a, b) if a < b else (b, a)
    return any(str(graph.nodes[k].get("lemma", "")).lower() in CONTRAST_WORDS for k in range(lo + 1, hi) if k in graph)


def through_list(graph: Any, hit: Hit) -> bool:
    """Whether ``hit``'s match uses a list edge: a rule about the list ("A or B"), not the member."""
    nodes = set(hit.bindings.values())
    return any(graph.has_edge(u, v) and graph.edges[u, v]["rel"] in LIST_RELATIONS for u in nodes for v in nodes if u != v)


def list_anchors(graph: Any, head: int, *, depth: int = 4) -> list[int]:
    """``head``, then the list members it hangs from (nearest first), then the nouns that
    share its head under the same relation: the paper's conjunct propagation applied at
    judgement time, so that it also covers comma lists parsed as appositions or siblings.
    A list never reaches across a contrast word."""
    out = [head]
    node = head
    for _ in range(depth):
        ups = [
            h for h in graph.predecessors(node)
            if graph.edges[h, node]["rel"] in LIST_RELATIONS and not _contrast_between(graph, h, node)
        ]
        if not ups or ups[0] in out:
            break
        node = ups[0]
        out.append(node)
    for member in list(out):
        for h in graph.predecessors(member):
            rel = graph.edges[h, member]["rel"]
            if not _is_sibling_rel(rel):
                continue
            for sib in graph.successors(h):
                if (
                    sib not in out
                    and graph.edges[h, sib]["rel"] == rel
                    and graph.nodes[sib]["tag"].startswith("NN")
                    and not _contrast_between(graph, member, sib)
                ):
                    out.append(sib)
    return out


class Basis(str, Enum):
    """What decided a mention's label (steps 1–4 of the module docstring)."""

    NORMAL = "normal"  # a NORMAL statement, asserted as written
    ASSERTED = "asserted"  # a normal statement that denies a finding, asserted by the ontology
    PATTERN = "pattern"  # a path or structured rule, in the first stage with a hit
    SCOPE = "scope"  # a scope rule's cue, when no pattern rule fired
    DEFAULT = "default"  # nothing fired: a plain mention is positive

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class AnchorTry:
    """One list anchor tried in one stage, and the hits the matcher found there."""

    anchor: int
    hits: tuple[Hit, ...]


@dataclass(frozen=True)
class StageTrace:
    """One stage: the anchors tried (in order, up to the first with hits) and whether this
    stage decided the mention."""

    stage: Stage
    tries: tuple[AnchorTry, ...]
    decided: bool = False
    #: ``True`` in the first pass (the mention's own head, hits without a list edge), ``False``
    #: in the second (every list anchor).
    own: bool = False

    @property
    def hits(self) -> tuple[Hit, ...]:
        """The hits that stand for this stage (those of the first anchor with any)."""
        return self.tries[-1].hits if self.tries else ()


@dataclass(frozen=True)
class ScopeTry:
    """One scope rule tried in the fallback, and the cue token it found (``None``: none)."""

    rule_id: str
    stage: Stage
    cue: int | None


@dataclass(frozen=True)
class Decision:
    """A mention's label, the hits that decided it, and how it was reached.

    With ``trace`` (:meth:`Judge.decide`), ``stages`` traces every pattern stage and ``scope``
    the scope rules tried in the fallback (empty unless no pattern rule fired); both stay
    empty without it and for a NORMAL mention. A scope decision's one hit binds
    ``cue`` (the cue token) and ``DISEASE`` (the mention head).
    """

    label: Label
    hits: tuple[Hit, ...]
    basis: Basis
    stages: tuple[StageTrace, ...] = ()
    scope: tuple[ScopeTry, ...] = ()

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The ids of the deciding rules (what :attr:`Mention.rules` records)."""
        return tuple(h.rule_id for h in self.hits)

    def apply(self, mention: Mention) -> Mention:
        """``mention`` with this decision's polarity and rules (asserted ones: unchanged)."""
        if self.basis in (Basis.NORMAL, Basis.ASSERTED):
            return mention
        return mention.with_polarity(self.label, self.rule_ids)


def _pattern_decision(hits: tuple[Hit, ...]) -> tuple[Label, tuple[Hit, ...]]:
    """A deciding stage's label: a positive exception wins, else the first hit's label."""
    exceptions = tuple(h for h in hits if h.assigns is Label.POSITIVE)
    if exceptions:
        return Label.POSITIVE, exceptions
    first = hits[0].assigns
    return first, tuple(h for h in hits if h.assigns is first)


class Judge:
    """Decides mentions' labels from pattern rules (a :class:`Matcher`) and scope rules.

    >>> from cxrlabel.rules import default_rules
    >>> judge = Judge.from_rules(default_rules())
    >>> # judge.decide(sentence, mention) -> Decision(label=..., hits=(...), basis=..., ...)
    """

    def __init__(self, matcher: Matcher, scope_rules: Iterable[Rule] = ()) -> None:
        self.matcher = matcher
        #: Scope rules (cue windows), the fallback when no pattern rule fires.
        self.scope_rules: tuple[Rule, ...] = tuple(scope_rules)
        self._scope_index = {r.id: r for r in self.scope_rules}

    @classmethod
    def from_rules(cls, rules: Iterable[Rule]) -> Judge:
        """A judge for ``rules``: pattern rules go to a new matcher, scope rules to the fallback."""
        rules = list(rules)
        return cls(Matcher(r for r in rules if r.scope is None), (r for r in rules if r.scope is not None))

    def rule(self, rule_id: str) -> Rule:
        """The pattern or scope rule with id ``rule_id`` (``KeyError`` if absent)."""
        if rule_id in self._scope_index:
            return self._scope_index[rule_id]
        return self.matcher.get(rule_id)

    def decide(self, sentence: Sentence, mention: Mention, *, trace: bool = False) -> Decision:
        """The decision for ``mention`` in ``sentence`` (the rule: see the module docstring).

        With ``trace``, the decision records every stage of the deciding pass (those after the
        deciding one are matched too, marked as not deciding) and every scope rule tried, for
        ``explain``; without it (the labeler's hot path) it stops at the deciding stage and
        records nothing. The label, hits and basis are the same either way.
        """
        if mention.finding == NORMAL:
            return Decision(mention.polarity, (), Basis.NORMAL)
        if mention.rules and mention.rules[0].startswith(ASSERTED_RULE_PREFIX):
            return Decision(mention.polarity, (), Basis.ASSERTED)
        graph = sentence.graph
        anchors = list_anchors(graph, mention.head)
        traces: list[StageTrace] = []
        for own in (True, False):
            decided = self._pass(sentence, mention, anchors[:1] if own else anchors, own, trace, traces)
            if decided is not None:
                return Decision(decided.label, decided.hits, decided.basis, tuple(traces), decided.scope)
        scope_tries, hit = self._scope_fallback(sentence, mention, trace)
        if hit is not None:
            return Decision(hit.assigns, (hit,), Basis.SCOPE, tuple(traces), scope_tries)
        return Decision(Label.POSITIVE, (), Basis.DEFAULT, tuple(traces), scope_tries)

    def _pass(
        self, sentence: Sentence, mention: Mention, anchors: list[int], own: bool, trace: bool, traces: list[StageTrace]
    ) -> Decision | None:
        """One pass over the stages (rule steps 2–3); appends its stage traces to ``traces``."""
        graph = sentence.graph
        decided: Decision | None = None
        for k, stage in enumerate(STAGE_ORDER):
            tries, hits = self._match_stage(graph, anchors, stage, trace, own)
            deciding = decided is None and bool(hits)
            if deciding:
                decided = self._stage_decision(sentence, mention, hits, STAGE_ORDER[:k], trace)
            if trace:
                traces.append(StageTrace(stage, tries, deciding and decided.basis is Basis.PATTERN, own))
            elif decided is not None:
                break
        return decided

    def _stage_decision(
        self, sentence: Sentence, mention: Mention, hits: tuple[Hit, ...], earlier: tuple[Stage, ...], trace: bool
    ) -> Decision:
        """A deciding stage's hits → the decision (an earlier cue window first when every hit
        is a rule about the list)."""
        if earlier and all(through_list(sentence.graph, h) for h in hits):
            tries, hit = self._scope_fallback(sentence, mention, trace, earlier)
            if hit is not None:
                return Decision(hit.assigns, (hit,), Basis.SCOPE, (), tries)
        label, deciding = _pattern_decision(hits)
        return Decision(label, deciding, Basis.PATTERN)

    def _match_stage(
        self, graph: Any, anchors: list[int], stage: Stage, trace: bool, own: bool = False
    ) -> tuple[tuple[AnchorTry, ...], tuple[Hit, ...]]:
        """The hits of the first anchor with any in ``stage`` (and, with ``trace``, every
        anchor tried up to it); with ``own``, only hits whose match uses no list edge."""
        tries = []
        hits: tuple[Hit, ...] = ()
        for anchor in anchors:
            hits = tuple(self.matcher.match(graph, anchor, stage=stage))
            if own:
                hits = tuple(h for h in hits if not through_list(graph, h))
            if trace:
                tries.append(AnchorTry(anchor, hits))
            if hits:
                break
        return tuple(tries), hits

    def _scope_fallback(
        self, sentence: Sentence, mention: Mention, trace: bool, stages: tuple[Stage, ...] = STAGE_ORDER
    ) -> tuple[tuple[ScopeTry, ...], Hit | None]:
        """The first scope rule of ``stages``, in stage order, with a cue in scope of the
        mention (and, with ``trace``, every scope rule tried up to it)."""
        nodes = mention.nodes or (mention.head,)
        tries = []
        for stage in stages:
            for rule in self.scope_rules:
                if rule.stage is not stage:
                    continue
                assert rule.scope is not None
                cue = rule.scope.find_cue(sentence.tokens, nodes)
                if trace:
                    tries.append(ScopeTry(rule.id, stage, cue))
                if cue is not None:
                    hit = Hit(rule.id, rule.assigns, rule.stage, {"cue": cue, "DISEASE": mention.head})
                    return tuple(tries), hit
        return tuple(tries), None
