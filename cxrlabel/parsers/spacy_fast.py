"""Faster stand-ins, with the same output, for two of a spaCy pipeline's rule components, and
a faster matrix product for its networks.

**The attribute ruler's matching.** en_core_web_sm's attribute ruler (179 patterns: the tag
map, morph rules, a few lemma fixes) finds its matches with spaCy's general
:class:`~spacy.matcher.Matcher`, which evaluates every pattern at every token: ≈ 20 µs per token here, a quarter of the pipeline's time on short
report sentences. Its patterns are simple — one or two tokens, each a conjunction of tests on
``LOWER``/``TAG``/``DEP``/``IS_SPACE``/… — so whether a token passes a pattern position
depends only on those few attribute values. :class:`CompiledRuler` evaluates the patterns
once per distinct combination of values (memoized; only the pattern positions whose equality
test on ``LOWER``/``TAG``/… those values pass are tried, :func:`_gates`) and returns the very list
``AttributeRuler.match`` returns (same tuples, same order). Its ``set_annotations`` writes
each token's attributes once: the stock one builds a Span per match and sets that match's
attributes on its token, in the sorted order, each write replacing the field it names
(``set_token_attrs``), so a token ends with, per field, the value of the last match that sets
it — the merge of its matches' attributes in that order, which is what is written
(``tests/test_spacy_fast.py`` compares the parses over OpenI sentences).

:func:`compile_ruler` gives ``None`` for a ruler with anything it does not compile exactly
(an ``OP`` quantifier, an extension attribute, a comparison or fuzzy predicate, an attribute
outside :data:`STRING_ATTRS`/:data:`FLAG_ATTRS`): that ruler keeps spaCy's matcher.

**The rule lemmatizer's loop.** spaCy's ``Lemmatizer`` visits every token in Python and looks
its lemma up in a cache keyed by (word, POS, morphology). :class:`FastLemmatizer` reads those
three values and the lemmas of a whole Doc with one ``to_array``, asks the lemmatizer itself
only for a combination it has not seen (its lemma is a function of those values), and writes
the lemmas back with one ``from_array``; tokens that already have a lemma keep it, as with the
stock component (``overwrite=False``).

**The networks' matrix products.** thinc's CPU backend multiplies matrices with BLIS
(``NumpyOps(use_blis=True)``); on this project's x86-64 machines BLIS's single-threaded
``gemm`` is ≈ 3× slower than numpy's (OpenBLAS) on the tok2vec layers' shapes, and those
products are about a third of a cold labeling run. :func:`use_numpy_gemm` gives every layer
of the pipeline ``NumpyOps(use_blis=False)``, the same backend with numpy's ``dot``. Float
sums may then round differently, so this is the one fast path whose output is not the same by
construction: the parses (tags, lemmas, dependencies, heads) are compared with a plainly loaded
pipeline's over OpenI sentences (``tests/test_spacy_fast.py``; all 8,619 distinct OpenI sentences
and the Stanford impressions were identical when it was adopted), and the parser's version says
that it is on (``-npgemm``), so parse caches and decision memos are not shared with the plain
backend. OpenBLAS would spread even a one-sentence product over every core, and its idle
threads spin for a while after each: twice the CPU for the same speed here, and in a batch
run a core taken from the other jobs. So the parser runs its pipeline with numpy's BLAS on one
thread (:func:`one_blas_thread`, the caller's setting restored after each call), single-threaded
as BLIS was.

:func:`install_fast_paths` puts the two rule components on a loaded pipeline (only on that
instance: the ruler's ``match`` and the lemmatizer's ``pipe``, which ``nlp.pipe`` calls;
``nlp(text)`` keeps the stock lemmatizer loop, with the same result).
"""

from __future__ import annotations

import functools
import re
from contextlib import contextmanager
from operator import attrgetter
from typing import Any, Callable, Iterator

__all__ = ["FLAG_ATTRS", "STRING_ATTRS", "CompiledRuler", "FastLemmatizer", "compile_ruler", "install_fast_paths", "one_blas_thread", "use_numpy_gemm"]

#: Token attributes compared as strings (their hashes, as spaCy's matcher does).
STRING_ATTRS = frozenset({"ORTH", "LOWER", "NORM", "TAG", "DEP", "LEMMA"})
#: Boolean token attributes.
FLAG_ATTRS = frozenset({"IS_SPACE", "IS_PUNCT", "IS_ALPHA", "IS_DIGIT", "IS_LOWER", "IS_UPPER", "IS_TITLE"})
#: Distinct attribute combinations remembered before the memo starts over.
MEMO_SIZE = 200_000

_ALIASES = {"TEXT": "ORTH"}
# (column, test, operand): "eq" hash/int, "in"/"not_in" frozenset of hashes, "regex" pattern
Test = tuple[int, str, Any]


class _Uncompilable(Exception):
    pass


class CompiledRuler:
    """``match(doc)``: the matches of ``ruler`` (an ``AttributeRuler``) on ``doc``, as
    ``AttributeRuler.match`` gives them. Build it with :func:`compile_ruler`."""

    def __init__(self, ruler: Any, columns: list[str], patterns: list[tuple[int, int, list[list[Test]]]]) -> None:
        from spacy.pipeline.attributeruler import AttributeRuler
        from spacy.tokens._retokenize import set_token_attrs

        self.ruler = ruler
        self._set_token_attrs = set_token_attrs
        self._stock_match, self._stock_set = AttributeRuler.match, AttributeRuler.set_annotations
        self._compiled_rules = len(ruler.attrs)  # a pattern added later: spaCy's matcher again
        self.columns = columns
        names = [c.lower() for c in columns]  # the Token attributes (hashes, flags as bools)
        get = attrgetter(*names)
        self._key: Callable[[Any], tuple[Any, ...]] = get if len(names) > 1 else (lambda tok: (get(tok),))
        self._strings = ruler.vocab.strings
        # (attr_id, match_id, tests per position), in the ruler's order
        self._patterns = patterns
        self._gates, self._ungated = _gates(patterns, columns)
        self._gate_cols = sorted({col for col, _ in self._gates})
        self._memo: dict[tuple[int, ...], Any] = {}

    def _passes(self, tests: list[Test], key: tuple[int, ...]) -> bool:
        for col, test, operand in tests:
            value = key[col]
            if test == "eq":
                ok = value == operand
            elif test == "in":
                ok = value in operand
            elif test == "not_in":
                ok = value not in operand
            else:  # regex, on the string (spaCy: ``re.search``)
                ok = bool(operand.search(self._strings[value]))
            if not ok:
                return False
        return True

    def _hits(self, key: tuple[int, ...]) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...], frozenset[tuple[int, int]]]:
        """For one token's attribute values: the ``(attr_id, match_id)`` of the one-token
        patterns it matches, the ``(pattern, length)`` of the longer patterns whose first
        position it passes, and every ``(pattern, position)`` of those it passes."""
        pats = self._patterns
        gates = self._gates
        candidates = set(self._ungated)  # only positions whose gate test the key passes (_gates)
        for col in self._gate_cols:
            candidates.update(gates.get((col, key[col]), ()))
        passed = sorted((k, j) for k, j in candidates if self._passes(pats[k][2][j], key))
        single = tuple(pats[k][:2] for k, j in passed if len(pats[k][2]) == 1)
        multi = frozenset((k, j) for k, j in passed if len(pats[k][2]) > 1)
        starts = tuple((k, len(pats[k][2])) for k, j in passed if j == 0 and len(pats[k][2]) > 1)
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
        got = self._memo[key] = (single, starts, multi)
        return got

    def match(self, doc: Any) -> list[tuple[int, int, int, int]]:
        """``[(attr_id, match_id, start, end), ...]`` sorted, as ``AttributeRuler.match``."""
        n = len(doc)
        if n == 0:
            return []
        if len(self.ruler.attrs) != self._compiled_rules:
            return self._stock_match(self.ruler, doc)
        memo_get, compute = self._memo.get, self._hits
        hits = [memo_get(key) or compute(key) for key in map(self._key, doc)]
        out: list[tuple[int, int, int, int]] = []
        for i, (single, starts, _) in enumerate(hits):
            for attr_id, match_id in single:
                out.append((attr_id, match_id, i, i + 1))
            for k, size in starts:
                if i + size <= n and all((k, p) in hits[i + p][2] for p in range(1, size)):
                    attr_id, match_id, _ = self._patterns[k]
                    out.append((attr_id, match_id, i, i + size))
        out.sort()
        return out

    def set_annotations(self, doc: Any, matches: list[tuple[int, int, int, int]]) -> None:
        """What ``AttributeRuler.set_annotations(doc, matches)`` does, one write per token."""
        ruler = self.ruler
        attrs, indices = ruler.attrs, ruler.indices
        targets: dict[int, dict[Any, Any]] = {}
        for attr_id, _, start, end in matches:
            index = indices[attr_id]
            i = start + index if index >= 0 else end + index
            if not start <= i < end:  # the stock method raises its own error (E1001)
                self._stock_set(ruler, doc, matches)
                return
            got = targets.get(i)
            if got is None:
                targets[i] = dict(attrs[attr_id])
            else:
                got.update(attrs[attr_id])
        set_token_attrs = self._set_token_attrs
        for i, merged in targets.items():
            set_token_attrs(doc[i], merged)


#: Columns a pattern position is gated on, most selective first (see :func:`_gates`).
_GATE_ORDER = ("LOWER", "ORTH", "NORM", "LEMMA", "TAG", "DEP")


def _gates(
    patterns: list[tuple[int, int, list[list[Test]]]], columns: list[str]
) -> tuple[dict[tuple[int, Any], list[tuple[int, int]]], list[tuple[int, int]]]:
    """An index of the pattern positions ``(pattern, position)`` by one of their equality tests
    (``{(column, value): positions}``: a token whose value in that column differs cannot pass
    them, so :meth:`CompiledRuler._hits` tries only the positions its values open), and the
    positions with no such test, tried for every token. Equality tests on the columns of
    :data:`_GATE_ORDER` are used, the most selective first."""
    rank = {columns.index(name): n for n, name in enumerate(_GATE_ORDER) if name in columns}
    gates: dict[tuple[int, Any], list[tuple[int, int]]] = {}
    ungated: list[tuple[int, int]] = []
    for k, (_, _, positions) in enumerate(patterns):
        for j, tests in enumerate(positions):
            eq = sorted((rank[col], col, operand) for col, test, operand in tests if test == "eq" and col in rank)
            if eq:
                gates.setdefault((eq[0][1], eq[0][2]), []).append((k, j))
            else:
                ungated.append((k, j))
    return gates, ungated


def _tests(spec: Any, columns: dict[str, int], strings: Any) -> list[Test]:
    from spacy.strings import get_string_id

    if not isinstance(spec, dict):
        raise _Uncompilable(f"token spec {spec!r}")
    tests: list[Test] = []
    for raw, value in spec.items():
        if not isinstance(raw, str):
            raise _Uncompilable(f"attribute {raw!r}")
        attr = _ALIASES.get(raw.upper(), raw.upper())
        if attr not in STRING_ATTRS and attr not in FLAG_ATTRS:
            raise _Uncompilable(f"attribute {raw!r}")
        col = columns.setdefault(attr, len(columns))
        flag = attr in FLAG_ATTRS
        if isinstance(value, bool) or (flag and isinstance(value, int)):
            if not flag:
                raise _Uncompilable(f"{raw}: {value!r}")
            tests.append((col, "eq", int(value)))
        elif isinstance(value, str) and not flag:
            tests.append((col, "eq", strings.add(value)))
        elif isinstance(value, dict) and len(value) == 1 and not flag:
            (op, operand), = value.items()
            if op in ("IN", "NOT_IN") and isinstance(operand, (list, tuple)) and all(isinstance(v, str) for v in operand):
                tests.append((col, op.lower(), frozenset(get_string_id(v) for v in operand)))
            elif op == "REGEX" and isinstance(operand, str):
                tests.append((col, "regex", re.compile(operand)))
            else:
                raise _Uncompilable(f"{raw}: {value!r}")
        else:
            raise _Uncompilable(f"{raw}: {value!r}")
    return tests


def compile_ruler(ruler: Any) -> CompiledRuler | None:
    """A :class:`CompiledRuler` for spaCy ``AttributeRuler`` ``ruler``, or ``None`` when one
    of its patterns uses something not compiled exactly (see the module docstring), or it has
    match callbacks or span filters."""
    strings = ruler.vocab.strings
    matcher = ruler.matcher
    columns: dict[str, int] = {}
    patterns: list[tuple[int, int, list[list[Test]]]] = []
    try:
        for attr_id in range(len(ruler.attrs)):
            match_id = strings[str(attr_id)]
            got = matcher.get(match_id)
            if got is None:
                continue
            on_match, alternatives = got
            if "_" in ruler.attrs[attr_id]:  # extension values: merged per key, not per field
                raise _Uncompilable("extension attributes")
            if on_match is not None or getattr(matcher, "_filter", {}).get(match_id) is not None:
                raise _Uncompilable("callback or filter")
            for alt in alternatives:
                if not alt or any(isinstance(s, dict) and "OP" in s for s in alt):
                    raise _Uncompilable("quantifier")
                patterns.append((attr_id, match_id, [_tests(s, columns, strings) for s in alt]))
    except (_Uncompilable, KeyError, ValueError, TypeError, re.error):
        return None
    if not patterns:
        return None
    return CompiledRuler(ruler, sorted(columns, key=columns.__getitem__), patterns)


class FastLemmatizer:
    """``pipe(docs)`` of spaCy rule lemmatizer ``lemmatizer``, a Doc at a time in bulk (see
    the module docstring); anything unexpected falls back to the lemmatizer itself."""

    def __init__(self, lemmatizer: Any) -> None:
        import numpy
        from spacy.attrs import LEMMA, MORPH, ORTH, POS

        self._numpy = numpy
        self.lemmatizer = lemmatizer
        self._attrs = [ORTH, POS, MORPH, LEMMA]
        self._lemma = [LEMMA]
        self._memo: dict[tuple[int, int, int], int] = {}

    def __call__(self, doc: Any) -> Any:
        lem = self.lemmatizer
        if not getattr(lem, "_validated", False) or len(doc) == 0:
            return lem(doc)  # its first call checks its tables
        try:
            numpy = self._numpy
            rows = doc.to_array(self._attrs).tolist()
            memo, strings = self._memo, doc.vocab.strings
            out = []
            for i, (orth, pos, morph, lemma) in enumerate(rows):
                if lemma == 0:
                    lemma = memo.get((orth, pos, morph))
                    if lemma is None:
                        lemma = strings.add(lem.lemmatize(doc[i])[0])
                        if len(memo) >= MEMO_SIZE:
                            memo.clear()
                        memo[(orth, pos, morph)] = lemma
                out.append(lemma)
            doc.from_array(self._lemma, numpy.array(out, dtype=numpy.uint64))
            return doc
        except Exception:  # noqa: BLE001 - the stock loop decides (and reports) instead
            return lem(doc)

    def pipe(self, stream: Any, *, batch_size: int = 128) -> Any:
        for doc in stream:
            yield self(doc)


def _fast_lemmatizer(nlp: Any) -> FastLemmatizer | None:
    from spacy.pipeline import Lemmatizer

    for _, proc in nlp.pipeline:
        if (
            isinstance(proc, Lemmatizer)
            and type(proc).__call__ is Lemmatizer.__call__
            and getattr(proc, "mode", None) == "rule"
            and not getattr(proc, "overwrite", True)
            and getattr(proc, "lemmatize", None) == proc.rule_lemmatize
        ):
            return FastLemmatizer(proc)
    return None


def install_fast_paths(nlp: Any) -> list[str]:
    """Put :class:`CompiledRuler` and :class:`FastLemmatizer` on pipeline ``nlp`` where its
    components allow (see the module docstring); returns the names of the components changed."""
    changed = []
    if "attribute_ruler" in nlp.pipe_names:
        ruler = nlp.get_pipe("attribute_ruler")
        compiled = compile_ruler(ruler) if hasattr(ruler, "matcher") and hasattr(ruler, "set_annotations") else None
        if compiled is not None:
            match: Callable[[Any], list[tuple[int, int, int, int]]] = compiled.match
            ruler.match = match
            ruler.set_annotations = compiled.set_annotations
            changed.append("attribute_ruler")
    fast = _fast_lemmatizer(nlp)
    if fast is not None:
        fast.lemmatizer.pipe = fast.pipe
        changed.append(fast.lemmatizer.name)
    return changed


def use_numpy_gemm(nlp: Any) -> bool:
    """Give every layer of pipeline ``nlp`` that multiplies with BLIS on the CPU
    (``NumpyOps(use_blis=True)``) numpy's matrix product instead (see the module docstring);
    True when there was such a layer (GPU or other backends are left as they are)."""
    try:
        from thinc.api import NumpyOps
    except ImportError:  # pragma: no cover - thinc comes with spaCy
        return False
    ops = NumpyOps(use_blis=False)
    changed = False
    for _, proc in nlp.pipeline:
        model = getattr(proc, "model", None)
        walk = getattr(model, "walk", None)
        if walk is None:
            continue
        for node in walk():
            if type(node.ops) is NumpyOps and getattr(node.ops, "use_blis", False):
                node.ops = ops
                changed = True
    return changed


@functools.lru_cache(maxsize=1)
def _blas_libs() -> tuple[Any, ...]:
    """The BLAS libraries loaded in this process (threadpoolctl looks them up once)."""
    from threadpoolctl import ThreadpoolController

    return tuple(lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas")


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """numpy's BLAS on one thread while the block runs; the caller's setting is restored after
    (see the module docstring). A few µs: the parser enters it for every Doc it asks spaCy for."""
    changed = [(lib, n) for lib in _blas_libs() if (n := lib.get_num_threads()) != 1]
    for lib, _ in changed:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, n in changed:
            lib.set_num_threads(n)
