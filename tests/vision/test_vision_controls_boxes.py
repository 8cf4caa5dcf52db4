"""The chance control is built from the detections being scored; nested boxes count once;
detections and truth boxes are matched one to one; overlays tell hits from false positives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("scipy")

from cxrlabel_vision.boxes import heatmap_to_boxes  # noqa: E402
from cxrlabel_vision.boxeval import score_detections  # noqa: E402
from cxrlabel_vision.controls import (map_size_of, random_boxes, random_heatmap,  # noqa: E402
                                      smoothed_noise)
from cxrlabel_vision.overlay import classify_boxes  # noqa: E402


def _blob(size=16, cx=5.0, cy=8.0, sigma=1.5):
    yy, xx = np.mgrid[:size, :size]
    return np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sigma**2))


def _rows(boxes, image="a.png", finding="Mass", s=16):
    return pd.DataFrame([{"image": image, "finding": finding, "prob": 0.9, "threshold": b.threshold,
                          "score": b.score, "region": b.region, "map_size": s, "x": b.x,
                          "y": b.y, "w": b.w, "h": b.h} for b in boxes])


def test_the_60_and_180_boxes_of_one_blob_share_a_region_and_count_once():
    boxes = heatmap_to_boxes(_blob(), (60, 180), (1024, 1024))
    assert sorted(b.threshold for b in boxes) == [60.0, 180.0]
    assert len({b.region for b in boxes}) == 1
    outer = max(boxes, key=lambda b: b.w * b.h)
    truth = pd.DataFrame([{"image": "a.png", "finding": "Mass", "x": outer.x, "y": outer.y,
                           "w": outer.w, "h": outer.h}])
    res = score_detections(_rows(boxes), truth, "iou", (0.5,)).set_index("finding")
    # the inner 180 box has IoU < 0.5 with the truth: it used to count as a false positive
    assert res.loc["all", "accuracy"] == 1.0 and res.loc["all", "afp"] == 0.0
    no_region = _rows(boxes).drop(columns="region")
    assert score_detections(no_region, truth, "iou", (0.5,)).afp.iloc[-1] == 1.0


def test_two_detections_on_one_truth_box_are_one_hit_and_one_false_positive():
    truth = pd.DataFrame([{"image": "a.png", "finding": "Mass", "x": 0, "y": 0, "w": 400,
                           "h": 400}])
    det = pd.DataFrame([{"image": "a.png", "finding": "Mass", "region": r, "x": x, "y": 10,
                         "w": 50, "h": 50} for r, x in ((1, 10), (2, 200))])
    res = score_detections(det, truth, "iobb", (0.5,)).iloc[-1]
    assert res.accuracy == 1.0 and res.afp == 1.0


def test_random_box_control_keeps_the_models_counts_sizes_and_nesting():
    det = pd.concat([_rows(heatmap_to_boxes(_blob(), (60, 180), (800, 600)), "a.png"),
                     _rows(heatmap_to_boxes(_blob(16, 12, 3), (60, 180), (800, 600)), "b.png",
                           "Nodule")], ignore_index=True)
    truth = pd.DataFrame([{"image": n, "finding": f, "x": 0, "y": 0, "w": 10, "h": 10}
                          for n, f in (("a.png", "Mass"), ("b.png", "Nodule"),
                                       ("c.png", "Mass"))])
    sizes = {"a.png": (800, 600), "b.png": (800, 600), "c.png": (800, 600)}
    ctrl = random_boxes(det, truth, sizes, seed=3)
    key = ["image", "finding", "region", "threshold"]
    assert (ctrl.sort_values(key)[key + ["w", "h"]].to_numpy()
            == det.sort_values(key)[key + ["w", "h"]].to_numpy()).all()
    assert not np.allclose(ctrl.sort_values(key).x, det.sort_values(key).x)
    assert (ctrl.x >= 0).all() and (ctrl.x + ctrl.w <= 800 + 1e-9).all()
    assert (ctrl.y + ctrl.h <= 600 + 1e-9).all()
    for _k, g in ctrl.groupby(["image", "region"]):  # nested boxes move together
        inner, outer = g.sort_values("threshold").iloc[1], g.sort_values("threshold").iloc[0]
        assert outer.x <= inner.x and inner.x + inner.w <= outer.x + outer.w + 1e-9


def test_heatmap_control_takes_its_size_from_the_detections_and_gives_few_boxes():
    det = _rows(heatmap_to_boxes(_blob(32, 10, 10), (60, 180), (1024, 1024)), s=32)
    assert map_size_of(det) == 32
    with pytest.raises(Exception) as err:
        map_size_of(det.drop(columns="map_size"))
    assert getattr(err.value, "code", "") == "V830" and "--map-size" in str(err.value)
    truth = pd.DataFrame([{"image": f"{i}.png", "finding": "Mass", "x": 0, "y": 0, "w": 5,
                           "h": 5} for i in range(30)])
    sizes = {f"{i}.png": (1024, 1024) for i in range(30)}
    ctrl = random_heatmap(truth, sizes, map_size_of(det), (60, 180), seed=0)
    assert set(ctrl.map_size) == {32}
    assert np.allclose((ctrl.w / (1024 / 32)) % 1, 0)  # boxes on the detections' 32-cell grid
    per_map = ctrl.groupby("image").size()
    uniform = [len(heatmap_to_boxes(np.random.default_rng(i).random((32, 32))))
               for i in range(30)]
    assert per_map.median() <= 6 < np.median(uniform)
    assert smoothed_noise(np.random.default_rng(0), 8).shape == (8, 8)


def test_overlay_classes_tell_hits_from_false_positives():
    boxes = heatmap_to_boxes(_blob(16, 4, 4) + _blob(16, 12, 12), (60,), (160, 160))
    assert len(boxes) == 2
    hit = min(boxes, key=lambda b: b.x)
    kinds = classify_boxes(boxes, [(hit.x, hit.y, hit.w, hit.h)])
    assert sorted(kinds) == ["fp", "hit"] and kinds[boxes.index(hit)] == "hit"
    assert classify_boxes(boxes, []) == ["unscored", "unscored"]
