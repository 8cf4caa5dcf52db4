"""Writing what the labeler produced: label rows as CSV or JSONL, atomically, never onto an
input, with formula-looking cells escaped (part of the I/O layer; :mod:`cxrlabel.io` reads).

- :func:`check_output_path` refuses (``I246``) an output that is, or is inside, an input;
- :func:`atomic_write` writes through a temp file and a rename, so a reader never sees a part;
- :func:`write_rows` writes label rows; in CSV a cell starting with ``=``, ``+``, ``-``, ``@``,
  a tab or a CR gets a leading ``'`` (:func:`escape_formula`) unless ``escape_formulas=False``
  (``--no-escape-formulas``), so a spreadsheet never runs an id or a report as a formula.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from pathlib import Path
from typing import IO, Any, Callable, Iterable

from .errors import InputError
from .types import FINDINGS

__all__ = ["OUTPUT_COLUMNS", "atomic_write", "cell_text", "check_output_path", "escape_formula", "write_rows"]

OUTPUT_COLUMNS: tuple[str, ...] = ("id", *FINDINGS, "No Finding")


def check_output_path(output: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]]) -> None:
    """Refuse (``I246``) an output path that is, or would write into, one of ``inputs``
    (symlinks and hard links followed; a file inside an input folder counts)."""
    out = Path(output).resolve()
    for src in inputs:
        if str(src) == "-":
            continue
        inp = Path(src).resolve()
        same = out == inp or (out.exists() and inp.exists() and os.path.samefile(out, inp))
        if same or (inp.is_dir() and inp in out.parents):
            raise InputError(
                f"{output}: the output would overwrite the input {src}; write it elsewhere (-o labels.csv)",
                code="I246",
            )


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[str]], Any]) -> None:
    """Write ``path`` through ``write(fh)`` on a temp file next to it, fsync, and rename it into
    place: a reader sees the old file or the whole new one, never a part."""
    path = Path(path)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def escape_formula(cell: str) -> str:
    """``cell`` with a leading ``'`` when a spreadsheet would run it as a formula (it starts with
    ``=`` ``+`` ``-`` ``@``, a tab or a CR) and it is not a plain number such as ``-1``."""
    if cell and cell[0] in "=+-@\t\r" and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def cell_text(v: Any) -> str:
    """A table cell as text: blank for None/NaN, ``3`` for ``3.0``."""
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


def write_rows(
    rows: Iterable[dict[str, Any]],
    out: IO[str],
    *,
    fmt: str = "csv",
    columns: Iterable[str] = OUTPUT_COLUMNS,
    header: bool = True,
    escape_formulas: bool = True,
) -> int:
    """Write label rows as CSV (1/0/-1/blank, formula-looking cells escaped unless
    ``escape_formulas=False``) or JSONL; returns the number written. The CSV header is written
    with the first row (or alone once ``rows`` ends empty): a run that fails before its first
    row leaves nothing that could pass for an empty result."""
    cols = list(columns)
    if fmt not in ("csv", "jsonl"):
        raise InputError(f"unknown output format {fmt!r}; use csv or jsonl", code="I209")
    n = 0
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps({k: _json_value(v) for k, v in row.items()}, ensure_ascii=False) + "\n")
            n += 1
        return n
    w = csv.DictWriter(out, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    esc = escape_formula if escape_formulas else str
    for row in rows:
        if header and n == 0:
            w.writeheader()
        w.writerow({k: esc(cell_text(row.get(k))) for k in cols})
        n += 1
    if header and n == 0:
        w.writeheader()
    return n
