"""Start-up cost of the text path (issue 14): torch and spaCy's command line stay out of
``cxrlabel.label``, batch workers do not repeat a self-check their parent ran, and a script
that forgets the ``__main__`` guard gets a coded error instead of ``BrokenProcessPool``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO


def _run(code: str, cwd, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    env.pop("CXRLABEL_SPACY_TORCH", None)
    return subprocess.run([sys.executable, *args] if not code else [sys.executable, "-c", code], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def _stdout(code: str, cwd, *args: str) -> str:
    """The stdout of :func:`_run`, which must exit 0."""
    proc = _run(code, cwd, *args)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_label_does_not_import_torch_even_when_it_is_installed(tmp_path):
    pytest.importorskip("torch")
    code = textwrap.dedent("""
        import sys
        import cxrlabel
        r = cxrlabel.label("No pneumothorax.")
        assert r["Pneumothorax"].value == "negative", r
        print("torch loaded:", "torch" in sys.modules)
        import thinc.compat
        print("thinc sees torch:", thinc.compat.has_torch)
        import torch  # the vision side can still import it afterwards
        print("torch importable:", torch.tensor([1]).sum().item() == 1)
    """)
    out = _stdout(code, tmp_path)
    assert "torch loaded: False" in out
    assert "thinc sees torch: False" in out
    assert "torch importable: True" in out


def test_label_leaves_spacys_command_line_unimported_and_spacy_info_still_works(tmp_path):
    code = textwrap.dedent("""
        import sys
        import cxrlabel
        assert cxrlabel.label("No pneumothorax.")["Pneumothorax"].value == "negative"
        print("cli loaded:", sorted(m for m in sys.modules if m.split(".")[0] in ("weasel", "typer", "jinja2") or m.startswith("spacy.cli")))
        import spacy
        print("info:", spacy.info()["spacy_version"] == spacy.__version__)
        import spacy.cli
        print("real cli:", callable(spacy.cli.download) and spacy.cli.info.__module__ == "spacy.cli.info")
    """)
    out = _stdout(code, tmp_path)
    assert "cli loaded: []" in out
    assert "info: True" in out
    assert "real cli: True" in out


def test_label_many_on_a_list_works_before_pandas_is_imported_and_returns_a_frame(tmp_path):
    script = tmp_path / "many.py"
    script.write_text(textwrap.dedent("""
        import sys
        import cxrlabel
        if __name__ == "__main__":
            print("pandas before:", "pandas" in sys.modules)
            for jobs in (1, 2):
                df = cxrlabel.label_many(["No pneumothorax.", "Small left pleural effusion."] * 3, jobs=jobs, chunk_size=2, cache=None, progress=False)
                print(jobs, type(df).__name__, df["Pneumothorax"].tolist()[:2], df["Effusion"].tolist()[:2])
    """))
    out = _stdout("", tmp_path, str(script))
    assert "pandas before: False" in out
    for jobs in (1, 2):
        assert f"{jobs} DataFrame [0.0, nan] [nan, 1.0]" in out, out


@pytest.fixture(scope="module")
def labeler():
    from cxrlabel.labeler import Labeler

    return Labeler(self_check=False)


def test_fingerprint_changes_when_a_rule_changes(labeler):
    from dataclasses import replace

    from cxrlabel.labeler import rules_fingerprint

    rules = list(labeler.rules)
    edited = [replace(rules[0], description=rules[0].description + " (edited)"), *rules[1:]]
    assert rules_fingerprint(rules) == rules_fingerprint(list(labeler.rules))
    assert rules_fingerprint(edited) != rules_fingerprint(rules)


def test_a_vouched_for_fingerprint_skips_the_self_check(labeler):
    import copy

    from cxrlabel.errors import LabelerError
    from cxrlabel.labeler import checked_fingerprints, trust_checked

    broken = copy.copy(labeler)  # same parser and finder, no rules: every canary fails
    broken.rules = []
    broken._fingerprint = None
    broken._checked = False
    from cxrlabel.rules.judge import Judge

    broken.mention_judge = Judge.from_rules([])
    with pytest.raises(LabelerError) as err:
        broken.ensure_checked()
    assert err.value.code == "L601"
    assert broken.fingerprint not in checked_fingerprints()
    trust_checked([broken.fingerprint])  # as a worker whose parent checked this fingerprint
    broken._checked = False
    broken.ensure_checked()  # no canaries run, so no L601
    assert broken.fingerprint in checked_fingerprints()


UNGUARDED = """\
import cxrlabel

df = cxrlabel.label_many(["No pneumothorax.", "Mild cardiomegaly."], jobs=2, cache=None, progress=False)
print(df)
"""

GUARDED_PROBE = """\
from cxrlabel.batch.spawn import unguarded_line


def probe():
    return unguarded_line()


print("top level:", probe())
if __name__ == "__main__":
    print("guarded:", probe())
"""


def test_a_script_without_the_main_guard_gets_I237_not_broken_process_pool(tmp_path):
    script = tmp_path / "label_script.py"
    script.write_text(UNGUARDED, encoding="utf-8")
    proc = _run("", tmp_path, str(script))
    assert proc.returncode != 0
    assert "BrokenProcessPool" not in proc.stderr
    assert "[I237]" in proc.stderr or "I237" in proc.stderr, proc.stderr[-3000:]
    assert 'if __name__ == "__main__":' in proc.stderr
    assert "label_script.py:3" in proc.stderr


def test_the_guard_check_tells_top_level_code_from_guarded_code(tmp_path):
    script = tmp_path / "probe.py"
    script.write_text(GUARDED_PROBE, encoding="utf-8")
    out = _stdout("", tmp_path, str(script))
    assert "top level: 8" in out
    assert "guarded: None" in out
