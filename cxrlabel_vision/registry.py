"""A timm-style model registry: ``register_model``, ``create_model``, ``list_models``.

Thin functions over the ``models`` kind of :mod:`cxrlabel.registry` (``cxrlabel.registry.models``),
which lists the built-in LSE networks (resnet18/34/50, densenet121 of
:mod:`cxrlabel_vision.model`) as lazy ``"module:attr"`` entries: nothing is imported, torch
included, until a model is built, and this module and :mod:`cxrlabel_vision.model` do not import
each other. Backbones plug in by name: a factory ``fn(num_classes=14, weights=None, **kwargs) ->
nn.Module`` decorated with ``@register_model`` (its function name is the model name, or pass
``name=``), or an entry point in the ``cxrlabel.models`` group of an installed package.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Callable

from cxrlabel.registry import models

__all__ = ["create_model", "list_models", "register_model"]


def register_model(fn: Callable[..., Any] | None = None, *, name: str | None = None):
    """Register a model factory; usable as ``@register_model`` or ``@register_model(name=...)``."""

    def deco(f: Callable[..., Any]) -> Callable[..., Any]:
        models.register(name or f.__name__, f)
        return f

    return deco(fn) if fn is not None else deco


def list_models(pattern: str = "*") -> list[str]:
    """Sorted names of registered models matching a shell-style ``pattern``."""
    return [n for n in models.names() if fnmatch.fnmatch(n, pattern)]


def create_model(name: str, num_classes: int = 14, weights: str | None = None, **kwargs: Any):
    """Build the model registered as ``name``.

    ``weights`` is ``"imagenet"`` (torchvision download; needs a network), a path to a local
    state-dict file, or ``None``/``"none"`` for random initialisation. Raises
    :class:`~cxrlabel.errors.PluginError` (X701) listing the names when ``name`` is unknown.
    """
    return models.get(name)(num_classes=num_classes, weights=weights, **kwargs)
