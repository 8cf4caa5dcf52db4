"""Render an :class:`~cxrlabel.gold.evaluation.EvalResult` as a table, JSON or CSV, and dump
its errors (every false positive and false negative) for error analysis."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from ..io import atomic_write, escape_formula
from .evaluation import EvalResult
from .metrics import Averaged, Scores

__all__ = ["FORMATS", "format_result", "write_errors"]

FORMATS = ("table", "json", "csv")


def _row(name: str, s: Scores | Averaged, width: int) -> str:
    return f"{name:<{width}} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>7.3f} {s.support:>8d}"


def format_table(res: EvalResult) -> str:
    """Per-finding P/R/F1/support, then micro and macro, then findings left out, then Normal."""
    width = max([len(f) for f in res.findings] + [len("Normal"), 14]) + 2
    out = [
        f"gold {res.gold}, split {res.split}: {res.n_reports} reports; "
        f"uncertain predictions count as {res.uncertain_as}",
        f"{'finding':<{width}} {'precision':>9} {'recall':>7} {'F1':>7} {'support':>8}",
    ]
    left_out = [f for f in res.findings if f not in res.averaged]
    for f in res.averaged:
        out.append(_row(f, res.per_finding[f], width))
    n = len(res.averaged)
    out.append("-" * len(out[1]))
    out.append(_row(f"micro ({n})", res.micro, width))
    out.append(_row(f"macro ({n})", res.macro, width))
    for f in left_out:
        out.append(_row(f"{f} *", res.per_finding[f], width))
    if res.normal is not None:
        out.append(_row("Normal", res.normal, width))
    if res.three_way is not None:
        out += _three_way_lines(res, width)
    for key, note in res.notes.items():
        mark = "* " if key in left_out else ""
        out.append(f"{mark}{note}")
    if res.failures:
        out.append(f"{len(res.failures)} reports could not be labeled and count as nothing found")
    return "\n".join(out) + "\n"


def _three_way_lines(res: EvalResult, width: int) -> list[str]:
    """The CheXpert paper's table: per observation mention / positive / negation / uncertain F1
    ("–" where the gold has no label of that class), then macro and micro over the members."""
    assert res.three_way is not None
    classes = ("mention", "positive", "negative", "uncertain")
    members = res.three_way_members()
    width = max(width, len(res.normal_name) + 2)
    out = ["", "three-way F1 (the CheXpert paper's tasks: mention = any of 1/0/-1, negation = 0, uncertain = -1)",
           f"{'observation':<{width}} " + " ".join(f"{c:>9}" for c in classes) + f" {'mentions':>8}"]
    for f in res.three_way:
        c = res.three_way[f]
        cells = [f"{c[k].f1:>9.3f}" if f in members.get(k, ()) else f"{'–':>9}" for k in classes]
        out.append(f"{f:<{width}} " + " ".join(cells) + f" {c['mention'].support:>8d}")
    for name, avg in (("macro", res.three_way_macro()), ("micro", res.three_way_micro())):
        cells = [f"{avg[k].f1:>9.3f}" if k in avg else f"{'–':>9}" for k in classes]
        counts = "/".join(str(len(members.get(k, ()))) for k in classes)
        out.append(f"{name:<{width}} " + " ".join(cells) + f"   (over {counts} observations)")
    return out


def format_csv(res: EvalResult) -> str:
    """One row per finding, micro, macro and Normal: scope, name, P, R, F1, support, counts."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["scope", "name", "precision", "recall", "f1", "support", "tp", "fp", "fn", "in_average"])

    def put(scope: str, name: str, s: Scores | Averaged, in_avg: bool | str) -> None:
        counts = [s.tp, s.fp, s.fn] if isinstance(s, Scores) else ["", "", ""]
        w.writerow([scope, name, f"{s.precision:.6f}", f"{s.recall:.6f}", f"{s.f1:.6f}", s.support, *counts, in_avg])

    for f in res.findings:
        put("finding", f, res.per_finding[f], f in res.averaged)
    put("micro", "micro", res.micro, "")
    put("macro", "macro", res.macro, "")
    if res.normal is not None:
        put("normal", "Normal", res.normal, "")
    if res.three_way is not None:
        members = res.three_way_members()
        for f in res.three_way:
            for cls, s in res.three_way[f].items():
                put(f"three-way-{cls}", f, s, f in members.get(cls, ()))
        for cls, avg in res.three_way_macro().items():
            put(f"three-way-{cls}", "macro", avg, "")
        for cls, pooled in res.three_way_micro().items():
            put(f"three-way-{cls}", "micro", pooled, "")
    return buf.getvalue()


def format_result(res: EvalResult, fmt: str = "table") -> str:
    """The result as ``table`` (for people), ``json`` or ``csv`` (for programs)."""
    if fmt == "table":
        return format_table(res)
    if fmt == "json":
        return json.dumps(res.to_dict(), indent=2) + "\n"
    if fmt == "csv":
        return format_csv(res)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def write_errors(res: EvalResult, path: str | os.PathLike[str], *, escape_formulas: bool = True) -> int:
    """Write every FP and FN to ``path`` (through a temp file and a rename): JSON lines for
    ``.jsonl``/``.json``, CSV otherwise.

    Lists (mentions, rule ids, sentences) are joined with ``" | "`` in the CSV, and cells that a
    spreadsheet would run as a formula are escaped (:func:`cxrlabel.io.escape_formula`) unless
    ``escape_formulas=False``. Returns the count.
    """
    path = Path(path)
    if path.suffix.lower() in {".jsonl", ".json"}:
        atomic_write(path, lambda fh: fh.writelines(json.dumps(e.to_dict()) + "\n" for e in res.errors))
        return len(res.errors)
    fields = ["id", "finding", "kind", "predicted", "gold", "mentions", "polarities", "rules", "sentences", "text"]
    esc = escape_formula if escape_formulas else str

    def write(fh: Any) -> None:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        for e in res.errors:
            d = e.to_dict()
            for k in ("mentions", "polarities", "rules", "sentences"):
                d[k] = " | ".join(d[k])
            w.writerow({k: v if v is None else esc(str(v)) for k, v in d.items()})

    atomic_write(path, write)
    return len(res.errors)
