"""Write a rule, check it, test it, and use it.

Run: ``python examples/write_a_rule.py [WORKDIR]``. The shipped rules read "Effusion has
vanished." as a positive effusion. This script writes ``my_rules.yaml`` with one negation rule
(``DISEASE ← nsubj ← (vanish|disappear)``) and two examples, then

1. ``cxrlabel rules check my_rules.yaml``  – every error, located (none here);
2. ``cxrlabel rules test my_rules.yaml``   – each example through the full labeler;
3. labels the sentence with and without the rule from Python, and runs the rule's examples
   with :func:`cxrlabel.rules.examples.run_examples`.

See docs/writing-rules.md for the walk-through.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import cxrlabel
from cxrlabel.rules import load_rules
from cxrlabel.rules.examples import run_examples

RULE_FILE = """\
rules:
  - id: has-vanished
    assigns: negative
    stage: negation
    description: '"X has vanished": the finding is gone.'
    path: DISEASE ← nsubj ← (vanish|disappear)
    examples:
      - {text: "The effusion has vanished.", expect: {Effusion: negative}}
      - {text: "Pneumothorax has disappeared.", expect: {Pneumothorax: negative}}
"""


def cxrlabel_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``cxrlabel`` command of this Python environment."""
    exe = Path(sys.executable).with_name("cxrlabel")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", "from cxrlabel.cli import main; main()"]
    return subprocess.run(cmd + list(args), capture_output=True, text=True)


def main(workdir: Path) -> None:
    rules_path = workdir / "my_rules.yaml"
    rules_path.write_text(RULE_FILE, encoding="utf-8")

    check = cxrlabel_cli("rules", "check", str(rules_path))
    print(check.stdout + check.stderr)
    assert check.returncode == 0, "the rule file has errors"

    test = cxrlabel_cli("rules", "test", str(rules_path))
    print(test.stdout + test.stderr)
    assert test.returncode == 0, "an example of the rule fails"

    text = "Effusion has vanished."
    shipped = cxrlabel.Labeler(parser="spacy")
    mine = cxrlabel.Labeler(parser=shipped.parser, grammars=[rules_path])  # reuse the loaded parser
    before, after = shipped.label(text), mine.label(text)
    print(f"{text!r}: shipped rules → {before['Effusion'].value}; with my_rules.yaml → "
          f"{after['Effusion'].value} (decided by {after.rule_ids('Effusion')})")
    assert before["Effusion"] == "positive" and after["Effusion"] == "negative"
    assert after.rule_ids("Effusion") == ["has-vanished"]

    for result in run_examples(load_rules(rules_path), mine):
        print(result.describe())
        assert result.passed and result.fired


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="cxrlabel-")))
