"""ConceptFinder on real spaCy parses: every ontology phrase is found, exclusions are not,
spans, heads and offsets are right, and the QuickUMLS index is built, cached and rebuilt."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from cxrlabel.concepts import ConceptFinder, build_index, quickumls_matcher
from cxrlabel.errors import OntologyError
from cxrlabel.ontology import NORMAL, load_ontology, normalize_phrase
from cxrlabel.parsers import get_parser
from cxrlabel.types import OTHER

ONTO = load_ontology()


def _expected_findings(phrase: str) -> set[str]:
    """Every finding (incl. OTHER/NORMAL) that lists ``phrase`` as a term."""
    key = normalize_phrase(phrase)
    return {e.finding for e in ONTO.entries() if e.kind == "term" and e.text == key}


def _pattern_example(source: str) -> str:
    """A sentence for a gapped pattern: first alternative of each element, gaps filled."""
    words = []
    for part in source.split():
        if part.startswith("..."):
            words.append("also")
        else:
            words.append(part.strip("[]").split("|")[0])
    return " ".join(words).capitalize() + "."


TERMS = sorted({(f.name, t) for f in ONTO.findings.values() for t in f.terms})
TERMS += sorted({(OTHER, t) for o in ONTO.other for t in o.terms})
TERMS += sorted({(NORMAL, t) for o in ONTO.normal for t in o.terms})
EXCLUSIONS = sorted({(f.name, t) for f in ONTO.findings.values() for t in f.exclude})
PATTERNS = [(f.name, p) for f in ONTO.findings.values() for p in f.patterns]
PATTERNS += [(OTHER, p) for o in ONTO.other for p in o.patterns] + [(o.finding, p) for o in ONTO.normal for p in o.patterns]


@pytest.fixture(scope="module")
def parser():
    return get_parser("spacy")


@pytest.fixture(scope="module")
def finder(tmp_path_factory):
    return ConceptFinder(cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def parse(parser):
    cache: dict[str, object] = {}

    def _parse(text: str, offset: int = 0, index: int = 0):
        if text not in cache:
            cache[text] = next(iter(parser.parse([text])))
        return cache[text].shifted(offset, index=index)

    # one batched call for all template sentences keeps the parametrized tests fast
    texts = [f"There is {t}." for _, t in TERMS] + [f"There is {t}." for _, t in EXCLUSIONS]
    for text, sent in zip(texts, parser.parse(texts)):
        cache[text] = sent
    return _parse


@pytest.mark.parametrize(("finding", "term"), TERMS, ids=[f"{f}:{t}" for f, t in TERMS])
def test_every_ontology_term_is_found_in_a_template_sentence(finder, parse, finding, term):
    sent = parse(f"There is {term}.")
    mentions = finder.find(sent)
    at_term = [m for m in mentions if m.start == len("There is ") and m.end == len("There is ") + len(term)]
    assert {m.finding for m in at_term} == _expected_findings(term), mentions
    assert all(m.text == term for m in at_term)


@pytest.mark.parametrize(("finding", "phrase"), EXCLUSIONS, ids=[f"{f}:{p}" for f, p in EXCLUSIONS])
def test_every_exclusion_yields_no_mention_of_its_finding(finder, parse, finding, phrase):
    mentions = finder.find(parse(f"There is {phrase}."))
    assert finding not in {m.finding for m in mentions}, mentions


@pytest.mark.parametrize(("finding", "source"), PATTERNS, ids=[p for _, p in PATTERNS])
def test_every_gapped_pattern_is_found(finder, parse, finding, source):
    text = _pattern_example(source)
    mentions = finder.find(parse(text))
    assert finding in {m.finding for m in mentions}, (text, mentions)


def test_plural_is_matched_through_the_lemma(finder, parse):
    # "granulomata" is no term; spaCy lemmatizes "effusions" (also listed) and "nodules"
    sent = parse("Bilateral pleural effusions and several tiny nodules.")
    found = {(m.finding, m.text) for m in finder.find(sent)}
    assert ("Effusion", "pleural effusions") in found and ("Nodule", "nodules") in found


def test_lemma_match_covers_unlisted_inflections(finder, parse):
    sent = parse("Multiple infiltrates and consolidations are seen.")
    assert {m.finding for m in finder.find(sent)} >= {"Infiltration", "Consolidation"}
    sent = parse("The hernias are unchanged.")
    assert "Hernia" in {m.finding for m in finder.find(sent)}


def test_pericardial_effusion_is_other_not_effusion(finder, parse):
    ms = finder.find(parse("Small pericardial effusion."))
    assert [(m.finding, m.text) for m in ms] == [(OTHER, "pericardial effusion")]


def test_longest_span_wins_over_the_terms_inside_it(finder, parse):
    ms = finder.find(parse("Left lower lobe consolidative opacity."))
    assert [(m.finding, m.text) for m in ms] == [("Consolidation", "consolidative opacity")]


def test_one_span_may_name_two_findings(finder, parse):
    ms = finder.find(parse("Small left hydropneumothorax."))
    assert {m.finding for m in ms} == {"Effusion", "Pneumothorax"}
    assert {m.text for m in ms} == {"hydropneumothorax"}


def test_pattern_does_not_swallow_a_term_in_its_gap(finder, parse):
    ms = finder.find(parse("Pleural effusion versus minimal pleural thickening bilaterally."))
    assert [(m.finding, m.text) for m in ms] == [("Effusion", "Pleural effusion"), ("Pleural_Thickening", "pleural thickening")]


def test_gapped_cardiomegaly_spans_the_predicate_and_heads_at_the_clause(finder, parse):
    sent = parse("The heart is not enlarged.")
    (m,) = finder.find(sent)
    assert m.finding == "Cardiomegaly" and m.text == "heart is not enlarged"
    assert m.nodes == (1, 2, 3, 4)
    parents = set(sent.graph.predecessors(m.head))
    assert m.head in m.nodes and not parents & set(m.nodes)


def test_head_is_the_noun_of_a_disease_phrase(finder, parse):
    sent = parse("Stable left lower lobe atelectasis.")
    (m,) = finder.find(sent)
    assert sent.tokens[m.head].text == "atelectasis"


def test_offsets_index_the_report_after_shifting(finder, parse):
    report = "FINDINGS: Heart normal. Right pneumothorax is present."
    start = report.index("Right")
    sent = parse(report[start:], offset=start, index=1)
    (m,) = finder.find(sent)
    assert report[m.start : m.end] == "pneumothorax" == m.text
    assert m.sentence == 1 and m.cui == "C0032326"


def test_slash_compounds_match_each_part(finder, parse):
    ms = finder.find(parse("Apical pleural thickening/scarring."))
    assert "Pleural_Thickening" in {m.finding for m in ms}


def test_normal_phrase_includes_its_negation(finder, parse):
    ms = finder.find(parse("No acute cardiopulmonary abnormality."))
    assert [(m.finding, m.text) for m in ms] == [(NORMAL, "No acute cardiopulmonary abnormality")]


def test_fuzzy_threshold_catches_a_typo_and_can_be_turned_off(tmp_path, parse):
    sent = parse("Small right pleural effusionn.")
    fuzzy = ConceptFinder(threshold=0.9, cache_dir=tmp_path)
    exact = ConceptFinder(threshold=None, cache_dir=tmp_path)
    assert [m.finding for m in fuzzy.find(sent)] == ["Effusion"]
    assert exact.find(sent) == []


def test_bad_threshold_fails_with_o404(tmp_path):
    with pytest.raises(OntologyError) as err:
        ConceptFinder(threshold=1.5, cache_dir=tmp_path)
    assert err.value.code == "O404"


def test_index_is_cached_and_rebuilt_when_the_ontology_changes(tmp_path, parse):
    first = build_index(ONTO, cache_dir=tmp_path)
    assert build_index(ONTO, cache_dir=tmp_path) == first
    assert (first / "umls-simstring.db" / "umls-terms.simstring").is_file()
    assert (first / "MRCONSO.RRF").read_text().count("\n") == len(list(ONTO.entries()))
    copy = tmp_path / "onto"
    shutil.copytree(ONTO.source, copy)
    with open(copy / "other.yaml", "a") as f:
        f.write("  - name: zebra\n    terms: [zebra stripes]\n")
    changed = load_ontology(copy)
    second = build_index(changed, cache_dir=tmp_path)
    assert second != first
    ms = ConceptFinder(changed, cache_dir=tmp_path).find(parse("There are zebra stripes."))
    assert [(m.finding, m.cui, m.text) for m in ms] == [(OTHER, "CXR:zebra", "zebra stripes")]


def test_concurrent_builds_end_with_one_index(tmp_path):
    with ThreadPoolExecutor(4) as pool:
        paths = list(pool.map(lambda _: build_index(ONTO, cache_dir=tmp_path, force=False), range(4)))
    assert len(set(paths)) == 1 and (paths[0] / "manifest.json").is_file()
    leftovers = [p for p in paths[0].parent.iterdir() if p.name.startswith(".build-")]
    assert leftovers == []


def _write_umls(folder, rows, stys):
    folder.mkdir()
    with open(folder / "MRCONSO.RRF", "w") as f:
        for i, (cui, text) in enumerate(rows):
            f.write(f"{cui}|ENG|P|L{i}|PF|S{i}|Y|A{i}||||MTH|PT||{text}|0|N||\n")
        f.write("C0032227|FRE|P|L9|PF|S9|Y|A9||||MSHFRE|PT||epanchement pleural|0|N||\n")
    with open(folder / "MRSTY.RRF", "w") as f:
        for cui, tui in stys.items():
            f.write(f"{cui}|{tui}|B|Name|AT|0|\n")


def test_full_umls_strings_map_through_the_cui_sets(tmp_path, parse):
    umls = tmp_path / "META"
    _write_umls(
        umls,
        [("C0032227", "Fluid in pleural cavity"), ("C0000001", "Zebra lung disease"), ("C0000002", "Zebra bone")],
        {"C0032227": "T047", "C0000001": "T047", "C0000002": "T023"},
    )
    sent = parse("Fluid in pleural cavity and zebra lung disease and zebra bone.")
    ignore = ConceptFinder(umls_dir=umls, cache_dir=tmp_path / "c1", threshold=None)
    assert [(m.finding, m.cui, m.text) for m in ignore.find(sent)] == [("Effusion", "C0032227", "Fluid in pleural cavity")]
    other = ConceptFinder(umls_dir=umls, unmapped="other", cache_dir=tmp_path / "c2", threshold=None)
    found = [(m.finding, m.cui) for m in other.find(sent)]
    assert ("OTHER", "C0000001") in found and ("OTHER", "C0000002") not in found  # anatomy is no disorder


def test_missing_umls_files_fail_with_o405(tmp_path):
    with pytest.raises(OntologyError) as err:
        build_index(ONTO, tmp_path, cache_dir=tmp_path)
    assert err.value.code == "O405"


@pytest.mark.slow
def test_stock_quickumls_runs_on_the_index_without_downloads(tmp_path):
    index = build_index(ONTO, cache_dir=tmp_path)
    matcher = quickumls_matcher(index, threshold=0.9)
    hits = matcher.match("There is a small right pleural effusion.", best_match=True, ignore_syntax=False)
    cuis = {h["cui"] for group in hits for h in group}
    assert "C0032227" in cuis


def test_bracketed_pattern_elements_are_the_mention_and_context_is_not(finder, parse):
    ms = finder.find(parse("Small right pleural effusion versus thickening."))
    assert [(m.finding, m.text) for m in ms] == [("Effusion", "pleural effusion"), ("Pleural_Thickening", "thickening")]


def test_whole_study_and_regional_normal_statements_have_their_own_cuis(finder, parse):
    study = finder.find(parse("Negative for acute cardiopulmonary disease."))
    region = finder.find(parse("The lungs are otherwise clear."))
    assert [(m.finding, m.cui) for m in study] == [(NORMAL, "CXR:normal")]
    assert [(m.finding, m.cui) for m in region] == [(NORMAL, "CXR:normal-region")]


def test_fuzzy_match_never_drops_a_word(finder, parse):
    # "acute cardiopulmonary abnormality" is 0.9-similar to "no acute cardiopulmonary
    # abnormality" but without its negation it states the opposite
    ms = finder.find(parse("Acute cardiopulmonary abnormality cannot be excluded."))
    assert NORMAL not in {m.finding for m in ms}


def test_unwritable_cache_fails_with_o407(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OntologyError) as err:
        build_index(ONTO, cache_dir=blocker)
    assert err.value.code == "O407" and "CXRLABEL_CACHE_DIR" in str(err.value)


# NegBio's phrase list (../shared/data/reference/cxr14_phrases_v2.yml) checked against ours.
# Every difference is deliberate; the reason is written here so the list stays honest.
NEGBIO_FINDING = {"Pleural Effusion": "Effusion", "Pleural Thickening": "Pleural_Thickening"}
NEGBIO_DIFFERENT = {
    "atelecta": "regex stem; our terms spell the words out (atelectasis, atelectatic, ...)",
    "consolidat": "regex stem; consolidation/consolidative/consolidated/consolidating are terms",
    "opaci": "regex stem; opacity/opacities/opacification are OTHER terms",
    "degenera": "regex stem; degenerative change(s)/disease are OTHER terms",
    "calcifi": "regex stem; calcification(s)/calcified are OTHER terms",
    "hyperinflat": "regex stem; hyperinflation/hyperinflated are OTHER terms",
    "atherosclero": "regex stem; atherosclerosis/atherosclerotic are OTHER terms",
    "inflam": "regex stem; inflammation/inflammatory are OTHER terms",
    "prominen": "regex stem; only specific prominences (hilar, vascular) are abnormal",
    "reticula": "regex stem; reticular/reticulation are OTHER terms",
    "arthroplast": "regex stem; arthroplasty is an OTHER term",
    "defib": "regex stem; defibrillator is an OTHER term",
    "\\blines?\\b": "regex; bare 'line' names pleural/Kerley lines as often as devices",
    "\\btubes?\\b": "regex; tube/tubes are OTHER terms",
    "\\bicd?\\b": "regex; icd is an OTHER term",
    "\\bdrain?\\b": "regex; drain/drains are OTHER terms",
    "the heart": "anatomy, not a finding; cardiomegaly statements are terms and patterns",
    "heart size": "anatomy; 'heart size is enlarged/borderline' are patterns",
    "cardiac size": "anatomy; 'cardiac size ... enlarged' is a pattern",
    "cardiac shadow": "anatomy; 'cardiac shadow ... enlarged' is a pattern",
    "cardiac contour": "anatomy, not a finding",
    "cardiac silhouette": "anatomy; 'enlarged cardiac silhouette' and patterns are terms",
    "heart failure": "a clinical syndrome (congestion without edema .. frank edema): OTHER",
    "chf": "a clinical syndrome (congestion without edema .. frank edema): OTHER",
    "infection": "also bronchitis, TB, fungal or septic disease on a radiograph: OTHER",
    "infectious process": "also bronchitis, TB, fungal or septic disease: OTHER",
    "infectious": "also bronchitis, TB, fungal or septic disease: OTHER",
    "vascular congestion": "not edema by itself: OTHER",
    "pulmonary congestion": "not edema by itself: OTHER",
    "vascular prominence": "not edema by itself: OTHER",
    "indistinctness": "a sign, not edema by itself: OTHER",
    "blunt": "costophrenic blunting is a sign (effusion, thickening or scar): OTHER",
    "thoracentesis": "a procedure: OTHER (post-procedural), not a finding of effusion",
    "metastasis": "a diagnosis, not a radiographic mass: OTHER",
    "mediastinum": "anatomy", "cardiomediastinum": "anatomy", "contour": "anatomy",
    "mediastinal configuration": "anatomy", "mediastinal silhouette": "anatomy",
    "pericardial silhouette": "anatomy", "cardiac silhouette and vascularity": "anatomy",
    "fissure": "anatomy", "marker": "a radiographic marker is not an abnormality",
    "valve": "anatomy unless replaced ('valve replacement', 'prosthetic valve' are terms)",
    "support": "not a finding word", "equipment": "not a finding word",
    "apparatus": "not a finding word", "elevation": "only of a (hemi)diaphragm, a term and pattern",
    "hypertension": "systemic hypertension is no chest finding; 'pulmonary hypertension' is a term",
    "radiopaque": "an adjective; 'radiopaque foreign body' is a term",
    "interstitial lung": "a fragment; 'interstitial lung disease' is an OTHER term",
}


@pytest.mark.data
def test_negbio_phrases_are_covered_or_deliberately_different(finder, parser, data_path):
    import yaml

    negbio = yaml.safe_load(data_path("reference/cxr14_phrases_v2.yml").read_text())
    cases = []
    for name, spec in negbio.items():
        finding = NEGBIO_FINDING.get(name, name)
        for phrase in spec.get("include", []):
            phrase = phrase.strip()
            if phrase not in NEGBIO_DIFFERENT:
                cases.append((finding, phrase, "include"))
        for phrase in spec.get("exclude", []):
            cases.append((finding, phrase.strip(), "exclude"))
    sents = parser.parse([f"There is {p}." for _, p, _ in cases])
    problems = []
    for (finding, phrase, kind), sent in zip(cases, sents):
        got = {m.finding for m in finder.find(sent)}
        if kind == "exclude":
            ok = finding not in got
        elif finding in ONTO.findings:
            ok = finding in got
        else:  # NegBio's other categories must at least be abnormal (OTHER or one of the 14)
            ok = bool(got - {NORMAL})
        if not ok:
            problems.append(f"{kind} {finding}: {phrase!r} -> {sorted(got)}")
    assert not problems, "\n".join(problems)
