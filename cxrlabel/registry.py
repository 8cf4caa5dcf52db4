"""One registry of named plugins: every built-in of every kind, and how other packages add more.

A *kind* is one :class:`Registry`: a name → object table. :data:`KINDS` holds them all:

- ``parsers`` (entry-point group ``cxrlabel.parsers``): a Parser class or factory, for
  ``--parser NAME``;
- ``grammars`` (``cxrlabel.grammars``): a zero-argument callable returning a list of rules, for
  ``--grammars NAME`` (the shipped packs' files are defined in :data:`cxrlabel.rules.packs.PACKS`);
- ``gold`` (``cxrlabel.gold``): a callable returning a ``GoldSet``, for ``cxrlabel eval --gold``;
- ``policies`` (``cxrlabel.policies``): an aggregation ``Policy``, for ``--policy NAME``;
- ``commands`` (``cxrlabel.commands``): a click command, a subcommand of ``cxrlabel``;
- ``schemes`` (``cxrlabel.schemes``): a label scheme (a Scheme, a factory or a folder), for
  ``scheme=`` and ``--scheme NAME``;
- ``models`` (``cxrlabel.models``): a vision model factory, for
  ``cxrlabel_vision.create_model`` and ``--arch``.

Built-ins are ``"module:attr"`` strings, imported on first use: this module is a leaf and
imports no implementation module (no parser, torch, pandas or :mod:`cxrlabel.aggregate`).
Other packages add entries through the entry-point group of the kind; code adds them with
:meth:`Registry.register`. A built-in name wins over a plugin of the same name. Every failed
lookup, of any kind, raises :class:`~cxrlabel.errors.PluginError` ``X701`` naming the kind and
the available names. Adding a kind is one ``_kind(...)`` line below.
"""

from __future__ import annotations

import importlib
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Callable, Mapping

from .errors import PluginError

__all__ = [
    "KINDS",
    "Registry",
    "commands",
    "get_registry",
    "gold",
    "grammars",
    "models",
    "parsers",
    "policies",
    "schemes",
]


class Registry:
    """A name → object table for one kind of plugin, extended by an entry-point group.

    ``kind`` is the kind's name (``"parsers"``), ``noun`` what one entry is in messages
    (``"parser backend"``), ``builtins`` the shipped entries as ``"module:attr"`` strings and
    ``group`` the entry-point group (default ``cxrlabel.<kind>``).
    """

    def __init__(self, kind: str, noun: str, builtins: Mapping[str, str] | None = None,
                 *, group: str | None = None) -> None:
        self.kind = kind
        self.noun = noun
        self.group = group or f"cxrlabel.{kind}"
        self._builtin = frozenset(builtins or ())
        #: name → object, or the ``"module:attr"`` string of an object not imported yet.
        self._entries: dict[str, Any] = dict(builtins or {})
        self._imported: dict[str, Any] = {}  # "module:attr" → the object it names

    def register(self, name: str, obj: Any = None) -> Any:
        """Register ``obj`` (or a ``"module:attr"`` string) under ``name``.

        Usable as a decorator: ``@registry.register("mine")``.
        """
        if obj is None:
            def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
                self._entries[name] = fn
                return fn

            return deco
        self._entries[name] = obj
        return obj

    def _entry_points(self) -> dict[str, EntryPoint]:
        return {ep.name: ep for ep in entry_points(group=self.group)}

    def names(self) -> list[str]:
        """Every available name, sorted: built-ins, registered ones and installed plugins."""
        return sorted(set(self._entries) | set(self._entry_points()))

    def __contains__(self, name: object) -> bool:
        return name in self.names()

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, group={self.group!r}, names={self.names()!r})"

    def target(self, name: str) -> str | None:
        """The ``"module:attr"`` that ``name`` imports, without importing it; ``None`` for an
        object registered as such. Raises ``X701`` for an unknown name."""
        if name in self._entries:
            obj = self._entries[name]
            return obj if isinstance(obj, str) else None
        ep = self._entry_points().get(name)
        if ep is None:
            raise self._unknown(name)
        return ep.value

    def origin(self, name: str) -> str:
        """Where ``name`` comes from: ``"builtin"`` (shipped with cxrlabel), ``"registered"``
        (by :meth:`register` in this process) or ``"plugin:<distribution>"``."""
        if name in self._builtin:
            return "builtin"
        if name in self._entries:
            return "registered"
        ep = self._entry_points().get(name)
        if ep is None:
            raise self._unknown(name)
        dist = getattr(ep, "dist", None)
        return f"plugin:{dist.name}" if dist is not None else "plugin"

    def get(self, name: str) -> Any:
        """The object registered as ``name``, importing it on first use."""
        if name in self._entries:
            obj = self._entries[name]
        else:
            ep = self._entry_points().get(name)
            if ep is None:
                raise self._unknown(name)
            obj = ep.value
        if not isinstance(obj, str):
            return obj
        if obj not in self._imported:
            module, _, attr = obj.partition(":")
            self._imported[obj] = getattr(importlib.import_module(module), attr)
        return self._imported[obj]

    def _unknown(self, name: str) -> PluginError:
        avail = ", ".join(self.names()) or "(none)"
        return PluginError(
            f"unknown {self.noun} {name!r}; available: {avail} (see `cxrlabel list {self.kind}`)",
            code="X701",
        )


#: Every kind by name; ``cxrlabel list`` offers exactly these.
KINDS: dict[str, Registry] = {}


def _kind(kind: str, noun: str, builtins: Mapping[str, str]) -> Registry:
    KINDS[kind] = Registry(kind, noun, builtins)
    return KINDS[kind]


def get_registry(kind: str) -> Registry:
    """The registry of ``kind`` (a key of :data:`KINDS`); ``X701`` listing the kinds otherwise."""
    if kind not in KINDS:
        raise PluginError(f"unknown plugin kind {kind!r}; available: {', '.join(sorted(KINDS))}",
                          code="X701")
    return KINDS[kind]


parsers = _kind("parsers", "parser backend", {
    "conllu": "cxrlabel.parsers.conllu:ConlluParser",
    "spacy": "cxrlabel.parsers.spacy:SpacyParser",
    "stanza": "cxrlabel.parsers.stanza:StanzaParser",
})
# Each pack's files are its definition in cxrlabel.rules.packs.PACKS.
grammars = _kind("grammars", "rule pack", {
    "table6": "cxrlabel.rules.packs:table6_rules",
    "clinical": "cxrlabel.rules.packs:clinical_rules",
    "differential": "cxrlabel.rules.packs:differential_rules",
    "likelihood": "cxrlabel.rules.packs:likelihood_rules",
    "chexpert": "cxrlabel.rules.packs:chexpert_rules",
    "chexpert-conventions": "cxrlabel.rules.packs:chexpert_conventions_rules",
})
gold = _kind("gold", "gold standard", {
    "openi": "cxrlabel.gold.openi:load_openi",
})
policies = _kind("policies", "aggregation policy", {
    "default": "cxrlabel.aggregate:POSITIVE_FIRST",
    "positive-first": "cxrlabel.aggregate:POSITIVE_FIRST",
    "uncertain-first": "cxrlabel.aggregate:UNCERTAIN_FIRST",
    "negative-first": "cxrlabel.aggregate:NEGATIVE_FIRST",
})
commands = _kind("commands", "command", {
    "label": "cxrlabel.cli.label:label_cmd",
    "explain": "cxrlabel.cli.explain:explain_cmd",
    "eval": "cxrlabel.cli.eval:eval_cmd",
    "rules": "cxrlabel.cli.rules:rules_group",
    "ontology": "cxrlabel.cli.ontology:ontology_group",
    "cache": "cxrlabel.cli.cache:cache_group",
    "list": "cxrlabel.cli.plugins:list_cmd",
    "vision": "cxrlabel_vision.cli:vision_group",
})
# A scheme entry is a Scheme, a zero-argument callable returning one, or a scheme folder.
schemes = _kind("schemes", "label scheme", {
    "chestxray14": "cxrlabel.schemes:chestxray14",
    "chexpert": "cxrlabel.schemes:chexpert",
})
models = _kind("models", "model architecture", {
    "resnet18": "cxrlabel_vision.model:resnet18",
    "resnet34": "cxrlabel_vision.model:resnet34",
    "resnet50": "cxrlabel_vision.model:resnet50",
    "densenet121": "cxrlabel_vision.model:densenet121",
})
