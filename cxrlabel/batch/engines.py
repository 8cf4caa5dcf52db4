"""The one place that chooses where chunks are labeled: ``local`` (this process or a spawn
pool, :func:`cxrlabel.batch.pool.run_chunks`) or ``dask`` (a Dask cluster,
:func:`cxrlabel.batch.dask.run_chunks_dask`). :func:`label_many`, :func:`run_sharded` and
``cxrlabel label`` all go through :func:`run_on_engine`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from ..errors import InputError
from .options import LabelOptions
from .pool import run_chunks
from .rows import ReadRecord, Record, keep_read_errors, readable
from .spawn import check_main_guard

if TYPE_CHECKING:  # pragma: no cover
    from ..labeler import Labeler

__all__ = ["ENGINES", "label_read_chunks", "run_on_engine"]

#: The engines ``--engine`` accepts.
ENGINES = ("local", "dask")


def run_on_engine(
    chunks: Iterable[tuple[int, Sequence[Record]]],
    options: LabelOptions,
    *,
    engine: str = "local",
    jobs: int = 1,
    n_chunks: int | None = None,
    scheduler: str | None = None,
    labeler: Labeler | None = None,
) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Label ``(index, records)`` chunks on ``engine``; yields ``(index, rows)`` as chunks
    finish (not necessarily in order). An unknown engine raises ``I235`` here, before any work.

    ``local`` starts at most ``n_chunks`` workers (when given) and at least one; ``dask``
    starts ``jobs`` workers when it starts its own cluster (no ``scheduler``). ``labeler``
    (a ready Labeler, ``jobs=1``) is for the local engine only.
    """
    if jobs > 1 and scheduler is None:
        check_main_guard()  # I237: worker processes would re-run the caller's script
    if engine == "dask":
        # dask is an optional extra ([dask]): its engine is imported only when it is chosen
        from .dask import run_chunks_dask

        return run_chunks_dask(chunks, options, scheduler=scheduler, jobs=jobs)
    if engine == "local":
        if n_chunks is not None:
            jobs = max(1, min(jobs, n_chunks or 1))
        return run_chunks(chunks, options, jobs=jobs, labeler=labeler)
    raise InputError(f"unknown engine {engine!r}; use local or dask", code="I235")


def label_read_chunks(
    chunks: Iterable[tuple[int, Sequence[ReadRecord]]], options: LabelOptions, **engine: Any
) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """:func:`run_on_engine` for chunks of ``(id, text, read_error)`` records (what
    :func:`cxrlabel.io.read_reports` gives): a record that could not be read keeps its read
    error as its row (see :func:`cxrlabel.batch.rows.readable`). ``engine``: the keyword
    arguments of :func:`run_on_engine`."""
    pending: dict[int, Sequence[ReadRecord]] = {}  # the chunks sent and not yet back

    def feed() -> Iterator[tuple[int, list[Record]]]:
        for index, records in chunks:
            pending[index] = records
            yield index, readable(records)

    results = run_on_engine(feed(), options, **engine)
    return ((index, keep_read_errors(pending.pop(index), rows)) for index, rows in results)
