"""Score the labeler against your own annotated reports.

Run: ``python examples/evaluate_own_gold.py [WORKDIR]``. Writes ``my_gold.csv`` — an id
column, a text column and one column per annotated finding holding 1 / 0 / -1 / blank (or the
words positive / negative / uncertain) — then

1. ``cxrlabel eval --gold my_gold.csv --text-column report --id-column rid --errors errors.csv``
   prints precision, recall and F1 per finding, micro/macro averages, Normal, and, because the
   gold has uncertain labels, the three-way (positive / negative / uncertain) F1; findings
   without a column are skipped with a note on stderr; every false positive and false negative
   goes to ``errors.csv`` with the rules behind it (``FP``, ``FN``, or ``WRONG`` for a mentioned
   finding with another polarity than the gold's);
2. does the same from Python with :func:`cxrlabel.gold.load_gold` and
   :func:`cxrlabel.gold.evaluate`, and reads the scores from the result.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

import cxrlabel
from cxrlabel.gold import evaluate, load_gold

GOLD = pd.DataFrame(
    {
        "rid": ["g1", "g2", "g3", "g4", "g5"],
        "report": [
            "Small left pleural effusion. No pneumothorax.",
            "No pleural effusion or pneumothorax.",
            "Pneumothorax cannot be excluded.",
            "Effusion has vanished.",
            "Heart size is normal. Lungs are clear.",
        ],
        "Effusion": ["1", "0", "", "0", ""],
        "Pneumothorax": ["negative", "negative", "uncertain", "", ""],
        "No Finding": ["", "1", "", "1", "1"],
    }
)


def cxrlabel_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``cxrlabel`` command of this Python environment."""
    exe = Path(sys.executable).with_name("cxrlabel")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", "from cxrlabel.cli import main; main()"]
    return subprocess.run(cmd + list(args), capture_output=True, text=True)


def main(workdir: Path) -> None:
    gold_csv = workdir / "my_gold.csv"
    GOLD.to_csv(gold_csv, index=False)

    errors = workdir / "errors.csv"
    out = cxrlabel_cli("eval", "--gold", str(gold_csv), "--text-column", "report", "--id-column", "rid",
                       "--errors", str(errors), "--quiet")
    print(out.stdout)
    print(out.stderr)
    assert out.returncode == 0, out.stderr
    assert "three-way" in out.stdout
    dump = pd.read_csv(errors)
    print(dump[["id", "finding", "kind", "predicted", "gold", "rules"]].to_string())
    # "Effusion has vanished." is read as positive by the shipped rules: the gold (three-way,
    # it has uncertain labels) says 0, so the dump lists a WRONG polarity of a mentioned finding.
    assert ("g4", "Effusion", "WRONG") in set(zip(dump["id"], dump["finding"], dump["kind"]))

    gold = load_gold(gold_csv, text_column="report", id_column="rid")
    print("annotated findings:", gold.findings, "| three-way:", gold.three_way)
    result = evaluate(gold, cxrlabel.Labeler(), progress=False)
    eff = result.per_finding["Effusion"]
    print(f"Effusion: precision {eff.precision:.2f} recall {eff.recall:.2f} F1 {eff.f1:.2f}")
    print("Pneumothorax three-way F1:", {k: round(v.f1, 2) for k, v in result.three_way["Pneumothorax"].items()})
    assert eff.recall == 1.0 and eff.precision == 0.5


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="cxrlabel-")))
