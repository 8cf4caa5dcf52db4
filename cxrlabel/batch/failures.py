"""Counting the reports of a run that failed (rows with an ``error``: blank labels), and the
summary ``cxrlabel label`` ends with: a failed report is never a label, and never silent."""

from __future__ import annotations

import csv
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import InputError

__all__ = ["FailureTally", "is_failed_row"]

_CODE_RE = re.compile(r"error\[([A-Z]\d{3})\]")
#: Failed ids the summary names (the rest are counted).
SHOWN_IDS = 5


def is_failed_row(row: dict[str, Any]) -> bool:
    """Whether an output row is a failed report's (its ``error`` cell is not blank)."""
    err = row.get("error")
    return not (err is None or (isinstance(err, float) and math.isnan(err)) or str(err).strip() == "")


@dataclass
class FailureTally:
    """How many rows a run gave, how many failed, by error code, and the first failed ids."""

    rows: int = 0
    failed: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    ids: list[str] = field(default_factory=list)

    def add(self, row: dict[str, Any]) -> None:
        self.rows += 1
        if is_failed_row(row):
            self.failed += 1
            m = _CODE_RE.search(str(row["error"]))
            self.codes[m.group(1) if m else "error"] += 1
            if len(self.ids) < SHOWN_IDS:
                self.ids.append(str(row.get("id", "?")))

    def counted(self, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """``rows`` unchanged, each one counted as it passes."""
        for row in rows:
            self.add(row)
            yield row

    @classmethod
    def of_file(cls, path: str | Path, fmt: str) -> FailureTally:
        """The tally of a finished output file (CSV or JSONL), resumed shards included."""
        tally = cls()
        with open(path, encoding="utf-8", newline="") as fh:
            rows: Iterable[dict[str, Any]] = csv.DictReader(fh) if fmt == "csv" else (json.loads(line) for line in fh if line.strip())
            for row in rows:
                tally.add(row)
        return tally

    def summary(self, *, allowed: bool = False) -> str:
        """``error[I253]: N of M reports failed (...)``, with what to do."""
        causes = ", ".join(f"{n} {code}" for code, n in self.codes.most_common())
        more = f" and {self.failed - len(self.ids)} more" if self.failed > len(self.ids) else ""
        tail = "exit status 0 (--allow-failures)" if allowed else "rerun with --allow-failures to exit 0"
        return str(InputError(
            f"{self.failed} of {self.rows} reports failed ({causes}): ids {', '.join(self.ids)}{more}; their rows have "
            f"blank labels and an error cell saying why (see docs/errors.md); {tail}",
            code="I253",
        ))
