"""The public surface: small, sorted, typed, and cheap to import."""

import subprocess
import sys

import cxrlabel


def test_all_is_sorted_and_every_name_resolves():
    assert list(cxrlabel.__all__) == sorted(cxrlabel.__all__)
    for name in cxrlabel.__all__:
        assert getattr(cxrlabel, name) is not None


def test_importing_cxrlabel_loads_no_parser_torch_or_pandas():
    code = "import sys, cxrlabel; print(sorted(m for m in ('spacy', 'torch', 'pandas', 'quickumls', 'stanza') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_attribute_is_an_attribute_error():
    try:
        cxrlabel.no_such_name  # noqa: B018
    except AttributeError as err:
        assert "no_such_name" in str(err)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")
