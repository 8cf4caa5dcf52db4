"""Reading rule files: YAML → checked, compiled :class:`~cxrlabel.rules.model.Rule` objects.

A rule file is a mapping with a ``rules:`` list and optional ``name``, ``version`` and
``description``. :func:`iter_errors` reports every problem (each a located
:class:`~cxrlabel.errors.RuleError`); :func:`load_rules` raises the first one or returns the
rules. Both take a file path (``pathlib.Path``, or a string ending in ``.yaml``/``.yml``) or the
YAML text itself.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterator, Mapping

from ..errors import RuleError, SourceLocation
from ..schemes import known_findings
from ..types import FINDINGS, STAGE_ORDER, Label, Stage
from .diagnostics import Diagnostics, did_you_mean
from .model import Example, Rule
from .path import PathError, parse_path
from .scope import compile_scope
from .structured import compile_match
from .yamlsrc import Pos, YamlProblem, load_located

__all__ = ["iter_errors", "load_rules", "read_source"]

FILE_KEYS = ("rules", "name", "version", "description")
RULE_KEYS = ("id", "assigns", "stage", "description", "examples", "path", "match", "scope")
REQUIRED = ("id", "assigns", "stage")
EXAMPLE_KEYS = ("text", "expect")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_LABELS = tuple(v.value for v in Label)
_STAGES = tuple(s.value for s in STAGE_ORDER)  # the one stage order, as spelled in rule files


def read_source(source: str | os.PathLike[str], filename: str | None = None) -> tuple[str, str]:
    """``(filename, text)`` for a path or for YAML text (see the module docstring)."""
    is_file = isinstance(source, os.PathLike) or (
        isinstance(source, str) and "\n" not in source and source.endswith((".yaml", ".yml"))
    )
    if is_file:
        p = Path(source)
        try:
            return filename or str(p), p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise RuleError(f"cannot read rule file: {e}", code="R125",
                            location=SourceLocation(str(p), 1, 1)) from None
    if not isinstance(source, str):
        raise RuleError(f"rules come from a path or YAML text, not {type(source).__name__}", code="R132")
    return filename or "<string>", source


def _pos(d: Any, key: Any, *, value: bool = True) -> Pos | None:
    table = getattr(d, "val_pos" if value else "key_pos", {})
    return table.get(key) or getattr(d, "pos", None)


def _duplicates(d: Any, diag: Diagnostics, rule_id: str | None) -> None:
    """Report duplicate mapping keys anywhere below ``d`` (PyYAML silently keeps the last)."""
    if isinstance(d, Mapping):
        for key, pos in getattr(d, "duplicates", []):
            diag.add("R138", f"key {key!r} appears twice in the same mapping", pos, rule_id=rule_id)
        for v in d.values():
            _duplicates(v, diag, rule_id)
    elif isinstance(d, list):
        for v in d:
            _duplicates(v, diag, rule_id)


def _examples(raw: Any, diag: Diagnostics, rule_id: str | None, pos: Pos | None) -> tuple[Example, ...]:
    if not isinstance(raw, list):
        diag.add("R132", "'examples:' must be a list of {text: …, expect: {Finding: label}}", pos, rule_id=rule_id)
        return ()
    known: list[str] | None = None  # every scheme's finding names, looked up on first need
    out = []
    item_pos = getattr(raw, "item_pos", [])
    for k, ex in enumerate(raw):
        epos = item_pos[k] if k < len(item_pos) else pos
        if not isinstance(ex, Mapping):
            diag.add("R132", "an example must be a mapping {text: …, expect: {Finding: label}}", epos, rule_id=rule_id)
            continue
        ok = True
        for key in ex:
            if key not in EXAMPLE_KEYS:
                diag.add("R130", f"unknown example key {key!r}{did_you_mean(key, EXAMPLE_KEYS)}; use text, expect",
                         _pos(ex, key, value=False), rule_id=rule_id)
                ok = False
        for key in EXAMPLE_KEYS:
            if key not in ex:
                diag.add("R131", f"an example needs '{key}:'", epos, rule_id=rule_id)
                ok = False
        if not ok:
            continue
        if not isinstance(ex["text"], str):
            diag.add("R132", "example 'text' must be a string", _pos(ex, "text"), rule_id=rule_id)
            ok = False
        expect = ex["expect"]
        if not isinstance(expect, Mapping):
            diag.add("R132", "example 'expect' must be a mapping {Finding: label}", _pos(ex, "expect"), rule_id=rule_id)
            continue
        labels: dict[str, Label] = {}
        for finding, label in expect.items():
            if finding not in FINDINGS and finding not in (known := known or sorted(known_findings())):
                diag.add("R150", f"unknown finding {finding!r}{did_you_mean(finding, known)}",
                         _pos(expect, finding, value=False), rule_id=rule_id)
                ok = False
            elif label not in _LABELS:
                diag.add("R151", f"expected label {label!r} is not one of {', '.join(_LABELS)}",
                         _pos(expect, finding), rule_id=rule_id)
                ok = False
            else:
                labels[finding] = Label(label)
        if ok:
            out.append(Example(ex["text"], labels))
    return tuple(out)


def _rule(raw: Any, pos: Pos | None, diag: Diagnostics, seen: dict[str, Pos | None]) -> Rule | None:
    if not isinstance(raw, Mapping):
        diag.add("R132", "each item of 'rules:' must be a mapping with id, assigns, stage and path or match", pos)
        return None
    before = len(diag.errors)
    rid = raw.get("id")
    rule_id = rid if isinstance(rid, str) else None
    _check_keys(raw, pos, diag, rule_id)
    if "id" in raw:
        _check_id(raw, rid, diag, seen)
    _check_values(raw, diag, rule_id)
    assigns, stage, desc = raw.get("assigns"), raw.get("stage"), raw.get("description")
    examples = _examples(raw["examples"], diag, rule_id, _pos(raw, "examples")) if "examples" in raw else ()
    pattern, source, scope = _form(raw, pos, diag, rule_id)
    if len(diag.errors) > before or (pattern is None and scope is None):
        return None
    loc = diag.location(pos.line, pos.col) if pos else None
    return Rule(rid, Label(assigns), Stage(stage), pattern, desc, examples, source, loc, scope)


def _check_keys(raw: Mapping, pos: Pos | None, diag: Diagnostics, rule_id: str | None) -> None:
    """Duplicate, unknown (R130) and missing required (R131) keys of one rule."""
    _duplicates(raw, diag, rule_id)
    for key in raw:
        if key not in RULE_KEYS:
            diag.add("R130", f"unknown key {key!r}{did_you_mean(key, RULE_KEYS)}; a rule has "
                     f"{', '.join(RULE_KEYS)}", _pos(raw, key, value=False), rule_id=rule_id)
    for key in REQUIRED:
        if key not in raw:
            diag.add("R131", f"missing required key '{key}:'", pos, rule_id=rule_id)


def _check_id(raw: Mapping, rid: Any, diag: Diagnostics, seen: dict[str, Pos | None]) -> None:
    """The rule's ``id``: a string (R132), well-formed (R139) and not seen before (R135);
    a new one is recorded in ``seen``."""
    if not isinstance(rid, str):
        diag.add("R132", f"'id' must be a string, not {rid!r}", _pos(raw, "id"))
    elif not _ID_RE.match(rid):
        diag.add("R139", f"invalid rule id {rid!r}: use letters, digits, '-', '_' and '.'", _pos(raw, "id"), rule_id=rid)
    elif rid in seen:
        first = seen[rid]
        where = f" (first defined on line {first.line + 1})" if first else ""
        diag.add("R135", f"duplicate rule id {rid!r}{where}", _pos(raw, "id"), rule_id=rid)
    else:
        seen[rid] = _pos(raw, "id")


def _check_values(raw: Mapping, diag: Diagnostics, rule_id: str | None) -> None:
    """The values of ``assigns`` (R133), ``stage`` (R134) and ``description`` (R132)."""
    assigns, stage = raw.get("assigns"), raw.get("stage")
    if "assigns" in raw and assigns not in _LABELS:
        diag.add("R133", f"'assigns' is {assigns!r}; use one of {', '.join(_LABELS)}{did_you_mean(assigns, _LABELS)}",
                 _pos(raw, "assigns"), rule_id=rule_id)
    if "stage" in raw and stage not in _STAGES:
        diag.add("R134", f"'stage' is {stage!r}; use one of {', '.join(_STAGES)}{did_you_mean(stage, _STAGES)}",
                 _pos(raw, "stage"), rule_id=rule_id)
    desc = raw.get("description")
    if desc is not None and not isinstance(desc, str):
        diag.add("R132", "'description' must be a string", _pos(raw, "description"), rule_id=rule_id)


def _form(raw: Mapping, pos: Pos | None, diag: Diagnostics, rule_id: str | None) -> tuple[Any, Any, Any]:
    """The rule's one form, compiled: ``(pattern, path source, scope)``, each ``None`` when
    absent or invalid (R136 for several forms, R137 for none)."""
    pattern = None
    source = None
    scope = None
    forms = [k for k in ("path", "match", "scope") if k in raw]
    if len(forms) > 1:
        diag.add("R136", f"a rule has one of 'path:', 'match:' or 'scope:', not {' and '.join(forms)}",
                 _pos(raw, forms[1], value=False), rule_id=rule_id)
    elif "path" in raw:
        source = raw["path"]
        if not isinstance(source, str):
            diag.add("R132", f"'path' must be a string, not {source!r}", _pos(raw, "path"), rule_id=rule_id)
        else:
            try:
                pattern = parse_path(source)
            except PathError as e:
                diag.add(e.code, e.message, _pos(raw, "path"), rule_id=rule_id, offset=e.offset)
    elif "match" in raw:
        pattern = compile_match(raw["match"], diag, rule_id, _pos(raw, "match"))
    elif "scope" in raw:
        scope = compile_scope(raw["scope"], diag, rule_id, _pos(raw, "scope"))
    else:
        diag.add("R137", "a rule needs 'path:', 'match:' or 'scope:'", pos, rule_id=rule_id)
    return pattern, source, scope


def _check(filename: str, text: str) -> tuple[list[Rule], Diagnostics]:
    diag = Diagnostics(filename, text)
    try:
        doc = load_located(text)
    except YamlProblem as e:
        diag.add("R120", f"YAML syntax error: {e.message}", Pos(e.line, e.col))
        return [], diag
    if doc is None:
        diag.add("R121", "the rule file is empty; it needs a 'rules:' list", None)
        return [], diag
    if not isinstance(doc, Mapping):
        diag.add("R122", "a rule file is a mapping with a 'rules:' list at the top level", getattr(doc, "pos", None))
        return [], diag
    for key, pos in getattr(doc, "duplicates", []):
        diag.add("R138", f"top-level key {key!r} appears twice", pos)
    for key in doc:
        if key not in FILE_KEYS:
            diag.add("R130", f"unknown top-level key {key!r}{did_you_mean(key, FILE_KEYS)}; "
                     f"use {', '.join(FILE_KEYS)}", _pos(doc, key, value=False))
    for key in ("name", "version", "description"):
        if key in doc and not isinstance(doc[key], (str, int, float)):
            diag.add("R132", f"top-level '{key}' must be a string", _pos(doc, key))
    if "rules" not in doc:
        diag.add("R123", "the file has no 'rules:' key", doc.pos)
        return [], diag
    raw_rules = doc["rules"]
    if not isinstance(raw_rules, list):
        diag.add("R124", "'rules:' must be a list of rules (each item starts with '- ')", _pos(doc, "rules"))
        return [], diag
    rules: list[Rule] = []
    seen: dict[str, Pos | None] = {}
    item_pos = getattr(raw_rules, "item_pos", [])
    for k, raw in enumerate(raw_rules):
        rule = _rule(raw, item_pos[k] if k < len(item_pos) else None, diag, seen)
        if rule is not None:
            rules.append(rule)
    diag.errors.sort(key=lambda e: (e.location.line, e.location.col) if e.location else (0, 0))
    return rules, diag


def iter_errors(source: str | os.PathLike[str], *, filename: str | None = None) -> Iterator[RuleError]:
    """Every problem in a rule file, in file order (nothing when it is valid)."""
    try:
        name, text = read_source(source, filename)
    except RuleError as e:
        yield e
        return
    yield from _check(name, text)[1].errors


def load_rules(source: str | os.PathLike[str], *, filename: str | None = None) -> list[Rule]:
    """The compiled rules of a rule file; raises the first :class:`RuleError` if any."""
    name, text = read_source(source, filename)
    rules, diag = _check(name, text)
    if diag.errors:
        raise diag.errors[0]
    return rules
