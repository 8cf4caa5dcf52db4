"""Every rule-error code, in one table: code → one-line meaning.

The rows live with every other family's in :mod:`cxrlabel.codes` (the one table of error
codes); this is the R family of it, as ``cxrlabel.rules.CODES``. The codes are stable: tests
assert on them and the DSL reference documents each one. Add new codes at the end of their
block in :mod:`cxrlabel.codes`; never renumber or reuse one.
"""

from __future__ import annotations

from ..codes import family_codes

__all__ = ["CODES", "describe"]

#: R-family code → one-line meaning (a view of :data:`cxrlabel.codes.ERROR_CODES`).
CODES: dict[str, str] = family_codes("R")


def describe(code: str) -> str:
    """The one-line meaning of a rule-error ``code`` (``KeyError`` for any other code)."""
    return CODES[code]
