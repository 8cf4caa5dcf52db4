"""Every script in examples/ runs to completion (each checks its own results), so none rots.

Each runs in a subprocess with this interpreter and a fresh work folder. They load the spaCy
parser (and torch for the vision one), so they are marked slow; they still run in CI.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))


def test_there_are_examples_and_each_is_listed_in_the_docs() -> None:
    assert len(EXAMPLES) >= 5
    page = (ROOT / "docs" / "examples.md").read_text(encoding="utf-8")
    for script in EXAMPLES:
        assert f"examples/{script.name}" in page, f"docs/examples.md does not list {script.name}"


@pytest.mark.slow
@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(script: Path, tmp_path: Path) -> None:
    if script.name == "train_and_localize.py":
        pytest.importorskip("torch", reason="the vision example needs the [vision] extra")
    out = subprocess.run(
        [sys.executable, str(script), str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    assert out.returncode == 0, f"{script.name} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
