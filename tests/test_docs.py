"""The documentation builds without warnings and says what the code does.

- ``mkdocs build --strict`` (warnings are errors) over ``docs/`` with the API reference
  generated from the docstrings;
- every error code raised anywhere in ``cxrlabel/`` or ``cxrlabel_vision/`` is documented on
  the error-codes page, and every documented code exists;
- every rule-error example on that page still produces its code;
- the DSL reference names every canonical relation, and its rule snippets load.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from cxrlabel.canonical import CANONICAL_RELATIONS
from cxrlabel.rules import CODES, iter_errors, load_rules

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# How the code names an error code: code="G510", default_code = "I200", diag.add("R132", ...),
# or a positional code argument of a rule-error helper such as self.err("...", "R111", ...).
_CODE_USES = re.compile(r"""(?:\bcode\s*=\s*|default_code\s*=\s*|\.add\(\s*|\berr\([^)]*?,\s*)["']([A-Z]\d{3})["']""")
_DOC_CODE = re.compile(r"^(?:###\s+|\|\s*)([A-Z]\d{3})\b", re.MULTILINE)
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def codes_in_source() -> set[str]:
    from cxrlabel.codes import ERROR_CODES as ALL_CODES  # the one table; tests/test_error_codes.py checks it

    found: set[str] = set(CODES) | set(ALL_CODES)
    for pkg in ("cxrlabel", "cxrlabel_vision"):
        for path in (ROOT / pkg).rglob("*.py"):
            found.update(_CODE_USES.findall(path.read_text(encoding="utf-8")))
    return found


def documented_codes() -> set[str]:
    return set(_DOC_CODE.findall((DOCS / "errors.md").read_text(encoding="utf-8")))


def test_docs_build_with_no_warnings(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "WARNING" not in out.stderr, out.stderr
    api = (tmp_path / "site" / "api" / "gold" / "index.html").read_text(encoding="utf-8")
    assert "GoldSet" in api and "gold standard" in api  # rendered from the docstrings


def test_the_source_scan_finds_codes_of_every_family() -> None:
    found = codes_in_source()
    assert {c[0] for c in found} >= set("EIRPOGLXV")
    assert {"E000", "R112", "I201", "P301", "G510", "L601", "X701", "V810"} <= found


def test_every_error_code_in_the_code_is_documented() -> None:
    missing = sorted(codes_in_source() - documented_codes())
    assert not missing, f"add these codes to docs/errors.md: {missing}"


def test_every_documented_error_code_exists_in_the_code() -> None:
    stale = sorted(documented_codes() - codes_in_source())
    assert not stale, f"docs/errors.md documents codes the code never raises: {stale}"


def _rule_examples() -> list[tuple[str, str]]:
    text = (DOCS / "errors.md").read_text(encoding="utf-8")
    sections = re.split(r"^### ", text, flags=re.MULTILINE)[1:]
    out = []
    for sec in sections:
        code = sec[:4]
        for lang, body in _FENCE.findall(sec):
            if lang == "yaml":
                out.append((code, body))
    return out


def test_most_rule_codes_have_a_yaml_example() -> None:
    with_example = {code for code, _ in _rule_examples()}
    # R100 is the generic default; R125 (unreadable file), R160 (unknown pack) and R161 (an id
    # repeated across files) cannot be shown by one file's text and are shown otherwise; R180 is
    # a warning of `rules check`, not an error iter_errors gives.
    assert set(CODES) - with_example == {"R100", "R125", "R160", "R161", "R180"}


@pytest.mark.parametrize(("code", "yaml_text"), _rule_examples(), ids=[c for c, _ in _rule_examples()])
def test_documented_rule_error_example_produces_its_code(code: str, yaml_text: str) -> None:
    text = "" if yaml_text.strip() == "# (an empty file)" else yaml_text
    got = [e.code for e in iter_errors(text, filename="docs/errors.md")]
    assert code in got, f"the example under {code} gives {got}"


def test_dsl_reference_names_every_canonical_relation() -> None:
    text = (DOCS / "dsl.md").read_text(encoding="utf-8")
    missing = sorted(r for r in CANONICAL_RELATIONS if f"`{r}`" not in text)
    assert not missing


@pytest.mark.parametrize("page", ["dsl.md", "writing-rules.md"])
def test_rule_snippets_in_the_guides_load_without_errors(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    snippets = [body for lang, body in _FENCE.findall(text) if lang == "yaml" and "assigns:" in body]
    assert snippets
    for body in snippets:
        source = body if body.lstrip().startswith(("rules:", "name:")) else "rules:\n" + body
        assert load_rules(source, filename=page)


def test_api_pages_show_sphinx_roles_as_code() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("griffe_rst", DOCS / "hooks" / "griffe_rst.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    text = "a :class:`~cxrlabel.gold.GoldSet`, :func:`cxrlabel.rules.load_rules` and ``x``"
    assert mod.rewrite_roles(text) == "a `GoldSet`, `cxrlabel.rules.load_rules` and ``x``"


def test_conventions_page_lists_every_shipped_pack_with_its_files() -> None:
    from cxrlabel.rules.packs import PACKS

    text = (DOCS / "conventions.md").read_text(encoding="utf-8")
    for name, files in PACKS.items():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{name}`")), None)
        assert row is not None, f"docs/conventions.md has no row for pack {name!r}"
        cell = row.split("|")[2]
        assert re.findall(r"`([\w.]+\.yaml)`", cell) == list(files), name


def test_each_error_code_is_documented_once() -> None:
    codes = _DOC_CODE.findall((DOCS / "errors.md").read_text(encoding="utf-8"))
    assert sorted(c for c in set(codes) if codes.count(c) > 1) == []


def test_the_papers_auc_block_in_the_vision_guide_names_every_finding_once() -> None:
    """The `--reference` CSV in docs/vision.md covers the 14 findings (the dataset's spelling)
    and its stated mean is the mean of its rows."""
    import csv as _csv
    import io as _io
    import re as _re

    from cxrlabel.types import FINDINGS

    page = (ROOT / "docs" / "vision.md").read_text(encoding="utf-8")
    block = _re.search(r"```text\n(finding,auc\n.*?)```", page, _re.S)
    assert block is not None
    rows = list(_csv.DictReader(_io.StringIO(block.group(1))))
    assert tuple(r["finding"] for r in rows) == FINDINGS
    mean = sum(float(r["auc"]) for r in rows) / len(rows)
    assert f"Their mean is {mean:.3f}" in page
