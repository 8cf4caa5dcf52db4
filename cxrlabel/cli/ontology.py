"""``cxrlabel ontology show|build|find``: inspect the ontology, build its QuickUMLS index, try it.

Thin wrappers over :func:`cxrlabel.ontology.load_ontology`, :func:`cxrlabel.concepts.build_index`
and :class:`cxrlabel.concepts.ConceptFinder`. Data goes to stdout, timings to stderr.
"""

from __future__ import annotations

import json
import time
from typing import Any

import click

from ..errors import OntologyError
from ..ontology import NORMAL, Ontology, load_ontology
from ..schemes import get_scheme
from ..types import OTHER
from .label import scheme_option

__all__ = ["describe", "ontology_group"]


def describe(onto: Ontology, name: str | None = None) -> list[dict[str, Any]]:
    """The ontology (or one finding, ``OTHER`` or ``NORMAL``) as JSON-able records."""
    valid = (*onto.findings, OTHER, NORMAL)
    if name is not None and name not in valid:
        by_lower = {v.lower(): v for v in valid}
        if name.lower() not in by_lower:
            raise OntologyError(f"unknown finding {name!r}; choose one of: {', '.join(valid)}", code="O406")
        name = by_lower[name.lower()]
    out: list[dict[str, Any]] = []
    for f in onto.findings.values():
        if name in (None, f.name):
            out.append(
                {
                    "finding": f.name,
                    "preferred": f.preferred,
                    "cui": f.cui,
                    "cuis": list(f.cuis),
                    "excluded_cuis": dict(f.excluded_cuis),
                    "terms": list(f.terms),
                    "patterns": list(f.patterns),
                    "exclude": list(f.exclude),
                    "notes": f.notes,
                }
            )
    if name in (None, OTHER):
        for o in onto.other:
            out.append({"finding": OTHER, "preferred": o.name, "cui": o.cui, "cuis": [o.cui], "terms": list(o.terms), "patterns": list(o.patterns), "notes": o.notes})
    if name in (None, NORMAL):
        for o in onto.normal:
            out.append({"finding": NORMAL, "preferred": o.name, "cui": o.cui, "cuis": [o.cui], "terms": list(o.terms), "patterns": list(o.patterns), "notes": o.notes})
    return out


def _text(rec: dict[str, Any], full: bool) -> str:
    head = f"{rec['finding']}" + (f" ({rec['preferred']})" if rec["preferred"] != rec["finding"] else "")
    if not full:
        return f"{head}: {len(rec['cuis'])} CUI(s), {len(rec['terms'])} term(s), {len(rec.get('patterns', []))} pattern(s), {len(rec.get('exclude', []))} exclusion(s)"
    lines = [head, f"  cui: {rec['cui']}", f"  cuis: {' '.join(rec['cuis'])}"]
    for cui, why in rec.get("excluded_cuis", {}).items():
        lines.append(f"  not mapped: {cui} ({why})")
    lines.append(f"  terms: {'; '.join(rec['terms'])}")
    if rec.get("patterns"):
        lines.append(f"  patterns: {'; '.join(rec['patterns'])}")
    if rec.get("exclude"):
        lines.append(f"  exclude: {'; '.join(rec['exclude'])}")
    if rec.get("notes"):
        lines.append(f"  notes: {rec['notes']}")
    return "\n".join(lines)


def _ontology(ontology_dir: str | None, scheme: str) -> Ontology:
    """``--ontology-dir`` (a plain ontology folder of the scheme's findings) or the scheme's own."""
    sch = get_scheme(scheme)
    return load_ontology(ontology_dir, sch.findings) if ontology_dir else sch.ontology


@click.group("ontology")
def ontology_group() -> None:
    """Show the findings' CUIs, synonyms and exclusions; build the concept index."""


@ontology_group.command("show")
@click.argument("finding", required=False)
@click.option("--ontology-dir", type=click.Path(file_okay=False, exists=True), help="Another ontology folder.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON records instead of text.")
@scheme_option
def show_cmd(finding: str | None, ontology_dir: str | None, as_json: bool, scheme: str) -> None:
    """List the findings of --scheme (or one FINDING, OTHER, NORMAL in full); a derived scheme
    (chexpert) shows its findings with the base phrases they take."""
    onto = _ontology(ontology_dir, scheme)
    records = describe(onto, finding)
    if as_json:
        click.echo(json.dumps({"version": onto.version, "entries": records}, indent=2))
        return
    if finding is None:
        click.echo(f"ontology {onto.version} ({onto.source})")
        for r in records:
            if r["finding"] in onto.findings:
                click.echo(_text(r, full=False))
        for kind in (OTHER, NORMAL):
            group = [r for r in records if r["finding"] == kind]
            click.echo(f"{kind}: {len(group)} concept(s), {sum(len(r['terms']) for r in group)} term(s), {sum(len(r['patterns']) for r in group)} pattern(s)")
        return
    for r in records:
        click.echo(_text(r, full=True))


@ontology_group.command("build")
@click.option("--ontology-dir", type=click.Path(file_okay=False, exists=True), help="Another ontology folder.")
@click.option("--umls-dir", type=click.Path(file_okay=False, exists=True), help="A UMLS META folder (MRCONSO.RRF, MRSTY.RRF).")
@click.option("--unmapped", type=click.Choice(["ignore", "other"]), default="ignore", show_default=True, help="UMLS disorders outside the 14 CUI sets.")
@click.option("--force", is_flag=True, help="Rebuild even if a cached index exists.")
@scheme_option
def build_cmd(ontology_dir: str | None, umls_dir: str | None, unmapped: str, force: bool, scheme: str) -> None:
    """Build (or reuse) the QuickUMLS index of --scheme's ontology; print its folder."""
    from ..concepts import build_index

    t0 = time.perf_counter()
    path = build_index(_ontology(ontology_dir, scheme), umls_dir, unmapped=unmapped, force=force)
    click.echo(f"built in {time.perf_counter() - t0:.2f} s", err=True)
    click.echo(str(path))


@ontology_group.command("find")
@click.argument("text")
@click.option("--parser", "parser_name", default="spacy", show_default=True, help="Parser backend.")
@click.option("--threshold", type=float, default=0.9, show_default=True, help="Fuzzy similarity; 1.0 = exact only.")
@scheme_option
def find_cmd(text: str, parser_name: str, threshold: float, scheme: str) -> None:
    """Print the concept mentions in TEXT (one sentence per line: finding, CUI, span, text)."""
    from ..concepts import ConceptFinder
    from ..document import parse_report
    from ..parsers import get_parser

    finder = ConceptFinder(get_scheme(scheme).ontology, threshold=threshold)
    doc = parse_report(text, get_parser(parser_name))
    for s in doc.sentences:
        for m in finder.find(s):
            click.echo(f"{m.finding}\t{m.cui}\t{m.start}-{m.end}\t{m.text}\thead={s.tokens[m.head].text}")
