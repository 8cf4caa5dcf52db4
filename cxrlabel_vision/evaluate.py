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

__all__ = ["auc_table", "autocast", "paper_table", "plot_roc", "predict", "resolve_device",
           "with_reference"]


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


def with_reference(result: pd.DataFrame, reference: str | Path) -> pd.DataFrame:
    """``result`` with the reference CSV's ``auc`` (by finding) as ``reference`` and the
    ``difference`` auc − reference beside it."""
    from cxrlabel.errors import VisionError

    ref = pd.read_csv(reference)
    if not {"finding", "auc"} <= set(ref.columns):
        raise VisionError(f"reference {reference} needs finding and auc columns, got "
                          f"{list(ref.columns)}", code="V830")
    out = result.merge(ref[["finding", "auc"]].rename(columns={"auc": "reference"}),
                       on="finding", how="left")
    out["difference"] = out["auc"] - out["reference"]
    return out


def paper_table(result: pd.DataFrame) -> str:
    """Tables 4 and 7 of the paper: one block per criterion, rows T × method × (Acc., AFP)."""
    blocks = []
    for criterion, part in result.groupby("criterion", sort=False):
        long = part.melt(id_vars=["method", "T", "finding"], value_vars=["accuracy", "afp"],
                         var_name="metric")
        wide = long.pivot_table(index=["T", "method", "metric"], columns="finding",
                                values="value")
        cols = [c for c in wide.columns if c != "all"] + ["all"]
        blocks.append(f"T({criterion.upper()})\n{wide[cols].round(3).to_string()}")
    return "\n\n".join(blocks)


def _panel(draw, box: tuple[int, int, int], fpr, tpr, title: str) -> None:
    """One small ROC panel at (left, top) of side ``box[2]``: frame, diagonal, curve, title."""
    left, top, side = box

    def xy(f: float, t: float) -> tuple[float, float]:
        return left + f * side, top + (1 - t) * side

    draw.rectangle([xy(0, 1), xy(1, 0)], outline="black")
    draw.line([xy(0, 0), xy(1, 1)], fill=(190, 190, 190))
    if fpr is not None:
        draw.line([xy(f, t) for f, t in zip(fpr, tpr)], fill=(31, 119, 180), width=2)
    draw.text((left, top - 14), title, fill="black")


def plot_roc(targets: np.ndarray, probs: np.ndarray, findings: Sequence[str],
             path: str | Path, side: int = 150, columns: int = 5) -> Path:
    """Per-finding ROC small multiples (one panel each, AUC and positives in its title; a
    finding without an AUC gets an empty panel saying so) → PNG at ``path``."""
    from PIL import Image, ImageDraw

    aucs = roc_auc_per_class(targets, probs)
    pad, head = 30, 22
    rows = -(-len(findings) // columns)
    img = Image.new("RGB", (columns * (side + pad) + pad, rows * (side + pad + head) + 40),
                    "white")
    draw = ImageDraw.Draw(img)
    mean = np.nanmean(aucs) if np.isfinite(aucs).any() else float("nan")
    draw.text((pad, 6), f"ROC per finding (x: false positive rate, y: true positive rate); "
                        f"mean AUC {mean:.3f}", fill="black")
    for c, name in enumerate(findings):
        r, k = divmod(c, columns)
        left, top = pad + k * (side + pad), 40 + head + r * (side + pad + head)
        n_pos = int(np.nansum(targets[:, c] == 1))
        if np.isnan(aucs[c]):
            _panel(draw, (left, top, side), None, None, f"{name[:18]}: no AUC")
            continue
        fpr, tpr = roc_curve(targets[:, c], probs[:, c])
        _panel(draw, (left, top, side), fpr, tpr, f"{name[:14]} {aucs[c]:.2f} (n+={n_pos})")
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    img.save(p)
    return p
