"""Run rule files' and packs' ``examples`` through the full labeler (``cxrlabel rules test``).

Each source (a rule file or a pack name) is tested on its own: its rules are merged into the
shipped rules (a rule with a shipped id replaces it in place, so testing a shipped file tests
exactly the default labeler) or, with ``only``, used alone. Every example is labeled by the
full pipeline (sections → sentences → parser → concepts → rules → aggregation) and compared
with what it expects; :class:`RuleTestResult` also says whether the rule under test was among
the rules that decided a mention — informative, since another rule may rightly decide first.

It sits above the labeler (it builds one per source), so it is not part of :mod:`cxrlabel.rules`,
which the labeler itself is built on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from .concepts import ConceptFinder
from .labeler import Labeler, resolve_rules
from .parsers.base import get_parser
from .rules.examples import ExampleResult, run_examples
from .rules.packs import PACKS, grammar_dir, load_source, merge_rules
from .schemes import get_scheme

__all__ = ["RuleTestResult", "run_rule_tests", "shipped_sources"]


@dataclass(frozen=True)
class RuleTestResult:
    """One example of one rule from one source, with where the rule is defined."""

    source: str
    location: str | None
    example: ExampleResult

    @property
    def passed(self) -> bool:
        return self.example.passed

    @property
    def fired(self) -> bool:
        return self.example.fired

    def to_dict(self) -> dict[str, Any]:
        ex = self.example
        return {
            "source": self.source, "location": self.location, "rule": ex.rule_id, "text": ex.text,
            "expected": dict(ex.expected), "got": dict(ex.got), "passed": ex.passed, "rule_decided": ex.fired,
        }


def shipped_sources() -> list[str]:
    """Every shipped grammar file as ``grammars/NAME.yaml``: the files of the packs in pack
    order, then any other rule file shipped beside them."""
    names: list[str] = []
    for files in PACKS.values():
        names.extend(f for f in files if f not in names)
    extra = sorted(p.name for p in grammar_dir().iterdir() if p.name.endswith((".yaml", ".yml")))
    names.extend(f for f in extra if f not in names)
    return [f"grammars/{f}" for f in names]


def run_rule_tests(
    sources: Sequence[str] | None = None,
    *,
    parser: Any = "spacy",
    only: bool = False,
    ontology: Any = None,
    scheme: Any = None,
) -> list[RuleTestResult]:
    """Label every example of every rule in ``sources`` (default: every shipped grammar file)
    with a full :class:`~cxrlabel.Labeler` of ``scheme`` (default ``chestxray14``; its packs
    are among the shipped rules); one result per example, in file order. Examples are read in
    the scheme's finding names (see :func:`cxrlabel.rules.examples.run_examples`)."""
    sources = list(sources) if sources else shipped_sources()
    loaded = [(s, load_source(s)) for s in sources]  # every file is read before any parsing
    parser_obj = get_parser(parser) if isinstance(parser, str) else parser
    sch = get_scheme(scheme)
    finder = ontology if isinstance(ontology, ConceptFinder) else ConceptFinder(**{"ontology": sch.ontology, **(ontology or {})})
    shipped = [] if only else resolve_rules(list(sch.grammars) or None)
    results: list[RuleTestResult] = []
    for source, rules in loaded:
        labeler = Labeler(
            parser=parser_obj,
            grammars=merge_rules(shipped, rules),
            ontology=finder,
            replace_grammars=True,
            scheme=sch,
            self_check=False,  # the examples are the check; a subset pack cannot pass the canaries
        )
        where = {r.id: (str(r.location) if r.location else None) for r in rules}
        for ex in run_examples(rules, labeler):
            results.append(RuleTestResult(source, where.get(ex.rule_id), ex))
    return results
