"""A timm-style model registry: ``register_model``, ``create_model``, ``list_models``.

Backbones plug in by name: a factory ``fn(num_classes=14, weights=None, **kwargs) -> nn.Module``
decorated with ``@register_model`` (its function name is the model name, or pass ``name=``).
The built-in LSE networks (resnet18/34/50, densenet121) register themselves in
:mod:`cxrlabel_vision.model`, imported on the first lookup.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Callable

from cxrlabel.errors import VisionError

__all__ = ["create_model", "list_models", "register_model"]

_MODELS: dict[str, Callable[..., Any]] = {}


def register_model(fn: Callable[..., Any] | None = None, *, name: str | None = None):
    """Register a model factory; usable as ``@register_model`` or ``@register_model(name=...)``."""

    def deco(f: Callable[..., Any]) -> Callable[..., Any]:
        _MODELS[name or f.__name__] = f
        return f

    return deco(fn) if fn is not None else deco


def _load_builtins() -> None:
    from . import model  # noqa: F401  (registers the built-in architectures)


def list_models(pattern: str = "*") -> list[str]:
    """Sorted names of registered models matching a shell-style ``pattern``."""
    _load_builtins()
    return sorted(n for n in _MODELS if fnmatch.fnmatch(n, pattern))


def create_model(name: str, num_classes: int = 14, weights: str | None = None, **kwargs: Any):
    """Build the model registered as ``name``.

    ``weights`` is ``"imagenet"`` (torchvision download; needs a network), a path to a local
    state-dict file, or ``None``/``"none"`` for random initialisation. Raises
    :class:`~cxrlabel.errors.VisionError` (V801) listing the names when ``name`` is unknown.
    """
    _load_builtins()
    if name not in _MODELS:
        raise VisionError(
            f"unknown model {name!r}; available: {', '.join(sorted(_MODELS))}", code="V801"
        )
    return _MODELS[name](num_classes=num_classes, weights=weights, **kwargs)
