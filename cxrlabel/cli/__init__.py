"""The ``cxrlabel`` command line: a click group whose subcommands load lazily.

Each subcommand lives in its own module under ``cxrlabel.cli`` and is a thin wrapper over an
importable function. stdout carries data; stderr carries progress, logs and errors.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from ..errors import CxrlabelError

__all__ = ["main"]

# name -> "module:attribute" of a click command or group
COMMANDS: dict[str, str] = {
    "label": "cxrlabel.cli.label:label_cmd",
    "explain": "cxrlabel.cli.explain:explain_cmd",
    "eval": "cxrlabel.cli.eval:eval_cmd",
    "rules": "cxrlabel.cli.rules:rules_group",
    "ontology": "cxrlabel.cli.ontology:ontology_group",
    "cache": "cxrlabel.cli.cache:cache_group",
    "list": "cxrlabel.cli.plugins:list_cmd",
    "vision": "cxrlabel_vision.cli:vision_group",
}


def _available() -> dict[str, str]:
    out = {}
    for name, target in COMMANDS.items():
        module = target.partition(":")[0]
        if importlib.util.find_spec(module) is not None:
            out[name] = target
    return out


class LazyGroup(click.Group):
    """Imports a subcommand's module only when that subcommand runs (keeps startup fast)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(_available()))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is not None:
            return cmd
        target = _available().get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CxrlabelError as err:
            click.echo(str(err), err=True)
            sys.exit(2)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cxrlabel")
def main() -> None:
    """cxrlabel: label chest X-ray reports with 14 findings, explainably."""
