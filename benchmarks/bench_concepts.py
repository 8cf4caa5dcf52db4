"""Concept index build time and mention-finding throughput on OpenI sentences.

Usage::

    .venv/bin/python benchmarks/bench_concepts.py [--n 20000] [--repeat 5] [--reports ../shared/data/openi/NLMCXR_reports.tgz] [--smoke]

- ``import``: importing QuickUMLS's installer module (it imports spaCy) — paid once per process;
- ``build``: :func:`cxrlabel.concepts.build_index` into an empty cache folder (RRF files,
  QuickUMLS simstring + CUI databases, terms table), best of ``--repeat``;
- ``load``: ``ConceptFinder(...)`` on an existing index;
- ``find``: ``ConceptFinder.find`` over the first ``--n`` FINDINGS/IMPRESSION sentences of the
  OpenI reports, parsed once with the spaCy backend beforehand (parsing is not timed). The
  first pass starts with empty token/fuzzy caches ("cold"); the best of the next passes is
  "warm". Reported with the default fuzzy threshold 0.9 and with fuzzy lookup off.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

DEFAULT_TGZ = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "openi" / "NLMCXR_reports.tgz"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000, help="sentences to time find() on")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--reports", type=Path, default=DEFAULT_TGZ)
    ap.add_argument("--smoke", action="store_true", help="seconds: 40 sentences, one build, one warm pass")
    args = ap.parse_args()
    if args.smoke:
        args.n, args.repeat = 40, 1

    t = time.perf_counter()
    import quickumls.install  # noqa: F401  (imports spaCy)

    t_import = time.perf_counter() - t
    from cxrlabel.concepts import ConceptFinder, build_index
    from cxrlabel.gold.openi import read_openi_reports as read_reports
    from cxrlabel.ontology import load_ontology
    from cxrlabel.parsers import get_parser
    from cxrlabel.sentences import split_sentences

    onto = load_ontology()
    builds = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            build_index(onto, cache_dir=tmp)
            builds.append(time.perf_counter() - t)
    n_terms = len(list(onto.entries()))

    with tempfile.TemporaryDirectory() as tmp:
        build_index(onto, cache_dir=tmp)
        t = time.perf_counter()
        ConceptFinder(onto, cache_dir=tmp)
        t_load = time.perf_counter() - t

        texts = []
        for r in read_reports(args.reports):
            body = " ".join(b for b in (r.findings, r.impression) if b.strip())
            texts += split_sentences(body)
            if len(texts) >= args.n:
                break
        texts = texts[: args.n]
        t = time.perf_counter()
        sents = list(get_parser("spacy").parse(texts))
        t_parse = time.perf_counter() - t

        print(f"# machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
        print(f"ontology {onto.version}: {n_terms} indexed phrases, {len(onto.patterns())} patterns")
        print(f"import quickumls.install: {t_import:.2f} s")
        print(f"build_index (cold cache): best {min(builds):.3f} s, median {sorted(builds)[len(builds) // 2]:.3f} s of {len(builds)}")
        print(f"ConceptFinder load (index cached): {t_load:.3f} s")
        print(f"parsed {len(sents)} sentences in {t_parse:.1f} s (not part of find)")
        for threshold in (0.9, None):
            finder = ConceptFinder(onto, threshold=threshold, cache_dir=tmp)
            times = []
            n_mentions = 0
            for _ in range(args.repeat + 1):
                t = time.perf_counter()
                n_mentions = sum(len(finder.find(s)) for s in sents)
                times.append(time.perf_counter() - t)
            cold, warm = times[0], min(times[1:])
            print(
                f"find threshold={threshold}: {n_mentions} mentions; cold {len(sents) / cold:,.0f} sent/s "
                f"({cold / len(sents) * 1e6:.1f} us/sent); warm {len(sents) / warm:,.0f} sent/s "
                f"({warm / len(sents) * 1e6:.1f} us/sent, {n_mentions / warm:,.0f} mentions/s)"
            )


if __name__ == "__main__":
    main()
