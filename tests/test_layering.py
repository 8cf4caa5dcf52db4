"""Imports point down the layers of docs/architecture.md: no upward import, no cycle, no
underscore name taken from another module. The layer table in that page is the rule; this test
reads it, so the two cannot drift."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cxrlabel", "cxrlabel_vision")


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module
    names: tuple[str, ...]
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def _imports(mod: str, path: Path, known: set[str]) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_pkg = path.name == "__init__.py"
    out: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [Import(mod, a.name, (), node.lineno) for a in node.names if a.name.split(".")[0] in PACKAGES]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] not in PACKAGES:
                continue
            names = tuple(a.name for a in node.names)
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in known]
            if subs:  # ``from . import aggregate``: an import of the submodule itself
                out += [Import(mod, s, (), node.lineno) for s in subs]
                names = tuple(n for n in names if f"{target}.{n}" not in known)
                if not names:
                    continue
            out.append(Import(mod, target, names, node.lineno))
    return out


def _layer_table() -> dict[str, int]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table: dict[str, int] = {}
    for m in re.finditer(r"^\|\s*(\d+)\s*\|(.+)\|\s*$", text, flags=re.M):
        for name in re.findall(r"`([\w.]+)`", m.group(2)):
            assert name not in table, f"docs/architecture.md lists {name} twice"
            table[name] = int(m.group(1))
    assert table, "docs/architecture.md has no layer table"
    return table


def _layer_of(mod: str, table: dict[str, int]) -> int:
    # ``cxrlabel`` stands for the package's __init__ (the facade) only, not everything below it
    best = max(
        (p for p in table if mod == p or (p != "cxrlabel" and mod.startswith(p + "."))),
        key=len,
        default=None,
    )
    assert best is not None, f"{mod} is in no layer of docs/architecture.md: add it to the table"
    return table[best]


MODULES = _modules()
IMPORTS = [i for mod, path in MODULES.items() for i in _imports(mod, path, set(MODULES))]
TABLE = _layer_table()


def test_every_module_belongs_to_a_layer():
    for mod in MODULES:
        _layer_of(mod, TABLE)


def test_imports_never_point_up_a_layer():
    upward = [
        f"{i.source} (layer {_layer_of(i.source, TABLE)}) imports {i.target} (layer {_layer_of(i.target, TABLE)}) "
        f"at {MODULES[i.source].relative_to(ROOT)}:{i.line}"
        for i in IMPORTS
        if i.target in MODULES and _layer_of(i.target, TABLE) > _layer_of(i.source, TABLE)
    ]
    assert not upward, "\n".join(upward)


def test_there_are_no_import_cycles():
    graph = nx.DiGraph((i.source, i.target) for i in IMPORTS if i.target in MODULES and i.target != i.source)
    cycles = [c for c in nx.simple_cycles(graph)]
    assert not cycles, "\n".join(" → ".join(c + [c[0]]) for c in cycles[:20])


def test_no_underscore_name_is_imported_from_another_module():
    private = [
        f"{MODULES[i.source].relative_to(ROOT)}:{i.line}: {i.source} imports {n} from {i.target}"
        for i in IMPORTS
        for n in i.names
        if n.startswith("_") and not n.startswith("__")
    ]
    assert not private, "\n".join(private)


def test_layer_table_names_only_existing_modules():
    missing = [name for name in TABLE if name not in MODULES]
    assert not missing, f"docs/architecture.md names modules that do not exist: {missing}"


def test_the_gold_package_exports_real_attributes_in_a_fresh_interpreter():
    import subprocess
    import sys

    code = (
        "import cxrlabel.gold.evaluation as e, cxrlabel.gold as g; "
        "assert g.evaluate is e.evaluate and g.EvalResult is e.EvalResult; "
        "assert g.load_gold.__module__ == 'cxrlabel.gold.loading'; "
        "assert not hasattr(g, '__getattr__')"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_rule_tests_live_above_the_labeler():
    targets = {i.target for i in IMPORTS if i.source == "cxrlabel.rules_testing"}
    assert {"cxrlabel.labeler", "cxrlabel.rules.examples"} <= targets
    assert "cxrlabel.rules.testing" not in MODULES
