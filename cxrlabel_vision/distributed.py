"""The few pieces of torch.distributed a run needs: start/stop, rank-0-first, gathering.

DDP starts only when ``WORLD_SIZE`` > 1 (``torchrun``); every helper is a no-op in one process.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Callable, Iterator

import torch

__all__ = ["all_gather_objects", "all_sum", "barrier", "init_distributed", "rank_zero_first"]


def init_distributed() -> tuple[int, int, int]:
    """(world size, rank, local rank); initialises the process group under torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
    return world, int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))


def _active() -> bool:
    return torch.distributed.is_available() and torch.distributed.is_initialized()


def barrier() -> None:
    if _active():
        torch.distributed.barrier()


@contextlib.contextmanager
def rank_zero_first(rank: int, wait: Callable[[], Any] = barrier) -> Iterator[None]:
    """Run the body on rank 0 first (e.g. a download into a shared cache), then on the other
    ranks, which wait at ``wait`` (the process-group barrier) until rank 0 is done."""
    if rank != 0:
        wait()
    try:
        yield
    finally:
        if rank == 0:
            wait()


def all_sum(values: torch.Tensor) -> torch.Tensor:
    """Sum a tensor over the ranks (itself in one process)."""
    if _active():
        values = values.clone()
        torch.distributed.all_reduce(values)
    return values


def all_gather_objects(obj: Any) -> list[Any]:
    """Every rank's ``obj`` in rank order (``[obj]`` in one process)."""
    if not _active():
        return [obj]
    out: list[Any] = [None] * torch.distributed.get_world_size()
    torch.distributed.all_gather_object(out, obj)
    return out
