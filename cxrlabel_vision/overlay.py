"""Overlay pictures: an image with one class heatmap blended in, its detections and the truth.

With ground truth, a detection region that overlaps a truth box by IoBB > ``hit_iobb`` is drawn
as a hit (solid green-cyan) and any other as a false positive (red); truth boxes are green, and
a legend in the corner says which colour is which. Pillow only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from .boxes import Box, box_iobb, normalize_heatmap

__all__ = ["HIT", "FALSE_POSITIVE", "TRUTH", "UNSCORED", "classify_boxes", "draw_overlay"]

TRUTH = (0, 255, 0)
HIT = (0, 200, 255)
FALSE_POSITIVE = (255, 40, 40)
UNSCORED = (255, 255, 0)

_JET = np.array([[0, 0, 128], [0, 0, 255], [0, 255, 255], [255, 255, 0], [255, 0, 0],
                 [128, 0, 0]], dtype=np.float64)


def _colorize(norm: np.ndarray) -> np.ndarray:
    """[0, 255] map → RGB uint8 with a jet-like ramp (blue = cold, red = hot)."""
    pos = norm / 255.0 * (len(_JET) - 1)
    lo = np.clip(np.floor(pos).astype(int), 0, len(_JET) - 2)
    frac = (pos - lo)[..., None]
    return (_JET[lo] * (1 - frac) + _JET[lo + 1] * frac).astype(np.uint8)


def classify_boxes(boxes: Sequence[Box], truth: Sequence[Sequence[float]],
                   hit_iobb: float = 0.5) -> list[str]:
    """``"hit"`` / ``"fp"`` per box (by its region: a region is a hit when one of its boxes
    overlaps a truth box by IoBB > ``hit_iobb``); ``"unscored"`` for all when no truth."""
    if not len(truth):
        return ["unscored"] * len(boxes)
    gt = np.asarray(truth, dtype=float).reshape(-1, 4)
    hit_regions = set()
    for b in boxes:
        if np.max(box_iobb(np.array([b[:4]]), gt)) > hit_iobb:
            hit_regions.add(b.region)
    return ["hit" if b.region in hit_regions else "fp" for b in boxes]


def _legend(draw, entries: list[tuple[str, tuple[int, int, int]]], size: int) -> None:
    h = 14 * len(entries) + 8
    top = size - h - 4
    draw.rectangle([4, top, 190, size - 4], fill=(0, 0, 0))
    for k, (text, colour) in enumerate(entries):
        y = top + 4 + 14 * k
        draw.rectangle([10, y + 2, 26, y + 11], outline=colour, width=2)
        draw.text((32, y), text, fill=(255, 255, 255))


def draw_overlay(image_path: str | Path, heatmap: np.ndarray, boxes: Sequence[Box],
                 path: str | Path, truth: Sequence[Sequence[float]] = (), title: str = "",
                 size: int = 512, hit_iobb: float = 0.5) -> Path:
    """Save a PNG: the image with the heatmap blended in and the boxes with a legend. With
    ``truth``: truth green, hits cyan, false positives red; without: detections yellow. Boxes
    of higher thresholds (nested in a region) are drawn thinner."""
    from PIL import Image, ImageDraw

    from .data import open_image

    with open_image(image_path) as im:
        width, height = im.size
        base = im.convert("RGB").resize((size, size), Image.BILINEAR)
    heat = Image.fromarray(_colorize(normalize_heatmap(heatmap))).resize((size, size),
                                                                           Image.BILINEAR)
    img = Image.blend(base, heat, 0.35)
    draw = ImageDraw.Draw(img)
    sx, sy = size / width, size / height
    low = min((b.threshold for b in boxes), default=0)

    def rect(b, colour, width=3):
        draw.rectangle([b[0] * sx, b[1] * sy, (b[0] + b[2]) * sx, (b[1] + b[3]) * sy],
                       outline=colour, width=width)

    kinds = classify_boxes(boxes, truth, hit_iobb)
    colours = {"hit": HIT, "fp": FALSE_POSITIVE, "unscored": UNSCORED}
    for b, kind in zip(boxes, kinds):
        rect(b, colours[kind], 3 if b.threshold <= low else 1)
    for b in truth:
        rect(b, TRUTH, 2)
    entries = ([("truth box", TRUTH), (f"hit (IoBB > {hit_iobb:g})", HIT),
                ("false positive", FALSE_POSITIVE)] if len(truth) else
               [("detection", UNSCORED)])
    entries.append(("thin: higher threshold", (200, 200, 200)))
    _legend(draw, entries, size)
    if title:
        draw.rectangle([2, 2, 8 + 7 * len(title), 18], fill=(0, 0, 0))
        draw.text((6, 4), title, fill=(255, 255, 255))
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    img.save(p)
    return p
