"""Rule files: YAML 1.2 booleans, located errors for every code, packs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cxrlabel.errors import RuleError
from cxrlabel.registry import grammars
from cxrlabel.rules import CODES, default_rules, iter_errors, load_pack, load_rules, parse_path
from cxrlabel.rules.packs import grammar_dir
from cxrlabel.types import Label, Stage

REPO = Path(__file__).resolve().parents[1]


def doc(body: str) -> str:
    return textwrap.dedent(body).lstrip("\n")


GOOD = doc(
    """
    name: demo
    rules:
      - id: no-evidence-of
        assigns: negative
        stage: negation
        path: no ← neg ← evidence → prep_of → DISEASE
        examples:
          - {text: "No evidence of pneumothorax.", expect: {Pneumothorax: negative}}
      - id: no-evidence-structured
        assigns: negative
        stage: negation
        match:
          anchor: finding
          nodes: {finding: {concept: DISEASE}, evidence: {lemma: evidence}, cue: {lemma: no}}
          edges:
            - {head: evidence, rel: prep_of, dep: finding}
            - {head: evidence, rel: neg, dep: cue}
    """
)


def codes(text: str) -> list[str]:
    return [e.code for e in iter_errors(text)]


def one_error(text: str) -> RuleError:
    errs = list(iter_errors(text))
    assert len(errs) == 1, [str(e) for e in errs]
    return errs[0]


def test_valid_file_loads_rules_with_label_stage_pattern_and_examples():
    a, b = load_rules(GOOD)
    assert (a.id, a.assigns, a.stage) == ("no-evidence-of", Label.NEGATIVE, Stage.NEGATION)
    assert a.examples[0].expect == {"Pneumothorax": Label.NEGATIVE}
    assert a.source == "no ← neg ← evidence → prep_of → DISEASE" and b.source is None
    assert a.pattern == b.pattern == parse_path(a.source)
    assert a.location.line == 3 and b.location.line == 9
    assert list(iter_errors(GOOD)) == []


def test_yaml_11_boolean_words_stay_strings_in_rule_files():
    text = doc(
        """
        rules:
          - id: words
            assigns: negative
            stage: negation
            match:
              nodes: {d: {concept: DISEASE}, a: {lemma: no}, b: {lemma: [yes, on, off, No, Y, n]}}
              edges: [{head: d, rel: neg, dep: a}, {head: d, rel: "*", dep: b}]
        """
    )
    (r,) = load_rules(text)
    specs = [s.lemmas for s in r.pattern.nodes.values() if s.lemmas]
    assert specs == [{"no"}, {"yes", "on", "off", "no", "y", "n"}]
    assert yaml.safe_load("a: no")["a"] is False  # the trap the loader avoids


def test_yaml_true_and_false_are_still_booleans_and_rejected_as_lemmas():
    text = GOOD.replace("{lemma: evidence}", "{lemma: true}")
    err = one_error(text)
    assert err.code == "R132" and "True" in err.message


def test_a_deleted_node_is_reported_at_its_line_and_column_in_the_shipped_pack():
    src = (REPO / "grammars" / "negation.yaml").read_text()
    broken = src.replace("path: no ← neg ← evidence → prep_of → DISEASE", "path: no ← neg ← → prep_of → DISEASE")
    assert broken != src
    (err,) = iter_errors(broken, filename="grammars/negation.yaml")
    lines = broken.splitlines()
    line = next(k for k, ln in enumerate(lines, 1) if "path: no ← neg ← → prep_of" in ln)
    col = lines[line - 1].index("→ prep_of") + 1
    assert (err.code, err.rule_id) == ("R101", "no-evidence-of")
    assert (err.location.file, err.location.line, err.location.col) == ("grammars/negation.yaml", line, col)
    out = str(err).splitlines()
    assert out[0] == f"grammars/negation.yaml:{line}:{col}: error[R101]: in rule 'no-evidence-of': expected a node after '←'"
    assert out[1] == "    " + lines[line - 1]
    assert out[2] == "    " + " " * (col - 1) + "^"


@pytest.mark.parametrize(
    "value, needle",
    [
        ('"* → prep_without → → DISEASE"', "→ DISEASE"),  # double-quoted
        ("'* → prep_without → → DISEASE'", "→ DISEASE"),  # single-quoted
        ("'it''s → prep_without → → DISEASE'", "→ DISEASE"),  # '' is one character
        ('"x \\u2192 neg \\u2192 → DISEASE"', "→ DISEASE"),  # an escape is one character
    ],
)
def test_errors_inside_quoted_paths_point_at_the_right_column(value, needle):
    text = GOOD.replace("path: no ← neg ← evidence → prep_of → DISEASE", f"path: {value}")
    err = one_error(text)
    line = text.splitlines()[err.location.line - 1]
    assert err.code == "R101"
    assert err.location.col == line.index(needle) + 1


def test_errors_in_a_folded_multi_line_path_point_at_the_second_line():
    text = GOOD.replace(
        "path: no ← neg ← evidence → prep_of → DISEASE",
        "path: no ← neg ← evidence\n          → prep_of → FINDING",
    )
    err = one_error(text)
    assert err.code == "R113"
    lines = text.splitlines()
    assert lines[err.location.line - 1].strip() == "→ prep_of → FINDING"
    assert err.location.col == lines[err.location.line - 1].index("FINDING") + 1


RULE = "  - id: r1\n    assigns: negative\n    stage: negation\n    path: no ← * ← DISEASE\n"


@pytest.mark.parametrize(
    "text, code, line",
    [
        ("rules: [\n", "R120", 2),
        ("", "R121", 1),
        ("# only a comment\n", "R121", 1),
        ("- a\n- b\n", "R122", 1),
        ("name: x\n", "R123", 1),
        ("rules: {id: x}\n", "R124", 1),
        ("rules:\n" + RULE + "    asigns: negative\n", "R130", 6),
        ("rulez: []\nrules: []\n", "R130", 1),
        ("rules:\n  - id: r1\n    assigns: negative\n    path: no ← * ← DISEASE\n", "R131", 2),
        ("rules:\n" + RULE.replace("id: r1", "id: 3"), "R132", 2),
        ("rules:\n" + RULE.replace("path: no ← * ← DISEASE", "path: [no]"), "R132", 5),
        ("rules:\n  - just a string\n", "R132", 2),
        ("rules:\n" + RULE.replace("assigns: negative", "assigns: negated"), "R133", 3),
        ("rules:\n" + RULE.replace("stage: negation", "stage: pre-negation"), "R134", 4),
        ("rules:\n" + RULE + RULE, "R135", 6),
        ("rules:\n" + RULE + "    match: {nodes: {d: {concept: DISEASE}}}\n", "R136", 6),
        ("rules:\n  - id: r1\n    assigns: negative\n    stage: negation\n", "R137", 2),
        ("rules:\n" + RULE + "    stage: negation\n", "R138", 6),
        ("rules:\n" + RULE.replace("id: r1", "id: no evidence"), "R139", 2),
        ("rules:\n" + RULE.replace("path: no ← * ← DISEASE", "path: no ← * ← evidence"), "R110", 5),
        ("rules:\n" + RULE.replace("path: no ← * ← DISEASE", "path: DISEASE ← * ← DISEASE"), "R111", 5),
        ("rules:\n" + RULE.replace("path: no ← * ← DISEASE", "path: no ← det_of ← DISEASE"), "R112", 5),
        ("rules:\n" + RULE.replace("path: no ← * ← DISEASE", "path: no ← * ← CANCER"), "R113", 5),
    ],
)
def test_each_file_and_rule_problem_has_its_code_and_line(text, code, line):
    errs = list(iter_errors(text))
    assert errs, "expected an error"
    assert errs[0].code == code, [str(e) for e in errs]
    assert errs[0].location.line == line
    assert code in CODES


def structured_rule(match: str) -> str:
    return "rules:\n  - id: s\n    assigns: uncertain\n    stage: negation\n    match:\n" + textwrap.indent(
        textwrap.dedent(match).strip("\n"), "      "
    ) + "\n"


@pytest.mark.parametrize(
    "match, code, needle",
    [
        ("anchor: ghost\nnodes: {e: {concept: DISEASE}}", "R140", "ghost"),
        ("nodes: {d: {concept: DISEASE}}\nedges: [{head: d, rel: neg, dep: cue}]", "R141", "cue"),
        ("nodes: {d: {concept: DISEASE}, c: {lemma: []}}\nedges: [{head: d, rel: neg, dep: c}]", "R142", "[]"),
        ("nodes: {d: {concept: DISEASE}, c: {lemma: 'two words'}}\nedges: [{head: d, rel: neg, dep: c}]", "R142", "'two"),
        ("nodes: {d: {concept: DISEASE}, c: {}}\nedges:\n  - {head: d, rel: neg, dep: c}\n  - {head: c, rel: dobj, dep: d}",
         "R143", "{head: c"),
        ("nodes: {d: {concept: DISEASE}, c: {}}\nedges: [{head: c, rel: neg, dep: c}]", "R143", "{head: c"),
        ("anchor: other\nnodes: {d: {concept: DISEASE}, other: {}}\nedges: [{head: d, rel: neg, dep: other}]", "R144", "other"),
        ("nodes: {d: {concept: DISEASE}, loose: {lemma: no}}", "R114", "loose"),
        ("nodes: {d: {lemma: x}}", "R110", "{d:"),
        ("nodes: {d: {concept: DISEASE}, c: {concept: DISEASE}}\nedges: [{head: d, rel: neg, dep: c}]", "R111",
         "{concept: DISEASE}}"),
        ("nodes: {d: {concept: DISEASE}, c: {lemma: no}}\nedges: [{head: d, rel: negg, dep: c}]", "R112", "negg"),
        ("nodes: {d: {concept: DISEASE}, c: {lemma: no, lema: x}}\nedges: [{head: d, rel: neg, dep: c}]", "R130", "lema"),
        ("nodes: {d: {concept: DISEASE}, c: {lemma: no}}\nedges: [{head: d, dep: c}]", "R131", "{head: d, dep"),
        ("nodes: {d: {concept: DISEASE}, c: {lemma: no}}\nedges: {head: d, dep: c}", "R132", "{head: d, dep"),
    ],
)
def test_structured_form_problems_have_codes_and_columns(match, code, needle):
    text = structured_rule(match)
    errs = list(iter_errors(text))
    assert errs and errs[0].code == code, (text, [str(e) for e in errs])
    line = text.splitlines()[errs[0].location.line - 1]
    assert needle in line, (line, needle)
    assert errs[0].location.col == line.index(needle) + 1, (line, needle)


def test_example_problems_unknown_finding_and_bad_label():
    text = GOOD.replace("expect: {Pneumothorax: negative}", "expect: {Pneumothorx: negative, Edema: absent}")
    errs = list(iter_errors(text))
    assert [e.code for e in errs] == ["R150", "R151"]
    assert "did you mean 'Pneumothorax'" in errs[0].message


def test_iter_errors_reports_every_problem_and_load_rules_raises_the_first():
    text = "rules:\n" + RULE.replace("assigns: negative", "assigns: maybe") + RULE.replace("id: r1", "id: r2").replace(
        "stage: negation", "stage: later"
    ) + "  - id: r3\n    assigns: negative\n    stage: negation\n    path: no ← * ←\n"
    assert codes(text) == ["R133", "R134", "R101"]
    with pytest.raises(RuleError) as err:
        load_rules(text)
    assert err.value.code == "R133" and err.value.rule_id == "r1"


def test_unknown_key_suggests_the_closest_known_key():
    err = one_error(GOOD.replace("    stage: negation\n    path: no", "    stage: negation\n    pth: no", 1).replace(
        "pth: no ← neg ← evidence → prep_of → DISEASE", "path: no ← * ← DISEASE\n    pth: x"
    ))
    assert err.code == "R130" and "did you mean 'path'" in err.message


def test_rule_files_load_from_paths_and_unreadable_files_are_rule_errors(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text(GOOD)
    assert [r.id for r in load_rules(f)] == ["no-evidence-of", "no-evidence-structured"]
    assert [r.id for r in load_rules(str(f))] == ["no-evidence-of", "no-evidence-structured"]
    (err,) = iter_errors(tmp_path / "missing.yaml")
    assert err.code == "R125"
    (tmp_path / "bad.yaml").write_bytes(b"\xff\xfe\x00rules")
    assert [e.code for e in iter_errors(tmp_path / "bad.yaml")] == ["R125"]


# --- packs -------------------------------------------------------------------------------


def test_shipped_pack_loads_through_importlib_resources_and_the_registry():
    assert (grammar_dir() / "negation.yaml").is_file()
    rules = load_pack("table6")
    ids = [r.id for r in rules]
    assert len(ids) == len(set(ids)) == 14
    assert {"no-evidence-of", "clear-of-disease", "cannot-exclude", "suggest-suspect"} <= set(ids)
    assert "table6" in grammars.names()
    assert [r.id for r in grammars.get("table6")()] == ids


def test_default_rules_load_without_duplicate_ids():
    ids = [r.id for r in default_rules()]
    assert ids and len(ids) == len(set(ids))


def test_unknown_pack_is_the_registry_error_listing_the_available_ones():
    from cxrlabel.errors import PluginError

    with pytest.raises(PluginError) as err:
        load_pack("nope")
    assert err.value.code == "X701"
    assert "rule pack" in err.value.message and "table6" in err.value.message
    assert "likelihood" in err.value.message and "chexpert" in err.value.message


def test_every_shipped_rule_file_is_valid():
    for f in sorted((REPO / "grammars").glob("*.yaml")):
        assert list(iter_errors(f)) == [], f


# --- property: arbitrary input gives only rule errors ------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12), st.sampled_from(
    ["no ← * ← DISEASE", "negation", "negative", "DISEASE", "*", "prep_of"]))
keys = st.sampled_from(["id", "assigns", "stage", "path", "match", "nodes", "edges", "anchor", "head", "dep",
                        "rel", "lemma", "concept", "examples", "text", "expect", "rules", "x"])
trees = st.recursive(scalars, lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(keys, kids, max_size=5)),
                     max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(st.one_of(trees.map(lambda t: yaml.safe_dump({"rules": t}, allow_unicode=True)),
                 trees.map(lambda t: yaml.safe_dump(t, allow_unicode=True)),
                 st.text(max_size=80)))
def test_arbitrary_documents_raise_only_rule_errors(text):
    try:
        load_rules(text)
    except RuleError as err:
        assert err.code in CODES
        assert err.location is not None and err.location.line >= 1 and err.location.col >= 1
    for err in iter_errors(text):
        assert isinstance(err, RuleError) and err.code in CODES


def test_recursive_and_exploding_aliases_are_yaml_errors_not_hangs():
    (err,) = iter_errors("rules: &x [*x]\n")
    assert err.code == "R120" and "alias" in err.message
    laughs = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join(["*" + chr(97 + i)] * 10) + "]\n" for i in range(6)
    ) + "rules: *g\n"
    codes_found = [e.code for e in iter_errors(laughs)]
    assert codes_found == ["R120"]


def test_every_code_the_rule_modules_raise_is_in_the_code_table():
    import re

    src = "".join(p.read_text() for p in (REPO / "cxrlabel" / "rules").glob("*.py") if p.name != "codes.py")
    src += (REPO / "cxrlabel" / "matcher.py").read_text()
    used = set(re.findall(r'"(R1\d\d)"', src))
    assert used and used <= set(CODES), used - set(CODES)
    assert all(re.fullmatch(r"R1\d\d", c) and meaning for c, meaning in CODES.items())


@pytest.mark.parametrize("name", grammars.names())
def test_every_registered_pack_loads_with_unique_ids_and_examples(name):
    rules = load_pack(name)
    ids = [r.id for r in rules]
    assert ids and len(ids) == len(set(ids))
    assert all(r.examples for r in rules), [r.id for r in rules if not r.examples]
    assert [r.id for r in grammars.get(name)()] == ids
