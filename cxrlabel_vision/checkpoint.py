"""Checkpoints: one ``.pt`` file with the model weights, how to rebuild the model, and (for
``--resume``) the optimizer and AMP scaler state. Written atomically (temp file + rename)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from cxrlabel.errors import VisionError

from .registry import create_model
from .safeload import check_checkpoint, check_model_size

__all__ = ["load_checkpoint", "model_from_checkpoint", "save_checkpoint"]

FORMAT = 1


def _unwrap(model: torch.nn.Module) -> torch.nn.Module:
    return model.module if hasattr(model, "module") else model


def save_checkpoint(path: str | Path, model: torch.nn.Module, meta: dict[str, Any],
                    optimizer: torch.optim.Optimizer | None = None,
                    scaler: Any | None = None, extra: dict[str, Any] | None = None) -> Path:
    """Write ``{"format", "meta", "model", "optimizer", "scaler", **extra}`` to ``path``
    atomically (``extra``: e.g. ``scheduler`` and ``rng`` states for ``--resume``).

    ``meta`` must hold ``arch`` and ``model_kwargs`` (and usually ``image_size``, ``findings``,
    ``epoch``) so that :func:`model_from_checkpoint` can rebuild the network.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    blob = {
        "format": FORMAT,
        "meta": meta,
        "model": _unwrap(model).state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scaler": scaler.state_dict() if scaler is not None else None,
        **(extra or {}),
    }
    tmp = p.with_name(p.name + ".tmp")
    torch.save(blob, tmp)
    os.replace(tmp, p)
    return p


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (V820 if absent or foreign)."""
    p = Path(path)
    if not p.is_file():
        raise VisionError(f"checkpoint {p} not found", code="V820")
    check_checkpoint(p)  # declared tensor sizes fit the file, before torch allocates them
    try:
        blob = torch.load(p, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises pickle / zip errors of several kinds
        raise VisionError(f"cannot read checkpoint {p}: {err}", code="V820") from err
    if not isinstance(blob, dict) or blob.get("format") != FORMAT or "meta" not in blob:
        raise VisionError(
            f"{p} is not a cxrlabel_vision checkpoint (written by `cxrlabel vision train`)",
            code="V820",
        )
    return blob


def model_from_checkpoint(path: str | Path, device: str | torch.device = "cpu"):
    """Rebuild the network saved in ``path`` → ``(model in eval mode on device, meta)``."""
    blob = load_checkpoint(path)
    meta = blob["meta"]
    build = lambda: create_model(meta["arch"], num_classes=len(meta["findings"]), weights=None,  # noqa: E731
                                 **meta.get("model_kwargs", {}))
    check_model_size(path, build, blob["model"])
    model = build()
    model.load_state_dict(blob["model"])
    return model.to(device).eval(), meta
