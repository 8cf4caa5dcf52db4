"""Shipped rule packs: the YAML files under ``grammars/`` (package data).

A pack is a name for a list of rule files, loaded with :mod:`importlib.resources` so it works
from a source checkout (``cxrlabel/_data/grammars`` is a symlink) and from an installed wheel
(a real folder). :data:`PACKS` defines each shipped pack by its files; every pack is known by
name through :data:`cxrlabel.registry.grammars` (as one of the factories below), and other
packages add theirs through the ``cxrlabel.grammars`` entry-point group (an entry point resolves
to a zero-argument callable returning a list of rules).
"""

from __future__ import annotations

import os
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import RuleError
from .loader import load_rules
from .model import Rule

__all__ = [
    "PACKS",
    "chexpert_conventions_rules",
    "chexpert_rules",
    "clinical_rules",
    "default_rules",
    "differential_rules",
    "grammar_dir",
    "likelihood_rules",
    "load_pack",
    "table6_rules",
]

#: Built-in packs: name → files under grammars/, in stage order.
PACKS: dict[str, tuple[str, ...]] = {
    "table6": ("uncertainty_pre.yaml", "negation.yaml", "uncertainty_post.yaml"),
    # Table 6 plus the NegBio/CheXpert-style patterns real reports need.
    "clinical": (
        "uncertainty_pre.yaml",
        "clinical_uncertainty_pre.yaml",
        "negation.yaml",
        "clinical_negation.yaml",
        "uncertainty_post.yaml",
        "clinical_uncertainty_post.yaml",
        "scope.yaml",
    ),
    # Opt-in: differential lists ("X or Y", "X versus Y") as hedges, the CheXpert convention.
    "differential": ("differential.yaml",),
    # Opt-in: "probable", "likely", "presumed" as hedges, the CheXpert convention.
    "likelihood": ("likelihood.yaml",),
    # Both opt-ins together: the CheXpert labeler's reading of uncertainty.
    "chexpert": ("differential.yaml", "likelihood.yaml"),
    # The chexpert scheme's own conventions (ontology/chexpert/scheme.yaml `grammars:`).
    "chexpert-conventions": ("chexpert_conventions.yaml",),
}

DEFAULT_PACK = "clinical"


def grammar_dir() -> Traversable:
    """The folder holding the shipped rule files."""
    return files("cxrlabel") / "_data" / "grammars"


def _load_builtin(name: str) -> list[Rule]:
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for fname in PACKS[name]:
        res = grammar_dir() / fname
        for rule in load_rules(res.read_text(encoding="utf-8"), filename=f"grammars/{fname}"):
            if rule.id in seen:
                raise RuleError(f"rule id {rule.id!r} is defined in both {seen[rule.id]} and {fname}",
                                code="R161", location=rule.location, rule_id=rule.id)
            seen[rule.id] = fname
            rules.append(rule)
    return rules


def load_pack(name: str = DEFAULT_PACK) -> list[Rule]:
    """The rules of a pack by name in :data:`cxrlabel.registry.grammars` (built-in or a
    plugin's); an unknown name raises :class:`~cxrlabel.errors.PluginError` ``X701``."""
    from ..registry import grammars

    return list(grammars.get(name)())


def table6_rules() -> list[Rule]:
    """The paper's Table 6 rules (the ``table6`` pack)."""
    return _load_builtin("table6")


def clinical_rules() -> list[Rule]:
    """Table 6 plus the NegBio/CheXpert-style patterns (the ``clinical`` pack)."""
    return _load_builtin("clinical")


def differential_rules() -> list[Rule]:
    """Differential lists as hedges (the opt-in ``differential`` pack)."""
    return _load_builtin("differential")


def likelihood_rules() -> list[Rule]:
    """Hedges from "probable", "likely", "presumed" (the opt-in ``likelihood`` pack)."""
    return _load_builtin("likelihood")


def chexpert_rules() -> list[Rule]:
    """Both opt-ins, ``differential`` and ``likelihood`` (the ``chexpert`` pack)."""
    return _load_builtin("chexpert")


def chexpert_conventions_rules() -> list[Rule]:
    """The chexpert scheme's conventions (the ``chexpert-conventions`` pack)."""
    return _load_builtin("chexpert-conventions")


def default_rules() -> list[Rule]:
    """The rules the labeler uses unless told otherwise."""
    return load_pack(DEFAULT_PACK)


def load_source(spec: str | os.PathLike[str]) -> list[Rule]:
    """The rules of a rule file path, a shipped ``grammars/NAME.yaml``, or a pack name."""
    text = os.fspath(spec)
    path = Path(text)
    if path.is_file():
        return load_rules(path, filename=text)
    if text.startswith("grammars/") and (grammar_dir() / text[len("grammars/"):]).is_file():
        res = grammar_dir() / text[len("grammars/"):]
        return load_rules(res.read_text(encoding="utf-8"), filename=text)
    if text.endswith((".yaml", ".yml")) or os.sep in text:
        return load_rules(path, filename=text)  # raises the loader's located error
    return load_pack(text)


def merge_rules(base: Sequence[Rule], extra: Iterable[Rule]) -> list[Rule]:
    """``base`` with each rule of ``extra`` replacing the one with its id in place, or appended."""
    out = list(base)
    where = {r.id: k for k, r in enumerate(out)}
    for rule in extra:
        if rule.id in where:
            out[where[rule.id]] = rule
        else:
            where[rule.id] = len(out)
            out.append(rule)
    return out
