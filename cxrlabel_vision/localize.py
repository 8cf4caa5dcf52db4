"""From a trained network to boxes: class heatmaps → thresholded regions → boxes, overlays,
and the box evaluation with a random-heatmap control.

Heatmaps are the CAMs of :class:`~cxrlabel_vision.model.LSENet` (S×S per finding); boxes are
scaled to each image's original pixel size, so they compare directly with BBox_List_2017.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader

from cxrlabel.errors import VisionError

from .boxes import Box, heatmap_to_boxes, normalize_heatmap
from .boxeval import score_detections
from .data import XrayDataset, image_size_of, to_input

__all__ = ["draw_overlay", "eval_boxes", "iter_heatmaps", "localize"]

_COLUMNS = ["image", "finding", "prob", "threshold", "score", "x", "y", "w", "h"]


@torch.no_grad()
def iter_heatmaps(model, image_dir: str | Path, names: Sequence[str], image_size: int,
                  device: torch.device, batch_size: int = 8, workers: int = 0):
    """Yield ``(name, probabilities (C,), heatmaps (C, S, S))`` per image, as numpy float32."""
    model.eval()
    ds = XrayDataset(list(names), image_dir=image_dir, image_size=image_size,
                     num_classes=model.prediction.out_features)
    for images, _t, idx in DataLoader(ds, batch_size=batch_size, num_workers=workers):
        logits, maps = model.heatmaps(to_input(images, device))
        probs = torch.sigmoid(logits).float().cpu().numpy()
        maps = maps.float().cpu().numpy()
        for k, i in enumerate(idx.tolist()):
            yield ds.names[i], probs[k], maps[k]


def _rows(image: str, finding: str, prob: float, boxes: Iterable[Box]) -> list[dict]:
    return [{"image": image, "finding": finding, "prob": prob, "threshold": b.threshold,
             "score": b.score, "x": b.x, "y": b.y, "w": b.w, "h": b.h} for b in boxes]


_JET = np.array([[0, 0, 128], [0, 0, 255], [0, 255, 255], [255, 255, 0], [255, 0, 0],
                 [128, 0, 0]], dtype=np.float64)


def _colorize(norm: np.ndarray) -> np.ndarray:
    """[0, 255] map → RGB uint8 with a jet-like ramp (blue = cold, red = hot)."""
    pos = norm / 255.0 * (len(_JET) - 1)
    lo = np.clip(np.floor(pos).astype(int), 0, len(_JET) - 2)
    frac = (pos - lo)[..., None]
    return (_JET[lo] * (1 - frac) + _JET[lo + 1] * frac).astype(np.uint8)


def draw_overlay(image_path: str | Path, heatmap: np.ndarray, boxes: Sequence[Box],
                 path: str | Path, truth: Sequence[Sequence[float]] = (), title: str = "",
                 size: int = 512) -> Path:
    """Save a PNG: the image with the heatmap blended in, detections in red (threshold 60) and
    yellow (higher thresholds), ground-truth boxes in green. Drawn at ``size`` pixels."""
    from PIL import Image, ImageDraw

    with Image.open(image_path) as im:
        width, height = im.size
        base = im.convert("RGB").resize((size, size), Image.BILINEAR)
    heat = Image.fromarray(_colorize(normalize_heatmap(heatmap))).resize((size, size),
                                                                           Image.BILINEAR)
    img = Image.blend(base, heat, 0.35)
    draw = ImageDraw.Draw(img)
    sx, sy = size / width, size / height
    low = min((b.threshold for b in boxes), default=0)

    def rect(b, colour):
        draw.rectangle([b[0] * sx, b[1] * sy, (b[0] + b[2]) * sx, (b[1] + b[3]) * sy],
                       outline=colour, width=3)

    for b in boxes:
        rect(b, (255, 0, 0) if b.threshold <= low else (255, 255, 0))
    for b in truth:
        rect(b, (0, 255, 0))
    if title:
        draw.text((6, 6), title, fill=(255, 255, 255))
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    img.save(p)
    return p


def localize(model, findings: Sequence[str], image_dir: str | Path, names: Sequence[str],
             image_size: int, device: torch.device, thresholds: Sequence[float] = (60, 180),
             only: Sequence[str] | None = None, min_prob: float | None = None,
             truth: pd.DataFrame | None = None, overlays: str | Path | None = None,
             batch_size: int = 8) -> pd.DataFrame:
    """Boxes for each image and finding → DataFrame (``image, finding, prob, threshold, score,
    x, y, w, h``).

    Findings scored per image: those in ``truth`` for that image when given, else ``only`` (or
    all) filtered by ``min_prob``. With ``overlays`` a PNG per (image, finding) is written there.
    """
    findings = list(findings)
    wanted = [f for f in (only or findings)]
    for f in wanted:
        if f not in findings:
            raise VisionError(f"unknown finding {f!r}; known: {', '.join(findings)}", code="V830")
    truth_by = ({k: g[["x", "y", "w", "h"]].to_numpy(float).tolist()
                 for k, g in truth.groupby(["image", "finding"])} if truth is not None else {})
    rows: list[dict] = []
    root = Path(image_dir)
    for name, probs, maps in iter_heatmaps(model, root, names, image_size, device, batch_size):
        size = image_size_of(root / name)
        if truth is not None:
            todo = sorted({f for (img, f) in truth_by if img == name})
        else:
            todo = [f for f in wanted if min_prob is None or probs[findings.index(f)] >= min_prob]
        for f in todo:
            c = findings.index(f)
            boxes = heatmap_to_boxes(maps[c], thresholds, size)
            rows.extend(_rows(name, f, float(probs[c]), boxes))
            if overlays is not None:
                draw_overlay(root / name, maps[c], boxes,
                             Path(overlays) / f"{Path(name).stem}_{f}.png",
                             truth_by.get((name, f), ()), f"{f} p={probs[c]:.2f}")
    return pd.DataFrame(rows, columns=_COLUMNS)


def random_detections(truth: pd.DataFrame, image_dir: str | Path, map_size: int,
                      thresholds: Sequence[float] = (60, 180), seed: int = 0) -> pd.DataFrame:
    """The control: boxes from a uniform random S×S heatmap for each (image, finding) of truth."""
    rng = np.random.default_rng(seed)
    rows: list[dict] = []
    for (name, f), _g in truth.groupby(["image", "finding"]):
        size = image_size_of(Path(image_dir) / name)
        rows.extend(_rows(name, f, float("nan"),
                          heatmap_to_boxes(rng.random((map_size, map_size)), thresholds, size)))
    return pd.DataFrame(rows, columns=_COLUMNS)


def eval_boxes(detections: pd.DataFrame, truth: pd.DataFrame, control: pd.DataFrame | None = None
               ) -> pd.DataFrame:
    """IoBB (Table 4) and IoU (Table 7) accuracy/AFP for ``detections`` (method ``model``) and,
    when given, the random-heatmap ``control`` (method ``random``)."""
    parts = []
    for method, det in (("model", detections), ("random", control)):
        if det is None:
            continue
        for criterion in ("iobb", "iou"):
            parts.append(score_detections(det, truth, criterion).assign(method=method))
    df = pd.concat(parts, ignore_index=True)
    return df[["method", "criterion", "T", "finding", "boxes", "accuracy", "afp"]]
