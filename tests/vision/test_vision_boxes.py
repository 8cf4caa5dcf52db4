"""heatmap_to_boxes, box_iou, box_iobb and the Table 4/7 scoring on hand-built cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxrlabel_vision import box_iobb, box_iou, heatmap_to_boxes
from cxrlabel_vision.boxeval import score_detections


def test_one_block_gives_one_box_per_threshold_scaled_to_the_image():
    h = np.zeros((8, 8))
    h[2:4, 4:7] = 10.0  # rows 2-3, columns 4-6
    boxes = heatmap_to_boxes(h, thresholds=(60, 180), image_size=(1024, 1024))
    assert [b.threshold for b in boxes] == [60.0, 180.0]
    for b in boxes:
        assert (b.x, b.y, b.w, b.h) == (512.0, 256.0, 384.0, 256.0)
        assert b.score == 255.0


def test_two_separate_regions_give_two_boxes():
    h = np.zeros((8, 8))
    h[0, 0] = 1.0
    h[6:8, 5:8] = 1.0
    boxes = heatmap_to_boxes(h, thresholds=(128,), image_size=(80, 80))
    assert sorted((b.x, b.y, b.w, b.h) for b in boxes) == [(0, 0, 10, 10), (50, 60, 30, 20)]


def test_diagonal_neighbours_join_one_region():
    h = np.eye(4)
    (box,) = heatmap_to_boxes(h, thresholds=(100,), image_size=(4, 4))
    assert (box.x, box.y, box.w, box.h) == (0, 0, 4, 4)


def test_higher_threshold_gives_a_box_inside_the_lower_one():
    yy, xx = np.mgrid[:16, :16]
    h = np.exp(-((xx - 10) ** 2 + (yy - 5) ** 2) / 8.0)
    low, high = heatmap_to_boxes(h, thresholds=(60, 180), image_size=(1024, 1024))
    assert high.w < low.w and high.h < low.h
    assert box_iobb(high, low) == pytest.approx(1.0)
    # centre of the hot spot (10.5, 5.5 cells · 64 px) lies in both boxes
    for b in (low, high):
        assert b.x <= 10.5 * 64 <= b.x + b.w and b.y <= 5.5 * 64 <= b.y + b.h


def test_box_scaling_uses_width_then_height():
    h = np.zeros((4, 4))
    h[1, 2] = 1.0
    (box,) = heatmap_to_boxes(h, thresholds=(60,), image_size=(400, 200))
    assert (box.x, box.y, box.w, box.h) == (200, 50, 100, 50)


def test_constant_heatmap_gives_no_boxes():
    assert heatmap_to_boxes(np.full((8, 8), 3.0)) == []
    assert heatmap_to_boxes(np.zeros((8, 8))) == []


def test_heatmap_scale_and_offset_do_not_change_the_boxes():
    rng = np.random.default_rng(0)
    h = rng.random((16, 16))
    a = heatmap_to_boxes(h)
    b = heatmap_to_boxes(h * 1e4 - 7)
    assert [tuple(x[:4]) for x in a] == [tuple(x[:4]) for x in b]


def test_iou_of_known_boxes():
    assert box_iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert box_iou((0, 0, 10, 10), (0, 0, 10, 10)) == pytest.approx(1.0)
    assert box_iou((0, 0, 10, 10), (10, 10, 5, 5)) == 0.0
    assert box_iou((0, 0, 10, 10), (0, 0, 20, 20)) == pytest.approx(0.25)
    assert box_iou((0, 0, 0, 0), (0, 0, 0, 0)) == 0.0


def test_iobb_divides_by_the_detected_box_only():
    assert box_iobb((0, 0, 10, 10), (0, 0, 20, 20)) == pytest.approx(1.0)
    assert box_iobb((0, 0, 20, 20), (0, 0, 10, 10)) == pytest.approx(0.25)
    assert box_iobb((0, 0, 10, 10), (5, 5, 10, 10)) == pytest.approx(0.25)
    assert box_iobb((0, 0, 10, 10), (50, 50, 1, 1)) == 0.0


def test_pairwise_arrays_give_a_matrix_and_ignore_extra_fields():
    det = np.array([[0, 0, 10, 10, 60, 200], [5, 0, 10, 10, 180, 240]])
    gt = np.array([[0, 0, 10, 10], [100, 100, 5, 5], [0, 0, 20, 20]])
    m = box_iou(det, gt)
    assert m.shape == (2, 3)
    assert m[0, 0] == pytest.approx(1.0) and m[1, 0] == pytest.approx(50 / 150)
    assert m[0, 2] == pytest.approx(0.25) and (m[:, 1] == 0).all()


def test_score_detections_counts_hits_and_false_positives():
    truth = pd.DataFrame([
        ("a.png", "Mass", 0, 0, 100, 100),
        ("b.png", "Mass", 0, 0, 100, 100),
        ("a.png", "Nodule", 500, 500, 10, 10),
    ], columns=["image", "finding", "x", "y", "w", "h"])
    det = pd.DataFrame([
        ("a.png", "Mass", 0, 0, 50, 50),        # inside the truth: IoBB 1, IoU 0.25
        ("a.png", "Mass", 900, 900, 10, 10),    # a false positive
        ("b.png", "Mass", 50, 0, 100, 100),     # IoBB 0.5, IoU 1/3
        ("c.png", "Mass", 0, 0, 100, 100),      # an image without truth: ignored
    ], columns=["image", "finding", "x", "y", "w", "h"])
    iobb = score_detections(det, truth, "iobb", thresholds=(0.25, 0.75)).set_index(["T", "finding"])
    assert iobb.loc[(0.25, "Mass"), "accuracy"] == 1.0
    assert iobb.loc[(0.25, "Mass"), "afp"] == pytest.approx(1 / 2)
    assert iobb.loc[(0.75, "Mass"), "accuracy"] == 0.5
    assert iobb.loc[(0.75, "Mass"), "afp"] == pytest.approx(2 / 2)
    assert iobb.loc[(0.25, "Nodule"), "accuracy"] == 0.0
    assert iobb.loc[(0.25, "all"), "accuracy"] == pytest.approx(2 / 3)
    assert iobb.loc[(0.25, "all"), "boxes"] == 3
    iou = score_detections(det, truth, "iou", thresholds=(0.3,)).set_index("finding")
    assert iou.loc["Mass", "accuracy"] == 0.5


def test_score_detections_uses_the_papers_thresholds_by_default():
    truth = pd.DataFrame([("a.png", "Mass", 0, 0, 10, 10)],
                         columns=["image", "finding", "x", "y", "w", "h"])
    det = truth.copy()
    assert sorted(set(score_detections(det, truth, "iobb")["T"])) == [0.1, 0.25, 0.5, 0.75, 0.9]
    assert sorted(set(score_detections(det, truth, "iou")["T"])) == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6,
                                                                  0.7]
