"""A parse cache locked by another process stops the run within seconds with ``I297``."""

from __future__ import annotations

import sqlite3

import pytest

from cxrlabel import cache as cache_mod
from cxrlabel.cache import CachedParser, ParseCache
from cxrlabel.errors import CacheError


@pytest.fixture
def locked(tmp_path):
    """A real cache file held under an exclusive lock by another connection."""
    path = tmp_path / "parses.sqlite"
    c = ParseCache(path)
    c.put_many([("k", "p", "v", "x")])
    c.close()
    holder = sqlite3.connect(str(path), isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    yield path
    holder.execute("ROLLBACK")
    holder.close()


def test_the_default_lock_wait_is_seconds_not_minutes():
    assert ParseCache("x.sqlite").timeout == cache_mod.LOCK_TIMEOUT_S
    assert cache_mod.LOCK_TIMEOUT_S <= 5  # tried twice: at most ~10 s, once per process


def test_a_locked_cache_is_a_cache_error_naming_the_file_and_the_way_out(locked):
    with pytest.raises(CacheError) as err:
        ParseCache(locked, timeout=0.2).get_many(["k"])
    assert err.value.code == "I297"
    message = str(err.value)
    assert str(locked) in message and "--no-cache" in message and "cxrlabel cache clear" in message


def test_after_one_lock_timeout_later_calls_fail_at_once_without_waiting_again(locked, monkeypatch):
    cache = ParseCache(locked, timeout=0.2)
    with pytest.raises(CacheError):
        cache.get_many(["k"])
    tries = []
    monkeypatch.setattr(cache_mod.time, "sleep", lambda s: tries.append(s))
    for call in (lambda: cache.get_many(["k"]), lambda: cache.put_many([("a", "p", "v", "x")]), cache.info):
        with pytest.raises(CacheError) as err:
            call()
        assert err.value.code == "I297"
    assert tries == []  # no retry loop ran


def test_a_cached_parser_on_a_locked_cache_raises_the_cache_error(locked):
    from cxrlabel.parsers.conllu import ConlluParser

    parser = CachedParser(ConlluParser(), ParseCache(locked, timeout=0.2))
    with pytest.raises(CacheError) as err:
        list(parser.parse(["1\tNo\tno\tDET\tDT\t_\t2\tneg\t_\t_\n2\teffusion\teffusion\tNOUN\tNN\t_\t0\tROOT\t_\t_\n"]))
    assert err.value.code == "I297"
