"""From a trained network to boxes: class heatmaps → thresholded regions → boxes, overlays,
the one-image API and the box evaluation with a chance control (:mod:`.controls`).

Heatmaps are the CAMs of :class:`~cxrlabel_vision.model.LSENet` (S×S per finding); boxes are
scaled to each image's original pixel size, so they compare directly with BBox_List_2017.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader

from cxrlabel.errors import VisionError
from cxrlabel.types import FINDINGS

from .boxeval import score_detections
from .boxes import Box, heatmap_to_boxes
from .controls import DETECTION_COLUMNS
from .data import ImageCache, XrayDataset, find_images, image_size_of, load_image, to_input
from .evaluate import autocast
from .overlay import draw_overlay

__all__ = ["Prediction", "eval_boxes", "iter_heatmaps", "localize", "predict_image"]


@torch.no_grad()
def iter_heatmaps(model, image_dir: str | Path | None, names: Sequence[str], image_size: int,
                  device: torch.device, batch_size: int = 8, workers: int = 0,
                  amp: bool = False, cache: ImageCache | None = None):
    """Yield ``(name, probabilities (C,), heatmaps (C, S, S))`` per image, as numpy float32.
    ``workers`` DataLoader processes decode images; ``amp`` uses mixed precision on CUDA only;
    ``cache`` reads pre-resized images instead of PNGs."""
    model.eval()
    ds = XrayDataset(list(names), image_dir=image_dir, image_size=image_size, cache=cache,
                     num_classes=model.prediction.out_features)
    loader = DataLoader(ds, batch_size=batch_size, num_workers=workers,
                        pin_memory=device.type == "cuda")
    for images, _t, idx in loader:
        with autocast(device, amp):
            logits, maps = model.heatmaps(to_input(images, device))
        probs = torch.sigmoid(logits.float()).cpu().numpy()
        maps = maps.float().cpu().numpy()
        for k, i in enumerate(idx.tolist()):
            yield ds.names[i], probs[k], maps[k]


def _rows(image: str, finding: str, prob: float, boxes: Sequence[Box], s: int) -> list[dict]:
    return [{"image": image, "finding": finding, "prob": prob, "threshold": b.threshold,
             "score": b.score, "region": b.region, "map_size": s,
             "x": b.x, "y": b.y, "w": b.w, "h": b.h} for b in boxes]


@dataclass
class Prediction:
    """One image through the network: ``probs`` finding → probability, ``heatmaps`` (C, S, S)
    in ``findings`` order, ``boxes`` finding → boxes in the image's pixels."""

    findings: list[str]
    probs: dict[str, float]
    heatmaps: np.ndarray
    boxes: dict[str, list[Box]]


@torch.no_grad()
def predict_image(model, path: str | Path, image_size: int = 512,
                  thresholds: Sequence[float] = (60, 180),
                  findings: Sequence[str] | None = None,
                  device: str | torch.device | None = None) -> Prediction:
    """Probabilities, class heatmaps and boxes (at ``thresholds``) for one image file.

    ``model`` is an :class:`~cxrlabel_vision.model.LSENet` (e.g. from
    :func:`~cxrlabel_vision.checkpoint.model_from_checkpoint`); boxes are in the file's pixels.
    """
    names = list(findings or FINDINGS)
    if len(names) != model.prediction.out_features:
        raise VisionError(f"{len(names)} finding names for a model of "
                          f"{model.prediction.out_features} outputs", code="V830")
    dev = torch.device(device) if device is not None else next(model.parameters()).device
    model.eval()
    x = torch.from_numpy(load_image(path, image_size))[None, None]
    logits, maps = model.heatmaps(to_input(x, dev))
    probs = torch.sigmoid(logits.float())[0].cpu().numpy()
    heat = maps.float()[0].cpu().numpy()
    size = image_size_of(path)
    return Prediction(names, {f: float(p) for f, p in zip(names, probs)}, heat,
                      {f: heatmap_to_boxes(heat[c], thresholds, size)
                       for c, f in enumerate(names)})


def localize(model, findings: Sequence[str], image_dir: str | Path, names: Sequence[str],
             image_size: int, device: torch.device, thresholds: Sequence[float] = (60, 180),
             only: Sequence[str] | None = None, min_prob: float | None = None,
             truth: pd.DataFrame | None = None, overlays: str | Path | None = None,
             batch_size: int = 8, workers: int = 0, amp: bool = False,
             cache: ImageCache | None = None) -> pd.DataFrame:
    """Boxes for each image and finding → DataFrame (``image, finding, prob, threshold, score,
    region, map_size, x, y, w, h``).

    Findings scored per image: those in ``truth`` for that image when given, else ``only`` (or
    all) filtered by ``min_prob``. With ``overlays`` a PNG per (image, finding) is written there.
    """
    findings = list(findings)
    wanted = list(only or findings)
    for f in wanted:
        if f not in findings:
            raise VisionError(f"unknown finding {f!r}; known: {', '.join(findings)}", code="V830")
    truth_by = ({k: g[["x", "y", "w", "h"]].to_numpy(float).tolist()
                 for k, g in truth.groupby(["image", "finding"])} if truth is not None else {})
    rows: list[dict] = []
    paths = find_images(image_dir)
    for name, probs, maps in iter_heatmaps(model, image_dir, names, image_size, device,
                                           batch_size, workers, amp, cache):
        size = image_size_of(paths[name])
        if truth is not None:
            todo = sorted({f for (img, f) in truth_by if img == name})
        else:
            todo = [f for f in wanted if min_prob is None or probs[findings.index(f)] >= min_prob]
        for f in todo:
            c = findings.index(f)
            boxes = heatmap_to_boxes(maps[c], thresholds, size)
            rows.extend(_rows(name, f, float(probs[c]), boxes, maps.shape[-1]))
            if overlays is not None:
                draw_overlay(paths[name], maps[c], boxes,
                             Path(overlays) / f"{Path(name).stem}_{f}.png",
                             truth_by.get((name, f), ()), f"{f} p={probs[c]:.2f}")
    return pd.DataFrame(rows, columns=DETECTION_COLUMNS)


def eval_boxes(detections: pd.DataFrame, truth: pd.DataFrame, control: pd.DataFrame | None = None
               ) -> pd.DataFrame:
    """IoBB (Table 4) and IoU (Table 7) accuracy/AFP for ``detections`` (method ``model``) and,
    when given, the chance ``control`` (method ``random``)."""
    parts = []
    for method, det in (("model", detections), ("random", control)):
        if det is None:
            continue
        for criterion in ("iobb", "iou"):
            parts.append(score_detections(det, truth, criterion).assign(method=method))
    df = pd.concat(parts, ignore_index=True)
    return df[["method", "criterion", "T", "finding", "boxes", "accuracy", "afp"]]
