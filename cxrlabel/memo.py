"""The sentence-level decision memo (issue 14): every decision the labeler makes is local to
one sentence, and radiology reports repeat sentences ("No pneumothorax.", "The lungs are
clear."), so a sentence's judged mentions are kept and reused.

Key: ``(labeler fingerprint, scheme, sentence text)``. The fingerprint
(:attr:`cxrlabel.labeler.Labeler.fingerprint`) digests the parser version, every rule, the
ontology and its concept index, the finder's threshold and the policy, so the memo is
invalidated by construction: a labeler with an edited rule has another fingerprint and never
sees the old entries. Value: the sentence's mentions with offsets relative to the sentence
(``start``/``end`` minus the sentence start, sentence index 0, no section), polarities and
rule ids; :func:`placed` shifts them back into a report. ``explain`` never reads the memo: it
recomputes the decision with its full trace.

The memo is an in-process LRU (:class:`SentenceMemo`, one shared by default: see
:func:`default_memo`); it holds no parse, so an entry is a few hundred bytes. With a parse
cache, batch labeling uses :class:`cxrlabel.memo_store.PersistentMemo`, the same LRU backed by
a table of the cache file.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Iterable, Sequence

from .types import Mention, Sentence

__all__ = ["DEFAULT_MAXSIZE", "SCHEME", "MemoMiss", "SentenceMemo", "default_memo", "placed", "relative"]

#: Entries the default memo keeps (least recently used dropped first).
DEFAULT_MAXSIZE = 200_000
#: The label scheme the mentions are judged for (part of every key).
SCHEME = "chestxray14"

MemoKey = tuple[str, str, str]
Entry = tuple[Mention, ...]


def relative(mentions: Iterable[Mention], sentence: Sentence) -> Entry:
    """``mentions`` of ``sentence`` with offsets relative to it (sentence 0, no section):
    positions in the sentence text, the memo's key (:meth:`Sentence.local`)."""
    if sentence.gaps:
        loc = sentence.local
        return tuple(_moved(m, loc(m.start), loc(m.end, end=True), 0, None) for m in mentions)
    off = sentence.start
    return tuple(_moved(m, m.start - off, m.end - off, 0, None) for m in mentions)


def _moved(m: Mention, start: int, end: int, sentence: int, section: str | None) -> Mention:
    """``dataclasses.replace(m, start=..., end=..., sentence=..., section=...)``, built
    directly: ``replace`` costs several times more, and a warm run places every mention of
    every report (``tests/test_memo.py`` checks the two agree field by field)."""
    return Mention(m.finding, m.cui, m.text, start, end, sentence, m.head, m.nodes, m.polarity, m.rules, section)


def placed(entry: Entry, sentence: Sentence) -> list[Mention]:
    """A memo entry placed back into ``sentence`` (its report offsets, index and section)."""
    off, idx, sec = sentence.start, sentence.index, sentence.section
    if sentence.gaps:
        ab = sentence.absolute
        return [_moved(m, ab(m.start), ab(m.end, end=True), idx, sec) for m in entry]
    return [_moved(m, m.start + off, m.end + off, idx, sec) for m in entry]


class MemoMiss(LookupError):
    """The memo lacks a decision that a memo-only labeling needed
    (:meth:`cxrlabel.labeler.Labeler.iter_labels` ``memo_only``): nothing of that batch was
    labeled. Control flow of the batch engine, not an error a user sees."""


class SentenceMemo:
    """A thread-safe LRU of sentence decisions: key → :data:`Entry`. ``hits``/``misses``
    count lookups since creation."""

    def __init__(self, maxsize: int = DEFAULT_MAXSIZE) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[MemoKey, Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(fingerprint: str, text: str) -> MemoKey:
        return (fingerprint, SCHEME, text)

    def get(self, key: MemoKey) -> Entry | None:
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return entry

    def get_local(self, key: MemoKey) -> Entry | None:
        """:meth:`get` from this process's LRU only (a memo backed by a file does not read it)."""
        return SentenceMemo.get(self, key)

    def get_many(self, keys: Sequence[MemoKey]) -> list[Entry | None]:
        """:meth:`get` of each key, in order (the same LRU moves and counts), under one lock."""
        out: list[Entry | None] = []
        with self._lock:
            data = self._data
            for key in keys:
                entry = data.get(key)
                if entry is not None:
                    data.move_to_end(key)
                out.append(entry)
            found = sum(e is not None for e in out)
            self.hits += found
            self.misses += len(out) - found
        return out

    def put(self, key: MemoKey, entry: Entry) -> None:
        with self._lock:
            self._data[key] = entry
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def seed(self, key: MemoKey, entry: Entry) -> None:
        """Keep an entry judged elsewhere (by another batch worker): in memory only."""
        SentenceMemo.put(self, key, entry)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def flush(self) -> None:
        """Store buffered entries (nothing to do in memory; see :mod:`cxrlabel.memo_store`)."""

    def __len__(self) -> int:
        return len(self._data)

    def __getstate__(self) -> dict[str, object]:  # a worker gets an empty memo of its own
        return {"maxsize": self.maxsize}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(int(state["maxsize"]))  # type: ignore[misc,arg-type]


_DEFAULT: SentenceMemo | None = None
_DEFAULT_LOCK = threading.Lock()


def default_memo() -> SentenceMemo:
    """The process-wide memo every :class:`~cxrlabel.labeler.Labeler` uses unless given another."""
    global _DEFAULT
    if _DEFAULT is None:
        with _DEFAULT_LOCK:
            if _DEFAULT is None:
                _DEFAULT = SentenceMemo()
    return _DEFAULT
