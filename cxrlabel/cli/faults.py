"""One coded error line, never a traceback, for faults of the run rather than of its input:
Ctrl-C, a full disk (or stdout sent to ``/dev/full``), a closed stdout, a folder that cannot be
written. :class:`~cxrlabel.cli.LazyGroup` maps these here; each line says what to do next.
"""

from __future__ import annotations

import errno
import os
import sys

from ..errors import InputError

__all__ = ["interrupted", "os_fault", "silence_stdout"]

_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_NOT_WRITABLE = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


def interrupted(command: str | None) -> InputError:
    """Ctrl-C (``I260``); for ``label``, how to continue the run."""
    if command == "label":
        advice = (
            "with -o OUT the finished shards are kept in OUT.parts/: run the same command with "
            "--resume to label only what is left; without -o the rows on stdout are incomplete"
        )
    else:
        advice = f"`cxrlabel {command}` stopped before it finished" if command else "stopped before it finished"
    return InputError(f"interrupted (Ctrl-C); {advice}", code="I260")


def _where(exc: OSError) -> str:
    if exc.filename is not None:
        return str(exc.filename)
    return "the output (stdout)"


def os_fault(exc: OSError) -> InputError:
    """The coded error for an operating-system failure that reached the command."""
    where, reason = _where(exc), exc.strerror or str(exc)
    if exc.errno in _NO_SPACE:
        return InputError(
            f"no space left while writing {where} ({reason}); free some space or write elsewhere "
            "(-o PATH on another disk); with -o, the same command with --resume continues the run",
            code="I261",
        )
    if exc.errno in _NOT_WRITABLE:
        return InputError(
            f"cannot write {where} ({reason}); choose a folder you may write to (-o PATH), or "
            "change its permissions",
            code="I263",
        )
    name = errno.errorcode.get(exc.errno or 0, "OSError")
    return InputError(f"{where}: {reason} ({name}); check the path, the disk and the permissions", code="I264")


def silence_stdout() -> None:
    """Point stdout at the null device, so that Python's final flush of what is still
    buffered fails no more (and prints no second error) after a write error was reported."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real stdout: nothing to silence
        pass
