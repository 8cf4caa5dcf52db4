"""Label ↔ CheXpert code is stated once (``cxrlabel.types.LABEL_CODES``) and used everywhere."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from cxrlabel.types import CODE_LABELS, LABEL_CODES, Label, code_of, label_of

ROOT = Path(__file__).resolve().parents[1]

# A dict entry pairing a label with its code, in either direction, in any spelling.
_LITERAL = re.compile(
    r"""(["'](positive|negative|uncertain)["']|Label\.(POSITIVE|NEGATIVE|UNCERTAIN))\s*:\s*-?[01](\.0)?\b"""
    r"""|-?[01]\.0\s*:\s*(["'](positive|negative|uncertain)["']|Label\.(POSITIVE|NEGATIVE|UNCERTAIN))"""
)


def test_the_convention_is_chexpert_s():
    assert dict(LABEL_CODES) == {Label.POSITIVE: 1.0, Label.NEGATIVE: 0.0, Label.UNCERTAIN: -1.0}
    assert {code: label_of(code) for code in CODE_LABELS} == {c: lab for lab, c in LABEL_CODES.items()}


@pytest.mark.parametrize("label", list(Label))
def test_code_and_label_round_trip(label):
    assert label_of(code_of(label)) is label
    assert code_of(label.value.upper()) == code_of(label)


def test_not_mentioned_is_nan_both_ways():
    assert math.isnan(code_of(None))
    assert label_of(None) is None and label_of(math.nan) is None


@pytest.mark.parametrize("bad", [2.0, 0.5, "x"])
def test_a_number_that_is_not_a_code_is_a_value_error(bad):
    with pytest.raises(ValueError):
        label_of(bad)


def test_a_word_that_is_not_a_label_is_a_value_error():
    with pytest.raises(ValueError):
        code_of("maybe")


def test_every_table_in_the_package_derives_from_the_one_map():
    from cxrlabel.gold.csv import parse_label
    from cxrlabel.gold.metrics import THREE_WAY_CLASSES
    from cxrlabel.result import CHEXPERT_CODES

    assert {k: v for k, v in CHEXPERT_CODES.items() if k is not None} == dict(LABEL_CODES)
    assert CHEXPERT_CODES[None] is None
    assert THREE_WAY_CLASSES == {lab.value: code for lab, code in LABEL_CODES.items()}
    for lab, code in LABEL_CODES.items():
        assert parse_label(lab.value) == code == parse_label(str(int(code)))


def test_no_module_writes_the_label_code_map_a_second_time():
    copies = []
    for pkg in ("cxrlabel", "cxrlabel_vision"):
        for path in sorted((ROOT / pkg).rglob("*.py")):
            if path == ROOT / "cxrlabel" / "types.py":
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if _LITERAL.search(line):
                    copies.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not copies, "import LABEL_CODES / code_of / label_of from cxrlabel.types instead:\n" + "\n".join(copies)


def test_the_scan_would_see_a_copy():
    assert _LITERAL.search('_CODES = {"positive": 1.0, "negative": 0.0}')
    assert _LITERAL.search("{1.0: 'positive', -1.0: 'uncertain'}")
    assert _LITERAL.search("{Label.UNCERTAIN: -1.0}")
