"""The project's ontology: the 14 findings, the OTHER abnormalities and the NORMAL phrases.

The data lives in ``ontology/*.yaml`` (shipped as package data under ``cxrlabel/_data``); this
module loads and checks it and answers the two questions the rest of the library asks: *which
phrases* name a finding (terms, gapped patterns, exclusions) and *which finding a CUI belongs
to*. Finding-specific knowledge stays in the YAML, never here.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterator, Mapping

import yaml

from .errors import OntologyError
from .types import FINDINGS, OTHER

__all__ = [
    "ASSERTED_RULE_PREFIX",
    "NORMAL",
    "ConceptPattern",
    "Entry",
    "Finding",
    "Ontology",
    "OtherConcept",
    "load_ontology",
    "normalize_phrase",
    "parse_concepts",
    "read_ontology_file",
    "string_list",
]

#: Pseudo-finding of mentions that state the study is normal ("no acute cardiopulmonary disease").
NORMAL = "NORMAL"
#: The rule-id namespace of mentions the ontology asserts as written (a normal statement that
#: denies a finding: ``normal-statement:normal-heart``); the judge never re-judges them.
ASSERTED_RULE_PREFIX = "normal-statement:"

#: Gap allowed by ``...`` in a pattern, in tokens.
MAX_GAP = 4

_FILES = ("findings.yaml", "other.yaml", "normal.yaml")
_DASHES = re.compile(r"[\-\u2010-\u2015/]+")
_SPACES = re.compile(r"\s+")
_GAP = re.compile(r"\.\.\.([1-8])?")


def normalize_phrase(text: str) -> str:
    """Lower-case, hyphens and slashes read as spaces, whitespace collapsed (``"Air-space"``
    → ``"air space"``). Terms and token n-grams are compared in this form."""
    return _SPACES.sub(" ", _DASHES.sub(" ", text.lower())).strip()


@dataclass(frozen=True)
class Entry:
    """One indexed phrase: ``kind`` is ``"term"`` (yields a mention) or ``"exclude"`` (drops
    mentions of ``finding`` inside it)."""

    text: str
    cui: str
    finding: str
    kind: str = "term"


@dataclass(frozen=True)
class ConceptPattern:
    """A gapped synonym variant of a concept (not a rule's :class:`cxrlabel.rules.Pattern`):
    ``elements`` are sets of accepted words; an ``int`` is a gap of up to that many tokens
    (``...`` is :data:`MAX_GAP`, ``...N`` is N, at most 8). Elements written in ``[brackets]``
    are the mention's span; the others are context that must match."""

    source: str
    finding: str
    cui: str
    elements: tuple[frozenset[str] | int, ...]
    focus: frozenset[int] = frozenset()  # element indices in [brackets]; empty: all

    @classmethod
    def parse(cls, source: str, finding: str, cui: str, where: str) -> ConceptPattern:
        elements: list[frozenset[str] | int] = []
        focus: set[int] = set()
        for part in source.split():
            if part.startswith("[") and part.endswith("]") and len(part) > 2:
                focus.add(len(elements))
                part = part[1:-1]
            gap = _GAP.fullmatch(part)
            if gap:
                if not elements or isinstance(elements[-1], int):
                    raise OntologyError(f"{where}: pattern {source!r} has a gap at the start or two gaps in a row", code="O403")
                elements.append(int(gap.group(1)) if gap.group(1) else MAX_GAP)
                continue
            if part.startswith("..") or not any(ch.isalnum() for ch in part):
                raise OntologyError(f"{where}: pattern {source!r}: bad element {part!r} (gaps are '...' or '...N' with N <= 8)", code="O403")
            words = frozenset(normalize_phrase(w) for w in part.split("|") if w.strip())
            if not words or any(" " in w for w in words):
                raise OntologyError(f"{where}: pattern {source!r}: bad element {part!r} (one word per alternative)", code="O403")
            elements.append(words)
        if not elements or isinstance(elements[-1], int):
            raise OntologyError(f"{where}: pattern {source!r} is empty or ends with a gap", code="O403")
        return cls(source, finding, cui, tuple(elements), frozenset(focus))



#: Deprecated alias of :class:`ConceptPattern` (the old name collided with the rules' ``Pattern``).
Pattern = ConceptPattern

@dataclass(frozen=True)
class Finding:
    """One of the 14 findings as described in ``findings.yaml``."""

    name: str
    preferred: str
    cui: str
    cuis: tuple[str, ...]
    terms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    excluded_cuis: Mapping[str, str] = field(default_factory=dict)
    notes: str = ""


@dataclass(frozen=True)
class OtherConcept:
    """A concept outside the 14: an OTHER abnormality or a NORMAL statement.

    A NORMAL statement with ``denies`` names one of the 14 that its normality rules out ("heart
    size is normal" denies Cardiomegaly): its mentions are mentions of that finding, asserted
    negative as written (see :meth:`Ontology.asserted`)."""

    name: str
    cui: str
    terms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    notes: str = ""
    denies: str | None = None

    @property
    def finding(self) -> str:
        """The finding its mentions carry: ``denies`` when set, else NORMAL (OTHER concepts
        are read by :meth:`Ontology.entries` as OTHER)."""
        return self.denies or NORMAL


@dataclass(frozen=True)
class Ontology:
    """The loaded ontology. ``content_hash`` changes whenever any file's content does."""

    version: str
    findings: Mapping[str, Finding]
    other: tuple[OtherConcept, ...]
    normal: tuple[OtherConcept, ...]
    content_hash: str
    source: str = ""
    #: Phrases that make a following mention generic, not a finding of this patient ("CT is
    #: more sensitive for the detection of nodules"); ``generic_contexts:`` in findings.yaml.
    generic_contexts: tuple[str, ...] = ()

    def finding_of_cui(self, cui: str) -> str | None:
        """The finding a CUI belongs to (the 14 CUI sets decide), ``OTHER``/``NORMAL`` for this
        ontology's own concepts, else ``None``."""
        return self._cui_map().get(cui)

    def _cui_map(self) -> dict[str, str]:
        cached = self.__dict__.get("_cui_map_cache")
        if cached is None:
            cached = {}
            for f in self.findings.values():
                for c in (*f.cuis, f.cui):
                    cached[c] = f.name
            for o in self.other:
                cached.setdefault(o.cui, OTHER)
            for o in self.normal:
                cached.setdefault(o.cui, o.finding)
            object.__setattr__(self, "_cui_map_cache", cached)
        return cached

    def asserted(self) -> dict[str, str]:
        """CUI → rule id of the concepts whose mentions are asserted *negative* as written: the
        normal statements that deny a finding (``denies:`` in ``normal.yaml``)."""
        return {o.cui: f"{ASSERTED_RULE_PREFIX}{o.name.replace(' ', '-')}" for o in self.normal if o.denies}

    def entries(self) -> Iterator[Entry]:
        """Every indexed phrase, normalized: the 14 findings' terms and exclusions, OTHER, NORMAL."""
        for f in self.findings.values():
            for t in f.terms:
                yield Entry(normalize_phrase(t), f.cui, f.name)
            for t in f.exclude:
                yield Entry(normalize_phrase(t), f"CXR:exclude:{f.name}", f.name, "exclude")
        for o in self.other:
            for t in o.terms:
                yield Entry(normalize_phrase(t), o.cui, OTHER)
        for o in self.normal:
            for t in o.terms:
                yield Entry(normalize_phrase(t), o.cui, o.finding)

    def patterns(self) -> list[ConceptPattern]:
        """Every gapped pattern, parsed."""
        out = []
        for f in self.findings.values():
            out += [ConceptPattern.parse(p, f.name, f.cui, f"findings.yaml:{f.name}") for p in f.patterns]
        for o in self.other:
            out += [ConceptPattern.parse(p, OTHER, o.cui, f"other.yaml:{o.name}") for p in o.patterns]
        for o in self.normal:
            out += [ConceptPattern.parse(p, o.finding, o.cui, f"normal.yaml:{o.name}") for p in o.patterns]
        return out


def string_list(value: Any, where: str) -> tuple[str, ...]:
    """``value`` as a tuple of stripped non-empty strings (None: empty); O402 otherwise."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise OntologyError(f"{where}: expected a list of non-empty strings, got {value!r}", code="O402")
    return tuple(v.strip() for v in value)


def read_ontology_file(directory: Path, name: str) -> tuple[dict[str, Any], bytes]:
    """One ontology file as a mapping (with a top-level ``version:``) and its raw bytes."""
    path = directory / name
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise OntologyError(f"cannot read ontology file {path}: {err}; pass the folder that holds {', '.join(_FILES)}", code="O401") from err
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as err:
        raise OntologyError(f"{path}: not valid YAML: {err}", code="O402") from err
    if not isinstance(data, dict) or "version" not in data:
        raise OntologyError(f"{path}: expected a mapping with a top-level 'version:'", code="O402")
    return data, raw


def _parse_findings(data: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Finding]:
    block = data.get("findings")
    if not isinstance(block, dict):
        raise OntologyError("findings.yaml: expected a 'findings:' mapping", code="O402")
    unknown = sorted(set(block) - set(names))
    missing = [f for f in names if f not in block]
    if unknown or missing:
        raise OntologyError(
            f"findings.yaml: findings must be exactly {', '.join(names)} (unknown: {unknown}, missing: {missing})",
            code="O402",
        )
    out = {}
    for name in names:
        d = block[name] or {}
        where = f"findings.yaml:{name}"
        cuis = string_list(d.get("cuis"), f"{where}.cuis")
        if "cui" not in d or not cuis:
            raise OntologyError(f"{where}: needs 'cui' and a non-empty 'cuis' list", code="O402")
        out[name] = Finding(
            name=name,
            preferred=str(d.get("preferred", name)),
            cui=str(d["cui"]),
            cuis=cuis,
            terms=string_list(d.get("terms"), f"{where}.terms"),
            patterns=string_list(d.get("patterns"), f"{where}.patterns"),
            exclude=string_list(d.get("exclude"), f"{where}.exclude"),
            excluded_cuis=dict(d.get("excluded_cuis") or {}),
            notes=str(d.get("notes", "")).strip(),
        )
    return out


def parse_concepts(data: Mapping[str, Any], file: str, findings: tuple[str, ...] = FINDINGS) -> tuple[OtherConcept, ...]:
    """The ``concepts:`` of an other.yaml / normal.yaml mapping (``denies:`` must name one of
    ``findings``, and only in normal.yaml)."""
    out = []
    for i, d in enumerate(data.get("concepts") or []):
        if not isinstance(d, dict) or not d.get("name"):
            raise OntologyError(f"{file}: concept #{i + 1} needs a 'name'", code="O402")
        name = str(d["name"])
        where = f"{file}:{name}"
        denies = d.get("denies")
        if denies is not None and (file != "normal.yaml" or denies not in findings):
            raise OntologyError(
                f"{where}: 'denies: {denies}' — only a normal.yaml statement may deny a finding, "
                f"and it must be one of {', '.join(findings)}",
                code="O402",
            )
        out.append(
            OtherConcept(
                name=name,
                cui=str(d.get("cui") or f"CXR:{name.replace(' ', '_')}"),
                terms=string_list(d.get("terms"), f"{where}.terms"),
                patterns=string_list(d.get("patterns"), f"{where}.patterns"),
                notes=str(d.get("notes", "")).strip(),
                denies=denies,
            )
        )
    return tuple(out)


def _default_dir() -> Path:
    return Path(str(resources.files("cxrlabel") / "_data" / "ontology"))


def load_ontology(directory: str | Path | None = None, findings: tuple[str, ...] = FINDINGS) -> Ontology:
    """Load and check ``findings.yaml``, ``other.yaml`` and ``normal.yaml`` from ``directory``
    (default: the ontology shipped with cxrlabel), whose findings must be exactly ``findings``
    (default: the 14 of ChestX-ray14; a scheme passes its own, see :mod:`cxrlabel.schemes`).
    Raises :class:`OntologyError` (O4xx)."""
    folder = Path(directory).resolve() if directory is not None else _default_dir()
    stamp = []
    for name in _FILES:  # the cache key changes when a file does
        try:
            st = (folder / name).stat()
            stamp.append((st.st_mtime_ns, st.st_size))
        except OSError:
            stamp.append(None)
    return _load(str(folder), tuple(findings), tuple(stamp))


@lru_cache(maxsize=8)
def _load(directory: str, names: tuple[str, ...], _stamp: tuple) -> Ontology:
    folder = Path(directory)
    digest = hashlib.sha256()
    parsed = {}
    for name in _FILES:
        parsed[name], raw = read_ontology_file(folder, name)
        digest.update(name.encode() + b"\0" + raw + b"\0")
    versions = {str(parsed[n]["version"]) for n in _FILES}
    if len(versions) != 1:
        raise OntologyError(f"{folder}: the files disagree on 'version' ({sorted(versions)}); give them one version", code="O402")
    onto = Ontology(
        version=versions.pop(),
        findings=_parse_findings(parsed["findings.yaml"], names),
        other=parse_concepts(parsed["other.yaml"], "other.yaml", names),
        normal=parse_concepts(parsed["normal.yaml"], "normal.yaml", names),
        content_hash=digest.hexdigest(),
        source=str(folder),
        generic_contexts=tuple(
            normalize_phrase(t)
            for t in string_list(parsed["findings.yaml"].get("generic_contexts"), "findings.yaml:generic_contexts")
        ),
    )
    onto.patterns()  # parse once so malformed patterns fail at load time
    return onto
