"""``cxrlabel vision predict | eval | localize | eval-boxes``: inference and scoring.

Each takes ``--workers`` (decoding processes), ``--amp`` (CUDA only) and ``--cache`` (a
pre-resized image cache) from :func:`~cxrlabel_vision.cli_common.inference_options`.
"""

from __future__ import annotations

import click

from cxrlabel.errors import VisionError

from .cli_common import (emit, image_names, inference_options, load_model, open_cache,
                         parse_numbers, read_names)

__all__ = ["eval_boxes_cmd", "eval_cmd", "localize_cmd", "predict_cmd"]

_NAMES = click.option("--names", "names_file", default=None,
                      help="only the images listed in this file (e.g. test_list.txt)")
_SPLIT = click.option("--split", type=click.Choice(["train", "val", "test"]), default=None,
                      help="only this split of the checkpoint's run (its splits/ folder)")


def _probabilities(loaded, images, names, mk):
    """(probabilities (N, C), findings) of a loaded model over ``names``."""
    from torch.utils.data import DataLoader

    from .data import XrayDataset
    from .evaluate import predict

    model, findings, size, _s, dev = loaded
    cache = open_cache(mk["cache"], images, names, size)
    ds = XrayDataset(names, image_dir=images, image_size=size, cache=cache,
                     num_classes=len(findings))
    dl = DataLoader(ds, batch_size=mk["batch_size"], num_workers=mk["workers"],
                    pin_memory=dev.type == "cuda")
    return predict(model, dl, dev, mk["amp"]), findings


@click.command("predict")
@click.option("--images", required=True, type=click.Path(file_okay=False))
@click.option("--labels", default=None, help="only the images of this label table")
@_NAMES
@_SPLIT
@click.option("-o", "--output", default=None, help="CSV path (default: stdout)")
@inference_options
def predict_cmd(images, labels, names_file, split, output, **mk) -> None:
    """Probabilities per finding for each image → CSV (filename + 14 columns)."""
    import pandas as pd

    loaded = load_model(**mk)
    names = image_names(images, labels, read_names(names_file, split, mk["checkpoint"]))
    probs, findings = _probabilities(loaded, images, names, mk)
    df = pd.DataFrame(probs, columns=findings)
    df.insert(0, "filename", names)
    emit(df, output)


@click.command("eval")
@click.option("--labels", required=True, help="label table with the true labels")
@click.option("--images", default=None, help="image folder (with a model)")
@click.option("--predictions", default=None, help="a `predict` CSV instead of a model")
@_NAMES
@_SPLIT
@click.option("--roc", default=None, help="write the ROC small-multiples PNG here")
@click.option("--reference", default=None, help="CSV of finding,auc to print side by side "
              "(e.g. the paper's figures, docs/vision.md)")
@inference_options
def eval_cmd(labels, images, predictions, names_file, split, roc, reference, **mk) -> None:
    """ROC AUC per finding and their mean → CSV on stdout; optional ROC plot."""
    import numpy as np
    import pandas as pd

    from .evaluate import auc_table, plot_roc, with_reference
    from .labels import read_labels

    table = read_labels(labels)
    wanted = read_names(names_file, split, mk["checkpoint"])
    if predictions:
        pred = pd.read_csv(predictions).set_index("filename")
        findings = [c for c in pred.columns if c in table.columns]
        if wanted is not None:
            pred = pred[pred.index.isin(set(wanted))]
        pred = pred[pred.index.isin(table.index)]
        names, probs = list(pred.index), pred[findings].to_numpy(float)
    else:
        if not images:
            raise VisionError("eval needs --images (with a model) or --predictions", code="V830")
        loaded = load_model(**mk)
        names = image_names(images, labels, wanted)
        probs, findings = _probabilities(loaded, images, names, mk)
    targets = table.loc[names, findings].to_numpy(np.float64)
    result = auc_table(targets, probs, findings)
    if roc:
        plot_roc(targets, probs, findings, roc)
        click.echo(f"ROC plot → {roc}", err=True)
    if reference:
        result = with_reference(result, reference)
        click.echo(result.to_string(index=False, float_format=lambda v: f"{v:.3f}"), err=True)
    emit(result, None)


@click.command("localize")
@click.option("--images", required=True, type=click.Path(file_okay=False))
@_NAMES
@_SPLIT
@click.option("--bboxes", default=None, help="ground-truth boxes: localize those findings, "
              "mark hits and false positives on the overlays")
@click.option("--finding", "only", multiple=True, help="findings to localize (default: all)")
@click.option("--min-prob", type=float, default=None, help="skip findings below this probability")
@click.option("--thresholds", default="60,180", show_default=True)
@click.option("--overlays", default=None, help="folder for PNG overlays")
@click.option("-o", "--output", default=None, help="boxes CSV path (default: stdout)")
@inference_options
def localize_cmd(images, names_file, split, bboxes, only, min_prob, thresholds, overlays,
                 output, **mk):
    """Boxes from class heatmaps → CSV (image, finding, prob, threshold, score, region,
    map_size, x, y, w, h)."""
    from .labels import read_bboxes
    from .localize import localize

    model, findings, size, _s, dev = load_model(**mk)
    truth = read_bboxes(bboxes) if bboxes else None
    names = image_names(images, None, read_names(names_file, split, mk["checkpoint"]))
    if truth is not None:
        names = [n for n in names if n in set(truth.image)]
        truth = truth[truth.image.isin(names)]
    cache = open_cache(mk["cache"], images, names, size)
    df = localize(model, findings, images, names, size, dev, parse_numbers(thresholds),
                  list(only) or None, min_prob, truth, overlays, mk["batch_size"],
                  mk["workers"], mk["amp"], cache)
    emit(df, output)


@click.command("eval-boxes")
@click.option("--bboxes", required=True, help="BBox_List_2017.csv(.gz) or images_bboxes.csv")
@click.option("--images", required=True, type=click.Path(file_okay=False),
              help="image folder (image sizes; heatmaps when no --detections)")
@click.option("--detections", default=None, help="a `localize` CSV instead of running a model "
              "(only its images are scored)")
@_NAMES
@_SPLIT
@click.option("--thresholds", default="60,180", show_default=True)
@click.option("--control", type=click.Choice(["boxes", "heatmap", "none"]), default="boxes",
              show_default=True, help="chance level: the model's boxes at random places, or "
              "a smoothed random heatmap of the detections' size (docs/vision.md)")
@click.option("--map-size", type=int, default=None,
              help="S of the heatmap control when the detections lack a map_size column")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "table"]), default="csv",
              show_default=True, help="table: the paper's layout (T × method, one column "
              "per finding, accuracy and AFP)")
@click.option("-o", "--output", default=None, help="CSV path (default: stdout)")
@inference_options
def eval_boxes_cmd(bboxes, images, detections, names_file, split, thresholds, control, map_size,
                   seed, fmt, output, **mk):
    """IoBB and IoU accuracy and average false positives per finding (+ chance control)."""
    import pandas as pd

    from .controls import map_size_of, random_boxes, random_heatmap
    from .data import find_images, image_size_of
    from .evaluate import paper_table
    from .labels import read_bboxes
    from .localize import eval_boxes, localize

    truth = read_bboxes(bboxes)
    paths = find_images(images)
    truth = truth[truth.image.isin(set(paths))]
    wanted = read_names(names_file, split, mk["checkpoint"])
    if wanted is not None:
        truth = truth[truth.image.isin(set(wanted))]
    if detections:
        det = pd.read_csv(detections)
        truth = truth[truth.image.isin(set(det.image))]
    if truth.empty:
        raise VisionError(f"none of the boxed images of {bboxes} is under {images}", code="V813")
    ths = parse_numbers(thresholds)
    if not detections:
        model, findings, size, _stride, dev = load_model(**mk)
        names = sorted(set(truth.image))
        det = localize(model, findings, images, names, size, dev, ths, truth=truth,
                       batch_size=mk["batch_size"], workers=mk["workers"], amp=mk["amp"],
                       cache=open_cache(mk["cache"], images, names, size))
    sizes = {n: image_size_of(paths[n]) for n in set(truth.image)}
    ctrl = None
    if control == "boxes":
        ctrl = random_boxes(det, truth, sizes, seed)
    elif control == "heatmap":
        ctrl = random_heatmap(truth, sizes, map_size or map_size_of(det), ths, seed)
    result = eval_boxes(det, truth, ctrl)
    summary = result[result.finding == "all"].pivot_table(
        index=["criterion", "T"], columns="method", values=["accuracy", "afp"])
    click.echo(f"{truth.image.nunique()} images, {len(truth)} boxes; control: {control}; "
               f"all findings:\n{summary.round(3).to_string()}", err=True)
    if fmt == "table":
        click.echo(paper_table(result))
    else:
        emit(result, output)
