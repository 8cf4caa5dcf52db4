"""The rule DSL: YAML rule files with dependency paths, compiled to networkx patterns, matched
at each mention and turned into its label.

Where each step lives, in pipeline order:

1. **grammar** — a rule is one of three forms: :mod:`~cxrlabel.rules.path` (``path:``, one
   line, grammar in ``path.lark``), :mod:`~cxrlabel.rules.structured` (``match:`` with
   nodes and edges) or :mod:`~cxrlabel.rules.scope` (``scope:``, a cue window);
2. **loader** — :mod:`~cxrlabel.rules.loader` reads a YAML file (positions kept by
   :mod:`~cxrlabel.rules.yamlsrc`), checks every field and builds :class:`Rule` values
   (:mod:`~cxrlabel.rules.model`); errors are located and coded (:mod:`~cxrlabel.rules.codes`);
   :mod:`~cxrlabel.rules.packs` finds shipped and plugin packs and merges sources;
3. **pattern compile** — :mod:`~cxrlabel.rules.pattern`: both pattern forms compile to one
   :class:`Pattern` (a ``networkx.DiGraph`` with ``DISEASE`` as the anchor);
4. **matcher** — :mod:`~cxrlabel.rules.matcher`: which pattern rules fire at one anchor token
   (VF2 subgraph monomorphism behind cheap filters), as ``Hit`` values;
5. **judge** — :mod:`~cxrlabel.rules.judge`: the one place a mention gets its label (stage
   order, list anchors, positive exceptions, scope fallback, the NORMAL bypass), as a
   ``Decision`` that the labeler applies and ``cxrlabel explain`` renders.

Rule examples run through the full labeler in :mod:`~cxrlabel.rules.examples` and
:mod:`cxrlabel.rules_testing` (``cxrlabel rules test``; above the labeler, so outside this package).

Public surface here: :func:`parse_path` (one path → :class:`Pattern`), :func:`load_rules` /
:func:`iter_errors` (a file → rules / every located error), :func:`load_pack` /
:func:`default_rules` (shipped packs), :class:`Rule`, :class:`Pattern`, and :data:`CODES`
(every error code with its meaning). The matcher and the judge are imported from their modules
(they are not loaded by ``import cxrlabel.rules``).
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
