"""The layout of ``cxrlabel.batch``: its modules share only public names, the Dask engine is
imported by nothing at module level (it is an optional extra), and the old import paths
(``cxrlabel.batch.X``, ``cxrlabel.dask.X``) give the same objects as the modules that own them."""

from __future__ import annotations

import ast
from pathlib import Path

import cxrlabel.batch
import cxrlabel.dask
from cxrlabel.batch import dask as batch_dask

PACKAGE = Path(cxrlabel.batch.__file__).resolve().parent
MODULES = sorted(PACKAGE.glob("*.py"))


def _imports(tree: ast.AST) -> list[ast.ImportFrom]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]


def _is_batch_module(node: ast.ImportFrom) -> bool:
    """Whether ``node`` imports from a module of this package (``from .x`` or ``cxrlabel.batch...``)."""
    if node.level == 1:
        return True
    return node.level == 0 and (node.module or "").startswith("cxrlabel.batch")


def test_the_batch_modules_import_no_underscore_name_from_each_other():
    private = []
    for path in MODULES:
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if not _is_batch_module(node):
                continue
            names = [(node.module or "").rsplit(".", 1)[-1], *(a.name for a in node.names)]
            private += [f"{path.name}:{node.lineno}: {n}" for n in names if n.startswith("_")]
    assert private == []


def test_no_batch_module_imports_the_dask_engine_at_module_level():
    eager = []
    for path in MODULES:
        if path.name == "dask.py":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and _is_batch_module(node) and (node.module or "").endswith("dask"):
                eager.append(f"{path.name}:{node.lineno}")
    assert eager == []


def test_every_name_in_all_resolves_and_all_is_sorted():
    for mod in (cxrlabel.batch, cxrlabel.dask, batch_dask):
        assert list(mod.__all__) == sorted(mod.__all__), mod.__name__
        for name in mod.__all__:
            assert getattr(mod, name) is not None


def test_the_old_import_paths_give_the_objects_of_the_owning_modules():
    from cxrlabel.batch import api, options, pool, rows, shards

    assert cxrlabel.batch.label_many is api.label_many
    assert cxrlabel.batch.LabelOptions is options.LabelOptions
    assert cxrlabel.batch.run_chunks is pool.run_chunks
    assert cxrlabel.batch.result_row is rows.result_row
    assert cxrlabel.batch.run_sharded is shards.run_sharded
    assert cxrlabel.dask.label_partition is batch_dask.label_partition
    assert cxrlabel.dask.run_chunks_dask is batch_dask.run_chunks_dask


def test_batch_modules_and_functions_stay_small():
    too_long = []
    for path in MODULES:
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > 400:
            too_long.append(path.name)
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 60:
                too_long.append(f"{path.name}:{node.name}")
    assert too_long == []
