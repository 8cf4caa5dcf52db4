"""Precision, recall and F1 for report labels: per finding, micro, macro, and three-way.

Pure functions on arrays and DataFrames in the CheXpert code convention: 1 positive,
0 negative, -1 uncertain, NaN not mentioned. Binary scoring asks "is the finding positive?"
after :func:`binarize` has decided what uncertain means (``uncertain_as``). A ratio with a zero
denominator is 0.0 (scikit-learn's ``zero_division=0``), so an empty class scores 0, not NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..types import LABEL_CODES

__all__ = [
    "THREE_WAY_CLASSES",
    "UNCERTAIN_AS",
    "Averaged",
    "Scores",
    "binarize",
    "binary_scores",
    "macro_average",
    "micro_average",
    "score_findings",
    "three_way_scores",
    "mention_scores",
]

#: What an uncertain label counts as in binary scoring.
UNCERTAIN_AS: tuple[str, ...] = ("negative", "positive")

#: The classes of three-way scoring, as the CheXpert papers report them.
THREE_WAY_CLASSES: dict[str, float] = {label.value: code for label, code in LABEL_CODES.items()}


def _ratio(num: float, den: float) -> float:
    return float(num) / den if den else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Scores:
    """Counts of one binary decision and the ratios they give. ``support`` = gold positives."""

    tp: int
    fp: int
    fn: int
    tn: int = 0

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)

    @property
    def support(self) -> int:
        return self.tp + self.fn

    def __add__(self, other: Scores) -> Scores:
        return Scores(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn)

    def to_dict(self) -> dict[str, float | int]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "support": self.support,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass(frozen=True)
class Averaged:
    """Macro average: the unweighted mean of per-finding precision, recall and F1."""

    precision: float
    recall: float
    f1: float
    support: int

    def to_dict(self) -> dict[str, float | int]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1, "support": self.support}


def binarize(codes: Iterable[float] | np.ndarray | pd.Series, uncertain_as: str = "negative") -> np.ndarray:
    """Boolean "positive?" per item from CheXpert codes; uncertain (-1) counts as ``uncertain_as``."""
    if uncertain_as not in UNCERTAIN_AS:
        raise ValueError(f"uncertain_as must be one of {UNCERTAIN_AS}, not {uncertain_as!r}")
    arr = np.asarray(codes, dtype="float64")
    pos = arr == 1
    if uncertain_as == "positive":
        pos |= arr == -1
    return pos


def binary_scores(pred: Sequence[bool] | np.ndarray, gold: Sequence[bool] | np.ndarray) -> Scores:
    """TP/FP/FN/TN of boolean predictions against boolean gold (same length)."""
    p = np.asarray(pred, dtype=bool)
    g = np.asarray(gold, dtype=bool)
    if p.shape != g.shape:
        raise ValueError(f"prediction and gold lengths differ: {p.shape} vs {g.shape}")
    return Scores(
        tp=int((p & g).sum()),
        fp=int((p & ~g).sum()),
        fn=int((~p & g).sum()),
        tn=int((~p & ~g).sum()),
    )


def score_findings(
    pred: pd.DataFrame,
    gold: pd.DataFrame,
    findings: Iterable[str],
    *,
    uncertain_as: str = "negative",
) -> dict[str, Scores]:
    """Binary scores per finding for two code tables aligned on the same index.

    ``uncertain_as`` applies to both sides: the labeler's uncertain predictions and any
    uncertain gold labels count as that.
    """
    if not pred.index.equals(gold.index):
        raise ValueError("prediction and gold tables must have the same index (report ids)")
    return {
        f: binary_scores(binarize(pred[f], uncertain_as), binarize(gold[f], uncertain_as)) for f in findings
    }


def micro_average(scores: Mapping[str, Scores], findings: Iterable[str] | None = None) -> Scores:
    """Pooled counts over ``findings`` (default: all of ``scores``)."""
    total = Scores(0, 0, 0, 0)
    for f in findings if findings is not None else scores:
        total = total + scores[f]
    return total


def macro_average(scores: Mapping[str, Scores], findings: Iterable[str] | None = None) -> Averaged:
    """Unweighted mean of per-finding precision, recall and F1 over ``findings``."""
    chosen = [scores[f] for f in (findings if findings is not None else scores)]
    if not chosen:
        return Averaged(0.0, 0.0, 0.0, 0)
    return Averaged(
        precision=float(np.mean([s.precision for s in chosen])),
        recall=float(np.mean([s.recall for s in chosen])),
        f1=float(np.mean([s.f1 for s in chosen])),
        support=sum(s.support for s in chosen),
    )


def three_way_scores(
    pred: Iterable[float] | np.ndarray | pd.Series, gold: Iterable[float] | np.ndarray | pd.Series
) -> dict[str, Scores]:
    """One-vs-rest scores for the positive, negative and uncertain classes of one finding.

    Not-mentioned (NaN) belongs to no class, so a class's false negatives include gold labels of
    that class the labeler left blank.
    """
    p = np.asarray(pred, dtype="float64")
    g = np.asarray(gold, dtype="float64")
    return {name: binary_scores(p == code, g == code) for name, code in THREE_WAY_CLASSES.items()}


def mention_scores(
    pred: Iterable[float] | np.ndarray | pd.Series, gold: Iterable[float] | np.ndarray | pd.Series
) -> Scores:
    """The CheXpert paper's *mention* decision: any of 1/0/-1 against not mentioned (NaN)."""
    p = np.asarray(pred, dtype="float64")
    g = np.asarray(gold, dtype="float64")
    return binary_scores(~np.isnan(p), ~np.isnan(g))
