"""Throughput of cxrlabel_vision: train and inference images/second at 224² and 512²,
AMP on and off, from device-resident batches and from the image cache (issues 6 and 15).

Sources: ``synthetic`` (uint8 batches already on the device — the model's ceiling) and
``cache`` (the pre-resized uint8 memmap cache built from PNGs, through a DataLoader — what a
real run sees). Modes: ``train`` (forward, W-CEL, backward, optimizer step) and ``infer``
(forward with class heatmaps, no gradient — what predict/eval/localize run). Each is timed
after warm-up steps, channels-last on a GPU.

    python benchmarks/bench_vision.py                  # on a GPU: resnet50, 224 and 512, AMP on/off
    python benchmarks/bench_vision.py --smoke          # seconds on a CPU: checks it runs, no figures

Prints one JSON line per (size, mode, source, AMP) and a Markdown table for RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cxrlabel_vision import WCELoss, create_model  # noqa: E402
from cxrlabel_vision.data import XrayDataset, build_cache, to_input  # noqa: E402
from cxrlabel_vision.evaluate import autocast, resolve_device  # noqa: E402


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _step_fn(model, opt, crit, device, amp, channels_last, scaler):
    def step(images: torch.Tensor, targets: torch.Tensor) -> None:
        x = to_input(images, device, channels_last)
        with autocast(device, amp):
            logits = model(x)
        loss = crit(logits.float(), targets.to(device, non_blocking=True))
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()

    return step


def _infer_fn(model, device, amp, channels_last):
    @torch.no_grad()
    def step(images: torch.Tensor, _targets: torch.Tensor) -> None:
        with autocast(device, amp):
            model.heatmaps(to_input(images, device, channels_last))

    return step


def bench_synthetic(step, size, batch, steps, warmup, device) -> float:
    images = torch.randint(0, 256, (batch, 1, size, size), dtype=torch.uint8, device=device)
    targets = (torch.rand(batch, 14, device=device) < 0.1).float()
    for _ in range(warmup):
        step(images, targets)
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step(images, targets)
    _sync(device)
    return batch * steps / (time.perf_counter() - t0)


def _make_pngs(folder: Path, n: int, side: int = 1024) -> list[str]:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (side, side), dtype=np.uint8)
    names = []
    for i in range(n):
        name = f"{i:08d}_000.png"
        Image.fromarray(np.roll(base, i * 7, axis=0)).save(folder / name, compress_level=1)
        names.append(name)
    return names


def bench_cache(step, size, batch, steps, warmup, device, workers, png_dir, names, tmp) -> float:
    t0 = time.perf_counter()
    cache = build_cache(png_dir, names, size, Path(tmp) / f"cache{size}", progress=False)
    build_s = time.perf_counter() - t0
    targets = (np.random.default_rng(1).random((len(names), 14)) < 0.1).astype(np.float32)
    ds = XrayDataset(names, targets, cache=cache)
    dl = DataLoader(ds, batch_size=batch, shuffle=True, num_workers=workers, drop_last=True,
                    pin_memory=device.type == "cuda", persistent_workers=workers > 0)
    done, seen, t0 = 0, 0, None
    while done < warmup + steps:
        for images, y, _ in dl:
            if done == warmup:
                _sync(device)
                t0, seen = time.perf_counter(), 0
            step(images, y)
            done += 1
            seen += len(images)
            if done >= warmup + steps:
                break
    _sync(device)
    print(f"  cache of {len(names)} images at {size}² built in {build_s:.1f} s "
          f"({len(names) / build_s:.1f} PNG/s)", file=sys.stderr)
    return seen / (time.perf_counter() - t0)


SMOKE = {"arch": "resnet18", "sizes": "32", "batch_size": 2, "steps": 1, "warmup": 0,
         "device": "cpu", "workers": 0, "cache_images": 4, "png_side": 64, "amp": "off",
         "transition_dim": 8}


def _args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default="resnet50")
    ap.add_argument("--sizes", default="224,512")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--amp", choices=["both", "on", "off"], default="both",
                    help="AMP runs (CUDA only; on a CPU every run is without AMP)")
    ap.add_argument("--no-channels-last", action="store_true")
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--cache-images", type=int, default=512,
                    help="synthetic PNGs to build the cache from (0: skip the cache runs)")
    ap.add_argument("--png-side", type=int, default=1024, help="side of those PNGs")
    ap.add_argument("--transition-dim", type=int, default=2048)
    ap.add_argument("--sources", default="synthetic,cache")
    ap.add_argument("--modes", default="train,infer")
    ap.add_argument("--smoke", action="store_true",
                    help="tiny CPU run that checks every path works (figures meaningless)")
    args = ap.parse_args(argv)
    if args.smoke:
        for k, v in SMOKE.items():
            setattr(args, k, v)
    return args


def _run_one(args, device, size, mode, amp, source, png_dir, names, tmp) -> dict | None:
    cl = not args.no_channels_last
    model = create_model(args.arch, output_stride=32, transition_dim=args.transition_dim)
    model = model.to(device)
    if cl:
        model = model.to(memory_format=torch.channels_last)
    if mode == "train":
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
        use_scaler = amp and not torch.cuda.is_bf16_supported()
        scaler = torch.amp.GradScaler("cuda", enabled=use_scaler)
        step = _step_fn(model, opt, WCELoss("mean"), device, amp, cl, scaler)
    else:
        model.eval()
        step = _infer_fn(model, device, amp, cl)
    if source == "synthetic":
        rate = bench_synthetic(step, size, args.batch_size, args.steps, args.warmup, device)
    elif source == "cache" and names:
        rate = bench_cache(step, size, args.batch_size, args.steps, args.warmup, device,
                           args.workers, png_dir, names, tmp)
    else:
        return None
    return {"arch": args.arch, "size": size, "mode": mode, "source": source,
            "batch": args.batch_size, "amp": amp, "channels_last": cl, "device": str(device),
            "device_name": (torch.cuda.get_device_name(device) if device.type == "cuda"
                            else platform.processor() or platform.machine()),
            "smoke": args.smoke, "images_per_s": round(rate, 1)}


def main(argv=None) -> list[dict]:
    args = _args(argv)
    device = resolve_device(args.device)
    torch.backends.cudnn.benchmark = True
    amps = {"both": [True, False], "on": [True], "off": [False]}[args.amp]
    amps = amps if device.type == "cuda" else [False]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        png_dir = Path(tmp) / "png"
        png_dir.mkdir()
        names = (_make_pngs(png_dir, args.cache_images, args.png_side)
                 if "cache" in args.sources and args.cache_images else [])
        for size in (int(s) for s in args.sizes.split(",")):
            for mode in args.modes.split(","):
                for amp in amps:
                    for source in args.sources.split(","):
                        row = _run_one(args, device, size, mode, amp, source, png_dir, names,
                                       tmp)
                        if row:
                            rows.append(row)
                            print(json.dumps(row), flush=True)
    print("\n| arch | size | mode | source | batch | AMP | images/s |\n"
          "|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['arch']} | {r['size']}² | {r['mode']} | {r['source']} | {r['batch']} | "
              f"{'yes' if r['amp'] else 'no'} | {r['images_per_s']} |")
    return rows


if __name__ == "__main__":
    main()
