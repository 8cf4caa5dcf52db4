"""``cxrlabel label INPUT [-o OUT]``: label reports into a CheXpert-style table."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..batch.engines import ENGINES
from ..batch.failures import FailureTally
from ..errors import InputError
from ..io import check_output_path, read_reports, write_rows

__all__ = ["key_values", "label_cmd", "labeler_options", "make_labeler", "result_row", "scheme_option"]


def labeler_options(fn: Any) -> Any:
    """The options every labeling command shares (--scheme, --parser, --grammars, --policy)."""
    fn = scheme_option(fn)
    fn = click.option("--policy", default="default", show_default=True, help="Aggregation policy name (see `cxrlabel list policies`).")(fn)
    fn = click.option("--replace-grammars", is_flag=True, help="Use only the --grammars given, not the shipped rules.")(fn)
    fn = click.option(
        "--grammars",
        multiple=True,
        metavar="PACK|FILE.yaml",
        help="Extra rule pack name or rule file (repeatable); added to the shipped rules.",
    )(fn)
    fn = click.option(
        "--parser-option",
        "parser_option",
        multiple=True,
        metavar="KEY=VALUE",
        callback=key_values,
        help="An option of the parser backend (repeatable), e.g. --parser-option dir=PATH for stanza's model folder.",
    )(fn)
    fn = click.option("--parser", default="spacy", show_default=True, help="Parser backend: spacy, stanza, or a plugin.")(fn)
    return fn


def key_values(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    """``("dir=/x", "package=mimic")`` → ``{"dir": "/x", "package": "mimic"}``."""
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE (e.g. dir=/path/to/stanza_resources)", ctx, param)
        out[key.strip()] = value
    return out


def scheme_option(fn: Any) -> Any:
    """``--scheme NAME|FOLDER``: the label scheme (``cxrlabel list schemes``)."""
    return click.option(
        "--scheme",
        default="chestxray14",
        show_default=True,
        metavar="NAME|FOLDER",
        help="Label scheme: chestxray14 (the 14 ChestX-ray14 findings), chexpert (the CheXpert "
        "labeler's 14 columns), a plugin's, or a scheme folder (see `cxrlabel list schemes`).",
    )(fn)


def make_labeler(parser: str, grammars: tuple[str, ...], replace_grammars: bool, policy: str, scheme: str | None = None,
                 parser_options: dict[str, str] | None = None) -> Any:
    from ..labeler import Labeler

    return Labeler(parser=parser, grammars=list(grammars) or None, replace_grammars=replace_grammars, policy=policy,
                   scheme=scheme, parser_options=parser_options)


def result_row(rid: str, result: Any, *, explain: bool) -> dict[str, Any]:
    """One output row (see :func:`cxrlabel.batch.result_row`)."""
    from ..batch import result_row as row

    return row(rid, result, explain=explain)


@click.command("label")
@click.argument("input", metavar="INPUT")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Output file (default: stdout). Written in shards under OUTPUT.parts/ until the job ends.")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("--column", help="Column (CSV/TSV/Parquet) or key (JSONL) holding the report text.")
@click.option("--id-column", help="Column or key holding the report id (default: an id-like column, else the row number).")
@click.option("--header/--no-header", default=None, help="Whether the CSV has a header row (default: detect; asks when unsure).")
@click.option("--encoding", default="utf-8", show_default=True, help="Encoding of the input files.")
@click.option("--explain", is_flag=True, help="Add the rule ids that decided each label.")
@click.option("--keep-text", is_flag=True, help="Add each report's text as a `Reports` column (as the CheXpert labeler writes it).")
@click.option(
    "--escape-formulas/--no-escape-formulas",
    default=True,
    show_default=True,
    help="In CSV output, prefix cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) with '.",
)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes (each loads the parser once).")
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True, help="Reports per nlp.pipe stream.")
@click.option("--shard-size", type=click.IntRange(min=1), default=500, show_default=True, help="Reports per shard file (the unit of --resume).")
@click.option("--resume", is_flag=True, help="Continue a killed job from the shards in OUTPUT.parts/.")
@click.option("--cache", "cache_path", type=click.Path(dir_okay=False), help="Parse cache file (default: the user cache dir, or $CXRLABEL_CACHE_DIR).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the parse cache.")
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True, help="local: a process pool; dask: a Dask cluster (needs the [dask] extra).")
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler address (default: start a LocalCluster with --jobs workers).")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: when stderr is a terminal).")
@click.option("--allow-failures", is_flag=True, help="Exit 0 even when some reports failed (their rows keep blank labels and an error).")
@labeler_options
def label_cmd(
    input: str, output: str | None, fmt: str, column: str | None, id_column: str | None,
    header: bool | None, encoding: str, explain: bool, keep_text: bool, escape_formulas: bool,
    jobs: int, batch_size: int, shard_size: int, resume: bool, cache_path: str | None,
    no_cache: bool, engine: str, scheduler: str | None, progress: bool | None,
    allow_failures: bool, parser: str, grammars: tuple[str, ...], replace_grammars: bool,
    policy: str, scheme: str, parser_option: dict[str, str],
) -> None:
    """Label the reports in INPUT: a CSV/TSV (delimiter sniffed), a .jsonl, a .parquet, a .txt
    file, a directory of .txt files, or - (stdin).

    Output: one row per report with `id`, the scheme's label columns (default: the 14
    findings, then `No Finding`; `--scheme chexpert`: the CheXpert labeler's 14 columns, named
    and ordered as it writes them) coded 1 positive, 0 negative, -1 uncertain, blank not
    mentioned; `--keep-text` adds a `Reports` column. A report that
    cannot be read or labeled (an empty report, a sentence the parser rejects) gets blank
    labels, a blank `No Finding` and an `error`, and the others go on; the run then ends with
    a summary on stderr and exit status 1 (0 with --allow-failures). An input without any
    report is an error. -o never overwrites INPUT; the CSV header is written with the first
    row, so a run that fails early leaves stdout empty.

    With -o, finished shards are kept under OUTPUT.parts/ while the job runs: after a kill,
    run the same command with --resume to label only what is left. Parses are cached
    (`cxrlabel cache info`), so re-labeling after a rule change skips the parser.
    """
    from ..batch import DEFAULT, LabelOptions, output_columns, resolve_cache, run_sharded, scheme_ref

    _check_usage(input, output, resume=resume, scheduler=scheduler, engine=engine, names=(parser, grammars, policy))
    if progress is None:
        progress = sys.stderr.isatty()
    options = LabelOptions(
        parser=parser, parser_options=parser_option, grammars=tuple(grammars), replace_grammars=replace_grammars, policy=policy,
        explain=explain, batch_size=batch_size, cache=None if no_cache else resolve_cache(cache_path or DEFAULT),
        scheme=scheme_ref(scheme), keep_text=keep_text,
    )
    records = _read_records(input, column=column, id_column=id_column, header=header, encoding=encoding)
    if output:
        n = run_sharded(
            records, output, options, jobs=jobs, shard_size=shard_size, fmt=fmt, resume=resume,
            progress=progress, engine=engine, scheduler=scheduler, log=lambda m: click.echo(m, err=True),
            escape_formulas=escape_formulas,
        )
        click.echo(f"labeled {n} reports → {output}", err=True)
        _end(FailureTally.of_file(output, fmt), allow_failures)
        return
    columns = output_columns(options.scheme, keep_text=keep_text, explain=explain)
    tally = FailureTally()
    rows = _labeled_rows(records, options, engine=engine, jobs=jobs, shard_size=shard_size, scheduler=scheduler, progress=progress)
    write_rows(tally.counted(rows), sys.stdout, fmt=fmt, columns=columns, escape_formulas=escape_formulas)
    _end(tally, allow_failures)


def _end(tally: FailureTally, allow_failures: bool) -> None:
    """The summary of the failed reports on stderr, and exit status 1 unless they are allowed."""
    if not tally.failed:
        return
    click.echo(tally.summary(allowed=allow_failures), err=True)
    if not allow_failures:
        sys.stdout.flush()
        sys.exit(1)


def _check_usage(input: str, output: str | None, *, resume: bool, scheduler: str | None, engine: str, names: tuple[str, tuple[str, ...], str]) -> None:
    """Refuse option combinations that cannot work, an output onto the input, and unknown
    ``names`` (parser, grammars, policy), before any work."""
    _check_names(*names)
    if output:
        check_output_path(output, [input])
    if resume and not output:
        raise click.UsageError("--resume needs -o/--output (the shards live in OUTPUT.parts/)")
    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler needs --engine dask")


def _check_names(parser: str, grammars: tuple[str, ...], policy: str) -> None:
    """An unknown --parser/--policy/--grammars name is its error (X701) before any input is read."""
    from ..aggregate import get_policy
    from ..registry import parsers
    from ..rules.packs import load_source

    get_policy(policy)
    if parser not in parsers:
        parsers.get(parser)
    for g in grammars:
        load_source(g)


def _read_records(input: str, **reader_options: Any) -> list[tuple[Any, str | None, str | None]]:
    """``(id, text, read error)`` of every report in INPUT; read errors are echoed to stderr."""
    records = []
    for rec in read_reports(input, **reader_options):
        if rec.error is not None:
            click.echo(f"report {rec.id}: {rec.error}", err=True)
        records.append((rec.id, rec.text, rec.error))
    if not records or (input == "-" and not str(records[0][1]).strip()):
        where = "stdin is empty" if input == "-" else f"{input} holds no reports"
        raise InputError(f"{where}: nothing to label; check the input (and --column)", code="I250")
    return records


def _labeled_rows(records: list, options: Any, *, engine: str, jobs: int, shard_size: int, scheduler: str | None, progress: bool) -> Any:
    """Label chunk by chunk and yield the rows in input order as they become ready (stdout)."""
    from ..batch import chunked, label_read_chunks, progress_bar

    results = label_read_chunks(
        chunked(records, shard_size), options, engine=engine, jobs=jobs, n_chunks=-(-len(records) // shard_size), scheduler=scheduler
    )
    ready: dict[int, list[dict[str, Any]]] = {}
    nxt = 0
    with progress_bar(len(records), progress) as bar:
        for k, chunk_rows in results:
            ready[k] = chunk_rows
            bar.update(len(chunk_rows))
            while nxt in ready:
                yield from ready.pop(nxt)
                nxt += 1
