"""The ``stanza`` backend: Stanford's stanza (UD labels), normalized into the canonical space.

Needs the ``[stanza]`` extra (``pip install "cxrlabel[stanza]"``) and a model: on a connected
machine ``python -c "import stanza; stanza.download('en', package='mimic')"`` (or let the parser
download on first use with ``download_method="reuse"``/``"download"``); on an air-gapped machine
copy a ``stanza_resources`` folder over and pass ``dir=PATH`` (the default ``download_method``
is ``None``: never touch the network).

The conversion from a ``stanza.Document`` is the pure function
:func:`sentences_from_stanza_doc`, tested on Documents built from CoNLL-U without any weights.
Multi-word tokens ("cannot" → *can* + *not*) become one token per word, each with the part of
the token's characters it spells (or the whole token when it cannot be found).
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from ..errors import ModelNotFoundError, ParserError
from ..types import Edge, Sentence, Token
from .normalize import NORMALIZATION_VERSION, normalize_edges

__all__ = ["StanzaParser", "merge_sentences", "sentences_from_stanza_doc"]

_PROCESSORS = "tokenize,mwt,pos,lemma,depparse"


def _sentence_text(sent: Any) -> str:
    if getattr(sent, "text", None):
        return sent.text
    parts = []
    for tok in sent.tokens:
        parts.append(tok.text)
        parts.append(getattr(tok, "spaces_after", " ") or "")
    return "".join(parts).rstrip()


def sentences_from_stanza_doc(doc: Any) -> list[Sentence]:
    """Every sentence of a ``stanza.Document`` as a normalized :class:`Sentence`.

    When the tokens carry character offsets (``start_char``, as after a real pipeline run) the
    offsets are those into ``doc.text``; otherwise (e.g. a Document read from CoNLL-U) each
    sentence is located in its own text and starts at offset 0.
    """
    out = []
    for k, sent in enumerate(doc.sentences):
        text = _sentence_text(sent)
        with_chars = all(t.start_char is not None for t in sent.tokens)
        base = sent.tokens[0].start_char if with_chars and sent.tokens else 0
        if with_chars and getattr(doc, "text", None):
            text = doc.text[base : sent.tokens[-1].end_char]
        tokens: list[Token] = []
        ids: dict[int, int] = {}
        cursor = 0
        for tok in sent.tokens:
            if with_chars:
                t0, t1 = tok.start_char - base, tok.end_char - base
            else:
                found = text.find(tok.text, cursor)
                t0 = found if found >= 0 else cursor
                t1 = t0 + len(tok.text)
            cursor = max(cursor, t1)
            wcur = t0
            for w in tok.words:
                if len(tok.words) == 1:
                    w0, w1 = t0, t1
                else:
                    f = text.find(w.text, wcur, t1)
                    w0, w1 = (f, f + len(w.text)) if f >= 0 else (t0, t1)
                    wcur = max(wcur, w1) if f >= 0 else wcur
                ids[int(w.id)] = len(tokens)
                tokens.append(
                    Token(
                        i=len(tokens),
                        text=text[w0:w1] if w1 > w0 else w.text,
                        lemma=w.lemma if w.lemma not in (None, "_") else w.text,
                        tag=w.xpos or "",
                        pos=w.upos or "",
                        start=w0 + (base if with_chars else 0),
                        end=w1 + (base if with_chars else 0),
                    )
                )
        edges = []
        for w in sent.words:
            if w.head in (None, 0):
                continue
            if w.head not in ids:
                raise ParserError(f"stanza word {w.id} {w.text!r} has head {w.head}, which is not a word", code="P311")
            edges.append(Edge(ids[w.head], w.deprel or "dep", ids[int(w.id)]))
        start = base if with_chars else 0
        norm = tuple(normalize_edges(tokens, edges, "ud"))
        out.append(Sentence(text=text, tokens=tuple(tokens), edges=norm, start=start, end=start + len(text), index=k))
    return out


def merge_sentences(sentences: list[Sentence], text: str) -> Sentence:
    """Several sentences of one input ``text`` as a single Sentence (tokens renumbered)."""
    if len(sentences) == 1:
        s = sentences[0]
        return Sentence(text=text, tokens=s.tokens, edges=s.edges, start=0, end=len(text))
    tokens: list[Token] = []
    edges: list[Edge] = []
    for s in sentences:
        off = len(tokens)
        tokens.extend(Token(t.i + off, t.text, t.lemma, t.tag, t.pos, t.start, t.end) for t in s.tokens)
        edges.extend(Edge(e.head + off, e.rel, e.dep + off) for e in s.edges)
    return Sentence(text=text, tokens=tuple(tokens), edges=tuple(edges), start=0, end=len(text))


class StanzaParser:
    """stanza backend; implements :class:`~cxrlabel.parsers.base.Parser`.

    ``package`` names the stanza model package (``mimic`` suits radiology), ``dir`` the
    ``stanza_resources`` folder, ``download_method`` is passed to ``stanza.Pipeline``
    (``None``: use only what is on disk).
    """

    name = "stanza"

    def __init__(
        self,
        lang: str = "en",
        package: str = "mimic",
        dir: str | None = None,  # noqa: A002 - stanza's own argument name
        download_method: Any = None,
        use_gpu: bool = False,
        **options: Any,
    ) -> None:
        try:
            import stanza
        except ImportError as exc:
            raise ModelNotFoundError(
                'the stanza parser needs the [stanza] extra; run: pip install "cxrlabel[stanza]"'
            ) from exc
        self.lang, self.package, self.dir = lang, package, dir
        self._stanza_version = stanza.__version__
        kwargs: dict[str, Any] = dict(
            lang=lang,
            package=package,
            processors=_PROCESSORS,
            tokenize_no_ssplit=True,
            download_method=download_method,
            use_gpu=use_gpu,
            logging_level="WARN",
            **options,
        )
        if dir is not None:
            kwargs["dir"] = str(dir)
        try:
            self.nlp = stanza.Pipeline(**kwargs)
        except Exception as exc:  # stanza raises several types (FileNotFoundError, ResourcesFileNotFoundError…)
            where = f" in {dir}" if dir else ""
            raise ModelNotFoundError(
                f"stanza model {lang}/{package} could not be loaded{where} ({type(exc).__name__}: {exc}). "
                f"On a connected machine run: python -c \"import stanza; stanza.download('{lang}', package='{package}')\"; "
                "on an air-gapped machine copy a stanza_resources folder there and pass dir=PATH "
                "(StanzaParser(dir=...) or --parser-option dir=PATH)"
            ) from exc

    @property
    def version(self) -> str:
        return f"stanza-{self._stanza_version}-{self.lang}-{self.package}-norm{NORMALIZATION_VERSION}"

    def parse(self, texts: Iterable[str]) -> Iterator[Sentence]:
        """One normalized Sentence per text, in order (several stanza sentences are merged)."""
        import stanza

        batch: list[str] = []
        for text in texts:
            batch.append(text)
            if len(batch) >= 64:
                yield from self._run(stanza, batch)
                batch = []
        if batch:
            yield from self._run(stanza, batch)

    def _run(self, stanza: Any, batch: list[str]) -> Iterator[Sentence]:
        docs = self.nlp([stanza.Document([], text=t) for t in batch])
        for text, doc in zip(batch, docs):
            sents = sentences_from_stanza_doc(doc)
            if not sents:
                yield Sentence(text=text, tokens=(), edges=(), start=0, end=len(text))
            else:
                yield merge_sentences(sents, text)
