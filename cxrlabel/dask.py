"""Label reports on a Dask cluster: the names of :mod:`cxrlabel.batch.dask`, where the code
lives, under their original import path (``from cxrlabel.dask import label_partition, meta``)."""

from __future__ import annotations

from .batch.dask import label_partition, meta, run_chunks_dask

__all__ = ["label_partition", "meta", "run_chunks_dask"]
