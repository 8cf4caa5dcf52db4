"""Batch labeling throughput on the OpenI reports (issue 7): cold/warm parse cache, 1 and 2 jobs,
peak memory per worker, labels vs single-process ``label()``, and the cost split.

Usage::

    .venv/bin/python benchmarks/bench_batch.py [--n 0] [--jobs 1 2] [--no-reference] [--profile 500] [--smoke]

- every run goes through :func:`cxrlabel.batch.run_chunks`, the path of ``label_many`` and
  ``cxrlabel label`` (the run's process plus ``jobs - 1`` workers, forked on Linux; batch-wide
  sentence dedup, the batch gc settings), each run in a new interpreter, as a user runs it;
- ``cold``: an empty parse cache file, so every distinct sentence is parsed;
- ``warm``: the same run again on the filled cache file (its decision memo answers every
  sentence: splitting, memo reads and aggregation only);
- reports/s are given end to end (the labelers' loading, the workers' start and the pool's
  shutdown included) and steady (from the moment every process has built its labeler,
  ``run_chunks(on_ready=...)``, to the last rows delivered);
- peak RSS is the largest ``ru_maxrss`` of the processes;
- ``identical``: every report's 15 cells equal those of ``Labeler().label(text)`` run one
  report at a time in this process (``--no-reference`` skips that slow part);
- ``--profile N``: the cost split on N reports, cold and warm, in one process: seconds spent
  in sentence splitting, parsing (spaCy), Doc → Sentence and normalization, cache reads,
  graph build, concept matching (``labeler.finder.find``), rule matching (``labeler.judge``)
  and aggregation, each stage timed on its own;
- ``--halves``: the machine's own ceiling for two jobs, with each warm round: two warm
  ``jobs=1`` runs at once in two fresh interpreters, each on half the reports (every other
  chunk), their steady phases started at the same moment — two processes that share nothing,
  so no pool, scheduling or transfer cost; their combined rate over the jobs=1 warm rate is
  the most a 2-job run could reach on this machine at that time; with each cold round
  (``--cold-runs``), the same for parsing, most of a cold run's work: bare ``nlp.pipe``
  (cxrlabel's loaded pipeline, one BLAS thread) over every distinct sentence in one fresh
  interpreter, then over every other distinct sentence in each of two at once — how much
  faster two processes parse the same sentences on this machine at that time;
- ``--cold-runs N``: N cold runs per job count, interleaved (each on a new, empty cache file;
  the warm runs read the first), and the median of their per-round jobs=2 / jobs=1 ratios.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

DEFAULT_TGZ = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "openi" / "NLMCXR_reports.tgz"


def wait_at(barrier: tuple[str, ...] | list[str]) -> None:
    """Create the first of the ``barrier`` files and wait until all exist (nothing when empty):
    two fresh interpreters start their timed phase together (:func:`at_once`)."""
    if barrier:
        Path(barrier[0]).touch()
        while not all(os.path.exists(b) for b in barrier):
            time.sleep(0.0005)


def at_once(tmp: str, name: str, argv: Callable[[int, list[str]], list[str]]) -> list[dict]:
    """Run this script twice at once, ``argv(half, barrier)`` giving each interpreter's
    arguments (``barrier``: its own flag file, then the other's, under ``tmp``); the JSON object
    each printed last, in half order."""
    import json
    import subprocess

    flags = [os.path.join(tmp, f"{name}{half}.ready") for half in (0, 1)]
    for flag in flags:
        if os.path.exists(flag):
            os.unlink(flag)
    procs = []
    for half in (0, 1):
        cmd = [sys.executable, __file__, *argv(half, [flags[half], flags[1 - half]])]
        procs.append((cmd, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    out = []
    for cmd, proc in procs:
        stdout, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{err[-3000:]}")
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def run_pool(texts: list[str], options, jobs: int, chunk: int, barrier: tuple[str, ...] = ()) -> dict:
    """Label ``texts`` the way ``label_many`` does (:func:`cxrlabel.batch.run_chunks`: this
    process and ``jobs - 1`` workers, batch-wide sentence dedup); returns timings, the peak
    RSS of the processes and the rows in order. ``steady`` runs from the moment every process
    has built its labeler (``run_chunks(on_ready=...)``) to the last rows delivered; end to end
    also counts the start and the pool's shutdown. ``barrier``: files; once ready, create the
    first and wait for all of them before the steady phase starts (:func:`halves`: two runs
    start it together)."""
    from cxrlabel.batch import chunked, run_chunks

    records = list(enumerate(texts))
    t0 = time.perf_counter()
    ready: list[float] = []
    peaks: list[int] = []
    rows: dict[int, list] = {}
    def on_ready() -> None:
        wait_at(barrier)
        ready.append(time.perf_counter())

    for k, r in run_chunks(chunked(records, chunk), options, jobs=jobs, on_peak=peaks.append, on_ready=on_ready):
        rows[k] = r
        last = time.perf_counter()  # the last rows delivered (the pool's shutdown comes after)
    t2 = time.perf_counter()
    t1 = ready[0]
    ordered = [r for k in sorted(rows) for r in rows[k]]
    return {
        "reports": len(texts),
        "end_to_end": len(texts) / (t2 - t0),
        "steady": len(texts) / (last - t1),
        "start_s": t1 - t0,
        "rss": max(peaks) if peaks else 0,
        "rows": ordered,
    }


def profile(texts: list[str], cache_path: str) -> list[tuple[str, float, float]]:
    """CPU seconds per stage (process_time around each stage of the labeler's own steps, one
    process, gc frozen after setup as in a worker), cold then warm; CPU time, not wall time,
    so that other processes on a shared machine do not inflate it (sqlite waits on the disk
    are therefore not counted), with the garbage collector off while timing. cProfile is not used for
    the split: its per-call overhead and gc pauses land on whatever function is running."""
    import gc

    from cxrlabel import document
    from cxrlabel.aggregate import aggregate, is_normal
    from cxrlabel.cache import ParseCache, cache_key, decode, encode
    from cxrlabel.labeler import Labeler
    from cxrlabel.parsers import spacy as spacy_mod
    from cxrlabel.types import build_graph

    lab = Labeler()
    lab.ensure_checked()
    sp = lab.parser
    name, version = sp.name, sp.version  # once: SpacyParser.version reads nlp.meta (slow)
    norm = {"s": 0.0}
    real_norm = spacy_mod.normalize_edges

    def timed_norm(*a, **k):
        t = time.process_time()
        try:
            return real_norm(*a, **k)
        finally:
            norm["s"] += time.process_time() - t

    gc.collect()
    gc.freeze()
    gc.disable()  # a gc pass would be charged to whichever stage triggers it
    out: dict[str, dict[str, float]] = {}
    cache = ParseCache(cache_path)
    for phase in ("cold", "warm"):
        res: dict[str, float] = {}
        t0 = time.process_time()
        spans = [document.split_report(x) for x in texts]
        res["sentence splitting"] = time.process_time() - t0
        items = [(s.text, s.start, k, s.section) for ss in spans for k, s in enumerate(ss)]
        if phase == "cold":
            t = time.process_time()
            list(sp.nlp.pipe([tx for tx, *_ in items], batch_size=sp.batch_size))
            res["  bare nlp.pipe (alone, for reference)"] = time.process_time() - t
            spacy_mod.normalize_edges = timed_norm
            norm["s"] = 0.0
            t = time.process_time()
            sents = list(sp.parse_spans(items))
            res["parsing (parse_spans: spaCy + Doc -> Sentence)"] = time.process_time() - t
            spacy_mod.normalize_edges = real_norm
            res["  of which normalization"] = norm["s"]
            t = time.process_time()
            rows = {}
            for s in sents:
                key = cache_key(name, version, s.text)
                rows[key] = (key, name, version, encode(s))
            cache.put_many(rows.values())
            res["cache write"] = time.process_time() - t
        else:
            t = time.process_time()
            keys = [cache_key(name, version, tx) for tx, *_ in items]
            found = cache.get_many(keys)
            vals = [found[k] for k in keys]
            res["cache read (sqlite)"] = time.process_time() - t
            t = time.process_time()
            sents = [decode(v, o, i, sec) for v, (_, o, i, sec) in zip(vals, items)]
            res["cache decode (JSON -> Sentence, incl. graph)"] = time.process_time() - t
        t = time.process_time()
        for s in sents:
            build_graph(s.tokens, s.edges)
        res["  graph build (alone, for reference)"] = time.process_time() - t
        t = time.process_time()
        found_m = [(s, lab.finder.find(s)) for s in sents]
        res["concept matching (finder.find)"] = time.process_time() - t
        t = time.process_time()
        judged = [[lab.decide(s, m).apply(m) for m in ms] for s, ms in found_m]
        res["rule matching (Labeler.decide, the judge)"] = time.process_time() - t
        t = time.process_time()
        pos = 0
        for ss in spans:
            ms = [m for ml in judged[pos : pos + len(ss)] for m in ml]
            pos += len(ss)
            is_normal(aggregate(ms, lab.policy), ms)
        res["aggregation"] = time.process_time() - t
        res["total of the stages"] = sum(v for k, v in res.items() if not k.startswith("  "))
        out[phase] = res
    gc.enable()
    cache.close()
    keys = list(dict.fromkeys([*out["cold"], *out["warm"]]))
    return [(k, out["cold"].get(k, 0.0), out["warm"].get(k, 0.0)) for k in keys]


def in_new_process(reports: Path, n: int, *extra: str) -> dict:
    """This script run in a fresh interpreter on the first ``n`` reports with the hidden
    options ``extra``; the JSON object its last output line holds."""
    import json
    import subprocess

    cmd = [sys.executable, __file__, "--reports", str(reports), "--n", str(n), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def pool_in_new_process(args: argparse.Namespace, jobs: int, cache: str, rows_file: str) -> dict:
    """:func:`run_pool` in a fresh interpreter on cache file ``cache`` (empty: cold; filled by
    the run before: warm); its rows come back through ``rows_file``."""
    import pickle

    r = in_new_process(args.reports, args.n, "--chunk", str(args.chunk), "--pool-part", str(jobs), cache, rows_file)
    with open(rows_file, "rb") as fh:
        r["rows"] = pickle.load(fh)
    os.unlink(rows_file)
    return r


def pool_part(args: argparse.Namespace) -> None:
    """The child side of :func:`pool_in_new_process`."""
    import json
    import pickle

    from cxrlabel.batch import LabelOptions
    from cxrlabel.gold.openi import read_openi_reports

    jobs, cache, rows_file = int(args.pool_part[0]), args.pool_part[1], args.pool_part[2]
    texts = [r.text for r in read_openi_reports(args.reports)]
    texts = texts[: args.n] if args.n else texts
    if args.half is not None:  # every other chunk of the run (halves)
        texts = [t for k, t in enumerate(texts) if (k // args.chunk) % 2 == args.half]
    r = run_pool(texts, LabelOptions(cache=cache), jobs, args.chunk, barrier=tuple(args.barrier or ()))
    with open(rows_file, "wb") as fh:
        pickle.dump(r.pop("rows"), fh)
    print(json.dumps(r))


def halves(args: argparse.Namespace, cache: str, tmp: str) -> float:
    """Two warm jobs=1 runs at once on the two halves of the reports (see the module
    docstring); returns their combined steady rate (reports/s)."""
    # each creates its flag, then waits for the other's, before its steady phase
    runs = at_once(tmp, "half", lambda half, barrier: [
        "--reports", str(args.reports), "--n", str(args.n), "--chunk", str(args.chunk), "--half", str(half),
        "--barrier", *barrier, "--pool-part", "1", cache, os.path.join(tmp, f"half{half}.pickle")])
    return sum(r["reports"] for r in runs) / max(r["reports"] / r["steady"] for r in runs)


def sentences(texts: list[str]) -> list[str]:
    """Every sentence text the labeler parses for ``texts`` (repeats included), in order."""
    from cxrlabel.batch.dedup import sentence_texts

    return [t for x in texts for t in sentence_texts(x)]


def parse_part(args: argparse.Namespace) -> None:
    """The child side of :func:`parse_halves`: wall seconds of bare ``nlp.pipe`` over the
    distinct sentences (``all``, or half ``0``/``1``: every other one), after the barrier."""
    import json

    from cxrlabel.gold.openi import read_openi_reports
    from cxrlabel.parsers.spacy import SpacyParser
    from cxrlabel.parsers.spacy_fast import one_blas_thread

    texts = [r.text for r in read_openi_reports(args.reports)]
    sents = list(dict.fromkeys(sentences(texts[: args.n] if args.n else texts)))  # the distinct ones
    part = args.parse_part[0]
    if part != "all":
        sents = sents[int(part)::2]
    nlp = SpacyParser().nlp
    list(nlp.pipe(["No pneumothorax."]))
    wait_at(args.parse_part[1:])
    with one_blas_thread():  # as SpacyParser runs it
        t = time.perf_counter()
        list(nlp.pipe(sents, batch_size=256))
        wall = time.perf_counter() - t
    print(json.dumps({"sentences": len(sents), "wall": wall}))


def parse_halves(args: argparse.Namespace, tmp: str) -> tuple[float, float, int]:
    """(wall s of parsing every distinct sentence in one process, wall s of the slower of two
    processes parsing half each at once, distinct sentences): see the module docstring."""
    alone = in_new_process(args.reports, args.n, "--parse-part", "all")
    runs = at_once(tmp, "parse", lambda half, barrier: [
        "--reports", str(args.reports), "--n", str(args.n), "--parse-part", str(half), *barrier])
    return alone["wall"], max(r["wall"] for r in runs), alone["sentences"]


#: What one fresh interpreter of :func:`cold_vs_bare` times.
PARTS = ("bare", "bare-cxrlabel", "cold")


def vs_bare_part(kind: str, texts: list[str]) -> dict:
    """One timed part of :func:`cold_vs_bare`, in this (fresh) interpreter: CPU seconds of
    ``bare`` — spaCy's own pipeline, loaded the plain way with the labeler's components, over
    every sentence the labeler would parse; ``bare-cxrlabel`` — the same through the labeler's
    loaded pipeline (its faster rule components and numpy's matrix product in place of BLIS's,
    :mod:`cxrlabel.parsers.spacy_fast`); ``cold``
    — ``label_many(jobs=1, cache=None)`` of ``texts`` with an empty memo, after the labeler is
    built and self-checked."""
    sents = sentences(texts)
    if kind == "cold":
        from cxrlabel.batch import label_many
        from cxrlabel.document import clear_split_memo
        from cxrlabel.labeler import Labeler
        from cxrlabel.memo import SentenceMemo

        lab = Labeler(memo=SentenceMemo())
        lab.ensure_checked()
        label_many(["No pneumothorax."], jobs=1, cache=None, progress=False, labeler=lab)  # pandas and tqdm imported
        lab.memo.clear()
        clear_split_memo()  # the splits above are not reused
        t = time.process_time()
        label_many(texts, jobs=1, cache=None, progress=False, labeler=lab)  # the batch path, its gc settings included
        cpu = time.process_time() - t
    else:
        from cxrlabel.parsers.spacy import DEFAULT_MODEL, SpacyParser

        if kind == "bare":
            from cxrlabel.parsers.spacy import _UNNEEDED, import_spacy

            nlp = import_spacy().load(DEFAULT_MODEL, exclude=list(_UNNEEDED))
        else:
            nlp = SpacyParser().nlp
        from cxrlabel.parsers.spacy_fast import one_blas_thread

        list(nlp.pipe(["No pneumothorax."]))
        with one_blas_thread():  # as SpacyParser runs it (CPU time: a second BLAS thread would count)
            t = time.process_time()
            list(nlp.pipe(sents, batch_size=256))
            cpu = time.process_time() - t
    return {"kind": kind, "cpu": cpu, "sentences": len(sents), "distinct": len(set(sents))}


def cold_vs_bare(reports: Path, n: int, rounds: int) -> list[dict[str, dict]]:
    """``rounds`` rounds of :data:`PARTS`, each part in a fresh interpreter (as a new user
    runs it: its vocabulary and caches start empty), one after the other so that a slower
    minute of a shared machine lands on all three; returns each round's parts."""
    out = []
    for _ in range(rounds):
        out.append({kind: in_new_process(reports, n, "--vs-bare-part", kind) for kind in PARTS})
    return out


def print_vs_bare(rounds: list[dict[str, dict]]) -> None:
    import statistics

    ratios = []
    for k, r in enumerate(rounds, 1):
        bare, own, cold = (r[p]["cpu"] for p in PARTS)
        ratios.append(cold / bare)
        print(f"  round {k}: bare nlp.pipe {bare:.2f} CPU s, through cxrlabel's pipeline {own:.2f} ({own / bare:.2f} x), "
              f"cold label_many {cold:.2f} = {cold / bare:.2f} x bare, {cold / own:.2f} x cxrlabel's pipeline; "
              f"load {os.getloadavg()[0]:.1f}")
    first = rounds[0]["cold"]
    print(f"cold, no cache file, 1 job: median {statistics.median(ratios):.2f} x bare nlp.pipe over the same "
          f"{first['sentences']} sentences ({first['distinct']} distinct, {first['distinct'] / max(first['sentences'], 1):.0%}), "
          f"{len(rounds)} rounds of fresh interpreters")


def cold_runs(args: argparse.Namespace, tmp: str, caches: dict[int, str], results: dict, report) -> None:
    """``--cold-runs`` rounds of a cold run per job count, each in a new process on a new cache
    file (the first round's files are kept for the warm runs), with the parsing ceiling of
    ``--halves`` after each round; prints the median per-round ratio of jobs=2 to jobs=1."""
    import statistics

    ratios, ceilings = [], []
    for k in range(args.cold_runs):
        steady = {}
        for jobs in args.jobs:  # each run a new process, as a user runs it
            cache = caches[jobs] if k == 0 else os.path.join(tmp, f"cold-j{jobs}-{k}.sqlite")
            r = pool_in_new_process(args, jobs, cache, os.path.join(tmp, "rows.pickle"))
            results.setdefault((jobs, "cold"), r)
            if k > 0:
                results[(jobs, f"cold {k + 1}")] = {"rows": r["rows"]}
                for f in Path(tmp).glob(f"cold-j{jobs}-{k}.sqlite*"):
                    f.unlink()
            steady[jobs] = r["steady"]
            report(jobs, f"cold (run {k + 1})" if args.cold_runs > 1 else "cold", r)
        if 1 in steady and 2 in steady:
            ratios.append(steady[2] / steady[1])
        if args.halves:
            alone, both, n = parse_halves(args, tmp)
            ceilings.append(alone / both)
            print(f"parsing the {n} distinct sentences (bare nlp.pipe): {alone:.2f} s alone, {both:.2f} s as two halves at "
                  f"once = {alone / both:.2f} x; load {os.getloadavg()[0]:.1f}", flush=True)
    if ratios and args.cold_runs > 1:
        print(f"cold steady jobs=2 / jobs=1, median of {len(ratios)} rounds: {statistics.median(ratios):.2f} x "
              f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)})")
    if ceilings:
        print(f"machine ceiling for parsing on 2 processes, median: {statistics.median(ceilings):.2f} x"
              + (f"; cold jobs=2 reached {statistics.median(ratios) / statistics.median(ceilings):.0%} of it" if ratios else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=Path, default=DEFAULT_TGZ)
    ap.add_argument("--n", type=int, default=0, help="first N reports (0: all)")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--chunk", type=int, default=256)
    ap.add_argument("--no-reference", action="store_true")
    ap.add_argument("--profile", type=int, default=500, help="reports to profile (0: skip)")
    ap.add_argument("--vs-bare", action="store_true",
                    help="also time a cold jobs=1 run without cache file against bare nlp.pipe over the same sentences "
                         "(fresh interpreters, --vs-bare-rounds rounds)")
    ap.add_argument("--vs-bare-rounds", type=int, default=3)
    ap.add_argument("--warm-runs", type=int, default=3, help="warm runs per job count (interleaved; their median)")
    ap.add_argument("--vs-bare-part", choices=PARTS, help=argparse.SUPPRESS)  # one part, in a fresh interpreter
    ap.add_argument("--pool-part", nargs=3, help=argparse.SUPPRESS)  # JOBS CACHE ROWS_FILE: one run, in a fresh interpreter
    ap.add_argument("--halves", action="store_true",
                    help="with each warm round, two jobs=1 runs at once on half the reports each: the machine's ceiling for 2 jobs")
    ap.add_argument("--cold-runs", type=int, default=1, help="cold runs per job count (interleaved; the median ratio)")
    ap.add_argument("--parse-part", nargs="+", help=argparse.SUPPRESS)  # all|0|1 [MINE OTHER]: parse_part, fresh interpreter
    ap.add_argument("--half", type=int, choices=(0, 1), help=argparse.SUPPRESS)  # a --pool-part run on every other chunk
    ap.add_argument("--barrier", nargs=2, help=argparse.SUPPRESS)  # MINE OTHER: run_pool's barrier files
    ap.add_argument("--smoke", action="store_true",
                    help="a seconds-long run on 6 reports (1 and 2 jobs, reference, profile) that the tests execute")
    args = ap.parse_args()
    if args.smoke:
        args.n, args.jobs, args.chunk, args.profile, args.vs_bare, args.vs_bare_rounds, args.warm_runs = 6, [1, 2], 3, 6, True, 1, 2
        args.halves, args.cold_runs = True, 2
    if args.parse_part:
        parse_part(args)
        return
    if args.pool_part:
        pool_part(args)
        return
    if args.vs_bare_part:
        import json

        from cxrlabel.gold.openi import read_openi_reports

        texts = [r.text for r in read_openi_reports(args.reports)]
        print(json.dumps(vs_bare_part(args.vs_bare_part, texts[: args.n] if args.n else texts)))
        return
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        run(args, tmp)


def run(args: argparse.Namespace, tmp: str) -> None:
    """The benchmark proper; every file it writes goes under ``tmp``."""

    from cxrlabel.gold.openi import read_openi_reports as read_reports

    texts = all_texts = [r.text for r in read_reports(args.reports)]
    if args.n:
        texts = texts[: args.n]
    print(f"# {len(texts)} OpenI reports; {platform.node()} {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.1f}; python {platform.python_version()}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    results = {}

    def report(jobs: int, phase: str, r: dict) -> None:
        print(f"jobs={jobs} {phase}: {r['end_to_end']:.0f} reports/s end to end, {r['steady']:.0f} steady "
              f"(start {r['start_s']:.1f} s); peak RSS of a process {r['rss'] / 2**20:.0f} MiB; "
              f"load {os.getloadavg()[0]:.1f}", flush=True)

    caches = {jobs: os.path.join(tmp, f"parses-j{jobs}.sqlite") for jobs in args.jobs}
    cold_runs(args, tmp, caches, results, report)
    warm: dict[int, list[float]] = {jobs: [] for jobs in args.jobs}
    ceiling: list[float] = []
    for k in range(args.warm_runs):  # a warm run is short: several, interleaved, and their median
        for jobs in args.jobs:
            r = pool_in_new_process(args, jobs, caches[jobs], os.path.join(tmp, "rows.pickle"))
            results.setdefault((jobs, "warm"), r)
            warm[jobs].append(r["steady"])
            report(jobs, f"warm (run {k + 1})" if args.warm_runs > 1 else "warm", r)
        if args.halves and 1 in caches:
            ceiling.append(halves(args, caches[1], tmp))
            print(f"two jobs=1 at once, half the reports each (run {k + 1}): {ceiling[-1]:.0f} reports/s together; "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
    if args.warm_runs > 1:
        import statistics

        med = {jobs: statistics.median(v) for jobs, v in warm.items()}
        first = args.jobs[0]
        print("warm steady, median of runs: " + "; ".join(
            f"jobs={j} {m:.0f}/s" + (f" = {m / med[first]:.2f} x jobs={first}" if j != first else "") for j, m in med.items()))
        if ceiling and 1 in med:
            top = statistics.median(ceiling)
            print(f"machine ceiling for 2 jobs, median: {top:.0f}/s = {top / med[1]:.2f} x jobs=1"
                  + (f"; jobs=2 reached {med[2] / top:.0%} of it" if 2 in med else ""))
    base = next(iter(results.values()))["rows"]
    same = all(r["rows"] == base for r in results.values())
    print(f"all runs give the same rows: {same}")
    for key, r in results.items():
        diff = [k for k, (x, y) in enumerate(zip(r["rows"], base)) if x != y]
        if diff:
            print(f"  jobs={key[0]} {key[1]} differs from the first run at {len(diff)} reports, e.g. {diff[:5]}")
    if not args.no_reference:
        from cxrlabel.labeler import Labeler

        lab = Labeler()
        t = time.perf_counter()
        got = [lab.label(x) for x in texts]
        dt = time.perf_counter() - t
        ref = [(r.to_chexpert(), r.error) for r in got]
        cols = [k for k in ref[0][0]]
        # a report differs when a cell or the error differs (an empty report is an I250 error row in both)
        bad = [k for k, ((a, err), b) in enumerate(zip(ref, base)) if a != {c: b.get(c) for c in cols} or err != b.get("error")]
        errors = sum(err is not None for _, err in ref)
        print(f"label() one report at a time: {len(texts) / dt:.0f} reports/s; reports whose labels differ from it: {len(bad)} "
              f"{bad[:10]} ({errors} error rows in both, e.g. empty reports)")
    if args.vs_bare:
        print_vs_bare(cold_vs_bare(args.reports, args.n, args.vs_bare_rounds))
    if args.profile:
        print(f"\n# cost split, {min(args.profile, len(all_texts))} reports, one process, CPU seconds per stage (cold | warm)")
        for name, cold, warm in profile(all_texts[: args.profile], os.path.join(tmp, "profile.sqlite")):
            print(f"{name:46s} {cold:7.3f} | {warm:6.3f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
