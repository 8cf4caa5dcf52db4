"""Handing a deduplicated run's tasks (:class:`cxrlabel.batch.dedup.Plan`) to the pool's workers
and to this process.

Each worker is kept :data:`AHEAD` tasks ahead; this process runs the next task itself
meanwhile. A worker's result is taken, and its next task sent, the moment it finishes (a
future's done-callback, under one lock) — not when this process is between two tasks of its
own — so a worker never waits for this process. A worker that died is one ``I238`` error.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Iterator

from ..errors import InputError
from .dedup import HERE, POOL, Plan, Task
from .spawn import GUARD_HINT

__all__ = ["AHEAD", "result_of", "schedule"]

#: Tasks queued on each worker beyond the one it runs, so that it never waits for this process.
AHEAD = 2

Rows = list[dict[str, Any]]
_EMPTY = object()


def _broken(exc: BaseException) -> InputError:
    return InputError(
        f"a worker process died before it could label its reports ({exc}); if your script calls "
        f"label_many at its top level, {GUARD_HINT}; otherwise it may have run out of memory "
        "(try fewer jobs) — its error, if any, is on stderr above",
        code="I238",
    )


def result_of(fut: Any) -> Any:
    """``fut.result()``, a dead worker (``BrokenProcessPool``) as ``I238``."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        return fut.result()
    except BrokenProcessPool as exc:
        raise _broken(exc) from exc


class _Feeder:
    """The state shared by the calling thread and the pool's result callbacks."""

    def __init__(self, pool: ProcessPoolExecutor, plan: Plan, workers: int, work: Callable[[Task], Any],
                 on_peak: Callable[[int], None] | None) -> None:
        self.pool, self.plan, self.cap, self.work, self.on_peak = pool, plan, AHEAD * workers, work, on_peak
        self.lock = threading.RLock()  # a callback may run inside submit() if the future is done at once
        self.inflight: set[Any] = set()
        self.done: queue.SimpleQueue[Any] = queue.SimpleQueue()  # finished chunks and wake-ups (None)
        self.failed: list[BaseException] = []

    def refill(self) -> None:
        """Send tasks until every worker is :data:`AHEAD` ahead (with the lock held)."""
        from concurrent.futures.process import BrokenProcessPool

        while not self.failed and len(self.inflight) < self.cap:
            task = self.plan.next_task(POOL)
            if task is None:
                return
            try:
                fut = self.pool.submit(self.work, task)
            except BrokenProcessPool as exc:
                raise _broken(exc) from exc
            self.inflight.add(fut)
            fut.add_done_callback(lambda f, t=task: self.collect(f, t))

    def collect(self, fut: Any, task: Task) -> None:
        """A worker's result: record it, queue the chunks it completes, send more work."""
        with self.lock:
            self.inflight.discard(fut)
            try:
                result, rss = result_of(fut)
                if self.on_peak:
                    self.on_peak(rss)
                for item in self.plan.done(task, result, POOL):
                    self.done.put(item)
                self.refill()
            except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
                self.failed.append(exc)
        self.done.put(None)

    def next_here(self) -> tuple[bool, Task | None]:
        """``(finished, the task this process runs next or None)``."""
        with self.lock:
            if self.failed:
                raise self.failed[0]
            if self.plan.finished and not self.inflight:
                return True, None
            task = self.plan.next_task(HERE)
            if task is None and not self.inflight and not self.plan.finished:
                raise RuntimeError("batch plan stalled: no task to run and none running")  # a bug, never expected
            return False, task

    def ready(self, block: bool) -> Iterator[Any]:
        """The chunks finished so far (waiting for the next result first when ``block``)."""
        item = self.done.get() if block else _poll(self.done)
        while item is not _EMPTY:
            if item is not None:
                yield item
            item = _poll(self.done)


def _poll(q: queue.SimpleQueue[Any]) -> Any:
    try:
        return q.get_nowait()
    except queue.Empty:
        return _EMPTY


def schedule(pool: ProcessPoolExecutor, plan: Plan, workers: int, here: Callable[[Task], Any],
             work: Callable[[Task], Any], on_peak: Callable[[int], None] | None) -> Iterator[tuple[int, Rows]]:
    """Run ``plan`` on ``pool``'s ``workers`` (each task as ``work(task)`` there, which returns
    ``(result, peak RSS)``) and here (``here(task)``, the result); yields every chunk's
    ``(index, rows)`` as its last part is done."""
    feed = _Feeder(pool, plan, workers, work, on_peak)
    with feed.lock:
        feed.refill()
    while True:
        finished, task = feed.next_here()
        if finished:
            break
        if task is not None:
            result = here(task)
            with feed.lock:
                completed = list(plan.done(task, result, HERE))
                feed.refill()
            yield from completed
        yield from feed.ready(block=task is None)
    yield from feed.ready(block=False)  # chunks the last callbacks finished
