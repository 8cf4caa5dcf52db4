"""YAML with positions and YAML 1.2 booleans, for rule files.

PyYAML implements YAML 1.1, where ``no``, ``yes``, ``on`` and ``off`` are booleans: the rule
``{lemma: no}`` would silently become ``{lemma: False}``. :class:`RuleYamlLoader` keeps only
``true``/``false`` (any capitalisation YAML 1.2 allows) as booleans.

:func:`load_located` turns a document into plain ``dict``/``list``/scalar values whose
containers remember where each key and value sits (:class:`LDict`, :class:`LList`), so that
every later check can point at a line and column. :func:`scalar_column` maps an offset inside
a string value back to its line and column in the file, quoted or not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["LDict", "LList", "Pos", "RuleYamlLoader", "YamlProblem", "load_located", "scalar_position"]


class RuleYamlLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema booleans (``no``/``yes``/``on``/``off`` are strings)."""


RuleYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
RuleYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass(frozen=True)
class Pos:
    """0-based line/column of a YAML node's start, and the node itself (for scalars)."""

    line: int
    col: int
    node: Node | None = None


class LDict(dict):
    """A dict that knows where its keys and values are (``key_pos``, ``val_pos``, ``pos``)."""

    pos: Pos | None = None

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.key_pos: dict[Any, Pos] = {}
        self.val_pos: dict[Any, Pos] = {}
        self.duplicates: list[tuple[Any, Pos]] = []


class LList(list):
    """A list that knows where each item is (``item_pos``) and where it starts (``pos``)."""

    pos: Pos | None = None

    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        self.item_pos: list[Pos] = []


@dataclass
class YamlProblem(Exception):
    """The YAML could not be parsed (0-based line/col)."""

    message: str
    line: int
    col: int


def _pos(node: Node) -> Pos:
    return Pos(node.start_mark.line, node.start_mark.column, node)


#: Most YAML nodes a rule file may expand to (aliases can blow a small file up exponentially).
MAX_NODES = 200_000


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_NODES
        self.active: set[int] = set()


def _convert(node: Node, loader: RuleYamlLoader, budget: _Budget) -> Any:
    budget.left -= 1
    if budget.left < 0:
        raise YamlProblem(f"the document expands to more than {MAX_NODES} values (aliases?)", node.start_mark.line, node.start_mark.column)
    if isinstance(node, ScalarNode):
        return loader.construct_object(node, deep=True)
    if id(node) in budget.active:
        raise YamlProblem("an alias refers to a collection that contains it", node.start_mark.line, node.start_mark.column)
    budget.active.add(id(node))
    try:
        if isinstance(node, MappingNode):
            out = LDict()
            out.pos = _pos(node)
            for knode, vnode in node.value:
                key = _convert(knode, loader, budget)
                if isinstance(key, (dict, list)):
                    key = repr(key)  # unhashable key: keep it visible as text
                if key in out:
                    out.duplicates.append((key, _pos(knode)))
                out[key] = _convert(vnode, loader, budget)
                out.key_pos[key] = _pos(knode)
                out.val_pos[key] = _pos(vnode)
            return out
        assert isinstance(node, SequenceNode)
        lst = LList()
        lst.pos = _pos(node)
        for item in node.value:
            lst.append(_convert(item, loader, budget))
            lst.item_pos.append(_pos(item))
        return lst
    finally:
        budget.active.discard(id(node))


if hasattr(yaml, "CSafeLoader"):  # libyaml: the same nodes, marks and values, ~6x faster

    class _FastLoader(yaml.CSafeLoader):  # type: ignore[name-defined,misc]
        """libyaml's parser with :class:`RuleYamlLoader`'s resolvers."""

    _FastLoader.yaml_implicit_resolvers = RuleYamlLoader.yaml_implicit_resolvers
else:  # pragma: no cover - PyYAML built without libyaml
    _FastLoader = None

_FAILED = object()


def _load_fast(text: str) -> Any:
    """:func:`load_located` through libyaml, or ``_FAILED`` on any problem (the pure-Python
    loader then reads the text again and reports the problem exactly)."""
    if _FastLoader is None:
        return _FAILED
    try:
        loader = _FastLoader(text)
    except Exception:  # noqa: BLE001 - reported by the pure-Python loader
        return _FAILED
    try:
        node = loader.get_single_node()
        return None if node is None else _convert(node, loader, _Budget())
    except Exception:  # noqa: BLE001 - reported by the pure-Python loader
        return _FAILED
    finally:
        loader.dispose()


def load_located(text: str, *, fast: bool = True) -> Any:
    """Parse one YAML document into located values; ``None`` for an empty document.

    Raises :class:`YamlProblem` for YAML syntax errors, more than one document, and tags or
    anchors/aliases PyYAML cannot resolve. A valid document is read with libyaml when PyYAML
    has it; anything it cannot read goes through the pure-Python loader, whose messages and
    positions are the ones reported (``fast=False``: always the pure-Python loader).
    """
    got = _load_fast(text) if fast else _FAILED
    if got is not _FAILED:
        return got
    try:
        loader = RuleYamlLoader(text)
    except yaml.reader.ReaderError as e:  # a control character: the reader refuses the text
        line = text.count("\n", 0, e.position)
        raise YamlProblem(f"unacceptable character {e.character!r}", line, e.position - (text.rfind("\n", 0, e.position) + 1)) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return _convert(node, loader, _Budget())
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, e.position)
        raise YamlProblem(f"unacceptable character {e.character!r}", line, e.position - (text.rfind("\n", 0, e.position) + 1)) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        msg = " ".join(x for x in (e.context, e.problem) if x) or "invalid YAML"
        raise YamlProblem(msg, mark.line if mark else 0, mark.column if mark else 0) from None
    except yaml.YAMLError as e:
        raise YamlProblem(str(e).splitlines()[0] if str(e) else "invalid YAML", 0, 0) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as e:  # e.g. bad timestamps
        raise YamlProblem(f"cannot read a value: {e}", 0, 0) from None
    finally:
        loader.dispose()


def scalar_position(text: str, pos: Pos, offset: int) -> tuple[int, int]:
    """0-based (line, col) in the file of character ``offset`` of a string scalar's value.

    Plain scalars map one to one (folded line breaks count as one space); quoted ones skip the
    opening quote and count ``''`` / backslash escapes as one character. Block scalars
    (``|``, ``>``) and anything unexpected fall back to the value's first character.
    """
    node = pos.node
    if node is None or not isinstance(node, ScalarNode) or node.style in ("|", ">"):
        return pos.line, pos.col
    raw_start = node.start_mark.index
    raw_end = node.end_mark.index
    raw = text[raw_start:raw_end]
    i = 0
    if node.style in ("'", '"'):
        i = 1
    value_index = 0
    while i < len(raw) and value_index < offset:
        c = raw[i]
        if node.style == "'" and raw.startswith("''", i):
            i += 2
        elif node.style == '"' and c == "\\":
            nxt = raw[i + 1 : i + 2]
            width = {"x": 4, "u": 6, "U": 10}.get(nxt, 2)
            i += width
        elif c == "\n":
            # a folded line break: newline plus the next line's indentation is one space
            i += 1
            while i < len(raw) and raw[i] in " \t":
                i += 1
        else:
            i += 1
        value_index += 1
    abs_index = raw_start + i
    line = text.count("\n", 0, abs_index)
    line_start = text.rfind("\n", 0, abs_index) + 1
    return line, abs_index - line_start
