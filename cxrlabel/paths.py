"""The cache folder: the one place cxrlabel keeps files it can rebuild or download again.

``$CXRLABEL_CACHE_DIR`` when set, else ``platformdirs.user_cache_dir("cxrlabel")``. Its users
each keep one thing in it: the parse cache (``parses.sqlite``, :mod:`cxrlabel.cache`), the
concept index (:mod:`cxrlabel.concepts`) and the downloaded OpenI reports (``openi/``,
:mod:`cxrlabel.gold.openi`). Point the variable at a local, writable disk for batch jobs.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_ENV", "cache_dir"]

#: Environment variable naming the cache folder.
CACHE_ENV = "CXRLABEL_CACHE_DIR"


def cache_dir() -> Path:
    """``$CXRLABEL_CACHE_DIR`` (``~`` expanded) when set, else the user cache folder."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("cxrlabel"))
