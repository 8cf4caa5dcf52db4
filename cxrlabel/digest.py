"""A text form of a value that is the same in every process, for digests that are persisted.

``repr`` of a ``set``/``frozenset`` (and of a dict built from one) lists its items in hash
order, and Python randomizes string hashes per process (``PYTHONHASHSEED``): a digest of such a
``repr`` differs from one run to the next, so a persisted memo keyed by it is never found
again. :func:`stable_repr` sorts them.
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

__all__ = ["stable_repr"]


def stable_repr(obj: Any) -> str:
    """``obj`` as text, with set items and dict entries sorted, recursively: dataclasses by
    their fields, enums by class and name, an object with a ``stable_key()`` method by that
    key, anything else by ``repr``."""
    if isinstance(obj, (set, frozenset)):
        return "{" + ", ".join(sorted(stable_repr(x) for x in obj)) + "}"
    if isinstance(obj, dict):
        return "{" + ", ".join(sorted(f"{stable_repr(k)}: {stable_repr(v)}" for k, v in obj.items())) + "}"
    if isinstance(obj, (list, tuple)):
        return ("[" if isinstance(obj, list) else "(") + ", ".join(stable_repr(x) for x in obj) + ("]" if isinstance(obj, list) else ")")
    if isinstance(obj, Enum):
        return f"{type(obj).__name__}.{obj.name}"
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = ", ".join(f"{f.name}={stable_repr(getattr(obj, f.name))}" for f in dataclasses.fields(obj))
        return f"{type(obj).__name__}({fields})"
    key = getattr(obj, "stable_key", None)
    if callable(key) and not isinstance(obj, type):
        return f"{type(obj).__name__}{stable_repr(key())}"
    return repr(obj)
