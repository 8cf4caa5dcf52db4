"""From reports to output rows: the result columns, one row per report, and the rules for
reports that cannot be labeled (a missing or non-text value, a file that could not be read,
a failed report: :attr:`~cxrlabel.result.ReportLabels.failed`). A row with an ``error`` has
blank labels and a blank ``No Finding``, always."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

from ..errors import CacheError, InputError
from ..memo import MemoMiss
from ..types import FINDINGS

if TYPE_CHECKING:  # pragma: no cover
    from ..labeler import Labeler
    from ..result import ReportLabels

__all__ = [
    "RESULT_COLUMNS",
    "ReadRecord",
    "Record",
    "error_row",
    "keep_read_errors",
    "label_records",
    "output_columns",
    "readable",
    "result_row",
    "unusable_reason",
]

#: The label columns of the default scheme's output, in order: the 14 findings, then
#: ``No Finding`` (another scheme's: :func:`output_columns`).
RESULT_COLUMNS = (*FINDINGS, "No Finding")


def output_columns(scheme: Any = None, *, keep_text: bool = False, explain: bool = False) -> list[str]:
    """Every column of a label table, in order: ``id``, ``Reports`` (with ``keep_text``), the
    scheme's label columns (:attr:`cxrlabel.schemes.Scheme.columns`), ``explain``, ``error``."""
    from ..schemes import get_scheme

    return ["id", *(["Reports"] if keep_text else []), *get_scheme(scheme).columns,
            *(["explain"] if explain else []), "error"]
Record = tuple[str, Any]  # (id, text)
ReadRecord = tuple[str, Any, "str | None"]  # (id, text, why it could not be read, or None)


def result_row(rid: Any, result: ReportLabels, *, explain: bool = False) -> dict[str, Any]:
    """One output row: ``id``, the CheXpert-coded findings, ``No Finding``, ``error``."""
    row: dict[str, Any] = {"id": rid, **result.to_chexpert()}
    if explain:
        parts = []
        for f in result:
            if result[f] is not None:
                ids = result.rule_ids(f)
                parts.append(f"{f}={result[f].value}" + (f"[{','.join(ids)}]" if ids else ""))
        row["explain"] = "; ".join(parts)
    if result.failed:  # blank labels (to_chexpert gives None for each) and why
        row["error"] = result.error
    return row


def error_row(rid: Any, exc: BaseException | str) -> dict[str, Any]:
    """The row of a report that could not be labeled: its id and why (no labels)."""
    msg = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    return {"id": rid, "error": msg}


def unusable_reason(text: Any) -> str | None:
    """Why ``text`` cannot be labeled, or None when it can."""
    if isinstance(text, (str, bytes)):
        return None
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return str(InputError("empty report: no report text (a missing value)", code="I250"))
    return str(InputError(f"a report must be str or bytes, not {type(text).__name__}", code="I202"))


def label_records(labeler: Labeler, records: Sequence[Record], *, batch_size: int = 64, explain: bool = False,
                  keep_text: bool = False, memo_only: bool = False) -> list[dict[str, Any]]:
    """Rows for ``records`` in order (with ``keep_text``, each with its text as ``Reports``).
    All go through one ``iter_labels`` stream; if that stream raises, the chunk is re-labeled
    report by report so that only the bad report gets an error. ``memo_only``: see
    :meth:`~cxrlabel.labeler.Labeler.iter_labels` (its :class:`~cxrlabel.memo.MemoMiss` is raised)."""
    rows = _label_records(labeler, records, batch_size=batch_size, explain=explain, memo_only=memo_only)
    if keep_text:
        for row, (_, text) in zip(rows, records):
            row["Reports"] = text if isinstance(text, str) else text.decode("utf-8", "replace") if isinstance(text, bytes) else None
    return rows


def _label_records(labeler: Labeler, records: Sequence[Record], *, batch_size: int, explain: bool,
                   memo_only: bool) -> list[dict[str, Any]]:
    good = [(k, rid, text) for k, (rid, text) in enumerate(records) if unusable_reason(text) is None]
    rows: list[dict[str, Any] | None] = [None] * len(records)
    for k, (rid, text) in enumerate(records):
        why = unusable_reason(text)
        if why is not None:
            rows[k] = error_row(rid, why)
    try:
        stream = labeler.iter_labels([t for _, _, t in good], batch_size=batch_size, reuse=True, memo_only=memo_only)
        for (k, rid, _), res in zip(good, stream):
            rows[k] = result_row(rid, res, explain=explain)
    except (CacheError, MemoMiss):  # a broken cache fails the run, not each report (I290/I291); a miss is the caller's
        raise
    except Exception as exc:  # noqa: BLE001 - find the report that raised, one at a time
        if memo_only:  # (labeling one at a time parses: the caller labels these the usual way)
            raise MemoMiss(f"a report raised while labeling from the memo: {exc}") from exc
        for k, rid, text in good:
            if rows[k] is not None:
                continue
            try:
                rows[k] = result_row(rid, labeler.label(text), explain=explain)
            except CacheError:
                raise
            except Exception as exc:  # noqa: BLE001 - one bad report must not stop the job
                rows[k] = error_row(rid, exc)
    return rows  # type: ignore[return-value]


# A record that could not be read (a file in a bad encoding, say) is labeled as an empty
# report, so that chunks keep their shape, and its row is then replaced by its read error:
# it is never reported as an empty report with no findings.
def readable(records: Sequence[ReadRecord]) -> list[Record]:
    """``(id, text)`` records to label: an unreadable record's text becomes ``""``."""
    return [(rid, text if err is None else "") for rid, text, err in records]


def keep_read_errors(records: Sequence[ReadRecord], rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` (labeled from :func:`readable` ``(records)``) with each unreadable record's row
    replaced by its read error."""
    return [error_row(rec[0], rec[2]) if rec[2] is not None else row for rec, row in zip(records, rows)]
