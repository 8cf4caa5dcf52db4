"""The epoch loop of :func:`cxrlabel_vision.train.train`: effective-batch W-CEL, validation.

An *effective batch* is ``accum`` micro-batches (× the ranks under DDP). The class weights
β_P, β_N of W-CEL are counted over the whole effective batch (summed over ranks), not per
micro-batch, so a micro-batch that happens to hold one positive does not weight it 224×. The
loss is summed over the effective batch (``loss_reduction="sum"``, eq. 1 of the paper) or
divided by its number of labels (``"mean"``); the gradient is the same as one pass over the
whole effective batch. ``loss="cel"`` sets β_P = β_N = 1 (plain cross-entropy).
"""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader

from cxrlabel.errors import VisionError

from .data import XrayDataset, to_input
from .distributed import all_gather_objects, all_sum
from .evaluate import autocast, predict
from .loss import LOSSES, class_weights, wce_loss

__all__ = ["Loop", "make_loader", "run_epoch", "shard_predict"]


def make_loader(ds, cfg, device: torch.device, shuffle: bool = False, sampler=None) -> DataLoader:
    return DataLoader(ds, batch_size=cfg.batch_size, shuffle=shuffle and sampler is None,
                      sampler=sampler, num_workers=cfg.workers,
                      pin_memory=device.type == "cuda", persistent_workers=cfg.workers > 0)


@dataclass
class Loop:
    """What the epochs share: model (and its DDP wrapper ``net``), optimizer, scheduler, AMP
    scaler, the datasets and the train loader."""

    model: torch.nn.Module
    net: torch.nn.Module
    opt: torch.optim.Optimizer
    sched: Any
    scaler: Any
    data: dict[str, XrayDataset]
    train_dl: DataLoader
    sampler: Any
    accum: int
    amp: bool
    world: int
    rank: int

    @property
    def main(self) -> bool:
        return self.rank == 0

    @classmethod
    def create(cls, cfg, model, opt, sched, data, device, world: int, rank: int) -> "Loop":
        if cfg.loss not in LOSSES:
            raise VisionError(f"loss must be one of {LOSSES}, got {cfg.loss!r}", code="V830")
        if cfg.loss_reduction not in ("sum", "mean"):
            raise VisionError(f"loss reduction must be sum or mean, got {cfg.loss_reduction!r}",
                              code="V830")
        sampler = (torch.utils.data.distributed.DistributedSampler(data["train"], seed=cfg.seed)
                   if world > 1 else None)
        train_dl = make_loader(data["train"], cfg, device, shuffle=True, sampler=sampler)
        amp = cfg.amp and device.type == "cuda"
        scaler = torch.amp.GradScaler("cuda", enabled=amp and not torch.cuda.is_bf16_supported())
        net = model
        if world > 1:
            net = torch.nn.parallel.DistributedDataParallel(
                model, device_ids=[device.index] if device.type == "cuda" else None)
        accum = cfg.accum or max(1, 80 // (cfg.batch_size * world))
        return cls(model, net, opt, sched, scaler, data, train_dl, sampler, accum, amp, world,
                   rank)


def _windows(loader: DataLoader, accum: int) -> Iterator[list]:
    window: list = []
    for batch in loader:
        window.append(batch)
        if len(window) == accum:
            yield window
            window = []
    if window:
        yield window


def _weights(loop: Loop, cfg, targets: list[torch.Tensor], device) -> tuple[tuple, float]:
    """(β_P, β_N) of the effective batch and the loss scale that makes the DDP-averaged
    gradient the effective batch's sum (or mean)."""
    _bp, _bn, n_pos, n_neg = class_weights(targets)
    counts = all_sum(torch.stack([torch.as_tensor(n_pos), torch.as_tensor(n_neg)]).double())
    n_pos, n_neg = counts[0], counts[1]
    if cfg.loss == "cel":
        betas = (torch.ones((), device=device), torch.ones((), device=device))
    else:
        total = n_pos + n_neg
        betas = tuple((total / n if n > 0 else torch.zeros(())).float().to(device)
                      for n in (n_pos, n_neg))
    scale = float(loop.world)
    if cfg.loss_reduction == "mean":
        scale /= max(float(n_pos + n_neg), 1.0)
    return betas, scale


def _step(loop: Loop, cfg, window: list, device) -> float:
    """Forward/backward every micro-batch of one effective batch, then one optimizer step."""
    betas, scale = _weights(loop, cfg, [t for _x, t, _i in window], device)
    total = 0.0
    for k, (images, targets, _idx) in enumerate(window):
        last = k + 1 == len(window)
        sync = (loop.net.no_sync() if loop.world > 1 and not last
                else contextlib.nullcontext())
        with sync:
            with autocast(device, loop.amp):
                logits = loop.net(to_input(images, device, cfg.channels_last))
            loss = wce_loss(logits.float(), targets.to(device, non_blocking=True), "sum",
                            betas) * scale
            loop.scaler.scale(loss).backward()
        total += float(loss.detach()) / loop.world
    loop.scaler.step(loop.opt)
    loop.scaler.update()
    loop.opt.zero_grad(set_to_none=True)
    return total


def run_epoch(loop: Loop, cfg, epoch: int, device) -> float:
    """One pass over the train split; returns the mean loss per effective batch (this rank)."""
    if loop.sampler is not None:
        loop.sampler.set_epoch(epoch)
    loop.net.train()
    loop.opt.zero_grad(set_to_none=True)
    n_steps = -(-len(loop.train_dl) // loop.accum)
    t0, seen, running = time.perf_counter(), 0, 0.0
    for step, window in enumerate(_windows(loop.train_dl, loop.accum)):
        running += _step(loop, cfg, window, device)
        seen += sum(len(x) for x, _t, _i in window)
        if loop.main and ((step + 1) % cfg.log_every == 0 or step + 1 == n_steps):
            rate = seen * loop.world / max(time.perf_counter() - t0, 1e-9)
            print(f"epoch {epoch + 1}/{cfg.epochs} step {step + 1}/{n_steps} "
                  f"loss {running / (step + 1):.4f} {rate:.1f} images/s", file=sys.stderr,
                  flush=True)
    return running / max(n_steps, 1)


def shard_predict(loop: Loop, ds: XrayDataset, cfg, device) -> np.ndarray:
    """Probabilities for all of ``ds``: each rank predicts every ``world``-th image, the
    shards are gathered, so no rank idles while another validates."""
    idx = list(range(loop.rank, len(ds), loop.world))
    shard = XrayDataset([ds.names[i] for i in idx], ds.targets[idx], ds.image_dir,
                        ds.image_size, ds.cache)
    dl = DataLoader(shard, batch_size=cfg.batch_size, num_workers=cfg.workers,
                    pin_memory=device.type == "cuda")
    part = predict(loop.model, dl, device, loop.amp, cfg.channels_last)
    out = np.full((len(ds), ds.targets.shape[1]), np.nan, dtype=np.float32)
    for ids, probs in all_gather_objects((idx, part)):
        if len(ids):
            out[ids] = probs
    return out
