"""``cxrlabel rules check|explain``: validate rule files and show what a path compiles to.

Thin wrappers over :func:`cxrlabel.rules.iter_errors` and :func:`cxrlabel.rules.parse_path`.
Errors (``file:line:col: error[R1xx]: …`` with the line and a caret) go to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import RuleError
from ..rules import iter_errors, load_rules, parse_path
from ..rules.cost import cost_warnings

__all__ = ["check_files", "rules_group"]


def check_files(paths: list[str]) -> tuple[list[RuleError], int]:
    """Every error in ``paths`` and the number of rules in the files without errors."""
    errors: list[RuleError] = []
    n_rules = 0
    for p in paths:
        errs = list(iter_errors(Path(p), filename=p))
        errors.extend(errs)
        if not errs:
            n_rules += len(load_rules(Path(p), filename=p))
    return errors, n_rules


@click.group("rules")
def rules_group() -> None:
    """Check, explain and test rule files."""


@rules_group.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def check_cmd(files: tuple[str, ...]) -> None:
    """Report every error in FILES (exit 1 if any)."""
    errors, n_rules = check_files(list(files))
    for err in errors:
        click.echo(str(err), err=True)
    if errors:
        click.echo(f"{len(errors)} error(s) in {len(files)} file(s)", err=True)
        sys.exit(1)
    warnings = [w for p in files for w in cost_warnings(load_rules(Path(p), filename=p))]
    for w in warnings:
        click.echo(str(w).replace(f"error[{w.code}]", f"warning[{w.code}]", 1), err=True)
    click.echo(f"ok: {len(files)} file(s), {n_rules} rule(s)" + (f", {len(warnings)} warning(s)" if warnings else ""))


@rules_group.command("explain")
@click.argument("path")
def explain_cmd(path: str) -> None:
    """Print the pattern a PATH compiles to: nodes, constraints, edges."""
    try:
        pattern = parse_path(path)
    except RuleError as err:
        click.echo(str(err), err=True)
        sys.exit(1)
    click.echo(f"path: {path}")
    click.echo(f"canonical: {pattern.canonical()}")
    click.echo(pattern.explain())


# `rules test` (examples through the full labeler) lives in its own module.
from .rules_test import test_cmd  # noqa: E402

rules_group.add_command(test_cmd)
