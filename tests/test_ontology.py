"""The ontology files load, are complete and consistent, and malformed ones fail with O4xx codes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cxrlabel.cli import main
from cxrlabel.errors import OntologyError
from cxrlabel.ontology import NORMAL, Pattern, load_ontology, normalize_phrase
from cxrlabel.types import FINDINGS, OTHER

REPO = Path(__file__).resolve().parents[1]
CVPR_CUIS = REPO.parent / "shared" / "data" / "reference" / "cuis-cvpr2017.txt"


@pytest.fixture(scope="module")
def onto():
    return load_ontology()


def test_every_finding_has_cuis_terms_and_a_preferred_name(onto):
    assert list(onto.findings) == list(FINDINGS)
    for f in onto.findings.values():
        assert f.cuis and f.terms and f.preferred
        assert f.cui in f.cuis


def test_the_cui_sets_do_not_overlap(onto):
    seen: dict[str, str] = {}
    for f in onto.findings.values():
        for cui in f.cuis:
            assert cui not in seen, f"{cui} in both {seen.get(cui)} and {f.name}"
            seen[cui] = f.name


def test_finding_of_cui_maps_the_sets_other_and_normal(onto):
    assert onto.finding_of_cui("C0032227") == "Effusion"
    assert onto.finding_of_cui("C0264494") == "Atelectasis"
    assert onto.finding_of_cui("C0018188") == OTHER  # granuloma
    assert onto.finding_of_cui("CXR:normal") == NORMAL
    assert onto.finding_of_cui("CXR:normal-region") == NORMAL
    assert onto.finding_of_cui("C9999999") is None


def test_pericardial_effusion_and_subcutaneous_emphysema_cuis_are_not_findings(onto):
    assert "C0031039" in onto.findings["Effusion"].excluded_cuis
    assert "C0038536" in onto.findings["Emphysema"].excluded_cuis
    assert onto.finding_of_cui("C0031039") == OTHER
    assert onto.finding_of_cui("C0038536") == OTHER


def test_every_cvpr2017_cui_is_mapped_or_deliberately_excluded(onto, data_path):
    path = data_path("reference/cuis-cvpr2017.txt")
    cuis = [c.strip() for c in path.read_text().split() if c.strip()]
    assert len(cuis) == 48
    excluded = {c for f in onto.findings.values() for c in f.excluded_cuis}
    for cui in cuis:
        assert onto.finding_of_cui(cui) in FINDINGS or cui in excluded, cui


def test_no_phrase_is_both_one_of_the_14_and_other_unless_excluded(onto):
    other = {normalize_phrase(t) for o in onto.other for t in o.terms}
    for f in onto.findings.values():
        clash = {normalize_phrase(t) for t in f.terms} & other
        assert not clash, f"{f.name}: {sorted(clash)} also listed under OTHER"


def test_hiatal_hernia_stays_a_hernia(onto):
    assert "hiatal hernia" in onto.findings["Hernia"].terms


def test_versions_agree_and_hash_changes_with_content(onto, tmp_path):
    assert onto.version
    copy = tmp_path / "onto"
    shutil.copytree(onto.source, copy)
    same = load_ontology(copy)
    assert same.content_hash == onto.content_hash
    (copy / "other.yaml").write_text((copy / "other.yaml").read_text() + "  - name: extra\n    terms: [zebra sign]\n")
    assert load_ontology(copy).content_hash != onto.content_hash


def test_missing_folder_fails_with_o401(tmp_path):
    with pytest.raises(OntologyError) as err:
        load_ontology(tmp_path / "nowhere")
    assert err.value.code == "O401"


def test_missing_finding_fails_with_o402_naming_it(onto, tmp_path):
    copy = tmp_path / "onto"
    shutil.copytree(onto.source, copy)
    text = (copy / "findings.yaml").read_text().replace("  Hernia:", "  Herniaa:")
    (copy / "findings.yaml").write_text(text)
    with pytest.raises(OntologyError) as err:
        load_ontology(copy)
    assert err.value.code == "O402" and "Hernia" in str(err.value)


def test_disagreeing_versions_fail_with_o402(onto, tmp_path):
    copy = tmp_path / "onto"
    shutil.copytree(onto.source, copy)
    (copy / "normal.yaml").write_text((copy / "normal.yaml").read_text().replace('version: "1.0"', 'version: "9.9"'))
    with pytest.raises(OntologyError, match="disagree") as err:
        load_ontology(copy)
    assert err.value.code == "O402"


@pytest.mark.parametrize("bad", ["... heart", "heart ... ... enlarged", "heart ...", "heart a|b|c d ...9 x"])
def test_malformed_patterns_fail_with_o403(bad):
    with pytest.raises(OntologyError) as err:
        Pattern.parse(bad, "Cardiomegaly", "C0018800", "test")
    assert err.value.code == "O403"


def test_pattern_gaps_default_to_four_and_accept_a_count():
    p = Pattern.parse("pleural opacity ...7 thickening|thickened", "Pleural_Thickening", "C", "t")
    assert p.elements == (frozenset({"pleural"}), frozenset({"opacity"}), 7, frozenset({"thickening", "thickened"}))
    assert Pattern.parse("heart ... enlarged", "Cardiomegaly", "C", "t").elements[1] == 4


def test_normalize_phrase_reads_hyphens_and_slashes_as_spaces():
    assert normalize_phrase("  Air-Space   disease ") == "air space disease"
    assert normalize_phrase("thickening/scarring") == "thickening scarring"


def test_cli_show_lists_every_finding_other_and_normal():
    res = CliRunner().invoke(main, ["ontology", "show"])
    assert res.exit_code == 0, res.output
    for name in (*FINDINGS, "OTHER", "NORMAL"):
        assert name in res.output


def test_cli_show_one_finding_prints_cuis_terms_and_exclusions():
    res = CliRunner().invoke(main, ["ontology", "show", "Effusion"])
    assert res.exit_code == 0, res.output
    assert "C0032227" in res.output and "pleural fluid" in res.output and "pericardial effusion" in res.output


def test_cli_show_unknown_finding_fails_listing_the_valid_names():
    res = CliRunner().invoke(main, ["ontology", "show", "Pneumonitis"])
    assert res.exit_code == 2
    assert "O406" in res.output and "Pleural_Thickening" in res.output


def test_bracketed_elements_are_the_pattern_focus():
    p = Pattern.parse("effusion|fluid versus|or [thickening]", "Pleural_Thickening", "C", "t")
    assert p.focus == frozenset({2})
    assert p.elements[2] == frozenset({"thickening"})
