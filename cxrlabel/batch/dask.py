"""Label reports on a Dask cluster (the ``[dask]`` extra).

Two ways in:

- :func:`label_partition` for your own Dask pipelines::

      import dask.dataframe as dd
      from cxrlabel.dask import label_partition, meta

      df = dd.read_csv("reports-*.csv")                      # a column "report"
      labels = df.map_partitions(label_partition, text_column="report", id_column="id",
                                 meta=meta(id_column="id"))
      labels.to_parquet("labels/")

  Each worker process builds one :class:`~cxrlabel.labeler.Labeler` per set of options and
  reuses it for every partition (the parse cache too: ``cache=`` a path on the worker's disk,
  ``None`` for none, default the worker's user cache dir).

- ``cxrlabel label INPUT -o OUT --engine dask [--scheduler ADDRESS] [--jobs N]``: the same
  shards, manifest and ``--resume`` as the local engine; each shard is one Dask task. Without
  ``--scheduler`` a ``LocalCluster`` with ``--jobs`` single-threaded worker processes starts.

On a real cluster (see ``docs/scaling.md``): install the same ``cxrlabel`` version and the
spaCy model on every worker (``pip install "cxrlabel[dask]"``), start a scheduler
(``dask scheduler``) and workers with one thread per process
(``dask worker tcp://HOST:8786 --nworkers N --nthreads 1``), then pass
``--scheduler tcp://HOST:8786``. The input is read on the client and sent with the tasks;
the output and its shards are written by the client.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from ..schemes import get_scheme
from .options import DEFAULT, LabelOptions, build_labeler, resolve_cache, scheme_ref
from .pool import restore_env, single_thread_env
from .rows import Record, label_records, output_columns

if TYPE_CHECKING:  # pragma: no cover
    from ..labeler import Labeler

__all__ = ["label_partition", "meta", "run_chunks_dask"]

_LABELERS: dict[str, Labeler] = {}
_LOCK = threading.Lock()


def _labeler(options: LabelOptions) -> Labeler:
    key = repr(options)
    with _LOCK:
        lab = _LABELERS.get(key)
        if lab is None:
            lab = _LABELERS[key] = build_labeler(options)
            lab.ensure_checked()
        return lab


def meta(id_column: str | None = None, *, explain: bool = False, scheme: Any = None) -> Any:
    """The empty DataFrame describing :func:`label_partition`'s output (for ``meta=``)."""
    import pandas as pd

    columns = output_columns(scheme, explain=explain)
    label_columns = set(get_scheme(scheme).columns)
    cols = {(id_column or "id") if c == "id" else c: pd.Series(dtype="float64" if c in label_columns else "object")
            for c in columns}
    return pd.DataFrame(cols)


def label_partition(
    df: Any,
    text_column: str = "report",
    id_column: str | None = None,
    *,
    cache: Any = DEFAULT,
    parser: str = "spacy",
    grammars: Sequence[Any] = (),
    replace_grammars: bool = False,
    policy: str = "default",
    explain: bool = False,
    batch_size: int = 64,
    scheme: Any = None,
) -> Any:
    """Labels for one pandas partition, in its row order and with its index (for
    ``map_partitions``). Columns as :func:`cxrlabel.label_many`'s."""
    import pandas as pd

    options = LabelOptions(
        parser=parser, grammars=tuple(grammars), replace_grammars=replace_grammars, policy=policy,
        explain=explain, batch_size=batch_size, cache=resolve_cache(cache), scheme=scheme_ref(scheme),
    )
    ids = df[id_column].tolist() if id_column else df.index.tolist()
    rows = label_records(_labeler(options), list(zip(ids, df[text_column].tolist())), batch_size=batch_size, explain=explain)
    out = pd.DataFrame.from_records(rows, columns=list(meta(None, explain=explain, scheme=scheme).columns))
    for c in get_scheme(scheme).columns:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    out["id"] = pd.Series(ids, dtype="object")
    out["error"] = out["error"].astype("object")
    out.index = df.index
    return out.rename(columns={"id": id_column or "id"})


def _label_chunk(index: int, records: Sequence[Record], options: LabelOptions) -> tuple[int, list[dict[str, Any]]]:
    return index, label_records(_labeler(options), records, batch_size=options.batch_size, explain=options.explain,
                                keep_text=options.keep_text)


def run_chunks_dask(
    chunks: Iterable[tuple[int, Sequence[Record]]],
    options: LabelOptions,
    *,
    scheduler: str | None = None,
    jobs: int = 1,
) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Like :func:`cxrlabel.batch.pool.run_chunks` on a Dask cluster: ``scheduler`` is an address,
    or None for a LocalCluster of ``jobs`` one-thread worker processes."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        from ..errors import ModelNotFoundError

        raise ModelNotFoundError('--engine dask needs the dask extra: pip install "cxrlabel[dask]"') from exc
    old = single_thread_env()
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(cluster)
        try:
            window = max(2, 2 * len(client.scheduler_info().get("workers", {})) or 2 * jobs)
            it = iter(chunks)
            futures = as_completed()
            n = 0
            for index, records in it:
                futures.add(client.submit(_label_chunk, index, list(records), options, pure=False))
                n += 1
                if n >= window:
                    break
            for fut in futures:
                yield fut.result()
                nxt = next(it, None)
                if nxt is not None:
                    futures.add(client.submit(_label_chunk, nxt[0], list(nxt[1]), options, pure=False))
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()
        restore_env(old)
