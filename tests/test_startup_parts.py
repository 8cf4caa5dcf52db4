"""The start-up shortcuts (issue 14) change nothing but time: spaCy's saved tokenizer loaded
once, the fuzzy lookup without importing quickumls, rule YAML through libyaml, Punkt without
the rest of NLTK (nor scipy) — each gives what the slow way gives."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO


def _run(code, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_the_pipeline_tokenizer_is_the_one_a_plain_spacy_load_gives():
    from cxrlabel.parsers import spacy as backend

    ours = backend.SpacyParser().nlp
    full = backend.import_spacy().load(backend.DEFAULT_MODEL)
    plain = backend.import_spacy().load(backend.DEFAULT_MODEL, exclude=[c for c in full.component_names if c not in ours.component_names])
    assert ours.tokenizer.to_bytes() == plain.tokenizer.to_bytes()
    assert ours.pipe_names == plain.pipe_names
    text = "No pneumothorax. 5.2 cm RLL nodule, s/p CABG; e.g. Dr. X's note (r/o PNA)."
    assert [t.text for t in ours(text)] == [t.text for t in plain(text)]


def test_fuzzy_lookup_gives_what_quickumls_reader_gives():
    pytest.importorskip("quickumls")
    from quickumls.toolbox import SimstringDBReader, get_similarity

    from cxrlabel.concepts import ConceptFinder
    from cxrlabel.concepts.index import SimstringReader, trigram_jaccard

    db = ConceptFinder().index_dir / "umls-simstring.db"
    ours, theirs = SimstringReader(db, "jaccard", 0.7), SimstringDBReader(str(db), "jaccard", 0.7)
    for term in ("pleural efusion", "cardiomegally", "pneumothoraces", "atelectasis", "café lung", "xq"):
        assert sorted(ours.get(term)) == sorted(theirs.get(term))
    for x, y in (("effusion", "efusion"), ("ab", "abc"), ("", "x"), ("edema", "edema"), ("a", "b")):
        assert trigram_jaccard(x, y) == get_similarity(x, y, 3, "jaccard")


def test_rule_yaml_reads_the_same_through_libyaml_positions_included():
    from cxrlabel.rules import yamlsrc
    from cxrlabel.rules.packs import grammar_dir

    def located(v):
        if isinstance(v, dict):
            return [(k, (p.line, p.col), located(v[k])) for k, p in v.val_pos.items()]
        if isinstance(v, list):
            return [((p.line, p.col), located(x)) for p, x in zip(v.item_pos, v)]
        return v

    files = [p for p in grammar_dir().iterdir() if p.name.endswith(".yaml")]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert located(yamlsrc.load_located(text)) == located(yamlsrc.load_located(text, fast=False)), path.name


def test_a_bad_rule_file_keeps_the_pure_python_loaders_message():
    from cxrlabel.rules.yamlsrc import YamlProblem, load_located

    with pytest.raises(YamlProblem) as err:
        load_located("rules:\n  - id: a\n    path: [unclosed\n")
    assert err.value.line >= 1 and "flow sequence" in err.value.message
    assert load_located("a: no\nb: true\n") == {"a": "no", "b": True}  # YAML 1.2 booleans as before


def test_labeling_imports_neither_scipy_nor_quickumls_and_scipy_still_imports(tmp_path):
    pytest.importorskip("scipy")
    code = textwrap.dedent("""
        import sys
        import cxrlabel
        assert cxrlabel.label("No pneumothorax. Small left pleural effusion, old rib fractures.")["Effusion"].value == "positive"
        print("loaded:", sorted(m for m in ("scipy", "quickumls") if m in sys.modules))
        import scipy.stats
        print("scipy works:", scipy.stats.norm.cdf(0) == 0.5)
    """)
    out = _run(code, tmp_path)
    assert "loaded: []" in out and "scipy works: True" in out


_NLTK_USE = """
import sys
{before}
import nltk
version = nltk.__version__
import nltk.corpus
from nltk.tokenize import PunktSentenceTokenizer, word_tokenize
import nltk.tokenize.punkt as punkt
print("version", version, type(nltk).__name__, type(nltk.tokenize).__name__)
print("punkt", nltk.tokenize.punkt is punkt, PunktSentenceTokenizer is punkt.PunktSentenceTokenizer, word_tokenize.__module__)
print("dir", sorted(dir(nltk)))
print("dir tokenize", sorted(dir(nltk.tokenize)))
print("modules", sorted(m for m in sys.modules if m == "nltk" or m.startswith("nltk.")))
"""


def test_labeling_runs_only_punkt_of_nltk(tmp_path):
    out = _run(textwrap.dedent("""
        import sys
        import cxrlabel
        from cxrlabel.sentences import PunktSentenceTokenizer
        assert cxrlabel.label("No pneumothorax. Dr. Smith saw a 5 mm nodule.")["Nodule"].value == "positive"
        print(sorted(m for m in sys.modules if m.startswith("nltk.") and not m.startswith("nltk.tokenize")))
        print(type(sys.modules["nltk"]).__name__, PunktSentenceTokenizer.__module__)
    """), tmp_path)
    loaded, kind = out.splitlines()
    assert "nltk.collocations" not in loaded and "nltk.corpus" not in loaded and "nltk.probability" in loaded
    assert kind == "_UnrunPackage nltk.tokenize.punkt"


def test_nltk_used_after_cxrlabel_is_the_whole_of_nltk(tmp_path):
    plain = _run(_NLTK_USE.format(before=""), tmp_path)
    after = _run(_NLTK_USE.format(before="import cxrlabel.sentences"), tmp_path)
    assert "version 3" in plain and "punkt True True nltk.tokenize" in plain
    assert after == plain  # same names in nltk and nltk.tokenize, same modules, one punkt


def test_importing_an_nltk_submodule_first_runs_its_packages_first(tmp_path):
    code = textwrap.dedent("""
        import sys
        import cxrlabel.sentences
        import {name}
        print(type(sys.modules["nltk"]).__name__, type(sys.modules["nltk.tokenize"]).__name__,
              callable(nltk.tokenize.word_tokenize), callable(nltk.pos_tag))
    """)
    for name in ("nltk.tokenize.treebank", "nltk.corpus.reader"):  # below nltk.tokenize, below nltk
        assert _run(code.format(name=name), tmp_path).split() == ["module", "module", "True", "True"], name
