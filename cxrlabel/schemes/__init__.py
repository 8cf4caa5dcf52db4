"""Label schemes: named, versioned bundles of findings, ontology, Normal rule, rule packs,
aggregation policy and output columns (see :mod:`cxrlabel.schemes.model`, ``docs/schemes.md``).

Every place that labels takes a scheme the same way: a name in :data:`cxrlabel.registry.schemes`
(``chestxray14``, the default; ``chexpert``; a plugin's, from the ``cxrlabel.schemes``
entry-point group), a folder holding a ``scheme.yaml``, or a :class:`Scheme`. A user's scheme
is a folder plus one registration::

    from cxrlabel.registry import schemes
    schemes.register("myhospital", Path("/path/to/myhospital"))  # a folder (a Path), a Scheme or a factory
"""

from __future__ import annotations

from .lookup import DEFAULT_SCHEME, chestxray14, chexpert, get_scheme, known_findings, load_scheme
from .model import Canary, NormalRule, Scheme, read_scheme

__all__ = [
    "DEFAULT_SCHEME",
    "Canary",
    "NormalRule",
    "Scheme",
    "chestxray14",
    "chexpert",
    "get_scheme",
    "known_findings",
    "load_scheme",
    "read_scheme",
]
