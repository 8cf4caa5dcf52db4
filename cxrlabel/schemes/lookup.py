"""Finding a scheme: by name in the registry, by folder, or as given (part of
:mod:`cxrlabel.schemes`)."""

from __future__ import annotations

import os
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..ontology import Ontology
from ..registry import schemes as _registry
from .derive import read_sources, scheme_ontology
from .model import Scheme, read_scheme

__all__ = [
    "DEFAULT_SCHEME",
    "chestxray14",
    "chexpert",
    "get_scheme",
    "known_findings",
    "load_scheme",
]

#: The scheme used when none is named: the paper's 14 ChestX-ray14 findings.
DEFAULT_SCHEME = "chestxray14"


def _shipped(*parts: str) -> Path:
    return Path(str(resources.files("cxrlabel").joinpath("_data", "ontology", *parts)))


def load_scheme(folder: str | os.PathLike[str]) -> Scheme:
    """The scheme defined by ``folder/scheme.yaml`` (its ontology loads on first use)."""
    scheme = replace(read_scheme(folder), ontology_loader=_ontology_of)
    if scheme.base is None:
        return scheme
    return replace(scheme, sources=read_sources(scheme.folder))


def _ontology_of(scheme: Scheme) -> Ontology:
    return scheme_ontology(scheme, get_scheme(scheme.base).ontology if scheme.base else None)


@lru_cache(maxsize=None)
def chestxray14() -> Scheme:
    """The built-in default scheme: ChestX-ray14's 14 findings (the folder ``ontology/``)."""
    return load_scheme(_shipped())


@lru_cache(maxsize=None)
def chexpert() -> Scheme:
    """The built-in CheXpert scheme: the CheXpert labeler's 14 observations and conventions."""
    return load_scheme(_shipped("chexpert"))


@lru_cache(maxsize=32)
def _named(name: str) -> Scheme:
    obj = _registry.get(name)  # X701 for an unknown name
    if callable(obj) and not isinstance(obj, Scheme):
        obj = obj()
    if isinstance(obj, Scheme):
        return obj
    return load_scheme(obj)


def get_scheme(scheme: str | os.PathLike[str] | Scheme | None = None) -> Scheme:
    """A scheme by name (:data:`cxrlabel.registry.schemes`), by folder, or itself; ``None`` is
    :data:`DEFAULT_SCHEME`. An unknown name raises :class:`~cxrlabel.errors.PluginError` X701."""
    if isinstance(scheme, Scheme):
        return scheme
    if scheme is None:
        return _named(DEFAULT_SCHEME)
    text = os.fspath(scheme)
    if text not in _registry and (os.sep in text or Path(text, "scheme.yaml").exists()):
        return load_scheme(text)
    return _named(text)


def known_findings() -> frozenset[str]:
    """Every finding name of every available scheme (rule-file examples may use any of them)."""
    out: set[str] = set()
    for name in _registry.names():
        try:
            out.update(_named(name).findings)
        except Exception:  # noqa: BLE001 - a broken plugin scheme is reported where it is used
            continue
    return frozenset(out)
