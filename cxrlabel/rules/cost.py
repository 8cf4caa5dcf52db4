"""How expensive can a rule's pattern be to match? A static check for ``rules check``.

VF2 binds pattern nodes one by one. Pattern nodes that nothing tells apart — no lemma, tag or
part of speech, any relation — hanging from one head are interchangeable: for a sentence token
with ``d`` dependents, ``k`` of them can be bound in ``d!/(d-k)!`` orders, and when the match
then fails on another node every order is tried. One head with 9 such children made a 20-word
sentence take 33 s. :func:`cost_warnings` flags heads with :data:`WILDCARD_CHILDREN_WARN` or
more of them (``R180``); the matcher also stops any sentence at its budget
(:data:`cxrlabel.rules.matcher.MATCH_BUDGET`).
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

from ..errors import RuleError
from .model import Rule
from .pattern import NodeSpec, Pattern

__all__ = ["WILDCARD_CHILDREN_WARN", "cost_warnings", "wildcard_fanout"]

#: A head with this many unconstrained neighbours (any token, any relation) gets ``R180``.
WILDCARD_CHILDREN_WARN = 4


def _unconstrained(spec: NodeSpec) -> bool:
    return not spec.is_anchor and spec.lemmas is None and spec.tags is None and spec.pos is None


def wildcard_fanout(pattern: Pattern) -> dict[str, int]:
    """Pattern node → how many unconstrained leaf-like neighbours it has (either direction),
    joined by an edge of any relation: the interchangeable nodes VF2 permutes."""
    out: Counter[str] = Counter()
    for e in pattern.edges:
        if e.rels is not None:
            continue
        if _unconstrained(pattern.nodes[e.dep]):
            out[e.head] += 1
        if _unconstrained(pattern.nodes[e.head]):
            out[e.dep] += 1
    return dict(out)


def cost_warnings(rules: Iterable[Rule]) -> list[RuleError]:
    """One ``R180`` per rule whose pattern has a head with too many interchangeable nodes."""
    out = []
    for rule in rules:
        if rule.pattern is None:
            continue
        worst = max(wildcard_fanout(rule.pattern).items(), key=lambda kv: (kv[1], kv[0]), default=None)
        if worst is None or worst[1] < WILDCARD_CHILDREN_WARN:
            continue
        node, k = worst
        out.append(
            RuleError(
                f"node '{node}' has {k} unconstrained neighbours ('*' token, '*' relation): VF2 may try "
                f"every order of them (d!/(d-{k})! for a token with d dependents), which can take minutes "
                "on one sentence; give them a lemma, tag or relation, or split the rule (matching stops "
                "at a per-sentence budget, failing the report: error L602)",
                code="R180",
                location=rule.location,
                rule_id=rule.id,
            )
        )
    return out
