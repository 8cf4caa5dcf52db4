"""Start-up and end-to-end batch time as a new user meets them (issue 14), each run in a fresh
interpreter: ``import cxrlabel; cxrlabel.label("No pneumothorax.")`` cold, a batch worker
ready (``init_worker``: imports, labeler, self-check), and ``label_many(texts, jobs=J,
cache=None)`` on the first N OpenI reports, interpreter start included (the workers' start,
the batch-wide sentence dedup and the labeling).

Usage::

    .venv/bin/python benchmarks/bench_startup.py [--n 200 400 1000] [--jobs 1 2] [--repeat 3] [--smoke]

Figures are medians of ``--repeat`` runs, wall-clock seconds; the ``label_many`` runs go in
rounds (one run per job count each), and the jobs=J / jobs=1 ratio is given both from the
medians and as the median of the rounds' own ratios. The load average is printed with each
line (the machine may be shared). No parse cache file is used, so every run is cold.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_TGZ = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "openi" / "NLMCXR_reports.tgz"

LABEL_ONE = "import cxrlabel; cxrlabel.label('No pneumothorax.')"
WORKER = (
    "import time; t = time.perf_counter()\n"
    "from cxrlabel.batch import LabelOptions, init_worker\n"
    "init_worker(LabelOptions(cache=None))\n"
    "print(time.perf_counter() - t)\n"
)
LABEL_MANY = (
    "import json, sys, time\n"
    "t = time.perf_counter()\n"
    "import cxrlabel\n"
    "if __name__ == '__main__':\n"
    "    texts = json.load(open(sys.argv[1], encoding='utf-8'))\n"
    "    df = cxrlabel.label_many(texts, jobs=int(sys.argv[2]), cache=None, progress=False)\n"
    "    assert len(df) == len(texts) and df['error'].isna().all()\n"
    "    print(time.perf_counter() - t)\n"
)


def _env(tmp: str) -> dict[str, str]:
    repo = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")]))}
    env.setdefault("CXRLABEL_CACHE_DIR", os.path.join(tmp, "cache"))  # the concept index is built once, below
    return env


def _python(args: list[str], env: dict[str, str], cwd: str) -> tuple[float, str]:
    """(wall seconds of the whole interpreter run, its stdout); raises on failure."""
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)[:80]} failed:\n{proc.stderr[-3000:]}")
    return wall, proc.stdout.strip()


def _median(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f} s (runs: {', '.join(f'{x:.2f}' for x in xs)})"


def run(args: argparse.Namespace, tmp: str) -> None:
    from cxrlabel.gold.openi import read_openi_reports

    # reports with text only: the 28 empty OpenI reports fail (I250) and would only be error rows
    texts = [r.text for r in read_openi_reports(args.reports) if r.text.strip()]
    env = _env(tmp)
    print(f"# {platform.node()}, {os.cpu_count()} CPUs, python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load avg {os.getloadavg()[0]:.1f}")
    _python(["-c", LABEL_ONE], env, tmp)  # builds the concept index into the cache folder if needed
    walls = [_python(["-c", LABEL_ONE], env, tmp)[0] for _ in range(args.repeat)]
    print(f"label() cold in a fresh interpreter: {_median(walls)}; load {os.getloadavg()[0]:.1f}", flush=True)
    ready = [float(_python(["-c", WORKER], env, tmp)[1].splitlines()[-1]) for _ in range(args.repeat)]
    print(f"worker ready (imports, labeler, self-check): {_median(ready)}; load {os.getloadavg()[0]:.1f}", flush=True)
    script = os.path.join(tmp, "label_many_run.py")
    Path(script).write_text(LABEL_MANY, encoding="utf-8")
    for n in args.n:
        data = os.path.join(tmp, f"reports-{n}.json")
        Path(data).write_text(json.dumps(texts[:n]), encoding="utf-8")
        # rounds of one run per job count, so that each ratio compares runs of the same minute
        runs: dict[int, list[float]] = {jobs: [] for jobs in args.jobs}
        for _ in range(args.repeat):
            for jobs in args.jobs:
                runs[jobs].append(float(_python([script, data, str(jobs)], env, tmp)[1].splitlines()[-1]))
        for jobs, walls in runs.items():
            med = statistics.median(walls)
            print(f"label_many n={n} jobs={jobs}, cold, end to end: {_median(walls)} = {n / med:.0f} reports/s; "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
        if 1 in runs:
            for jobs, walls in runs.items():
                if jobs != 1:
                    rounds = [a / b for a, b in zip(runs[1], walls)]
                    print(f"label_many n={n}: jobs={jobs} is {statistics.median(runs[1]) / statistics.median(walls):.2f}x "
                          f"jobs=1 end to end (medians); per round {statistics.median(rounds):.2f}x "
                          f"(rounds: {', '.join(f'{r:.2f}' for r in rounds)})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=Path, default=DEFAULT_TGZ)
    ap.add_argument("--n", type=int, nargs="+", default=[200, 400, 1000])
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--smoke", action="store_true", help="one run of each on 8 reports (what the tests execute)")
    args = ap.parse_args()
    if args.smoke:
        args.n, args.repeat = [8], 1
    with tempfile.TemporaryDirectory(prefix="bench_startup_") as tmp:
        run(args, tmp)


if __name__ == "__main__":
    main()
