"""One cache folder (``cxrlabel.paths.cache_dir``): every file cxrlabel caches follows it."""

from __future__ import annotations

import re
from pathlib import Path

from cxrlabel import cache, concepts, paths
from cxrlabel.gold import openi

ROOT = Path(__file__).resolve().parents[1]


def _users() -> dict[str, Path]:
    return {
        "parse cache": cache.default_cache_path(),
        "parse cache object": cache.ParseCache().path,
        "concept index": concepts.cache_root(),
        "OpenI tarball": openi.cache_path(),
    }


def test_with_the_variable_set_every_user_points_under_it(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "c"))
    assert paths.cache_dir() == tmp_path / "c"
    outside = {k: p for k, p in _users().items() if not p.is_relative_to(tmp_path / "c")}
    assert not outside, f"these ignore ${paths.CACHE_ENV}: {outside}"


def test_without_it_every_user_points_under_the_user_cache_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(paths.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert paths.cache_dir() == tmp_path / "cxrlabel"
    assert all(p.is_relative_to(tmp_path / "cxrlabel") for p in _users().values()), _users()


def test_a_tilde_in_the_variable_is_expanded(monkeypatch):
    monkeypatch.setenv(paths.CACHE_ENV, "~/somewhere")
    assert paths.cache_dir() == Path.home() / "somewhere"


def test_the_parse_cache_module_re_exports_the_one_definition():
    assert cache.CACHE_ENV is paths.CACHE_ENV and cache.cache_dir is paths.cache_dir


def test_no_other_module_asks_platformdirs_for_the_cache_folder():
    known_copies: set[str] = set()
    found = []
    for pkg in ("cxrlabel", "cxrlabel_vision"):
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in {"cxrlabel/paths.py", *known_copies}:
                continue
            if re.search(r"user_cache_dir\(|environ.*CXRLABEL_CACHE_DIR", path.read_text(encoding="utf-8")):
                found.append(rel)
    assert not found, f"use cxrlabel.paths.cache_dir() in: {found}"
