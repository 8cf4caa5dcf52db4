"""One table of every error code (``cxrlabel.codes``): the source, the docs page and the
exception classes all agree with it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import cxrlabel.errors as errors
import cxrlabel.rules  # noqa: F401 - defines PathError, a RuleError raised with R codes
from cxrlabel.codes import ERROR_CODES as CODES
from cxrlabel.codes import ERROR_FAMILIES as FAMILIES
from cxrlabel.codes import RETIRED_CODES as RETIRED
from cxrlabel.codes import describe_code as describe
from cxrlabel.rules import CODES as RULE_CODES

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [p for pkg in ("cxrlabel", "cxrlabel_vision") for p in sorted((ROOT / pkg).rglob("*.py"))]

# code="G510", default_code = "I200", diag.add("R132", ...), self.err("...", "R111", ...)
_CODE_USES = re.compile(r"""(?:\bcode\s*=\s*|default_code\s*=\s*|\.add\(\s*|\berr\([^)]*?,\s*)["']([A-Z]\d{3})["']""")
_DOC_ROW = re.compile(r"^(?:###\s+|\|\s*)([A-Z]\d{3})\b", re.MULTILINE)

# Codes in the table that no source raises yet (none: a code is added with its raise site).
PENDING: set[str] = set()


def _classes() -> dict[str, type]:
    out, todo = {}, [errors.CxrlabelError]
    while todo:
        cls = todo.pop()
        out[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return out


def _used() -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        for m in _CODE_USES.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            used.setdefault(m.group(1), []).append(f"{path.relative_to(ROOT)}:{line}")
    return used


def _raise_sites() -> list[tuple[str, str, str]]:
    """``(where, exception class name, code)`` for every ``SomeError(..., code="X123")``."""
    out = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.endswith("Error"):
                for kw in node.keywords:
                    if kw.arg == "code" and isinstance(kw.value, ast.Constant):
                        out.append((f"{path.relative_to(ROOT)}:{node.lineno}", node.func.id, kw.value.value))
    return out


def test_every_code_in_the_source_is_in_the_table():
    missing = {c: where for c, where in _used().items() if c not in CODES}
    assert not missing, f"add these codes to cxrlabel/codes.py: {missing}"


def _literals() -> set[str]:
    """Every string constant in the source shaped like a code of one of the families (a code
    may be chosen before the raise: ``code = "R171" if ... else "R174"``)."""
    shape = re.compile(f"[{''.join(FAMILIES)}]\\d{{3}}")
    found = set()
    for path in SOURCES:
        if path == ROOT / "cxrlabel" / "codes.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and shape.fullmatch(node.value):
                found.add(node.value)
    return found


def test_every_code_in_the_table_is_raised_somewhere():
    assert set(CODES) - _literals() - RETIRED == PENDING


def test_a_retired_code_is_raised_nowhere():
    assert RETIRED == {"R160", "V801"}
    assert not RETIRED & set(_used())


def test_every_code_has_exactly_one_row_in_the_docs_and_the_docs_no_other():
    rows = _DOC_ROW.findall((ROOT / "docs" / "errors.md").read_text(encoding="utf-8"))
    assert sorted(c for c in set(rows) if rows.count(c) != 1) == []
    assert sorted(set(CODES) - set(rows)) == [], "document these codes in docs/errors.md"
    assert sorted(set(rows) - set(CODES)) == [], "docs/errors.md documents codes the table lacks"


@pytest.mark.parametrize("code", sorted(CODES))
def test_a_code_s_letter_matches_its_exception_class(code):
    row = CODES[code]
    classes = _classes()
    family = classes[FAMILIES[code[0]]]
    assert row.code == code and row.meaning and describe(code) == row.meaning
    assert issubclass(classes[row.error], family), f"{code} is raised as {row.error}, not a {family.__name__}"
    assert family.default_code[0] == code[0]


def test_each_family_s_default_code_is_in_the_table_under_its_class():
    for name, cls in _classes().items():
        if name in {"PathError"}:  # a RuleError raised with the path codes, no default of its own
            continue
        assert CODES[cls.default_code].error == name, (name, cls.default_code)


def test_every_raise_site_uses_the_class_the_table_names():
    classes = _classes()
    wrong = [
        f"{where}: {name}(code={code!r}) but the table says {CODES[code].error}"
        for where, name, code in _raise_sites()
        if code in CODES and not issubclass(classes[name], classes[CODES[code].error])
    ]
    assert not wrong, "\n".join(wrong)


def test_the_rule_codes_are_the_r_rows_of_the_table():
    assert RULE_CODES == {c: row.meaning for c, row in CODES.items() if c.startswith("R")}
    assert list(RULE_CODES)[:2] == ["R100", "R101"]


def test_a_malformed_csv_and_a_report_of_the_wrong_type_have_their_own_codes(tmp_path):
    from cxrlabel.document import split_report
    from cxrlabel.io import read_reports

    p = tmp_path / "big.csv"
    p.write_text('id,text\n1,"' + "x" * 200_000 + '"\n', encoding="utf-8")
    with pytest.raises(errors.InputError) as csv_err:
        list(read_reports(p))
    with pytest.raises(errors.InputError) as type_err:
        split_report(42)  # type: ignore[arg-type]
    assert (csv_err.value.code, type_err.value.code) == ("I240", "I202")
    assert "malformed CSV" in str(csv_err.value) and "str or bytes" in str(type_err.value)
