"""A parser's ``version`` keys the parse cache, so it must name the normalization version."""

from __future__ import annotations

import pytest

from cxrlabel.cache import CachedParser, ParseCache, cache_key
from cxrlabel.parsers import conllu
from cxrlabel.parsers.conllu import SCHEMES, ConlluParser
from cxrlabel.parsers.normalize import NORMALIZATION_VERSION

UD = """# text = No pneumothorax.
1\tNo\tno\tDET\tDT\t_\t2\tdet\t_\t_
2\tpneumothorax\tpneumothorax\tNOUN\tNN\t_\t0\troot\t_\tSpaceAfter=No
3\t.\t.\tPUNCT\t.\t_\t2\tpunct\t_\t_
"""


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_conllu_version_names_the_normalization_version(scheme):
    assert f"norm{NORMALIZATION_VERSION}" in ConlluParser(scheme).version


def test_every_scheme_has_its_own_version():
    assert len({ConlluParser(s).version for s in SCHEMES}) == len(SCHEMES)


def test_a_new_normalization_never_reads_a_parse_cached_under_the_old_one(tmp_path, monkeypatch):
    store = ParseCache(tmp_path / "c.sqlite")
    first = CachedParser(ConlluParser("ud"), store)
    (s,) = first.parse([UD])
    assert first.misses == 1 and ("pneumothorax", "neg", "no") in s.relations()
    monkeypatch.setattr(conllu, "NORMALIZATION_VERSION", NORMALIZATION_VERSION + 1)
    again = CachedParser(ConlluParser("ud"), store)
    assert cache_key(again.name, again.version, UD) != cache_key(first.name, first.version, UD)
    list(again.parse([UD]))
    assert (again.hits, again.misses) == (0, 1)
