"""A persistent parse cache: sentence text → parsed, normalized :class:`~cxrlabel.types.Sentence`.

Parsing is most of the cost of labeling, and it does not depend on the rules or the ontology,
so a batch job that is re-run after a grammar or ontology change can reuse every parse. The
cache is a single sqlite file (WAL journal, busy timeout) that several worker processes may
read and write at once.

Key: ``sha256(parser name \\0 parser version \\0 value format \\0 sentence text)``. A parser's
``version`` already names its library, its model and the normalization version
(see :attr:`cxrlabel.parsers.spacy.SpacyParser.version`), so a new model or a new
normalization never reads an old parse. Value: the sha256 of the rest (64 hex digits), then
the sentence's own serialisation (:meth:`~cxrlabel.types.Sentence.to_dict`, which holds the
sentence text) relative to its own text (offsets from 0), as compact JSON; :func:`decode`
places it back in a report.

Every entry read is verified (:func:`verified`): its checksum, and its text against the text
asked for. An entry that fails (a tampered, corrupt or mismatched value) is a miss — the
sentence is parsed again and the entry rewritten — and is counted in
:attr:`CachedParser.rejected` and logged (logger ``cxrlabel.cache``); it is never used.

A cache that cannot be opened, read or written raises :class:`~cxrlabel.errors.CacheError`
(``I290`` when opening, ``I291`` while labeling: a full disk, a read-only or corrupt file)
with its advice (``cxrlabel cache clear``, ``--no-cache``): the run stops with that one
error; no report is labeled from a broken cache or called normal because of it.

:class:`CachedParser` wraps any :class:`~cxrlabel.parsers.Parser`: it looks every text up,
parses only the misses in one batch, stores them, and returns the sentences in order — the
labeler needs no change (``Labeler(parser=CachedParser(SpacyParser(), ParseCache(path)))``).

Default location: ``parses.sqlite`` in the cache folder (:func:`cxrlabel.paths.cache_dir`:
``$CXRLABEL_CACHE_DIR`` when that variable is set, else the user cache folder).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from .errors import CacheError
from .parsers.base import Parser, parse_placed
from .paths import CACHE_ENV, cache_dir
from .types import Sentence

__all__ = ["CACHE_ENV", "CacheError", "CachedParser", "CacheInfo", "FLUSH_EVERY", "ParseCache", "QUERY_CHUNK", "cache_dir", "default_cache_path"]

_FILE = "parses.sqlite"
_SCHEMA = 1  # the table layout; the value format is part of the key
# The value format, part of every key: a new format never reads a value of an old one.
# 1: [text, tokens without i, edges]; 2: Sentence.to_dict() less its placement;
# 3: sha256 of the JSON (64 hex digits), then format 2's JSON.
_FORMAT = 3
_SUM = 64  # hex digits of the checksum in front of a value
_ADVICE = "run `cxrlabel cache clear` (or delete the file), pass another --cache PATH, or use --no-cache"
_log = logging.getLogger("cxrlabel.cache")
_PLACEMENT = ("start", "end", "index", "section")
#: Rows a side table of the cache file (decision memo, sentence splits) buffers before it writes them.
FLUSH_EVERY = 512
#: Keys per ``SELECT ... IN (...)``: sqlite's default limit on host parameters is 999 (older builds).
QUERY_CHUNK = 500
#: Seconds one cache operation waits for another process's lock (sqlite's busy timeout); a
#: lock held longer, after one more try, is a :class:`CacheError` ``I297`` that names the file,
#: so a stuck or foreign lock stops a run within seconds instead of blocking it silently.
LOCK_TIMEOUT_S = 5.0
_LOCK_TRIES = 2


def default_cache_path() -> Path:
    """``parses.sqlite`` in the cache folder (:func:`cxrlabel.paths.cache_dir`)."""
    return cache_dir() / _FILE


def cache_key(parser_name: str, parser_version: str, text: str) -> str:
    """The cache key of one sentence text for one parser build (and this value format)."""
    key = f"{parser_name}\0{parser_version}\0{_FORMAT}\0{text}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _moved(tokens: list[list[Any]], by: int) -> list[list[Any]]:
    return [[i, tx, lm, tg, ps, s + by, e + by] for i, tx, lm, tg, ps, s, e in tokens]


def encode(sentence: Sentence) -> str:
    """:meth:`Sentence.to_dict <cxrlabel.types.Sentence.to_dict>` of ``sentence`` relative to
    its own start, without its place in the report (``start``, ``end``, ``index``, ``section``),
    as compact JSON: a parse depends on the sentence text only."""
    d = sentence.to_dict()
    d["tokens"] = _moved(d["tokens"], -sentence.start)
    for k in _PLACEMENT:
        del d[k]
    body = json.dumps(d, ensure_ascii=False, separators=(",", ":"))
    return _checksum(body) + body


def _checksum(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


def verified(value: str, text: str) -> dict[str, Any] | None:
    """The stored sentence of ``value`` if its checksum holds and it is the parse of
    ``text``, else None (the entry must not be used)."""
    body = value[_SUM:] if isinstance(value, str) else ""
    if not body or value[:_SUM] != _checksum(body):
        return None
    try:
        d = json.loads(body)
    except ValueError:
        return None
    return d if isinstance(d, dict) and d.get("text") == text else None


def decode(value: str | dict[str, Any], offset: int = 0, index: int = 0, section: str | None = None) -> Sentence:
    """A stored sentence (a value, or what :func:`verified` returned) placed at ``offset`` in
    its report, through :meth:`Sentence.from_dict <cxrlabel.types.Sentence.from_dict>` (one
    graph build)."""
    d = dict(value) if isinstance(value, dict) else json.loads(value[_SUM:])
    d["tokens"] = _moved(d["tokens"], offset)
    d.update(start=offset, end=offset + len(d["text"]), index=index, section=section)
    return Sentence.from_dict(d)


def _foreign(path: Path) -> bool:
    """Whether ``path`` is a file with content that is not sqlite (not a cache, maybe anything)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return bool(head) and head != b"SQLite format 3\x00"


def _storable(text: str) -> bool:
    """Whether sqlite can store ``text`` (a lone surrogate cannot be encoded as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class CacheInfo:
    """What ``cxrlabel cache info`` shows."""

    path: Path
    entries: int
    size_bytes: int
    parsers: dict[str, int]  # "name version" -> entries


class ParseCache:
    """The sqlite store. Opens lazily (so it can be handed to worker processes by path) and
    reconnects after a fork/spawn. ``get_many``/``put_many`` work in batches."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, timeout: float = LOCK_TIMEOUT_S) -> None:
        self.path = Path(path) if path is not None else default_cache_path()
        self.timeout = timeout
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._stuck: CacheError | None = None  # a lock timeout, re-raised without waiting again
        self._made: tuple[sqlite3.Connection, set[str]] | None = None  # tables made on this connection

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "timeout": self.timeout}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], timeout=state["timeout"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"ParseCache({str(self.path)!r})"

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            self._conn = self._open()
            self._pid = os.getpid()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=self.timeout, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            self._retry(lambda: conn.execute("PRAGMA journal_mode = WAL"))
            conn.execute("PRAGMA synchronous = NORMAL")
            self._retry(
                lambda: conn.execute(
                    "CREATE TABLE IF NOT EXISTS parses (key TEXT PRIMARY KEY, parser TEXT NOT NULL, "
                    "version TEXT NOT NULL, value TEXT NOT NULL) WITHOUT ROWID"
                )
            )
            self._retry(lambda: conn.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT)"))
            self._retry(lambda: conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(_SCHEMA),)))
        except (sqlite3.Error, OSError) as exc:
            advice = "it is not a sqlite file (is --cache the right path?): pass another --cache PATH, or use --no-cache" if _foreign(self.path) else _ADVICE
            raise CacheError(f"cannot open the parse cache {self.path}: {exc}; {advice}", code="I290") from exc
        return conn

    def _failed(self, doing: str, exc: BaseException) -> CacheError:
        advice = f"free disk space, or {_ADVICE}" if "full" in str(exc) else _ADVICE
        return CacheError(f"the parse cache {self.path} failed while {doing} ({type(exc).__name__}: {exc}); {advice}", code="I291")

    def check(self) -> None:
        """Open the cache and write to it once: a cache that cannot be used raises
        :class:`CacheError` here (before any worker starts), not in the middle of a job."""
        try:
            self._retry(lambda: self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('checked', ?)", (str(time.time()),)))
        except sqlite3.Error as exc:
            raise self._failed("writing", exc) from exc

    def _retry(self, fn: Any, tries: int = _LOCK_TRIES) -> Any:
        if self._stuck is not None:  # one wait per process: every later call would wait again
            raise self._stuck
        for k in range(tries):
            try:
                return fn()
            except sqlite3.OperationalError as exc:  # "database is locked" beyond busy_timeout
                if "locked" not in str(exc):
                    raise
                if k == tries - 1:
                    self._stuck = self._locked(exc)
                    raise self._stuck from exc
                time.sleep(0.05 * (k + 1))
        return None  # pragma: no cover

    def _locked(self, exc: Exception) -> CacheError:
        waited = self.timeout * _LOCK_TRIES
        return CacheError(
            f"the parse cache {self.path} stayed locked by another process for {waited:g} s ({exc}); "
            "wait for the other cxrlabel run to finish, use --no-cache, or run `cxrlabel cache clear` "
            "if no other run is using it",
            code="I297",
        )

    def get_many(self, keys: list[str]) -> dict[str, str]:
        """Stored values of those ``keys`` that are present."""
        try:
            return dict(self.select_in("SELECT key, value FROM parses WHERE key IN ({})", list(dict.fromkeys(keys))))
        except sqlite3.Error as exc:
            raise self._failed("reading", exc) from exc

    def select_in(self, query: str, keys: Sequence[str]) -> list[tuple[Any, ...]]:
        """The rows of ``query`` (its ``{}`` stands for the list of ``?``) for ``keys``, in one
        ``SELECT`` per :data:`QUERY_CHUNK` keys, each retried while another process holds the lock."""
        rows: list[tuple[Any, ...]] = []
        for a in range(0, len(keys), QUERY_CHUNK):
            part = list(keys[a : a + QUERY_CHUNK])
            q = query.format(",".join("?" * len(part)))
            rows.extend(self._retry(lambda: self.conn.execute(q, part).fetchall()))
        return rows

    def put_many(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        """Store ``(key, parser, version, value)`` rows in one transaction."""
        rows = list(rows)
        if not rows:
            return

        def write() -> None:
            c = self.conn
            c.execute("BEGIN IMMEDIATE")
            try:
                c.executemany("INSERT OR REPLACE INTO parses VALUES (?, ?, ?, ?)", rows)
                c.execute("COMMIT")
            except BaseException:
                if c.in_transaction:  # a full disk may have rolled it back already
                    c.execute("ROLLBACK")
                raise

        try:
            self._retry(write)
        except sqlite3.Error as exc:
            raise self._failed("writing", exc) from exc

    def info(self) -> CacheInfo:
        """Path, entry count, size on disk and entries per parser build."""
        if not self.path.exists():
            return CacheInfo(self.path, 0, 0, {})
        q = "SELECT parser, version, COUNT(*) FROM parses GROUP BY parser, version"
        rows = self._retry(lambda: self.conn.execute(q).fetchall())
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file())
        return CacheInfo(self.path, sum(n for _, _, n in rows), size, {f"{p} {v}": n for p, v, n in rows})

    def clear(self) -> int:
        """Delete every entry; returns how many there were. A damaged cache (a sqlite file
        that cannot be read) is deleted whole (0 is returned); a file that is not sqlite at
        all is left alone (``I290``: it may be anything)."""
        if not self.path.exists():
            return 0
        try:
            n = self._retry(lambda: self.conn.execute("SELECT COUNT(*) FROM parses").fetchone()[0])
            self._retry(lambda: self.conn.execute("DELETE FROM parses"))
            self.conn.execute("VACUUM")
        except (CacheError, sqlite3.Error) as exc:
            return self._remove_damaged(exc)
        return int(n)

    def _remove_damaged(self, exc: BaseException) -> int:
        if _foreign(self.path):
            raise CacheError(
                f"{self.path} is not a sqlite file, so not a parse cache: it is left alone; delete it yourself "
                "if it was one, or pass another --cache PATH",
                code="I290",
            ) from exc
        self.close()
        for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
            p.unlink(missing_ok=True)
        _log.warning("%s: the damaged parse cache was deleted (%s)", self.path, exc)
        return 0

    def close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None

    def table_conn(self, ddl: str, what: str) -> sqlite3.Connection:
        """The connection, with the table that ``ddl`` (``CREATE TABLE IF NOT EXISTS ...``)
        creates made once per connection; ``what`` names the table in the ``I290`` error of a
        file that cannot hold it."""
        conn = self.conn
        made = self._made
        if made is None or made[0] is not conn:
            made = self._made = (conn, set())
        if ddl not in made[1]:
            try:
                conn.execute(ddl)
            except sqlite3.DatabaseError as exc:
                raise CacheError(f"cannot use the {what} table of {self.path}: {exc}; {_ADVICE}", code="I290") from exc
            made[1].add(ddl)
        return conn

    def write_rows(self, ddl: str, what: str, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """``executemany(sql, rows)`` in one transaction on the table of ``ddl`` (see :meth:`table_conn`)."""
        conn = self.table_conn(ddl, what)
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(sql, rows)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


class CachedParser:
    """A :class:`~cxrlabel.parsers.Parser` that answers from a :class:`ParseCache` and parses
    only the misses (in one batch through the wrapped parser). ``hits``/``misses`` count
    sentences since creation; ``rejected`` counts entries that failed verification (parsed
    again, never used)."""

    def __init__(self, parser: Parser, cache: ParseCache | str | os.PathLike[str] | None = None) -> None:
        self.parser = parser
        self.cache = cache if isinstance(cache, ParseCache) else ParseCache(cache)
        self.name = parser.name
        self._version = parser.version
        self.hits = 0
        self.misses = 0
        self.rejected = 0

    @property
    def version(self) -> str:
        return self._version

    def __repr__(self) -> str:
        return f"CachedParser({self.parser!r}, {self.cache!r})"

    def parse(self, texts: Iterable[str]) -> Iterator[Sentence]:
        """One Sentence per text, offsets relative to each text (the Parser protocol)."""
        yield from self.parse_spans([(t, 0, 0, None) for t in texts])

    def parse_spans(self, spans: Iterable[tuple[str, int, int, str | None]]) -> Iterator[Sentence]:
        """Sentences already placed in their report (see :func:`cxrlabel.document.parse_reports`)."""
        items = list(spans)
        keys = [cache_key(self.name, self._version, text) for text, _, _, _ in items]
        found = self.cache.get_many(keys)
        out: list[Sentence | None] = [None] * len(items)
        todo: list[int] = []
        bad = 0
        for k, ((text, off, idx, sec), key) in enumerate(zip(items, keys)):
            value = found.get(key)
            d = verified(value, text) if value is not None else None
            if d is not None:
                try:
                    out[k] = decode(d, off, idx, sec)
                    continue
                except (KeyError, TypeError, ValueError):  # well-formed JSON, not a sentence
                    pass
            bad += value is not None
            todo.append(k)
        if bad:
            self.rejected += bad
            _log.warning("%s: %d cache entries failed verification (checksum or text); parsed again", self.cache.path, bad)
        self.hits += len(items) - len(todo)
        self.misses += len(todo)
        if todo:
            first: dict[str, int] = {}  # a text repeated in the batch is parsed once
            for k in todo:
                first.setdefault(keys[k], k)
            parsed = dict(zip(first.values(), self._parse([items[k] for k in first.values()])))
            store = {}
            for key, k in first.items():
                if _storable(items[k][0]):
                    store[key] = (key, self.name, self._version, encode(parsed[k]))
            for k in todo:
                sent = parsed.get(k)
                if sent is None:
                    _, off, idx, sec = items[k]
                    sent = decode(encode(parsed[first[keys[k]]]), off, idx, sec)
                out[k] = sent
            self.cache.put_many(store.values())
        return iter(out)  # type: ignore[arg-type]

    def _parse(self, items: list[tuple[str, int, int, str | None]]) -> list[Sentence]:
        return parse_placed(self.parser, items)
