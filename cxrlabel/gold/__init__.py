"""Gold standards and evaluation.

* :func:`load_gold` turns a name from :data:`cxrlabel.registry.gold` (``openi`` is built in;
  plugins add more through the ``cxrlabel.gold`` entry-point group) or a CSV path into a
  :class:`GoldSet`.
* :func:`evaluate` labels a gold set's reports and scores them (:class:`EvalResult`).
* :mod:`.metrics` has the pure scoring functions; :mod:`.mesh` the OpenI MeSH mapping.

A gold plugin is a callable returning a :class:`GoldSet`; it receives those of the keyword
options ``reports``, ``testset``, ``text_column``, ``id_column``, ``download`` it declares.
"""

from __future__ import annotations

from .evaluation import EvalResult, evaluate
from .goldset import SPLITS, GoldSet
from .loading import load_gold

__all__ = ["SPLITS", "EvalResult", "GoldSet", "evaluate", "load_gold"]
