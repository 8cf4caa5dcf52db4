"""A scheme's ontology: its own files, or a base scheme's ontology regrouped (``base:``).

In a scheme folder with a ``base:``, ``findings.yaml`` names each of the scheme's findings and
may take a base finding's CUIs, terms, patterns and exclusions (``from: [Effusion]``) or a base
OTHER concept's phrases (``from_other: [fracture]``), adding its own. Base findings no scheme
finding takes become OTHER concepts; a base OTHER concept taken by a finding stops being OTHER;
``other.yaml`` and ``normal.yaml`` (both optional) add concepts; a base normal statement's
``denies:`` follows its finding (:meth:`Scheme.translate`). Every fact stays with its owner: the
base's phrases are never copied into the scheme's files.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import OntologyError
from ..ontology import Finding, Ontology, OtherConcept, load_ontology, normalize_phrase, parse_concepts, read_ontology_file, string_list

if TYPE_CHECKING:  # pragma: no cover
    from .model import Scheme

__all__ = ["read_sources", "scheme_ontology"]

_FINDING_KEYS = frozenset({"preferred", "cui", "cuis", "terms", "patterns", "exclude", "excluded_cuis",
                           "notes", "from", "from_other"})


def _findings_block(folder: Path) -> tuple[dict[str, Any], bytes]:
    data, raw = read_ontology_file(folder, "findings.yaml")
    block = data.get("findings")
    if not isinstance(block, dict):
        raise OntologyError(f"{folder / 'findings.yaml'}: expected a 'findings:' mapping", code="O402")
    return data, raw


def read_sources(folder: str | Path) -> dict[str, tuple[str, ...]]:
    """Scheme finding → the base findings it takes (``from:``) in ``folder/findings.yaml``."""
    data, _ = _findings_block(Path(folder))
    return {str(k): string_list((v or {}).get("from"), f"findings.yaml:{k}.from")
            for k, v in data["findings"].items() if isinstance(v, dict)}


def _optional(folder: Path, name: str) -> tuple[dict[str, Any], bytes]:
    if not (folder / name).exists():
        return {"concepts": []}, b""
    return read_ontology_file(folder, name)


def _finding(name: str, d: Mapping[str, Any], base: Ontology, others: Mapping[str, OtherConcept]) -> Finding:
    where = f"findings.yaml:{name}"
    unknown = sorted(set(d) - _FINDING_KEYS)
    names_from = string_list(d.get("from"), f"{where}.from")
    taken = [base.findings[b] for b in names_from if b in base.findings]
    names_other = string_list(d.get("from_other"), f"{where}.from_other")
    missing = [b for b in names_from if b not in base.findings] + [o for o in names_other if o not in others]
    if unknown or missing:
        raise OntologyError(f"{where}: unknown key(s) {unknown} or base names {missing} "
                            f"(base findings: {', '.join(base.findings)}; OTHER concepts: see the base other.yaml)",
                            code="O409")
    concepts = [others[o] for o in names_other]
    cuis = string_list(d.get("cuis"), f"{where}.cuis")
    own_cui = str(d.get("cui") or (taken[0].cui if taken else concepts[0].cui if concepts else ""))
    if not own_cui:
        raise OntologyError(f"{where}: needs 'cui' (or 'from:' / 'from_other:' a base concept)", code="O402")
    all_cuis = tuple(dict.fromkeys([*cuis, *(c for f in taken for c in f.cuis), *(c.cui for c in concepts)]))
    return Finding(
        name=name,
        preferred=str(d.get("preferred", name)),
        cui=own_cui,
        cuis=all_cuis or (own_cui,),
        terms=(*(t for f in taken for t in f.terms), *(t for c in concepts for t in c.terms),
               *string_list(d.get("terms"), f"{where}.terms")),
        patterns=(*(p for f in taken for p in f.patterns), *(p for c in concepts for p in c.patterns),
                  *string_list(d.get("patterns"), f"{where}.patterns")),
        exclude=(*(t for f in taken for t in f.exclude), *string_list(d.get("exclude"), f"{where}.exclude")),
        excluded_cuis={k: v for f in taken for k, v in f.excluded_cuis.items()} | dict(d.get("excluded_cuis") or {}),
        notes=str(d.get("notes", "")).strip(),
    )


def _derive(scheme: Scheme, base: Ontology) -> Ontology:
    folder = scheme.folder
    data, raw = _findings_block(folder)
    block = data["findings"]
    extra = sorted(set(block) - set(scheme.findings))
    missing = [f for f in scheme.findings if f not in block]
    if extra or missing:
        raise OntologyError(f"{folder / 'findings.yaml'}: findings must be exactly the scheme's "
                            f"{', '.join(scheme.findings)} (unknown: {extra}, missing: {missing})", code="O402")
    others = {o.name: o for o in base.other}
    findings = {n: _finding(n, block[n] or {}, base, others) for n in scheme.findings}
    taken_base = {b for taken in scheme.sources.values() for b in taken}  # read_sources' reading of from:
    taken_other = {o for n in scheme.findings for o in string_list((block[n] or {}).get("from_other"), "from_other")}
    other_data, other_raw = _optional(folder, "other.yaml")
    normal_data, normal_raw = _optional(folder, "normal.yaml")
    demoted = tuple(OtherConcept(f.name, f.cui, f.terms, f.patterns, f"{f.name} (a {scheme.base} finding)")
                    for f in base.findings.values() if f.name not in taken_base)
    normal = tuple(replace(o, denies=scheme.translate(o.denies) if o.denies else None) for o in base.normal)
    versions = {str(d["version"]) for d in (data, other_data, normal_data) if "version" in d}
    if len(versions) != 1:
        raise OntologyError(f"{folder}: the scheme's ontology files disagree on 'version' ({sorted(versions)})", code="O402")
    digest = hashlib.sha256(base.content_hash.encode())
    for part in (raw, other_raw, normal_raw):
        digest.update(b"\0" + part)
    onto = Ontology(
        version=versions.pop(),
        findings=findings,
        other=(*(o for o in base.other if o.name not in taken_other), *demoted,
               *parse_concepts(other_data, "other.yaml", scheme.findings)),
        normal=(*normal, *parse_concepts(normal_data, "normal.yaml", scheme.findings)),
        content_hash=digest.hexdigest(),
        source=str(folder),
        generic_contexts=(*base.generic_contexts, *(normalize_phrase(t) for t in string_list(
            data.get("generic_contexts"), "findings.yaml:generic_contexts"))),
    )
    onto.patterns()  # malformed patterns fail at load time
    return onto


def scheme_ontology(scheme: Scheme, base: Ontology | None = None) -> Ontology:
    """The ontology of ``scheme``: its folder's files, or (with a ``base:``) ``base``, the base
    scheme's ontology, regrouped."""
    if scheme.base is None:
        return load_ontology(scheme.folder, scheme.findings)
    if base is None:
        raise OntologyError(f"scheme {scheme.id} is based on {scheme.base!r}: give its ontology", code="O409")
    return _derive(scheme, base)
