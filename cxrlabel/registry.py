"""Named plugins: rule packs, parser backends, gold standards, aggregation policies.

One :class:`Registry` per kind. Built-ins are registered as ``"module:attr"`` strings so that
nothing is imported until it is used; other packages add entries through the entry-point group
of the same name (``cxrlabel.parsers``, ``cxrlabel.grammars``, ``cxrlabel.gold``,
``cxrlabel.policies``). A failed lookup raises :class:`~cxrlabel.errors.PluginError` listing
the names that are available.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any, Callable

from .errors import PluginError

__all__ = ["Registry", "grammars", "gold", "parsers", "policies"]


class Registry:
    """A name → object table for one kind of plugin, extended by an entry-point group."""

    def __init__(self, group: str, kind: str) -> None:
        self.group = group
        self.kind = kind
        self._entries: dict[str, Any] = {}

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

    def _entry_points(self) -> dict[str, Any]:
        return {ep.name: ep for ep in entry_points(group=self.group)}

    def names(self) -> list[str]:
        """Every available name: built-ins and installed plugins."""
        return sorted(set(self._entries) | set(self._entry_points()))

    def __contains__(self, name: object) -> bool:
        return name in self.names()

    def get(self, name: str) -> Any:
        """The object registered as ``name``, importing it on first use."""
        if name in self._entries:
            obj = self._entries[name]
        else:
            eps = self._entry_points()
            if name not in eps:
                avail = ", ".join(self.names()) or "(none)"
                raise PluginError(
                    f"unknown {self.kind} {name!r}; available: {avail}",
                    code="X701",
                )
            obj = eps[name].load()
            self._entries[name] = obj
        if isinstance(obj, str):
            module, _, attr = obj.partition(":")
            obj = getattr(importlib.import_module(module), attr)
            self._entries[name] = obj
        return obj


parsers = Registry("cxrlabel.parsers", "parser backend")
grammars = Registry("cxrlabel.grammars", "rule pack")
gold = Registry("cxrlabel.gold", "gold standard")
policies = Registry("cxrlabel.policies", "aggregation policy")

parsers.register("conllu", "cxrlabel.parsers.conllu:ConlluParser")
parsers.register("spacy", "cxrlabel.parsers.spacy:SpacyParser")
parsers.register("stanza", "cxrlabel.parsers.stanza:StanzaParser")
gold.register("openi", "cxrlabel.gold.openi:load_openi")
grammars.register("table6", "cxrlabel.rules.packs:table6_rules")
grammars.register("clinical", "cxrlabel.rules.packs:clinical_rules")
grammars.register("differential", "cxrlabel.rules.packs:differential_rules")
