"""From reports to a trained classifier and boxes, on a bundled-size synthetic sample (CPU).

Run: ``python examples/train_and_localize.py [WORKDIR]`` (needs the ``[vision]`` extra; about
a minute on a laptop CPU). Synthetic 64×64 "X-rays" stand in for real images: a bright disc
marks a Mass. Each image comes with a report ("There is a mass ...", "No mass.", "Possible
mass ..."). Then:

1. ``cxrlabel label reports.csv --column report --id-column filename -o labels.csv`` — the
   label table's ``id`` column names the image file, so it feeds the next step as is;
2. ``cxrlabel vision train --images images --labels labels.csv --uncertain ignore ...`` — a
   random-init ResNet-18 with LSE pooling, one epoch; uncertain labels are masked from the loss
   (U-Ignore; ``zeros``/``ones`` are U-Zeros/U-Ones), blank counts as 0;
3. ``cxrlabel vision localize --checkpoint run/best.pt --finding Mass`` — boxes from the class
   heatmap, as CSV, and PNG overlays;
4. the Python path for your own training loop: :func:`cxrlabel.label_many` → DataFrame →
   an uncertain policy → :class:`cxrlabel_vision.data.XrayDataset` → a DataLoader batch.

Real data: see docs/vision.md (NIH ChestX-ray14 images, ``--weights imagenet``, 512², GPUs).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

N_IMAGES = 24
SIZE = 64


def cxrlabel_cli(*args: str) -> str:
    """Run the ``cxrlabel`` command of this Python environment; return its stdout."""
    exe = Path(sys.executable).with_name("cxrlabel")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", "from cxrlabel.cli import main; main()"]
    return subprocess.run(cmd + [str(a) for a in args], check=True, capture_output=True, text=True).stdout


def make_sample(folder: Path, seed: int = 0) -> pd.DataFrame:
    """PNG images with a report each: a bright disc where the report says there is a mass."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    rows = []
    for i in range(N_IMAGES):
        name = f"{i:08d}_000.png"  # NIH-style names: the patient id is the first 8 digits
        img = 0.45 + 0.08 * rng.standard_normal((SIZE, SIZE))
        kind = ("mass", "none", "mass", "none", "possible", "none")[i % 6]
        if kind in ("mass", "possible"):
            cx, cy = rng.uniform(10, SIZE - 10, 2)
            img[(xx - cx) ** 2 + (yy - cy) ** 2 <= 6.5**2] = 1.0
        Image.fromarray((np.clip(img, 0, 1) * 255).astype(np.uint8)).save(folder / name)
        report = {
            "mass": "There is a 2 cm mass in the left upper lobe.",
            "none": "No mass. Heart size is normal.",
            "possible": "Possible mass in the right lung.",
        }[kind]
        rows.append({"filename": name, "report": report})
    return pd.DataFrame(rows)


def uncertain_policy(labels: pd.DataFrame, findings: list[str], policy: str = "ignore") -> np.ndarray:
    """Targets from a label table (1 / 0 / -1 / NaN): blank → 0, uncertain → NaN (U-Ignore,
    masked by the loss), 0 (U-Zeros) or 1 (U-Ones) — what ``read_labels(uncertain=...)`` does."""
    table = labels[findings].astype(float)
    uncertain = table.eq(-1)
    table = table.fillna(0.0)
    return table.mask(uncertain, {"ignore": np.nan, "zeros": 0.0, "ones": 1.0}[policy]).to_numpy(np.float32)


def main(workdir: Path) -> None:
    images = workdir / "images"
    reports = make_sample(images)
    reports.to_csv(workdir / "reports.csv", index=False)

    # 1. Label the reports; the output feeds `cxrlabel vision train` directly.
    labels_csv = workdir / "labels.csv"
    cxrlabel_cli("label", workdir / "reports.csv", "--column", "report", "--id-column", "filename", "-o", labels_csv)
    labels = pd.read_csv(labels_csv)
    print("Mass labels (1 / 0 / -1):", labels["Mass"].value_counts(dropna=False).to_dict())

    # 2. Train one epoch on CPU (small everything; real runs: --weights imagenet --image-size 512).
    run = workdir / "run"
    summary = json.loads(cxrlabel_cli(
        "vision", "train", "--images", images, "--labels", labels_csv, "--out", run,
        "--arch", "resnet18", "--weights", "none", "--image-size", SIZE, "--output-stride", "16",
        "--transition-dim", "32", "--batch-size", "8", "--accum", "1", "--optimizer", "adam",
        "--epochs", "1", "--uncertain", "ignore", "--split-fractions", "0.75,0.25,0",
        "--device", "cpu", "--workers", "0", "--no-amp", "--no-channels-last", "--seed", "0",
    ))
    print("training summary:", summary)
    assert (run / "best.pt").is_file()

    # 3. Boxes for Mass from the heatmaps, with overlays.
    boxes_csv = workdir / "boxes.csv"
    cxrlabel_cli("vision", "localize", "--checkpoint", run / "best.pt", "--images", images,
                 "--finding", "Mass", "--overlays", workdir / "overlays", "-o", boxes_csv, "--device", "cpu")
    boxes = pd.read_csv(boxes_csv)
    print(boxes.head().to_string())
    assert set(boxes["finding"]) <= {"Mass"} and len(boxes) > 0

    # 4. The Python path: label_many → DataFrame → uncertain policy → the vision Dataset.
    import cxrlabel
    from torch.utils.data import DataLoader

    from cxrlabel_vision.data import XrayDataset

    table = cxrlabel.label_many(reports, text_column="report", id_column="filename", cache=None, progress=False)
    findings = list(cxrlabel.FINDINGS)
    for policy in ("ignore", "zeros", "ones"):
        t = uncertain_policy(table, findings, policy)
        mass = t[:, findings.index("Mass")]
        print(f"U-{policy.capitalize()}: Mass targets {[None if np.isnan(v) else float(v) for v in mass[:6]]} (None = masked)")
    ds = XrayDataset(table["filename"].tolist(), uncertain_policy(table, findings, "ignore"), image_dir=images, image_size=SIZE)
    batch_images, batch_targets, _ = next(iter(DataLoader(ds, batch_size=6)))
    print("one batch:", tuple(batch_images.shape), batch_images.dtype, tuple(batch_targets.shape))
    assert batch_images.shape == (6, 1, SIZE, SIZE)
    mass = uncertain_policy(table, findings, "ignore")[:, findings.index("Mass")]
    assert np.isnan(mass[4]) and mass[0] == 1 and mass[1] == 0  # possible → masked, mass → 1, none → 0


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="cxrlabel-")))
