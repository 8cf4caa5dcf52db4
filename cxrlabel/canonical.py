"""The canonical dependency label space that grammars are written in.

Grammars use the Stanford-dependency spelling of the ChestX-ray8 paper; every parser backend
is normalized into it (see ``cxrlabel.parsers.normalize``). Besides the plain labels below, two
families are open-ended: ``prep_X`` (X = a preposition lemma, e.g. ``prep_of``,
``prep_without``) and ``conj_X`` (X = a conjunction lemma, e.g. ``conj_and``, ``conj_or``).
"""

from __future__ import annotations

import re

__all__ = ["CANONICAL_RELATIONS", "FAMILIES", "is_canonical"]

CANONICAL_RELATIONS: frozenset[str] = frozenset(
    {
        "acl", "acomp", "advcl", "advmod", "agent", "amod", "appos", "attr", "aux",
        "auxpass", "case", "cc", "ccomp", "compound", "conj", "cop", "csubj", "csubjpass",
        "dative", "dep", "det", "discourse", "dobj", "expl", "iobj", "mark", "md", "meta",
        "neg", "nmod", "npadvmod", "nsubj", "nsubjpass", "nummod", "oprd", "parataxis",
        "pcomp", "pobj", "poss", "preconj", "predet", "prep", "prt", "punct", "quantmod",
        "relcl", "root", "xcomp",
    }
)

#: Open families: ``prep_`` + preposition, ``conj_`` + conjunction (lower-case words, ``_`` for
#: multi-word ones such as ``prep_because_of``).
FAMILIES: tuple[str, ...] = ("prep_", "conj_")

_FAMILY_RE = re.compile(r"^(prep|conj)_[a-z]+(_[a-z]+)*$")


def is_canonical(rel: str) -> bool:
    """Whether ``rel`` is a label of the canonical space (plain or from a family)."""
    return rel in CANONICAL_RELATIONS or bool(_FAMILY_RE.match(rel))
