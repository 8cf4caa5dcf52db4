"""How labeling time grows with the length of one report: 8 kB → 1 MB, doubling.

Usage::

    .venv/bin/python benchmarks/bench_scaling.py [--reports ../shared/data/openi/NLMCXR_reports.tgz] [--repeat 5] [--smoke]

One report of each size is built by concatenating OpenI reports (their FINDINGS/IMPRESSION
text under headers, so a 1 MB report holds ~2,000 headers), plus two shapes that used to be
quadratic: ``findings_lines`` (a report of ``FINDINGS`` lines) and ``blank_runs`` (sentences
ending in long runs of blanks before a line break). Timed, best of ``--repeat`` interleaved
rounds over the sizes:

- ``sections``: :func:`cxrlabel.sections.select_sections` (header scanning);
- ``sentences``: :func:`cxrlabel.sentences.sentence_spans` over the selected sections (called
  directly, so the split memo does not hide the work);
- ``label``: :meth:`cxrlabel.Labeler.label` on the OpenI shape, 8 → 128 kB (spaCy parse,
  concepts, rules), each size from reports not used by a smaller one, so the sentence memo
  helps no more than in a real batch.

Each line gives seconds and µs per kB; the last column is the per-kB time relative to the
smallest size. Linear time keeps it near 1; the bar is at most 2 at 1 MB.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path
from typing import Callable

DEFAULT_TGZ = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "openi" / "NLMCXR_reports.tgz"
KB = 1024


def _openi_texts(path: Path) -> list[str]:
    from cxrlabel.gold.openi import read_openi_reports

    out = []
    for r in read_openi_reports(path):
        parts = [f"FINDINGS: {r.findings}" if r.findings else "", f"IMPRESSION: {r.impression}" if r.impression else ""]
        text = "\n".join(p for p in parts if p)
        if text:
            out.append(text)
    return out


def _fill(pieces: list[str], start: int, size: int) -> tuple[str, int]:
    """Reports from ``pieces[start:]`` (cycling) joined by blank lines up to ``size`` chars."""
    out, n, k = [], 0, start
    while n < size:
        piece = pieces[k % len(pieces)]
        out.append(piece)
        n += len(piece) + 2
        k += 1
    return "\n\n".join(out)[:size], k


SHAPES: dict[str, Callable[[int], str]] = {
    "findings_lines": lambda n: ("FINDINGS\n" * (n // 9 + 1))[:n],
    "blank_runs": lambda n: ((("No effusion." + " " * 200 + "\nLungs are clear. " * 3 + "\n\n") * (n // 274 + 1))[:n]),
}


def _timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _pre_parse(text: str) -> dict[str, Callable[[], object]]:
    from cxrlabel.sections import select_sections
    from cxrlabel.sentences import sentence_spans

    sections = select_sections(text)
    return {"sections": lambda: select_sections(text), "sentences": lambda: [sentence_spans(text, s.start, s.end) for s in sections]}


def _line(name: str, size: int, secs: float, base: float | None) -> float:
    per_kb = secs / (size / KB) * 1e6
    rel = per_kb / base if base else 1.0
    print(f"{name:<28} {size // KB:>6} kB {secs:>9.4f} s {per_kb:>10.1f} us/kB  x{rel:.2f}")
    return per_kb


def run_pre_parse(shape: str, make: Callable[[int], str], sizes: list[int], repeat: int) -> dict[str, tuple[float, float]]:
    """Per stage, the per-kB time relative to the smallest size: ``(at the largest size, the
    largest at any size)``. The sizes are timed in interleaved rounds (best of ``repeat`` per
    size), so that a burst of load from other processes on a shared machine does not land on
    one size only."""
    stages = {size: _pre_parse(make(size)) for size in sizes}
    best: dict[tuple[str, int], float] = {}
    for _ in range(repeat):
        for size in sizes:
            for stage, fn in stages[size].items():
                t = _timed(fn)
                best[stage, size] = min(best.get((stage, size), t), t)
    out: dict[str, tuple[float, float]] = {}
    for stage in ("sections", "sentences"):
        base, rels = None, []
        for size in sizes:
            per_kb = _line(f"{shape} {stage}", size, best[stage, size], base)
            base = base or per_kb
            rels.append(per_kb / base)
        out[stage] = (rels[-1], max(rels))
    return out


def run_label(texts: list[str], sizes: list[int]) -> tuple[float, float]:
    from cxrlabel import Labeler

    lab = Labeler()
    lab.label("No pneumothorax.")  # model, index and self-check loaded before timing
    start, base, rels = len(texts) // 2, None, []
    for size in sizes:
        text, start = _fill(texts, start, size)
        secs = _timed(lambda: lab.label(text))  # once: a repeat would hit the sentence memo
        per_kb = _line("openi label()", size, secs, base)
        base = base or per_kb
        rels.append(per_kb / base)
    return rels[-1], max(rels)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=Path, default=DEFAULT_TGZ)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--smoke", action="store_true", help="seconds: 8-32 kB, label() on 8-16 kB, one pass")
    args = ap.parse_args()
    top, label_top = (32, 16) if args.smoke else (1024, 128)
    if args.smoke:
        args.repeat = 1
    sizes = [KB * 8 * 2**k for k in range(20) if 8 * 2**k <= top]
    label_sizes = [s for s in sizes if s <= label_top * KB]
    print(f"python {platform.python_version()}, {os.cpu_count()} cpus, load {os.getloadavg()[0]:.2f}")
    texts = _openi_texts(args.reports)
    shapes = {"openi": lambda n: _fill(texts, 0, n)[0], **SHAPES}
    rel: dict[str, tuple[float, float]] = {}
    for shape, make in shapes.items():
        for stage, pair in run_pre_parse(shape, make, sizes, args.repeat).items():
            rel[f"{shape} {stage}"] = pair
    rel["openi label()"] = run_label(texts, label_sizes)
    at_top = max(rel.items(), key=lambda kv: kv[1][0])
    anywhere = max(rel.items(), key=lambda kv: kv[1][1])
    print(f"per-kB time at the largest size relative to {sizes[0] // KB} kB: x{at_top[1][0]:.2f} at most ({at_top[0]}); the bar: x2.00")
    print(f"largest at any size: x{anywhere[1][1]:.2f} ({anywhere[0]})")

if __name__ == "__main__":
    main()
