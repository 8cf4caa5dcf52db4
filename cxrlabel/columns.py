"""Which table column holds the report text and which the report id: the one list of guesses.

Every reader of a table (``cxrlabel label`` on a CSV, a user's gold CSV, ``label_many`` on a
DataFrame) asks :func:`pick_column` so that the same header is understood the same way
everywhere. Headers match ignoring case and surrounding spaces; the first guess present wins.
"""

from __future__ import annotations

from typing import Iterable

__all__ = ["ID_COLUMN_GUESSES", "TEXT_COLUMN_GUESSES", "pick_column"]

#: Header names tried, in this order, for the report text.
TEXT_COLUMN_GUESSES: tuple[str, ...] = (
    "report",
    "reports",
    "text",
    "report_text",
    "impression",
    "findings",
    "report impression",
    "note",
    "findings_impression",
)

#: Header names tried, in this order, for the report id.
ID_COLUMN_GUESSES: tuple[str, ...] = (
    "id",
    "report_id",
    "study_id",
    "studyid",
    "study",
    "filename",
    "file",
    "uid",
    "accession",
)


def _fold(name: object) -> str:
    return str(name).strip().casefold()


def pick_column(columns: Iterable[object], wanted: str | None, guesses: Iterable[str]) -> object | None:
    """The column of ``columns`` to use, as it is spelled there, or ``None``.

    With ``wanted`` (a user's ``--column``), the column of that name — exactly, else ignoring
    case and surrounding spaces — or ``None`` when there is none (the caller raises its own
    coded error listing the columns). Without it, the first of ``guesses`` that is a column.
    """
    cols = list(columns)
    if wanted is not None:
        if wanted in cols:
            return wanted
        folded = _fold(wanted)
        return next((c for c in cols if _fold(c) == folded), None)
    by_name: dict[str, object] = {}
    for c in cols:
        by_name.setdefault(_fold(c), c)
    return next((by_name[g] for g in map(_fold, guesses) if g in by_name), None)
