"""The sentence-split memo persisted beside the parse cache (issue 14).

Splitting a section into sentences (:func:`cxrlabel.sentences.sentence_spans`: Punkt and the
radiology cuts) is memoized per section text in each process
(:func:`cxrlabel.document.section_spans`). A new process starts with that memo empty, and on a
warm run (every sentence in the decision memo) splitting would then be most of the cost. With a
parse cache, batch labeling puts a :class:`SplitStore` under the in-process memo
(:func:`cxrlabel.document.use_split_store`): a ``splits`` table of the cache file, read one
row per section text the process has not split yet, written behind in batches.

A row: ``key`` = sha256 of (the splitter version, the characters before the section, the
section text), ``value`` = the spans relative to the section as compact JSON, ``checksum`` =
sha256 of key and value. A row whose checksum does not match, or whose spans do not lie in
order inside the section, is ignored (the section is split again and the row overwritten).
The splitter version (:func:`cxrlabel.document.splitter_version`) digests the source of
:mod:`cxrlabel.sentences`, the split context and the NLTK version, so a changed splitter never
reads old rows.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from .cache import FLUSH_EVERY, ParseCache

__all__ = ["SplitStore", "Spans"]

_TABLE = "CREATE TABLE IF NOT EXISTS splits (key TEXT PRIMARY KEY, value TEXT NOT NULL, checksum TEXT NOT NULL) WITHOUT ROWID"

Spans = tuple[tuple[int, int], ...]


def _sha(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _valid(spans: Any, length: int) -> bool:
    prev = 0
    for pair in spans:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, int) for v in pair)):
            return False
        a, b = pair
        if not (prev <= a < b <= length):
            return False
        prev = b
    return True


class SplitStore:
    """The ``splits`` table of the parse cache file ``path`` (see the module docstring), for
    the splitter ``version`` (:func:`cxrlabel.document.splitter_version`)."""

    def __init__(self, path: Any, version: str) -> None:
        self.version = version
        self.store = path if isinstance(path, ParseCache) else ParseCache(path)
        self.path = self.store.path
        self._pending: dict[str, tuple[str, str, str]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SplitStore({str(self.path)!r})"

    def _conn(self) -> Any:
        return self.store.table_conn(_TABLE, "sentence split")

    def row_key(self, before: str, body: str) -> str:
        return _sha(self.version, before, body)

    def get(self, before: str, body: str) -> Spans | None:
        """The stored spans of section ``body`` (preceded by ``before``), or None."""
        key = self.row_key(before, body)
        with self._lock:
            row = self._pending.get(key)
            if row is None:
                row = self._conn().execute("SELECT key, value, checksum FROM splits WHERE key = ?", (key,)).fetchone()
        if row is None or row[2] != _sha(key, row[1]):
            return None
        try:
            spans = json.loads(row[1])
        except ValueError:
            return None
        if not isinstance(spans, list) or not _valid(spans, len(body)):
            return None
        return tuple((a, b) for a, b in spans)

    def put(self, before: str, body: str, spans: Spans) -> None:
        key = self.row_key(before, body)
        value = json.dumps([list(s) for s in spans], separators=(",", ":"))
        with self._lock:
            self._pending[key] = (key, value, _sha(key, value))
            full = len(self._pending) >= FLUSH_EVERY
        if full:
            self.flush()

    def flush(self) -> None:
        """Store the buffered rows (one transaction)."""
        with self._lock:
            rows, self._pending = list(self._pending.values()), {}
            if rows:
                self.store.write_rows(_TABLE, "sentence split", "INSERT OR REPLACE INTO splits VALUES (?, ?, ?)", rows)

    def stored(self) -> int:
        """How many rows the file holds (flushed ones)."""
        with self._lock:
            return int(self._conn().execute("SELECT COUNT(*) FROM splits").fetchone()[0])
