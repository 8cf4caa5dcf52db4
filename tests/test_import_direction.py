"""Imports point down: the rule language does not reach up to the labeler, and the gold package
neither imports the ``cxrlabel`` facade nor goes round in a cycle with its own ``__init__``.

Every import is counted, also those inside functions (a function-level import that dodges a
cycle is still a cycle).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "cxrlabel"


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports_of(path: Path) -> set[str]:
    """The cxrlabel modules ``path`` imports (``from pkg import sub`` counts as ``pkg.sub``)."""
    here = _module_of(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "cxrlabel")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "cxrlabel":
                continue
            for a in node.names:
                sub = f"{target}.{a.name}"
                out.add(sub if _is_module(sub) else target)
    return out


def test_the_scan_resolves_relative_and_absolute_imports(tmp_path):
    found = imports_of(PKG / "gold" / "loading.py")
    assert {"cxrlabel.registry", "cxrlabel.errors", "cxrlabel.gold.csv", "cxrlabel.gold.goldset"} <= found


def test_the_rule_language_imports_nothing_above_it():
    allowed = ("cxrlabel.rules", "cxrlabel.codes", "cxrlabel.errors", "cxrlabel.types", "cxrlabel.canonical", "cxrlabel.registry")
    upward = {}
    for path in sorted((PKG / "rules").rglob("*.py")):
        bad = sorted(m for m in imports_of(path) if not m.startswith(allowed))
        if bad:
            upward[str(path.relative_to(ROOT))] = bad
    assert not upward, f"cxrlabel.rules must not import the layers built on it: {upward}"


def test_no_gold_module_imports_the_cxrlabel_facade_or_its_own_package():
    bad = {}
    for path in sorted((PKG / "gold").glob("*.py")):
        hits = sorted(imports_of(path) & ({"cxrlabel"} | ({"cxrlabel.gold"} if path.name != "__init__.py" else set())))
        if hits:
            bad[path.name] = hits
    assert not bad, f"import the module that defines the name instead: {bad}"


def test_the_gold_package_exports_real_attributes_in_a_fresh_interpreter():
    code = (
        "import cxrlabel.gold.evaluation as e, cxrlabel.gold as g; "
        "assert g.evaluate is e.evaluate and g.EvalResult is e.EvalResult; "
        "assert g.load_gold.__module__ == 'cxrlabel.gold.loading'; "
        "assert not hasattr(g, '__getattr__')"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_rule_tests_live_above_the_labeler():
    import cxrlabel.rules_testing as rt

    assert {"cxrlabel.labeler", "cxrlabel.rules.examples"} <= imports_of(PKG / "rules_testing.py")
    assert callable(rt.run_rule_tests) and not (PKG / "rules" / "testing.py").exists()
