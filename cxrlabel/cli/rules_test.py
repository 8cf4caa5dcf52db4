"""``cxrlabel rules test [FILE_OR_PACK ...]``: run rules' examples through the full labeler
(a thin wrapper over :func:`cxrlabel.rules_testing.run_rule_tests`; registered on the
``rules`` group in :mod:`cxrlabel.cli.rules`)."""

from __future__ import annotations

import json
import sys

import click

from .label import scheme_option

__all__ = ["format_results", "test_cmd"]


def format_results(results: list, *, strict: bool = False, failures_only: bool = False) -> list[str]:
    """One line per example: status, whether the rule decided, rule id and location, text, and
    expected vs got for each finding the example names."""
    lines = []
    for r in results:
        ex = r.example
        bad = not r.passed or (strict and not r.fired)
        if failures_only and not bad:
            continue
        status = "FAIL" if not r.passed else ("FAIL" if strict and not r.fired else "ok")
        decided = "decided" if r.fired else "WARN rule did not decide"
        diffs = ", ".join(
            f"{f}: expected {e} got {ex.got.get(f)}" + ("" if ex.got.get(f) == e else " ✗") for f, e in ex.expected.items()
        )
        loc = f" ({r.location})" if r.location else ""
        lines.append(f"{status:4}  {decided:24}  {ex.rule_id}{loc}  {ex.text!r}  [{diffs}]")
    return lines


@click.command("test")
@click.argument("sources", nargs=-1, metavar="[FILE_OR_PACK]...")
@click.option("--parser", default="spacy", show_default=True, help="Parser backend: spacy, stanza, or a plugin.")
@click.option("--only", is_flag=True, help="Use only the rules under test, not the shipped ones beside them.")
@click.option("--strict", is_flag=True, help="Also fail an example whose own rule did not decide any mention.")
@click.option("--failures-only", is_flag=True, help="Print only the failing (and, with --strict, warning) examples.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per example.")
@scheme_option
def test_cmd(sources: tuple[str, ...], parser: str, only: bool, strict: bool, failures_only: bool, as_json: bool,
             scheme: str) -> None:
    """Label every rule's examples with the full labeler and compare with what they expect.

    FILE_OR_PACK: rule files (my_rules.yaml) or pack names (clinical); default: every shipped
    grammar file. The rules under test are added to the shipped rules (--only: used alone).
    Exit 1 if any example fails. An example whose own rule did not decide a mention is a warning
    (another rule may rightly decide first); --strict makes it a failure. With --scheme the
    examples run through that scheme's labeler (its packs included), their findings read in its
    names; examples naming only findings the scheme lacks are skipped.
    """
    from ..rules_testing import run_rule_tests

    results = run_rule_tests(list(sources) or None, parser=parser, only=only, scheme=scheme)
    if as_json:
        for r in results:
            if not failures_only or not r.passed or (strict and not r.fired):
                click.echo(json.dumps(r.to_dict(), ensure_ascii=False))
    else:
        for line in format_results(results, strict=strict, failures_only=failures_only):
            click.echo(line)
    failed = [r for r in results if not r.passed or (strict and not r.fired)]
    warned = 0 if strict else sum(1 for r in results if r.passed and not r.fired)
    click.echo(
        f"{len(results)} example(s): {len(results) - len(failed)} passed, {len(failed)} failed, "
        f"{warned} where the rule under test did not decide",
        err=True,
    )
    if failed:
        click.echo("failed: " + ", ".join(sorted({r.example.rule_id for r in failed})), err=True)
        sys.exit(1)
