"""The one registry: every kind, every registered name is built and exercised (as timm tests
every registered model); the registry module is a leaf; unknown names are X701 in every kind.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import click
import pytest
from click.testing import CliRunner

from cxrlabel import registry
from cxrlabel.errors import ModelNotFoundError, PluginError
from cxrlabel.registry import KINDS, Registry
from cxrlabel.types import Label

from conftest import require_data

REPO = Path(__file__).resolve().parents[1]
UD_FILE = Path(__file__).parent / "data" / "ud" / "table6.conllu"

CONLLU = """\
# text = No pneumothorax.
1\tNo\tno\tDET\tDT\t_\t2\tneg\t_\t_
2\tpneumothorax\tpneumothorax\tNOUN\tNN\t_\t0\troot\t_\t_
3\t.\t.\tPUNCT\t.\t_\t2\tpunct\t_\t_
"""


# --- one exerciser per kind: build the object and use it once -----------------------------


def _exercise_parser(name: str, factory: Any) -> None:
    if name == "conllu":
        (sent,) = factory().parse([CONLLU])
        assert ("pneumothorax", "neg", "no") in sent.relations()
    elif name == "spacy":
        parser = factory()
        (sent,) = parser.parse(["No pneumothorax."])
        assert parser.name == "spacy"
        assert ("pneumothorax", "neg", "no") in sent.relations()
    elif name == "stanza":
        stanza = pytest.importorskip("stanza", reason="the [stanza] extra is not installed")
        from stanza.utils.conll import CoNLL

        adapter = importlib.import_module(factory.__module__)
        sents = adapter.sentences_from_stanza_doc(CoNLL.conll2doc(input_str=UD_FILE.read_text()))
        assert ("evidence", "neg", "no") in sents[0].relations()
        assert ("evidence", "prep_of", "pneumothorax") in sents[0].relations()
        weights = Path.home() / "stanza_resources"
        if not (weights / "en").is_dir():
            with pytest.raises(ModelNotFoundError) as err:
                factory(dir=str(weights))
            assert err.value.code == "P301"
            pytest.skip(f"stanza {stanza.__version__}: adapter checked; parsing needs English weights in {weights}")
        (sent,) = factory(dir=str(weights)).parse(["No evidence of pneumothorax."])
        assert ("evidence", "neg", "no") in sent.relations()
    else:
        pytest.skip(f"no sample input for the plugin parser {name!r}")


def _exercise_pack(name: str, factory: Any) -> None:
    from cxrlabel.matcher import Matcher
    from cxrlabel.parsers.conllu import read_conllu
    from cxrlabel.rules import Rule, load_pack
    from cxrlabel.types import Stage

    rules = list(factory())
    assert rules and all(isinstance(r, Rule) for r in rules)
    paths = [r for r in rules if r.scope is None]
    scopes = [r for r in rules if r.scope is not None]
    assert all(r.pattern is not None for r in paths)
    matcher = Matcher(paths)  # every path rule compiles into the matcher, ids unique
    assert len(matcher) == len(paths)
    (sent,) = read_conllu(CONLLU)
    fired = {stage: {h.rule_id for h in matcher.match(sent.graph, 1, stage=stage)} for stage in Stage}
    assert set().union(*fired.values()) <= {r.id for r in paths}
    if name in ("table6", "clinical"):  # "No pneumothorax." is negated by both
        assert fired[Stage.NEGATION], fired
    for rule in scopes:
        cue = rule.scope.find_cue(sent.tokens, [1])
        assert cue is None or 0 <= cue < len(sent.tokens)
    assert [r.id for r in load_pack(name)] == [r.id for r in rules]


def _exercise_gold(name: str, loader: Any) -> None:
    assert callable(loader)
    if name != "openi":
        pytest.skip(f"plugin gold {name!r}: callable; its data is its own")
    gold = loader(require_data("openi/NLMCXR_reports.tgz"), download=False)
    assert len(gold) == 3851 and len(gold.texts) == len(gold.ids)


def _exercise_policy(name: str, policy: Any) -> None:
    from cxrlabel.aggregate import Policy, get_policy

    assert isinstance(policy, Policy) and get_policy(name) is policy
    mixed = [Label.NEGATIVE, Label.POSITIVE, Label.UNCERTAIN]
    assert policy.decide(mixed) == policy.order[0]
    assert policy.decide([Label.NEGATIVE]) == Label.NEGATIVE
    assert policy.decide([]) is None
    if name in ("default", "positive-first", "uncertain-first", "negative-first"):
        first = {"default": "positive", "positive-first": "positive"}.get(name, name.split("-")[0])
        assert policy.decide(mixed).value == first


def _exercise_command(name: str, command: Any) -> None:
    from cxrlabel.cli import main

    assert isinstance(command, click.Command)
    out = CliRunner().invoke(main, [name, "--help"])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("Usage: ") and f" {name} " in out.output.splitlines()[0]


def _exercise_model(name: str, factory: Any) -> None:
    torch = pytest.importorskip("torch", reason="the [vision] extra is not installed")
    torch.manual_seed(0)
    model = factory(num_classes=3, weights=None).eval()
    with torch.no_grad():
        logits = model(torch.randn(1, 3, 64, 64))
    assert logits.shape == (1, 3) and torch.isfinite(logits).all()


def _exercise_scheme(name: str, factory: Any) -> None:
    """A scheme labels with its own findings and writes its own columns."""
    from cxrlabel import label
    from cxrlabel.schemes import Scheme, get_scheme

    scheme = get_scheme(name)
    assert isinstance(scheme, Scheme) and scheme.name == name
    assert set(scheme.ontology.findings) == set(scheme.findings)
    effusion = scheme.translate("Effusion")
    result = label("Small left pleural effusion. No pneumothorax.", scheme=name)
    assert tuple(result) == scheme.findings and tuple(result.to_chexpert()) == scheme.columns
    assert result[effusion] == Label.POSITIVE and result[scheme.translate("Pneumothorax")] == Label.NEGATIVE


#: kind → how to exercise one of its entries. A new kind needs one here (see the test below).
EXERCISE: dict[str, Callable[[str, Any], None]] = {
    "parsers": _exercise_parser,
    "grammars": _exercise_pack,
    "gold": _exercise_gold,
    "policies": _exercise_policy,
    "commands": _exercise_command,
    "models": _exercise_model,
    "schemes": _exercise_scheme,
}

SLOW = {("parsers", "spacy"), ("gold", "openi"), ("models", "densenet121"), ("models", "resnet50")}
CASES = [
    pytest.param(kind, name, id=f"{kind}:{name}",
                 marks=[pytest.mark.slow] if (kind, name) in SLOW else [])
    for kind, reg in sorted(KINDS.items())
    for name in reg.names()
]


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_every_registered_name_builds_and_works(kind: str, name: str) -> None:
    EXERCISE[kind](name, KINDS[kind].get(name))


def test_every_kind_has_an_exerciser_and_builtins() -> None:
    assert set(EXERCISE) == set(KINDS)
    for kind, reg in KINDS.items():
        assert reg.kind == kind and reg.group == f"cxrlabel.{kind}"
        assert any(reg.origin(n) == "builtin" for n in reg.names()), kind


# --- what the registry lists -----------------------------------------------------------------


def test_every_builtin_is_a_lazy_module_attr_string() -> None:
    for kind, reg in KINDS.items():
        for name in reg.names():
            if reg.origin(name) == "builtin":
                target = reg.target(name)
                assert target and target.count(":") == 1, (kind, name, target)


def test_every_shipped_pack_is_a_registered_grammar() -> None:
    from cxrlabel.rules.packs import PACKS

    builtin = {n for n in registry.grammars.names() if registry.grammars.origin(n) == "builtin"}
    assert builtin == set(PACKS) == {"table6", "clinical", "differential", "likelihood", "chexpert", "chexpert-conventions"}


def test_the_cli_group_adds_exactly_the_registered_commands() -> None:
    from cxrlabel.cli import main

    ctx = click.Context(main)
    assert main.list_commands(ctx) == registry.commands.names()
    assert {"label", "eval", "explain", "rules", "ontology", "cache", "list", "vision"} <= set(
        registry.commands.names())


def test_cxrlabel_list_offers_every_kind_of_the_registry() -> None:
    from cxrlabel.cli.plugins import list_cmd

    (arg,) = list_cmd.params
    assert list(arg.type.choices) == sorted(KINDS)


def test_policies_are_builtin_without_importing_aggregate_first() -> None:
    code = ("import sys; from cxrlabel.registry import policies; "
            "p = policies.get('uncertain-first'); assert p.name == 'uncertain-first'; "
            "assert policies.get('default') is policies.get('positive-first'); "
            "import cxrlabel.aggregate; "
            "print(sorted((n, policies.origin(n)) for n in policies.names()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(sorted((n, "builtin") for n in
                                            ("default", "negative-first", "positive-first", "uncertain-first")))


# --- unknown names: one code for every kind ------------------------------------------------


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_an_unknown_name_of_any_kind_is_x701_naming_the_kind_and_the_names(kind: str) -> None:
    reg = KINDS[kind]
    with pytest.raises(PluginError) as err:
        reg.get("no-such-name")
    assert err.value.code == "X701"
    assert reg.noun in err.value.message and f"cxrlabel list {kind}" in err.value.message
    for name in reg.names():
        assert name in err.value.message


def test_an_unknown_kind_is_x701_listing_the_kinds() -> None:
    with pytest.raises(PluginError) as err:
        registry.get_registry("schemez")
    assert err.value.code == "X701" and all(k in err.value.message for k in KINDS)


# --- the Registry class on its own -------------------------------------------------------


def test_a_registry_imports_a_string_entry_only_on_first_get() -> None:
    reg = Registry("things", "thing", {"findings": "cxrlabel.types:FINDINGS"})
    assert reg.group == "cxrlabel.things" and reg.names() == ["findings"]
    reg.register("later", "json:dumps")
    assert reg.origin("findings") == "builtin" and reg.origin("later") == "registered"
    assert reg.target("later") == "json:dumps"

    @reg.register("fn")
    def fn() -> int:
        return 1

    assert reg.target("fn") is None and reg.get("fn") is fn
    from cxrlabel.types import FINDINGS

    assert reg.get("findings") is FINDINGS
    assert reg.names() == ["findings", "fn", "later"] and "later" in reg and "nope" not in reg


# --- imports: the registry is a leaf; vision registry and model do not import each other ---

HEAVY = ("spacy", "torch", "torchvision", "pandas", "stanza", "quickumls", "cxrlabel.aggregate",
         "cxrlabel.parsers", "cxrlabel.rules", "cxrlabel.gold", "cxrlabel.cli", "cxrlabel_vision")


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_importing_the_registry_imports_nothing_heavy() -> None:
    loaded = _modules_after("import cxrlabel.registry")
    assert "cxrlabel.registry" in loaded
    assert sorted(loaded & set(HEAVY)) == []
    package = _modules_after("import cxrlabel")
    assert {m for m in loaded - package if m.startswith("cxrlabel")} <= {"cxrlabel.errors", "cxrlabel.registry"}


def _module_level_imports(path: Path) -> set[str]:
    """Modules a file imports at module level (relative imports resolved in its package)."""
    package = ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
    out: set[str] = set()
    todo: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue  # runs on call, not on import
        todo.extend(ast.iter_child_nodes(node))
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


@pytest.mark.slow
def test_vision_registry_and_model_do_not_import_each_other() -> None:
    vision = REPO / "cxrlabel_vision"
    assert "cxrlabel_vision.model" not in _module_level_imports(vision / "registry.py")
    assert "cxrlabel_vision.registry" not in _module_level_imports(vision / "model.py")
    alone = _modules_after("import cxrlabel_vision.registry")
    assert "cxrlabel_vision.model" not in alone and "torch" not in alone
    assert "cxrlabel_vision.registry" not in _modules_after("import cxrlabel_vision.model")


def test_vision_functions_are_the_models_kind() -> None:
    from cxrlabel_vision import list_models, register_model

    assert list_models() == registry.models.names()
    assert list_models("dense*") == ["densenet121"]
    assert register_model.__module__ == "cxrlabel_vision.registry"
