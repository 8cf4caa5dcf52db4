"""Scoring detected boxes against ground truth as ChestX-ray8's Tables 4 and 7.

Detections of one (image, finding) are first grouped into *regions*: the boxes of every
threshold that lie in one lowest-threshold region (the ``region`` column that ``localize``
writes; rows without it are regions of their own). A region overlaps a ground-truth box by the
best overlap of its boxes. Regions and ground-truth boxes are then matched one to one, greedily
by overlap, only pairs overlapping by more than T (IoBB or IoU). Accuracy is the share of
ground-truth boxes matched; AFP (average false positives) is the number of unmatched regions
per image that has a box of that finding. So a region's nested 60/180 boxes count once, and
two detections on one truth box give one hit and one false positive. pandas + numpy only.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .boxes import box_iobb, box_iou

__all__ = ["IOBB_THRESHOLDS", "IOU_THRESHOLDS", "match_regions", "score_detections"]

IOBB_THRESHOLDS = (0.1, 0.25, 0.5, 0.75, 0.9)
IOU_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
_XYWH = ["x", "y", "w", "h"]


def _region_overlaps(det: pd.DataFrame, gt_boxes: np.ndarray, overlap) -> np.ndarray:
    """(regions, truths) best overlap of each detection region with each ground-truth box."""
    if det.empty:
        return np.zeros((0, len(gt_boxes)))
    m = np.asarray(overlap(det[_XYWH].to_numpy(float), gt_boxes)).reshape(len(det), -1)
    if "region" in det.columns:
        keys = det["region"].to_numpy()
    else:
        keys = np.arange(len(det))
    return np.stack([m[keys == k].max(axis=0) for k in dict.fromkeys(keys.tolist())])


def match_regions(overlaps: np.ndarray, t: float) -> int:
    """Number of one-to-one matches between regions (rows) and truths (columns) overlapping
    by more than ``t``, pairing the largest overlaps first."""
    rows, cols = np.nonzero(overlaps > t)
    order = np.argsort(-overlaps[rows, cols], kind="stable")
    used_r, used_c, n = set(), set(), 0
    for k in order:
        r, c = int(rows[k]), int(cols[k])
        if r not in used_r and c not in used_c:
            used_r.add(r)
            used_c.add(c)
            n += 1
    return n


def score_detections(
    detections: pd.DataFrame,
    truth: pd.DataFrame,
    criterion: str = "iobb",
    thresholds: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Accuracy and AFP per finding and threshold.

    Both frames have ``image, finding, x, y, w, h`` (detections optionally ``region``); only
    (image, finding) pairs present in ``truth`` are scored. Returns rows ``criterion, T,
    finding, boxes, accuracy, afp`` plus an ``all`` row per T (pooled over findings).
    """
    if criterion not in ("iobb", "iou"):
        raise ValueError(f"criterion must be 'iobb' or 'iou', got {criterion!r}")
    if thresholds is None:
        thresholds = IOBB_THRESHOLDS if criterion == "iobb" else IOU_THRESHOLDS
    overlap = box_iobb if criterion == "iobb" else box_iou
    groups = dict(tuple(detections.groupby(["image", "finding"])))
    empty = detections.iloc[:0]
    pairs = [(finding, len(gt), _region_overlaps(groups.get((image, finding), empty),
                                                   gt[_XYWH].to_numpy(float), overlap))
             for (image, finding), gt in truth.groupby(["image", "finding"])]
    rows = []
    for t in thresholds:
        hits = [(f, n, match_regions(m, t), len(m)) for f, n, m in pairs]
        for finding in sorted({f for f, *_ in pairs}) + ["all"]:
            sel = [h for h in hits if finding in ("all", h[0])]
            boxes = sum(n for _f, n, _h, _r in sel)
            matched = sum(h for _f, _n, h, _r in sel)
            fp = sum(r - h for _f, _n, h, r in sel)
            rows.append({
                "criterion": criterion, "T": t, "finding": finding, "boxes": boxes,
                "accuracy": matched / boxes if boxes else float("nan"),
                "afp": fp / max(len(sel), 1),
            })
    return pd.DataFrame(rows)
