"""cxrlabel: chest X-ray report labels for 14 thoracic findings, with explainable rules.

>>> import cxrlabel
>>> r = cxrlabel.label("No evidence of pneumothorax. Mild cardiomegaly.")  # doctest: +SKIP
>>> r["Pneumothorax"], r["Cardiomegaly"]                                   # doctest: +SKIP
('negative', 'positive')

Heavy modules (spaCy, QuickUMLS, pandas) load on first use, so ``import cxrlabel`` is fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import CxrlabelError
from .types import FINDINGS, Label, Mention, Sentence, Stage, Token

__version__ = "0.1.0"

__all__ = [
    "CxrlabelError",
    "FINDINGS",
    "Label",
    "Labeler",
    "Mention",
    "ReportLabels",
    "Sentence",
    "Stage",
    "Token",
    "__version__",
    "label",
    "label_many",
]

_LAZY = {
    "Labeler": "cxrlabel.labeler",
    "ReportLabels": "cxrlabel.labeler",
    "label": "cxrlabel.labeler",
    "label_many": "cxrlabel.batch",
}

if TYPE_CHECKING:  # pragma: no cover
    from .batch import label_many
    from .labeler import Labeler, ReportLabels, label


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cxrlabel' has no attribute {name!r}")
