"""The run's image lists: labels of images on disk, the train/val/test split, its checks.

A split too small for AUC is refused (V812) instead of giving NaN and a meaningless "best";
one where only some findings have both labels is warned about. The lists are saved in the run
folder (``splits/train.txt`` …) so ``eval --split test`` scores exactly the held-out images.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from cxrlabel.errors import VisionError
from cxrlabel.types import FINDINGS

from .data import find_images
from .labels import official_split, patient_split, read_labels

__all__ = ["PARTS", "auc_ready_findings", "check_split", "load_split", "prepare_splits",
           "save_splits"]

PARTS = ("train", "val", "test")


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def auc_ready_findings(targets: np.ndarray, findings: Sequence[str]) -> list[str]:
    """Findings with at least one positive and one negative label (an AUC is defined)."""
    t = np.asarray(targets, dtype=float)
    return [f for c, f in enumerate(findings)
            if ((t[:, c] == 1).any() and (t[:, c] == 0).any())]


def check_split(part: str, targets: np.ndarray, findings: Sequence[str] = FINDINGS,
                log=_log) -> list[str]:
    """Refuse (V812) a ``part`` on which no finding has an AUC; warn when only some have."""
    ready = auc_ready_findings(targets, findings)
    if not ready:
        raise VisionError(
            f"the {part} split ({len(targets)} images) has no finding with both a positive and "
            f"a negative label, so no AUC can be computed; use more images or larger "
            f"--split-fractions for {part} (with --split-dir the val share of train_val)",
            code="V812")
    if len(ready) < len(findings):
        log(f"warning: the {part} split ({len(targets)} images) has an AUC for only "
            f"{len(ready)} of {len(findings)} findings; its mean AUC is over those")
    return ready


def prepare_splits(images: str, labels: str, uncertain: str = "ignore",
                   split_dir: str | None = None,
                   fractions: Sequence[float] = (0.7, 0.1, 0.2), seed: int = 0,
                   max_images: int | None = None
                   ) -> tuple[pd.DataFrame, dict[str, list[str]], int]:
    """(labels of the images present under ``images``, split, labeler error rows dropped)."""
    table = read_labels(labels, uncertain)
    errors = int(table.attrs.get("errors", 0))
    if errors:
        _log(f"{errors} rows of {labels} are reports the labeler could not read (error "
             f"column); they are left out, not taken as No Finding")
    present = find_images(images)
    kept = table[table.index.isin(present.keys())]
    if len(kept) < len(table):
        _log(f"{len(table) - len(kept)} labelled images are not under {images}; "
             f"using {len(kept)}")
    if kept.empty:
        raise VisionError(f"none of the labelled images is under {images}", code="V816")
    if max_images:
        kept = kept.iloc[:max_images]
    if split_dir:
        splits = official_split(kept, split_dir, fractions[1], seed)
    else:
        splits = patient_split(kept, fractions, seed)
    for part in ("train", "val"):
        if not splits[part]:
            raise VisionError(f"the {part} split is empty ({len(kept)} images: "
                              + ", ".join(f"{k} {len(v)}" for k, v in splits.items())
                              + "); use more images or other --split-fractions", code="V812")
    return kept, splits, errors


def save_splits(splits: dict[str, list[str]], run_dir: str | Path) -> Path:
    """Write ``run_dir/splits/<part>.txt`` (one image name a line) for each part."""
    d = Path(run_dir) / "splits"
    d.mkdir(parents=True, exist_ok=True)
    for part in PARTS:
        (d / f"{part}.txt").write_text("".join(f"{n}\n" for n in splits.get(part, [])))
    return d


def load_split(run_dir: str | Path, part: str) -> list[str]:
    """The image names of ``part`` saved by a training run (V812 when absent)."""
    p = Path(run_dir) / "splits" / f"{part}.txt"
    if part not in PARTS or not p.is_file():
        raise VisionError(f"no {part} split list at {p}; train saves them in its run folder "
                          f"(or pass --names FILE)", code="V812")
    return [n for n in p.read_text().split() if n]
