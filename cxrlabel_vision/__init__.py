"""cxrlabel_vision: an LSE-pooled ResNet trained on cxrlabel's labels, with heatmaps and boxes.

Needs the ``[vision]`` extra (torch, torchvision, pillow, scipy). torch is imported lazily:
``import cxrlabel_vision`` is cheap, and the names below load their module on first use.

From report labels to a trained model
-------------------------------------
1. Label the reports: ``cxrlabel label reports.csv -o labels.csv``. The output has an id
   column and the 14 findings in 1 / 0 / -1 / blank. Make the id column name the image file
   (``filename`` or ``id``, e.g. ``00000001_000.png``); a ``patient_id`` column enables the
   patient-level split (NIH file names ``PPPPPPPP_NNN.png`` give it without one). NIH's own
   ``Data_Entry_2017.csv`` (``Finding Labels`` = ``"A|B"`` or ``"No Finding"``) works as is.
   Rows with a filled ``error`` column (reports the labeler could not read) are left out.
2. Pre-resize once (optional but fast): ``cxrlabel vision train ... --cache cache/512`` builds
   a uint8 memmap keyed by image on the first run and reuses it afterwards (any split/seed).
3. Train: ``cxrlabel vision train --preset paper --images NIH_DIR --labels labels.csv
   --split-dir NIH_DIR --out runs/r50 --score-test`` (images found recursively).
   Uncertain labels (-1) are masked (``ignore``, U-Ignore), or mapped to 0 / 1 (``zeros`` /
   ``ones``); blank means "not mentioned" and counts as 0, as in ChestX-ray8. Without
   ``--split-dir`` the split is random by patient. Multi-GPU: ``torchrun --nproc-per-node 8
   -m cxrlabel_vision.cli train ...``.
4. Use it: ``cxrlabel vision eval --split test`` (AUC per finding + ROC plot), ``predict``
   (probabilities CSV), ``localize`` (boxes CSV + overlays) and ``eval-boxes`` (IoBB / IoU
   accuracy and false positives against ``BBox_List_2017.csv``, beside a chance control);
   in Python, :func:`predict_image` for one image.

Other backbones plug in through :func:`register_model` (see :mod:`cxrlabel_vision.registry`).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

__all__ = [
    "Box",
    "LSENet",
    "LSEPool2d",
    "WCELoss",
    "box_iobb",
    "box_iou",
    "create_model",
    "heatmap_to_boxes",
    "list_models",
    "predict_image",
    "register_model",
]

_LAZY = {
    "Box": "boxes",
    "box_iobb": "boxes",
    "box_iou": "boxes",
    "heatmap_to_boxes": "boxes",
    "LSEPool2d": "pooling",
    "WCELoss": "loss",
    "LSENet": "model",
    "predict_image": "localize",
    "create_model": "registry",
    "list_models": "registry",
    "register_model": "registry",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
