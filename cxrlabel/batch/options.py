"""What a batch worker needs to build its labeler: :class:`LabelOptions`, the parse cache
setting, and the functions that turn them into a :class:`~cxrlabel.labeler.Labeler`."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:  # pragma: no cover
    from ..labeler import Labeler
    from ..split_store import SplitStore

__all__ = ["DEFAULT", "LabelOptions", "build_labeler", "resolve_cache", "scheme_ref", "split_store_for", "use_split_table", "with_cache"]

#: ``cache=DEFAULT``: the default parse cache (see :func:`cxrlabel.cache.default_cache_path`).
DEFAULT = "default"


@dataclass(frozen=True)
class LabelOptions:
    """Everything a worker needs to build its labeler (picklable)."""

    parser: str = "spacy"
    parser_options: dict[str, Any] = field(default_factory=dict)
    grammars: tuple[Any, ...] = ()
    replace_grammars: bool = False
    policy: str = "default"
    explain: bool = False
    batch_size: int = 64
    cache: str | None = None  # a path, or None for no cache
    #: The label scheme: a name a worker can look up, or a scheme folder (:func:`scheme_ref`).
    scheme: str = "chestxray14"
    #: Put each report's text in a ``Reports`` column (the CheXpert labeler's output).
    keep_text: bool = False

    def fingerprint(self) -> dict[str, Any]:
        """The options that change the labels (stored in a sharded job's manifest)."""
        d = asdict(self)
        d["grammars"] = [str(g) for g in self.grammars]
        d.pop("cache")
        d.pop("batch_size")
        d.pop("keep_text")
        return d


def scheme_ref(scheme: Any) -> str:
    """What a worker process needs to find ``scheme`` (a name, a folder or a Scheme): the name
    of a shipped or entry-point scheme, else its folder (a name registered in this process
    only is not known to a spawned worker)."""
    from ..registry import schemes
    from ..schemes import get_scheme

    found = get_scheme(scheme)
    if found.name in schemes and schemes.origin(found.name) != "registered" and get_scheme(found.name) is found:
        return found.name
    return str(found.folder)


def resolve_cache(cache: Any) -> str | None:
    """``DEFAULT`` → the default cache path, ``None``/``False`` → no cache, else the path."""
    if cache is None or cache is False:
        return None
    if cache == DEFAULT or cache is True:
        from ..cache import default_cache_path

        return str(default_cache_path())
    return str(cache)


def build_labeler(options: LabelOptions) -> Labeler:
    """A Labeler for ``options`` (its parser wrapped in the parse cache when one is set)."""
    from ..labeler import Labeler
    from ..parsers.base import get_parser

    parser: Any = get_parser(options.parser, **options.parser_options)
    memo: Any = None
    if options.cache:
        from ..cache import CachedParser
        from ..memo_store import PersistentMemo

        parser = CachedParser(parser, options.cache)
        memo = PersistentMemo(options.cache)  # the decision memo, beside the parses
    return Labeler(
        parser=parser, grammars=list(options.grammars) or None, replace_grammars=options.replace_grammars,
        policy=options.policy, memo=memo, scheme=options.scheme,
    )


def with_cache(labeler: Labeler, cache: str | None) -> Labeler:
    """``labeler`` itself, or a shallow copy whose parser goes through the parse cache (and
    whose decision memo, when it is the process-wide one, is persisted beside it)."""
    from ..cache import CachedParser
    from ..memo import default_memo
    from ..memo_store import PersistentMemo

    if not cache or isinstance(labeler.parser, CachedParser):
        return labeler
    import copy

    out = copy.copy(labeler)
    out.parser = CachedParser(labeler.parser, cache)
    if labeler.memo is default_memo():
        out.memo = PersistentMemo(cache)
    return out


@contextmanager
def split_store_for(cache: str | None) -> Iterator[None]:
    """While the block runs, this process's sentence splits are also read from and written
    to the ``splits`` table of parse cache file ``cache`` (:mod:`cxrlabel.split_store`);
    nothing changes without a cache. Flushed, and the previous setting restored, at the end."""
    from ..document import split_store, use_split_store

    if not cache:
        yield
        return
    old = split_store()
    store = use_split_table(cache)
    try:
        yield
        store.flush()
    finally:
        use_split_store(old)


def use_split_table(cache: str) -> SplitStore:
    """Put the ``splits`` table of parse cache file ``cache`` under this process's split memo
    (:func:`cxrlabel.document.use_split_store`) and return it (a worker keeps it for its life)."""
    from ..document import splitter_version, use_split_store
    from ..split_store import SplitStore

    store = SplitStore(cache, splitter_version())
    use_split_store(store)
    return store
