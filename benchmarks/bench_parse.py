"""Throughput of the spaCy backend on OpenI sentences: bare ``nlp.pipe`` vs the cxrlabel pipeline.

Usage::

    .venv/bin/python benchmarks/bench_parse.py [--n 2000] [--reports ../shared/data/openi/NLMCXR_reports.tgz] [--smoke]

Reads FINDINGS/IMPRESSION of the OpenI XML reports, splits them with :func:`split_report`, takes
the first ``--n`` sentences and times, on the same sentences, each round on one BLAS thread
(as :class:`SpacyParser` parses):

- ``plain spaCy``: ``nlp.pipe`` of the pipeline loaded the plain way (``spacy.load``: BLIS
  matrix products, spaCy's own rule components) — what the others are compared with;
- ``bare``: ``list(nlp.pipe(texts))`` of the loaded pipeline — spaCy alone, no conversion, with
  the fast paths of :mod:`cxrlabel.parsers.spacy_fast` (numpy's gemm included);
- ``batched``: ``SpacyParser.parse(texts)`` — laterality fix, Doc → Sentence, normalization;
- ``one-by-one``: ``SpacyParser.parse([t])`` per sentence, against bare ``nlp(t)`` per sentence;
- ``parse_reports``: the whole text pipeline (sections, sentences, parse) on the reports.

It also counts how often *left* and *infiltrate(s)* are tagged as verbs with and without the\nquirk fixes (``SpacyParser(fix_quirks=False)``).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import tarfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from cxrlabel.document import parse_reports, split_report
from cxrlabel.parsers.spacy import SpacyParser

DEFAULT_TGZ = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "openi" / "NLMCXR_reports.tgz"


def openi_reports(path: Path) -> list[str]:
    """FINDINGS + IMPRESSION of each OpenI report, as 'FINDINGS: ... IMPRESSION: ...' text."""
    out = []
    with tarfile.open(path) as tf:
        members = sorted((m for m in tf.getmembers() if m.name.endswith(".xml")), key=lambda m: int(re.sub(r"\D", "", m.name) or 0))
        for m in members:
            root = ET.parse(tf.extractfile(m)).getroot()
            parts = []
            for el in root.iter("AbstractText"):
                label = el.get("Label", "")
                if label in ("FINDINGS", "IMPRESSION") and el.text and el.text.strip():
                    parts.append(f"{label}: {el.text.strip()}")
            if parts:
                out.append("\n".join(parts))
    return out


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one call of ``fn``."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=Path, default=DEFAULT_TGZ)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--repeat", type=int, default=5, help="best of N runs")
    ap.add_argument("--smoke", action="store_true", help="seconds: 30 sentences, one round, quirk counts on 30")
    args = ap.parse_args()
    if args.smoke:
        args.n, args.repeat = 30, 1

    reports = openi_reports(args.reports)
    texts, used_reports = [], []
    for r in reports:
        spans = split_report(r)
        texts.extend(s.text for s in spans)
        used_reports.append(r)
        if len(texts) >= args.n:
            break
    texts = texts[: args.n]
    from cxrlabel.parsers.spacy_fast import one_blas_thread
    from cxrlabel.parsers.spacy import _UNNEEDED, DEFAULT_MODEL, import_spacy

    parser = SpacyParser(batch_size=args.batch_size)
    nlp = parser.nlp
    stock = import_spacy().load(DEFAULT_MODEL, exclude=list(_UNNEEDED))  # plain spaCy: BLIS, stock components
    list(parser.parse(texts[:200]))  # warm-up
    n = len(texts)
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}")
    print(f"parser: {parser.version}; batch_size={args.batch_size}; {n} OpenI sentences; best of {args.repeat}")

    def rate(name, count, t, ref=None, ref_name="bare"):
        line = f"{name:21s}: {count / t[0]:8.1f} sentences/s wall, {count / t[1]:8.1f} /s CPU"
        if ref is not None:
            line += f"  ({ref[0] / t[0]:.0%} / {ref[1] / t[1]:.0%} of {ref_name})"
        print(line)

    n_sents_reports = sum(len(split_report(r)) for r in used_reports)
    variants = {
        "stock": lambda: list(stock.pipe(texts, batch_size=args.batch_size)),
        "bare": lambda: list(nlp.pipe(texts, batch_size=args.batch_size)),
        "batched": lambda: list(parser.parse(texts)),
        "bare_single": lambda: [nlp(t) for t in texts],
        "single": lambda: [list(parser.parse([t])) for t in texts],
        "reports": lambda: list(parse_reports(used_reports, parser)),
    }
    # Rounds interleave the variants so that load changes on a shared machine hit all of them;
    # each keeps its best wall and best CPU time (CPU time is the steadier figure under load).
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in variants}
    for _ in range(args.repeat):
        for k, fn in variants.items():
            with one_blas_thread():  # as SpacyParser parses (CPU time: a second BLAS thread would count)
                runs[k].append(timed(fn))
    stock_t, bare, batched, bare_single, single, reports_t = (
        (min(w for w, _ in runs[k]), min(c for _, c in runs[k])) for k in variants
    )
    rate("plain spaCy nlp.pipe", n, stock_t)
    rate("bare nlp.pipe", n, bare, stock_t, "plain spaCy")
    rate("SpacyParser batched", n, batched, bare)
    rate("bare nlp(t) 1-by-1", n, bare_single)
    rate("SpacyParser 1-by-1", n, single, bare_single, "bare 1-by-1")
    rate("parse_reports", n_sents_reports, reports_t, bare)
    print(f"(parse_reports: {len(used_reports)} reports, {n_sents_reports} sentences, sections and splitting included)")

    # Quirk fixes: how often are "left" and "infiltrate(s)" tagged as verbs, with and without?
    all_sents = [s.text for r in (used_reports if args.smoke else reports) for s in split_report(r)]
    raw = SpacyParser(fix_quirks=False, batch_size=args.batch_size)
    for word, pattern in (("left", r"left"), ("infiltrate(s)", r"infiltrates?")):
        chosen = [t for t in all_sents if re.search(rf"\b{pattern}\b", t, re.I)]
        for name, p in (("without fix", raw), ("with fix", parser)):
            verbs = total = 0
            for sent in p.parse(chosen):
                for tok in sent.tokens:
                    if re.fullmatch(pattern, tok.text, re.I):
                        total += 1
                        verbs += tok.tag.startswith("VB")
            print(f"{word!r} tagged VB* {name:11s}: {verbs}/{total} ({verbs / max(total, 1):.1%}) in {len(chosen)} OpenI sentences")


if __name__ == "__main__":
    main()
