"""The project's mapping from OpenI MeSH ``<major>`` terms to the 14 findings and ``normal``.

An OpenI major term is a MeSH descriptor optionally followed by ``/``-separated qualifiers
(site, laterality, severity): ``"Cardiomegaly/borderline"``, ``"Pulmonary Atelectasis/base/left"``,
``"Hernia, Hiatal/large"``. The ChestX-ray8/NegBio gold standard (``openi_gld_std14.csv``) is a
literal mapping of these terms, and this module is that mapping written out as data:

* only the **descriptor** (the part before the first ``/``) decides; qualifiers never do, so
  ``Cardiomegaly/borderline`` counts as Cardiomegaly and ``Thickening/bronchovascular`` counts
  as Pleural_Thickening (the gold's convention: every ``Thickening`` is pleural thickening);
* descriptors are compared after case-folding and collapsing whitespace
  (``"Subcutaneous  Emphysema"`` has two spaces in one report);
* a descriptor maps to at most one finding (:data:`MESH_TO_FINDING`); ``Pericardial Effusion``
  counts as Effusion;
* descriptors that merely *contain* a finding's word are different MeSH concepts and do not
  count (:data:`NOT_MAPPED` says why for each): subcutaneous and bullous emphysema, cystic
  fibrosis, hydro-/hemopneumothorax, and every hernia — so Hernia is never positive in this gold;
* ``normal`` is 1 exactly when the report carries the major term ``normal`` (stricter than
  "none of the 14": many reports are neither).

A test checks that :func:`derive_labels` reproduces every cell of ``openi_gld_std14.csv``.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from ..types import FINDINGS

__all__ = [
    "GOLD_COLUMNS",
    "MESH_TO_FINDING",
    "NORMAL_DESCRIPTOR",
    "NOT_MAPPED",
    "derive_labels",
    "descriptor",
    "findings_of_term",
]

#: Columns of the derived gold: the 14 findings then ``normal`` (the CSV's own order).
GOLD_COLUMNS: tuple[str, ...] = (*FINDINGS, "normal")

#: Normalized MeSH descriptor → finding.
MESH_TO_FINDING: Mapping[str, str] = {
    "pulmonary atelectasis": "Atelectasis",
    "cardiomegaly": "Cardiomegaly",
    "pleural effusion": "Effusion",
    "pericardial effusion": "Effusion",
    "infiltrate": "Infiltration",
    "mass": "Mass",
    "nodule": "Nodule",
    "pneumonia": "Pneumonia",
    "pneumothorax": "Pneumothorax",
    "consolidation": "Consolidation",
    "pulmonary edema": "Edema",
    "emphysema": "Emphysema",
    "pulmonary emphysema": "Emphysema",
    "fibrosis": "Fibrosis",
    "pulmonary fibrosis": "Fibrosis",
    "thickening": "Pleural_Thickening",
}

#: The descriptor that marks a report normal.
NORMAL_DESCRIPTOR = "normal"

#: Descriptors that look like a finding but the gold does not count, with the reason.
NOT_MAPPED: Mapping[str, str] = {
    "subcutaneous emphysema": "soft-tissue air, not pulmonary emphysema",
    "bullous emphysema": "a distinct MeSH descriptor; the gold leaves it out of Emphysema",
    "cystic fibrosis": "a genetic disease, not pulmonary fibrosis",
    "hydropneumothorax": "a distinct MeSH descriptor; the gold counts it as neither "
    "Pneumothorax nor Effusion",
    "hemopneumothorax": "a distinct MeSH descriptor (its one report also has Pneumothorax)",
    "hernia, hiatal": "the gold never counts a hiatal hernia as Hernia",
    "hernia, diaphragmatic": "the gold never counts a diaphragmatic hernia as Hernia",
}


def descriptor(term: str) -> str:
    """The normalized descriptor of a major term: text before the first ``/``, case-folded,
    inner whitespace collapsed (``"Subcutaneous  Emphysema/right"`` → ``"subcutaneous emphysema"``)."""
    return " ".join(term.split("/", 1)[0].split()).casefold()


def findings_of_term(term: str) -> str | None:
    """The finding (or ``"normal"``) one major term stands for, or ``None``."""
    d = descriptor(term)
    if d == NORMAL_DESCRIPTOR:
        return "normal"
    return MESH_TO_FINDING.get(d)


def derive_labels(major_terms: Iterable[str]) -> dict[str, int]:
    """Binary gold labels (1/0) for the 14 findings and ``normal`` from a report's major terms."""
    out = dict.fromkeys(GOLD_COLUMNS, 0)
    for term in major_terms:
        finding = findings_of_term(term)
        if finding is not None:
            out[finding] = 1
    return out
