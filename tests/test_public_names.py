"""No two public modules export the same name for different things (one meaning per name);
the renamed collisions keep their old names as deprecated aliases."""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict

import cxrlabel


def _exports() -> dict[str, dict[str, object]]:
    seen: dict[str, dict[str, object]] = defaultdict(dict)
    for info in pkgutil.walk_packages(cxrlabel.__path__, "cxrlabel."):
        if info.name.startswith("cxrlabel.cli"):  # click commands are named after their verbs
            continue
        mod = importlib.import_module(info.name)
        for name in getattr(mod, "__all__", ()):
            seen[name][info.name] = getattr(mod, name)
    return seen


def test_no_exported_name_means_two_things():
    clashes = {
        name: sorted(where)
        for name, where in _exports().items()
        if len({id(obj) for obj in where.values()}) > 1
    }
    assert not clashes, f"rename one of each: {clashes}"


def test_the_ontology_s_pattern_is_a_concept_pattern_apart_from_the_rules_pattern():
    from cxrlabel import ontology, rules

    assert "ConceptPattern" in ontology.__all__ and "Pattern" not in ontology.__all__
    assert ontology.Pattern is ontology.ConceptPattern  # deprecated alias
    assert ontology.ConceptPattern is not rules.Pattern
    assert all(isinstance(p, ontology.ConceptPattern) for p in ontology.load_ontology().patterns())


def test_openi_reports_are_read_by_read_openi_reports_apart_from_io_read_reports(tmp_path):
    from cxrlabel import io
    from cxrlabel.gold import openi

    assert "read_openi_reports" in openi.__all__ and "read_reports" not in openi.__all__
    assert openi.read_reports is openi.read_openi_reports  # deprecated alias
    assert openi.read_openi_reports is not io.read_reports
    (tmp_path / "1.xml").write_text(
        "<eCitation><uId id='CXR1'/><Abstract><AbstractText Label='IMPRESSION'>No acute disease."
        "</AbstractText></Abstract><MeSH><major>normal</major></MeSH></eCitation>",
        encoding="utf-8",
    )
    (r,) = openi.read_openi_reports(tmp_path)
    assert r.id == "CXR1" and "No acute disease." in r.impression
