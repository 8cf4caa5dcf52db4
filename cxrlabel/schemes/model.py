"""A label scheme: what is labeled, how Normal is decided, which columns come out, in what order.

A scheme is a folder with a ``scheme.yaml`` and the ontology files (``findings.yaml``,
``other.yaml``, ``normal.yaml``; see ``ontology/README.md``). A folder whose ``scheme.yaml``
names a ``base:`` scheme inherits that scheme's ontology and only adds or regroups
(:mod:`cxrlabel.schemes.derive`). The built-ins are ``chestxray14`` (the folder ``ontology/``,
the default) and ``chexpert`` (``ontology/chexpert/``); ``docs/schemes.md`` describes the format.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

import yaml

from ..digest import stable_repr
from ..errors import OntologyError
from ..types import Label

if TYPE_CHECKING:  # pragma: no cover
    from ..ontology import Ontology

__all__ = ["Canary", "NormalRule", "Scheme", "read_scheme"]

SCHEME_FILE = "scheme.yaml"
_KEYS = frozenset({"name", "version", "description", "base", "findings", "normal", "grammars",
                   "policy", "gold_aliases", "canaries"})
_NORMAL_KEYS = frozenset({"column", "first", "other_blocks", "ignore"})
_LABELS = {lab.value: lab for lab in Label}


@dataclass(frozen=True)
class NormalRule:
    """How the scheme's Normal column is decided: a report is normal when no finding outside
    ``ignore`` is positive or uncertain and, when ``other_blocks``, no OTHER abnormality is."""

    column: str = "No Finding"
    first: bool = False  # the column before the findings (CheXpert) or after them
    other_blocks: bool = True
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class Canary:
    """A self-check sentence: the labels every labeler of the scheme must give it."""

    text: str
    expect: Mapping[str, Label]


@dataclass(frozen=True, eq=False)
class Scheme:
    """A loaded scheme (see the module docstring). ``findings`` are the judged observations in
    output order; :attr:`columns` adds the Normal column where the scheme puts it."""

    name: str
    version: str
    folder: Path
    findings: tuple[str, ...]
    normal: NormalRule = NormalRule()
    description: str = ""
    base: str | None = None
    grammars: tuple[str, ...] = ()
    policy: str = "default"
    gold_aliases: Mapping[str, str] = field(default_factory=dict)
    canaries: tuple[Canary, ...] = ()
    #: scheme finding → the base findings it takes (``from:``), for a scheme with a base.
    sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Builds the ontology (set by :func:`cxrlabel.schemes.load_scheme`).
    ontology_loader: Callable[[Scheme], Ontology] | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        """``name@version``, as recorded with results."""
        return f"{self.name}@{self.version}"

    @property
    def columns(self) -> tuple[str, ...]:
        """The label columns of an output row, in order: the findings and the Normal column."""
        n = self.normal.column
        return (n, *self.findings) if self.normal.first else (*self.findings, n)

    @property
    def ontology(self) -> Ontology:
        """The scheme's ontology (loaded on first use; a base scheme's is inherited)."""
        cached = self.__dict__.get("_ontology")
        if cached is None:
            if self.ontology_loader is None:
                raise OntologyError(f"scheme {self.id}: no ontology loader; load schemes with cxrlabel.schemes.load_scheme",
                                    code="O408")
            cached = self.ontology_loader(self)
            object.__setattr__(self, "_ontology", cached)
        return cached

    @property
    def fingerprint(self) -> str:
        """A digest of the scheme's definition and ontology content."""
        h = hashlib.sha256(stable_repr((self.id, self.findings, self.normal, self.grammars, self.policy)).encode())
        h.update(self.ontology.content_hash.encode())
        return h.hexdigest()[:16]

    def translate(self, finding: str) -> str | None:
        """This scheme's name for ``finding``: itself when the scheme has it, else the finding
        that takes it from the base (``Effusion`` → ``Pleural Effusion``), else None."""
        if finding in self.findings:
            return finding
        for name, taken in self.sources.items():
            if finding in taken:
                return name
        return None

    def unknown_key(self, key: object) -> KeyError:
        """The KeyError of a name that is none of the scheme's findings (lists them)."""
        return KeyError(f"{key!r} is not a finding of the {self.name} scheme; valid keys: "
                        f"{', '.join(self.findings)} (and {self.normal.column!r})")


def _fail(path: Path, msg: str) -> OntologyError:
    return OntologyError(f"{path}: {msg}", code="O408")


def _str_list(value: Any, path: Path, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(path, f"'{key}:' must be a list of non-empty strings, got {value!r}")
    return tuple(v.strip() for v in value)


def _normal(value: Any, path: Path) -> NormalRule:
    if value is None:
        return NormalRule()
    if not isinstance(value, dict) or set(value) - _NORMAL_KEYS:
        raise _fail(path, f"'normal:' must be a mapping with keys from {', '.join(sorted(_NORMAL_KEYS))}")
    return NormalRule(
        column=str(value.get("column", "No Finding")),
        first=bool(value.get("first", False)),
        other_blocks=bool(value.get("other_blocks", True)),
        ignore=_str_list(value.get("ignore"), path, "normal.ignore"),
    )


def _canaries(value: Any, path: Path) -> tuple[Canary, ...]:
    out = []
    for i, c in enumerate(value or []):
        ok = isinstance(c, dict) and isinstance(c.get("text"), str) and isinstance(c.get("expect"), dict)
        if not ok or not all(v in _LABELS for v in c["expect"].values()):
            raise _fail(path, f"canary #{i + 1} needs 'text:' and 'expect: {{Finding: negative|uncertain|positive}}'")
        out.append(Canary(c["text"], {str(k): _LABELS[v] for k, v in c["expect"].items()}))
    return tuple(out)


def _findings_keys(folder: Path) -> tuple[str, ...]:
    """The finding names of a folder's findings.yaml, in file order (a scheme without a
    ``findings:`` list labels exactly those)."""
    path = folder / "findings.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise OntologyError(f"{path}: cannot read the scheme's findings: {err}", code="O401") from err
    block = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(block, dict) or not block:
        raise _fail(path, "expected a non-empty 'findings:' mapping")
    return tuple(str(k) for k in block)


def read_scheme(folder: str | Path) -> Scheme:
    """Read ``folder/scheme.yaml`` (O401 when it cannot be read, O408 when it is malformed).
    The ontology is loaded later, on first use of :attr:`Scheme.ontology`."""
    folder = Path(folder).resolve()
    path = folder / SCHEME_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise OntologyError(f"cannot read {path}: {err}; a scheme is a folder holding {SCHEME_FILE} "
                            "and its ontology files (docs/schemes.md)", code="O401") from err
    except yaml.YAMLError as err:
        raise _fail(path, f"not valid YAML: {err}") from err
    if not isinstance(data, dict) or not data.get("name") or "version" not in data:
        raise _fail(path, "expected a mapping with 'name:' and 'version:'")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise _fail(path, f"unknown key(s) {unknown}; allowed: {', '.join(sorted(_KEYS))}")
    findings = _str_list(data.get("findings"), path, "findings") or _findings_keys(folder)
    normal = _normal(data.get("normal"), path)
    stray = [f for f in normal.ignore if f not in findings]
    if stray or normal.column in findings or len(set(findings)) != len(findings):
        raise _fail(path, f"'normal:' must name a column that is no finding and ignore only findings "
                          f"(unknown: {stray}); findings must be distinct")
    aliases = data.get("gold_aliases") or {}
    if not isinstance(aliases, dict):
        raise _fail(path, "'gold_aliases:' must map a gold column name to a finding")
    return Scheme(
        name=str(data["name"]),
        version=str(data["version"]),
        folder=folder,
        findings=findings,
        normal=normal,
        description=str(data.get("description", "")).strip(),
        base=str(data["base"]) if data.get("base") else None,
        grammars=_str_list(data.get("grammars"), path, "grammars"),
        policy=str(data.get("policy", "default")),
        gold_aliases={str(k): str(v) for k, v in aliases.items()},
        canaries=_canaries(data.get("canaries"), path),
    )
