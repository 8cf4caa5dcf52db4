"""griffe extension: show the reStructuredText roles of cxrlabel's docstrings as code.

The docstrings use Sphinx cross-reference roles (``:class:`~cxrlabel.gold.GoldSet```,
``:func:`load_rules```); Markdown would print the role markup verbatim. This rewrites each role
to a code span of the name as Sphinx would display it (``~`` keeps only the last component),
at load time, so the docstrings in the source stay as they are.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj|const|ref):`(~?)([^`]+)`")


def _display(match: re.Match[str]) -> str:
    tilde, target = match.group(1), match.group(2).strip()
    if "<" in target and target.endswith(">"):  # :ref:`text <target>`
        target = target[: target.index("<")].strip()
    elif tilde:
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def rewrite_roles(text: str) -> str:
    """``text`` with every Sphinx role replaced by a Markdown code span."""
    return _ROLE.sub(_display, text)


class RstRoles(griffe.Extension):
    """Rewrite Sphinx roles in every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rewrite_roles(obj.docstring.value)
