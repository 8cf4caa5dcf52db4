"""Batch-wide sentence dedup for the process pool (issue 14): each distinct sentence of a run is
parsed and judged once, not once per chunk or per worker, and a warm run costs the parent
nothing but handing out work.

Every decision the labeler makes is local to one sentence (:mod:`cxrlabel.memo`). The caller's
chunks are cut into *parts* of at most :data:`PART` reports, and work is three kinds of task
that any process of the run (a worker or the parent) can take (:func:`run_task`):

- ``attempt`` a part: split its reports into sentences; when the process's memo (in memory, or
  the persisted one of ``--cache``) knows every sentence, label the part and return its rows
  (a warm run is only this); otherwise return the part's distinct sentence texts, unparsed;
- ``judge`` a piece of at most :data:`PIECE` distinct sentence texts: parse, find, judge, and
  return each one's encoded memo entry (:func:`judge_texts`); once every part has been
  attempted, the texts left are cut into smaller pieces (down to :data:`LAST_PIECE`), so that
  no process is still judging a long piece while the others have nothing left to take;
- ``label`` a part whose sentences have all been judged, with their entries: seed them into the
  memo (:func:`seed`) and label without parsing. A part's label task goes, when it can, to the
  process that attempted it (its reports' sentence splits are in that process's memo), and
  carries only the entries that process did not judge itself (:class:`Plan`, ``alone``).

:class:`Plan` is the parent's bookkeeping (no processes): it sends each text to be judged once
per run (while it keeps it: at most :data:`KEEP` texts), makes a part's label task ready when
its last text is judged, and assembles a chunk's rows from its parts. A sentence whose parse
failed has no entry: the process that labels its report parses it again and records the
failure, as a single process would. Labels are those of single-process :func:`cxrlabel.label`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from ..document import Document, split_report
from ..errors import CxrlabelError
from ..memo import MemoMiss, SentenceMemo
from ..memo_store import decode_entry, encode_entry
from ..parsers.base import parse_placed
from .rows import Record, label_records, unusable_reason

if TYPE_CHECKING:  # pragma: no cover
    from ..labeler import Labeler
    from ..types import Sentence
    from .options import LabelOptions

__all__ = [
    "HERE",
    "KEEP",
    "LAST_PART",
    "LAST_PIECE",
    "LOOKAHEAD",
    "PART",
    "PIECE",
    "POOL",
    "Entries",
    "Plan",
    "Task",
    "judge_texts",
    "run_task",
    "seed",
    "sentence_texts",
]

#: Reports per part (the unit of attempt and label tasks).
PART = 64
#: The smallest part the last reports of a run are cut into (see :class:`Plan`, ``spread``).
LAST_PART = 16
#: Sentence texts per judge task.
PIECE = 128
#: The smallest piece the last texts of a run are cut into (see :class:`Plan`, ``spread``).
LAST_PIECE = 16
#: Reports taken from the caller's chunks ahead of the rows given back (bounds memory).
LOOKAHEAD = 20_000
#: Judged texts the plan keeps; past that it forgets them (a text seen again is judged again).
KEEP = 300_000
#: Who runs a task (:meth:`Plan.next_task`, :meth:`Plan.done`): the run's own process, or its pool.
HERE, POOL = 0, 1

Chunk = tuple[int, Sequence[Record]]
#: Sentence text → its encoded memo entry (:func:`cxrlabel.memo_store.encode_entry`).
Entries = dict[str, str]
#: ``("attempt", part id, records)``, ``("judge", texts)`` or ``("label", part id, records, entries)``.
Task = tuple[Any, ...]
_UNREAD = object()


def sentence_texts(text: Any) -> list[str]:
    """The (non-blank) sentence texts the labeler would parse in report ``text``; none for a
    value that cannot be labeled or split, nor for a span too long to parse (the labeling
    process reports why)."""
    if unusable_reason(text) is not None:
        return []
    try:
        spans = split_report(text)
    except CxrlabelError:
        return []
    return [s.text for s in spans if s.error is None and s.text.strip()]


def _parse_each(labeler: Labeler, texts: list[str]) -> list[Sentence]:
    """The texts parsed as sentences (index = position); a text that fails is left out."""
    items = [(t, 0, k, None) for k, t in enumerate(texts)]
    try:
        got = parse_placed(labeler.parser, items)
        if len(got) == len(items):
            return got
    except Exception:  # noqa: BLE001 - retried one by one; a failure is the labeling worker's to report
        pass
    out: list[Sentence] = []
    for item in items:
        try:
            out.extend(parse_placed(labeler.parser, [item]))
        except Exception:  # noqa: BLE001 - see above
            continue
    return out


def judge_texts(labeler: Labeler, texts: Sequence[str]) -> list[str | None]:
    """The encoded memo entry of each sentence text (``None``: its parse failed, or the labeler
    has no memo). Sentences the labeler's memo already knows are not parsed."""
    memo = labeler.memo
    if memo is None:
        return [None] * len(texts)
    fp = labeler.fingerprint
    keys = [SentenceMemo.key(fp, t) for t in texts]
    found = memo.get_many(keys)
    todo = [t for t, e in zip(texts, found) if e is None]
    if todo:  # one pseudo-report of all of them: the labeler fills its memo sentence by sentence
        labeler.label_document(Document("", sentences=tuple(_parse_each(labeler, todo))))
        memo.flush()
        found = memo.get_many(keys)
    return [None if e is None else encode_entry(e) for e in found]


def seed(labeler: Labeler, entries: Entries) -> None:
    """Put ``entries`` (from :func:`judge_texts` in some process) into the labeler's memo."""
    memo = labeler.memo
    if memo is None:
        return
    fp = labeler.fingerprint
    for text, value in entries.items():
        memo.seed(SentenceMemo.key(fp, text), decode_entry(value))


def attempt(labeler: Labeler, records: Sequence[Record], options: LabelOptions) -> tuple[str, Any]:
    """``("rows", rows)`` when the labeler's memo knows every sentence of ``records``, else
    ``("need", their distinct sentence texts)`` (nothing parsed). One pass: the records are
    labeled from the memo alone, as one batch, which stops at the lookup when a sentence is
    missing (:class:`~cxrlabel.memo.MemoMiss`)."""
    if labeler.memo is not None:
        try:
            return "rows", _rows(labeler, records, options, memo_only=True)
        except MemoMiss:
            pass
    return "need", list(dict.fromkeys(t for _, text in records for t in sentence_texts(text)))


def _rows(labeler: Labeler, records: Sequence[Record], options: LabelOptions, memo_only: bool = False) -> list[dict[str, Any]]:
    batch = max(1, len(records)) if memo_only else options.batch_size  # memo only: one batch, one lookup
    return label_records(labeler, records, batch_size=batch, explain=options.explain, keep_text=options.keep_text,
                         memo_only=memo_only)


def run_task(labeler: Labeler, task: Task, options: LabelOptions) -> Any:
    """What a process of the run returns for ``task`` (see the module docstring)."""
    kind = task[0]
    if kind == "attempt":
        return attempt(labeler, task[2], options)
    if kind == "judge":
        return judge_texts(labeler, task[1])
    if kind == "label":
        seed(labeler, task[3])
        return _rows(labeler, task[2], options)
    raise ValueError(f"unknown batch task {kind!r}")


@dataclass(eq=False)
class _Part:
    slot: tuple[int, int]  # (chunk index, position in the chunk), or (part id, position) of a piece
    records: Sequence[Record]
    waiting: set[str] = field(default_factory=set)  # texts sent to be judged, not back yet
    entries: Entries = field(default_factory=dict)
    attempter: int = HERE  # who attempted it (its splits are in that process's memo)
    of: int | None = None  # a piece of this part (the last parts of a run are cut: Plan._cut)
    pieces: list[Any] = field(default_factory=list)  # a cut part: its pieces' rows (None until done)
    pieces_left: int = 0


class Plan:
    """The parent's bookkeeping of a deduplicated run over ``chunks`` (no processes): hand out
    tasks with :meth:`next_task`, give each result to :meth:`done`, which yields the
    ``(chunk index, rows)`` of every chunk it completes; :attr:`finished` once all are.

    Both take the *taker* that runs the task (:data:`HERE` or :data:`POOL`). A part whose
    texts are all judged is labeled by the taker that attempted it when that one asks first
    (else by whoever asks once nothing else is left to hand out). ``alone``: the takers that
    are one process (one memo): a label task for one of them leaves out the entries it judged
    itself, which its memo holds. ``spread``: once every part has been attempted, each piece
    takes at most 1/``spread`` of the texts left (at least :data:`LAST_PIECE`): about twice
    as many pieces as tasks can be running or queued at once, so the processes run out of
    work at about the same time; for the same reason, once the caller's chunks are all taken,
    each of the last ``spread`` parts is cut into parts of :data:`LAST_PART` reports when it
    is handed out (the plan reads one chunk ahead to know which parts are the last)."""

    def __init__(self, chunks: Iterable[Chunk], spread: int = 1, alone: Iterable[int] = ()) -> None:
        self._chunks = iter(chunks)
        self._spread = max(1, spread)
        self._alone = frozenset(alone)
        self._attempting = 0  # attempt tasks handed out, result not back
        self._exhausted = False
        self._upcoming: Any = _UNREAD  # the caller's next chunk (None: there is none)
        self._parts: dict[int, _Part] = {}
        self._next_id = 0
        self._fresh: deque[int] = deque()  # parts not attempted yet
        self._ready: dict[int, deque[int]] = {}  # attempter → its parts whose texts are all judged
        self._rows: dict[int, list[Any]] = {}  # chunk → its parts' rows (None until done)
        self._left: dict[int, int] = {}  # chunk → parts not done
        self._outstanding = 0  # reports taken and not given back
        self.known: dict[str, str | None] = {}  # judged texts → entry (None: the parse failed)
        self._judged_by: dict[str, int] = {}  # judged texts → the taker that judged them
        self._judging: dict[str, list[int]] = {}  # text sent to be judged → parts waiting for it
        self._todo: list[str] = []  # texts to judge, not in a piece yet

    @property
    def finished(self) -> bool:
        return self._exhausted and not self._left

    def _take_chunk(self) -> bool:
        if self._exhausted or self._outstanding >= LOOKAHEAD:
            return False
        nxt = next(self._chunks, None) if self._upcoming is _UNREAD else self._upcoming
        if nxt is None:
            self._exhausted = True
            return False
        self._upcoming = next(self._chunks, None)  # one ahead: are these the run's last parts?
        index, records = nxt
        records = list(records)
        pieces = [records[a : a + PART] for a in range(0, len(records), PART)] or [records]
        self._rows[index] = [None] * len(pieces)
        self._left[index] = len(pieces)
        self._outstanding += len(records)
        for pos, recs in enumerate(pieces):
            self._parts[self._next_id] = _Part((index, pos), recs)
            self._fresh.append(self._next_id)
            self._next_id += 1
        return True

    def next_task(self, taker: int = HERE) -> Task | None:
        """The next task for ``taker``, or None when none can start before a result comes back."""
        own = self._ready.get(taker)
        if own:
            return self._label(own.popleft(), taker)
        while len(self._fresh) < self._spread and self._take_chunk():  # parts enough to know the last ones
            pass
        if self._fresh:  # attempts first: cheap, and they find the texts to judge
            pid = self._fresh.popleft()
            if self._upcoming is None and len(self._fresh) < self._spread:
                pid = self._cut(pid)
            self._attempting += 1
            return ("attempt", pid, self._parts[pid].records)
        if self._todo:
            return self._piece()
        for ready in self._ready.values():  # another's part rather than nothing
            if ready:
                return self._label(ready.popleft(), taker)
        return None

    def _label(self, pid: int, taker: int) -> Task:
        part = self._parts[pid]
        entries = part.entries
        if taker in self._alone:  # what it judged itself is in its memo
            by = self._judged_by
            entries = {t: v for t, v in entries.items() if by.get(t) != taker}
        return ("label", pid, part.records, entries)

    def _cut(self, pid: int) -> int:
        """Part ``pid`` cut into parts of :data:`LAST_PART` reports: the first is returned, the
        others are next in line; their rows make ``pid``'s (:meth:`_part_done`)."""
        part = self._parts[pid]
        records = part.records
        if len(records) <= LAST_PART:
            return pid
        ids = []
        for pos, a in enumerate(range(0, len(records), LAST_PART)):
            self._parts[self._next_id] = _Part((pid, pos), records[a : a + LAST_PART], of=pid)
            ids.append(self._next_id)
            self._next_id += 1
        part.pieces, part.pieces_left = [None] * len(ids), len(ids)
        self._fresh.extendleft(reversed(ids[1:]))
        return ids[0]

    def _piece(self) -> Task:
        size = PIECE
        if self._exhausted and not self._fresh and not self._attempting:  # the last texts of the run
            size = min(PIECE, max(LAST_PIECE, -(-len(self._todo) // self._spread)))
        piece, self._todo = self._todo[:size], self._todo[size:]
        return ("judge", piece)

    def done(self, task: Task, result: Any, taker: int = HERE) -> Iterator[tuple[int, list[Any]]]:
        """Record ``result`` of ``task``, run by ``taker``; yields the chunks it completes."""
        kind = task[0]
        if kind == "judge":
            yield from self._judged(task[1], result, taker)
        elif kind == "label":
            yield from self._part_done(task[1], result)
        else:
            self._attempting -= 1
            if result[0] == "rows":
                yield from self._part_done(task[1], result[1])
            else:
                self._parts[task[1]].attempter = taker
                self._needs(task[1], result[1])

    def _set_ready(self, pid: int) -> None:
        part = self._parts[pid]
        self._ready.setdefault(part.attempter, deque()).append(pid)

    def _needs(self, pid: int, texts: list[str]) -> None:
        part = self._parts[pid]
        known, judging = self.known, self._judging
        for t in texts:
            if t in known:
                v = known[t]
                if v is not None:
                    part.entries[t] = v
            elif t in judging:
                judging[t].append(pid)
                part.waiting.add(t)
            else:
                judging[t] = [pid]
                part.waiting.add(t)
                self._todo.append(t)
        if not part.waiting:
            self._set_ready(pid)

    def _judged(self, texts: list[str], values: list[str | None], taker: int) -> Iterator[tuple[int, list[Any]]]:
        if len(self.known) + len(texts) > KEEP:
            self.known.clear()  # parts keep the entries they were given
            self._judged_by.clear()  # (and are then sent all of them)
        for t, v in zip(texts, values):
            self.known[t] = v
            self._judged_by[t] = taker
            for pid in self._judging.pop(t, ()):
                part = self._parts[pid]
                if v is not None:
                    part.entries[t] = v
                part.waiting.discard(t)
                if not part.waiting:
                    self._set_ready(pid)
        return iter(())

    def _part_done(self, pid: int, rows: list[Any]) -> Iterator[tuple[int, list[Any]]]:
        part = self._parts.pop(pid)
        if part.of is not None:  # a piece of a cut part
            whole = self._parts[part.of]
            whole.pieces[part.slot[1]] = rows
            whole.pieces_left -= 1
            if whole.pieces_left == 0:
                yield from self._part_done(part.of, [r for p in whole.pieces for r in p])
            return
        index, pos = part.slot
        self._rows[index][pos] = rows
        self._left[index] -= 1
        self._outstanding -= len(part.records)
        if self._left[index] == 0:
            del self._left[index]
            yield index, [r for p in self._rows.pop(index) for r in p]
