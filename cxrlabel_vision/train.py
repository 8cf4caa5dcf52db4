"""Training: W-CEL on LSE networks with gradient accumulation, AMP, checkpoints and val AUC.

One function, :func:`train`, used by ``cxrlabel vision train`` and runnable under ``torchrun``
for several GPUs (torch DDP is initialised only when ``WORLD_SIZE`` > 1; rank 0 validates,
logs and writes checkpoints). Progress goes to stderr; each epoch writes ``last.pt``, keeps
``best.pt`` (highest mean validation AUC) and appends a line to ``history.jsonl``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from cxrlabel.errors import VisionError
from cxrlabel.types import FINDINGS

from .checkpoint import load_checkpoint, save_checkpoint
from .data import XrayDataset, build_cache, to_input
from .evaluate import auc_table, autocast, predict, resolve_device
from .labels import official_split, patient_split, read_labels
from .loss import WCELoss
from .registry import create_model

__all__ = ["TrainConfig", "prepare_splits", "train"]


@dataclass
class TrainConfig:
    """Everything a training run needs; the CLI options map 1:1 onto these fields."""

    images: str
    labels: str
    out: str
    arch: str = "resnet50"
    weights: str | None = None
    image_size: int = 512
    output_stride: int = 32
    transition_dim: int = 1024
    lse_r: float = 10.0
    epochs: int = 10
    batch_size: int = 16
    accum: int | None = None  # default: 80 // (batch_size × world size), at least 1
    optimizer: str = "sgd"
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 1e-4
    loss_reduction: str = "mean"
    amp: bool = True
    channels_last: bool = True
    device: str = "auto"
    workers: int = 4
    uncertain: str = "ignore"
    split_dir: str | None = None
    split_fractions: tuple[float, float, float] = (0.7, 0.1, 0.2)
    seed: int = 0
    cache: str | None = None
    resume: bool = False
    max_images: int | None = None
    log_every: int = 20
    extra: dict[str, Any] = field(default_factory=dict)


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def prepare_splits(cfg: TrainConfig):
    """Labels table (restricted to images present on disk unless a cache is used) and splits."""
    labels = read_labels(cfg.labels, cfg.uncertain)
    root = Path(cfg.images)
    if not root.is_dir():
        raise VisionError(f"image folder {root} not found", code="V811")
    present = {p.name for p in root.iterdir()}
    kept = labels[labels.index.isin(present)]
    if len(kept) < len(labels):
        _log(f"{len(labels) - len(kept)} labelled images are not in {root}; using {len(kept)}")
    if kept.empty:
        raise VisionError(f"none of the labelled images is in {root}", code="V811")
    if cfg.max_images:
        kept = kept.iloc[: cfg.max_images]
    if cfg.split_dir:
        splits = official_split(kept, cfg.split_dir, cfg.split_fractions[1], cfg.seed)
    else:
        splits = patient_split(kept, cfg.split_fractions, cfg.seed)
    for part in ("train", "val"):
        if not splits[part]:
            raise VisionError(f"the {part} split is empty; use more images", code="V812")
    return kept, splits


def _dist() -> tuple[int, int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    return world, rank, local


def train(cfg: TrainConfig) -> dict[str, Any]:
    """Train per ``cfg``; returns ``{"best_auc", "best", "last", "epochs", "rank"}`` (the
    figures are meaningful on rank 0 only)."""
    world, rank, local = _dist()
    device = resolve_device(cfg.device)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    main = rank == 0
    torch.manual_seed(cfg.seed + rank)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)

    labels, splits = prepare_splits(cfg)
    findings = list(FINDINGS)
    cache = None
    if cfg.cache:
        names = splits["train"] + splits["val"]
        if main:
            cache = build_cache(cfg.images, names, cfg.image_size, cfg.cache, progress=main)
        if world > 1:
            torch.distributed.barrier()
        if not main:
            cache = build_cache(cfg.images, names, cfg.image_size, cfg.cache, progress=False)

    def dataset(part: str) -> XrayDataset:
        names = splits[part]
        return XrayDataset(names, labels.loc[names, findings].to_numpy(np.float32),
                           cfg.images, cfg.image_size, cache)

    train_ds, val_ds = dataset("train"), dataset("val")
    sampler = (torch.utils.data.distributed.DistributedSampler(train_ds, seed=cfg.seed)
               if world > 1 else None)
    pin = device.type == "cuda"
    common = dict(batch_size=cfg.batch_size, num_workers=cfg.workers, pin_memory=pin,
                  persistent_workers=cfg.workers > 0)
    train_dl = DataLoader(train_ds, shuffle=sampler is None, sampler=sampler, drop_last=False,
                          **common)
    val_dl = DataLoader(val_ds, shuffle=False, **common)
    accum = cfg.accum or max(1, 80 // (cfg.batch_size * world))

    model_kwargs = {"output_stride": cfg.output_stride, "transition_dim": cfg.transition_dim,
                    "r": cfg.lse_r}
    model = create_model(cfg.arch, len(findings), cfg.weights, **model_kwargs).to(device)
    if cfg.channels_last:
        model = model.to(memory_format=torch.channels_last)
    params = [p for p in model.parameters() if p.requires_grad]
    if cfg.optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum,
                              weight_decay=cfg.weight_decay)
    elif cfg.optimizer == "adam":
        opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    else:
        raise VisionError(f"optimizer must be sgd or adam, got {cfg.optimizer!r}", code="V830")
    amp = cfg.amp and device.type == "cuda"
    use_scaler = amp and not torch.cuda.is_bf16_supported()
    scaler = torch.amp.GradScaler("cuda", enabled=use_scaler)
    criterion = WCELoss(cfg.loss_reduction)

    start, best = 0, -1.0
    last_path, best_path = out / "last.pt", out / "best.pt"
    if cfg.resume:
        blob = load_checkpoint(last_path, map_location=device)
        model.load_state_dict(blob["model"])
        if blob.get("optimizer"):
            opt.load_state_dict(blob["optimizer"])
        if blob.get("scaler") and use_scaler:
            scaler.load_state_dict(blob["scaler"])
        start = int(blob["meta"]["epoch"])
        best = float(blob["meta"].get("best_auc", -1.0))
        if main:
            _log(f"resumed from {last_path} after epoch {start} (best val AUC {best:.4f})")
    net = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)

    meta = {"arch": cfg.arch, "model_kwargs": model_kwargs, "findings": findings,
            "image_size": cfg.image_size, "config": {k: v for k, v in asdict(cfg).items()
                                                     if k != "extra"}}
    if main:
        _log(f"train {len(train_ds)} / val {len(val_ds)} images, batch {cfg.batch_size} × "
             f"accum {accum} × {world} process(es), {cfg.arch} on {device}, amp={amp}")
    for epoch in range(start, cfg.epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        net.train()
        opt.zero_grad(set_to_none=True)
        t0, seen, running, n_batches = time.perf_counter(), 0, 0.0, len(train_dl)
        for step, (images, targets, _idx) in enumerate(train_dl):
            x = to_input(images, device, cfg.channels_last)
            y = targets.to(device, non_blocking=True)
            boundary = (step + 1) % accum == 0 or step + 1 == n_batches
            sync = net.no_sync() if (world > 1 and not boundary) else contextlib.nullcontext()
            with sync:
                with autocast(device, amp):
                    logits = net(x)
                loss = criterion(logits.float(), y)
                scaler.scale(loss / accum).backward()
            if boundary:
                scaler.step(opt)
                scaler.update()
                opt.zero_grad(set_to_none=True)
            seen += len(images)
            running += float(loss.detach())
            if main and ((step + 1) % cfg.log_every == 0 or step + 1 == n_batches):
                rate = seen * world / max(time.perf_counter() - t0, 1e-9)
                _log(f"epoch {epoch + 1}/{cfg.epochs} step {step + 1}/{n_batches} "
                     f"loss {running / (step + 1):.4f} {rate:.1f} images/s")
        if main:
            probs = predict(model, val_dl, device, amp, cfg.channels_last)
            table = auc_table(val_ds.targets, probs, findings)
            mean_auc = float(table.auc.iloc[-1])
            _log(" ".join(f"{f}={a:.3f}" for f, a in zip(table.finding, table.auc)))
            meta.update(epoch=epoch + 1, val_auc=mean_auc, best_auc=max(best, mean_auc))
            save_checkpoint(last_path, model, meta, opt, scaler if use_scaler else None)
            if np.isfinite(mean_auc) and mean_auc > best:
                best = mean_auc
                shutil.copyfile(last_path, best_path)
            elif not best_path.exists():
                shutil.copyfile(last_path, best_path)
            record = {"epoch": epoch + 1, "train_loss": running / max(n_batches, 1),
                      "val_mean_auc": mean_auc,
                      "val_auc": dict(zip(table.finding[:-1], table.auc[:-1]))}
            with open(out / "history.jsonl", "a") as fh:
                fh.write(json.dumps(record) + "\n")
            _log(f"epoch {epoch + 1}: val mean AUC {mean_auc:.4f} (best {best:.4f}) "
                 f"→ {last_path}")
        if world > 1:
            torch.distributed.barrier()  # the others wait while rank 0 validates
    if world > 1:
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
    return {"best_auc": best, "best": str(best_path), "last": str(last_path),
            "epochs": cfg.epochs, "rank": rank}
