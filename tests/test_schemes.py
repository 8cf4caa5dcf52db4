"""Label schemes: the default keeps today's output, chexpert speaks the CheXpert labeler's
columns and conventions, and a user's scheme is a folder plus one registration."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

import cxrlabel
from cxrlabel.cli import main
from cxrlabel.errors import GoldError, OntologyError, PluginError
from cxrlabel.gold import evaluate
from cxrlabel.schemes import get_scheme, load_scheme
from cxrlabel.types import FINDINGS, Label

CHEXPERT_COLUMNS = (
    "No Finding", "Enlarged Cardiomediastinum", "Cardiomegaly", "Lung Lesion", "Lung Opacity", "Edema",
    "Consolidation", "Pneumonia", "Atelectasis", "Pneumothorax", "Pleural Effusion", "Pleural Other",
    "Fracture", "Support Devices",
)


def test_the_default_scheme_keys_and_columns_are_the_chestxray14_ones():
    r = cxrlabel.label("Small left pleural effusion. No pneumothorax.")
    assert tuple(r) == FINDINGS and get_scheme().findings == FINDINGS
    assert tuple(r.to_chexpert()) == (*FINDINGS, "No Finding")
    assert r["Effusion"] is Label.POSITIVE and r.scheme == "chestxray14@1.0"


def test_chexpert_scheme_writes_the_chexpert_labelers_columns_in_its_order():
    r = cxrlabel.label("Small left pleural effusion. No pneumothorax.", scheme="chexpert")
    assert tuple(r.to_chexpert()) == CHEXPERT_COLUMNS
    assert r["Pleural Effusion"] is Label.POSITIVE and r["Pneumothorax"] is Label.NEGATIVE
    with pytest.raises(KeyError, match="Pleural Effusion"):
        r["Effusion"]


def test_no_finding_ignores_support_devices_only_in_the_chexpert_scheme():
    text = "Right internal jugular central line in place. Lungs are clear."
    chexpert = cxrlabel.label(text, scheme="chexpert")
    assert chexpert["Support Devices"] is Label.POSITIVE
    assert chexpert["No Finding"] is Label.POSITIVE and chexpert.to_chexpert()["No Finding"] == 1.0
    assert cxrlabel.label(text).normal is False  # a device is an OTHER abnormality in chestxray14


def test_an_abnormality_outside_the_observations_does_not_block_no_finding_in_chexpert():
    text = "Moderate thoracic scoliosis. No pleural effusion."
    assert cxrlabel.label(text, scheme="chexpert")["No Finding"] is Label.POSITIVE
    assert cxrlabel.label(text)["No Finding"] is None


def test_a_chestxray14_finding_the_chexpert_scheme_lacks_is_an_other_abnormality_there():
    scheme = get_scheme("chexpert")
    other = {o.name for o in scheme.ontology.other}
    assert {"Emphysema", "Fibrosis", "Hernia"} <= other
    assert scheme.translate("Effusion") == "Pleural Effusion" and scheme.translate("Emphysema") is None


def test_each_scheme_has_its_own_labeler_fingerprint():
    a, b = cxrlabel.Labeler(), cxrlabel.Labeler(scheme="chexpert")
    assert a.fingerprint != b.fingerprint  # the sentence memo never mixes the two


def test_an_unknown_scheme_name_is_x701_listing_the_schemes():
    with pytest.raises(PluginError, match="chexpert") as err:
        get_scheme("chexpertt")
    assert err.value.code == "X701"


def _folder(tmp_path: Path, scheme_yaml: str, findings_yaml: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "scheme.yaml").write_text(scheme_yaml, encoding="utf-8")
    (tmp_path / "findings.yaml").write_text(findings_yaml, encoding="utf-8")
    return tmp_path


def test_a_malformed_scheme_file_is_o408_naming_the_file(tmp_path):
    folder = _folder(tmp_path, 'name: x\nversion: "1"\ncolumns: [a]\n', 'version: "1"\nfindings: {A: {cui: C1}}\n')
    with pytest.raises(OntologyError, match="scheme.yaml.*unknown key") as err:
        load_scheme(folder)
    assert err.value.code == "O408"


def test_taking_an_unknown_base_finding_is_o409(tmp_path):
    folder = _folder(tmp_path, 'name: x\nversion: "1"\nbase: chestxray14\n',
                     'version: "1"\nfindings: {Pleural: {from: [Effusions]}}\n')
    with pytest.raises(OntologyError, match="Effusions") as err:
        load_scheme(folder).ontology
    assert err.value.code == "O409"


def test_a_users_scheme_folder_registers_by_name_and_regroups_the_base_findings(tmp_path):
    from cxrlabel.registry import schemes

    folder = _folder(tmp_path, 'name: two\nversion: "1"\nbase: chestxray14\n',
                     'version: "1"\nfindings:\n  Pleural Abnormality: {from: [Effusion, Pleural_Thickening]}\n'
                     '  Fracture: {from_other: [fracture]}\n')
    schemes.register("two-findings", folder)
    r = cxrlabel.label("Small effusion. Old healed left rib fracture. Mild pleural thickening.", scheme="two-findings")
    assert tuple(r) == ("Pleural Abnormality", "Fracture")
    assert r["Pleural Abnormality"] is Label.POSITIVE and r["Fracture"] is Label.POSITIVE


def test_label_many_takes_a_scheme_and_keeps_the_text():
    df = cxrlabel.label_many(["No pneumothorax.", "Cardiomegaly."], scheme="chexpert", keep_text=True, progress=False, cache=None)
    assert list(df.columns) == ["id", "Reports", *CHEXPERT_COLUMNS, "error"]
    assert df.loc[1, "Cardiomegaly"] == 1.0 and df.loc[0, "Reports"] == "No pneumothorax."


def test_label_cli_with_chexpert_scheme_writes_the_drop_in_csv(tmp_path):
    src = tmp_path / "r.csv"
    src.write_text('id,report\na,"Heart size is normal. No effusion."\nb,"Left lower lobe opacity."\n', encoding="utf-8")
    out = CliRunner().invoke(main, ["label", str(src), "--scheme", "chexpert", "--keep-text", "--no-cache"])
    assert out.exit_code == 0, out.output
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0] == ["id", "Reports", *CHEXPERT_COLUMNS, "error"]
    first = dict(zip(rows[0], rows[1]))
    assert first["Cardiomegaly"] == "0" and first["Pleural Effusion"] == "0" and first["No Finding"] == "1"
    assert dict(zip(rows[0], rows[2]))["Lung Opacity"] == "1"


def test_list_schemes_names_both_builtins():
    out = CliRunner().invoke(main, ["list", "schemes"])
    assert out.exit_code == 0 and "chestxray14\tbuiltin" in out.output and "chexpert\tbuiltin" in out.output


def _chexpert_gold(tmp_path: Path) -> Path:
    header = ["id", "Report Impression", *CHEXPERT_COLUMNS]
    rows = [
        ["1", "No pleural effusion. Cardiomegaly.", "", "", "1", "", "", "", "", "", "", "", "0", "", "", ""],
        ["2", "Possible small left pleural effusion.", "", "", "", "", "", "", "", "", "", "", "-1", "", "", ""],
        ["3", "Lungs are clear.", "1", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    ]
    path = tmp_path / "gold.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def test_chexpert_format_gold_is_scored_on_the_papers_three_tasks_with_no_finding(tmp_path):
    res = evaluate(str(_chexpert_gold(tmp_path)), scheme="chexpert")
    three = res.three_way
    assert three is not None and set(three["No Finding"]) == {"mention", "positive"}
    assert three["Pleural Effusion"]["mention"].f1 == 1.0 and three["Pleural Effusion"]["uncertain"].f1 == 1.0
    members = res.three_way_members()
    assert "No Finding" in members["mention"] and "No Finding" not in members["negative"]
    assert members["uncertain"] == ("Pleural Effusion",)  # only it has a gold -1
    assert res.three_way_macro()["mention"].f1 == 1.0


def test_chexpert_gold_scored_with_the_default_scheme_uses_only_the_shared_names(tmp_path):
    res = evaluate(str(_chexpert_gold(tmp_path)))  # chestxray14: Pleural Effusion is aliased to Effusion
    assert "Effusion" in res.findings and "Cardiomegaly" in res.findings and "Lung Opacity" not in res.findings


def test_a_gold_that_shares_no_finding_with_the_scheme_is_g524():
    import pandas as pd

    from cxrlabel.gold.goldset import GoldSet

    gold = GoldSet("mine", ("1",), ("No effusion.",), pd.DataFrame({"Effusion": [0.0]}, index=["1"]))
    with pytest.raises(GoldError, match="--scheme") as err:
        evaluate(gold, scheme="chexpert")  # Effusion is chexpert's Pleural Effusion, by another name
    assert err.value.code == "G524"


def test_a_csv_gold_without_any_column_of_the_scheme_is_g510_naming_the_scheme(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("id,report,Emphysema\n1,No emphysema.,0\n", encoding="utf-8")
    with pytest.raises(GoldError, match="chexpert scheme") as err:
        evaluate(str(path), scheme="chexpert")
    assert err.value.code == "G510"


def test_rule_examples_written_in_base_names_are_read_in_the_schemes_names():
    from cxrlabel.rules import Rule  # noqa: F401  (the examples module takes any rules)
    from cxrlabel.rules.examples import run_examples
    from cxrlabel.rules.packs import load_pack

    rules = [r for r in load_pack("table6") if any("Effusion" in ex.expect for ex in r.examples)][:2]
    results = run_examples(rules, cxrlabel.Labeler(scheme="chexpert"))
    assert results and all("Pleural Effusion" in r.expected for r in results if "Effusion" not in r.expected)
    assert all(r.passed for r in results)
