"""The Python API for many reports: :func:`label_many` labels a list, a pandas Series or a
DataFrame and returns a DataFrame in input order."""

from __future__ import annotations

import importlib
import logging
import math
import os
import sys
import threading
from typing import TYPE_CHECKING, Any, Iterator, TypeVar

from ..columns import ID_COLUMN_GUESSES, TEXT_COLUMN_GUESSES, pick_column
from ..errors import InputError
from .engines import run_on_engine
from .options import DEFAULT, LabelOptions, resolve_cache
from .pool import chunked, progress_bar
from ..schemes import Scheme, get_scheme
from .options import scheme_ref
from .rows import Record, output_columns

if TYPE_CHECKING:  # pragma: no cover
    from ..labeler import Labeler

__all__ = ["label_many"]

T = TypeVar("T")


def _records_of(data: Any, text_column: str | None, id_column: str | None) -> tuple[list[Record], str]:
    pd = sys.modules.get("pandas")  # not imported yet: ``data`` is no pandas object
    if pd is not None and isinstance(data, pd.DataFrame):
        return _frame_records(data, text_column, id_column)
    if pd is not None and isinstance(data, pd.Series):
        return list(zip(data.index.tolist(), data.tolist())), id_column or "id"
    if isinstance(data, (str, bytes)):
        data = [data]
    return list(enumerate(data)), id_column or "id"


def _frame_records(data: Any, text_column: str | None, id_column: str | None) -> tuple[list[Record], str]:
    """The frame's ``(id, text)`` records and the id column's name, by the CLI's rules
    (:func:`cxrlabel.columns.pick_column`): ids from ``id_column``, else an ``id``-like column,
    else the index."""
    names = ", ".join(map(str, data.columns))
    col = text_column
    if col is None:
        col = pick_column(data.columns, None, TEXT_COLUMN_GUESSES)
        if col is None:
            raise InputError(f"cannot tell which column holds the report text; pass text_column= (columns: {names})", code="I231")
    for c, what in ((col, "text_column"), (id_column, "id_column")):
        if c is not None and c not in data.columns:
            raise InputError(f"{what}={c!r} is not a column; the columns are: {names}", code="I232")
    id_col = id_column if id_column is not None else pick_column([c for c in data.columns if c != col], None, ID_COLUMN_GUESSES)
    ids = data[id_col].tolist() if id_col is not None else data.index.tolist()
    return list(zip(ids, data[col].tolist())), str(id_col) if id_col is not None else "id"


def _import_pandas_meanwhile(chunks: Iterator[T]) -> Iterator[T]:
    """``chunks``; once the first has been taken (the pool's workers are labeling it then),
    pandas — needed only for the returned frame, ≈ 0.2 s to import — is imported in a
    background thread, so that this process imports it while the workers label instead of
    before they start."""
    for k, chunk in enumerate(chunks):
        yield chunk
        if k == 0 and "pandas" not in sys.modules:
            threading.Thread(target=importlib.import_module, args=("pandas",), name="cxrlabel-import-pandas", daemon=True).start()


def _frame(rows: list[dict[str, Any]], records: list[Record], id_name: str, options: LabelOptions) -> Any:
    import pandas as pd

    columns = output_columns(options.scheme, keep_text=options.keep_text, explain=options.explain)
    df = pd.DataFrame.from_records(rows, columns=columns)
    for c in get_scheme(options.scheme).columns:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    df["id"] = [rid for rid, _ in records]  # keep the ids' own types
    return df.rename(columns={"id": id_name})


def label_many(
    data: Any,
    *,
    jobs: int = 1,
    batch_size: int = 64,
    chunk_size: int = 256,
    progress: bool = True,
    cache: Any = DEFAULT,
    text_column: str | None = None,
    id_column: str | None = None,
    labeler: Labeler | None = None,
    parser: str = "spacy",
    parser_options: dict[str, Any] | None = None,
    grammars: Any = None,
    replace_grammars: bool = False,
    policy: str = "default",
    explain: bool = False,
    scheme: str | os.PathLike[str] | Scheme | None = None,
    keep_text: bool = False,
) -> Any:
    """Label many reports; returns a pandas DataFrame in input order.

    ``data``: report texts (a list or any iterable), a pandas Series (its index gives the ids)
    or a DataFrame (``text_column``, else a ``report``/``text``-like column; ids from
    ``id_column``, else an ``id``-like column as ``cxrlabel label`` picks them, else the
    index). Columns (:func:`~cxrlabel.batch.output_columns`): the id column, ``Reports`` (with
    ``keep_text``), the ``scheme``'s label columns as 1.0 / 0.0 / -1.0 / NaN, ``explain``, and
    ``error`` (NaN, or why the report could not be labeled: then every label is NaN, never a
    label; the count is logged). A broken parse cache raises ``CacheError``.

    ``jobs``: processes labeling (this one and ``jobs - 1`` spawned workers). ``cache``: the parse cache — ``DEFAULT`` (the user
    cache dir, or ``$CXRLABEL_CACHE_DIR``), a path, or ``None`` for none. ``labeler``: a
    ready :class:`~cxrlabel.labeler.Labeler` to use with ``jobs=1``; with ``jobs > 1`` each
    worker builds its own from ``parser``/``parser_options``/``grammars``/``policy``.
    """
    if labeler is not None and jobs > 1:
        raise InputError(
            "a Labeler object cannot be shared with worker processes; pass its options "
            "(parser=, grammars=, policy=) with jobs > 1, or use jobs=1",
            code="I236",
        )

    records, id_name = _records_of(data, text_column, id_column)
    if isinstance(grammars, (str, os.PathLike)):
        grammars = [grammars]
    options = LabelOptions(
        parser=parser, parser_options=dict(parser_options or {}), grammars=tuple(grammars or ()),
        replace_grammars=replace_grammars, policy=policy, explain=explain, batch_size=batch_size,
        cache=resolve_cache(cache),
        scheme=scheme_ref(labeler.scheme if labeler is not None and scheme is None else scheme),
        keep_text=keep_text,
    )
    rows = _rows_in_order(records, options, jobs=jobs, chunk_size=chunk_size, progress=progress, labeler=labeler)
    return _logged(_frame(rows, records, id_name, options))


def _rows_in_order(records: list[Record], options: LabelOptions, *, jobs: int, chunk_size: int, progress: bool,
                   labeler: Labeler | None) -> list[dict[str, Any]]:
    chunks = chunked(records, chunk_size)
    if jobs > 1:
        chunks = _import_pandas_meanwhile(chunks)
    out: dict[int, list[dict[str, Any]]] = {}
    with progress_bar(len(records), progress) as bar:
        for index, rows in run_on_engine(chunks, options, jobs=jobs, n_chunks=math.ceil(len(records) / chunk_size), labeler=labeler):
            out[index] = rows
            bar.update(len(rows))
    return [r for k in sorted(out) for r in out[k]]


def _logged(df: Any) -> Any:
    """``df``, its failed rows counted in a warning (logger ``cxrlabel``)."""
    failed = int(df["error"].notna().sum())
    if failed:
        logging.getLogger("cxrlabel").warning("%d of %d reports failed: their rows have blank labels and an error", failed, len(df))
    return df
