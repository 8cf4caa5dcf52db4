"""Training: W-CEL (or CEL) on LSE/avg/max-pooled networks, accumulation, AMP, checkpoints.

:func:`train`, used by ``cxrlabel vision train`` and runnable under ``torchrun`` for several
GPUs (DDP starts when ``WORLD_SIZE`` > 1). Every rank validates its share of the val split and
the predictions are gathered; rank 0 logs and writes checkpoints. Each epoch writes
``last.pt`` (with optimizer, scheduler and RNG states for ``--resume``), keeps ``best.pt``
(highest mean validation AUC) and appends a line to ``history.jsonl``. The split lists go to
``splits/``; with ``score_test`` the best model is scored on the test split at the end
(``test_auc.csv``). The epoch loop itself is :mod:`cxrlabel_vision.trainloop`.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cxrlabel.errors import VisionError
from cxrlabel.types import FINDINGS

from .checkpoint import load_checkpoint, save_checkpoint
from .data import XrayDataset, build_cache
from .distributed import barrier, init_distributed, rank_zero_first
from .evaluate import auc_table, resolve_device
from .registry import create_model
from .splits import check_split, prepare_splits, save_splits
from .trainloop import Loop, make_loader, run_epoch, shard_predict

__all__ = ["PRESETS", "TrainConfig", "apply_preset", "train"]


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
    transition_dim: int = 2048
    lse_r: float = 10.0
    pooling: str = "lse"
    loss: str = "wcel"
    epochs: int = 10
    batch_size: int = 16
    accum: int | None = None  # default: 80 // (batch_size × world size), at least 1
    optimizer: str = "sgd"
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 1e-4
    lr_schedule: str = "none"
    lr_step: int = 10
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
    score_test: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


#: ``--preset paper``: the ChestX-ray8 set-up as docs/vision.md reads the paper (ResNet-50
#: from ImageNet, D = 2048, LSE r = 10, W-CEL summed (eq. 1 is a sum) with β over the
#: effective batch, SGD 1e-3, 1024² input at stride 32 → 32×32 heatmaps). Options given
#: explicitly override it (e.g. a small image size on a CPU).
PRESETS: dict[str, dict[str, Any]] = {
    "paper": {"arch": "resnet50", "weights": "imagenet", "image_size": 1024,
              "output_stride": 32, "transition_dim": 2048, "lse_r": 10.0, "pooling": "lse",
              "loss": "wcel", "loss_reduction": "sum", "optimizer": "sgd", "lr": 1e-3,
              "momentum": 0.9, "batch_size": 16},
}


def apply_preset(name: str | None, values: dict[str, Any], explicit: set[str]) -> dict[str, Any]:
    """``values`` with the preset's settings for every key not in ``explicit``."""
    if not name:
        return values
    if name not in PRESETS:
        raise VisionError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}", code="V830")
    return {**values, **{k: v for k, v in PRESETS[name].items() if k not in explicit}}


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _finite(obj: Any) -> Any:
    """NaN / inf → None, recursively: history.jsonl stays strict JSON (``null``)."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _datasets(cfg: TrainConfig, labels, splits, main: bool) -> dict[str, XrayDataset]:
    cache = None
    if cfg.cache:  # keyed by image: every labelled image, whatever the split or the seed
        with rank_zero_first(0 if main else 1):
            cache = build_cache(cfg.images, sorted(labels.index), cfg.image_size, cfg.cache,
                                cfg.workers or None, progress=main)
    findings = list(FINDINGS)
    return {part: XrayDataset(names, labels.loc[names, findings].to_numpy(np.float32),
                              cfg.images, cfg.image_size, cache)
            for part, names in splits.items()}


def _build(cfg: TrainConfig, device: torch.device, rank: int):
    model_kwargs = {"output_stride": cfg.output_stride, "transition_dim": cfg.transition_dim,
                    "r": cfg.lse_r, "pooling": cfg.pooling}
    with rank_zero_first(rank):  # --weights imagenet: one download, then the others read it
        model = create_model(cfg.arch, len(FINDINGS), cfg.weights, **model_kwargs)
    model = model.to(device)
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
    if cfg.lr_schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(cfg.epochs, 1))
    elif cfg.lr_schedule == "step":
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=max(cfg.lr_step, 1), gamma=0.1)
    elif cfg.lr_schedule == "none":
        sched = None
    else:
        raise VisionError(f"lr schedule must be none, cosine or step, got {cfg.lr_schedule!r}",
                          code="V830")
    return model, model_kwargs, opt, sched


def _rng_state(device: torch.device) -> dict[str, Any]:
    state = {"torch": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def _resume(loop: Loop, path: Path, device: torch.device) -> tuple[int, float]:
    blob = load_checkpoint(path, map_location=device)
    loop.model.load_state_dict(blob["model"])
    if blob.get("optimizer"):
        loop.opt.load_state_dict(blob["optimizer"])
    if blob.get("scaler") and loop.scaler.is_enabled():
        loop.scaler.load_state_dict(blob["scaler"])
    if blob.get("scheduler") and loop.sched is not None:
        loop.sched.load_state_dict(blob["scheduler"])
    rng = blob.get("rng") or {}
    if "torch" in rng:
        torch.set_rng_state(rng["torch"].cpu())
    if "cuda" in rng and device.type == "cuda":
        torch.cuda.set_rng_state(rng["cuda"].cpu(), device)
    best = blob["meta"].get("best_auc")
    return int(blob["meta"]["epoch"]), float(best) if best is not None else -math.inf


def _end_epoch(loop: Loop, cfg: TrainConfig, meta: dict, epoch: int, loss: float,
               best: float, device: torch.device) -> float:
    """Validate (all ranks), then on rank 0 checkpoint and log; returns the best AUC."""
    probs = shard_predict(loop, loop.data["val"], cfg, device)
    table = auc_table(loop.data["val"].targets, probs, list(FINDINGS))
    mean_auc = float(table.auc.iloc[-1])
    improved = math.isfinite(mean_auc) and mean_auc > best
    best = mean_auc if improved else best
    if loop.main:
        out = Path(cfg.out)
        meta.update(epoch=epoch + 1, val_auc=mean_auc if math.isfinite(mean_auc) else None,
                    best_auc=best if math.isfinite(best) else None)
        save_checkpoint(out / "last.pt", loop.model, meta, loop.opt,
                        loop.scaler if loop.scaler.is_enabled() else None,
                        {"scheduler": loop.sched.state_dict() if loop.sched else None,
                         "rng": _rng_state(device)})
        if improved or not (out / "best.pt").exists():
            shutil.copyfile(out / "last.pt", out / "best.pt")
        record = {"epoch": epoch + 1, "train_loss": loss, "lr": loop.opt.param_groups[0]["lr"],
                  "val_mean_auc": mean_auc,
                  "val_auc": dict(zip(table.finding[:-1], table.auc[:-1]))}
        with open(out / "history.jsonl", "a") as fh:
            fh.write(json.dumps(_finite(record)) + "\n")
        _log(" ".join(f"{f}={a:.3f}" for f, a in zip(table.finding, table.auc)))
        _log(f"epoch {epoch + 1}: val mean AUC {mean_auc:.4f} (best {best:.4f}) "
             f"→ {out / 'last.pt'}")
    return best


def _score_test(loop: Loop, cfg: TrainConfig, device: torch.device) -> float | None:
    """Best model on the test split → ``test_auc.csv``; its mean AUC (None if undefined)."""
    test = loop.data.get("test")
    if test is None or not len(test):
        if loop.main:
            _log("score_test: the test split is empty; nothing scored")
        return None
    loop.model.load_state_dict(load_checkpoint(Path(cfg.out) / "best.pt", device)["model"])
    probs = shard_predict(loop, test, cfg, device)
    table = auc_table(test.targets, probs, list(FINDINGS))
    if loop.main:
        table.to_csv(Path(cfg.out) / "test_auc.csv", index=False)
        _log(f"test ({len(test)} images): mean AUC {table.auc.iloc[-1]:.4f} → "
             f"{Path(cfg.out) / 'test_auc.csv'}")
    mean = float(table.auc.iloc[-1])
    return mean if math.isfinite(mean) else None


def train(cfg: TrainConfig) -> dict[str, Any]:
    """Train per ``cfg``; returns the run summary (``best_auc`` None when no epoch had a
    defined validation AUC; ``test_auc`` with ``score_test``; figures are rank 0's)."""
    world, rank, local = init_distributed()
    device = resolve_device(cfg.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed input size: let cuDNN pick kernels
        if world > 1:
            device = torch.device("cuda", local)
            torch.cuda.set_device(device)
    torch.manual_seed(cfg.seed + rank)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    labels, splits, errors = prepare_splits(cfg.images, cfg.labels, cfg.uncertain, cfg.split_dir,
                                            cfg.split_fractions, cfg.seed, cfg.max_images)
    data = _datasets(cfg, labels, splits, rank == 0)
    check_split("val", data["val"].targets, log=_log if rank == 0 else (lambda m: None))
    if rank == 0:
        save_splits(splits, out)
    model, model_kwargs, opt, sched = _build(cfg, device, rank)
    loop = Loop.create(cfg, model, opt, sched, data, device, world, rank)
    start, best = _resume(loop, out / "last.pt", device) if cfg.resume else (0, -math.inf)
    meta = {"arch": cfg.arch, "model_kwargs": model_kwargs, "findings": list(FINDINGS),
            "image_size": cfg.image_size, "config": {k: v for k, v in asdict(cfg).items()
                                                     if k != "extra"}}
    if loop.main:
        if cfg.resume:
            _log(f"resumed from {out / 'last.pt'} after epoch {start} (best val AUC {best:.4f})")
        _log(f"train {len(data['train'])} / val {len(data['val'])} / test {len(data['test'])} "
             f"images, batch {cfg.batch_size} × accum {loop.accum} × {world} process(es), "
             f"{cfg.arch} ({cfg.pooling}, {cfg.loss}) on {device}, amp={loop.amp}")
    for epoch in range(start, cfg.epochs):
        loss = run_epoch(loop, cfg, epoch, device)
        best = _end_epoch(loop, cfg, meta, epoch, loss, best, device)
        if loop.sched is not None:
            loop.sched.step()
    test_auc = _score_test(loop, cfg, device) if cfg.score_test else None
    barrier()
    if world > 1:
        torch.distributed.destroy_process_group()
    summary = {"best_auc": best if math.isfinite(best) else None, "best": str(out / "best.pt"),
               "last": str(out / "last.pt"), "epochs": cfg.epochs, "rank": rank,
               "images": {k: len(v) for k, v in splits.items()}, "excluded_errors": errors,
               "splits": str(out / "splits")}
    if cfg.score_test:
        summary["test_auc"] = test_auc
    return summary
