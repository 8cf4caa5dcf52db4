"""Mention recall on OpenI: for each finding the gold marks positive in a development report
(outside NegBio's test ids), the report's FINDINGS + IMPRESSION text must mention it somewhere.

Two gold conventions are not clinical meaning and are set aside, counted, and printed (the
ontology is not bent to them): the gold maps every MeSH ``Thickening`` (peribronchial,
paratracheal, ventricular, ...) to Pleural_Thickening, and ``Pericardial Effusion`` to Effusion.
Run with ``-s`` to see the per-finding table.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cxrlabel.concepts import ConceptFinder
from cxrlabel.gold.mesh import findings_of_term
from cxrlabel.gold.openi import read_reports
from cxrlabel.parsers import get_parser
from cxrlabel.sentences import split_sentences
from cxrlabel.types import FINDINGS

from conftest import require_data

MIN_SUPPORT = 15
MIN_RECALL = 0.97

pytestmark = [pytest.mark.slow, pytest.mark.data]


def _quirk(finding: str, major: tuple[str, ...]) -> bool:
    """True when the gold's positive for ``finding`` comes only from a non-clinical mapping."""
    sources = [t.lower() for t in major if findings_of_term(t) == finding]
    if finding == "Pleural_Thickening":
        return bool(sources) and not any("pleura" in t for t in sources)
    if finding == "Effusion":
        return bool(sources) and all(t.startswith("pericardial effusion") for t in sources)
    return False


def _report_text(r) -> str:
    body = " ".join(b for b in (r.findings, r.impression) if b.strip())
    return body if body else " ".join(b for b in (r.comparison, r.indication) if b.strip())


@pytest.fixture(scope="module")
def recall_table(tmp_path_factory):
    data_path = require_data
    gold = pd.read_csv(data_path("openi/openi_gld_std14.csv")).set_index("filename")
    test_ids = set(data_path("openi/openi-testset.txt").read_text().split())
    everything = [r for r in read_reports(data_path("openi/NLMCXR_reports.tgz")) if r.id in gold.index]
    sentences = [split_sentences(_report_text(r)) for r in everything]
    flat = [s for ss in sentences for s in ss]
    parsed = iter(get_parser("spacy").parse(flat))
    finder = ConceptFinder(cache_dir=tmp_path_factory.mktemp("cache"))
    found: dict[str, set[str]] = {}
    for r, ss in zip(everything, sentences):
        found[r.id] = {m.finding for s in ss for m in finder.find(next(parsed))}
    dev = _table(gold, [r for r in everything if r.id not in test_ids], found)
    test = _table(gold, [r for r in everything if r.id in test_ids], found)
    print(f"\nOpenI development reports ({len(everything) - len(test_ids & set(found))}):\n{dev.to_string()}")
    print(f"\nOpenI test reports (informative, not asserted):\n{test.to_string()}")
    return dev


def _table(gold: pd.DataFrame, reports: list, found: dict[str, set[str]]) -> pd.DataFrame:
    rows = []
    for f in FINDINGS:
        pos = [r for r in reports if gold.at[r.id, f] == 1]
        quirks = [r for r in pos if _quirk(f, r.major)]
        scored = [r for r in pos if r not in quirks]
        missed = [r.id for r in scored if f not in found[r.id]]
        rows.append(
            {
                "finding": f,
                "gold_positive": len(pos),
                "gold_quirk": len(quirks),
                "scored": len(scored),
                "recall": 1 - len(missed) / len(scored) if scored else float("nan"),
                "recall_all": sum(f in found[r.id] for r in pos) / len(pos) if pos else float("nan"),
                "missed": " ".join(missed),
            }
        )
    return pd.DataFrame(rows).set_index("finding")


def test_development_reports_are_all_read(recall_table):
    assert recall_table["gold_positive"].sum() > 1000


@pytest.mark.parametrize("finding", FINDINGS)
def test_mention_recall_per_finding_with_enough_support(recall_table, finding):
    row = recall_table.loc[finding]
    if row["scored"] < MIN_SUPPORT:
        pytest.skip(f"{finding}: {row['scored']} scored gold positives < {MIN_SUPPORT}")
    assert row["recall"] >= MIN_RECALL, f"{finding}: recall {row['recall']:.3f}, missed {row['missed']}"
