"""``CacheError`` lives in the one exception tree; the old import path still works."""

from __future__ import annotations

import pytest

import cxrlabel.cache
import cxrlabel.errors
from cxrlabel.cache import ParseCache


def test_cache_error_is_defined_in_errors_and_re_exported_by_the_cache():
    assert cxrlabel.cache.CacheError is cxrlabel.errors.CacheError
    assert cxrlabel.errors.CacheError.__module__ == "cxrlabel.errors"
    assert "CacheError" in cxrlabel.errors.__all__ and "CacheError" in cxrlabel.cache.__all__


def test_a_file_that_is_not_a_cache_is_an_input_error_with_code_i290(tmp_path):
    bad = tmp_path / "parses.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(cxrlabel.errors.InputError) as err:
        ParseCache(bad).get_many(["k"])
    assert isinstance(err.value, cxrlabel.errors.CacheError) and err.value.code == "I290"


def test_the_tree_in_the_errors_docstring_shows_cache_error_under_input_error():
    lines = cxrlabel.errors.__doc__.splitlines()
    k = next(i for i, line in enumerate(lines) if "CacheError" in line)
    assert "InputError" in lines[k - 1] and "I29x" in lines[k]
