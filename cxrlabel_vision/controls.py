"""Chance levels for the box evaluation, built from the detections being scored.

``random_boxes`` (the default control): for every (image, finding) of the ground truth, each of
the model's detection regions is moved to a uniformly random place in the image, its nested
higher-threshold boxes moved with it. Count, sizes and nesting are the model's, only the
location is chance, so the control answers "would boxes this big and this many hit the truth by
luck?".

``random_heatmap``: the paper-style control, a random S×S map through the same thresholding.
S is taken from the detections (the ``map_size`` column that ``localize`` writes), never from
options, and the noise is Gaussian-smoothed (σ = S/8 cells) so that it gives a few blobs per map
as a trained heatmap does rather than dozens of one-cell boxes from uniform noise.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from cxrlabel.errors import VisionError

from .boxes import heatmap_to_boxes

__all__ = ["CONTROLS", "DETECTION_COLUMNS", "map_size_of", "random_boxes", "random_heatmap"]

CONTROLS = ("boxes", "heatmap", "none")
DETECTION_COLUMNS = ["image", "finding", "prob", "threshold", "score", "region", "map_size",
                     "x", "y", "w", "h"]


def map_size_of(detections: pd.DataFrame) -> int:
    """The heatmap side S the detections were made from (their ``map_size`` column)."""
    if "map_size" not in detections.columns or detections["map_size"].isna().all():
        raise VisionError("the detections have no map_size column (an older localize CSV?): "
                          "pass --map-size S, the heatmap side they were made from",
                          code="V830")
    sizes = set(detections["map_size"].dropna().astype(int))
    if len(sizes) != 1:
        raise VisionError(f"the detections mix heatmap sizes {sorted(sizes)}", code="V830")
    return sizes.pop()


def random_boxes(detections: pd.DataFrame, truth: pd.DataFrame,
                 image_sizes: Mapping[str, tuple[int, int]], seed: int = 0) -> pd.DataFrame:
    """The model's own detections of each truth (image, finding), each region moved to a
    random place inside the image (``image_sizes``: name → (width, height))."""
    rng = np.random.default_rng(seed)
    wanted = set(map(tuple, truth[["image", "finding"]].drop_duplicates().to_numpy()))
    det = detections[[k in wanted for k in zip(detections.image, detections.finding)]].copy()
    if "region" not in det.columns:
        det["region"] = np.arange(len(det))
    parts = []
    for (name, _f, _r), g in det.groupby(["image", "finding", "region"], sort=True):
        width, height = image_sizes[name]
        x0, y0 = g.x.min(), g.y.min()
        span_w, span_h = g.eval("x + w").max() - x0, g.eval("y + h").max() - y0
        nx = rng.uniform(0, max(width - span_w, 0))
        ny = rng.uniform(0, max(height - span_h, 0))
        parts.append(g.assign(x=g.x - x0 + nx, y=g.y - y0 + ny, prob=np.nan))
    cols = [c for c in DETECTION_COLUMNS if c in det.columns]
    return pd.concat(parts, ignore_index=True)[cols] if parts else det[cols]


def smoothed_noise(rng: np.random.Generator, size: int) -> np.ndarray:
    """An S×S Gaussian-smoothed uniform noise map (σ = S/8 cells, wrapped at the edges)."""
    from scipy import ndimage

    return ndimage.gaussian_filter(rng.random((size, size)), sigma=max(size / 8, 0.5),
                                   mode="wrap")


def random_heatmap(truth: pd.DataFrame, image_sizes: Mapping[str, tuple[int, int]],
                   map_size: int, thresholds: Sequence[float] = (60, 180),
                   seed: int = 0) -> pd.DataFrame:
    """Boxes from a smoothed random ``map_size``² heatmap per truth (image, finding)."""
    rng = np.random.default_rng(seed)
    rows = []
    for (name, f), _g in truth.groupby(["image", "finding"]):
        for b in heatmap_to_boxes(smoothed_noise(rng, map_size), thresholds, image_sizes[name]):
            rows.append({"image": name, "finding": f, "prob": np.nan, "threshold": b.threshold,
                         "score": b.score, "region": b.region, "map_size": map_size,
                         "x": b.x, "y": b.y, "w": b.w, "h": b.h})
    return pd.DataFrame(rows, columns=DETECTION_COLUMNS)
