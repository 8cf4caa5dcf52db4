"""OpenI reports and the MeSH-derived gold standard."""

from __future__ import annotations

import hashlib
import tarfile

import pandas as pd
import pytest

from cxrlabel.errors import GoldError
from cxrlabel.gold import mesh
from cxrlabel.gold.openi import (
    download_reports,
    load_openi,
    load_testset_ids,
    locate_reports,
    parse_report_xml,
    read_reports,
)
from conftest import require_data


def _xml(n: int, findings: str = "", impression: str = "", majors=("normal",), images=1,
         comparison: str = "None.", indication: str = "Cough.") -> bytes:
    major = "".join(f"<major>{m}</major>" for m in majors)
    imgs = "".join(f'<parentImage id="CXR{n}_IM-{i}"><figureId>F{i}</figureId></parentImage>' for i in range(images))
    return f"""<?xml version="1.0" encoding="utf-8"?>
<eCitation><uId id="CXR{n}"/><MedlineCitation><Article><Abstract>
<AbstractText Label="COMPARISON">{comparison}</AbstractText>
<AbstractText Label="INDICATION">{indication}</AbstractText>
<AbstractText Label="FINDINGS">{findings}</AbstractText>
<AbstractText Label="IMPRESSION">{impression}</AbstractText>
</Abstract></Article></MedlineCitation>
<MeSH>{major}<automatic>auto term</automatic></MeSH>{imgs}</eCitation>""".encode()


# --- the MeSH mapping ------------------------------------------------------------------


def test_descriptor_ignores_qualifiers_case_and_repeated_spaces():
    assert mesh.descriptor("Subcutaneous  Emphysema/right") == "subcutaneous emphysema"
    assert mesh.descriptor("Cardiomegaly/borderline") == "cardiomegaly"
    assert mesh.descriptor("Technical Quality of Image Unsatisfactory ") == "technical quality of image unsatisfactory"


def test_qualifiers_never_change_the_finding():
    assert mesh.derive_labels(["Cardiomegaly/borderline"])["Cardiomegaly"] == 1
    assert mesh.derive_labels(["Thickening/bronchovascular"])["Pleural_Thickening"] == 1
    assert mesh.derive_labels(["Pulmonary Atelectasis/base/left/mild"])["Atelectasis"] == 1


def test_pericardial_effusion_counts_as_effusion():
    assert mesh.derive_labels(["Pericardial Effusion/mild"])["Effusion"] == 1


def test_lookalike_descriptors_are_not_findings():
    labels = mesh.derive_labels(
        ["Hernia, Hiatal/large", "Subcutaneous Emphysema/neck", "Cystic Fibrosis", "Hydropneumothorax/right"]
    )
    assert sum(labels.values()) == 0
    for term in ("hernia, hiatal", "subcutaneous emphysema", "cystic fibrosis", "hydropneumothorax"):
        assert term in mesh.NOT_MAPPED


def test_normal_needs_the_normal_term_not_just_absent_findings():
    assert mesh.derive_labels(["normal"])["normal"] == 1
    assert mesh.derive_labels(["Calcified Granuloma/lung"])["normal"] == 0
    assert mesh.derive_labels(["Opacity/lung/multiple/abnormal"])["normal"] == 0


@pytest.mark.data
def test_mesh_derivation_reproduces_the_openi_gold_csv_in_every_cell():
    reports = require_data("openi/NLMCXR_reports.tgz")
    ref = pd.read_csv(require_data("openi/openi_gld_std14.csv")).set_index("filename")
    gold = load_openi(reports)
    assert len(gold) == 3851 == len(ref)
    assert set(gold.ids) == set(ref.index)
    assert list(ref.columns) == list(mesh.GOLD_COLUMNS)
    derived = gold.labels.loc[ref.index, list(ref.columns)].astype(int)
    mismatches = (derived != ref).sum()
    assert mismatches.sum() == 0, mismatches[mismatches > 0].to_dict()
    assert gold.labels["Hernia"].sum() == 0


# --- reading reports ------------------------------------------------------------------------


def test_report_text_keeps_section_headers():
    r = parse_report_xml(_xml(7, findings="Mild cardiomegaly.", impression="No acute disease."))
    assert r.id == "CXR7"
    assert r.text == "FINDINGS: Mild cardiomegaly.\nIMPRESSION: No acute disease."
    assert r.major == ("normal",) and r.automatic == ("auto term",) and len(r.images) == 1


def test_report_without_findings_or_impression_is_labeled_whole():
    r = parse_report_xml(_xml(8, comparison="None.", indication="Chest pain, no effusion"))
    assert r.text == "COMPARISON: None.\nINDICATION: Chest pain, no effusion"


def test_impression_alone_is_used_when_findings_are_empty():
    r = parse_report_xml(_xml(9, impression="Small left effusion."))
    assert r.text == "IMPRESSION: Small left effusion."


def test_malformed_xml_is_a_gold_error_naming_the_file():
    with pytest.raises(GoldError) as exc:
        parse_report_xml(b"<eCitation><uId", "x/12.xml")
    assert exc.value.code == "G503" and "x/12.xml" in str(exc.value)


def test_reports_read_from_a_folder_or_tarball_keep_only_imaged_ones_in_the_gold(tmp_path):
    folder = tmp_path / "ecgen-radiology"
    folder.mkdir()
    (folder / "10.xml").write_bytes(_xml(10, findings="Cardiomegaly.", majors=("Cardiomegaly/mild",)))
    (folder / "2.xml").write_bytes(_xml(2, findings="Clear.", images=0))
    (folder / "1.xml").write_bytes(_xml(1, findings="Clear."))
    assert [r.id for r in read_reports(folder)] == ["CXR1", "CXR2", "CXR10"]
    tgz = tmp_path / "reports.tgz"
    with tarfile.open(tgz, "w:gz") as tar:
        tar.add(folder, arcname="ecgen-radiology")
    testset = tmp_path / "test.txt"
    testset.write_text("CXR10\r\nCXR999\r\n")
    gold = load_openi(tgz, testset=testset)
    assert gold.ids == ("CXR1", "CXR10")
    assert gold.labels.loc["CXR10", "Cardiomegaly"] == 1 and gold.labels.loc["CXR1", "normal"] == 1
    assert gold.split("test").ids == ("CXR10",) and gold.split("dev").ids == ("CXR1",)
    assert gold.scored == tuple(f for f in gold.findings if f != "Hernia")
    assert "Hiatal" in gold.notes["Hernia"]


def test_a_test_list_that_matches_no_report_is_an_error(tmp_path):
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "1.xml").write_bytes(_xml(1))
    bad = tmp_path / "test.txt"
    bad.write_text("1\n2\n")
    with pytest.raises(GoldError) as exc:
        load_openi(folder, testset=bad)
    assert exc.value.code == "G522"


@pytest.mark.data
def test_openi_splits_have_the_published_sizes():
    gold = load_openi(require_data("openi/NLMCXR_reports.tgz"))
    assert (len(gold.split("all")), len(gold.split("dev")), len(gold.split("test"))) == (3851, 3080, 771)


@pytest.mark.data
def test_packaged_test_ids_are_negbios_list():
    shared = require_data("openi/openi-testset.txt")
    assert load_testset_ids() == load_testset_ids(shared)
    assert len(load_testset_ids()) == 771


# --- locating and downloading the tarball --------------------------------------------------


def test_explicit_reports_path_wins_and_must_exist(tmp_path, monkeypatch):
    f = tmp_path / "mine.tgz"
    f.write_bytes(b"x")
    monkeypatch.setenv("CXRLABEL_OPENI_REPORTS", str(tmp_path / "other.tgz"))
    assert locate_reports(f) == f
    with pytest.raises(GoldError) as exc:
        locate_reports(tmp_path / "missing.tgz")
    assert exc.value.code == "G501"


def test_env_var_is_used_when_no_path_is_given(tmp_path, monkeypatch):
    f = tmp_path / "env.tgz"
    f.write_bytes(b"x")
    monkeypatch.setenv("CXRLABEL_OPENI_REPORTS", str(f))
    assert locate_reports() == f


def test_cached_copy_is_found_and_absence_says_where_to_put_the_file(tmp_path, monkeypatch):
    monkeypatch.delenv("CXRLABEL_OPENI_REPORTS", raising=False)
    monkeypatch.delenv("CXRLABEL_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(GoldError) as exc:
        locate_reports(download=False)
    msg = str(exc.value)
    assert exc.value.code == "G501" and "--reports" in msg and str(tmp_path / "cache") in msg
    cached = tmp_path / "cache" / "cxrlabel" / "openi" / "NLMCXR_reports.tgz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"x")
    assert locate_reports(download=False) == cached


def test_download_is_checked_against_its_sha256(tmp_path):
    src = tmp_path / "served.tgz"
    src.write_bytes(b"report bytes")
    good = hashlib.sha256(b"report bytes").hexdigest()
    dest = tmp_path / "cache" / "NLMCXR_reports.tgz"
    with pytest.raises(GoldError) as exc:
        download_reports(dest, url=src.as_uri(), sha256="0" * 64)
    assert exc.value.code == "G502" and not dest.exists()
    assert not list(dest.parent.iterdir())  # no partial file left behind
    assert download_reports(dest, url=src.as_uri(), sha256=good) == dest
    assert dest.read_bytes() == b"report bytes"


def test_unreachable_download_says_where_to_put_the_file(tmp_path):
    dest = tmp_path / "NLMCXR_reports.tgz"
    with pytest.raises(GoldError) as exc:
        download_reports(dest, url=(tmp_path / "nowhere.tgz").as_uri())
    assert exc.value.code == "G501" and "--reports" in str(exc.value) and str(dest) in str(exc.value)
