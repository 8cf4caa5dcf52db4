"""`GoldSet`: annotated reports in one shape, whatever they were read from.

Every gold standard — OpenI, a user's CSV, a plugin's — becomes a :class:`GoldSet`: report ids,
the text to label, and a label table in the CheXpert convention (1 positive, 0 negative,
-1 uncertain, NaN not annotated/not mentioned). ``scored`` names the findings that enter the
micro and macro averages; ``notes`` says why any other column is left out of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping

import pandas as pd

from ..errors import GoldError

__all__ = ["SPLITS", "GoldSet"]

#: ``all`` every report; ``test`` the gold's test ids; ``dev`` the rest (develop rules there).
SPLITS: tuple[str, ...] = ("all", "dev", "test")


@dataclass(frozen=True, eq=False)
class GoldSet:
    """Reports with reference labels.

    ``labels`` is indexed by report id (same order as ``ids``) and has a column per annotated
    finding (a subset of its scheme's findings, in that order) plus an optional
    ``normal`` column (1/0).
    """

    name: str
    ids: tuple[str, ...]
    texts: tuple[str, ...]
    labels: pd.DataFrame
    scored: tuple[str, ...] = ()
    notes: Mapping[str, str] = field(default_factory=dict)
    testset: frozenset[str] | None = None
    split_name: str = "all"
    #: What the scheme calls Normal (the ``normal`` column), e.g. ``No Finding``.
    normal_name: str = "Normal"

    def __post_init__(self) -> None:
        if len(self.ids) != len(self.texts):
            raise GoldError(f"gold {self.name!r}: {len(self.ids)} ids but {len(self.texts)} texts", code="G521")
        if len(set(self.ids)) != len(self.ids):
            dup = pd.Series(self.ids)[pd.Series(self.ids).duplicated()].iloc[0]
            raise GoldError(f"gold {self.name!r}: report id {dup!r} appears more than once", code="G521")
        if list(self.labels.index) != list(self.ids):
            raise GoldError(f"gold {self.name!r}: the label table is not indexed by the report ids", code="G521")
        if not self.scored:
            object.__setattr__(self, "scored", self.findings)

    @property
    def findings(self) -> tuple[str, ...]:
        """Annotated findings, in the label table's order (its scheme's)."""
        return tuple(c for c in self.labels.columns if c != "normal")

    @property
    def has_normal(self) -> bool:
        return "normal" in self.labels.columns

    @property
    def three_way(self) -> bool:
        """True when the gold has uncertain (-1) labels, so three-way scoring makes sense."""
        cols = list(self.findings)
        return bool((self.labels[cols] == -1).any().any()) if cols else False

    def __len__(self) -> int:
        return len(self.ids)

    def split(self, which: str) -> GoldSet:
        """The reports of one split: ``all``, ``dev`` (not in the test ids) or ``test``."""
        if which not in SPLITS:
            raise GoldError(f"unknown split {which!r}; choose one of: {', '.join(SPLITS)}", code="G520")
        if which == "all":
            return self
        if self.testset is None:
            raise GoldError(
                f"gold {self.name!r} has no test split; use --split all (or give --testset FILE)",
                code="G520",
            )
        want_test = which == "test"
        keep = [i for i, rid in enumerate(self.ids) if (rid in self.testset) == want_test]
        ids = tuple(self.ids[i] for i in keep)
        return replace(
            self,
            ids=ids,
            texts=tuple(self.texts[i] for i in keep),
            labels=self.labels.loc[list(ids)],
            split_name=which,
        )

    def with_testset(self, ids: frozenset[str]) -> GoldSet:
        """The same gold with a test split; every test id must be one of the gold's reports."""
        missing = sorted(ids - set(self.ids))
        if missing:
            raise GoldError(
                f"gold {self.name!r}: {len(missing)} test ids are not among its reports "
                f"(first: {', '.join(missing[:5])})",
                code="G522",
            )
        return replace(self, testset=frozenset(ids))
