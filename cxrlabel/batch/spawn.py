"""How the worker pool's processes start (``jobs > 1``): :func:`start_method` (fork on Linux,
spawn elsewhere), :func:`release_files` before a fork, and the safety check of a spawn pool.

With the *spawn* start method every worker re-runs the top level of the caller's script
before it can take work. A script that calls ``label_many(jobs=2)`` at its top level, without
``if __name__ == "__main__":``, would start pools recursively; multiprocessing stops that in
each worker and the caller only sees ``BrokenProcessPool``. :func:`check_main_guard` finds the
mistake before any worker starts (and in a worker, should one get that far) and raises
:class:`~cxrlabel.errors.InputError` ``I237`` saying what to add. A forked worker does not
re-run the script, but the check applies on every platform, so that a script that works on
Linux works everywhere.
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path
from types import FrameType, ModuleType
from typing import TYPE_CHECKING

from ..errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from ..labeler import Labeler

__all__ = ["GUARD_HINT", "check_main_guard", "release_files", "start_method", "unguarded_line"]

GUARD_HINT = (
    'put the code that calls label_many under  if __name__ == "__main__":  (where worker processes '
    "are spawned — macOS, Windows, CXRLABEL_START_METHOD=spawn — they re-run the top level of your "
    "script), or use jobs=1"
)


def _is_main_test(node: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq)):
        return False
    sides = [node.left, node.comparators[0]]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    consts = [s.value for s in sides if isinstance(s, ast.Constant)]
    return names == ["__name__"] and consts == ["__main__"]


def _module_frame(main: ModuleType) -> FrameType | None:
    """The frame running ``main``'s top level, if the current call comes from it."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals is main.__dict__:
            return frame
        frame = frame.f_back
    return None


def unguarded_line(main: ModuleType | None = None) -> int | None:
    """The line of the caller's script (``__main__``) whose top-level code, outside an
    ``if __name__ == "__main__":`` block, led to this call; ``None`` when the call is guarded,
    comes from no script (REPL, notebook, ``python -c``) or the source cannot be read."""
    main = main if main is not None else sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or not path or not str(path).endswith(".py"):
        return None
    frame = _module_frame(main)
    if frame is None:
        return None
    line = frame.f_lineno
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.If) and _is_main_test(node.test):
            if node.lineno <= line <= (node.end_lineno or node.lineno):
                return None
    return line


def check_main_guard() -> None:
    """Raise ``I237`` when starting a spawned pool now would re-run the caller's script."""
    import multiprocessing

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise InputError(
            "label_many(jobs > 1) was called while a worker process was starting, i.e. from the "
            f"top level of the script being re-run in it; {GUARD_HINT}",
            code="I237",
        )
    main = sys.modules.get("__main__")
    line = unguarded_line(main)
    if line is not None:
        raise InputError(
            f"{getattr(main, '__file__', '__main__')}:{line}: label_many(jobs > 1) is called from "
            f"the top level of the script; {GUARD_HINT}",
            code="I237",
        )


def start_method() -> str:
    """How worker processes start: ``$CXRLABEL_START_METHOD`` (``fork`` or ``spawn``), else
    ``fork`` on Linux (a worker is a copy of this process's ready labeler: no imports, no model
    load) and ``spawn`` elsewhere (where fork is unsafe or missing)."""
    import multiprocessing

    chosen = os.environ.get("CXRLABEL_START_METHOD", "").strip().lower()
    if chosen:
        if chosen not in ("fork", "spawn") or chosen not in multiprocessing.get_all_start_methods():
            raise InputError(f"CXRLABEL_START_METHOD={chosen!r}: use fork or spawn "
                             f"(this platform has: {', '.join(multiprocessing.get_all_start_methods())})", code="I239")
        return chosen
    return "fork" if sys.platform.startswith("linux") else "spawn"


def release_files(lab: Labeler) -> None:
    """Before a fork: store what is buffered and close this process's sqlite connections (the
    parse cache, the decision memo, the split store), so that no open database crosses into a
    worker; each process reopens its own on next use."""
    from ..document import split_store

    memo, splits = lab.memo, split_store()
    for holder in (memo, splits):
        if holder is not None:
            holder.flush()
    for holder in (getattr(lab.parser, "cache", None), getattr(memo, "store", None), getattr(splits, "store", None)):
        close = getattr(holder, "close", None)
        if close is not None:
            close()
