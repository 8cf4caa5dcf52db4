"""``cxrlabel vision ...``: train, predict, eval, localize, eval-boxes.

Thin click wrappers over :mod:`train`, :mod:`evaluate` and :mod:`localize` (the inference
commands live in :mod:`cxrlabel_vision.cli_infer`); stdout carries CSV data, stderr progress.
Multi-GPU: ``torchrun --nproc-per-node N -m cxrlabel_vision.cli train ...`` (the same command;
DDP starts when ``WORLD_SIZE`` > 1).
"""

from __future__ import annotations

import click

from cxrlabel.errors import VisionError

from .cli_common import parse_numbers
from .cli_infer import eval_boxes_cmd, eval_cmd, localize_cmd, predict_cmd

__all__ = ["vision_group"]


@click.group("vision")
def vision_group() -> None:
    """Train and use the LSE-pooled CNN on labelled chest X-ray images."""


@vision_group.command("train")
@click.option("--images", required=True, type=click.Path(file_okay=False),
              help="image folder, searched recursively (NIH's images_0XX/images/ work as is)")
@click.option("--labels", required=True, type=click.Path(dir_okay=False),
              help="cxrlabel label output CSV or NIH Data_Entry_2017.csv")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="run folder")
@click.option("--preset", type=click.Choice(["paper"]), default=None,
              help="paper: the ChestX-ray8 set-up (docs/vision.md); explicit options win")
@click.option("--arch", default="resnet50", show_default=True)
@click.option("--weights", default="none", show_default=True, help="imagenet, none or a path")
@click.option("--image-size", type=int, default=512, show_default=True)
@click.option("--output-stride", type=click.Choice(["8", "16", "32"]), default="32",
              show_default=True)
@click.option("--pooling", type=click.Choice(["lse", "avg", "max"]), default="lse",
              show_default=True)
@click.option("--lse-r", type=float, default=10.0, show_default=True)
@click.option("--transition-dim", type=int, default=2048, show_default=True,
              help="D, the channels of the transition layer")
@click.option("--loss", type=click.Choice(["wcel", "cel"]), default="wcel", show_default=True)
@click.option("--loss-reduction", type=click.Choice(["sum", "mean"]), default="mean",
              show_default=True, help="over the effective batch")
@click.option("--epochs", type=int, default=10, show_default=True)
@click.option("--batch-size", type=int, default=16, show_default=True)
@click.option("--accum", type=int, default=None,
              help="gradient accumulation steps (default: 80 // (batch size × GPUs))")
@click.option("--optimizer", type=click.Choice(["sgd", "adam"]), default="sgd",
              show_default=True)
@click.option("--lr", type=float, default=1e-3, show_default=True)
@click.option("--lr-schedule", type=click.Choice(["none", "cosine", "step"]), default="none",
              show_default=True, help="per epoch; step: ×0.1 every --lr-step epochs")
@click.option("--lr-step", type=int, default=10, show_default=True)
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
@click.option("--cache", default=None, help="stem of a uint8 image cache (built once, keyed "
              "by image: new seeds or splits reuse it)")
@click.option("--resume", is_flag=True, help="continue from OUT/last.pt")
@click.option("--max-images", type=int, default=None, help="use only the first N images")
@click.option("--log-every", type=int, default=20, show_default=True)
@click.option("--score-test/--no-score-test", default=False, show_default=True,
              help="score best.pt on the test split at the end (OUT/test_auc.csv)")
@click.option("--device", default="auto", show_default=True)
@click.pass_context
def train_cmd(ctx: click.Context, **kw) -> None:
    """Train on a labelled image folder; prints the run summary as JSON on stdout."""
    import json

    from .train import TrainConfig, apply_preset, train

    explicit = {k for k in kw if ctx.get_parameter_source(k) is not
                click.core.ParameterSource.DEFAULT}
    kw["output_stride"] = int(kw["output_stride"])
    fractions = parse_numbers(kw["split_fractions"])
    if len(fractions) != 3:
        raise VisionError("--split-fractions needs three numbers, e.g. 0.7,0.1,0.2", code="V812")
    kw["split_fractions"] = fractions
    kw = apply_preset(kw.pop("preset"), kw, explicit)
    kw["weights"] = None if kw["weights"] == "none" else kw["weights"]
    summary = train(TrainConfig(**kw))
    if summary.get("rank", 0) == 0:
        click.echo(json.dumps(summary))


for _cmd in (predict_cmd, eval_cmd, localize_cmd, eval_boxes_cmd):
    vision_group.add_command(_cmd)


if __name__ == "__main__":  # torchrun -m cxrlabel_vision.cli train ...
    vision_group()
