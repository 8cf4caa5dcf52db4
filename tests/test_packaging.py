"""The wheel carries grammars/ and ontology/ as package data and works outside the source tree."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(REPO)],
        check=True,
    )
    (whl,) = out.glob("cxrlabel-*.whl")
    return whl


def test_wheel_contains_the_shipped_grammars_and_ontology_as_real_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in (REPO / "grammars").glob("*.yaml"):
        assert f"cxrlabel/_data/grammars/{f.name}" in names
    for f in (REPO / "ontology").glob("*.yaml"):
        assert f"cxrlabel/_data/ontology/{f.name}" in names
    assert "cxrlabel/rules/path.lark" in names
    assert any(n.startswith("cxrlabel_vision/") for n in names)


def test_installed_wheel_loads_a_shipped_rule_pack_and_the_ontology_outside_the_source_tree(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True,
    )
    code = (
        "import cxrlabel, pathlib\n"
        "from cxrlabel.rules import load_pack\n"
        "from cxrlabel.rules.packs import grammar_dir\n"
        "from cxrlabel.ontology import load_ontology\n"
        "assert pathlib.Path(cxrlabel.__file__).is_relative_to(pathlib.Path(r'%s'))\n"
        "assert not pathlib.Path(str(grammar_dir())).is_symlink()\n"
        "rules = load_pack('clinical')\n"
        "onto = load_ontology()\n"
        "print(len(rules), len(onto.findings))\n"
    ) % target
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    n_rules, n_findings = map(int, out.stdout.split())
    assert n_rules > 50 and n_findings == 14
