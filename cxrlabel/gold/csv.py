"""A user's own gold standard from a CSV file.

One row per report: an id column, a text column, and a column per annotated finding holding
``1`` / ``0`` / ``-1`` / blank (the CheXpert convention) or the words ``positive`` /
``negative`` / ``uncertain`` (any case). Finding headers are matched ignoring case, spaces,
underscores and hyphens (``Pleural Thickening`` = ``Pleural_Thickening``); a ``No Finding`` or
``normal`` column (or the scheme's Normal column), when present, is scored as Normal. Findings
without a column are skipped and named in the gold's ``notes``.

The findings are the scheme's (:mod:`cxrlabel.schemes`; default ``chestxray14``). Another label
space's headers reach a finding only through the scheme's ``gold_aliases:`` (the chestxray14
scheme reads CheXpert's ``Pleural Effusion`` as ``Effusion``; the chexpert scheme reads the
Stanford set's ``Airspace Opacity`` as ``Lung Opacity``). They are kept small on purpose: only
headers that mean the same observation are aliased; columns without a counterpart (in
chestxray14: ``Lung Lesion``, ``Support Devices``, ...) are not scored.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import pandas as pd

from ..columns import ID_COLUMN_GUESSES, TEXT_COLUMN_GUESSES, pick_column
from ..errors import GoldError
from ..schemes import Scheme, get_scheme
from ..types import CODE_LABELS, LABEL_CODES
from .goldset import GoldSet

__all__ = ["TEXT_COLUMN_GUESSES", "ID_COLUMN_GUESSES", "load_gold_csv", "parse_label"]

_WORDS = {label.value: code for label, code in LABEL_CODES.items()}
_NUMBERS = {code: code for code in CODE_LABELS}
_NORMAL_HEADERS = {"nofinding", "normal"}


def _key(header: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(header)).casefold()


def __getattr__(name: str) -> object:
    if name == "HEADER_ALIASES":  # the old home of the default scheme's gold_aliases
        return dict(get_scheme().gold_aliases)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _finding_keys(scheme: Scheme) -> dict[str, str]:
    """Header key (:func:`_key`) → finding, for the scheme's findings and its gold aliases."""
    keys = {_key(f): f for f in scheme.findings}
    keys.update({_key(alias): f for alias, f in scheme.gold_aliases.items() if f in scheme.findings})
    return keys


def parse_label(value: object) -> float:
    """One gold cell → 1.0 / 0.0 / -1.0, or NaN when blank. Raises ``ValueError`` otherwise."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    s = str(value).strip()
    if s == "" or s.casefold() in {"nan", "na"}:
        return math.nan
    word = _WORDS.get(s.casefold())
    if word is not None:
        return word
    try:
        num = float(s)
    except ValueError:
        raise ValueError(s) from None
    if num not in _NUMBERS:
        raise ValueError(s)
    return _NUMBERS[num]


def _pick_column(columns: list[str], wanted: str | None, guesses: tuple[str, ...], what: str, path: Path) -> str | None:
    found = pick_column(columns, wanted, guesses)
    if found is None and wanted is not None:
        raise GoldError(
            f"{path}: no {what} column {wanted!r}; the columns are: {', '.join(map(repr, columns))}",
            code="G510",
        )
    return None if found is None else str(found)


def load_gold_csv(
    path: str | os.PathLike[str],
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    name: str | None = None,
    scheme: str | os.PathLike[str] | Scheme | None = None,
) -> GoldSet:
    """Read a user's annotated CSV into a :class:`~cxrlabel.gold.goldset.GoldSet` whose
    findings are ``scheme``'s (default ``chestxray14``; ``"chexpert"`` for CheXpert-format gold).

    Without ``text_column``/``id_column`` the usual names are tried (``text``, ``report``; ``id``,
    ``filename``, ...); with no id column, reports are numbered ``row1``, ``row2``, ... .
    """
    path = Path(path)
    df = _read_frame(path)
    columns = [str(c) for c in df.columns]
    text_col = _pick_column(columns, text_column, TEXT_COLUMN_GUESSES, "text", path)
    if text_col is None:
        raise GoldError(
            f"{path}: which column holds the report text? pass --text-column; the columns are: "
            f"{', '.join(map(repr, columns))}",
            code="G510",
        )
    id_col = _pick_column(columns, id_column, ID_COLUMN_GUESSES, "id", path)
    sch = get_scheme(scheme)
    finding_cols, normal_col = _label_columns(columns, path, sch)
    ids = _ids(df, id_col, path)
    ordered = [f for f in sch.findings if f in finding_cols]
    data = {f: _column_labels(df, finding_cols[f], path) for f in ordered}
    if normal_col is not None:
        data["normal"] = [1.0 if v == 1.0 else 0.0 for v in _column_labels(df, normal_col, path, normal=True)]
    missing = [f for f in sch.findings if f not in finding_cols]
    notes = {}
    if missing:
        notes["_missing"] = f"{path.name}: no column for {', '.join(missing)}; these findings are not scored"
    labels = pd.DataFrame(data, index=list(ids), dtype="float64")
    return GoldSet(
        name=name or path.stem,
        ids=ids,
        texts=tuple(str(t) for t in df[text_col]),
        labels=labels,
        scored=tuple(ordered),
        notes=notes,
        normal_name=sch.normal.column,
    )


def _read_frame(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise GoldError(f"{path}: no such gold CSV file", code="G510") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as err:
        raise GoldError(f"{path}: not a readable CSV file ({err})", code="G510") from err


def _label_columns(columns: list[str], path: Path, scheme: Scheme) -> tuple[dict[str, str], str | None]:
    """Finding → its column (headers matched by :func:`_key`, aliases included), and the
    No Finding / normal column."""
    finding_cols: dict[str, str] = {}
    normal_col: str | None = None
    keys = _finding_keys(scheme)
    normal_keys = _NORMAL_HEADERS | {_key(scheme.normal.column)}
    for col in columns:
        k = _key(col)
        if k in keys and keys[k] not in finding_cols:
            finding_cols[keys[k]] = col
        elif k in normal_keys and normal_col is None:
            normal_col = col
    if not finding_cols:
        raise GoldError(
            f"{path}: no finding columns of the {scheme.name} scheme found; expected some of {', '.join(scheme.findings)} "
            f"(the columns are: {', '.join(map(repr, columns))})",
            code="G510",
        )
    return finding_cols, normal_col


def _ids(df: pd.DataFrame, id_col: str | None, path: Path) -> tuple[str, ...]:
    ids = tuple(str(v).strip() for v in df[id_col]) if id_col else tuple(f"row{i + 1}" for i in range(len(df)))
    if any(not i for i in ids):
        line = 2 + next(n for n, i in enumerate(ids) if not i)
        raise GoldError(f"{path}:{line}: empty report id in column {id_col!r}", code="G511")
    return ids


def _column_labels(df: pd.DataFrame, col: str, path: Path, *, normal: bool = False) -> list[float]:
    """One label column's cells parsed (G511, with the CSV line, for a cell that is no label)."""
    values = []
    for n, raw in enumerate(df[col]):
        try:
            values.append(parse_label(raw))
        except ValueError:
            allowed = "1/0/blank or positive/negative" if normal else "1/0/-1/blank or positive/negative/uncertain"
            raise GoldError(f"{path}:{n + 2}: column {col!r} has {raw!r}; use {allowed}", code="G511") from None
    return values
