"""Worker processes die with the process that started them.

A pool worker (``jobs > 1``) holds a parser model (~0.7 GB); when its parent is killed
(SIGKILL, out of memory) nothing tells it to stop, and it used to live on for minutes with
the multiprocessing resource tracker (whose pipe it keeps open). Two cheap ties, set in the
worker's initializer:

- on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the worker the moment its
  parent exits;
- everywhere, a daemon thread that polls the parent's pid every :data:`POLL_S` seconds and
  ends the worker (``os._exit``) once the worker has been re-parented.

Workers also ignore SIGINT: Ctrl-C reaches the whole process group, and only the parent
should answer it (it stops the pool and says how to ``--resume``), not every worker with a
traceback of its own.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

__all__ = ["ORPHAN_EXIT", "POLL_S", "ignore_interrupts", "parent_gone", "quiet_broken_pool_race", "tie_to_parent"]

#: Seconds between two looks at the parent's pid (the orphan's worst-case lifetime).
POLL_S = 0.5
#: The exit status of a worker that found itself orphaned (EX_SOFTWARE).
ORPHAN_EXIT = 70
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _kill_with_parent() -> bool:
    """Ask the Linux kernel to SIGKILL this process when its parent exits; whether it took."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):  # no libc symbol: the watchdog still runs
        return False


def parent_gone(parent: int) -> bool:
    """Whether this process's parent is no longer ``parent`` (it died and we were re-parented)."""
    return os.getppid() != parent


def _watch(parent: int) -> None:
    while not parent_gone(parent):
        time.sleep(POLL_S)
    os._exit(ORPHAN_EXIT)  # the parent is gone: nobody will read what this worker labels


def tie_to_parent(parent: int) -> None:
    """Make this process end when ``parent`` (the pid that started it) ends: the kernel's
    parent-death signal where there is one, and a watchdog thread everywhere. A parent that
    already died before this ran ends the process at once."""
    _kill_with_parent()
    if parent_gone(parent):  # died before prctl took effect
        os._exit(ORPHAN_EXIT)
    threading.Thread(target=_watch, args=(parent,), name="cxrlabel-parent-watch", daemon=True).start()


def ignore_interrupts() -> None:
    """Leave Ctrl-C (SIGINT) to the parent process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class quiet_broken_pool_race:
    """While a process pool runs: drop the one known stray traceback of CPython's pool manager
    thread. When a worker dies, ``ProcessPoolExecutor`` sets an error on every pending future,
    and on a future this package had already cancelled (to judge its sentences here) CPython
    3.11 raises ``InvalidStateError`` in that thread and prints it; the run itself ends with its
    one I238 line either way. Every other thread exception is shown as usual."""

    def __enter__(self) -> quiet_broken_pool_race:
        from concurrent.futures import InvalidStateError

        self._old = threading.excepthook

        def hook(args: threading.ExceptHookArgs) -> None:
            if args.exc_type is InvalidStateError and "cancelled" in str(args.exc_value).lower():
                return
            self._old(args)

        threading.excepthook = hook
        return self

    def __exit__(self, *exc: object) -> None:
        threading.excepthook = self._old
