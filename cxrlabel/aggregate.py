"""From mention polarities to report labels: named, versioned aggregation policies, and Normal.

A report can mention a finding several times ("small effusion ... no effusion on the left").
A :class:`Policy` decides the report label from the polarities of its mentions. The default,
``positive-first`` (version 1), is the ChestX-ray8/NegBio convention: any positive mention
makes the finding positive; else any uncertain one makes it uncertain; else negative.

Normal follows the scheme (:class:`cxrlabel.schemes.NormalRule`); by default the paper: a report is normal when no finding of the 14 and no abnormality
of the OTHER set is positive or uncertain. A report that only negates findings ("No
pneumothorax.") is normal; an explicit normal statement never overrides an asserted finding.
(Trying "a whole-study normal statement covers incidental OTHER findings" on the OpenI dev
reports cut Normal precision from 0.85 to 0.57: such reports are abnormal to the annotators.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Collection, Iterable, Mapping, Sequence

from .registry import policies
from .types import FINDINGS, OTHER, Label, Mention

__all__ = ["Policy", "aggregate", "get_policy", "is_normal"]


@dataclass(frozen=True)
class Policy:
    """Ranks polarities: the highest-ranked polarity among a finding's mentions wins."""

    name: str
    version: int
    order: tuple[Label, ...]
    description: str = ""

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"

    def decide(self, polarities: Iterable[Label]) -> Label | None:
        seen = set(polarities)
        for pol in self.order:
            if pol in seen:
                return pol
        return None


POSITIVE_FIRST = Policy(
    "positive-first",
    1,
    (Label.POSITIVE, Label.UNCERTAIN, Label.NEGATIVE),
    "any positive mention wins, then uncertain, then negative (ChestX-ray8/NegBio)",
)
UNCERTAIN_FIRST = Policy(
    "uncertain-first",
    1,
    (Label.UNCERTAIN, Label.POSITIVE, Label.NEGATIVE),
    "any hedged mention makes the finding uncertain (conservative, CheXpert-like)",
)
NEGATIVE_FIRST = Policy(
    "negative-first",
    1,
    (Label.NEGATIVE, Label.UNCERTAIN, Label.POSITIVE),
    "any negated mention wins (for reports whose impression corrects the findings)",
)


def get_policy(policy: str | Policy = "default") -> Policy:
    """A policy by name in :data:`cxrlabel.registry.policies` (``default``, ``positive-first``,
    ... or a plugin's); an unknown name raises :class:`~cxrlabel.errors.PluginError` ``X701``."""
    if isinstance(policy, Policy):
        return policy
    return policies.get(policy)


def aggregate(mentions: Sequence[Mention], policy: Policy = POSITIVE_FIRST,
              findings: Sequence[str] = FINDINGS) -> dict[str, Label | None]:
    """The report label of each finding (None when never mentioned); ``findings`` are the
    scheme's (default: the 14 of ChestX-ray14)."""
    by_finding: dict[str, list[Label]] = {f: [] for f in findings}
    for m in mentions:
        if m.finding in by_finding:
            by_finding[m.finding].append(m.polarity)
    return {f: policy.decide(pols) for f, pols in by_finding.items()}


def is_normal(labels: Mapping[str, Label | None], mentions: Sequence[Mention], *,
              ignore: Collection[str] = (), other_blocks: bool = True) -> bool:
    """Normal: no finding (except those in ``ignore``) is positive or uncertain and, when
    ``other_blocks``, no OTHER abnormality is (a scheme's :class:`~cxrlabel.schemes.NormalRule`;
    the default is the paper's: nothing among the 14 and the OTHER set)."""
    if any(v in (Label.POSITIVE, Label.UNCERTAIN) for f, v in labels.items() if f not in ignore):
        return False
    return not other_blocks or not any(
        m.finding == OTHER and m.polarity in (Label.POSITIVE, Label.UNCERTAIN) for m in mentions
    )
