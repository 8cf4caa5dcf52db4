"""Every benchmark script runs: its ``--smoke`` mode (seconds, a handful of reports or
sentences, files only in temporary folders) exits 0 and prints its result lines. No timing is
asserted; this keeps the benchmarks from rotting when the code under them moves."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO, require_data

#: script → lines (substrings) its smoke run must print; bench_vision.py is owned elsewhere.
EXPECTED = {
    "bench_batch.py": ("jobs=1 cold (run 1):", "cold steady jobs=2 / jobs=1, median of 2 rounds", "machine ceiling for parsing",
                       "jobs=1 warm (run 1):", "warm steady, median of runs", "all runs give the same rows: True",
                       "reports whose labels differ from it: 0", "x bare nlp.pipe", "rule matching", "total of the stages"),
    "bench_parse.py": ("bare nlp.pipe", "SpacyParser batched", "parse_reports", "tagged VB*"),
    "bench_concepts.py": ("build_index (cold cache)", "ConceptFinder load", "find threshold=0.9", "find threshold=None"),
    "bench_matcher.py": ("Matcher.match (gated, all stages)", "plain anchored VF2", "random 25-token trees"),
    "bench_accuracy.py": ("chexpert", "micro F1"),
    "bench_startup.py": ("label() cold in a fresh interpreter:", "worker ready", "label_many n=8 jobs=2, cold, end to end:",
                         "jobs=2 is"),
    "bench_scaling.py": ("openi sections", "findings_lines sentences", "blank_runs sections", "openi label()", "the bar: x2.00", "largest at any size"),
}
NEEDS_OPENI = {"bench_batch.py", "bench_parse.py", "bench_concepts.py", "bench_accuracy.py", "bench_startup.py", "bench_scaling.py"}


def test_every_benchmark_script_has_a_smoke_test():
    scripts = {p.name for p in (REPO / "benchmarks").glob("bench_*.py")} - {"bench_vision.py"}
    assert scripts == set(EXPECTED)


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_benchmark_smoke_run_exits_0_and_prints_its_results(script, tmp_path):
    args = ["--reports", str(require_data("openi/NLMCXR_reports.tgz"))] if script in NEEDS_OPENI else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
           "TMPDIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / script), "--smoke", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{script} --smoke failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    for line in EXPECTED[script]:
        assert line in proc.stdout, f"{script} --smoke did not print {line!r}:\n{proc.stdout[-3000:]}"
    assert not [p for p in tmp_path.iterdir() if p.is_file()], "a smoke run left files behind"
