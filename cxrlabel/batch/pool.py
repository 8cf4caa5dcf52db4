"""The local engine: label chunks of records in this process (``jobs=1``) or in this process
and a pool of ``jobs - 1`` worker processes, each with one labeler and one thread.

How workers start (:func:`start_method`): on Linux they are **forked** from this process once
its labeler is built and self-checked (its sqlite connections closed first, so none crosses
the fork) — a worker is ready at once, with no imports or model load of its own; elsewhere, or
with ``CXRLABEL_START_METHOD=spawn``, they are **spawned** and each builds its
:class:`~cxrlabel.labeler.Labeler` in the pool initializer (skipping the self-check this
process passed) while this process builds its own. Torch/BLAS/OpenMP threads are set to 1 — N
jobs on N cores, no oversubscription (the spaCy parser also keeps its own matrix products on
one thread wherever it runs: :func:`cxrlabel.parsers.spacy_fast.one_blas_thread`). Each
distinct sentence is judged once per run (:mod:`cxrlabel.batch.dedup`); this process takes its
share of the judging and the labeling.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence, TypeVar

from ..errors import InputError
from .dedup import HERE, POOL, Entries, Plan, Task, run_task, seed
from .lifeline import ignore_interrupts, quiet_broken_pool_race, tie_to_parent
from .options import LabelOptions, build_labeler, split_store_for, use_split_table, with_cache
from .rows import Record, label_records
from .schedule import AHEAD, result_of, schedule
from .spawn import check_main_guard, release_files, start_method

if TYPE_CHECKING:  # pragma: no cover
    from ..labeler import Labeler

__all__ = [
    "GC_THRESHOLDS",
    "THREAD_VARS",
    "chunked",
    "init_worker",
    "label_in_worker",
    "peak_rss",
    "progress_bar",
    "restore_env",
    "run_chunks",
    "single_thread_env",
    "task_in_worker",
]

#: The environment variables that set the thread count of torch, BLAS and OpenMP.
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
#: Labeling allocates many short-lived objects (graphs, mentions); fewer young-generation
#: collections make it ~7% faster (benchmarks/RESULTS.md) and cost a little memory.
GC_THRESHOLDS = (50_000, 50, 100)
Chunk = tuple[int, Sequence[Record]]
Rows = list[dict[str, Any]]
T = TypeVar("T")

_WORKER: dict[str, Any] = {}  # this worker process's labeler and options


def single_thread_env() -> dict[str, str | None]:
    """Set the thread-count variables to 1 (where unset); returns the old values."""
    old = {k: os.environ.get(k) for k in THREAD_VARS}
    for k in THREAD_VARS:
        os.environ.setdefault(k, "1")
    return old


def restore_env(old: dict[str, str | None]) -> None:
    """Put back the variables :func:`single_thread_env` changed (``old`` is what it returned)."""
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def init_worker(
    options: LabelOptions, labeler: Labeler | None = None, checked: frozenset[str] = frozenset(), parent: int | None = None
) -> None:
    """Pool initializer: one thread, one self-checked labeler, and the batch gc settings.
    ``checked``: labeler fingerprints the parent process already self-checked (the worker's
    labeler skips the canaries when its fingerprint is one of them). ``parent``: the pid of
    the process that started the pool; the worker dies with it and leaves Ctrl-C to it
    (:mod:`cxrlabel.batch.lifeline`)."""
    from ..labeler import trust_checked

    if parent is not None:
        ignore_interrupts()
        tie_to_parent(parent)
    single_thread_env()
    if "torch" in sys.modules:  # never import torch just to configure it
        sys.modules["torch"].set_num_threads(1)
    trust_checked(checked)
    lab = with_cache(labeler, options.cache) if labeler is not None else build_labeler(options)
    lab.ensure_checked()
    if options.cache:  # for the worker's life (flushed after every task)
        use_split_table(options.cache)
    _WORKER["labeler"] = lab
    _WORKER["options"] = options
    gc.collect()
    gc.freeze()  # the model and the ontology are long-lived: keep them out of every gc pass
    gc.set_threshold(*GC_THRESHOLDS)


def label_in_worker(index: int, records: Sequence[Record], entries: Entries | None = None) -> tuple[int, Rows, int]:
    """A pool task: ``(index, rows, this worker's peak RSS)`` for one chunk (after :func:`init_worker`);
    ``entries``: memo entries of its sentences, judged by some worker (:mod:`cxrlabel.batch.dedup`)."""
    opts: LabelOptions = _WORKER["options"]
    if entries:
        seed(_WORKER["labeler"], entries)
    rows = label_records(_WORKER["labeler"], records, batch_size=opts.batch_size, explain=opts.explain, keep_text=opts.keep_text)
    _flush_splits()
    return index, rows, peak_rss()


def task_in_worker(task: Task) -> tuple[Any, int]:
    """A pool task of a deduplicated run (:func:`cxrlabel.batch.dedup.run_task`) and this worker's peak RSS."""
    result = run_task(_WORKER["labeler"], task, _WORKER["options"])
    _flush_splits()
    return result, peak_rss()


def _flush_splits() -> None:
    """Store the sentence splits this worker made (see :func:`init_worker`)."""
    from ..document import split_store

    store = split_store()
    if store is not None:
        store.flush()


def peak_rss() -> int:
    """Peak resident memory of this process in bytes."""
    import resource

    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(kb if sys.platform == "darwin" else kb * 1024)


def run_chunks(
    chunks: Iterable[Chunk],
    options: LabelOptions,
    *,
    jobs: int = 1,
    labeler: Labeler | None = None,
    on_peak: Callable[[int], None] | None = None,
    on_ready: Callable[[], None] | None = None,
) -> Iterator[tuple[int, Rows]]:
    """Label ``(index, records)`` chunks; yields ``(index, rows)`` as chunks finish (with
    ``jobs>1`` not necessarily in order). ``on_peak`` receives each worker's peak RSS.
    ``on_ready``, when given, is called once every process has built its labeler, before the
    first chunk is taken (without it the workers start while this process works: benchmarks
    use it to time the steady rate)."""
    if jobs < 1:
        raise InputError(f"jobs must be >= 1, got {jobs}", code="I230")
    if jobs == 1:
        yield from _run_here(chunks, options, labeler, on_peak, on_ready)
    else:
        yield from _run_pool(chunks, options, jobs, labeler, on_peak, on_ready)


def _run_here(
    chunks: Iterable[Chunk], options: LabelOptions, labeler: Labeler | None, on_peak: Callable[[int], None] | None,
    on_ready: Callable[[], None] | None = None,
) -> Iterator[tuple[int, Rows]]:
    lab = with_cache(labeler, options.cache) if labeler is not None else build_labeler(options)
    if on_ready is not None:
        lab.ensure_checked()
        on_ready()
    old_gc = gc.get_threshold()
    try:
        with split_store_for(options.cache):
            for index, records in chunks:
                gc.set_threshold(*GC_THRESHOLDS)  # this process's own setting is restored below
                try:
                    rows = label_records(lab, records, batch_size=options.batch_size, explain=options.explain,
                                         keep_text=options.keep_text)
                finally:
                    gc.set_threshold(*old_gc)
                yield index, rows
    finally:
        gc.set_threshold(*old_gc)
    if on_peak:
        on_peak(peak_rss())


class _Here:
    """This process as one of the jobs: its labeler is built on first use (while the workers
    load theirs), then it runs tasks like a worker (:func:`cxrlabel.batch.dedup.run_task`)."""

    def __init__(self, options: LabelOptions, labeler: Labeler | None) -> None:
        self.options, self.given, self.lab = options, labeler, None
        self.used = False

    def labeler(self) -> Labeler:
        if self.lab is None:
            self.lab = with_cache(self.given, self.options.cache) if self.given is not None else build_labeler(self.options)
            self.lab.ensure_checked()
        self.used = True
        return self.lab

    def run(self, task: Task) -> Any:
        return run_task(self.labeler(), task, self.options)  # under _parent_gc


@contextmanager
def _parent_gc() -> Iterator[None]:
    """This process's gc during a pool run: the batch thresholds, and what it holds now (its
    labeler, the model, the ontology) frozen out of every pass until the run ends. A full pass
    over that heap stalls this process — and so the workers it feeds — for ≈ 0.2 s, and
    before a fork it would also make each worker copy every page it shares. Objects the
    caller froze itself are left as they are (nothing is frozen or unfrozen then)."""
    old = gc.get_threshold()
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        if freeze:
            gc.unfreeze()


def _run_pool(
    chunks: Iterable[Chunk], options: LabelOptions, jobs: int, labeler: Labeler | None, on_peak: Callable[[int], None] | None,
    on_ready: Callable[[], None] | None = None,
) -> Iterator[tuple[int, Rows]]:
    """``jobs - 1`` workers and this process (:class:`_Here`) share the work: each
    distinct sentence is judged once (:class:`cxrlabel.batch.dedup.Plan`)."""
    import multiprocessing

    from ..labeler import checked_fingerprints

    check_main_guard()
    if options.cache:  # a broken cache is one CacheError here, not a worker's traceback
        from ..cache import ParseCache

        ParseCache(options.cache).check()
    workers = jobs - 1
    old = single_thread_env()  # inherited by the workers before they import anything
    quiet = quiet_broken_pool_race().__enter__()
    try:
        here = _Here(options, labeler)
        method = start_method()
        given = labeler
        if method == "fork":  # the workers start as copies of this process's ready labeler
            given = here.labeler()
            release_files(given)
        with _parent_gc():
            ctx = multiprocessing.get_context(method)
            initargs = (options, given, checked_fingerprints(), os.getpid())
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=init_worker, initargs=initargs)
            try:
                if method == "fork":
                    pool.submit(os.getpid)  # a fork pool starts every worker at its first task: now
                with split_store_for(options.cache):
                    if on_ready is not None:
                        _wait_ready(pool, workers, here)
                        on_ready()
                    # tasks in flight: AHEAD per worker, one here; the pool is one process (one memo) when it has one worker
                    plan = Plan(chunks, spread=2 * (AHEAD * workers + 1), alone=(HERE, POOL) if workers == 1 else (HERE,))
                    yield from schedule(pool, plan, workers, here.run, task_in_worker, on_peak)
                if on_peak and here.used:
                    on_peak(peak_rss())
            except BaseException:  # an error, Ctrl-C, or the caller stopped reading: no waiting
                _stop_now(pool)
                raise
            pool.shutdown(wait=True)
    finally:
        restore_env(old)
        quiet.__exit__()


def _wait_ready(pool: ProcessPoolExecutor, workers: int, here: _Here) -> None:
    """Build this process's labeler and wait until every worker has built its own."""
    seen: set[int] = set()
    here.labeler()
    while len(seen) < workers:
        seen.update(result_of(f) for f in [pool.submit(_ready_pid) for _ in range(workers)])


def _ready_pid() -> int:
    time.sleep(0.05)  # long enough for each idle worker to take one
    return os.getpid()


def _stop_now(pool: ProcessPoolExecutor) -> None:
    """Cancel the queued chunks and end the workers now, mid-chunk: their rows are not wanted
    and finishing a chunk can take minutes, which Ctrl-C would otherwise wait for."""
    # ProcessPoolExecutor has no public way to end its workers before Python 3.14
    procs = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)  # shutdown() forgets it
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.join(5)
    # Join the pool's manager thread now: while it is still closing its wake-up pipe, the
    # interpreter's exit hook writes to that pipe and prints a traceback (CPython 3.11).
    if manager is not None and manager.is_alive():
        manager.join(5)


def chunked(records: Iterable[T], size: int, start: int = 0) -> Iterator[tuple[int, list[T]]]:
    """``(index, records)`` chunks of ``size`` records, numbered from ``start``."""
    buf: list[T] = []
    k = start
    for rec in records:
        buf.append(rec)
        if len(buf) == size:
            yield k, buf
            buf, k = [], k + 1
    if buf:
        yield k, buf


def progress_bar(total: int | None, enabled: bool, initial: int = 0) -> Any:
    """A tqdm bar on stderr counting reports (disabled: counts silently)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="report", file=sys.stderr, disable=not enabled, dynamic_ncols=True, smoothing=0.05)
