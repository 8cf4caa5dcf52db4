"""Sharded, resumable jobs (what ``cxrlabel label -o OUT`` runs): finished chunks are written
as shard files under ``OUT.parts/`` next to a manifest (input fingerprint, options), a killed
job continues with ``--resume`` (finished shards are not labeled again), and the final file is
assembled in input order."""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from ..errors import InputError
from ..io import atomic_write
from .engines import label_read_chunks
from .options import LabelOptions
from .pool import progress_bar
from .rows import ReadRecord

__all__ = ["MANIFEST", "parts_dir", "records_fingerprint", "run_sharded"]

#: The file name of a sharded job's manifest inside ``OUT.parts/``.
MANIFEST = "manifest.json"


def records_fingerprint(records: Iterable[tuple[str, Any, str | None]]) -> str:
    """sha256 over every ``(id, text, read error)`` of the input, in order."""
    h = hashlib.sha256()
    for rid, text, err in records:
        t = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text or b"")
        h.update(f"{rid}\0{len(t)}\0".encode("utf-8", "surrogatepass") + t + f"\0{err or ''}\n".encode())
    return h.hexdigest()


def parts_dir(output: str | os.PathLike[str]) -> Path:
    """Where a sharded job keeps its shards and manifest: ``OUT.parts/``."""
    return Path(f"{os.fspath(output)}.parts")


def _shard_path(parts: Path, index: int, fmt: str) -> Path:
    return parts / f"shard-{index:06d}.{fmt}"


def _open_parts(parts: Path, manifest: dict[str, Any], fmt: str, resume: bool, log: Callable[[str], None]) -> set[int]:
    """Create ``parts`` with its manifest, or (``resume``) check it and return the finished shards."""
    if not parts.exists():
        parts.mkdir(parents=True)
        atomic_write(parts / MANIFEST, lambda fh: json.dump(manifest, fh, indent=1))
        return set()
    if not resume:
        raise InputError(
            f"{parts} holds the shards of an unfinished job; pass --resume to continue it, or delete that folder to start over",
            code="I233",
        )
    try:
        old = json.loads((parts / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{parts / MANIFEST}: cannot read the job manifest ({exc}); delete {parts} to start over", code="I234") from None
    if old != manifest:
        diff = sorted(k for k in manifest if old.get(k) != manifest[k])
        raise InputError(
            f"cannot resume {parts}: the {', '.join(diff)} differ from the interrupted job's; use the same input "
            f"and options, or delete {parts} to start over",
            code="I234",
        )
    done = {int(p.stem.split("-")[1]) for p in parts.glob(f"shard-*.{fmt}")}
    log(f"resuming: {len(done)} finished shards kept in {parts}")
    return done


def _assemble(output: Path, parts: Path, n_shards: int, fmt: str, columns: list[str]) -> None:
    from ..io import write_rows

    def write(fh: Any) -> None:
        if fmt == "csv":
            write_rows([], fh, fmt=fmt, columns=columns, header=True)
        for k in range(n_shards):
            with open(_shard_path(parts, k, fmt), encoding="utf-8", newline="") as src:
                shutil.copyfileobj(src, fh)

    atomic_write(output, write)
    shutil.rmtree(parts)


def run_sharded(
    records: Sequence[ReadRecord],
    output: str | os.PathLike[str],
    options: LabelOptions,
    *,
    jobs: int = 1,
    shard_size: int = 500,
    fmt: str = "csv",
    resume: bool = False,
    progress: bool = True,
    engine: str = "local",
    scheduler: str | None = None,
    log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr),
    escape_formulas: bool = True,
) -> int:
    """Label ``(id, text, read_error)`` records into ``output``, one shard file per
    ``shard_size`` reports under ``OUT.parts/``; returns the number of rows written.

    With ``resume`` an existing ``OUT.parts/`` is continued: its manifest must match this input
    and these options (else ``I234``), finished shards are kept, the rest are labeled. Without
    ``resume`` an existing ``OUT.parts/`` is an error (``I233``) — a finished shard is never
    thrown away silently. The final file is assembled in input order and ``OUT.parts/`` removed.
    """
    from ..io import write_rows
    from .rows import output_columns

    columns = output_columns(options.scheme, keep_text=options.keep_text, explain=options.explain)
    manifest = {
        "format_version": 1,
        "input_sha256": records_fingerprint(records),
        "reports": len(records),
        "shard_size": shard_size,
        "format": fmt,
        "columns": columns,
        "options": options.fingerprint(),
        **({} if escape_formulas else {"escape_formulas": False}),
    }
    parts = parts_dir(output)
    done = _open_parts(parts, manifest, fmt, resume, log)
    n_shards = math.ceil(len(records) / shard_size)
    todo = [k for k in range(n_shards) if k not in done]

    def chunks() -> Iterator[tuple[int, list[ReadRecord]]]:
        for k in todo:
            yield k, list(records[k * shard_size : (k + 1) * shard_size])

    initial = sum(min(shard_size, len(records) - k * shard_size) for k in done)
    results = label_read_chunks(chunks(), options, engine=engine, jobs=jobs, n_chunks=len(todo), scheduler=scheduler)
    with progress_bar(len(records), progress, initial=initial) as bar:
        for k, rows in results:
            atomic_write(_shard_path(parts, k, fmt), lambda fh: write_rows(rows, fh, fmt=fmt, columns=columns, header=False, escape_formulas=escape_formulas))
            bar.update(len(rows))
    _assemble(Path(output), parts, n_shards, fmt, columns)
    return len(records)
