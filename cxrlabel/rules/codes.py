"""Every rule-error code, in one table: code → one-line meaning.

The codes are stable: tests assert on them and the DSL reference documents each one. Add new
codes at the end of their block; never renumber or reuse one.
"""

from __future__ import annotations

__all__ = ["CODES", "describe"]

CODES: dict[str, str] = {
    # R10x: the path language
    "R100": "a rule error without a more specific code",
    "R101": "path syntax: expected a node (a lemma, a (lemma|set), '*' or DISEASE)",
    "R102": "path syntax: expected an arrow ('→', '←', '->' or '<-')",
    "R103": "path syntax: expected a relation (a name, 'a|b' or '*')",
    "R104": "path syntax: the two arrows around a relation point different ways",
    "R105": "path syntax: a character that cannot start any path element",
    "R106": "path syntax: a lemma set '(a|b)' that is empty, unclosed or holds a bad word",
    "R107": "the path is empty",
    # R11x: what a pattern means
    "R110": "the pattern has no anchor (no DISEASE node)",
    "R111": "the pattern has more than one anchor (DISEASE node)",
    "R112": "unknown relation name (not in the canonical label space)",
    "R113": "unknown concept name (only DISEASE is defined)",
    "R114": "a pattern node is not connected to the anchor",
    # R12x: the file as a whole
    "R120": "YAML syntax error",
    "R121": "the file is empty",
    "R122": "the top level of a rule file is not a mapping",
    "R123": "the file has no 'rules:' key",
    "R124": "'rules:' is not a list",
    "R125": "the rule file cannot be read",
    # R13x: one rule's keys and values
    "R130": "unknown key",
    "R131": "missing required key",
    "R132": "wrong type for a value",
    "R133": "invalid 'assigns' value (use negative, uncertain or positive)",
    "R134": "invalid 'stage' value (use pre-negation-uncertainty, negation or post-negation-uncertainty)",
    "R135": "duplicate rule id",
    "R136": "a rule has more than one of 'path:', 'match:' and 'scope:'",
    "R137": "a rule has none of 'path:', 'match:' and 'scope:'",
    "R138": "duplicate key in a YAML mapping",
    "R139": "invalid rule id (use letters, digits, '-', '_' and '.')",
    # R14x: the structured form (match:)
    "R140": "'anchor:' names a node that is not declared under 'nodes:'",
    "R141": "an edge names a node that is not declared under 'nodes:'",
    "R142": "a node constraint is empty or invalid",
    "R143": "the same edge (head, dep) is listed twice",
    "R144": "the anchor node is not the DISEASE node",
    # R15x: examples
    "R150": "an example names an unknown finding",
    "R151": "an example expects an invalid label (use negative, uncertain or positive)",
    # R16x: rule packs
    "R160": "retired: an unknown rule pack is X701 now, like every unknown plugin name",
    "R161": "duplicate rule id across the files of a pack or matcher",
    # R17x: the scope form (scope:)
    "R170": "'scope:' is not a mapping, or has an unknown key",
    "R171": "'cues:' is missing or not a non-empty list of single words",
    "R172": "invalid 'direction' (use before, after or either)",
    "R173": "invalid 'window' (a whole number of tokens from 1 to 40)",
    "R174": "'stop:' is not a non-empty list of single words",
}


def describe(code: str) -> str:
    """The one-line meaning of ``code`` (``KeyError`` for an unknown code)."""
    return CODES[code]
