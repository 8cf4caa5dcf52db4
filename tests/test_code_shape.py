"""Code stays in small pieces (STYLE.md: files under ~400 lines, functions under ~60): every
module of cxrlabel/ and cxrlabel_vision/ is under MAX_MODULE_LINES lines and every function
under MAX_FUNCTION_LINES, except what the allowlists below name. The allowlists only shrink:
an entry that is no longer over its limit fails too, so it is removed when its split lands."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cxrlabel", "cxrlabel_vision")
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 65

#: Modules still over MAX_MODULE_LINES (path relative to the repository root).
MODULE_ALLOWLIST: frozenset[str] = frozenset()

#: Functions still over MAX_FUNCTION_LINES, as "path:qualified.name".
FUNCTION_ALLOWLIST: frozenset[str] = frozenset()


def _sources() -> dict[str, str]:
    return {
        p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8")
        for pkg in PACKAGES
        for p in sorted((ROOT / pkg).rglob("*.py"))
    }


def _module_lengths() -> dict[str, int]:
    return {path: len(src.splitlines()) for path, src in _sources().items()}


def _function_lengths() -> dict[str, int]:
    """Lines from ``def`` to the function's last line, for every (nested) function and method."""
    out: dict[str, int] = {}
    for path, src in _sources().items():
        tree = ast.parse(src, filename=path)

        def walk(node: ast.AST, prefix: str) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    name = prefix + child.name
                    out[f"{path}:{name}"] = child.end_lineno - child.lineno + 1
                    walk(child, name + ".")
                elif isinstance(child, ast.ClassDef):
                    walk(child, prefix + child.name + ".")
                else:
                    walk(child, prefix)

        walk(tree, "")
    return out


def test_the_scan_sees_the_packages_modules_and_functions():
    modules, functions = _module_lengths(), _function_lengths()
    assert "cxrlabel/__init__.py" in modules
    assert "cxrlabel/parsers/normalize.py:normalize_edges" in functions
    assert "cxrlabel/parsers/spacy.py:SpacyParser.__init__" in functions


def test_every_module_is_under_the_line_limit_except_the_allowlist():
    over = sorted(p for p, n in _module_lengths().items() if n >= MAX_MODULE_LINES and p not in MODULE_ALLOWLIST)
    assert not over, f"modules with {MAX_MODULE_LINES}+ lines; split them along their natural parts: {over}"


def test_every_function_is_under_the_line_limit_except_the_allowlist():
    lengths = _function_lengths()
    over = sorted(f"{f} ({n})" for f, n in lengths.items() if n >= MAX_FUNCTION_LINES and f not in FUNCTION_ALLOWLIST)
    assert not over, f"functions with {MAX_FUNCTION_LINES}+ lines; split them into named steps: {over}"


def test_the_allowlists_name_only_what_is_still_over():
    modules, functions = _module_lengths(), _function_lengths()
    stale = sorted(p for p in MODULE_ALLOWLIST if modules.get(p, 0) < MAX_MODULE_LINES)
    stale += sorted(f for f in FUNCTION_ALLOWLIST if functions.get(f, 0) < MAX_FUNCTION_LINES)
    assert not stale, f"no longer over the limit (or gone): remove from the allowlist in this test: {stale}"
