"""``cxrlabel explain "TEXT"``: why a report got its labels (a thin wrapper over
:mod:`cxrlabel.explain`)."""

from __future__ import annotations

import json
import sys

import click

from .label import labeler_options, make_labeler

__all__ = ["explain_cmd"]


@click.command("explain")
@click.argument("text", required=False)
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), help="Read the report from PATH.")
@click.option("--encoding", default="utf-8", show_default=True, help="Encoding of --file.")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, writable=True),
              help="Also write a displaCy-style HTML page of the parses to PATH.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: when stdout is a terminal).")
@labeler_options
def explain_cmd(
    text: str | None,
    path: str | None,
    encoding: str,
    as_json: bool,
    html_path: str | None,
    color: bool | None,
    parser: str,
    grammars: tuple[str, ...],
    replace_grammars: bool,
    policy: str,
    scheme: str,
    parser_option: dict[str, str],
) -> None:
    """Explain the labels of one report: TEXT, - (stdin) or --file PATH.

    Prints each labeled sentence with its section and normalized parse, the mentions, the rules
    that fired with the token each pattern node bound, the polarity, then the labels and Normal.
    """
    from ..explain import explain, render_html, render_text

    if (text is None) == (path is None):
        raise click.UsageError("give the report as TEXT, as - for stdin, or with --file PATH (exactly one)")
    if path is not None:
        with open(path, encoding=encoding) as fh:
            report = fh.read()
    elif text == "-":
        report = sys.stdin.read()
    else:
        report = text
    labeler = make_labeler(parser, grammars, replace_grammars, policy, scheme, parser_option)
    expl = explain(report, labeler)
    if html_path:
        with open(html_path, "w", encoding="utf-8") as fh:
            fh.write(render_html(expl))
        click.echo(f"wrote {html_path}", err=True)
    if as_json:
        click.echo(json.dumps(expl.to_dict(), indent=2, ensure_ascii=False))
    else:
        use_color = sys.stdout.isatty() if color is None else color
        click.echo(render_text(expl, color=use_color), nl=False, color=use_color)
