"""Label a CSV of reports, from the command line and from Python.

Run: ``python examples/label_a_csv.py [WORKDIR]`` (default: a new temporary folder).
Writes ``reports.csv``, labels it with ``cxrlabel label`` into ``labels.csv`` (CheXpert
convention: 1 positive, 0 negative, -1 uncertain, blank not mentioned), then labels the same
reports from Python with :class:`cxrlabel.Labeler` and checks that both agree.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

import cxrlabel

REPORTS = pd.DataFrame(
    {
        "study_id": ["s1", "s2", "s3"],
        "report": [
            "FINDINGS: Heart size is mildly enlarged. No pneumothorax or pleural effusion. "
            "IMPRESSION: Mild cardiomegaly.",
            "IMPRESSION: Right lower lobe opacity; pneumonia cannot be excluded.",
            "The lungs are clear. No acute cardiopulmonary abnormality.",
        ],
    }
)


def cxrlabel_cli(*args: str) -> str:
    """Run the ``cxrlabel`` command of this Python environment; return its stdout."""
    exe = Path(sys.executable).with_name("cxrlabel")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", "from cxrlabel.cli import main; main()"]
    return subprocess.run(cmd + list(args), check=True, capture_output=True, text=True).stdout


def main(workdir: Path) -> pd.DataFrame:
    src = workdir / "reports.csv"
    REPORTS.to_csv(src, index=False)

    # 1. The command line: one row per report, the 14 findings and No Finding.
    out = workdir / "labels.csv"
    cxrlabel_cli("label", str(src), "--column", "report", "--id-column", "study_id", "--explain", "-o", str(out))
    table = pd.read_csv(out, dtype={"id": str})
    print(table[["id", "Cardiomegaly", "Effusion", "Pneumothorax", "Pneumonia", "No Finding", "explain"]].to_string())

    # 2. Python: the same labels, with the evidence behind each one.
    labeler = cxrlabel.Labeler()
    results = labeler.label_many(REPORTS["report"].tolist())
    for sid, r in zip(REPORTS["study_id"], results):
        print(sid, r, {f: r.rule_ids(f) for f in r.positives()})
        row = table.set_index("id").loc[sid]
        for finding, value in r.to_chexpert().items():
            assert (pd.isna(row[finding]) and value is None) or row[finding] == value, (sid, finding)

    assert table.set_index("id").loc["s1", "Cardiomegaly"] == 1
    assert table.set_index("id").loc["s1", "Pneumothorax"] == 0
    assert table.set_index("id").loc["s2", "Pneumonia"] == -1
    assert table.set_index("id").loc["s3", "No Finding"] == 1
    return table


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="cxrlabel-")))
