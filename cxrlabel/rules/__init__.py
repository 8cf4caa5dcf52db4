"""The rule DSL: YAML rule files with dependency paths, compiled to networkx patterns.

Public surface: :func:`parse_path` (one path → :class:`Pattern`), :func:`load_rules` /
:func:`iter_errors` (a file → rules / every located error), :func:`load_pack` /
:func:`default_rules` (shipped packs), :class:`Rule`, :class:`Pattern`, and :data:`CODES`
(every error code with its meaning). Matching lives in :mod:`cxrlabel.matcher`.
"""

from __future__ import annotations

from .codes import CODES
from .loader import iter_errors, load_rules
from .model import Example, Rule
from .packs import default_rules, load_pack
from .path import PathError, parse_path
from .pattern import EdgeSpec, NodeSpec, Pattern

__all__ = [
    "CODES",
    "EdgeSpec",
    "Example",
    "NodeSpec",
    "PathError",
    "Pattern",
    "Rule",
    "default_rules",
    "iter_errors",
    "load_pack",
    "load_rules",
    "parse_path",
]
