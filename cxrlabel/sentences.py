"""Sentence splitting for radiology text: NLTK Punkt with parameters kept in this module.

Punkt is used with hand-built :class:`~nltk.tokenize.punkt.PunktParameters` (no
``nltk.download``): an abbreviation list for clinical prose, where units such as ``cm``/``mm``
are deliberately *not* abbreviations because in reports they usually end a sentence
("... measuring 5 mm. No effusion."). Before Punkt runs, the text is cut at hard boundaries
that Punkt does not know about:

- blank lines, and single newlines that start a list item, follow sentence punctuation or a
  colon, or are followed by a capitalised word (dictation without final periods; a line that
  starts with ``XXXX`` or an acronym such as ``PICC`` continues the sentence);
- list markers ``1.``/``2)`` and bullets ``-``, ``*``, ``•`` at the start of a line or after the
  end of a sentence (``2)`` also after any whitespace), also glued to the next word in either
  case ("2.no pleural effusion", "3.Possible edema"; a glued marker after any whitespace too:
  "... pneumothorax 4.mild degenerative change") — the marker itself never becomes (or joins)
  a sentence, so its digits never fuse with the cue word;
- run-on dictation: a capitalised word right after a lower-case word with no punctuation
  between ("No focal infiltrates Emphysema is present") starts a new sentence.

Every span is ``(start, end)`` into the given text, trimmed of whitespace; pieces without any
letter or digit are dropped (they carry nothing to label). OpenI ``XXXX`` redactions are
ordinary words here.
"""

from __future__ import annotations

import re
import sys
import threading
import types
from functools import lru_cache
from typing import Any, Iterator


class _UnrunPackage(types.ModuleType):
    """A package in ``sys.modules`` whose ``__init__`` has not run yet (:func:`import_punkt`).
    Its submodules import below it meanwhile (its ``__path__`` and ``__spec__`` are set). The
    first lookup of an attribute it lacks, ``dir()``, or the import of one of its submodules
    not loaded yet (:class:`_RunPackagesFirst`) runs its ``__init__`` in place — the same
    module object — and it is an ordinary module from then on. Lookups made while it runs,
    by its own ``__init__``, are ordinary misses."""

    def __getattr__(self, name: str) -> Any:
        if not _run_package(self):
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        return types.ModuleType.__getattribute__(self, name)

    def __dir__(self) -> list[str]:
        _run_package(self)
        return list(self.__dict__)


#: Held by the thread that runs a package's ``__init__`` (or imports Punkt below them). Never
#: waited for: a thread that finds it taken goes on as if the package were still unrun, so
#: that no import made while it is held can deadlock with one waiting for it.
_UNRUN_LOCK = threading.RLock()
_unrun: dict[str, types.ModuleType] = {}  # name → package whose __init__ has not run
_running: set[str] = set()
_held = False  # True while import_punkt imports Punkt below the unrun packages


def _run_package(module: types.ModuleType) -> bool:
    """Run ``module``'s ``__init__`` now unless it has run, is running or is held (or another
    thread holds :data:`_UNRUN_LOCK`); True when it has run (an attribute lookup can go on)."""
    name = module.__name__
    if name not in _unrun:
        return type(module) is types.ModuleType
    if not _UNRUN_LOCK.acquire(blocking=False):
        return False
    try:
        if name not in _unrun or _held or name in _running:
            return name not in _unrun
        parent = name.rpartition(".")[0]
        if parent in _unrun:  # a package's parent runs first, as in a plain import
            _run_package(_unrun[parent])
            if name not in _unrun:  # the parent's __init__ ran this one
                return True
        _running.add(name)
        try:
            module.__spec__.loader.exec_module(module)  # type: ignore[union-attr]
        finally:
            _running.discard(name)
        del _unrun[name]
        module.__class__ = types.ModuleType  # type: ignore[assignment]
        if not _unrun and _RUN_FIRST in sys.meta_path:
            sys.meta_path.remove(_RUN_FIRST)
        return True
    finally:
        _UNRUN_LOCK.release()


class _RunPackagesFirst:
    """A meta path finder that finds nothing: before a submodule of an unrun package is
    imported, it runs that package's ``__init__`` (the order of a plain import)."""

    @staticmethod
    def find_spec(fullname: str, path: Any = None, target: Any = None) -> None:
        for name in list(_unrun):  # (a copy: another thread may run one meanwhile)
            if fullname.startswith(name + "."):
                module = _unrun.get(name)
                if module is not None:
                    _run_package(module)
        return None


_RUN_FIRST = _RunPackagesFirst()


def _unrun_packages(*names: str) -> list[types.ModuleType]:
    """The packages ``names`` (each the parent of the next), found without importing them;
    none when one is not a package of source files."""
    import importlib.machinery
    import importlib.util

    out: list[types.ModuleType] = []
    path = None
    for name in names:
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        source = spec is not None and isinstance(spec.loader, importlib.machinery.SourceFileLoader)
        if not source or not spec.submodule_search_locations:  # type: ignore[union-attr]
            return []
        module = importlib.util.module_from_spec(spec)
        module.__class__ = _UnrunPackage
        out.append(module)
        path = list(spec.submodule_search_locations)
    return out


def import_punkt() -> Any:
    """``nltk.tokenize.punkt`` without running ``nltk/__init__`` (nor ``nltk/tokenize/__init__``).

    ``import nltk`` imports every nltk subpackage (parsers, corpus readers, translation
    metrics and, through ``nltk.collocations`` → ``nltk.metrics``, scipy.stats where scipy is
    installed): 0.3 s of a labeler's start without scipy, about 1.5 s with it, for a module
    that needs eight small ones. So, when nltk is not imported yet, ``nltk`` and
    ``nltk.tokenize`` go into ``sys.modules`` as the real packages with their ``__init__`` not
    run yet, and Punkt is imported below them; their ``__init__`` runs, in place, as soon as
    anyone uses more of nltk (:class:`_UnrunPackage`): ``nltk.word_tokenize``, ``from
    nltk.tokenize import word_tokenize``, ``import nltk.corpus``, ``nltk.__version__``. A
    program that uses nltk gets all of it, with the same module objects
    (``nltk.tokenize.punkt`` is this one).
    """
    global _held
    if "nltk" in sys.modules:
        import nltk.tokenize.punkt as punkt

        return punkt
    packages = _unrun_packages("nltk", "nltk.tokenize")
    if not packages:  # not the layout this expects: the plain way
        import nltk.tokenize.punkt as punkt

        return punkt
    before = set(sys.modules)
    with _UNRUN_LOCK:
        _unrun.update({m.__name__: m for m in packages})
        sys.modules.update(_unrun)
        sys.meta_path.insert(0, _RUN_FIRST)
        _held = True
        try:
            import nltk.tokenize.punkt as punkt
        except BaseException:
            for name in set(sys.modules) - before:  # nothing half-imported stays behind
                if name == "nltk" or name.startswith("nltk."):
                    del sys.modules[name]
            _unrun.clear()
            sys.meta_path.remove(_RUN_FIRST)
            raise
        finally:
            _held = False
    return punkt


_punkt = import_punkt()
PunktParameters = _punkt.PunktParameters
PunktSentenceTokenizer = _punkt.PunktSentenceTokenizer

__all__ = ["ABBREVIATIONS", "import_punkt", "sentence_spans", "split_sentences", "tokenizer"]

#: Lower-case abbreviation types (without the final period) that do not end a sentence.
ABBREVIATIONS: frozenset[str] = frozenset(
    {
        # titles and Latin
        "dr", "drs", "mr", "mrs", "ms", "prof", "jr", "sr", "st", "vs", "v", "e.g", "i.e",
        "cf", "ca", "al", "approx", "viz", "esp", "incl", "fig", "figs", "resp",
        # clinical shorthand
        "a.m", "p.m", "b.i.d", "t.i.d", "q.i.d", "q.d", "p.o", "p.r.n", "h.o", "s.p",
        "hx", "pt", "pts", "yo", "y.o", "sig", "lat", "ant", "inf", "sup", "ext",
        "a.p", "p.a", "rt", "lt", "bilat", "r.o",
    }
)

# A list marker: "1." / "12)" / "(3)" followed by whitespace, or a bullet.
# "1.Severe" and "2., Mild" (dictation glitches) count too; "1.5" does not.
_MARKER = r"(?:\(?\d{1,2}[.)],?(?=\s|[A-Za-z])|[-*\u2022\u2023\u25e6\u2043](?=\s))"
# Where a marker may start: beginning of a piece, or after sentence punctuation / a colon.
# "2)" markers may also follow plain whitespace ("No effusion 2) No pneumothorax"), and so may
# a number glued to the next word ("... pneumothorax 4.mild degenerative change": items of a
# numbered list wrapped onto one line); "1.5 cm" is never a marker (a digit follows).
_MARKER_RE = re.compile(
    rf"(?:^|(?<=[.;:!?])|(?<=[.;:!?][)\"'])|(?<=\s)(?=\d{{1,2}}\)\s)|(?<=\s)(?=\d{{1,2}}[.)][A-Za-z]))"
    rf"(?P<ws>\s*)(?P<m>{_MARKER})\s*"
)
# Newlines that end a piece: blank line; or newline followed by a marker or a capital letter,
# or preceded by sentence punctuation / colon.
_BREAK_BEFORE_LINE = r"[ \t]*\r?\n[ \t]*(?=\(?\d{1,2}[.)]\s|[-*\u2022\u2023\u25e6\u2043]\s|[A-Z][a-z])"
_HARD_BREAK_RE = re.compile(rf"\n[ \t]*\n\s*|(?<=[.;:!?])[ \t]*\r?\n\s*|{_BREAK_BEFORE_LINE}")
# The same for scanning, with the last alternative tried only where a blank run starts: from
# inside a run it matches exactly where it matches from the run's start (which comes first),
# and trying it at every blank of a long run made splitting quadratic.
_HARD_BREAK_SCAN_RE = re.compile(
    rf"\n[ \t]*\n\s*|(?<=[.;:!?])[ \t]*\r?\n\s*|(?<![ \t]){_BREAK_BEFORE_LINE}"
)
# Run-on dictation: "...infiltrates Emphysema..." (a lower-case word, spaces, a Titlecase word),
# unless the lower-case word is a function word ("evidence of Pneumonia" stays whole).
_RUNON_RE = re.compile(r"(?<![\w'-])(?P<prev>[a-z]{2,})(?P<gap>[ ]+)(?=[A-Z][a-z]{2,}\b)")
_FUNCTION_WORDS = frozenset(
    "a an the of in on at to for from with without by as and or nor but no not is are was were be "
    "been than that which who this these those there per via into onto over under about like "
    "including include includes represent represents suggest suggests concerning possible "
    "probable likely dr called discussed through".split()
)
_ALNUM_RE = re.compile(r"[^\W_]")


#: Candidate contexts whose Punkt decision :class:`_MemoPunkt` remembers (then it starts over).
DECISIONS = 100_000


class _MemoPunkt(PunktSentenceTokenizer):
    """Punkt with its per-candidate decision memoized. ``text_contains_sentbreak(context)``
    ("size. The", "normal. No": a possible sentence end and the words around it) is a pure
    function of the context once the parameters are fixed, and report prose repeats the same
    few hundred contexts: the same spans as plain Punkt, in about half the time."""

    def __init__(self, params: Any) -> None:
        super().__init__(params)
        self._decisions: dict[str, bool] = {}

    def text_contains_sentbreak(self, text: str) -> bool:
        got = self._decisions.get(text)
        if got is None:
            got = super().text_contains_sentbreak(text)
            if len(self._decisions) >= DECISIONS:
                self._decisions.clear()
            self._decisions[text] = got
        return got


@lru_cache(maxsize=1)
def tokenizer() -> PunktSentenceTokenizer:
    """The shared Punkt tokenizer built from :data:`ABBREVIATIONS`."""
    params = PunktParameters()
    params.abbrev_types = set(ABBREVIATIONS)
    return _MemoPunkt(params)


def _hard_breaks(text: str, start: int, end: int) -> Iterator[re.Match[str]]:
    """The :data:`_HARD_BREAK_RE` matches in ``text[start:end]``, found in linear time: the
    piece may start inside a blank run, so a match right at ``start`` is tried first."""
    first = _HARD_BREAK_RE.match(text, start, end)
    if first:
        yield first
        start = first.end()
    yield from _HARD_BREAK_SCAN_RE.finditer(text, start, end)


def _pieces(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Cut ``text[start:end]`` at every hard break (the breaks are dropped)."""
    pos = start
    for m in _hard_breaks(text, start, end):
        if m.start() > pos:
            yield pos, m.start()
        pos = max(pos, m.end())
    if pos < end:
        yield pos, end


def _strip_markers(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Cut a piece at list markers/bullets, dropping the markers themselves."""
    chunk = text[start:end]  # matched on the slice so that ``^`` means the piece's start
    pos = 0
    for m in _MARKER_RE.finditer(chunk):
        if m.start("m") < pos:
            continue
        if m.start("m") > pos:
            yield start + pos, start + m.start("m")
        pos = m.end()
    if pos < len(chunk):
        yield start + pos, end


def _runon_cuts(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Cut a piece where dictation runs two sentences together without punctuation."""
    pos = start
    for m in _RUNON_RE.finditer(text, start, end):
        if m.group("prev") in _FUNCTION_WORDS:
            continue
        yield pos, m.start("gap")
        pos = m.end("gap")
    if pos < end:
        yield pos, end


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of ``text[start:end]``, as offsets into ``text``."""
    end = len(text) if end is None else end
    punkt = tokenizer()
    out: list[tuple[int, int]] = []
    for b0, b1 in _pieces(text, start, end):
        for m0, m1 in _strip_markers(text, b0, b1):
            for r0, r1 in _runon_cuts(text, m0, m1):
                chunk = text[r0:r1]
                for s0, s1 in punkt.span_tokenize(chunk):
                    a, b = _trim(text, r0 + s0, r0 + s1)
                    if b > a and _ALNUM_RE.search(text, a, b):
                        out.append((a, b))
    return out


def split_sentences(text: str) -> list[str]:
    """The sentence strings of ``text`` (convenience over :func:`sentence_spans`)."""
    return [text[a:b] for a, b in sentence_spans(text)]
