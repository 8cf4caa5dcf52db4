"""Batch labeling: many reports, several processes, a parse cache, and jobs that survive a kill.

:func:`label_many` labels a list, a pandas Series or a DataFrame and returns a DataFrame in
input order (the id column, the 14 findings and ``No Finding`` as 1/0/-1/NaN, and ``error``).

How the work runs:

- the reports are cut into chunks; each chunk goes through ``labeler.iter_labels`` so that the
  sentences of many reports stream through one ``nlp.pipe`` call
  (:func:`~cxrlabel.batch.rows.label_records`);
- :func:`~cxrlabel.batch.engines.run_on_engine` sends the chunks to an engine: ``local``
  (:func:`~cxrlabel.batch.pool.run_chunks`) labels in this process with ``jobs=1`` and in
  this process plus a pool of ``jobs - 1`` workers (forked on Linux once this process's
  labeler is ready, spawned elsewhere: :func:`~cxrlabel.batch.spawn.start_method`) with
  ``jobs>1``, one labeler and one thread per process, each distinct sentence judged once per
  run (:mod:`~cxrlabel.batch.dedup`, handed out by :mod:`~cxrlabel.batch.schedule`); ``dask`` (:mod:`cxrlabel.batch.dask`, the ``[dask]`` extra) on a Dask cluster;
- parses go through a :class:`~cxrlabel.cache.CachedParser` (on by default; ``cache=None``
  turns it off), so re-labeling after a rule or ontology change only re-runs the rules;
- a report that raises is recorded with its error and the job goes on;
- progress (reports/s, ETA) is a tqdm bar on stderr.

A script that calls ``label_many(..., jobs=2)`` at import time must guard it with
``if __name__ == "__main__":`` (spawned workers import the main module; the check applies
with forked workers too, so that a script runs the same on every platform).

:func:`run_sharded` (:mod:`cxrlabel.batch.shards`) is what ``cxrlabel label --jobs N -o OUT``
runs: finished chunks are written as shard files under ``OUT.parts/`` next to a manifest
(input fingerprint, options), a killed job continues with ``--resume`` (finished shards are
not labeled again), and the final file is assembled in input order.

The modules: :mod:`~cxrlabel.batch.options` (what a worker builds its labeler from),
:mod:`~cxrlabel.batch.rows` (reports to output rows), :mod:`~cxrlabel.batch.pool` (the local
engine), :mod:`~cxrlabel.batch.engines` (the choice of engine), :mod:`~cxrlabel.batch.api`
(:func:`label_many`), :mod:`~cxrlabel.batch.shards` (:func:`run_sharded`) and
:mod:`~cxrlabel.batch.dask`. Their public names are importable from here too.
"""

from __future__ import annotations

from .api import label_many
from .engines import ENGINES, label_read_chunks, run_on_engine
from .options import DEFAULT, LabelOptions, build_labeler, resolve_cache, scheme_ref, with_cache
from .pool import chunked, init_worker, label_in_worker, peak_rss, progress_bar, restore_env, run_chunks, single_thread_env
from .rows import RESULT_COLUMNS, ReadRecord, Record, error_row, keep_read_errors, label_records, output_columns, readable, result_row, unusable_reason
from .shards import parts_dir, records_fingerprint, run_sharded

__all__ = [
    "DEFAULT",
    "ENGINES",
    "LabelOptions",
    "RESULT_COLUMNS",
    "ReadRecord",
    "Record",
    "build_labeler",
    "chunked",
    "error_row",
    "init_worker",
    "keep_read_errors",
    "label_in_worker",
    "label_many",
    "label_read_chunks",
    "label_records",
    "output_columns",
    "parts_dir",
    "peak_rss",
    "progress_bar",
    "readable",
    "records_fingerprint",
    "resolve_cache",
    "restore_env",
    "result_row",
    "run_chunks",
    "run_on_engine",
    "run_sharded",
    "scheme_ref",
    "single_thread_env",
    "unusable_reason",
    "with_cache",
]
