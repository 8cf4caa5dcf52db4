"""Metrics on small examples computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cxrlabel.gold.metrics import (
    Scores,
    binarize,
    binary_scores,
    macro_average,
    micro_average,
    score_findings,
    three_way_scores,
)

NAN = float("nan")


def test_binary_scores_count_each_cell_of_the_confusion_matrix():
    s = binary_scores([1, 1, 0, 0, 1], [1, 0, 1, 0, 1])
    assert (s.tp, s.fp, s.fn, s.tn) == (2, 1, 1, 1)
    assert s.precision == pytest.approx(2 / 3)
    assert s.recall == pytest.approx(2 / 3)
    assert s.f1 == pytest.approx(2 / 3)
    assert s.support == 3


def test_precision_and_f1_are_zero_when_nothing_is_predicted():
    s = binary_scores([0, 0, 0], [1, 0, 0])
    assert (s.precision, s.recall, s.f1, s.support) == (0.0, 0.0, 0.0, 1)
    empty = binary_scores([0, 0], [0, 0])
    assert (empty.precision, empty.recall, empty.f1, empty.support) == (0.0, 0.0, 0.0, 0)


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError):
        binary_scores([1, 0], [1])


def test_uncertain_predictions_count_as_chosen():
    codes = [1.0, -1.0, 0.0, NAN]
    assert binarize(codes).tolist() == [True, False, False, False]
    assert binarize(codes, "positive").tolist() == [True, True, False, False]
    with pytest.raises(ValueError):
        binarize(codes, "ignore")


def test_micro_pools_counts_and_macro_averages_ratios():
    # A: tp=1 fp=1 fn=0 -> P .5 R 1 F1 2/3 ; B: tp=1 fp=0 fn=3 -> P 1 R .25 F1 .4
    scores = {"A": Scores(tp=1, fp=1, fn=0), "B": Scores(tp=1, fp=0, fn=3), "C": Scores(tp=0, fp=5, fn=0)}
    micro = micro_average(scores, ["A", "B"])
    assert (micro.tp, micro.fp, micro.fn) == (2, 1, 3)
    assert micro.precision == pytest.approx(2 / 3) and micro.recall == pytest.approx(0.4)
    assert micro.f1 == pytest.approx(2 * (2 / 3) * 0.4 / (2 / 3 + 0.4))
    macro = macro_average(scores, ["A", "B"])
    assert macro.precision == pytest.approx(0.75)
    assert macro.recall == pytest.approx(0.625)
    assert macro.f1 == pytest.approx((2 / 3 + 0.4) / 2)
    assert macro.support == 5  # 1 + 4 gold positives
    assert micro_average(scores).fp == 6  # default: every finding


def test_score_findings_applies_uncertain_as_to_prediction_and_gold():
    idx = ["r1", "r2", "r3", "r4"]
    pred = pd.DataFrame({"Edema": [1, -1, NAN, 0], "Mass": [NAN, NAN, 1, NAN]}, index=idx)
    gold = pd.DataFrame({"Edema": [1, 1, -1, NAN], "Mass": [0, 0, 1, 1]}, index=idx)
    neg = score_findings(pred, gold, ["Edema", "Mass"])
    assert (neg["Edema"].tp, neg["Edema"].fp, neg["Edema"].fn) == (1, 0, 1)
    assert (neg["Mass"].tp, neg["Mass"].fp, neg["Mass"].fn) == (1, 0, 1)
    pos = score_findings(pred, gold, ["Edema"], uncertain_as="positive")
    # gold positives r1,r2,r3 ; predicted positives r1,r2
    assert (pos["Edema"].tp, pos["Edema"].fp, pos["Edema"].fn) == (2, 0, 1)


def test_score_findings_refuses_unaligned_tables():
    a = pd.DataFrame({"Edema": [1]}, index=["x"])
    b = pd.DataFrame({"Edema": [1]}, index=["y"])
    with pytest.raises(ValueError):
        score_findings(a, b, ["Edema"])


def test_three_way_scores_are_one_vs_rest_per_class():
    pred = [1, 1, 0, -1, NAN, 0]
    gold = [1, 0, 0, -1, -1, NAN]
    s = three_way_scores(pred, gold)
    assert (s["positive"].tp, s["positive"].fp, s["positive"].fn) == (1, 1, 0)
    assert (s["negative"].tp, s["negative"].fp, s["negative"].fn) == (1, 1, 1)
    assert (s["uncertain"].tp, s["uncertain"].fp, s["uncertain"].fn) == (1, 0, 1)
    assert s["uncertain"].f1 == pytest.approx(2 / 3)
    assert set(s) == {"positive", "negative", "uncertain"}


def test_scores_serialize_with_ratios_and_counts():
    d = Scores(tp=3, fp=1, fn=1).to_dict()
    assert d == {"precision": 0.75, "recall": 0.75, "f1": 0.75, "support": 4, "tp": 3, "fp": 1, "fn": 1}
    assert not any(isinstance(v, float) and math.isnan(v) for v in d.values())
    assert np.isfinite(list(d.values())).all()
