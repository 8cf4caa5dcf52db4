"""Synthetic chest-X-ray stand-ins for the end-to-end test: a bright disc marks Mass and a
dark disc marks Effusion, each present in half the images at a random place."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from cxrlabel.types import FINDINGS


def make_synthetic(folder: Path, n: int, size: int = 96, seed: int = 0, start: int = 0):
    """Write ``n`` PNGs, a cxrlabel-style label CSV and a BBox-style CSV; return both paths.

    Findings other than Mass and Effusion are left blank, except Pneumonia, which is -1
    (uncertain) everywhere, so U-Ignore masks it from the loss and it has no AUC.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    rad = size * 0.1
    rows, boxes = [], []
    for i in range(start, start + n):
        name = f"{i:08d}_000.png"
        img = 0.45 + 0.08 * rng.standard_normal((size, size))
        row = {"filename": name, **{f: "" for f in FINDINGS}, "Pneumonia": "-1"}
        for finding, value in (("Mass", 1.0), ("Effusion", 0.0)):
            present = rng.random() < 0.5
            row[finding] = "1" if present else "0"
            if present:
                cx, cy = rng.uniform(rad, size - rad, 2)
                img[(xx - cx) ** 2 + (yy - cy) ** 2 <= rad**2] = value
                boxes.append((name, finding, cx - rad, cy - rad, 2 * rad, 2 * rad))
        Image.fromarray((np.clip(img, 0, 1) * 255).astype(np.uint8)).save(folder / name)
        rows.append(row)
    labels = folder.parent / f"{folder.name}_labels.csv"
    bboxes = folder.parent / f"{folder.name}_boxes.csv"
    pd.DataFrame(rows).to_csv(labels, index=False)
    pd.DataFrame(boxes, columns=["Image Index", "Finding Label", "x", "y", "w", "h"]).to_csv(
        bboxes, index=False)
    return labels, bboxes
