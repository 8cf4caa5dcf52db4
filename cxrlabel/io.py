"""Reading reports from CSV / text files / directories / stdin, and writing label tables.

Input forms accepted by ``cxrlabel label``:

- a CSV with a header (the text column chosen by ``column=``, else the only text column, else
  one named like ``report``/``text``/``impression``); ids from ``id_column=``, else an ``id``-like
  column, else the 1-based row number;
- a MIMIC-CXR-style sectioned CSV (a ``study``/``study_id`` column, ``findings`` and
  ``impression`` columns; any other columns ignored): without ``column=``, each row's two
  sections are combined, as the paper labels both, into ``FINDINGS: ...`` and
  ``IMPRESSION: ...`` (an empty one is left out), so the labeler finds both sections;
- the CheXpert labeler's headerless one-column CSV (``header=False``, or detected: a single
  column whose first cell reads like a report, not a column name);
- a ``.txt`` file (one report, id = file stem), a directory of ``.txt`` files (sorted by name),
  or ``-`` for stdin (one report).

Undecodable bytes are an :class:`~cxrlabel.errors.InputError` that names the file and byte
offset; within a directory, such a file becomes an error row and the rest go on.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from .columns import ID_COLUMN_GUESSES, TEXT_COLUMN_GUESSES, pick_column
from .errors import InputError
from .types import FINDINGS

__all__ = ["OUTPUT_COLUMNS", "SECTION_COLUMNS", "ReportRecord", "decode_bytes", "read_reports", "write_rows"]

OUTPUT_COLUMNS: tuple[str, ...] = ("id", *FINDINGS, "No Finding")

#: Columns of a sectioned CSV (MIMIC-CXR's section files), in report order, with their headers.
SECTION_COLUMNS: tuple[tuple[str, str], ...] = (("findings", "FINDINGS"), ("impression", "IMPRESSION"))


@dataclass(frozen=True)
class ReportRecord:
    """One input report: its id, its text, or the error that stopped it from being read."""

    id: str
    text: str
    error: str | None = None


def decode_bytes(data: bytes, *, source: str, encoding: str = "utf-8") -> str:
    """Decode ``data`` or raise an InputError naming the source and the bad byte offset."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise InputError(
            f"{source}: bytes at offset {err.start}-{err.end} are not valid {encoding} "
            f"({data[err.start:err.end]!r}); re-encode the file or pass --encoding "
            f"(e.g. --encoding latin-1)",
            code="I201",
        ) from None


def _looks_like_header(cell: str) -> bool:
    c = cell.strip().lower()
    return c in TEXT_COLUMN_GUESSES or (len(c) <= 40 and "." not in c and len(c.split()) <= 3 and c.replace(" ", "_").isidentifier())


def _read_csv(text: str, source: str, *, column: str | None, id_column: str | None, header: bool | None) -> Iterator[ReportRecord]:
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as err:
        raise InputError(f"{source}: malformed CSV: {err}", code="I240") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        return
    if header is None:
        header = not (max(len(r) for r in rows) == 1 and not _looks_like_header(rows[0][0]))
    if not header:
        if column is not None:
            raise InputError(f"{source}: --column needs a CSV with a header row", code="I203")
        for n, r in enumerate(rows, start=1):
            if len(r) != 1:
                raise InputError(
                    f"{source}: row {n} has {len(r)} cells; a headerless CSV must have one column (the report text)",
                    code="I204",
                )
            yield ReportRecord(str(n), r[0])
        return
    names = [h.strip() for h in rows[0]]
    lower = [h.lower() for h in names]

    def pick(wanted: str | None, candidates: tuple[str, ...], what: str) -> int | None:
        found = pick_column(names, wanted, candidates)
        if found is None and wanted is not None:
            raise InputError(
                f"{source}: no {what} column {wanted!r}; the columns are: {', '.join(names)}",
                code="I205",
            )
        return None if found is None else names.index(str(found))

    id_idx = pick(id_column, ID_COLUMN_GUESSES, "id")
    sectioned = [(lower.index(c), h) for c, h in SECTION_COLUMNS if c in lower]
    if column is None and len(sectioned) == len(SECTION_COLUMNS):
        yield from _sectioned_rows(rows, names, id_idx, sectioned)
        return
    text_idx = pick(column, TEXT_COLUMN_GUESSES, "text")
    if text_idx is None:
        others = [k for k in range(len(names)) if k != id_idx]
        if len(others) == 1:
            text_idx = others[0]
        else:
            raise InputError(
                f"{source}: cannot tell which column holds the report text; pass --column "
                f"(columns: {', '.join(names)})",
                code="I206",
            )
    for n, r in enumerate(rows[1:], start=1):
        rid = r[id_idx] if id_idx is not None and id_idx < len(r) else str(n)
        if len(r) != len(names):
            yield ReportRecord(rid, "", f"CSV row {n + 1} has {len(r)} cells, the header has {len(names)}")
            continue
        yield ReportRecord(rid, r[text_idx])


def _sectioned_rows(
    rows: list[list[str]], names: list[str], id_idx: int | None, sections: list[tuple[int, str]]
) -> Iterator[ReportRecord]:
    """Rows of a sectioned CSV: the section cells joined under their headers."""
    for n, r in enumerate(rows[1:], start=1):
        rid = r[id_idx] if id_idx is not None and id_idx < len(r) else str(n)
        if len(r) != len(names):
            yield ReportRecord(rid, "", f"CSV row {n + 1} has {len(r)} cells, the header has {len(names)}")
            continue
        parts = [f"{header}: {r[k].strip()}" for k, header in sections if r[k].strip()]
        yield ReportRecord(rid, "\n\n".join(parts))


def read_reports(
    source: str | Path,
    *,
    column: str | None = None,
    id_column: str | None = None,
    header: bool | None = None,
    encoding: str = "utf-8",
    stdin: IO[bytes] | None = None,
) -> Iterator[ReportRecord]:
    """Every report of ``source`` (see the module docstring for the accepted forms)."""
    if str(source) == "-":
        data = (stdin or sys.stdin.buffer).read()
        yield ReportRecord("stdin", decode_bytes(data, source="<stdin>", encoding=encoding))
        return
    path = Path(source)
    if not path.exists():
        raise InputError(f"{path}: no such file or directory", code="I207")
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".txt" and p.is_file())
        if not files:
            raise InputError(f"{path}: the directory holds no .txt files", code="I208")
        for p in files:
            try:
                yield ReportRecord(p.stem, decode_bytes(p.read_bytes(), source=str(p), encoding=encoding))
            except InputError as err:
                yield ReportRecord(p.stem, "", str(err))
        return
    text = decode_bytes(path.read_bytes(), source=str(path), encoding=encoding)
    if path.suffix.lower() in (".csv", ".tsv"):
        yield from _read_csv(text, str(path), column=column, id_column=id_column, header=header)
    else:
        yield ReportRecord(path.stem, text)


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _json_value(v: Any) -> Any:
    """NaN → null and label codes as integers (1, 0, -1), as the CSV writes them."""
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if v.is_integer():
            return int(v)
    return v


def write_rows(rows: Iterable[dict[str, Any]], out: IO[str], *, fmt: str = "csv", columns: Iterable[str] = OUTPUT_COLUMNS, header: bool = True) -> int:
    """Write label rows as CSV (1/0/-1/blank) or JSONL; returns the number written."""
    cols = list(columns)
    n = 0
    if fmt == "csv":
        w = csv.DictWriter(out, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        if header:
            w.writeheader()
        for row in rows:
            w.writerow({k: _cell(row.get(k)) for k in cols})
            n += 1
    elif fmt == "jsonl":
        for row in rows:
            clean = {k: _json_value(v) for k, v in row.items()}
            out.write(json.dumps(clean, ensure_ascii=False) + "\n")
            n += 1
    else:
        raise InputError(f"unknown output format {fmt!r}; use csv or jsonl", code="I209")
    return n
