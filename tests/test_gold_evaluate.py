"""`evaluate` and its outputs, scored with a small keyword labeler defined here.

The keyword labeler is a test input (a real, if naive, labeler); the thing under test is the
evaluation: alignment of predictions with gold, counting, averaging, error evidence, output.
"""

from __future__ import annotations

import csv
import json
import math
import re

import pandas as pd
import pytest

from cxrlabel.errors import GoldError, InputError
from cxrlabel.gold import GoldSet, evaluate, load_gold
from cxrlabel.gold.report import format_result, write_errors
from cxrlabel.result import ReportLabels
from cxrlabel.types import FINDINGS, Label, Mention, Sentence
from conftest import require_data

KEYWORDS = {
    "Cardiomegaly": "cardiomegaly",
    "Effusion": "effusion",
    "Pneumothorax": "pneumothorax",
    "Edema": "edema",
    "Nodule": "nodule",
    "Hernia": "hernia",
}


class KeywordLabeler:
    """Finds finding keywords per sentence; "no" before the keyword negates, "possible" hedges."""

    def __init__(self) -> None:
        self.calls = 0

    def label(self, text: str) -> ReportLabels:
        self.calls += 1
        if not text.strip():
            raise InputError("empty report", code="I201")
        sentences, mentions = [], []
        for idx, m in enumerate(re.finditer(r"[^.\n]+", text)):
            s = m.group()
            sentences.append(Sentence(text=s, tokens=(), edges=(), start=m.start(), end=m.end(), index=idx))
            low = s.lower()
            for finding, kw in KEYWORDS.items():
                at = low.find(kw)
                if at < 0:
                    continue
                before = low[:at]
                if re.search(r"\bno\b", before):
                    pol, rule = Label.NEGATIVE, "kw-no"
                elif re.search(r"\bpossible\b", before):
                    pol, rule = Label.UNCERTAIN, "kw-possible"
                else:
                    pol, rule = Label.POSITIVE, "kw-default"
                start = m.start() + at
                mentions.append(
                    Mention(finding, "C0", s[at:at + len(kw)], start, start + len(kw), idx, 0,
                            polarity=pol, rules=(rule,))
                )
        labels: dict[str, Label | None] = dict.fromkeys(FINDINGS)
        for finding in FINDINGS:
            pols = {mm.polarity for mm in mentions if mm.finding == finding}
            for pol in (Label.POSITIVE, Label.UNCERTAIN, Label.NEGATIVE):
                if pol in pols:
                    labels[finding] = pol
                    break
        normal = not any(v in (Label.POSITIVE, Label.UNCERTAIN) for v in labels.values())
        return ReportLabels(labels=labels, normal=normal, mentions=tuple(mentions), sentences=tuple(sentences), text=text)


class BatchKeywordLabeler(KeywordLabeler):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def label_many(self, texts):
        self.batches.append(len(texts))
        return [self.label(t) for t in texts]


def small_gold(**kw) -> GoldSet:
    ids = ("r1", "r2", "r3", "r4", "r5")
    texts = (
        "Mild cardiomegaly. No effusion.",          # Cardio TP, Effusion TN
        "No cardiomegaly. Small effusion.",         # Cardio FN (gold 1), Effusion TP
        "Possible edema. Heart size normal.",       # Edema uncertain vs gold 1
        "Hiatal hernia. No pneumothorax.",          # Hernia pred positive, gold 0
        "Cardiomegaly.",                            # Cardio FP (gold 0)
    )
    labels = pd.DataFrame(
        {
            "Cardiomegaly": [1, 1, 0, 0, 0],
            "Effusion": [0, 1, 0, 0, 0],
            "Edema": [0, 0, 1, 0, 0],
            "Hernia": [0, 0, 0, 0, 0],
            "normal": [0, 0, 0, 1, 0],
        },
        index=list(ids),
    ).astype("float64")
    return GoldSet(name="small", ids=ids, texts=texts, labels=labels,
                   scored=("Cardiomegaly", "Effusion", "Edema"),
                   notes={"Hernia": "Hernia is not scored in this gold"}, **kw)


def test_evaluate_counts_each_finding_against_the_gold():
    res = evaluate(small_gold(), KeywordLabeler())
    c = res.per_finding["Cardiomegaly"]
    assert (c.tp, c.fp, c.fn) == (1, 1, 1)
    e = res.per_finding["Effusion"]
    assert (e.tp, e.fp, e.fn) == (1, 0, 0)
    ed = res.per_finding["Edema"]
    assert (ed.tp, ed.fp, ed.fn) == (0, 0, 1)  # uncertain counts as negative by default
    assert res.averaged == ("Cardiomegaly", "Effusion", "Edema")
    assert (res.micro.tp, res.micro.fp, res.micro.fn) == (2, 1, 2)
    assert res.macro.f1 == pytest.approx((0.5 + 1.0 + 0.0) / 3)
    # Hernia is scored on its own line but stays out of the averages
    assert res.per_finding["Hernia"].fp == 1 and res.micro.fp == 1
    assert res.n_reports == 5


def test_uncertain_as_positive_turns_hedged_findings_into_hits():
    res = evaluate(small_gold(), KeywordLabeler(), uncertain_as="positive")
    assert res.per_finding["Edema"].tp == 1
    assert res.micro.tp == 3


def test_normal_is_scored_from_the_labelers_normal_flag():
    res = evaluate(small_gold(), KeywordLabeler())
    # predicted normal: r3? no (edema uncertain); r4 no (hernia positive) -> none predicted
    assert (res.normal.tp, res.normal.fp, res.normal.fn) == (0, 0, 1)


def test_every_false_positive_and_negative_comes_with_its_evidence():
    res = evaluate(small_gold(), KeywordLabeler())
    by_key = {(e.id, e.finding): e for e in res.errors}
    fn = by_key[("r2", "Cardiomegaly")]
    assert fn.kind == "FN" and fn.predicted == "negative" and fn.gold == 1
    assert fn.rules == ("kw-no",) and fn.sentences == ("No cardiomegaly",) and fn.mentions == ("cardiomegaly",)
    fp = by_key[("r5", "Cardiomegaly")]
    assert fp.kind == "FP" and fp.rules == ("kw-default",)
    assert by_key[("r3", "Edema")].predicted == "uncertain"
    assert by_key[("r4", "normal")].kind == "FN"
    assert len(res.errors) == 1 + 1 + 1 + 1 + 1  # r2/r5 cardio, r3 edema, r4 hernia, r4 normal


def test_label_many_is_used_in_batches_when_the_labeler_has_it():
    lab = BatchKeywordLabeler()
    res = evaluate(small_gold(), lab, batch_size=2)
    assert lab.batches == [2, 2, 1]
    assert res.to_dict() == evaluate(small_gold(), KeywordLabeler()).to_dict()


def test_a_report_the_labeler_rejects_is_recorded_and_left_out_of_the_scores():
    gold = small_gold()
    texts = list(gold.texts)
    texts[1] = "   "
    broken = GoldSet(name="b", ids=gold.ids, texts=tuple(texts), labels=gold.labels, scored=gold.scored)
    res = evaluate(broken, KeywordLabeler())
    assert [rid for rid, _ in res.failures] == ["r2"]
    assert "I201" in res.failures[0][1]
    # it has no labels to score: never "nothing found"; the other four are scored
    whole = evaluate(gold, KeywordLabeler())
    assert res.n_reports == 5 and "r2" not in res.predictions.index
    assert res.per_finding["Effusion"].fn == 0 and whole.per_finding["Effusion"].support == res.per_finding["Effusion"].support + 1
    assert "1 of 5 reports could not be labeled (I201: 1) and are left out of the scores" in format_result(res)


def test_three_way_scores_appear_only_when_the_gold_has_uncertain_labels():
    assert evaluate(small_gold(), KeywordLabeler()).three_way is None
    gold = small_gold()
    labels = gold.labels.copy()
    labels.loc["r3", "Edema"] = -1
    labels.loc["r1", "Effusion"] = math.nan
    g3 = GoldSet(name="u", ids=gold.ids, texts=gold.texts, labels=labels, scored=gold.scored)
    res = evaluate(g3, KeywordLabeler())
    assert res.three_way["Edema"]["uncertain"].tp == 1
    # r1 says "No effusion" but the gold left it blank: a negative-class false positive
    assert res.three_way["Effusion"]["negative"].fp == 1
    assert "three_way" in res.to_dict()


def test_split_scores_only_the_chosen_reports():
    gold = small_gold(testset=frozenset({"r5"}))
    test = evaluate(gold, KeywordLabeler(), split="test")
    assert test.n_reports == 1 and test.per_finding["Cardiomegaly"].fp == 1
    assert evaluate(gold, KeywordLabeler(), split="dev").n_reports == 4
    with pytest.raises(GoldError) as exc:
        evaluate(small_gold(), KeywordLabeler(), split="test")
    assert exc.value.code == "G520"


def test_json_output_has_the_documented_keys():
    d = json.loads(format_result(evaluate(small_gold(), KeywordLabeler()), "json"))
    assert {"per_finding", "micro", "macro", "normal", "n_reports"} <= set(d)
    assert set(d["per_finding"]) == {"Cardiomegaly", "Effusion", "Edema", "Hernia"}
    assert d["per_finding"]["Effusion"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1,
                                            "tp": 1, "fp": 0, "fn": 0}
    assert d["averaged_over"] == ["Cardiomegaly", "Effusion", "Edema"]


def test_table_lists_findings_then_averages_then_left_out_findings_then_normal():
    table = format_result(evaluate(small_gold(), KeywordLabeler()), "table")
    lines = table.splitlines()
    names = [ln.split()[0] for ln in lines[2:] if ln and not ln.startswith("-")]
    assert names[:7] == ["Cardiomegaly", "Effusion", "Edema", "micro", "macro", "Hernia", "Normal"]
    assert "* Hernia is not scored in this gold" in table


def test_csv_output_has_a_row_per_finding_and_average():
    text = format_result(evaluate(small_gold(), KeywordLabeler()), "csv")
    rows = list(csv.DictReader(text.splitlines()))
    assert [r["name"] for r in rows] == ["Cardiomegaly", "Effusion", "Edema", "Hernia", "micro", "macro", "Normal"]
    assert rows[3]["in_average"] == "False"


def test_errors_dump_as_jsonl_and_csv(tmp_path):
    res = evaluate(small_gold(), KeywordLabeler())
    n = write_errors(res, tmp_path / "e.jsonl")
    lines = [json.loads(x) for x in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert n == len(lines) == len(res.errors)
    r2 = next(x for x in lines if x["id"] == "r2")
    assert r2["finding"] == "Cardiomegaly" and r2["rules"] == ["kw-no"] and r2["text"].startswith("No cardiomegaly")
    write_errors(res, tmp_path / "e.csv")
    rows = list(csv.DictReader(open(tmp_path / "e.csv")))
    assert len(rows) == n and {r["kind"] for r in rows} == {"FP", "FN"}


def test_load_gold_rejects_unknown_names_listing_the_available_ones():
    from cxrlabel.errors import PluginError

    with pytest.raises(PluginError) as exc:
        load_gold("no-such-gold")
    assert "openi" in str(exc.value)


@pytest.mark.data
def test_openi_test_split_scores_771_reports_and_leaves_hernia_out():
    res = evaluate("openi", KeywordLabeler(), split="test", reports=require_data("openi/NLMCXR_reports.tgz"))
    assert res.n_reports == 771
    assert len(res.averaged) == 13 and "Hernia" not in res.averaged
    gold = load_gold("openi", reports=require_data("openi/NLMCXR_reports.tgz")).split("test")
    failed = [rid for rid, _ in res.failures]  # reports without text: left out of the scores
    scored = gold.labels.drop(index=failed)
    assert len(failed) == 4 and all(not gold.texts[gold.ids.index(rid)].strip() for rid in failed)
    for f in res.averaged:
        assert res.per_finding[f].support == int(scored[f].sum())
    assert res.normal.support == int(scored["normal"].sum())
    assert "Hernia" in res.notes
