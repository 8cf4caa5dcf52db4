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

import inspect
import os
from pathlib import Path
from typing import Any

from ..errors import GoldError
from .goldset import SPLITS, GoldSet

__all__ = ["SPLITS", "EvalResult", "GoldSet", "evaluate", "load_gold"]


def load_gold(spec: str | os.PathLike[str] | GoldSet, *, testset: str | os.PathLike[str] | None = None, **options: Any) -> GoldSet:
    """A gold set from a registered name, a CSV path, or a :class:`GoldSet` (returned as is).

    ``options`` go to the gold's loader where it accepts them (``reports=``, ``text_column=``,
    ``id_column=``, ``download=``); ``testset`` (a file of report ids, one a line) gives a CSV
    gold a test split, or replaces a registered gold's own test list.
    """
    from .. import registry

    if isinstance(spec, GoldSet):
        return spec
    name = str(spec)
    path = Path(name)
    if name in registry.gold:
        loader = registry.gold.get(name)
        opts = dict(options, testset=testset)
        params = inspect.signature(loader).parameters
        takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        if testset is not None and not takes_all and "testset" not in params:
            raise GoldError(f"gold {name!r} does not take a test list (--testset)", code="G520")
        gold = loader(**{k: v for k, v in opts.items() if v is not None and (takes_all or k in params)})
        if not isinstance(gold, GoldSet):
            raise GoldError(f"gold plugin {name!r} returned {type(gold).__name__}, not a GoldSet", code="G523")
        return gold
    if path.suffix.lower() == ".csv" or path.exists():
        from .csv import load_gold_csv

        gold = load_gold_csv(path, text_column=options.get("text_column"), id_column=options.get("id_column"))
        if testset is not None:
            from .openi import load_testset_ids

            gold = gold.with_testset(load_testset_ids(testset))
        return gold
    registry.gold.get(name)  # raises PluginError listing the available names
    raise AssertionError("unreachable")  # pragma: no cover


def __getattr__(name: str) -> Any:
    if name in {"evaluate", "EvalResult"}:
        from . import evaluation

        return getattr(evaluation, name)
    raise AttributeError(f"module 'cxrlabel.gold' has no attribute {name!r}")
