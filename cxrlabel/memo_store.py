"""The sentence decision memo persisted beside the parse cache (issue 14).

:class:`PersistentMemo` is a :class:`~cxrlabel.memo.SentenceMemo` (the in-process LRU) that
reads through to, and writes behind into, a ``memo`` table of the parse cache's sqlite file
(:class:`~cxrlabel.cache.ParseCache`): a re-run with ``--cache`` neither parses nor judges a
sentence any earlier run judged with the same labeler.

A row: ``key`` = sha256 of the memo key (labeler fingerprint, scheme, sentence text), the
``labeler`` fingerprint, ``text_hash`` = sha256 of the sentence text, ``value`` = the entry
(:func:`cxrlabel.memo.relative` mentions) as compact JSON, and ``checksum`` = sha256 of key,
text hash and value. A row whose checksum or text hash does not match what is looked up is
ignored (and later overwritten): it is never used. The fingerprint digests the parser
version, every rule, the ontology and the policy, so an edited rule or ontology never reads an
old row — invalidated by construction. Writes are buffered and stored in one transaction per
:data:`cxrlabel.cache.FLUSH_EVERY` entries and on :meth:`PersistentMemo.flush` (the labeler flushes at the
end of every :meth:`~cxrlabel.labeler.Labeler.iter_labels` stream). A batch's lookups
(:meth:`PersistentMemo.get_many`, what ``iter_labels(reuse=True)`` asks per batch) read
the file in one ``SELECT`` per :data:`cxrlabel.cache.QUERY_CHUNK` keys.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from typing import Any, Sequence

from .cache import FLUSH_EVERY, ParseCache
from .memo import DEFAULT_MAXSIZE, Entry, MemoKey, SentenceMemo
from .types import Label, Mention

__all__ = ["PersistentMemo", "decode_entry", "encode_entry"]

_TABLE = (
    "CREATE TABLE IF NOT EXISTS memo (key TEXT PRIMARY KEY, labeler TEXT NOT NULL, "
    "text_hash TEXT NOT NULL, value TEXT NOT NULL, checksum TEXT NOT NULL) WITHOUT ROWID"
)


def _sha(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def encode_entry(entry: Entry) -> str:
    """A memo entry as compact JSON (its mentions are sentence-relative: no sentence index or section)."""
    rows = [[m.finding, m.cui, m.text, m.start, m.end, m.head, list(m.nodes), m.polarity.value, list(m.rules)] for m in entry]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def decode_entry(value: str) -> Entry:
    """The inverse of :func:`encode_entry`."""
    return tuple(
        Mention(f, cui, text, start, end, 0, head, tuple(nodes), Label(pol), tuple(rules), None)
        for f, cui, text, start, end, head, nodes, pol, rules in json.loads(value)
    )


class PersistentMemo(SentenceMemo):
    """A :class:`~cxrlabel.memo.SentenceMemo` backed by the ``memo`` table of the parse cache
    file ``path``. Picklable: a batch worker gets its own, on the same file."""

    def __init__(self, path: str | os.PathLike[str] | None = None, maxsize: int = DEFAULT_MAXSIZE) -> None:
        super().__init__(maxsize)
        self.store = ParseCache(path)
        self.path = self.store.path
        self._pending: dict[str, tuple[str, str, str, str, str]] = {}
        self._io_lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"maxsize": self.maxsize, "path": str(self.path)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], int(state["maxsize"]))  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"PersistentMemo({str(self.path)!r})"

    def _conn(self) -> sqlite3.Connection:
        return self.store.table_conn(_TABLE, "decision memo")

    @staticmethod
    def row_key(key: MemoKey) -> str:
        """The stored key of a memo key (a digest of all its parts)."""
        return _sha(*key)

    def get(self, key: MemoKey) -> Entry | None:
        entry = super().get(key)
        if entry is not None:
            return entry
        entry = self._read(key)
        if entry is not None:
            self._found([(key, entry)])
        return entry

    def get_many(self, keys: Sequence[MemoKey]) -> list[Entry | None]:
        """:meth:`get` of each key, in order: the LRU first, then the write buffer, then one
        ``SELECT`` per :data:`cxrlabel.cache.QUERY_CHUNK` keys for the rest."""
        out = super().get_many(keys)
        rest: dict[str, list[int]] = {}  # row key → the positions that want it
        for n, entry in enumerate(out):
            if entry is None:
                rest.setdefault(self.row_key(keys[n]), []).append(n)
        if not rest:
            return out
        entries: dict[str, Entry | None] = {}
        rows: list[tuple[str, str, str, str]] = []
        with self._io_lock:
            for rk in rest:
                pending = self._pending.get(rk)
                if pending is not None:
                    entries[rk] = decode_entry(pending[3])
            ask = [rk for rk in rest if rk not in entries]
            if ask:
                self._conn()  # the memo table exists
                rows.extend(self.store.select_in("SELECT key, text_hash, value, checksum FROM memo WHERE key IN ({})", ask))
        for rk, th, value, checksum in rows:
            entries[rk] = self._verified(keys[rest[rk][0]], rk, th, value, checksum)
        found = []
        for rk, entry in entries.items():
            if entry is not None:
                for n in rest[rk]:
                    out[n] = entry
                    found.append((keys[n], entry))
        self._found(found)
        return out

    def _found(self, found: Sequence[tuple[MemoKey, Entry]]) -> None:
        """Keep entries the file (or the write buffer) answered in the LRU; each lookup the
        LRU missed but the file answered counts as a hit."""
        for key, entry in found:
            super().put(key, entry)
        with self._lock:
            self.misses -= len(found)
            self.hits += len(found)

    @staticmethod
    def _verified(key: MemoKey, rk: str, text_hash: str, value: str, checksum: str) -> Entry | None:
        """The entry of a stored row, or None for a damaged row or another sentence's (judged
        again, then overwritten): its text hash and checksum must match."""
        if text_hash != _sha(key[-1]) or checksum != _sha(rk, text_hash, value):
            return None
        try:
            return decode_entry(value)
        except (ValueError, TypeError):
            return None

    def _read(self, key: MemoKey) -> Entry | None:
        rk = self.row_key(key)
        pending = self._pending.get(rk)
        if pending is not None:
            return decode_entry(pending[3])
        with self._io_lock:
            row = self._conn().execute("SELECT text_hash, value, checksum FROM memo WHERE key = ?", (rk,)).fetchone()
        return None if row is None else self._verified(key, rk, *row)

    def put(self, key: MemoKey, entry: Entry) -> None:
        super().put(key, entry)
        rk, th, value = self.row_key(key), _sha(key[-1]), encode_entry(entry)
        with self._io_lock:
            self._pending[rk] = (rk, key[0], th, value, _sha(rk, th, value))
            full = len(self._pending) >= FLUSH_EVERY
        if full:
            self.flush()

    def flush(self) -> None:
        """Store the buffered entries (one transaction)."""
        with self._io_lock:
            rows, self._pending = list(self._pending.values()), {}
            if rows:
                self.store.write_rows(_TABLE, "decision memo", "INSERT OR REPLACE INTO memo VALUES (?, ?, ?, ?, ?)", rows)

    def stored(self) -> int:
        """How many entries the file holds (flushed ones)."""
        with self._io_lock:
            return int(self._conn().execute("SELECT COUNT(*) FROM memo").fetchone()[0])

    def clear(self) -> int:  # type: ignore[override]
        """Forget every entry, in memory and in the file; returns how many the file held."""
        super().clear()
        with self._io_lock:
            self._pending = {}
            conn = self._conn()
            n = int(conn.execute("SELECT COUNT(*) FROM memo").fetchone()[0])
            conn.execute("DELETE FROM memo")
        return n
