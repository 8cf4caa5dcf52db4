"""`evaluate`: label a gold set's reports and score them against its labels.

The labeler is anything with ``label(text)`` returning report labels (``r[finding]`` → a
positive/negative/uncertain label or ``None``, ``r.normal``, ``r.mentions``, ``r.sentences``);
``label_many(texts)`` is used when it exists. Every false positive and false negative is kept
with the evidence (sentences, mentions, rule ids) for error analysis.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import CxrlabelError, GoldError
from ..schemes import Scheme, get_scheme
from ..types import code_of, label_of
from .goldset import GoldSet
from .loading import load_gold
from .metrics import (
    Averaged,
    Scores,
    binarize,
    binary_scores,
    macro_average,
    mention_scores,
    micro_average,
    score_findings,
    three_way_scores,
)

__all__ = ["ErrorCase", "EvalResult", "evaluate", "label_codes"]

@dataclass(frozen=True)
class ErrorCase:
    """One false positive (``kind="FP"``), false negative (``"FN"``) or, for a gold with
    uncertain labels, a wrong polarity of a mentioned finding (``"WRONG"``), with its evidence."""

    id: str
    finding: str
    kind: str
    predicted: str | None
    gold: float
    mentions: tuple[str, ...] = ()
    polarities: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    sentences: tuple[str, ...] = ()
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "finding": self.finding,
            "kind": self.kind,
            "predicted": self.predicted,
            "gold": None if math.isnan(self.gold) else int(self.gold),
            "mentions": list(self.mentions),
            "polarities": list(self.polarities),
            "rules": list(self.rules),
            "sentences": list(self.sentences),
            "text": self.text,
        }


@dataclass
class EvalResult:
    """Scores of one labeler on one gold split (see :mod:`cxrlabel.gold.report` for output)."""

    gold: str
    split: str
    uncertain_as: str
    n_reports: int
    findings: tuple[str, ...]
    averaged: tuple[str, ...]
    per_finding: dict[str, Scores]
    micro: Scores
    macro: Averaged
    normal: Scores | None = None
    three_way: dict[str, dict[str, Scores]] | None = None
    notes: dict[str, str] = field(default_factory=dict)
    errors: list[ErrorCase] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    predictions: pd.DataFrame | None = field(default=None, repr=False)
    #: The scheme's name for Normal; with three-way scores it is an observation of its own.
    normal_name: str = "Normal"
    scheme: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: ``per_finding``, ``micro``, ``macro``, ``normal``, ``n_reports`` and context."""
        out: dict[str, Any] = {
            "gold": self.gold,
            "split": self.split,
            "uncertain_as": self.uncertain_as,
            "n_reports": self.n_reports,
            "averaged_over": list(self.averaged),
            "per_finding": {f: self.per_finding[f].to_dict() for f in self.findings},
            "micro": self.micro.to_dict(),
            "macro": self.macro.to_dict(),
            "normal": self.normal.to_dict() if self.normal is not None else None,
            "notes": dict(self.notes),
            "n_failures": len(self.failures),
        }
        if self.three_way is not None:
            out["three_way"] = {
                f: {cls: s.to_dict() for cls, s in classes.items()} for f, classes in self.three_way.items()
            }
            out["three_way_macro"] = {cls: s.to_dict() for cls, s in self.three_way_macro().items()}
            out["three_way_micro"] = {cls: s.to_dict() for cls, s in self.three_way_micro().items()}
        if self.scheme:
            out["scheme"] = self.scheme
        return out

    def three_way_members(self) -> dict[str, tuple[str, ...]]:
        """Per three-way class, the observations its averages run over: the scored findings
        (and Normal, whose only classes are mention and positive) whose gold has at least one
        label of that class — as the CheXpert paper's Table 2 leaves a task out ("–") where the
        test set has no such label."""
        if self.three_way is None:
            return {}
        names = [*self.averaged, *([self.normal_name] if self.normal_name in self.three_way else [])]
        classes = next(iter(self.three_way.values()), {})
        return {cls: tuple(f for f in names if cls in self.three_way[f] and self.three_way[f][cls].support > 0)
                for cls in classes}

    def three_way_macro(self) -> dict[str, Averaged]:
        """Macro average of each three-way class (the CheXpert paper's mention / negation /
        uncertain F1) over :meth:`three_way_members`; empty when the gold has no uncertain labels."""
        return {cls: macro_average({f: self.three_way[f][cls] for f in members}, members)  # type: ignore[index]
                for cls, members in self.three_way_members().items() if members}

    def three_way_micro(self) -> dict[str, Scores]:
        """Micro average (pooled counts) of each three-way class over :meth:`three_way_members`."""
        return {cls: micro_average({f: self.three_way[f][cls] for f in members}, members)  # type: ignore[index]
                for cls, members in self.three_way_members().items() if members}


def label_codes(report: Any, findings: Iterable[str]) -> dict[str, float]:
    """CheXpert codes (1/0/-1/NaN) of one report's labels for ``findings``."""
    out = {}
    for f in findings:
        value = report[f]
        out[f] = code_of(getattr(value, "value", value))
    return out


def _label_all(labeler: Any, texts: Sequence[str], ids: Sequence[str], progress: bool, batch_size: int) -> tuple[list[Any], list[tuple[str, str]]]:
    from tqdm import tqdm

    results: list[Any] = [None] * len(texts)
    failures: list[tuple[str, str]] = []
    bar = tqdm(total=len(texts), desc="labeling", unit="report", file=sys.stderr, disable=not progress)

    def one_by_one(lo: int, hi: int) -> None:
        for i in range(lo, hi):
            try:
                results[i] = labeler.label(texts[i])
            except CxrlabelError as err:
                failures.append((ids[i], str(err)))

    many = getattr(labeler, "label_many", None)
    for lo in range(0, len(texts), batch_size):
        hi = min(lo + batch_size, len(texts))
        if callable(many):
            try:
                batch = list(many(list(texts[lo:hi])))
            except CxrlabelError:
                one_by_one(lo, hi)
            else:
                if len(batch) != hi - lo:
                    raise GoldError(
                        f"label_many returned {len(batch)} results for {hi - lo} texts", code="G530"
                    )
                results[lo:hi] = batch
        else:
            one_by_one(lo, hi)
        bar.update(hi - lo)
    bar.close()
    return results, failures


def _evidence(report: Any, finding: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    if report is None:
        return (), (), (), ()
    sentences = list(getattr(report, "sentences", ()) or ())
    by_index = {getattr(s, "index", i): s for i, s in enumerate(sentences)}
    texts, pols, rules, sents = [], [], [], []
    for m in getattr(report, "mentions", ()) or ():
        if m.finding != finding:
            continue
        texts.append(m.text)
        pols.append(str(getattr(m.polarity, "value", m.polarity)))
        rules.extend(r for r in m.rules if r not in rules)
        s = by_index.get(m.sentence)
        if s is not None and s.text not in sents:
            sents.append(s.text)
    return tuple(texts), tuple(pols), tuple(rules), tuple(sents)


def _collect_errors(
    gold: GoldSet, reports: Sequence[Any], pred: pd.DataFrame, uncertain_as: str
) -> list[ErrorCase]:
    errors: list[ErrorCase] = []
    columns = [f for f in gold.findings if f in pred.columns] + (["normal"] if gold.has_normal else [])
    for col in columns:
        if col == "normal":
            p = pred["normal"].to_numpy(dtype=bool)
            g = gold.labels["normal"].to_numpy() == 1
            wrong = p != g
        elif gold.three_way:  # every three-way disagreement: 0 vs -1 counts too
            pc, gc = pred[col].to_numpy(dtype="float64"), gold.labels[col].to_numpy(dtype="float64")
            p, g = ~np.isnan(pc), ~np.isnan(gc)
            wrong = ~((pc == gc) | (np.isnan(pc) & np.isnan(gc)))
        else:
            p = binarize(pred[col], uncertain_as)
            g = binarize(gold.labels[col], uncertain_as)
            wrong = p != g
        for i in np.flatnonzero(wrong):
            rid = gold.ids[i]
            report = reports[i]
            if col == "normal":
                predicted = "normal" if p[i] else "not normal"
                texts = pols = rules = sents = ()
            else:
                label = label_of(pred.at[rid, col])
                predicted = None if label is None else label.value
                texts, pols, rules, sents = _evidence(report, col)
            errors.append(
                ErrorCase(
                    id=rid,
                    finding=col,
                    kind="WRONG" if p[i] and g[i] else "FP" if p[i] else "FN",
                    predicted=predicted,
                    gold=float(gold.labels.at[rid, col]),
                    mentions=texts,
                    polarities=pols,
                    rules=rules,
                    sentences=sents,
                    text=gold.texts[i],
                )
            )
    return errors


def evaluate(
    gold: GoldSet | str,
    labeler: Any = None,
    *,
    split: str = "all",
    uncertain_as: str = "negative",
    progress: bool = False,
    batch_size: int = 64,
    scheme: str | os.PathLike[str] | Scheme | None = None,
    **gold_options: Any,
) -> EvalResult:
    """Label the reports of ``gold`` (a :class:`GoldSet`, a registered name or a CSV path) and score.

    ``split`` is ``all``, ``dev`` or ``test``; ``uncertain_as`` says whether uncertain labels count
    as negative (default: the paper drops uncertain mentions) or positive in binary scoring.
    ``labeler`` defaults to a new :class:`~cxrlabel.labeler.Labeler` of ``scheme``; the scheme
    (the labeler's, else ``scheme``, default ``chestxray14``) says how a CSV gold's columns are
    read, and only the findings both the gold and the scheme have are scored. ``gold_options`` go to
    :func:`load_gold`.
    """
    if uncertain_as not in ("negative", "positive"):
        raise ValueError(f"uncertain_as must be 'negative' or 'positive', not {uncertain_as!r}")
    sch = getattr(labeler, "scheme", None) or get_scheme(scheme)
    gs = load_gold(gold, **{"scheme": sch, **gold_options}).split(split)
    if labeler is None:
        from ..labeler import Labeler  # loads the parser and rules only when none is given

        labeler = Labeler(scheme=scheme)
    reports, failures = _label_all(labeler, gs.texts, gs.ids, progress, batch_size)
    findings = _scored_findings(gs, sch)
    rows = [
        label_codes(r, findings) if r is not None else dict.fromkeys(findings, math.nan) for r in reports
    ]
    pred = pd.DataFrame(rows, index=list(gs.ids), columns=list(findings), dtype="float64")
    pred["normal"] = [bool(getattr(r, "normal", False)) if r is not None else False for r in reports]
    gold_table = gs.labels
    per = score_findings(pred, gold_table, findings, uncertain_as=uncertain_as)
    averaged = tuple(f for f in findings if f in gs.scored)
    normal = None
    if gs.has_normal:
        normal = binary_scores(pred["normal"].to_numpy(dtype=bool), gold_table["normal"].to_numpy() == 1)
    three = _three_way(pred, gs, findings, sch.normal.column) if gs.three_way else None
    notes = {k: v for k, v in gs.notes.items() if k not in findings or k not in averaged}
    return EvalResult(
        gold=gs.name,
        split=split,
        uncertain_as=uncertain_as,
        n_reports=len(gs),
        findings=findings,
        averaged=averaged,
        per_finding=per,
        micro=micro_average(per, averaged),
        macro=macro_average(per, averaged),
        normal=normal,
        three_way=three,
        notes=notes,
        errors=_collect_errors(gs, reports, pred, uncertain_as),
        failures=failures,
        predictions=pred,
        normal_name=sch.normal.column,
        scheme=sch.id,
    )


def _scored_findings(gs: GoldSet, scheme: Scheme) -> tuple[str, ...]:
    """The gold's findings that the scheme labels (G524 when there are none)."""
    findings = tuple(f for f in gs.findings if f in scheme.findings)
    if not findings:
        raise GoldError(f"gold {gs.name!r} annotates {', '.join(gs.findings) or 'nothing'}, none of which is a "
                        f"finding of the {scheme.name} scheme ({', '.join(scheme.findings)}); "
                        "evaluate with the scheme the gold is written in (--scheme)", code="G524")
    return findings


def _three_way(pred: pd.DataFrame, gs: GoldSet, findings: Sequence[str], normal_name: str) -> dict[str, dict[str, Scores]]:
    """Per finding, the CheXpert paper's tasks: mention (any of 1/0/-1 vs blank) and the
    one-vs-rest positive / negative / uncertain scores; Normal (1 or blank) as one more
    observation with mention and positive only."""
    gold = gs.labels
    three = {f: {"mention": mention_scores(pred[f], gold[f]), **three_way_scores(pred[f], gold[f])} for f in findings}
    if gs.has_normal:
        p = np.where(pred["normal"].to_numpy(dtype=bool), 1.0, np.nan)
        g = np.where(gold["normal"].to_numpy() == 1, 1.0, np.nan)
        three[normal_name] = {"mention": mention_scores(p, g), "positive": three_way_scores(p, g)["positive"]}
    return three
