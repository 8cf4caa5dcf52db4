"""``cxrlabel label INPUT [-o OUT]``: label reports into a CheXpert-style table."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..io import OUTPUT_COLUMNS, read_reports, write_rows

__all__ = ["label_cmd", "labeler_options", "make_labeler"]


def labeler_options(fn: Any) -> Any:
    """The options every labeling command shares (--parser, --grammars, --policy)."""
    fn = click.option("--policy", default="default", show_default=True, help="Aggregation policy name (see `cxrlabel list policies`).")(fn)
    fn = click.option("--replace-grammars", is_flag=True, help="Use only the --grammars given, not the shipped rules.")(fn)
    fn = click.option(
        "--grammars",
        multiple=True,
        metavar="PACK|FILE.yaml",
        help="Extra rule pack name or rule file (repeatable); added to the shipped rules.",
    )(fn)
    fn = click.option("--parser", default="spacy", show_default=True, help="Parser backend: spacy, stanza, or a plugin.")(fn)
    return fn


def make_labeler(parser: str, grammars: tuple[str, ...], replace_grammars: bool, policy: str) -> Any:
    from ..labeler import Labeler

    return Labeler(parser=parser, grammars=list(grammars) or None, replace_grammars=replace_grammars, policy=policy)


def result_row(rid: str, result: Any, *, explain: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"id": rid, **result.to_chexpert()}
    if explain:
        parts = []
        for f in result:
            ids = result.rule_ids(f)
            if result[f] is not None:
                parts.append(f"{f}={result[f].value}" + (f"[{','.join(ids)}]" if ids else ""))
        row["explain"] = "; ".join(parts)
    if result.failures:
        row["error"] = "; ".join(f"unparsed sentence at {s}-{e}: {msg}" for s, e, msg in result.failures)
    return row


@click.command("label")
@click.argument("input", metavar="INPUT")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Output file (default: stdout).")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("--column", help="CSV column holding the report text.")
@click.option("--id-column", help="CSV column holding the report id.")
@click.option("--header/--no-header", default=None, help="Whether the CSV has a header row (default: detect).")
@click.option("--encoding", default="utf-8", show_default=True, help="Encoding of the input files.")
@click.option("--explain", is_flag=True, help="Add the rule ids that decided each label.")
@labeler_options
def label_cmd(
    input: str,
    output: str | None,
    fmt: str,
    column: str | None,
    id_column: str | None,
    header: bool | None,
    encoding: str,
    explain: bool,
    parser: str,
    grammars: tuple[str, ...],
    replace_grammars: bool,
    policy: str,
) -> None:
    """Label the reports in INPUT: a CSV, a .txt file, a directory of .txt files, or - (stdin).

    Output: one row per report with `id`, the 14 findings and `No Finding` in the CheXpert
    convention (1 positive, 0 negative, -1 uncertain, blank not mentioned). A report that
    cannot be read or labeled gets an `error` and the others go on.
    """
    labeler = make_labeler(parser, grammars, replace_grammars, policy)
    records = read_reports(input, column=column, id_column=id_column, header=header, encoding=encoding)
    columns = [*OUTPUT_COLUMNS, *(["explain"] if explain else []), "error"]

    def rows() -> Any:
        for rec in records:
            if rec.error is not None:
                click.echo(f"report {rec.id}: {rec.error}", err=True)
                yield {"id": rec.id, "error": rec.error}
                continue
            try:
                yield result_row(rec.id, labeler.label(rec.text), explain=explain)
            except Exception as exc:  # noqa: BLE001 - one bad report must not stop the job
                click.echo(f"report {rec.id}: {type(exc).__name__}: {exc}", err=True)
                yield {"id": rec.id, "error": f"{type(exc).__name__}: {exc}"}

    if output:
        with open(output, "w", encoding="utf-8", newline="") as fh:
            n = write_rows(rows(), fh, fmt=fmt, columns=columns)
        click.echo(f"labeled {n} reports → {output}", err=True)
    else:
        write_rows(rows(), sys.stdout, fmt=fmt, columns=columns)
