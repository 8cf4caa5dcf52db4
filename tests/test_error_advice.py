"""Every command-line option that a message or docs/errors.md advises exists.

The walk collects every option of every ``cxrlabel`` command (groups included), then scans
every string literal in ``cxrlabel/`` and ``cxrlabel_vision/`` and the error-code page for
``--option`` tokens. An advised option that no command has is a lie to the user (issue 16:
the stanza error once recommended a ``--parser-option`` that did not exist)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click

from cxrlabel.registry import commands

ROOT = Path(__file__).resolve().parents[1]
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
#: Options of other programs that messages name on purpose, with the program.
FOREIGN = {
    "--nproc-per-node": "torchrun",
    "--nthreads": "dask worker",
    "--nworkers": "dask worker",
}


def _options_of(cmd: click.Command, out: set[str]) -> None:
    for p in cmd.params:
        out.update(p.opts)
        out.update(p.secondary_opts)
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(click.Context(cmd)):
            _options_of(cmd.get_command(click.Context(cmd), name), out)


def known_options() -> set[str]:
    out = {"--help", "--version"}
    for name in commands.names():
        _options_of(commands.get(name), out)
    return out


def advised_options() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for folder in ("cxrlabel", "cxrlabel_vision"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    for opt in OPTION.findall(node.value):
                        found.setdefault(opt, set()).add(str(path.relative_to(ROOT)))
    for opt in OPTION.findall((ROOT / "docs" / "errors.md").read_text(encoding="utf-8")):
        found.setdefault(opt, set()).add("docs/errors.md")
    return found


def test_every_advised_option_is_an_option_of_some_cxrlabel_command():
    known = known_options()
    assert {"--scheme", "--parser-option", "--allow-failures", "--resume", "--no-cache"} <= known
    missing = {opt: sorted(where) for opt, where in advised_options().items() if opt not in known and opt not in FOREIGN}
    assert not missing, f"messages advise options no command has: {missing}"


def test_the_foreign_options_are_still_named_somewhere():
    advised = advised_options()
    assert all(opt in advised for opt in FOREIGN), "drop options no message names any more from FOREIGN"
