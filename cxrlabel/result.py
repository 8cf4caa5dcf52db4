"""`ReportLabels`: the labels of one report and the evidence behind them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from .types import FINDINGS, LABEL_CODES, Label, Mention, Sentence

__all__ = ["CHEXPERT_CODES", "ReportLabels"]

#: The CheXpert labeler's output convention (:data:`cxrlabel.types.LABEL_CODES`), with
#: ``None`` for a finding that is not mentioned.
CHEXPERT_CODES: dict[Label | None, float | None] = {**LABEL_CODES, None: None}


@dataclass(frozen=True, eq=False)
class ReportLabels(Mapping[str, "Label | None"]):
    """Labels of one report, keyed by its scheme's findings (``findings``; by default the 14
    ChestX-ray14 names).

    ``r["Effusion"]`` is a :class:`~cxrlabel.types.Label` (a str enum: ``"positive"``,
    ``"negative"``, ``"uncertain"``) or ``None`` when the finding is not mentioned; the
    scheme's Normal column (``r["No Finding"]``) reads ``positive`` for a normal report, else
    None. An unknown key raises ``KeyError`` listing the valid ones. ``mentions`` holds every
    mention with its span, sentence, CUI, polarity and the ids of the rules that decided it.
    """

    labels: Mapping[str, Label | None]
    normal: bool
    mentions: tuple[Mention, ...] = ()
    sentences: tuple[Sentence, ...] = field(default=(), repr=False)
    text: str = field(default="", repr=False)
    failures: tuple[tuple[int, int, str], ...] = ()
    policy: str = "positive-first@1"
    #: The scheme (``name@version``), its findings in column order and its Normal column.
    scheme: str = "chestxray14@1.0"
    findings: tuple[str, ...] = FINDINGS
    normal_column: str = "No Finding"
    normal_first: bool = False

    def __getitem__(self, key: str) -> Label | None:
        if key in self.labels:
            return self.labels[key]
        if key == self.normal_column:
            return Label.POSITIVE if self.normal else None
        raise KeyError(f"{key!r} is not a finding of the {self.scheme.partition('@')[0]} scheme; "
                       f"valid keys: {', '.join(self.findings)} (and {self.normal_column!r})")

    def __iter__(self) -> Iterator[str]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    @property
    def columns(self) -> tuple[str, ...]:
        """The label columns of this report's scheme, in output order (findings and Normal)."""
        n = self.normal_column
        return (n, *self.findings) if self.normal_first else (*self.findings, n)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v.value}" for k, v in self.labels.items() if v is not None)
        return f"ReportLabels({shown or 'nothing mentioned'}, normal={self.normal})"

    def positives(self) -> list[str]:
        return [f for f in self.findings if self.labels.get(f) is Label.POSITIVE]

    def to_dict(self, *, evidence: bool = False) -> dict[str, Any]:
        """Plain JSON-able form: finding → "positive"/"negative"/"uncertain"/None, plus normal."""
        out: dict[str, Any] = {f: (None if self.labels.get(f) is None else self.labels[f].value) for f in self.findings}
        out["normal"] = self.normal
        if evidence:
            out["mentions"] = [
                {
                    "finding": m.finding,
                    "cui": m.cui,
                    "text": m.text,
                    "start": m.start,
                    "end": m.end,
                    "sentence": m.sentence,
                    "polarity": m.polarity.value,
                    "rules": list(m.rules),
                }
                for m in self.mentions
            ]
            if self.failures:
                out["failures"] = [{"start": s, "end": e, "error": msg} for s, e, msg in self.failures]
        return out

    def to_chexpert(self) -> dict[str, float | None]:
        """The CheXpert convention: 1 / 0 / -1 / None per finding, and the Normal column
        (``No Finding``: 1 or None), in the scheme's column order."""
        return {c: (1.0 if self.normal else None) if c == self.normal_column else CHEXPERT_CODES[self.labels.get(c)]
                for c in self.columns}

    def to_series(self) -> Any:
        """A pandas row (``pd.Series``) in the CheXpert convention (NaN for not mentioned)."""
        import pandas as pd

        return pd.Series(self.to_chexpert(), dtype="float64")

    def rule_ids(self, finding: str) -> list[str]:
        """Rule ids that decided the mentions of ``finding`` (for ``--explain``)."""
        self[finding]  # KeyError for unknown names
        out: list[str] = []
        for m in self.mentions:
            if m.finding == finding:
                out.extend(r for r in m.rules if r not in out)
        return out
