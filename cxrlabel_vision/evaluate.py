"""Inference and image-level evaluation: probabilities, per-finding ROC AUC, a ROC plot.

The plot is drawn with Pillow so that matplotlib is not a dependency.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader

from .data import to_input
from .metrics import roc_auc_per_class, roc_curve

__all__ = ["auc_table", "autocast", "plot_roc", "predict", "resolve_device"]


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` → cuda when available else cpu; ``cpu``; ``cuda`` / ``cuda:N``."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        from cxrlabel.errors import VisionError

        raise VisionError("--device cuda asked for, but torch sees no CUDA GPU", code="V830")
    return torch.device(name)


def autocast(device: torch.device, enabled: bool):
    """Mixed precision context: bfloat16 on GPUs that support it, else float16; off on CPU."""
    if not enabled or device.type != "cuda":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast("cuda", dtype=dtype)


@torch.no_grad()
def predict(model: torch.nn.Module, loader: DataLoader, device: torch.device,
            amp: bool = False, channels_last: bool = False) -> np.ndarray:
    """Sigmoid probabilities (N, C) for every item of ``loader``, in dataset order."""
    model.eval()
    n = len(loader.dataset)
    out: np.ndarray | None = None
    for images, _targets, idx in loader:
        with autocast(device, amp):
            logits = model(to_input(images, device, channels_last))
        probs = torch.sigmoid(logits.float()).cpu().numpy()
        if out is None:
            out = np.full((n, probs.shape[1]), np.nan, dtype=np.float32)
        out[idx.numpy()] = probs
    return out if out is not None else np.zeros((0, 0), dtype=np.float32)


def auc_table(targets: np.ndarray, probs: np.ndarray, findings: Sequence[str]) -> pd.DataFrame:
    """Per-finding AUC with positive/negative counts, plus a ``mean`` row (over defined AUCs)."""
    aucs = roc_auc_per_class(targets, probs)
    known = ~np.isnan(targets)
    df = pd.DataFrame({
        "finding": list(findings),
        "auc": aucs,
        "positives": ((targets == 1) & known).sum(axis=0),
        "negatives": ((targets == 0) & known).sum(axis=0),
    })
    mean = float(np.nanmean(aucs)) if np.isfinite(aucs).any() else float("nan")
    row = {"finding": "mean", "auc": mean, "positives": int(df.positives.sum()),
           "negatives": int(df.negatives.sum())}
    return pd.concat([df, pd.DataFrame([row])], ignore_index=True)


_PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
            (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
            (0, 0, 128), (128, 0, 0), (0, 128, 128), (90, 90, 0)]


def plot_roc(targets: np.ndarray, probs: np.ndarray, findings: Sequence[str],
             path: str | Path, size: int = 640) -> Path:
    """Draw every finding's ROC curve (with its AUC in the legend) into a PNG at ``path``."""
    from PIL import Image, ImageDraw

    aucs = roc_auc_per_class(targets, probs)
    margin, legend_w = 50, 230
    img = Image.new("RGB", (size + legend_w, size), "white")
    draw = ImageDraw.Draw(img)
    side = size - 2 * margin

    def xy(fpr: float, tpr: float) -> tuple[float, float]:
        return margin + fpr * side, size - margin - tpr * side

    draw.rectangle([xy(0, 1), xy(1, 0)], outline="black")
    draw.line([xy(0, 0), xy(1, 1)], fill=(180, 180, 180))
    for tick in (0.0, 0.5, 1.0):
        draw.text((xy(tick, 0)[0] - 8, size - margin + 6), f"{tick:.1f}", fill="black")
        draw.text((margin - 30, xy(0, tick)[1] - 6), f"{tick:.1f}", fill="black")
    draw.text((size / 2 - 60, size - 20), "false positive rate", fill="black")
    draw.text((4, 10), "true positive rate", fill="black")
    row = 0
    for c, name in enumerate(findings):
        if np.isnan(aucs[c]):
            continue
        colour = _PALETTE[c % len(_PALETTE)]
        fpr, tpr = roc_curve(targets[:, c], probs[:, c])
        draw.line([xy(f, t) for f, t in zip(fpr, tpr)], fill=colour, width=2)
        y = margin + 16 * row
        draw.line([(size + 5, y + 6), (size + 25, y + 6)], fill=colour, width=3)
        draw.text((size + 30, y), f"{name} {aucs[c]:.3f}", fill="black")
        row += 1
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    img.save(p)
    return p
