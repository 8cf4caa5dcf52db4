"""``cxrlabel vision ...``: train, predict, eval, localize, eval-boxes.

Thin click wrappers over :mod:`train`, :mod:`evaluate` and :mod:`localize`; stdout carries
CSV data, stderr progress. Multi-GPU: ``torchrun --nproc-per-node N -m cxrlabel_vision.cli
train ...`` (the same command; DDP starts when ``WORLD_SIZE`` > 1).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cxrlabel.errors import VisionError

__all__ = ["vision_group"]

_DEVICE = click.option("--device", default="auto", show_default=True,
                       help="auto (cuda if available), cpu, cuda or cuda:N")
_MODEL_OPTS = [
    click.option("--checkpoint", type=click.Path(dir_okay=False), default=None,
                 help="a checkpoint from `train` (best.pt)"),
    click.option("--arch", default="resnet50", show_default=True,
                 help="without --checkpoint: an untrained model of this architecture"),
    click.option("--weights", default="none", show_default=True,
                 help="without --checkpoint: imagenet, none or a state-dict path"),
    click.option("--image-size", type=int, default=None,
                 help="input size (default: the checkpoint's, else 512)"),
    click.option("--output-stride", type=click.Choice(["8", "16", "32"]), default="32",
                 show_default=True, help="without --checkpoint: backbone stride (S = size/stride)"),
]


def _model_options(f):
    for opt in reversed(_MODEL_OPTS):
        f = opt(f)
    return _DEVICE(f)


def _load_model(checkpoint, arch, weights, image_size, output_stride, device):
    """(model, findings, image_size, output_stride) from a checkpoint or an untrained arch."""
    from cxrlabel.types import FINDINGS

    from .checkpoint import model_from_checkpoint
    from .evaluate import resolve_device
    from .registry import create_model

    dev = resolve_device(device)
    if checkpoint:
        model, meta = model_from_checkpoint(checkpoint, dev)
        stride = meta.get("model_kwargs", {}).get("output_stride", 32)
        return model, list(meta["findings"]), image_size or meta["image_size"], stride, dev
    w = None if weights in (None, "none") else weights
    model = create_model(arch, len(FINDINGS), w, output_stride=int(output_stride))
    return model.to(dev).eval(), list(FINDINGS), image_size or 512, int(output_stride), dev


def _names(images: str, labels: str | None, names_file: str | None) -> list[str]:
    root = Path(images)
    if not root.is_dir():
        raise VisionError(f"image folder {root} not found", code="V811")
    present = sorted(p.name for p in root.iterdir() if p.suffix.lower() in (".png", ".jpg"))
    if names_file:
        wanted = set(Path(names_file).read_text().split())
        present = [n for n in present if n in wanted]
    if labels:
        from .labels import read_labels

        known = set(read_labels(labels).index)
        present = [n for n in present if n in known]
    if not present:
        raise VisionError(f"no images to process in {root}", code="V811")
    return present


def _emit(df, output: str | None) -> None:
    if output:
        df.to_csv(output, index=False)
        click.echo(f"wrote {len(df)} rows to {output}", err=True)
    else:
        df.to_csv(sys.stdout, index=False)


@click.group("vision")
def vision_group() -> None:
    """Train and use the LSE-pooled CNN on labelled chest X-ray images."""


@vision_group.command("train")
@click.option("--images", required=True, type=click.Path(file_okay=False), help="PNG folder")
@click.option("--labels", required=True, type=click.Path(dir_okay=False),
              help="cxrlabel label output CSV or NIH Data_Entry_2017.csv")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="run folder")
@click.option("--arch", default="resnet50", show_default=True)
@click.option("--weights", default="none", show_default=True, help="imagenet, none or a path")
@click.option("--image-size", type=int, default=512, show_default=True)
@click.option("--output-stride", type=click.Choice(["8", "16", "32"]), default="32",
              show_default=True)
@click.option("--lse-r", type=float, default=10.0, show_default=True)
@click.option("--transition-dim", type=int, default=1024, show_default=True,
              help="D, the channels of the transition layer")
@click.option("--epochs", type=int, default=10, show_default=True)
@click.option("--batch-size", type=int, default=16, show_default=True)
@click.option("--accum", type=int, default=None,
              help="gradient accumulation steps (default: 80 // (batch size × GPUs))")
@click.option("--optimizer", type=click.Choice(["sgd", "adam"]), default="sgd",
              show_default=True)
@click.option("--lr", type=float, default=1e-3, show_default=True)
@click.option("--weight-decay", type=float, default=1e-4, show_default=True)
@click.option("--amp/--no-amp", default=True, show_default=True, help="mixed precision on GPU")
@click.option("--channels-last/--no-channels-last", default=True, show_default=True)
@click.option("--workers", type=int, default=4, show_default=True)
@click.option("--uncertain", type=click.Choice(["ignore", "zeros", "ones"]), default="ignore",
              show_default=True, help="-1 labels: masked (U-Ignore), 0 or 1")
@click.option("--split-dir", type=click.Path(file_okay=False), default=None,
              help="folder with train_val_list.txt / test_list.txt (else a patient split)")
@click.option("--split-fractions", default="0.7,0.1,0.2", show_default=True,
              help="train,val,test patient fractions (without --split-dir; with it, the val "
              "fraction of train_val)")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--cache", default=None, help="stem of a uint8 memmap cache (built once)")
@click.option("--resume", is_flag=True, help="continue from OUT/last.pt")
@click.option("--max-images", type=int, default=None, help="use only the first N images")
@click.option("--log-every", type=int, default=20, show_default=True)
@_DEVICE
def train_cmd(**kw) -> None:
    """Train on a labelled image folder; prints the run summary as JSON on stdout."""
    import json

    from .train import TrainConfig, train

    kw["output_stride"] = int(kw["output_stride"])
    fractions = _thresholds(kw["split_fractions"])
    if len(fractions) != 3:
        raise VisionError("--split-fractions needs three numbers, e.g. 0.7,0.1,0.2", code="V812")
    kw["split_fractions"] = fractions
    kw["weights"] = None if kw["weights"] == "none" else kw["weights"]
    summary = train(TrainConfig(**kw))
    if summary.get("rank", 0) == 0:
        click.echo(json.dumps(summary))


@vision_group.command("predict")
@click.option("--images", required=True, type=click.Path(file_okay=False))
@click.option("--labels", default=None, help="only the images of this label table")
@click.option("--names", "names_file", default=None, help="only the images listed in this file")
@click.option("--batch-size", type=int, default=16, show_default=True)
@click.option("-o", "--output", default=None, help="CSV path (default: stdout)")
@_model_options
def predict_cmd(images, labels, names_file, batch_size, output, **mk) -> None:
    """Probabilities per finding for each image → CSV (filename + 14 columns)."""
    import pandas as pd
    from torch.utils.data import DataLoader

    from .data import XrayDataset
    from .evaluate import predict

    model, findings, size, _s, dev = _load_model(**mk)
    names = _names(images, labels, names_file)
    ds = XrayDataset(names, image_dir=images, image_size=size, num_classes=len(findings))
    probs = predict(model, DataLoader(ds, batch_size=batch_size), dev)
    df = pd.DataFrame(probs, columns=findings)
    df.insert(0, "filename", names)
    _emit(df, output)


@vision_group.command("eval")
@click.option("--labels", required=True, help="label table with the true labels")
@click.option("--images", default=None, help="image folder (with a model)")
@click.option("--predictions", default=None, help="a `predict` CSV instead of a model")
@click.option("--names", "names_file", default=None, help="only these images (e.g. test_list)")
@click.option("--roc", default=None, help="write the ROC plot PNG here")
@click.option("--batch-size", type=int, default=16, show_default=True)
@_model_options
def eval_cmd(labels, images, predictions, names_file, roc, batch_size, **mk) -> None:
    """ROC AUC per finding and their mean → CSV on stdout; optional ROC plot."""
    import numpy as np
    import pandas as pd

    from .evaluate import auc_table, plot_roc
    from .labels import read_labels

    table = read_labels(labels)
    if predictions:
        pred = pd.read_csv(predictions).set_index("filename")
        findings = [c for c in pred.columns if c in table.columns]
        if names_file:
            pred = pred[pred.index.isin(set(Path(names_file).read_text().split()))]
        pred = pred[pred.index.isin(table.index)]
        names, probs = list(pred.index), pred[findings].to_numpy(float)
    else:
        if not images:
            raise VisionError("eval needs --images (with a model) or --predictions", code="V830")
        from torch.utils.data import DataLoader

        from .data import XrayDataset
        from .evaluate import predict

        model, findings, size, _s, dev = _load_model(**mk)
        names = _names(images, labels, names_file)
        ds = XrayDataset(names, image_dir=images, image_size=size, num_classes=len(findings))
        probs = predict(model, DataLoader(ds, batch_size=batch_size), dev)
    targets = table.loc[names, findings].to_numpy(np.float64)
    result = auc_table(targets, probs, findings)
    if roc:
        plot_roc(targets, probs, findings, roc)
        click.echo(f"ROC plot → {roc}", err=True)
    _emit(result, None)


def _thresholds(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(t) for t in text.split(","))
    except ValueError:
        raise VisionError(f"expected comma-separated numbers like 60,180, got {text!r}",
                          code="V830") from None


@vision_group.command("localize")
@click.option("--images", required=True, type=click.Path(file_okay=False))
@click.option("--names", "names_file", default=None, help="only the images listed in this file")
@click.option("--bboxes", default=None, help="ground-truth boxes: localize those findings, "
              "draw them in green")
@click.option("--finding", "only", multiple=True, help="findings to localize (default: all)")
@click.option("--min-prob", type=float, default=None, help="skip findings below this probability")
@click.option("--thresholds", default="60,180", show_default=True)
@click.option("--overlays", default=None, help="folder for PNG overlays")
@click.option("-o", "--output", default=None, help="boxes CSV path (default: stdout)")
@_model_options
def localize_cmd(images, names_file, bboxes, only, min_prob, thresholds, overlays, output, **mk):
    """Boxes from class heatmaps → CSV (image, finding, prob, threshold, score, x, y, w, h)."""
    from .labels import read_bboxes
    from .localize import localize

    model, findings, size, _s, dev = _load_model(**mk)
    truth = read_bboxes(bboxes) if bboxes else None
    names = _names(images, None, names_file)
    if truth is not None:
        names = [n for n in names if n in set(truth.image)]
        truth = truth[truth.image.isin(names)]
    df = localize(model, findings, images, names, size, dev, _thresholds(thresholds),
                  list(only) or None, min_prob, truth, overlays)
    _emit(df, output)


@vision_group.command("eval-boxes")
@click.option("--bboxes", required=True, help="BBox_List_2017.csv(.gz) or images_bboxes.csv")
@click.option("--images", required=True, type=click.Path(file_okay=False),
              help="image folder (image sizes; heatmaps when no --detections)")
@click.option("--detections", default=None, help="a `localize` CSV instead of running a model")
@click.option("--thresholds", default="60,180", show_default=True)
@click.option("--map-size", type=int, default=None,
              help="S of the random control (default: image size / output stride)")
@click.option("--control/--no-control", default=True, show_default=True,
              help="add the random-heatmap control rows")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "table"]), default="csv",
              show_default=True, help="table: the paper's layout (T × method, one column "
              "per finding, accuracy and AFP)")
@click.option("-o", "--output", default=None, help="CSV path (default: stdout)")
@_model_options
def eval_boxes_cmd(bboxes, images, detections, thresholds, map_size, control, seed, fmt, output,
                   **mk):
    """IoBB and IoU accuracy and average false positives per finding (+ random control)."""
    import pandas as pd

    from .labels import read_bboxes
    from .localize import eval_boxes, localize, random_detections

    truth = read_bboxes(bboxes)
    present = set(_names(images, None, None))
    truth = truth[truth.image.isin(present)]
    if truth.empty:
        raise VisionError(f"none of the boxed images of {bboxes} is in {images}", code="V813")
    ths = _thresholds(thresholds)
    if detections:
        det = pd.read_csv(detections)
        size = mk["image_size"] or 512
        stride = int(mk["output_stride"])
    else:
        model, findings, size, stride, dev = _load_model(**mk)
        det = localize(model, findings, images, sorted(set(truth.image)), size, dev, ths,
                       truth=truth)
    ctrl = (random_detections(truth, images, map_size or max(size // stride, 1), ths, seed)
            if control else None)
    result = eval_boxes(det, truth, ctrl)
    summary = result[result.finding == "all"].pivot_table(
        index=["criterion", "T"], columns="method", values="accuracy")
    click.echo(f"{truth.image.nunique()} images, {len(truth)} boxes; accuracy (all findings):\n"
               f"{summary.to_string()}", err=True)
    if fmt == "table":
        click.echo(_paper_table(result))
    else:
        _emit(result, output)


def _paper_table(result) -> str:
    """Tables 4 and 7 of the paper: one block per criterion, rows T × method × (Acc., AFP)."""
    blocks = []
    for criterion, part in result.groupby("criterion", sort=False):
        long = part.melt(id_vars=["method", "T", "finding"], value_vars=["accuracy", "afp"],
                         var_name="metric")
        wide = long.pivot_table(index=["T", "method", "metric"], columns="finding",
                                values="value")
        cols = [c for c in wide.columns if c != "all"] + ["all"]
        blocks.append(f"T({criterion.upper()})\n{wide[cols].round(3).to_string()}")
    return "\n\n".join(blocks)


if __name__ == "__main__":  # torchrun -m cxrlabel_vision.cli train ...
    vision_group()
