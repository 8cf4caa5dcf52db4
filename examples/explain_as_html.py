"""Explain a label as an HTML page: the parse, the mention and the rule that decided it.

Run: ``python examples/explain_as_html.py [WORKDIR]``. Runs
``cxrlabel explain --html explain.html "No evidence of pneumothorax. Mild cardiomegaly."``,
which prints the explanation as text and writes a self-contained page with one dependency-arc
SVG per sentence, the deciding rule's arcs and the mention highlighted (open it in a browser).
Then gets the same evidence as data from Python (:meth:`cxrlabel.ReportLabels.to_dict` with
``evidence=True``); ``cxrlabel explain --json`` prints it from the command line.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import cxrlabel

TEXT = "No evidence of pneumothorax. Mild cardiomegaly."


def cxrlabel_cli(*args: str) -> str:
    """Run the ``cxrlabel`` command of this Python environment; return its stdout."""
    exe = Path(sys.executable).with_name("cxrlabel")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", "from cxrlabel.cli import main; main()"]
    return subprocess.run(cmd + list(args), check=True, capture_output=True, text=True).stdout


def main(workdir: Path) -> Path:
    page = workdir / "explain.html"
    print(cxrlabel_cli("explain", "--no-color", "--html", str(page), TEXT))
    html = page.read_text(encoding="utf-8")
    assert html.count("<svg") >= 2 and "no-evidence-of" in html
    print(f"wrote {page} ({len(html)} characters): open it in a browser")

    evidence = cxrlabel.label(TEXT).to_dict(evidence=True)
    for m in evidence["mentions"]:
        print(f"{m['text']!r} ({m['start']}-{m['end']}) → {m['finding']} {m['polarity']} by {m['rules']}")
    assert evidence["Pneumothorax"] == "negative" and evidence["Cardiomegaly"] == "positive"
    return page


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="cxrlabel-")))
