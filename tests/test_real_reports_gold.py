"""Scoring against another label space's CSV (issue 12): header aliases and the CheXpert
paper's mention / negation / uncertain F1, on a tiny gold written for this test."""

import math

from cxrlabel.gold import evaluate
from cxrlabel.gold.csv import HEADER_ALIASES, load_gold_csv
from cxrlabel.gold.report import format_result


class Fixed:
    """A labeler that returns prepared labels (the thing under test is the scoring)."""

    def __init__(self, table):
        self.table = table

    def label(self, text):
        return _Report(self.table[text])


class _Report:
    def __init__(self, labels):
        self.labels, self.normal, self.mentions, self.sentences = labels, False, (), ()

    def __getitem__(self, finding):
        return self.labels.get(finding)


def _csv(tmp_path):
    p = tmp_path / "gold.csv"
    p.write_text(
        "id,Report Impression,No Finding,Pleural Effusion,Airspace Opacity,Edema\n"
        "1,a,,1.0,1.0,-1.0\n"
        "2,b,,0.0,,\n"
        "3,c,1.0,,,0.0\n",
        encoding="utf-8",
    )
    return p


def test_a_chexpert_header_reaches_its_finding_through_the_alias_table(tmp_path):
    gold = load_gold_csv(_csv(tmp_path))
    assert HEADER_ALIASES["Pleural Effusion"] == "Effusion"
    assert gold.findings == ("Effusion", "Edema")
    assert list(gold.labels["Effusion"][:2]) == [1.0, 0.0] and math.isnan(gold.labels["Effusion"].iloc[2])
    assert list(gold.labels["normal"]) == [0.0, 0.0, 1.0]


def test_three_way_scores_include_mention_and_a_macro_row(tmp_path):
    gold = load_gold_csv(_csv(tmp_path))
    pred = {"a": {"Effusion": "positive", "Edema": "uncertain"}, "b": {"Effusion": "negative"}, "c": {"Edema": "positive"}}
    res = evaluate(gold, Fixed(pred))
    assert res.three_way["Edema"]["mention"].f1 == 1.0
    assert res.three_way["Edema"]["negative"].f1 == 0.0
    macro = res.three_way_macro()
    # as the CheXpert paper's Table 2: a task is averaged over the observations whose gold has
    # that class (no gold -1 for Effusion: it is left out of the uncertain average)
    assert res.three_way_members()["uncertain"] == ("Edema",)
    assert macro["uncertain"].f1 == 1.0
    # No Finding (the gold's normal column) is an observation of its own, with mention only
    assert res.three_way_members()["mention"] == ("Effusion", "Edema", "No Finding")
    assert res.three_way["Effusion"]["mention"].f1 == 1.0 and "negative" not in res.three_way["No Finding"]
    assert macro["mention"].f1 == (1.0 + 1.0 + res.three_way["No Finding"]["mention"].f1) / 3
    table = format_result(res, "table")
    assert "mention" in table and "macro (2)" in table and "(over " in table
    assert "three_way_macro" in res.to_dict()
