"""benchmarks/bench_vision.py --smoke runs every mode and source on a CPU (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[2]


def test_bench_vision_smoke_covers_train_and_inference_from_both_sources():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_vision.py"),
                           "--smoke"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert {(r["mode"], r["source"]) for r in rows} == {
        ("train", "synthetic"), ("train", "cache"), ("infer", "synthetic"), ("infer", "cache")}
    assert all(r["smoke"] and r["device"] == "cpu" and r["images_per_s"] > 0 for r in rows)
    assert "| mode |" in done.stdout
