"""Scoring detected boxes against ground truth as ChestX-ray8's Tables 4 and 7.

A ground-truth box is *localized* when some detection of the same finding on the same image
overlaps it by more than T (IoBB or IoU). Accuracy is the share of ground-truth boxes localized;
AFP (average false positives) is the number of detections that overlap no ground-truth box by
more than T, per image that has a box of that finding. pandas + numpy only.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .boxes import box_iobb, box_iou

__all__ = ["IOBB_THRESHOLDS", "IOU_THRESHOLDS", "score_detections"]

IOBB_THRESHOLDS = (0.1, 0.25, 0.5, 0.75, 0.9)
IOU_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
_XYWH = ["x", "y", "w", "h"]


def score_detections(
    detections: pd.DataFrame,
    truth: pd.DataFrame,
    criterion: str = "iobb",
    thresholds: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Accuracy and AFP per finding and threshold.

    Both frames have ``image, finding, x, y, w, h``; only (image, finding) pairs present in
    ``truth`` are scored. Returns rows ``criterion, T, finding, boxes, accuracy, afp`` plus an
    ``all`` row per T (pooled over findings).
    """
    if criterion not in ("iobb", "iou"):
        raise ValueError(f"criterion must be 'iobb' or 'iou', got {criterion!r}")
    if thresholds is None:
        thresholds = IOBB_THRESHOLDS if criterion == "iobb" else IOU_THRESHOLDS
    overlap = box_iobb if criterion == "iobb" else box_iou
    groups = {k: g[_XYWH].to_numpy(float) for k, g in detections.groupby(["image", "finding"])}
    # best overlap of each GT box with any detection; for each detection, best overlap with GT
    per_truth: list[tuple[str, float]] = []
    per_det: list[tuple[str, np.ndarray]] = []
    for (image, finding), gt in truth.groupby(["image", "finding"]):
        gt_boxes = gt[_XYWH].to_numpy(float)
        det = groups.get((image, finding), np.zeros((0, 4)))
        if len(det):
            m = np.asarray(overlap(det, gt_boxes)).reshape(len(det), len(gt_boxes))
        else:
            m = np.zeros((0, len(gt_boxes)))
        best_gt = m.max(axis=0) if len(det) else np.zeros(len(gt_boxes))
        per_truth.extend((finding, float(v)) for v in best_gt)
        per_det.append((finding, m.max(axis=1) if len(det) else np.zeros(0)))
    truth_df = pd.DataFrame(per_truth, columns=["finding", "best"])
    rows = []
    for t in thresholds:
        for finding in sorted(truth_df.finding.unique()) + ["all"]:
            sel = truth_df if finding == "all" else truth_df[truth_df.finding == finding]
            dets = [d for f, d in per_det if finding in ("all", f)]
            fp = sum(int((d <= t).sum()) for d in dets)
            rows.append({
                "criterion": criterion, "T": t, "finding": finding, "boxes": len(sel),
                "accuracy": float((sel.best > t).mean()) if len(sel) else float("nan"),
                "afp": fp / max(len(dets), 1),
            })
    return pd.DataFrame(rows)
