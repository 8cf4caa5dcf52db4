"""``cxrlabel explain``: the data (:func:`cxrlabel.explain.explain`), its renderers and the CLI,
on the real default labeler (spaCy + shipped rules and ontology)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from cxrlabel.cli import main
from cxrlabel.explain import (
    Explanation,
    SentenceExplanation,
    TokenRow,
    explain,
    render_html,
    render_svg,
    render_text,
)
from cxrlabel.explain.html import arc_levels
from cxrlabel.labeler import Labeler
from cxrlabel.types import STAGE_ORDER, Stage

REPORT = "No evidence of pneumothorax. Mild cardiomegaly."
SVG_NS = "{http://www.w3.org/2000/svg}"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def labeler() -> Labeler:
    return Labeler()


@pytest.fixture(scope="module")
def expl(labeler: Labeler) -> Explanation:
    return explain(REPORT, labeler)


def _mention(expl: Explanation, finding: str):
    return next(m for s in expl.sentences for m in s.mentions if m.finding == finding)


def test_no_evidence_of_is_named_with_the_tokens_its_pattern_bound(expl):
    m = _mention(expl, "Pneumothorax")
    assert m.polarity == "negative"
    f = next(f for f in m.firings if f.rule_id == "no-evidence-of")
    assert f.decided and f.stage == "negation" and f.assigns == "negative"
    assert f.location and f.location.startswith("grammars/negation.yaml:")
    assert {n.text for n in f.nodes} == {"No", "evidence", "pneumothorax"}
    assert f.anchor == m.head
    assert set(f.edges) == {(1, "neg", 0), (1, "prep_of", 3)}
    assert "no-evidence-of" in m.rules


def test_labels_and_normal_are_the_labelers(expl, labeler):
    r = labeler.label(REPORT)
    assert expl.labels["Pneumothorax"] == "negative" == r["Pneumothorax"].value
    assert expl.labels["Cardiomegaly"] == "positive"
    assert expl.labels["Effusion"] is None
    assert expl.normal is False is r.normal
    assert "no-evidence-of" in expl.rules["Pneumothorax"]


def test_each_sentence_carries_its_normalized_parse(expl):
    s0 = expl.sentences[0]
    assert s0.text == "No evidence of pneumothorax."
    assert [t.text for t in s0.tokens] == ["No", "evidence", "of", "pneumothorax", "."]
    # the collapsed prep_of edge sits beside the parser's own prep/pobj
    assert (1, "prep_of") in s0.tokens[3].heads
    assert s0.tokens[1].heads == ()


@pytest.mark.parametrize(
    "text",
    [
        REPORT,
        "Pneumonia cannot be excluded. No pleural effusion or pneumothorax.",
        "FINDINGS: Clear of focal airspace disease, pneumothorax, or pleural effusion. IMPRESSION: Normal chest.",
    ],
)
def test_every_firing_is_a_real_match_and_the_earliest_stage_decides(labeler, text):
    expl = explain(text, labeler)
    order = list(STAGE_ORDER)
    for s, sent in zip(expl.sentences, labeler.label(text).sentences):
        g = sent.graph
        for m in s.mentions:
            for f in m.firings:
                rule = labeler.matcher.get(f.rule_id)
                assert {n.name for n in f.nodes} == set(rule.pattern.nodes)
                for n in f.nodes:
                    assert g.nodes[n.token]["text"] == n.text
                for h, rel, d in f.edges:
                    assert g.edges[h, d]["rel"] == rel
            decided = [f for f in m.firings if f.decided]
            assert set(m.deciding) == set(m.rules)
            if decided:
                assert m.basis == "pattern"
                first = min(order.index(Stage(f.stage)) for f in m.firings)
                assert all(order.index(Stage(f.stage)) == first for f in decided)
            elif m.basis == "default":
                assert m.polarity == "positive" and not m.rules


def test_text_output_shows_rule_bindings_and_labels(expl):
    out = render_text(expl)
    assert "sentence 0" in out and "No evidence of pneumothorax." in out
    assert "rule no-evidence-of [negation] → negative, decided" in out
    assert "'evidence'" in out and "evidence -neg-> No" in out and "evidence -prep_of-> pneumothorax" in out
    assert re.search(r"Pneumothorax\s+negative\s+rules: .*no-evidence-of", out)
    assert re.search(r"Cardiomegaly\s+positive", out)
    assert "normal: no" in out
    assert not ANSI.search(out)
    assert ANSI.search(render_text(expl, color=True))


def test_html_has_one_svg_per_sentence_with_the_deciding_rule_highlighted(expl, tmp_path):
    page = render_html(expl)
    assert page.count("<svg") == len(expl.sentences) == 2
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    root = ET.fromstring(svgs[0])  # well-formed, standalone SVG
    hit_arcs = [g for g in root.iter(SVG_NS + "g") if "arc" in g.get("class", "").split() and "rule-hit" in g.get("class", "")]
    titles = {g.find(SVG_NS + "title").text for g in hit_arcs}
    assert titles == {"evidence -neg-> No", "evidence -prep_of-> pneumothorax"}
    assert all("no-evidence-of" in g.get("data-rules", "").split() for g in hit_arcs)
    mention = [g for g in root.iter(SVG_NS + "g") if "mention" in g.get("class", "").split()]
    assert [g.find(SVG_NS + "text").text for g in mention] == ["pneumothorax"]
    # the plain positive mention has no rule highlighted
    root1 = ET.fromstring(svgs[1])
    assert not [g for g in root1.iter(SVG_NS + "g") if "rule-hit" in g.get("class", "")]
    assert "no-evidence-of" in page and "Normal: <b>no</b>" in page


def test_arc_levels_stack_outer_arcs_above_inner_ones():
    edges = [(1, "neg", 0), (1, "prep", 2), (2, "pobj", 3), (1, "prep_of", 3), (1, "punct", 4)]
    lv = dict(zip(edges, arc_levels(edges)))
    assert lv[(1, "neg", 0)] == lv[(1, "prep", 2)] == lv[(2, "pobj", 3)] == 1
    assert lv[(1, "prep_of", 3)] == 2 and lv[(1, "punct", 4)] == 3


def test_svg_of_a_hand_built_sentence_escapes_text():
    s = SentenceExplanation(0, None, "a<b", 0, 3, (TokenRow(0, "a<b", "a<b", "NN", ()),), ())
    svg = render_svg(s)
    ET.fromstring(svg)
    assert "a&lt;b" in svg


def test_json_output_structure():
    res = CliRunner().invoke(main, ["explain", REPORT, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert set(data) >= {"text", "sentences", "labels", "rules", "normal", "policy", "failures"}
    assert data["labels"]["Pneumothorax"] == "negative" and data["normal"] is False
    m = data["sentences"][0]["mentions"][0]
    assert m["finding"] == "Pneumothorax" and m["cui"] and m["polarity"] == "negative"
    f = next(f for f in m["firings"] if f["rule"] == "no-evidence-of")
    assert f["decided"] is True
    assert {n["text"] for n in f["nodes"]} == {"No", "evidence", "pneumothorax"}
    assert {"head": 1, "rel": "neg", "dep": 0} in f["edges"]
    assert data["sentences"][0]["tokens"][0] == {"i": 0, "text": "No", "lemma": "no", "tag": "DT", "heads": [{"head": 1, "rel": "neg"}]}


def test_stdin_and_file_inputs_and_html_option(tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["explain", "-"], input=REPORT)
    assert res.exit_code == 0, res.output
    assert "no-evidence-of" in res.stdout and "Cardiomegaly" in res.stdout
    assert not ANSI.search(res.stdout)  # not a terminal: no colour
    report = tmp_path / "r.txt"
    report.write_text(REPORT, encoding="utf-8")
    page = tmp_path / "x.html"
    res = runner.invoke(main, ["explain", "--file", str(report), "--html", str(page), "--color"])
    assert res.exit_code == 0, res.output
    assert ANSI.search(res.stdout)
    assert page.read_text(encoding="utf-8").count("<svg") == 2


def test_text_and_file_together_or_neither_is_a_usage_error(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["explain"]).exit_code == 2
    f = tmp_path / "r.txt"
    f.write_text("x", encoding="utf-8")
    assert runner.invoke(main, ["explain", "text", "--file", str(f)]).exit_code == 2


SCOPE_DECIDED = "This may represent focal right lower lobe pneumonia given history."


def test_a_scope_decision_names_the_scope_rule_and_its_cue(labeler):
    expl = explain(SCOPE_DECIDED, labeler)
    m = _mention(expl, "Pneumonia")
    assert m.basis == "scope" and m.polarity == "uncertain" and m.rules == ("hedge-cue-before",)
    (check,) = [c for c in m.scope if c.decided]
    assert (check.rule_id, check.cue, check.cue_text) == ("hedge-cue-before", 1, "may")
    assert check.location and check.location.startswith("grammars/scope.yaml:")
    assert not [f for f in m.firings if f.decided]
    out = render_text(expl)
    assert "no rule fired" not in out
    assert "scope rule hedge-cue-before [post-negation-uncertainty] → uncertain, decided" in out
    assert "cue: 1 'may'" in out
    # the cue token is what the HTML page highlights for the deciding scope rule
    svg = ET.fromstring(re.findall(r"<svg.*?</svg>", render_html(expl), re.S)[0])
    hits = [g for g in svg.iter(SVG_NS + "g") if "rule-hit" in g.get("class", "").split()]
    assert [g.find(SVG_NS + "text").text for g in hits] == ["may"]
    assert hits[0].get("data-rules") == "hedge-cue-before"
    data = expl.to_dict()["sentences"][0]["mentions"][0]
    assert data["basis"] == "scope" and any(c["decided"] and c["cue"] == 1 for c in data["scope"])


def test_a_normal_mention_is_asserted_as_written_not_decided_by_negation_rules(labeler):
    text = "No acute process or large pneumothorax."
    expl = explain(text, labeler)
    normal = _mention(expl, "NORMAL")
    (labeled,) = [m for m in labeler.label(text).mentions if m.finding == "NORMAL"]
    assert normal.basis == "normal" and normal.firings == () and normal.scope == ()
    assert normal.polarity == labeled.polarity.value and normal.rules == labeled.rules == ()
    out = render_text(expl)
    block = out.split("mention 'No acute process'")[1].split("  mention ")[0]
    assert "NORMAL: asserted as written" in block and "rule " not in block.replace("finding rules", "")
    assert f"polarity: {labeled.polarity.value}" in block
    # the pneumothorax in the same sentence is still judged, and negated
    assert _mention(expl, "Pneumothorax").polarity == "negative"


CONTRACT_SENTENCES = (
    "No pneumothorax.",
    "No acute process or large pneumothorax.",
    "No acute cardiopulmonary abnormality.",
    "Lungs are clear without focal consolidation, effusion or pneumothorax.",
    "Pneumonia cannot be excluded.",
    "No change in the moderate right effusion.",
    "Possible small left effusion.",
    "Findings may represent atelectasis or pneumonia.",
    "Low lung volumes with bibasilar atelectasis.",
    SCOPE_DECIDED,
    "FINDINGS: The lungs are clear. IMPRESSION: No active disease.",
)


@pytest.mark.parametrize("text", CONTRACT_SENTENCES)
def test_explain_shows_the_labelers_polarity_and_deciding_rules_for_every_mention(labeler, text):
    expl = explain(text, labeler)
    shown = [m for s in expl.sentences for m in s.mentions]
    labeled = labeler.label(text).mentions
    assert [(m.finding, m.start, m.end) for m in shown] == [(m.finding, m.start, m.end) for m in labeled]
    for m, lab in zip(shown, labeled):
        assert m.polarity == lab.polarity.value, (text, m.text)
        assert m.deciding == lab.rules, (text, m.text)
        if m.finding == "NORMAL":
            assert m.basis == "normal" and not m.firings
