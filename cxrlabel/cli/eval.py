"""``cxrlabel eval``: score the labeler on OpenI, a registered gold set, or your own CSV.

A thin wrapper over :func:`cxrlabel.gold.evaluate`; the scores go to stdout, progress and notes
to stderr.
"""

from __future__ import annotations

from pathlib import Path

import click

from .label import key_values, scheme_option

__all__ = ["eval_cmd"]


@click.command("eval")
@click.option("--gold", "gold_spec", default="openi", show_default=True,
              help="A gold name (see `cxrlabel list gold`) or a CSV file of annotated reports.")
@click.option("--reports", type=click.Path(dir_okay=True), default=None,
              help="OpenI: NLMCXR_reports.tgz (or a folder of its XML files).")
@click.option("--testset", type=click.Path(exists=True, dir_okay=False), default=None,
              help="File of test report ids, one a line (OpenI ships NegBio's list).")
@click.option("--split", type=click.Choice(["all", "dev", "test"]), default="all", show_default=True)
@click.option("--uncertain-as", type=click.Choice(["negative", "positive"]), default="negative",
              show_default=True, help="What an uncertain label counts as in binary scoring.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--text-column", default=None, help="CSV gold: the column holding the report text.")
@click.option("--id-column", default=None, help="CSV gold: the column holding report ids.")
@click.option("--parser", default="spacy", show_default=True, help="Parser backend.")
@click.option("--parser-option", "parser_option", multiple=True, metavar="KEY=VALUE", callback=key_values,
              help="An option of the parser backend (repeatable), e.g. --parser-option dir=PATH for stanza.")
@click.option("--grammars", multiple=True,
              help="Extra rule pack name or YAML file, added to the shipped rules; repeatable.")
@click.option("--policy", default=None, help="Aggregation policy name (default: the labeler's).")
@click.option("--errors", "errors_path", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write every false positive and false negative here (.jsonl or .csv).")
@click.option("--escape-formulas/--no-escape-formulas", default=True, show_default=True,
              help="In the --errors CSV, prefix cells a spreadsheet would run as a formula (=, +, -, @, tab, CR first) with '.")
@click.option("--no-download", is_flag=True, help="OpenI: never download the reports.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@scheme_option
def eval_cmd(
    gold_spec: str,
    reports: str | None,
    testset: str | None,
    split: str,
    uncertain_as: str,
    fmt: str,
    text_column: str | None,
    id_column: str | None,
    parser: str,
    parser_option: dict[str, str],
    grammars: tuple[str, ...],
    policy: str | None,
    errors_path: str | None,
    escape_formulas: bool,
    no_download: bool,
    quiet: bool,
    scheme: str,
) -> None:
    """Label a gold standard's reports and print precision, recall and F1 per finding,
    micro and macro averages, and Normal; for a gold with uncertain labels, also the CheXpert
    paper's mention / negation / uncertain F1 per observation with macro and micro averages.
    A CSV gold's columns are read as --scheme's findings (`--scheme chexpert` for CheXpert-format
    labels)."""
    import cxrlabel
    from cxrlabel.gold import evaluate, load_gold
    from cxrlabel.gold.report import format_result, write_errors

    if errors_path:
        from cxrlabel.io import check_output_path

        check_output_path(errors_path, [p for p in (gold_spec, reports, testset) if p and Path(p).exists()])
    options = {"reports": reports, "text_column": text_column, "id_column": id_column, "scheme": scheme}
    if no_download:
        options["download"] = False
    gold = load_gold(gold_spec, testset=testset, **{k: v for k, v in options.items() if v is not None})
    for note in gold.notes.values():
        click.echo(f"note: {note}", err=True)
    labeler_options = {"parser": parser, "grammars": list(grammars) or None, "scheme": scheme}
    if parser_option:
        labeler_options["parser_options"] = parser_option
    if policy is not None:
        labeler_options["policy"] = policy
    labeler = cxrlabel.Labeler(**labeler_options)
    result = evaluate(gold, labeler, split=split, uncertain_as=uncertain_as, progress=not quiet)
    for rid, msg in result.failures:
        click.echo(f"{rid}: {msg}", err=True)
    click.echo(format_result(result, fmt), nl=False)
    if errors_path:
        n = write_errors(result, errors_path, escape_formulas=escape_formulas)
        click.echo(f"wrote {n} errors to {errors_path}", err=True)
