"""Batch-wide sentence dedup for the process pool (issue 14): each distinct sentence of a run is
parsed and judged once, not once per chunk or per worker.

Every decision the labeler makes is local to one sentence (:mod:`cxrlabel.memo`), so the
parent splits the reports of a window of chunks (:data:`WINDOW` reports at a time) into
sentences — splitting is cheap and needs no model — and sends each distinct sentence text it
has not seen before to the workers once, in pieces (:func:`judge_texts`: parse, find, judge,
keep the memo entry). Then each chunk of reports goes to a worker together with the encoded
entries of its sentences (:func:`seed`), and the worker labels it from its memo without
parsing. A sentence whose parse failed has no entry: the worker that labels its report parses
it again and records the failure, as a single process would. Labels are those of
single-process :func:`cxrlabel.label`.
"""

from __future__ import annotations

import math
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from ..document import Document, split_report
from ..errors import CxrlabelError
from ..memo import SentenceMemo
from ..memo_store import decode_entry, encode_entry
from ..parsers.base import parse_placed
from .rows import Record, unusable_reason

if TYPE_CHECKING:  # pragma: no cover
    from ..labeler import Labeler
    from ..types import Sentence

__all__ = ["PIECE", "WINDOW", "Entries", "deduped_chunks", "judge_texts", "seed", "sentence_texts"]

#: Reports whose sentences are planned at once (their chunks then go out with their entries).
WINDOW = 20_000
#: At most this many sentence texts per judging task.
PIECE = 512
#: Entries the parent keeps between windows (older ones are dropped and judged again if seen).
KEEP = 300_000

Chunk = tuple[int, Sequence[Record]]
#: Sentence text → its encoded memo entry (:func:`cxrlabel.memo_store.encode_entry`).
Entries = dict[str, str]


def sentence_texts(text: Any) -> list[str]:
    """The (non-blank) sentence texts the labeler would parse in report ``text``; none for a
    value that cannot be labeled or split (its worker reports why)."""
    if unusable_reason(text) is not None:
        return []
    try:
        spans = split_report(text)
    except CxrlabelError:
        return []
    return [s.text for s in spans if s.text.strip()]


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
    todo = [t for t, k in zip(texts, keys) if memo.get(k) is None]
    if todo:  # one pseudo-report of all of them: the labeler fills its memo sentence by sentence
        labeler.label_document(Document("", sentences=tuple(_parse_each(labeler, todo))))
        memo.flush()
    out: list[str | None] = []
    for k in keys:
        entry = memo.get(k)
        out.append(None if entry is None else encode_entry(entry))
    return out


def seed(labeler: Labeler, entries: Entries) -> None:
    """Put ``entries`` (from :func:`judge_texts` in some worker) into the labeler's memo."""
    memo = labeler.memo
    if memo is None:
        return
    fp = labeler.fingerprint
    for text, value in entries.items():
        memo.seed(SentenceMemo.key(fp, text), decode_entry(value))


def _windows(chunks: Iterable[Chunk], size: int) -> Iterator[list[Chunk]]:
    window: list[Chunk] = []
    n = 0
    for chunk in chunks:
        window.append(chunk)
        n += len(chunk[1])
        if n >= size:
            yield window
            window, n = [], 0
    if window:
        yield window


def _take_back(
    futures: list[tuple[list[str], Future[Any]]], local: Callable[[list[str]], tuple[list[str | None], int]] | None
) -> Iterator[tuple[list[str], list[str | None]]]:
    """Judge here, last first, the pieces that no worker has started (their futures cancelled)."""
    if local is None:
        return
    for texts, fut in reversed(futures):
        if not fut.cancel():
            return
        yield texts, local(texts)[0]


def deduped_chunks(
    chunks: Iterable[Chunk],
    judge: Callable[[list[str]], Future[Any]],
    jobs: int,
    collect: Callable[[Future[Any]], Any] = Future.result,
    on_peak: Callable[[int], None] | None = None,
    local: Callable[[list[str]], tuple[list[str | None], int]] | None = None,
) -> Iterator[tuple[Chunk, Entries]]:
    """``chunks``, each with the entries of its sentences. ``judge(texts)`` submits
    :func:`judge_texts` for ``texts`` to a worker; ``collect(future)`` gives its
    ``(entries, peak RSS)``. ``local(texts)``, when given, judges in this process: it takes the
    pieces no worker has started yet, last first. Each distinct sentence text is judged once
    per run (while the parent keeps it)."""
    known: dict[str, str | None] = {}
    for window in _windows(chunks, WINDOW):
        per_chunk = [[t for _, text in records for t in sentence_texts(text)] for _, records in window]
        new = list(dict.fromkeys(t for texts in per_chunk for t in texts if t not in known))
        if len(known) + len(new) > KEEP:
            known.clear()
            new = list(dict.fromkeys(t for texts in per_chunk for t in texts))
        step = max(32, min(PIECE, math.ceil(len(new) / (4 * jobs)))) if new else 1
        futures = [(new[a : a + step], judge(new[a : a + step])) for a in range(0, len(new), step)]
        for texts, values in _take_back(futures, local):
            known.update(zip(texts, values))
        for texts, fut in futures:
            if not fut.cancelled():
                values, rss = collect(fut)
                if on_peak:
                    on_peak(rss)
                known.update(zip(texts, values))
        for chunk, texts in zip(window, per_chunk):
            yield chunk, {t: v for t in texts if (v := known.get(t)) is not None}
