"""Batch labeling: many reports, several processes, a parse cache, and jobs that survive a kill.

:func:`label_many` labels a list, a pandas Series or a DataFrame and returns a DataFrame in
input order (the id column, the 14 findings and ``No Finding`` as 1/0/-1/NaN, and ``error``).

How the work runs (:func:`run_chunks`):

- the reports are cut into chunks; each chunk goes through ``labeler.iter_labels`` so that the
  sentences of many reports stream through one ``nlp.pipe`` call;
- ``jobs=1`` labels in this process; ``jobs>1`` uses a process pool with the **spawn** start
  method (no forked copies of a half-initialised spaCy/torch state). Each worker builds its
  :class:`~cxrlabel.labeler.Labeler` once (in the pool initializer, self-check included) with
  torch/BLAS/OpenMP threads set to 1 — N workers on N cores, no oversubscription;
- parses go through a :class:`~cxrlabel.cache.CachedParser` (on by default; ``cache=None``
  turns it off), so re-labeling after a rule or ontology change only re-runs the rules;
- a report that raises is recorded with its error and the job goes on;
- progress (reports/s, ETA) is a tqdm bar on stderr.

As with any spawn pool, a script that calls ``label_many(..., jobs=2)`` at import time must
guard it with ``if __name__ == "__main__":`` (the workers import the main module).

:func:`run_sharded` is what ``cxrlabel label --jobs N -o OUT`` runs: finished chunks are
written as shard files under ``OUT.parts/`` next to a manifest (input fingerprint, options), a
killed job continues with ``--resume`` (finished shards are not labeled again), and the final
file is assembled in input order.
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import os
import shutil
import sys
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from .errors import InputError
from .types import FINDINGS

__all__ = ["DEFAULT", "LabelOptions", "label_many", "label_records", "run_chunks", "run_sharded"]

#: ``cache=DEFAULT``: the default parse cache (see :func:`cxrlabel.cache.default_cache_path`).
DEFAULT = "default"
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
_RESULT_COLUMNS = (*FINDINGS, "No Finding")
# Labeling allocates many short-lived objects (graphs, mentions); fewer young-generation
# collections make it ~7% faster (benchmarks/RESULTS.md) and cost a little memory.
_GC_THRESHOLDS = (50_000, 50, 100)
Record = tuple[str, Any]  # (id, text)


@dataclass(frozen=True)
class LabelOptions:
    """Everything a worker needs to build its labeler (picklable)."""

    parser: str = "spacy"
    parser_options: dict[str, Any] = field(default_factory=dict)
    grammars: tuple[Any, ...] = ()
    replace_grammars: bool = False
    policy: str = "default"
    explain: bool = False
    batch_size: int = 64
    cache: str | None = None  # a path, or None for no cache

    def fingerprint(self) -> dict[str, Any]:
        """The options that change the labels (stored in a sharded job's manifest)."""
        d = asdict(self)
        d["grammars"] = [str(g) for g in self.grammars]
        d.pop("cache")
        d.pop("batch_size")
        return d


def resolve_cache(cache: Any) -> str | None:
    """``DEFAULT`` → the default cache path, ``None``/``False`` → no cache, else the path."""
    if cache is None or cache is False:
        return None
    if cache == DEFAULT or cache is True:
        from .cache import default_cache_path

        return str(default_cache_path())
    return str(cache)


def build_labeler(options: LabelOptions) -> Any:
    """A Labeler for ``options`` (its parser wrapped in the parse cache when one is set)."""
    from .labeler import Labeler
    from .parsers.base import get_parser

    parser: Any = get_parser(options.parser, **options.parser_options)
    if options.cache:
        from .cache import CachedParser

        parser = CachedParser(parser, options.cache)
    return Labeler(parser=parser, grammars=list(options.grammars) or None, replace_grammars=options.replace_grammars, policy=options.policy)


def with_cache(labeler: Any, cache: str | None) -> Any:
    """``labeler`` itself, or a shallow copy whose parser goes through the parse cache."""
    from .cache import CachedParser

    if not cache or isinstance(labeler.parser, CachedParser):
        return labeler
    import copy

    out = copy.copy(labeler)
    out.parser = CachedParser(labeler.parser, cache)
    return out


def result_row(rid: Any, result: Any, *, explain: bool = False) -> dict[str, Any]:
    """One output row: ``id``, the CheXpert-coded findings, ``No Finding``, ``error``."""
    row: dict[str, Any] = {"id": rid, **result.to_chexpert()}
    if explain:
        parts = []
        for f in result:
            if result[f] is not None:
                ids = result.rule_ids(f)
                parts.append(f"{f}={result[f].value}" + (f"[{','.join(ids)}]" if ids else ""))
        row["explain"] = "; ".join(parts)
    if result.failures:
        row["error"] = "; ".join(f"unparsed sentence at {s}-{e}: {msg}" for s, e, msg in result.failures)
    return row


def _error_row(rid: Any, exc: BaseException | str) -> dict[str, Any]:
    msg = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    return {"id": rid, "error": msg}


def _usable(text: Any) -> str | None:
    """Why ``text`` cannot be labeled, or None when it can."""
    if isinstance(text, (str, bytes)):
        return None
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return "no report text (missing value)"
    return f"a report must be str or bytes, not {type(text).__name__}"


def label_records(labeler: Any, records: Sequence[Record], *, batch_size: int = 64, explain: bool = False) -> list[dict[str, Any]]:
    """Rows for ``records`` in order. All go through one ``iter_labels`` stream; if that stream
    raises, the chunk is re-labeled report by report so that only the bad report gets an error."""
    good = [(k, rid, text) for k, (rid, text) in enumerate(records) if _usable(text) is None]
    rows: list[dict[str, Any] | None] = [None] * len(records)
    for k, (rid, text) in enumerate(records):
        why = _usable(text)
        if why is not None:
            rows[k] = _error_row(rid, why)
    try:
        for (k, rid, _), res in zip(good, labeler.iter_labels([t for _, _, t in good], batch_size=batch_size)):
            rows[k] = result_row(rid, res, explain=explain)
    except Exception:  # noqa: BLE001 - find the report that raised, one at a time
        for k, rid, text in good:
            if rows[k] is not None:
                continue
            try:
                rows[k] = result_row(rid, labeler.label(text), explain=explain)
            except Exception as exc:  # noqa: BLE001 - one bad report must not stop the job
                rows[k] = _error_row(rid, exc)
    return rows  # type: ignore[return-value]


# -- worker processes ------------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _single_thread_env() -> dict[str, str | None]:
    """Set the thread-count variables to 1 (where unset); returns the old values."""
    old = {k: os.environ.get(k) for k in _THREAD_VARS}
    for k in _THREAD_VARS:
        os.environ.setdefault(k, "1")
    return old


def _restore_env(old: dict[str, str | None]) -> None:
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _init_worker(options: LabelOptions, labeler: Any = None) -> None:
    _single_thread_env()
    if "torch" in sys.modules:  # never import torch just to configure it
        sys.modules["torch"].set_num_threads(1)
    lab = with_cache(labeler, options.cache) if labeler is not None else build_labeler(options)
    lab._ensure_checked()
    _WORKER["labeler"] = lab
    _WORKER["options"] = options
    gc.collect()
    gc.freeze()  # the model and the ontology are long-lived: keep them out of every gc pass
    gc.set_threshold(*_GC_THRESHOLDS)


def _work(index: int, records: Sequence[Record]) -> tuple[int, list[dict[str, Any]], int]:
    opts: LabelOptions = _WORKER["options"]
    rows = label_records(_WORKER["labeler"], records, batch_size=opts.batch_size, explain=opts.explain)
    return index, rows, peak_rss()


def peak_rss() -> int:
    """Peak resident memory of this process in bytes."""
    import resource

    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(kb if sys.platform == "darwin" else kb * 1024)


def run_chunks(
    chunks: Iterable[tuple[int, Sequence[Record]]],
    options: LabelOptions,
    *,
    jobs: int = 1,
    labeler: Any = None,
    on_peak: Callable[[int], None] | None = None,
) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Label ``(index, records)`` chunks; yields ``(index, rows)`` as chunks finish (with
    ``jobs>1`` not necessarily in order). ``on_peak`` receives each worker's peak RSS."""
    if jobs < 1:
        raise InputError(f"jobs must be >= 1, got {jobs}", code="I230")
    if jobs == 1:
        lab = with_cache(labeler, options.cache) if labeler is not None else build_labeler(options)
        old_gc = gc.get_threshold()
        try:
            for index, records in chunks:
                gc.set_threshold(*_GC_THRESHOLDS)  # this process's own setting is restored below
                try:
                    rows = label_records(lab, records, batch_size=options.batch_size, explain=options.explain)
                finally:
                    gc.set_threshold(*old_gc)
                yield index, rows
        finally:
            gc.set_threshold(*old_gc)
        if on_peak:
            on_peak(peak_rss())
        return
    import multiprocessing

    old = _single_thread_env()  # inherited by the spawned workers before they import anything
    try:
        ctx = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker, initargs=(options, labeler))
        try:
            pending: set[Any] = set()
            it = iter(chunks)
            done_feeding = False
            while True:
                while not done_feeding and len(pending) < 2 * jobs:
                    nxt = next(it, None)
                    if nxt is None:
                        done_feeding = True
                        break
                    pending.add(pool.submit(_work, nxt[0], nxt[1]))
                if not pending:
                    break
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    index, rows, rss = fut.result()
                    if on_peak:
                        on_peak(rss)
                    yield index, rows
        finally:
            # on an error or Ctrl-C, do not start the chunks still queued
            pool.shutdown(wait=True, cancel_futures=True)
    finally:
        _restore_env(old)


def chunked(records: Iterable[Record], size: int, start: int = 0) -> Iterator[tuple[int, list[Record]]]:
    """``(index, records)`` chunks of ``size`` records, numbered from ``start``."""
    buf: list[Record] = []
    k = start
    for rec in records:
        buf.append(rec)
        if len(buf) == size:
            yield k, buf
            buf, k = [], k + 1
    if buf:
        yield k, buf


def progress_bar(total: int | None, enabled: bool, initial: int = 0) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="report", file=sys.stderr, disable=not enabled, dynamic_ncols=True, smoothing=0.05)


# -- the Python API --------------------------------------------------------------------------
def _records_of(data: Any, text_column: str | None, id_column: str | None) -> tuple[list[Record], str]:
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        col = text_column
        if col is None:
            from .io import _TEXT_NAMES

            lower = {str(c).lower(): c for c in data.columns}
            col = next((lower[n] for n in _TEXT_NAMES if n in lower), None)
            if col is None:
                raise InputError(
                    f"cannot tell which column holds the report text; pass text_column= (columns: {', '.join(map(str, data.columns))})",
                    code="I231",
                )
        for c, what in ((col, "text_column"), (id_column, "id_column")):
            if c is not None and c not in data.columns:
                raise InputError(f"{what}={c!r} is not a column; the columns are: {', '.join(map(str, data.columns))}", code="I232")
        ids = data[id_column].tolist() if id_column else data.index.tolist()
        return list(zip(ids, data[col].tolist())), id_column or "id"
    if isinstance(data, pd.Series):
        return list(zip(data.index.tolist(), data.tolist())), id_column or "id"
    if isinstance(data, (str, bytes)):
        data = [data]
    return list(enumerate(data)), id_column or "id"


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
    labeler: Any = None,
    parser: str = "spacy",
    parser_options: dict[str, Any] | None = None,
    grammars: Any = None,
    replace_grammars: bool = False,
    policy: str = "default",
    explain: bool = False,
) -> Any:
    """Label many reports; returns a pandas DataFrame in input order.

    ``data``: report texts (a list or any iterable), a pandas Series (its index gives the ids)
    or a DataFrame (``text_column``, else a ``report``/``text``-like column; ids from
    ``id_column``, else the index). Columns of the result: the id column (``id_column`` or
    ``id``), the 14 findings and ``No Finding`` (1.0 / 0.0 / -1.0 / NaN), ``explain`` when
    asked, and ``error`` (NaN, or why that report could not be labeled).

    ``jobs``: worker processes (spawn). ``cache``: the parse cache — ``DEFAULT`` (the user
    cache dir, or ``$CXRLABEL_CACHE_DIR``), a path, or ``None`` for none. ``labeler``: a
    ready :class:`~cxrlabel.labeler.Labeler` to use with ``jobs=1``; with ``jobs > 1`` each
    worker builds its own from ``parser``/``parser_options``/``grammars``/``policy``.
    """
    import pandas as pd

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
        parser=parser,
        parser_options=dict(parser_options or {}),
        grammars=tuple(grammars or ()),
        replace_grammars=replace_grammars,
        policy=policy,
        explain=explain,
        batch_size=batch_size,
        cache=resolve_cache(cache),
    )
    jobs = max(1, min(jobs, math.ceil(len(records) / chunk_size) or 1))
    out: dict[int, list[dict[str, Any]]] = {}
    with progress_bar(len(records), progress) as bar:
        for index, rows in run_chunks(chunked(records, chunk_size), options, jobs=jobs, labeler=labeler):
            out[index] = rows
            bar.update(len(rows))
    rows = [r for k in sorted(out) for r in out[k]]
    columns = ["id", *_RESULT_COLUMNS, *(["explain"] if explain else []), "error"]
    df = pd.DataFrame.from_records(rows, columns=columns)
    for c in _RESULT_COLUMNS:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    df["id"] = [rid for rid, _ in records]  # keep the ids' own types
    return df.rename(columns={"id": id_name})


# -- sharded jobs (cxrlabel label -o OUT) ----------------------------------------------------
_MANIFEST = "manifest.json"


def records_fingerprint(records: Iterable[tuple[str, Any, str | None]]) -> str:
    """sha256 over every ``(id, text, read error)`` of the input, in order."""
    h = hashlib.sha256()
    for rid, text, err in records:
        t = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text or b"")
        h.update(f"{rid}\0{len(t)}\0".encode("utf-8", "surrogatepass") + t + f"\0{err or ''}\n".encode())
    return h.hexdigest()


def parts_dir(output: str | os.PathLike[str]) -> Path:
    """Where a sharded job keeps its shards and manifest: ``OUT.parts/``."""
    return Path(f"{os.fspath(output)}.parts")


def _shard_path(parts: Path, index: int, fmt: str) -> Path:
    return parts / f"shard-{index:06d}.{fmt}"


def _atomic_write(path: Path, write: Callable[[Any], Any]) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def run_sharded(
    records: Sequence[tuple[str, Any, str | None]],
    output: str | os.PathLike[str],
    options: LabelOptions,
    *,
    jobs: int = 1,
    shard_size: int = 500,
    fmt: str = "csv",
    resume: bool = False,
    progress: bool = True,
    engine: str = "local",
    scheduler: str | None = None,
    log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr),
) -> int:
    """Label ``(id, text, read_error)`` records into ``output``, one shard file per
    ``shard_size`` reports under ``OUT.parts/``; returns the number of rows written.

    With ``resume`` an existing ``OUT.parts/`` is continued: its manifest must match this input
    and these options (else ``I234``), finished shards are kept, the rest are labeled. Without
    ``resume`` an existing ``OUT.parts/`` is an error (``I233``) — a finished shard is never
    thrown away silently. The final file is assembled in input order and ``OUT.parts/`` removed.
    """
    from .io import OUTPUT_COLUMNS, write_rows

    columns = [*OUTPUT_COLUMNS, *(["explain"] if options.explain else []), "error"]
    manifest = {
        "format_version": 1,
        "input_sha256": records_fingerprint(records),
        "reports": len(records),
        "shard_size": shard_size,
        "format": fmt,
        "columns": columns,
        "options": options.fingerprint(),
    }
    parts = parts_dir(output)
    done: set[int] = set()
    if parts.exists():
        if not resume:
            raise InputError(
                f"{parts} holds the shards of an unfinished job; pass --resume to continue it, or delete that folder to start over",
                code="I233",
            )
        try:
            old = json.loads((parts / _MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{parts / _MANIFEST}: cannot read the job manifest ({exc}); delete {parts} to start over", code="I234") from None
        if old != manifest:
            diff = sorted(k for k in manifest if old.get(k) != manifest[k])
            raise InputError(
                f"cannot resume {parts}: the {', '.join(diff)} differ from the interrupted job's; use the same input "
                f"and options, or delete {parts} to start over",
                code="I234",
            )
        done = {int(p.stem.split("-")[1]) for p in parts.glob(f"shard-*.{fmt}")}
        log(f"resuming: {len(done)} finished shards kept in {parts}")
    else:
        parts.mkdir(parents=True)
        _atomic_write(parts / _MANIFEST, lambda fh: json.dump(manifest, fh, indent=1))
    n_shards = math.ceil(len(records) / shard_size)
    todo = [k for k in range(n_shards) if k not in done]

    def chunks() -> Iterator[tuple[int, list[Record]]]:
        for k in todo:
            yield k, list(records[k * shard_size : (k + 1) * shard_size])

    def shard_rows(k: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # records that could not be read keep their read error (never labeled as empty)
        recs = records[k * shard_size : (k + 1) * shard_size]
        return [_error_row(r[0], r[2]) if r[2] is not None else row for r, row in zip(recs, rows)]

    initial = sum(min(shard_size, len(records) - k * shard_size) for k in done)
    readable = lambda ch: (ch[0], [(rid, text if err is None else "") for rid, text, err in ch[1]])  # noqa: E731
    work = (readable(c) for c in chunks())
    if engine == "dask":
        from .dask import run_chunks_dask

        results = run_chunks_dask(work, options, scheduler=scheduler, jobs=jobs)
    elif engine == "local":
        results = run_chunks(work, options, jobs=max(1, min(jobs, len(todo) or 1)))
    else:
        raise InputError(f"unknown engine {engine!r}; use local or dask", code="I235")
    with progress_bar(len(records), progress, initial=initial) as bar:
        for k, rows in results:
            rows = shard_rows(k, rows)
            _atomic_write(_shard_path(parts, k, fmt), lambda fh: write_rows(rows, fh, fmt=fmt, columns=columns, header=False))
            bar.update(len(rows))
    out = Path(output)

    def assemble(fh: Any) -> None:
        if fmt == "csv":
            write_rows([], fh, fmt=fmt, columns=columns, header=True)
        for k in range(n_shards):
            with open(_shard_path(parts, k, fmt), encoding="utf-8", newline="") as src:
                shutil.copyfileobj(src, fh)

    _atomic_write(out, assemble)
    shutil.rmtree(parts)
    return len(records)
