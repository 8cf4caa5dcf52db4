"""Boxes from heatmaps, and the overlap measures of ChestX-ray8 (IoU and IoBB).

Only numpy and scipy: localization results can be scored without torch. Boxes are
``(x, y, w, h)`` in image pixels, x to the right and y down, as in NIH's ``BBox_List_2017.csv``.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

__all__ = ["Box", "box_iobb", "box_iou", "heatmap_to_boxes", "normalize_heatmap"]


class Box(NamedTuple):
    """A detected box: position and size in image pixels, the threshold that produced it, the
    mean normalized heat (0–255) inside its region, and ``region``: the number (from 1) of the
    lowest-threshold region it lies in. The 60- and 180-threshold boxes of one hot spot share a
    region, so scoring counts them as one detection, not two."""

    x: float
    y: float
    w: float
    h: float
    threshold: float = 0.0
    score: float = 0.0
    region: int = 0


def normalize_heatmap(heatmap: np.ndarray) -> np.ndarray:
    """Min-max scale a 2-D map to [0, 255] (float). A constant map becomes all zeros."""
    h = np.asarray(heatmap, dtype=np.float64)
    if h.ndim != 2:
        raise ValueError(f"a heatmap must be 2-D (H, W), got shape {h.shape}")
    h = np.where(np.isfinite(h), h, np.nan)
    lo, hi = np.nanmin(h), np.nanmax(h)
    if not np.isfinite(lo) or not np.isfinite(hi) or hi - lo <= 0:
        return np.zeros_like(h)
    return np.nan_to_num((h - lo) / (hi - lo) * 255.0, nan=0.0)


def heatmap_to_boxes(
    heatmap: np.ndarray,
    thresholds: Sequence[float] = (60, 180),
    image_size: tuple[int, int] = (1024, 1024),
) -> list[Box]:
    """Boxes around the connected regions of a heatmap above each threshold.

    The map (H×W, any scale) is min-max normalized to [0, 255]; for each threshold the cells
    ``>= threshold`` are grouped into 8-connected regions and each region gives the box of its
    cells, scaled from the map grid to ``image_size`` = (width, height) in pixels. Boxes of
    every threshold are returned together (the paper keeps both the 60 and 180 boxes); a box
    of a higher threshold is nested in one region of the lowest, whose number it carries in
    ``region``.
    """
    from scipy import ndimage

    norm = normalize_heatmap(heatmap)
    rows, cols = norm.shape
    width, height = image_size
    sx, sy = width / cols, height / rows
    boxes: list[Box] = []
    structure = np.ones((3, 3), dtype=bool)
    outer: np.ndarray | None = None
    for t in sorted(thresholds):
        mask = norm >= t
        if not mask.any() or norm.max() <= 0:
            continue
        labeled, n = ndimage.label(mask, structure=structure)
        if outer is None:
            outer = labeled
        for i, sl in enumerate(ndimage.find_objects(labeled), start=1):
            if sl is None:
                continue
            ys, xs = sl
            cells = labeled == i
            score = float(norm[cells].mean())
            region = int(outer[cells].max())
            boxes.append(
                Box(
                    x=xs.start * sx,
                    y=ys.start * sy,
                    w=(xs.stop - xs.start) * sx,
                    h=(ys.stop - ys.start) * sy,
                    threshold=float(t),
                    score=score,
                    region=region,
                )
            )
    return boxes


def _as_xywh(a) -> np.ndarray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.shape[-1] < 4:
        raise ValueError(f"a box needs (x, y, w, h), got shape {arr.shape}")
    return arr[..., :4]


def _intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise intersection areas of (N, 4) and (M, 4) boxes → (N, M)."""
    ax0, ay0 = a[:, None, 0], a[:, None, 1]
    ax1, ay1 = ax0 + a[:, None, 2], ay0 + a[:, None, 3]
    bx0, by0 = b[None, :, 0], b[None, :, 1]
    bx1, by1 = bx0 + b[None, :, 2], by0 + b[None, :, 3]
    iw = np.clip(np.minimum(ax1, bx1) - np.maximum(ax0, bx0), 0, None)
    ih = np.clip(np.minimum(ay1, by1) - np.maximum(ay0, by0), 0, None)
    return iw * ih


def _pairwise(a, b, denominator: str):
    a_arr, b_arr = _as_xywh(a), _as_xywh(b)
    single = a_arr.ndim == 1 and b_arr.ndim == 1
    a2, b2 = a_arr.reshape(-1, 4), b_arr.reshape(-1, 4)
    inter = _intersection(a2, b2)
    area_a = (a2[:, 2] * a2[:, 3])[:, None]
    area_b = (b2[:, 2] * b2[:, 3])[None, :]
    if denominator == "union":
        denom = area_a + area_b - inter
    else:
        denom = np.broadcast_to(area_a, inter.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(denom > 0, inter / np.where(denom > 0, denom, 1.0), 0.0)
    return float(out[0, 0]) if single else out


def box_iou(a, b):
    """Intersection over union of (x, y, w, h) boxes.

    Two boxes give a float; an (N, 4) and an (M, 4) array give the (N, M) matrix. Extra
    trailing fields (as in :class:`Box`) are ignored. Empty boxes give 0.
    """
    return _pairwise(a, b, "union")


def box_iobb(detected, truth):
    """Intersection over the *detected* box's area (ChestX-ray8's IoBB): the share of the
    detection that lies inside the ground truth. Same shapes as :func:`box_iou`."""
    return _pairwise(detected, truth, "detected")
