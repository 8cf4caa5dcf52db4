"""One exception tree; every error carries a stable code that tests and docs refer to.

::

    CxrlabelError                 (code "E000" unless given)
    ├── RuleError                 R1xx  a rule file or path is malformed (file:line:col + caret)
    ├── InputError                I2xx  bad report text, CSV, bytes, arguments
    │   └── CacheError            I29x  the parse cache file cannot be opened or used
    ├── ParserError               P3xx  a parser backend failed on input
    │   └── ModelNotFoundError    P301  a model or extra is not installed (says what to install)
    ├── OntologyError             O4xx  the ontology files or the concept index
    ├── GoldError                 G5xx  a gold standard cannot be read or does not fit
    ├── LabelerError              L6xx  the labeler's self-check or configuration
    ├── PluginError               X7xx  an unknown plugin name (lists what is available)
    └── VisionError               V8xx  cxrlabel_vision data, checkpoints, arguments

Codes are strings such as ``"R101"``; ``str(err)`` starts with ``error[CODE]`` (rule errors
put ``file:line:col:`` in front, the way compilers do). Every code, with its class and meaning,
is a row of :data:`cxrlabel.codes.ERROR_CODES`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CacheError",
    "CxrlabelError",
    "GoldError",
    "InputError",
    "LabelerError",
    "ModelNotFoundError",
    "OntologyError",
    "ParserError",
    "PluginError",
    "RuleError",
    "SourceLocation",
    "VisionError",
]


class CxrlabelError(Exception):
    """Base of every error cxrlabel raises on purpose."""

    default_code = "E000"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        self.code = code or self.default_code
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return f"error[{self.code}]: {self.message}"


@dataclass(frozen=True)
class SourceLocation:
    """Where in a rule file (1-based line and column) something went wrong."""

    file: str
    line: int
    col: int
    source_line: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class RuleError(CxrlabelError):
    """A malformed rule file, rule or path. Formats as ``file:line:col: error[R1xx]: ...``
    followed by the offending line and a caret under the column."""

    default_code = "R100"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        location: SourceLocation | None = None,
        rule_id: str | None = None,
    ) -> None:
        self.location = location
        self.rule_id = rule_id
        super().__init__(message, code=code)

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        rule = f"in rule '{self.rule_id}': " if self.rule_id else ""
        out = f"{where}error[{self.code}]: {rule}{self.message}"
        if self.location and self.location.source_line:
            line = self.location.source_line.rstrip("\n")
            out += f"\n    {line}\n    {' ' * max(self.location.col - 1, 0)}^"
        return out


class InputError(CxrlabelError):
    """Bad input: unreadable bytes, an empty or malformed CSV, a wrong argument."""

    default_code = "I200"


class CacheError(InputError):
    """The parse cache file cannot be opened or is not a cxrlabel parse cache (``I290``);
    the message says to pass another ``--cache PATH``, clear it, or use ``--no-cache``."""

    default_code = "I290"


class ParserError(CxrlabelError):
    """A parser backend failed on some input."""

    default_code = "P300"


class ModelNotFoundError(ParserError):
    """A parser model or optional extra is missing; the message says what to install."""

    default_code = "P301"


class OntologyError(CxrlabelError):
    """The ontology files are malformed or the concept index cannot be built."""

    default_code = "O400"


class GoldError(CxrlabelError):
    """A gold standard cannot be found, read, or matched to the reports."""

    default_code = "G500"


class LabelerError(CxrlabelError):
    """The labeler is misconfigured or failed its self-check."""

    default_code = "L600"


class PluginError(CxrlabelError, LookupError):
    """An unknown name of any kind in :mod:`cxrlabel.registry` (parser backend, rule pack, gold
    standard, policy, command, vision model): ``X701``, whose message names the kind and lists
    the available names."""

    default_code = "X700"


class VisionError(CxrlabelError):
    """cxrlabel_vision: bad data, labels, checkpoints or arguments."""

    default_code = "V800"
