"""Issue 11's bar for the chexpert scheme on the Stanford dev impressions, and the CheXpert
labeler's own sample reports.

Internal evaluation data, read from ../shared/data (skips without it, fails under CI=true). The
full per-observation table lives in benchmarks/RESULTS.md. About half a minute with a warm
parse cache, a few minutes cold, on 2 cores.
"""

from __future__ import annotations

import csv

import pytest
from conftest import require_data

from cxrlabel.gold import evaluate
from cxrlabel.labeler import Labeler

pytestmark = [pytest.mark.slow, pytest.mark.data]

#: What the labeler must reach on the dev file (issue 11): at or above the CheXpert labeler.
BAR = {"mention": 0.95, "negative": 0.90, "uncertain": 0.78}


@pytest.fixture(scope="module")
def result():
    path = require_data("stanford/report_test_dev.csv")
    return evaluate(str(path), scheme="chexpert")


def test_macro_mention_negation_and_uncertain_f1_meet_the_bar(result):
    macro = result.three_way_macro()
    got = {cls: round(macro[cls].f1, 3) for cls in BAR}
    assert all(got[cls] >= BAR[cls] for cls in BAR), got


def test_every_observation_but_no_finding_with_15_gold_mentions_keeps_mention_f1_above_0_85(result):
    # No Finding is left out: on this file even perfect labels of the 13 observations give it
    # a mention F1 of about 0.62 under the CheXpert rule (docs/conventions.md).
    low = {
        f: round(s["mention"].f1, 3)
        for f, s in result.three_way.items()
        if f != result.normal_name and s["mention"].support >= 15 and s["mention"].f1 < 0.85
    }
    assert not low, low


def test_the_chexpert_labelers_sample_reports_get_its_own_cells():
    folder = require_data("chexpert_samples/chexpert-labeler")
    with open(folder / "sample_reports.csv", encoding="utf-8", newline="") as fh:
        texts = [row[0] for row in csv.reader(fh) if row]
    with open(folder / "labeled_reports.csv", encoding="utf-8", newline="") as fh:
        expected = list(csv.DictReader(fh))
    assert len(texts) == len(expected) == 4
    lab = Labeler(scheme="chexpert")
    for text, want in zip(texts, expected):
        assert want["Reports"] == text
        got = lab.label(text).to_chexpert()
        for column, cell in want.items():
            if column == "Reports":
                continue
            assert got[column] == (float(cell) if cell else None), (text, column, got[column], cell)
