"""`load_gold`: a gold set from a registered name, a CSV path, or a :class:`GoldSet`."""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Any

from .. import registry
from ..errors import GoldError
from .csv import load_gold_csv
from .goldset import GoldSet
from .openi import load_testset_ids

__all__ = ["load_gold"]


def load_gold(spec: str | os.PathLike[str] | GoldSet, *, testset: str | os.PathLike[str] | None = None, **options: Any) -> GoldSet:
    """A gold set from a registered name, a CSV path, or a :class:`GoldSet` (returned as is).

    ``options`` go to the gold's loader where it accepts them (``reports=``, ``text_column=``,
    ``id_column=``, ``download=``, ``scheme=``: whose findings a CSV's columns are); ``testset`` (a file of report ids, one a line) gives a CSV
    gold a test split, or replaces a registered gold's own test list.
    """
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
        gold = load_gold_csv(path, text_column=options.get("text_column"), id_column=options.get("id_column"),
                             scheme=options.get("scheme"))
        if testset is not None:
            gold = gold.with_testset(load_testset_ids(testset))
        return gold
    registry.gold.get(name)  # raises PluginError listing the available names
    raise AssertionError("unreachable")  # pragma: no cover
