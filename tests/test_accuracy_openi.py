"""Regression guard for issue 5's bar: the default labeler on the OpenI test split.

The rules were developed on the other 3,080 reports; this only scores the 771 test reports
(about a minute on 2 cores). The full tables live in benchmarks/RESULTS.md.
"""

import pytest
from conftest import require_data

from cxrlabel.gold import evaluate, load_gold
from cxrlabel.labeler import Labeler

pytestmark = [pytest.mark.slow, pytest.mark.data]


@pytest.fixture(scope="module")
def result():
    reports = require_data("openi/NLMCXR_reports.tgz")
    gold = load_gold("openi", reports=str(reports))
    return evaluate(gold, Labeler(), split="test")


def test_micro_f1_on_the_openi_test_split_meets_the_bar(result):
    assert result.n_reports == 771
    assert result.micro.f1 >= 0.92, result.micro


def test_normal_f1_on_the_openi_test_split_meets_the_bar(result):
    assert result.normal.f1 >= 0.93, result.normal


def test_every_finding_with_support_of_15_keeps_f1_above_0_70(result):
    for finding, scores in result.per_finding.items():
        if scores.support >= 15:
            assert scores.f1 >= 0.70, (finding, scores)
