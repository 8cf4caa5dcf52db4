"""Reading reports from CSV / TSV / JSONL / Parquet / text files / directories / stdin, and
writing label tables (atomically, with spreadsheet formulas escaped).

Input forms accepted by ``cxrlabel label`` (the rules are documented in ``docs/quickstart.md``):

- a CSV with a header (the text column chosen by ``column=``, else the only text column, else
  one named like ``report``/``text``/``impression``, see :mod:`cxrlabel.columns`); ids from
  ``id_column=``, else an ``id``-like column, else the row number. The delimiter is sniffed
  (``,`` ``;`` tab ``|``; ``.tsv`` is tab), a UTF-8 byte order mark is dropped;
- a MIMIC-CXR-style sectioned table (a ``study``/``study_id`` column, ``findings`` and
  ``impression`` columns, :data:`SECTION_COLUMNS`; any other columns ignored): without
  ``column=``, each row's two sections are combined, as the paper labels both, into
  ``FINDINGS: ...`` and ``IMPRESSION: ...`` (an empty one is left out), so the labeler finds
  both sections (CSV, JSONL and Parquet alike);
- the CheXpert labeler's headerless one-column CSV (``header=False``, or detected: a single
  column whose first cell reads like a report; a first cell that could be either is an error
  asking for ``--header``/``--no-header``);
- ``.jsonl`` (one JSON object a line, keys picked like CSV columns, or one JSON string a line),
  ``.parquet`` (with pyarrow installed);
- a ``.txt`` file (one report, id = file stem), a directory of ``.txt`` files (sorted by name),
  or ``-`` for stdin (one report).

Rows in = rows out: a blank CSV/JSONL line is not a report and is skipped, but row-number ids
count it, so it never shifts the ids after it. A row with the wrong number of cells becomes an
error record; an unbalanced quote (which would merge the rows after it) is an ``I241`` error
naming the line, and nothing is labeled.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Sequence

from .columns import ID_COLUMN_GUESSES, TEXT_COLUMN_GUESSES, pick_column
from .errors import InputError
from .output import OUTPUT_COLUMNS, atomic_write, cell_text, check_output_path, escape_formula, write_rows

__all__ = [
    "OUTPUT_COLUMNS",
    "SECTION_COLUMNS",
    "ReportRecord",
    "atomic_write",
    "check_output_path",
    "decode_bytes",
    "escape_formula",
    "read_reports",
    "sniff_delimiter",
    "write_rows",
]

#: Columns of a sectioned table (MIMIC-CXR's section files), in report order, with their headers.
SECTION_COLUMNS: tuple[tuple[str, str], ...] = (("findings", "FINDINGS"), ("impression", "IMPRESSION"))

#: Where a record's text comes from: ``(column index, section header or None)`` per part.
TextColumns = tuple[tuple[int, "str | None"], ...]

#: Delimiters the CSV sniffer chooses from, in order of preference on a tie.
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")

_BINARY_MAGIC = {b"PAR1": "a Parquet file", b"PK\x03\x04": "a zip archive (an .xlsx?)", b"\x1f\x8b": "a gzip file"}


@dataclass(frozen=True)
class ReportRecord:
    """One input report: its id, its text, or the error that stopped it from being read."""

    id: str
    text: str
    error: str | None = None


def decode_bytes(data: bytes, *, source: str, encoding: str = "utf-8") -> str:
    """Decode ``data`` (a leading byte order mark dropped) or raise an InputError naming the
    source and the bad byte offset; a binary file (NUL bytes, a Parquet/zip/gzip signature) is
    ``I245``, never advice to change the encoding."""
    kind = next((what for magic, what in _BINARY_MAGIC.items() if data.startswith(magic)), None)
    if kind is None and b"\0" in data[:8192] and not encoding.lower().replace("-", "").startswith(("utf16", "utf32")):
        kind = "a binary file (it holds NUL bytes; a UTF-16 text? pass --encoding utf-16)"
    if kind is not None:
        raise InputError(
            f"{source}: this is {kind}, not text; give a .csv, .tsv, .jsonl, .txt or .parquet file "
            f"(name a Parquet file *.parquet and install pyarrow: pip install pyarrow)",
            code="I245",
        )
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        raise InputError(
            f"{source}: bytes at offset {err.start}-{err.end} are not valid {encoding} "
            f"({data[err.start:err.end]!r}); re-encode the file or pass --encoding "
            f"(e.g. --encoding latin-1)",
            code="I201",
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def sniff_delimiter(text: str, *, rows: int = 50) -> str:
    """The delimiter of ``DELIMITERS`` that splits the first ``rows`` records into the most
    rows with the first row's (> 1) number of cells; ``,`` when none splits the first row."""
    best, best_score = ",", 0
    for delim in DELIMITERS:
        reader = csv.reader(io.StringIO(text[: 1 << 16], newline=""), delimiter=delim)
        try:
            sample = [r for _, r in zip(range(rows), reader) if r]
        except csv.Error:
            continue
        if not sample or len(sample[0]) < 2:
            continue
        score = sum(len(r) == len(sample[0]) for r in sample)
        if score > best_score:
            best, best_score = delim, score
    return best


def _looks_like_report(cell: str) -> bool | None:
    """True: a report; False: a column name; None: could be either."""
    c = " ".join(cell.split()).lower()
    if c in TEXT_COLUMN_GUESSES or c in ID_COLUMN_GUESSES:
        return False
    if not c or len(c) > 40 or any(ch in c for ch in ".,:;!?()0123456789") or len(c.split()) > 4:
        return True
    return None


def _csv_records(text: str, source: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """``(first line number, cells)`` of every record; an unbalanced quote is ``I241``."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            if "field limit" in str(err) or "NUL" in str(err):
                raise InputError(f"{source}: line {line}: malformed CSV: {err}", code="I240") from None
            lines = io.StringIO(text, newline="").readlines()
            head = next(csv.reader(lines[line - 1 : line], delimiter=delimiter), [""]) if line <= len(lines) else [""]
            raise InputError(
                f"{source}: line {line} (the row starting {head[0][:40]!r}): an unbalanced quote ({err}); the rows "
                f"after it cannot be told apart, so nothing was labeled: fix the quoting of that row (a quote "
                f"inside a quoted cell is written \"\")",
                code="I241",
            ) from None
        yield line, row
        line = reader.line_num + 1


def _pick_columns(names: list[str], source: str, column: str | None, id_column: str | None) -> tuple[int | None, TextColumns]:
    """``(id index or None, text columns)`` of a header: one text column, or, for a sectioned
    table without ``column=``, its :data:`SECTION_COLUMNS` (the one place they are combined)."""

    def pick(wanted: str | None, candidates: tuple[str, ...], what: str) -> int | None:
        found = pick_column(names, wanted, candidates)
        if found is None and wanted is not None:
            raise InputError(f"{source}: no {what} column {wanted!r}; the columns are: {', '.join(names)}", code="I205")
        return None if found is None else names.index(str(found))

    id_idx = pick(id_column, ID_COLUMN_GUESSES, "id")
    lower = [n.strip().lower() for n in names]
    sections = tuple((lower.index(c), h) for c, h in SECTION_COLUMNS if c in lower)
    if column is None and len(sections) == len(SECTION_COLUMNS):
        return id_idx, sections
    text_idx = pick(column, TEXT_COLUMN_GUESSES, "text")
    if text_idx is None:
        others = [k for k in range(len(names)) if k != id_idx]
        if len(others) != 1:
            raise InputError(
                f"{source}: cannot tell which column holds the report text; pass --column (columns: {', '.join(names)})",
                code="I206",
            )
        text_idx = others[0]
    return id_idx, ((text_idx, None),)


def _text_of(cells: Sequence[Any], texts: TextColumns) -> str:
    """A record's text: its one text cell, or its section cells joined under their headers."""
    if len(texts) == 1 and texts[0][1] is None:
        return cell_text(cells[texts[0][0]])
    parts = [f"{header}: {cell_text(cells[k]).strip()}" for k, header in texts if cell_text(cells[k]).strip()]
    return "\n\n".join(parts)


def _is_blank(cells: Sequence[Any]) -> bool:
    return all(c is None or (isinstance(c, float) and math.isnan(c)) or not str(c).strip() for c in cells)


def _table_records(rows: Iterable[tuple[int, Sequence[Any]]], names: list[str], source: str, id_idx: int | None, texts: TextColumns) -> Iterator[ReportRecord]:
    """Records of the data rows ``(line, cells)``; the row number (1-based, blank rows counted) is the id without an id column."""
    for n, (line, r) in enumerate(rows, start=1):
        if _is_blank(r):
            continue
        rid = cell_text(r[id_idx]) if id_idx is not None and id_idx < len(r) else str(n)
        if len(r) != len(names):
            msg = f"{source} line {line}: the row has {len(r)} cells, the header has {len(names)}"
            yield ReportRecord(rid, "", str(InputError(msg, code="I241")))
            continue
        yield ReportRecord(rid, _text_of(r, texts))


def _id_shape(rid: str) -> str:
    """``A12`` → ``a9``: runs of letters and of digits folded, the rest kept."""
    return re.sub(r"[^\W\d_]+", "a", re.sub(r"\d+", "9", rid.strip()))


def _check_swallowed(records: list[tuple[int, list[str]]], source: str, delimiter: str, id_idx: int, width: int) -> None:
    """``I241`` when a multi-line cell holds a line that reads as a row of its own (the header's
    number of cells, an id shaped like the file's ids): the rows an unbalanced quote merged."""
    rows = [r for _, r in records if len(r) == width and not any("\n" in c or "\r" in c for c in r)]
    shapes = {_id_shape(r[id_idx]) for r in rows if any(ch.isdigit() for ch in r[id_idx])}
    for line, r in records:
        for cell in r:
            for inner in re.split(r"\r\n|\r|\n", cell)[1:]:
                cells = next(csv.reader([inner], delimiter=delimiter), [])
                if len(cells) == width and cells[id_idx].strip() and _id_shape(cells[id_idx]) in shapes:
                    raise InputError(
                        f"{source}: line {line} (the row {r[id_idx][:40]!r}): its text holds a line that reads as a "
                        f"row of its own ({inner[:60]!r}): an unbalanced quote merged the rows after it, so nothing "
                        f"was labeled; fix the quoting of that row (a quote inside a quoted cell is written \"\")",
                        code="I241",
                    )


def _read_csv(text: str, source: str, *, column: str | None, id_column: str | None, header: bool | None, delimiter: str | None = None) -> Iterator[ReportRecord]:
    # a headerless CSV has one column, so only the CheXpert labeler's comma is ever sniffed out of it
    delim = delimiter or ("," if header is False else sniff_delimiter(text))
    records = list(_csv_records(text, source, delim))
    first = next((r for _, r in records if not _is_blank(r)), None)
    if first is None:
        return
    if header is None and max(len(r) for _, r in records) == 1:
        guess = _looks_like_report(first[0])
        if guess is None:
            raise InputError(
                f"{source}: cannot tell whether the first row {first[0]!r} is a header or a report; "
                f"pass --header or --no-header",
                code="I242",
            )
        header = not guess
    if header is False:
        if column is not None:
            raise InputError(f"{source}: --column needs a CSV with a header row", code="I203")
        for n, (line, r) in enumerate(records, start=1):
            if len(r) > 1:
                raise InputError(
                    f"{source}: row {n} (line {line}) has {len(r)} cells; a headerless CSV must have one column (the report text)",
                    code="I204",
                )
        yield from _table_records(records, [""], source, None, ((0, None),))
        return
    k = next(k for k, (_, r) in enumerate(records) if not _is_blank(r))
    names = [h.strip() for h in records[k][1]]
    id_idx, texts = _pick_columns(names, source, column, id_column)
    if id_idx is not None:
        _check_swallowed(records[k + 1 :], source, delim, id_idx, len(names))
    yield from _table_records(records[k + 1 :], names, source, id_idx, texts)


def _jsonl_error(source: str, line: int, what: str) -> str:
    return str(InputError(f"{source} line {line}: {what}", code="I243"))


def _read_jsonl(text: str, source: str, *, column: str | None, id_column: str | None) -> Iterator[ReportRecord]:
    keys: tuple[int | None, int] | None = None
    names: list[str] = []
    for n, line in enumerate(text.split("\n"), start=1):  # not splitlines(): U+2028 may sit inside a string
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as err:
            yield ReportRecord(str(n), "", _jsonl_error(source, n, f"not JSON ({err})"))
            continue
        if isinstance(obj, str):
            yield ReportRecord(str(n), obj)
            continue
        if not isinstance(obj, dict):
            yield ReportRecord(str(n), "", _jsonl_error(source, n, f"a {type(obj).__name__}, not a JSON object or string"))
            continue
        if keys is None:
            names = [str(k) for k in obj]
            keys = _pick_columns(names, source, column, id_column)
        id_key = names[keys[0]] if keys[0] is not None else None
        rid = cell_text(obj.get(id_key)) if id_key is not None and obj.get(id_key) is not None else str(n)
        text_keys = [names[k] for k, _ in keys[1]]
        # a section may be absent or null (an empty section); a lone text column may not
        missing = [k for k in text_keys if not isinstance(obj.get(k), str) and not (len(text_keys) > 1 and obj.get(k) is None)]
        if missing:
            yield ReportRecord(rid, "", _jsonl_error(source, n, f"no text under {missing[0]!r}"))
            continue
        yield ReportRecord(rid, _text_of([obj.get(key, "") for key in names], keys[1]))


def _read_parquet(path: Path, *, column: str | None, id_column: str | None) -> Iterator[ReportRecord]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(
            f"{path}: reading Parquet needs pyarrow: pip install pyarrow (or export the table as CSV)", code="I244"
        ) from None
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises its own ArrowInvalid / OSError family
        raise InputError(f"{path}: not a readable Parquet file ({exc})", code="I244") from None
    names = [str(c) for c in table.column_names]
    id_idx, texts = _pick_columns(names, str(path), column, id_column)
    cols = [table.column(k).to_pylist() for k in range(len(names))]
    yield from _table_records(((n, list(r)) for n, r in enumerate(zip(*cols), start=1)), names, str(path), id_idx, texts)


def _read_stdin(stdin: IO[bytes] | None) -> bytes:
    stream = stdin if stdin is not None else getattr(sys.stdin, "buffer", None)
    try:
        if stream is None:  # started with stdin closed (`<&-`): Python sets sys.stdin to None
            raise OSError(errno.EBADF, "closed")
        return stream.read()
    except (OSError, ValueError) as exc:
        raise InputError(
            f"cannot read the reports from stdin ('-'): it is closed or unreadable ({exc}); pipe the "
            "reports in (`cat reports.txt | cxrlabel label -`) or pass a file",
            code="I262",
        ) from None


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
        data = _read_stdin(stdin)
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
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        yield from _read_parquet(path, column=column, id_column=id_column)
        return
    text = decode_bytes(path.read_bytes(), source=str(path), encoding=encoding)
    if suffix in (".csv", ".tsv"):
        delim = "\t" if suffix == ".tsv" else None
        yield from _read_csv(text, str(path), column=column, id_column=id_column, header=header, delimiter=delim)
    elif suffix in (".jsonl", ".ndjson"):
        yield from _read_jsonl(text, str(path), column=column, id_column=id_column)
    else:
        yield ReportRecord(path.stem, text)
