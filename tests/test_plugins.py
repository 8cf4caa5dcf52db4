"""Plugins through entry points, used from the command line.

A tiny third-party package (``cxrplug_demo``) is written into a temp folder together with a
``*.dist-info`` holding its ``entry_points.txt`` — exactly what ``pip install`` leaves in
site-packages — and put on ``PYTHONPATH`` of a ``cxrlabel`` subprocess. It adds a rule pack
(``cxrlabel.grammars``: a factory returning rules loaded from YAML), a gold standard
(``cxrlabel.gold``: a loader returning a :class:`cxrlabel.gold.GoldSet`), a subcommand
(``cxrlabel.commands``: a click command), a vision model (``cxrlabel.models``: a factory) and a
label scheme (``cxrlabel.schemes``: the Path of a scheme folder shipped beside the module).
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

PLUGIN_MODULE = '''
"""A demo cxrlabel plugin: a rule pack, a gold standard, a subcommand and a vision model."""
import pathlib

import click
import pandas as pd

from cxrlabel.gold import GoldSet

DEMO_SCHEME = pathlib.Path(__file__).with_name("demo_scheme")
from cxrlabel.rules import load_rules

RULES = """
name: demo
rules:
  - id: demo-vanished
    assigns: negative
    stage: negation
    description: '"X has vanished": the finding is gone.'
    path: DISEASE <- nsubj <- vanish
    examples:
      - {text: "Effusion has vanished.", expect: {Effusion: negative}}
"""


def demo_rules():
    return load_rules(RULES, filename="cxrplug_demo:RULES")


def demo_gold():
    ids = ("r1", "r2", "r3")
    texts = ("Effusion has vanished.", "Small left pleural effusion.", "No pneumothorax.")
    labels = pd.DataFrame(
        {"Effusion": [0.0, 1.0, float("nan")], "Pneumothorax": [float("nan"), float("nan"), 0.0]},
        index=list(ids),
    )
    return GoldSet(name="demo-gold", ids=ids, texts=texts, labels=labels)


@click.command("demo-hello")
@click.argument("who")
def demo_cmd(who):
    """Greet WHO (a demo subcommand)."""
    click.echo(f"hello {who}")


def demo_net(num_classes=14, weights=None, **kw):
    import torch

    from cxrlabel_vision import LSENet

    body = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=4, padding=1), torch.nn.ReLU())
    return LSENet(body, 8, num_classes, transition_dim=4)
'''

ENTRY_POINTS = """\
[cxrlabel.grammars]
demo-pack = cxrplug_demo:demo_rules

[cxrlabel.gold]
demo-gold = cxrplug_demo:demo_gold

[cxrlabel.commands]
demo-hello = cxrplug_demo:demo_cmd

[cxrlabel.models]
demo-net = cxrplug_demo:demo_net

[cxrlabel.schemes]
demo-scheme = cxrplug_demo:DEMO_SCHEME
"""

SCHEME_FILES = {
    "scheme.yaml": 'name: demo-scheme\nversion: "1"\nbase: chestxray14\nnormal: {column: Clear}\n',
    "findings.yaml": 'version: "1"\nfindings:\n  Pleura: {from: [Effusion, Pleural_Thickening]}\n  Air Leak: {from: [Pneumothorax]}\n',
}


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for a subprocess that sees the demo plugin as an installed distribution."""
    root = tmp_path_factory.mktemp("plugin")
    (root / "cxrplug_demo.py").write_text(PLUGIN_MODULE, encoding="utf-8")
    info = root / "cxrplug_demo-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cxrplug-demo\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    (root / "demo_scheme").mkdir()
    for name, text in SCHEME_FILES.items():
        (root / "demo_scheme" / name).write_text(text, encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root), *filter(None, [env.get("PYTHONPATH")])])
    return env


def cxrlabel(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    code = "import sys; from cxrlabel.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


def test_list_shows_builtin_packs_parsers_gold_and_policies() -> None:
    out = cxrlabel("list")
    assert out.returncode == 0, out.stderr
    rows = {tuple(line.split("\t")) for line in out.stdout.splitlines()}
    for kind, name in [("grammars", "clinical"), ("grammars", "differential"), ("grammars", "table6"),
                       ("parsers", "spacy"), ("parsers", "stanza"), ("parsers", "conllu"),
                       ("gold", "openi"), ("policies", "default"), ("policies", "positive-first")]:
        assert (kind, name, "builtin") in rows


def test_list_grammars_shows_an_installed_plugin_pack_with_its_distribution(plugin_env: dict[str, str]) -> None:
    without = cxrlabel("list", "grammars")
    assert "demo-pack" not in without.stdout
    out = cxrlabel("list", "grammars", env=plugin_env)
    assert out.returncode == 0, out.stderr
    assert "demo-pack\tplugin:cxrplug-demo" in out.stdout.splitlines()
    assert "clinical\tbuiltin" in out.stdout.splitlines()
    gold = cxrlabel("list", "gold", env=plugin_env)
    assert gold.stdout.splitlines() == ["demo-gold\tplugin:cxrplug-demo", "openi\tbuiltin"]


def test_a_plugin_adds_a_subcommand_to_cxrlabel(plugin_env: dict[str, str]) -> None:
    assert "demo-hello" not in cxrlabel("--help").stdout
    helped = cxrlabel("--help", env=plugin_env)
    assert helped.returncode == 0, helped.stderr
    assert "demo-hello" in helped.stdout and "label" in helped.stdout
    out = cxrlabel("demo-hello", "world", env=plugin_env)
    assert (out.returncode, out.stdout) == (0, "hello world\n"), out.stderr
    listed = cxrlabel("list", "commands", env=plugin_env)
    assert "demo-hello\tplugin:cxrplug-demo" in listed.stdout.splitlines()
    assert "label\tbuiltin" in listed.stdout.splitlines()


def test_a_plugin_model_is_listed_and_built_by_name(plugin_env: dict[str, str]) -> None:
    pytest.importorskip("torch", reason="the [vision] extra is not installed")
    listed = cxrlabel("list", "models", env=plugin_env)
    assert "demo-net\tplugin:cxrplug-demo" in listed.stdout.splitlines()
    assert "resnet50\tbuiltin" in listed.stdout.splitlines()
    code = ("import torch; from cxrlabel_vision import create_model, list_models; "
            "assert 'demo-net' in list_models('demo*'); "
            "print(tuple(create_model('demo-net', num_classes=3)(torch.zeros(1, 3, 32, 32)).shape))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=plugin_env, timeout=300)
    assert (out.returncode, out.stdout.strip()) == (0, "(1, 3)"), out.stderr


def test_list_rejects_an_unknown_kind_naming_the_valid_ones() -> None:
    out = cxrlabel("list", "nosuch")
    assert out.returncode == 2
    for kind in ("grammars", "parsers", "gold", "policies", "commands", "models"):
        assert kind in out.stderr


@pytest.mark.parametrize(
    ("args", "code", "names"),
    [
        (["label", "-", "--parser", "nosuch"], "X701", ["spacy", "stanza", "conllu"]),
        (["label", "-", "--policy", "nosuch"], "X701", ["default", "positive-first"]),
        (["label", "-", "--grammars", "nosuch"], "X701", ["chexpert", "clinical", "differential", "likelihood", "table6"]),
        (["eval", "--gold", "nosuch"], "X701", ["openi"]),
    ],
)
def test_unknown_plugin_name_fails_with_x701_listing_the_available_names(args: list[str], code: str, names: list[str]) -> None:
    out = cxrlabel(*args)
    assert out.returncode != 0
    assert f"error[{code}]" in out.stderr
    for name in names:
        assert name in out.stderr


@pytest.mark.slow
def test_label_uses_a_plugin_rule_pack_by_name(plugin_env: dict[str, str], tmp_path: Path) -> None:
    reports = tmp_path / "reports.csv"
    reports.write_text("id,text\nr1,Effusion has vanished.\nr2,Small left pleural effusion.\n", encoding="utf-8")
    out = cxrlabel("label", str(reports), "--grammars", "demo-pack", "--explain", env=plugin_env)
    assert out.returncode == 0, out.stderr
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(out.stdout))}
    assert rows["r1"]["Effusion"] == "0"
    assert "demo-vanished" in rows["r1"]["explain"]
    assert rows["r2"]["Effusion"] == "1"


def test_a_plugin_scheme_is_listed_and_labels_with_its_own_columns(plugin_env: dict[str, str], tmp_path: Path) -> None:
    listed = cxrlabel("list", "schemes", env=plugin_env)
    assert "demo-scheme\tplugin:cxrplug-demo" in listed.stdout, listed.stderr
    reports = tmp_path / "reports.csv"
    reports.write_text("id,text\nr1,Small left pleural effusion. No pneumothorax.\nr2,Lungs are clear.\n", encoding="utf-8")
    out = cxrlabel("label", str(reports), "--scheme", "demo-scheme", "--no-cache", env=plugin_env)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert list(rows[0]) == ["id", "Pleura", "Air Leak", "Clear", "error"]
    assert (rows[0]["Pleura"], rows[0]["Air Leak"], rows[1]["Clear"]) == ("1", "0", "1")


@pytest.mark.slow
def test_eval_scores_a_plugin_gold_set_with_a_plugin_rule_pack(plugin_env: dict[str, str]) -> None:
    out = cxrlabel("eval", "--gold", "demo-gold", "--grammars", "demo-pack", "--format", "csv", "-q", env=plugin_env)
    assert out.returncode == 0, out.stderr
    rows = {(r["scope"], r["name"]): r for r in csv.DictReader(io.StringIO(out.stdout))}
    effusion = rows[("finding", "Effusion")]
    # r2 is the only positive; the plugin rule keeps r1 ("has vanished") from being a false positive.
    assert (effusion["tp"], effusion["fp"], effusion["fn"]) == ("1", "0", "0")
    assert rows[("finding", "Pneumothorax")]["support"] == "0"
